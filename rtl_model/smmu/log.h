// SPDX-License-Identifier: Apache-2.0
// What the SMMU says about itself through sc_report, as SC_INFO at verbosities a
// platform opts into (sc_report_handler::set_verbosity_level): nothing at the normal
// SC_MEDIUM. One message type per kind, so a platform can route or silence each:
//   smmuv3/event    SC_HIGH   every event record (decoded) and every one lost
//   smmuv3/gerror   SC_HIGH   global errors becoming active
//   smmuv3/command  SC_DEBUG  every command the engine runs, and each CMD_SYNC completion
// Messages are built only when their verbosity is on.
#pragma once

#include <string>

#include <systemc>

namespace smmu::model::log {

constexpr const char* kEvent = "smmuv3/event";
constexpr const char* kGerror = "smmuv3/gerror";
constexpr const char* kCommand = "smmuv3/command";

inline bool enabled(int verbosity) { return sc_core::sc_report_handler::get_verbosity_level() >= verbosity; }

// "<module name> @<time>: text"
inline void info(const char* type, int verbosity, const sc_core::sc_object& who, const std::string& text) {
  const std::string msg = std::string(who.name()) + " @" + sc_core::sc_time_stamp().to_string() + ": " + text;
  sc_core::sc_report_handler::report(sc_core::SC_INFO, type, msg.c_str(), verbosity, __FILE__, __LINE__);
}

}  // namespace smmu::model::log
