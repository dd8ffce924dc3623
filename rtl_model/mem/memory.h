// SPDX-License-Identifier: Apache-2.0
// The SoC's DRAM: a TLM-2.0 loosely-timed target with a sparse backing store, a fixed
// access latency, DMI, and error ranges that answer with an external abort (for tests of
// walk and DMA aborts). Addresses are offsets from 0: the router strips window bases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

struct MemoryParams {
  uint64_t size = uint64_t{1} << 30;  // 1 GiB: room for tables, queues and DMA buffers
  // 50 ns for either direction: about what a DDR4/LPDDR4 access costs from the
  // interconnect (controller, queueing and a mix of row hits and misses). Writes are
  // modelled as acknowledged by the device, so they cost as much as reads.
  sc_core::sc_time read_latency{50, sc_core::SC_NS};
  sc_core::sc_time write_latency{50, sc_core::SC_NS};
  bool dmi_enabled = true;
};

class Memory : public sc_core::sc_module {
 public:
  // Backing store granule: allocated zero-filled on first write or DMI grant, so a
  // multi-GiB memory costs only what is touched. Also the unit of a DMI grant.
  static constexpr unsigned kChunkShift = 20;
  static constexpr uint64_t kChunkSize = uint64_t{1} << kChunkShift;

  struct Stats {
    uint64_t reads = 0;   // successful b_transport reads
    uint64_t writes = 0;  // successful b_transport writes
    uint64_t bytes = 0;   // bytes moved by them
    uint64_t errors = 0;  // error responses (address, byte-enable, error range)
  };

  tlm_utils::simple_target_socket<Memory, smmu::model::kBusWidth> socket;

  // Throws std::invalid_argument when params.size is 0.
  Memory(sc_core::sc_module_name name, const MemoryParams& params = MemoryParams());

  const MemoryParams& params() const { return params_; }
  uint64_t size() const { return params_.size; }

  // TLM interface (registered on the socket; public so unit tests can call it bare).
  // b_transport adds the read or write latency to delay whatever the length: the model
  // charges the access time of one burst, not a per-byte bandwidth. Out of range answers
  // TLM_ADDRESS_ERROR_RESPONSE without latency (nothing decoded it); an error range
  // answers TLM_GENERIC_ERROR_RESPONSE after the normal latency (the device answered).
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  // Untimed and uncounted; ignores error ranges, byte enables and streaming width.
  // Returns the bytes transferred (clipped at the end of memory).
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // Grants the chunk holding the address (read and write, with the latencies), minus
  // any error range in it.
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);

  // Host-side access for tests and loaders: untimed, uncounted, ignores error ranges.
  // Throws std::invalid_argument when the range is outside the memory. Little-endian.
  void write(uint64_t addr, const void* data, size_t len);
  void read(uint64_t addr, void* data, size_t len) const;
  uint64_t read64(uint64_t addr) const;
  void write64(uint64_t addr, uint64_t value);
  uint32_t read32(uint64_t addr) const;
  void write32(uint64_t addr, uint32_t value);

  // Accesses touching [base, base+size) answer TLM_GENERIC_ERROR_RESPONSE and get no DMI.
  // DMI already granted over the range is revoked. Throws std::invalid_argument when
  // the range is empty or leaves the memory.
  void add_error_range(uint64_t base, uint64_t size);
  // Revokes DMI over [start, end] (inclusive) at every initiator.
  void invalidate_dmi(uint64_t start, uint64_t end);

  const Stats& stats() const { return stats_; }
  uint64_t reads() const { return stats_.reads; }
  uint64_t writes() const { return stats_.writes; }
  uint64_t bytes() const { return stats_.bytes; }
  size_t allocated_chunks() const { return chunks_.size(); }

 private:
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  struct Range {
    uint64_t first;
    uint64_t last;  // inclusive
  };

  bool in_range(uint64_t addr, uint64_t len) const {
    return len <= params_.size && addr <= params_.size - len;
  }
  const Range* error_range_hit(uint64_t addr, uint64_t len) const;
  const uint8_t* find_chunk(uint64_t index) const;
  uint8_t* chunk_for_write(uint64_t index);
  void copy_out(uint64_t addr, uint8_t* dst, size_t len) const;
  void copy_in(uint64_t addr, const uint8_t* src, size_t len);
  void check_host_range(uint64_t addr, size_t len) const;
  // Moves the payload's data; handles byte enables and streaming width.
  void access(tlm::tlm_generic_payload& gp, unsigned streaming_width);

  MemoryParams params_;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t, FreeDeleter>> chunks_;
  // One-entry lookup cache: walks and DMA mostly stay within a chunk.
  mutable uint64_t last_index_ = ~uint64_t{0};
  mutable uint8_t* last_chunk_ = nullptr;
  std::vector<Range> error_ranges_;
  bool dmi_granted_ = false;  // invalidations need a bound initiator; none before a grant
  Stats stats_;
};

}  // namespace smmu::model
