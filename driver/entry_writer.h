// SPDX-License-Identifier: Apache-2.0
// Hitless update of a live STE or CD (the idea of Linux's arm_smmu_write_entry).
//
// The SMMU may fetch an entry at any moment, one 64-bit word at a time, and keep what
// it fetched until it is told to drop it (CFGI_STE / CFGI_CD, then CMD_SYNC: a "sync").
// An update must never let it see an entry that is neither the old one nor the new one
// in the bits it actually reads. Which bits it reads ("used bits") depends on the entry
// itself: nothing but V in an invalid entry, V and Config in an aborting STE, the
// stage-1 fields only with stage 1 in use, the TTB0 half of a CD only without EPD0.
//
// The update, from the current entry C to the target T:
//   1. Bits C does not use may take T's values at once (C reads none of them).
//   2. A qword is "critical" when, after step 1, bits T uses still differ from T.
//   3. No critical qword: write T, one sync.
//      One critical qword: write the step-1 values of the other qwords, sync; write the
//      critical qword (a single atomic store switches C to T), sync; write what is left
//      (bits T does not use), sync. Steps that change nothing are skipped, sync too.
//      Several critical qwords (non-hitless): write qword 0 = 0 (V = 0: the SMMU sees an
//      invalid entry), sync; write qwords 1..7, sync; write qword 0, sync.
// Every store is one 64-bit word, in index order within a step.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <utility>

#include "driver/os.h"

namespace smmu::driver {

constexpr unsigned kEntryQwords = 8;
// The 64 bytes of an STE or a CD, as arch::SteWords / arch::CdWords.
using EntryWords = std::array<uint64_t, kEntryQwords>;

enum class EntryKind : uint8_t { kSte, kCd };

// The bits of entry e that the SMMU reads, given e's own V, Config, S1DSS, EPD0/EPD1.
EntryWords ste_used_bits(const EntryWords& e);
EntryWords cd_used_bits(const EntryWords& e);
EntryWords entry_used_bits(EntryKind kind, const EntryWords& e);
bool entry_valid(EntryKind kind, const EntryWords& e);

enum class EntryUpdate : uint8_t {
  kNone,       // nothing the SMMU reads changes (unused bits at most): one write step
  kHitless,    // one critical qword
  kBreaking,   // several: through an invalid entry
};

// How write_entry would go from current to target; critical_mask (optional) gets one bit
// per critical qword.
EntryUpdate plan_entry_update(EntryKind kind, const EntryWords& current, const EntryWords& target,
                              unsigned* critical_mask = nullptr);

// Where the entry lives and how the SMMU is told about a change.
class EntryWriterOps {
 public:
  virtual ~EntryWriterOps() = default;
  virtual uint64_t read_qword(unsigned i) = 0;
  // One single-copy-atomic 64-bit store of qword i.
  virtual void write_qword(unsigned i, uint64_t value) = 0;
  // Makes the SMMU forget its copy of the entry (CFGI_STE or CFGI_CD, CMD_SYNC) and
  // returns when it has; the stores before it are visible to the SMMU first.
  virtual void sync() = 0;
};

// Updates the entry to target as described above; returns the number of syncs.
unsigned write_entry(EntryKind kind, const EntryWords& target, EntryWriterOps& ops);

// The entry in DMA memory at entry_pa, written through the Os; sync_fn issues the
// invalidation (the command-queue code provides it).
class OsEntryWriterOps final : public EntryWriterOps {
 public:
  OsEntryWriterOps(Os& os, uint64_t entry_pa, std::function<void()> sync_fn)
      : os_(os), pa_(entry_pa), sync_(std::move(sync_fn)) {}
  uint64_t read_qword(unsigned i) override { return os_.read64(pa_ + 8 * i); }
  void write_qword(unsigned i, uint64_t value) override { os_.write64(pa_ + 8 * i, value); }
  void sync() override {
    // The entry stores reach memory before the command that makes the SMMU refetch it.
    os_.dma_wmb();
    if (sync_) sync_();
  }

 private:
  Os& os_;
  uint64_t pa_;
  std::function<void()> sync_;
};

}  // namespace smmu::driver
