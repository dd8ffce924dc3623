// SPDX-License-Identifier: Apache-2.0
// Turning an invalidation request into SMMU commands: range TLBIs (split into
// TG/NUM/SCALE/TTL with range invalidation, one per granule without it, one by-ASID or
// by-VMID command when the range is too big), ATC_INV spans, the commands of each
// invalidation-array entry, and the batches the command queue issues: at most 64
// commands for one SMMU, a batch ending (with CMD_SYNC) when the SMMU changes, before
// the first S2_VMID_S1_CLEAR entry and before the first ATS entry, so that TLBIs have
// completed before the ATC invalidations that follow them. Pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "driver/invalidation_array.h"
#include "driver/iotlb_tags.h"
#include "rtl_model/arch/command.h"

namespace smmu::driver {

// What changed in a domain's page table.
struct InvRange {
  uint64_t iova = 0;
  uint64_t size = 0;     // 0 (or all ones): everything
  uint64_t granule = 0;  // size of the unit that changed (page or block); power of two >= 4K
  bool leaf = false;     // only leaf entries changed: walk caches may be kept
  // Every changed leaf is `granule` in size, so range TLBIs may name its level (TTL).
  // False when an unmap removed leaves of several sizes: a TTL naming the smallest
  // would let the SMMU keep a larger block's entry.
  bool one_level = true;

  static InvRange all() { return {}; }
  static InvRange range(uint64_t iova, uint64_t size, uint64_t granule, bool leaf) {
    return {iova, size, granule, leaf};
  }
  bool whole() const { return size == 0 || size == ~uint64_t{0}; }
};

constexpr size_t kMaxBatchCommands = 64;

// True when one command for the whole ASID/VMID replaces the range: always for a whole
// range; without range invalidation when the range needs granule/8 commands or more.
bool inv_size_too_big(bool range_inv, uint64_t size, uint64_t granule);

// Range TLBI commands: `base` carries the opcode (TLBI_NH_VA, TLBI_EL2_VA or TLBI_S2_IPA)
// and the ASID/VMID. pgsize_log2 (12, 14, 16) is the leaf page size for range
// invalidation; 0 means no range invalidation (one command per granule). Throws
// std::invalid_argument for a whole range or a bad granule or page size.
std::vector<arch::Command> tlbi_range_commands(const arch::Command& base, const InvRange& r,
                                               unsigned pgsize_log2);

// ATC_INV for (sid, ssid; ssid 0 = no substream) covering [iova, iova + size): the
// smallest aligned power-of-two span of 4K pages; size 0: the whole ATC (SIZE 52).
arch::Command atc_inv_command(uint32_t sid, uint32_t ssid, uint64_t iova, uint64_t size);

// The commands one live array entry needs for `r` on its SMMU (no CMD_SYNC).
std::vector<arch::Command> entry_commands(const InvEntry& e, const InvRange& r);

// The command that empties the IOTLB of a tag before it is freed (then CMD_SYNC).
arch::Command tag_flush_command(const IotlbTag& tag, bool e2h);

// True when a batch must end (and be synced) between live entries cur and next.
bool inv_batch_ends(const InvEntry& cur, const InvEntry& next);

struct InvBatch {
  const SmmuHandle* smmu = nullptr;
  std::array<arch::Command, kMaxBatchCommands> cmds{};
  size_t num = 0;
  // End with CMD_SYNC and wait for it before the next batch. False only for a batch cut
  // because it was full: the next one continues it on the same SMMU.
  bool needs_sync = false;
  std::vector<arch::Command> commands() const { return {cmds.begin(), cmds.begin() + num}; }
};

class InvBatchSink {
 public:
  virtual ~InvBatchSink() = default;
  virtual void submit(const InvBatch& batch) = 0;
};

// Walks the entries in array order, skipping trash, and hands each batch to the sink as
// soon as it is complete (one InvBatch on the stack, nothing allocated), as the
// invalidation path does inside its RCU read-side section.
void for_each_inv_batch(InvEntrySpan entries, const InvRange& r, InvBatchSink& sink);
std::vector<InvBatch> build_inv_batches(InvEntrySpan entries, const InvRange& r);

}  // namespace smmu::driver
