// SPDX-License-Identifier: Apache-2.0
// The SMMU's own accesses to memory (STE, CD, descriptors, queues, events, MSIs): timed
// TLM transactions through its walk initiator socket. Each access's delay counts.
// Reads use DMI where the memory system grants it (a few regions are kept, each asked
// for after a b_transport read that allowed DMI, dropped when invalidated): the same
// data and the same time (the region's read latency, which a TLM interconnect adds its
// own latency to), without the interconnect's call chain per descriptor.
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>

#include "rtl_model/smmu/table_walker.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

class MemoryPort : public WalkMemory {
 public:
  // The socket is bound after construction; it is only used once the simulation runs.
  explicit MemoryPort(tlm::tlm_initiator_socket<smmu::model::kBusWidth>& socket) : socket_(socket) {}

  // Little-endian reads and writes of len bytes at physical address pa. The access time
  // is added to delay. false: the memory system answered with an error (external abort).
  bool read(uint64_t pa, void* data, unsigned len, sc_core::sc_time& delay);
  bool write(uint64_t pa, const void* data, unsigned len, sc_core::sc_time& delay);
  bool read64(uint64_t pa, uint64_t& value, sc_core::sc_time& delay) override;

  // Off: every access is a b_transport (e.g. for a bus monitor that must see each one).
  void set_use_dmi(bool on);
  // The memory system withdrew [start, end] (the walk socket's invalidate_direct_mem_ptr).
  void invalidate_dmi(uint64_t start, uint64_t end);

  uint64_t reads() const { return reads_; }
  uint64_t writes() const { return writes_; }

 private:
  bool access(tlm::tlm_command cmd, uint64_t pa, unsigned char* data, unsigned len,
              sc_core::sc_time& delay);
  bool transport(tlm::tlm_generic_payload& trans, tlm::tlm_command cmd, uint64_t pa,
                 unsigned char* data, unsigned len, sc_core::sc_time& delay);

  bool read_dmi(uint64_t pa, void* data, unsigned len, sc_core::sc_time& delay) const;
  void learn_dmi(uint64_t pa);

  static constexpr unsigned kDmiRegions = 4;
  tlm::tlm_initiator_socket<smmu::model::kBusWidth>& socket_;
  tlm::tlm_dmi dmi_[kDmiRegions];
  bool dmi_valid_[kDmiRegions] = {};
  unsigned dmi_next_ = 0;      // the region learn_dmi replaces next
  bool use_dmi_ = true;
  bool dmi_hint_ = false;      // the last b_transport allowed DMI
  tlm::tlm_generic_payload payload_;  // every access's, unless one re-enters (busy_)
  bool busy_ = false;
  uint64_t reads_ = 0, writes_ = 0;
};

}  // namespace smmu::model
