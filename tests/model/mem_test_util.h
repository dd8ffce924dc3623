// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the rtl_model/mem tests: a payload that owns its buffer, and an
// initiator module that runs a test body in a thread and records DMI invalidations.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include "rtl_model/common/bus_width.h"

namespace smmu::model::test {

inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

// A generic payload with its own data buffer.
struct Txn {
  tlm::tlm_generic_payload gp;
  std::vector<uint8_t> data;

  Txn(tlm::tlm_command cmd, uint64_t addr, unsigned len, uint8_t fill = 0) : data(len, fill) {
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data.data());
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  }
};

class TestInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TestInitiator, smmu::model::kBusWidth> socket;
  std::function<void(TestInitiator&)> body;  // run at time 0 in a thread
  std::vector<std::pair<uint64_t, uint64_t>> invalidations;

  SC_HAS_PROCESS(TestInitiator);
  explicit TestInitiator(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_invalidate_direct_mem_ptr(this, &TestInitiator::invalidate);
    SC_THREAD(run);
  }

  // b_transport of a fresh payload; returns the response and adds to delay.
  tlm::tlm_response_status transport(tlm::tlm_command cmd, uint64_t addr, std::vector<uint8_t>& data,
                                     sc_core::sc_time& delay) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data.data());
    gp.set_data_length(static_cast<unsigned>(data.size()));
    gp.set_streaming_width(static_cast<unsigned>(data.size()));
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(gp, delay);
    last_address = gp.get_address();
    last_dmi_allowed = gp.is_dmi_allowed();
    return gp.get_response_status();
  }

  uint64_t last_address = 0;  // the payload's address after the call (must be restored)
  bool last_dmi_allowed = false;

 private:
  void run() {
    if (body) body(*this);
  }
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.emplace_back(start, end); }
};

// A thread that runs a script (e.g. revoking DMI at a given time) next to the devices.
class ScriptThread : public sc_core::sc_module {
 public:
  std::function<void()> body;

  SC_HAS_PROCESS(ScriptThread);
  explicit ScriptThread(sc_core::sc_module_name name) : sc_module(name) { SC_THREAD(run); }

 private:
  void run() {
    if (body) body();
  }
};

}  // namespace smmu::model::test
