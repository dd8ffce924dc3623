#include "rtl_model/smmu/memory_port.h"

#include <cstring>

namespace smmu::model {

bool MemoryPort::access(tlm::tlm_command cmd, uint64_t pa, unsigned char* data, unsigned len,
                        sc_core::sc_time& delay) {
  // The reusable payload saves constructing one (and allocating its extension array) per
  // descriptor read. An access that re-enters this port (e.g. a write into the SMMU's own
  // register window that starts more accesses) gets a payload of its own.
  if (busy_) {
    tlm::tlm_generic_payload nested;
    return transport(nested, cmd, pa, data, len, delay);
  }
  busy_ = true;
  const bool ok = transport(payload_, cmd, pa, data, len, delay);
  busy_ = false;
  return ok;
}

bool MemoryPort::transport(tlm::tlm_generic_payload& trans, tlm::tlm_command cmd, uint64_t pa,
                           unsigned char* data, unsigned len, sc_core::sc_time& delay) {
  trans.set_command(cmd);
  trans.set_address(pa);
  trans.set_data_ptr(data);
  trans.set_data_length(len);
  trans.set_streaming_width(len);
  trans.set_byte_enable_ptr(nullptr);
  trans.set_byte_enable_length(0);
  trans.set_gp_option(tlm::TLM_MIN_PAYLOAD);
  trans.set_dmi_allowed(false);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  socket_->b_transport(trans, delay);
  return trans.is_response_ok();
}

bool MemoryPort::read(uint64_t pa, void* data, unsigned len, sc_core::sc_time& delay) {
  ++reads_;
  return access(tlm::TLM_READ_COMMAND, pa, static_cast<unsigned char*>(data), len, delay);
}

bool MemoryPort::write(uint64_t pa, const void* data, unsigned len, sc_core::sc_time& delay) {
  ++writes_;
  // The payload's data pointer is non-const; a write never modifies it.
  return access(tlm::TLM_WRITE_COMMAND, pa,
                const_cast<unsigned char*>(static_cast<const unsigned char*>(data)), len, delay);
}

bool MemoryPort::read64(uint64_t pa, uint64_t& value, sc_core::sc_time& delay) {
  unsigned char buf[8];
  if (!read(pa, buf, 8, delay)) return false;
  std::memcpy(&value, buf, 8);  // the host is little-endian, as the SMMU tables are
  return true;
}

}  // namespace smmu::model
