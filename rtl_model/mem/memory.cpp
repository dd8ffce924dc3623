// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/mem/memory.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace smmu::model {

namespace {

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

constexpr uint64_t kMaxAddress = ~uint64_t{0};

}  // namespace

Memory::Memory(sc_core::sc_module_name name, const MemoryParams& params)
    : sc_module(name), socket("socket"), params_(params) {
  if (params_.size == 0)
    throw std::invalid_argument(std::string(this->name()) + ": memory size must be > 0");
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_transport_dbg(this, &Memory::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
}

const Memory::Range* Memory::error_range_hit(uint64_t addr, uint64_t len) const {
  if (len == 0) return nullptr;
  const uint64_t last = addr + (len - 1);
  for (const Range& r : error_ranges_)
    if (addr <= r.last && last >= r.first) return &r;
  return nullptr;
}

const uint8_t* Memory::find_chunk(uint64_t index) const {
  if (index == last_index_) return last_chunk_;
  auto it = chunks_.find(index);
  if (it == chunks_.end()) return nullptr;  // untouched: reads as zero, stays unallocated
  last_index_ = index;
  last_chunk_ = it->second.get();
  return last_chunk_;
}

uint8_t* Memory::chunk_for_write(uint64_t index) {
  if (index == last_index_) return last_chunk_;
  auto it = chunks_.find(index);
  if (it == chunks_.end()) {
    // calloc: large zeroed allocations come from fresh pages, so the OS commits them
    // only when touched.
    auto* p = static_cast<uint8_t*>(std::calloc(kChunkSize, 1));
    if (!p) throw std::bad_alloc();
    it = chunks_.emplace(index, std::unique_ptr<uint8_t, FreeDeleter>(p)).first;
  }
  last_index_ = index;
  last_chunk_ = it->second.get();
  return last_chunk_;
}

void Memory::copy_out(uint64_t addr, uint8_t* dst, size_t len) const {
  while (len > 0) {
    const uint64_t offset = addr & (kChunkSize - 1);
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, kChunkSize - offset));
    if (const uint8_t* c = find_chunk(addr >> kChunkShift))
      std::memcpy(dst, c + offset, n);
    else
      std::memset(dst, 0, n);
    addr += n;
    dst += n;
    len -= n;
  }
}

void Memory::copy_in(uint64_t addr, const uint8_t* src, size_t len) {
  while (len > 0) {
    const uint64_t offset = addr & (kChunkSize - 1);
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, kChunkSize - offset));
    std::memcpy(chunk_for_write(addr >> kChunkShift) + offset, src, n);
    addr += n;
    src += n;
    len -= n;
  }
}

void Memory::access(tlm::tlm_generic_payload& gp, unsigned streaming_width) {
  const bool is_write = gp.is_write();
  const uint64_t addr = gp.get_address();
  uint8_t* data = gp.get_data_ptr();
  const unsigned len = gp.get_data_length();
  const uint8_t* be = gp.get_byte_enable_ptr();
  const unsigned be_len = gp.get_byte_enable_length();
  if (!be && streaming_width == len) {
    if (is_write)
      copy_in(addr, data, len);
    else
      copy_out(addr, data, len);
    return;
  }
  // General case, byte by byte: disabled bytes are neither written to memory nor, for a
  // read, written into the initiator's buffer.
  for (unsigned i = 0; i < len; ++i) {
    if (be && be[i % be_len] != TLM_BYTE_ENABLED) continue;
    const uint64_t a = addr + i % streaming_width;
    if (is_write)
      copy_in(a, data + i, 1);
    else
      copy_out(a, data + i, 1);
  }
}

void Memory::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t addr = gp.get_address();
  const unsigned len = gp.get_data_length();
  unsigned sw = gp.get_streaming_width();
  // A streaming width of 0 is taken as "not streaming": many initiators leave it unset.
  if (sw == 0 || sw > len) sw = len;
  if (gp.get_byte_enable_ptr() && gp.get_byte_enable_length() == 0) {
    ++stats_.errors;
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (!in_range(addr, sw)) {
    ++stats_.errors;
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const bool is_write = gp.is_write();
  delay += is_write ? params_.write_latency : params_.read_latency;
  if (!error_ranges_.empty() && error_range_hit(addr, sw)) {
    ++stats_.errors;
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  access(gp, sw);
  if (is_write)
    ++stats_.writes;
  else
    ++stats_.reads;
  stats_.bytes += len;
  if (params_.dmi_enabled) gp.set_dmi_allowed(true);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Memory::transport_dbg(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  if (addr >= params_.size || gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
    gp.set_response_status(addr >= params_.size ? tlm::TLM_ADDRESS_ERROR_RESPONSE
                                                : tlm::TLM_OK_RESPONSE);
    return 0;
  }
  const unsigned n = static_cast<unsigned>(
      std::min<uint64_t>(gp.get_data_length(), params_.size - addr));
  if (gp.is_write())
    copy_in(addr, gp.get_data_ptr(), n);
  else
    copy_out(addr, gp.get_data_ptr(), n);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return n;
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const uint64_t addr = gp.get_address();
  // On refusal the range says where DMI is refused, so the initiator need not ask again.
  if (!params_.dmi_enabled) {
    dmi.set_start_address(0);
    dmi.set_end_address(kMaxAddress);
    return false;
  }
  if (addr >= params_.size) {
    dmi.set_start_address(params_.size);
    dmi.set_end_address(kMaxAddress);
    return false;
  }
  if (const Range* r = error_range_hit(addr, 1)) {
    dmi.set_start_address(r->first);
    dmi.set_end_address(r->last);
    return false;
  }
  const uint64_t index = addr >> kChunkShift;
  const uint64_t chunk_base = index << kChunkShift;
  uint64_t first = chunk_base;
  uint64_t last = std::min(chunk_base + (kChunkSize - 1), params_.size - 1);
  for (const Range& r : error_ranges_) {  // keep the grant clear of error ranges
    if (r.last < addr && r.last >= first) first = r.last + 1;
    if (r.first > addr && r.first <= last) last = r.first - 1;
  }
  dmi.set_dmi_ptr(chunk_for_write(index) + (first - chunk_base));
  dmi.set_start_address(first);
  dmi.set_end_address(last);
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
  dmi.set_read_latency(params_.read_latency);
  dmi.set_write_latency(params_.write_latency);
  dmi_granted_ = true;
  return true;
}

void Memory::check_host_range(uint64_t addr, size_t len) const {
  if (!in_range(addr, len))
    throw std::invalid_argument(std::string(name()) + ": host access [" + hex(addr) +
                                ", +" + std::to_string(len) + ") outside memory of size " +
                                hex(params_.size));
}

void Memory::write(uint64_t addr, const void* data, size_t len) {
  check_host_range(addr, len);
  copy_in(addr, static_cast<const uint8_t*>(data), len);
}

void Memory::read(uint64_t addr, void* data, size_t len) const {
  check_host_range(addr, len);
  copy_out(addr, static_cast<uint8_t*>(data), len);
}

uint64_t Memory::read64(uint64_t addr) const {
  uint8_t b[8];
  read(addr, b, sizeof b);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

void Memory::write64(uint64_t addr, uint64_t value) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  write(addr, b, sizeof b);
}

uint32_t Memory::read32(uint64_t addr) const {
  uint8_t b[4];
  read(addr, b, sizeof b);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

void Memory::write32(uint64_t addr, uint32_t value) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  write(addr, b, sizeof b);
}

void Memory::add_error_range(uint64_t base, uint64_t size) {
  if (size == 0 || !in_range(base, size))
    throw std::invalid_argument(std::string(name()) + ": error range [" + hex(base) + ", +" +
                                hex(size) + ") is empty or outside memory of size " +
                                hex(params_.size));
  error_ranges_.push_back(Range{base, base + (size - 1)});
  invalidate_dmi(base, base + (size - 1));
}

void Memory::invalidate_dmi(uint64_t start, uint64_t end) {
  if (dmi_granted_) socket->invalidate_direct_mem_ptr(start, end);
}

}  // namespace smmu::model
