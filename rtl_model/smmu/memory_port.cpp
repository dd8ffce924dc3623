// SPDX-License-Identifier: Apache-2.0
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
  dmi_hint_ = trans.is_dmi_allowed();
  return trans.is_response_ok();
}

void MemoryPort::set_use_dmi(bool on) {
  use_dmi_ = on;
  if (!on) invalidate_dmi(0, ~uint64_t{0});
}

void MemoryPort::invalidate_dmi(uint64_t start, uint64_t end) {
  for (unsigned i = 0; i < kDmiRegions; ++i)
    if (dmi_valid_[i] && dmi_[i].get_start_address() <= end && dmi_[i].get_end_address() >= start)
      dmi_valid_[i] = false;
}

bool MemoryPort::read_dmi(uint64_t pa, void* data, unsigned len, sc_core::sc_time& delay) const {
  const uint64_t last = pa + (len - 1);
  for (unsigned i = 0; i < kDmiRegions; ++i) {
    const tlm::tlm_dmi& d = dmi_[i];
    if (!dmi_valid_[i] || pa < d.get_start_address() || last > d.get_end_address() || last < pa)
      continue;
    std::memcpy(data, d.get_dmi_ptr() + (pa - d.get_start_address()), len);
    delay += d.get_read_latency();
    return true;
  }
  return false;
}

void MemoryPort::learn_dmi(uint64_t pa) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(pa);
  tlm::tlm_dmi d;
  if (!socket_->get_direct_mem_ptr(gp, d) || !d.is_read_allowed() ||
      pa < d.get_start_address() || pa > d.get_end_address())
    return;
  dmi_[dmi_next_] = d;
  dmi_valid_[dmi_next_] = true;
  dmi_next_ = (dmi_next_ + 1) % kDmiRegions;
}

bool MemoryPort::read(uint64_t pa, void* data, unsigned len, sc_core::sc_time& delay) {
  ++reads_;
  if (use_dmi_ && len && read_dmi(pa, data, len, delay)) return true;
  const bool ok = access(tlm::TLM_READ_COMMAND, pa, static_cast<unsigned char*>(data), len, delay);
  if (ok && use_dmi_ && dmi_hint_) learn_dmi(pa);
  return ok;
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
