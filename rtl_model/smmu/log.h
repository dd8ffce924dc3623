// SPDX-License-Identifier: Apache-2.0
// What the SMMU says about itself through sc_report, as SC_INFO at verbosities a
// platform opts into (sc_report_handler::set_verbosity_level): nothing at the normal
// SC_MEDIUM. One message type per kind, so a platform can route or silence each:
//   smmuv3/event    SC_HIGH   every event record (decoded) and every one lost
//   smmuv3/gerror   SC_HIGH   global errors becoming active
//   smmuv3/queue    SC_HIGH   a command queue stopping on an error (CONS.ERR / ECMDQ ERR)
//   smmuv3/command  SC_DEBUG  every command the engine runs, and each CMD_SYNC completion
//   smmuv3/dti      SC_DEBUG  TBU requests to the TCU and their answers; TCU messages to TBUs
//   smmuv3/ats      SC_DEBUG  ATS translation requests, their completions, ATC invalidations
// Messages are built only when their verbosity is on. A level can also be set per module
// (set_module_level): "soc.smmu0" then talks at debug while the others stay quiet.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <systemc>

namespace smmu::model::log {

constexpr const char* kEvent = "smmuv3/event";
constexpr const char* kGerror = "smmuv3/gerror";
constexpr const char* kCommand = "smmuv3/command";
constexpr const char* kQueue = "smmuv3/queue";
constexpr const char* kDti = "smmuv3/dti";
constexpr const char* kAts = "smmuv3/ats";

// The level for the objects named `prefix` and everything below it ("soc.smmu0" covers
// "soc.smmu0.tcu"); the longest matching prefix wins, others use the global verbosity.
// Raises sc_report_handler's verbosity to `verbosity` when that is lower, so the
// message is not filtered out on its way; the global level as it was before still
// applies to modules without a level of their own.
void set_module_level(const std::string& prefix, int verbosity);
void clear_module_levels();
// The level that applies to `name`: its module level, else the global one.
int level_of(const char* name);

namespace detail {
extern bool g_any_module_level;
}

inline bool enabled(const sc_core::sc_object& who, int verbosity) {
  if (!detail::g_any_module_level) return sc_core::sc_report_handler::get_verbosity_level() >= verbosity;
  return level_of(who.name()) >= verbosity;
}

// "<module name> @<time>: text"
inline void info(const char* type, int verbosity, const sc_core::sc_object& who, const std::string& text) {
  const std::string msg = std::string(who.name()) + " @" + sc_core::sc_time_stamp().to_string() + ": " + text;
  sc_core::sc_report_handler::report(sc_core::SC_INFO, type, msg.c_str(), verbosity, __FILE__, __LINE__);
}

}  // namespace smmu::model::log
