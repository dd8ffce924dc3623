// SPDX-License-Identifier: Apache-2.0
#include "platform/cpu/bus_access.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <vector>

#include <systemc>

namespace smmu::platform {

std::string hex_address(uint64_t pa) {
  std::ostringstream os;
  os << "0x" << std::hex << pa;
  return os.str();
}

bool mmio_transport(tlm::tlm_fw_transport_if<>& bus, uint64_t pa, uint8_t* data, unsigned len, bool write,
                    sc_core::sc_time& delay, const std::string& who, const char* msg_type) {
  tlm::tlm_generic_payload gp;
  gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(pa);
  gp.set_data_ptr(data);
  gp.set_data_length(len);
  gp.set_streaming_width(len);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  bus.b_transport(gp, delay);
  if (!gp.is_response_error()) return true;
  const std::string msg = who + ": MMIO " + (write ? "write" : "read") + " of " + std::to_string(len) +
                          " bytes at " + hex_address(pa) + ": " + gp.get_response_string();
  SC_REPORT_WARNING(msg_type, msg.c_str());
  if (!write) std::memset(data, 0xff, len);
  return false;
}

size_t debug_transport_chunk(tlm::tlm_fw_transport_if<>& bus, uint64_t pa, uint8_t* buf, size_t len,
                             bool write, uint8_t fill, const std::string& who, const char* msg_type) {
  const size_t n = std::min(len, kDebugChunk);
  std::vector<uint8_t> fill_buf;
  uint8_t* data = buf;
  if (!data) {
    fill_buf.assign(n, fill);
    data = fill_buf.data();
  }
  tlm::tlm_generic_payload gp;
  gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(pa);
  gp.set_data_ptr(data);
  gp.set_data_length(static_cast<unsigned>(n));
  gp.set_streaming_width(static_cast<unsigned>(n));
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const unsigned done = bus.transport_dbg(gp);
  if (done == n) return n;
  const std::string msg = who + ": memory " + (write ? "write" : "read") + " of " + std::to_string(n) +
                          " bytes at " + hex_address(pa) + ": nothing answers (" + std::to_string(done) +
                          " bytes moved)";
  SC_REPORT_ERROR(msg_type, msg.c_str());
  return 0;
}

}  // namespace smmu::platform
