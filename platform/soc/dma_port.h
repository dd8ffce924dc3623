// SPDX-License-Identifier: Apache-2.0
// A device that issues DMA from whichever SystemC thread calls it, tagged with its
// StreamID: the benchmarks' stand-in for a real master (a CPU program calls it and
// decides whether the time the access took is the CPU's).
#pragma once

#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rtl_model/protocol/stream_extension.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::platform {

// One access of len bytes at iova tagged with StreamID sid, through `fw` (a socket's
// operator->: a master's own socket, or the initiator of a port's tap when a workload
// shares the port with its master); `delay` is annotated as b_transport does. True on
// TLM_OK_RESPONSE.
inline bool stream_access(tlm::tlm_fw_transport_if<>* fw, uint32_t sid, uint64_t iova, uint8_t* data,
                          unsigned len, bool write, sc_core::sc_time& delay) {
  tlm::tlm_generic_payload gp;
  model::StreamExtension ext(sid);
  gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(iova);
  gp.set_data_ptr(data);
  gp.set_data_length(len);
  gp.set_streaming_width(len);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  gp.set_extension(&ext);
  fw->b_transport(gp, delay);
  gp.clear_extension(&ext);
  return gp.is_response_ok();
}

class DmaPort : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaPort, smmu::model::kBusWidth> socket;
  DmaPort(const sc_core::sc_module_name& name, uint32_t sid)
      : sc_module(name), socket("socket"), sid_(sid) {}

  uint32_t sid() const { return sid_; }

  // One access of len bytes at iova; `delay` is annotated as b_transport does. True on
  // TLM_OK_RESPONSE.
  bool access(uint64_t iova, uint8_t* data, unsigned len, bool write, sc_core::sc_time& delay) {
    return stream_access(socket.operator->(), sid_, iova, data, len, write, delay);
  }

  // One 8-byte read (untimed for the caller); *data gets what was read.
  bool read(uint64_t iova, uint64_t* data) {
    uint64_t buf = 0;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const bool ok = access(iova, reinterpret_cast<uint8_t*>(&buf), 8, false, delay);
    if (data) *data = buf;
    return ok;
  }

 private:
  uint32_t sid_;
};

}  // namespace smmu::platform
