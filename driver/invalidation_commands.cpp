// SPDX-License-Identifier: Apache-2.0
#include "driver/invalidation_commands.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace smmu::driver {

using arch::Command;
using arch::Opcode;

namespace {

bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

unsigned log2_of(uint64_t v) {
  unsigned n = 0;
  while (v >>= 1) ++n;
  return n;
}

unsigned ctz(uint64_t v) {
  unsigned n = 0;
  while (!(v & 1)) {
    v >>= 1;
    ++n;
  }
  return n;
}

// Index of the highest set bit plus one (0 for 0).
unsigned fls(uint64_t v) {
  unsigned n = 0;
  while (v) {
    v >>= 1;
    ++n;
  }
  return n;
}

void check_granule(uint64_t granule) {
  if (!is_pow2(granule) || granule < 4096)
    throw std::invalid_argument("invalidation granule " + std::to_string(granule) +
                                " is not a power of two >= 4096");
}

Command& set_address(Command& c, uint64_t a) {
  // TLBI_S2_IPA holds an IPA in [51:12], the VA forms an address in [63:12].
  return c.opcode() == Opcode::kTlbiS2Ipa ? c.set_ipa(a) : c.set_addr(a);
}

// The range TLBIs for a non-whole range, each handed to emit.
template <class Emit>
void emit_tlbi_range(const Command& base, const InvRange& r, unsigned pgsize_log2, Emit&& emit) {
  check_granule(r.granule);
  if (pgsize_log2 == 0) {
    // One command per granule, single-address form (TG = 0).
    const uint64_t count = r.size / r.granule + (r.size % r.granule ? 1 : 0);
    uint64_t iova = r.iova;
    for (uint64_t i = 0; i < count; ++i, iova += r.granule) {
      Command c = base;
      c.set_leaf(r.leaf);
      emit(set_address(c, iova));
    }
    return;
  }
  if (pgsize_log2 != 12 && pgsize_log2 != 14 && pgsize_log2 != 16)
    throw std::invalid_argument("range TLBI page size log2 " + std::to_string(pgsize_log2) +
                                " is not 12, 14 or 16");
  const unsigned tg = pgsize_log2;
  uint64_t pages = r.size >> tg;
  if (pages == 0) pages = 1;  // a sub-page range still names one page
  uint8_t ttl = 0;
  if (r.leaf && r.one_level) {
    // The level whose entries have the granule's size: 3 for a page, 2 for the block
    // above it, ... (0 when the granule is no table level of this page size).
    const unsigned lvl = 4 - (log2_of(r.granule) - 3) / (tg - 3);
    ttl = (lvl >= 1 && lvl <= 3 && log2_of(r.granule) >= tg) ? static_cast<uint8_t>(lvl) : 0;
  } else if ((pages & 31) == 1) {
    // No level hint (non-leaf, or leaves of several sizes); keep away from a NUM 0 / SCALE 0 command by invalidating
    // one page more (harmless).
    ++pages;
  }
  uint64_t iova = r.iova;
  while (pages) {
    const unsigned scale = ctz(pages);
    const uint64_t num = (pages >> scale) & 31;
    Command c = base;
    c.set_leaf(r.leaf).set_tg(static_cast<uint8_t>((tg - 10) / 2)).set_ttl(ttl);
    c.set_scale(static_cast<uint8_t>(scale)).set_num(static_cast<uint8_t>(num - 1));
    emit(set_address(c, iova));
    iova += num << (scale + tg);
    pages -= num << scale;
  }
}

bool use_ril(const InvEntry& e) { return e.smmu && e.smmu->range_inv && e.pgsize_log2 != 0; }

// All commands of one entry, handed to emit.
template <class Emit>
void emit_entry(const InvEntry& e, const InvRange& r, Emit&& emit) {
  const bool e2h = e.smmu && e.smmu->e2h;
  // TLBI types only: the ATS ones do not look at the granule.
  auto too_big = [&] { return r.whole() || inv_size_too_big(use_ril(e), r.size, r.granule); };
  switch (e.type) {
    case InvType::kS1Asid: {
      // Stage 1 tables always run under VMID 0.
      const uint16_t asid = static_cast<uint16_t>(e.id);
      if (too_big()) {
        emit(e2h ? Command(Opcode::kTlbiEl2Asid).set_asid(asid)
                 : Command(Opcode::kTlbiNhAsid).set_asid(asid).set_vmid(0));
        return;
      }
      const Command base = e2h ? Command(Opcode::kTlbiEl2Va).set_asid(asid)
                               : Command(Opcode::kTlbiNhVa).set_asid(asid).set_vmid(0);
      emit_tlbi_range(base, r, use_ril(e) ? e.pgsize_log2 : 0, emit);
      return;
    }
    case InvType::kS2Vmid: {
      const uint16_t vmid = static_cast<uint16_t>(e.id);
      if (too_big()) {
        emit(Command(Opcode::kTlbiS12Vmall).set_vmid(vmid));
        return;
      }
      emit_tlbi_range(Command(Opcode::kTlbiS2Ipa).set_vmid(vmid), r, use_ril(e) ? e.pgsize_log2 : 0,
                      emit);
      return;
    }
    case InvType::kS2VmidS1Clear:
      // TLBI_S12_VMALL (the S2_VMID entry of a too-big range) already dropped them.
      if (!too_big()) emit(Command(Opcode::kTlbiNhAll).set_vmid(static_cast<uint16_t>(e.id)));
      return;
    case InvType::kAts:
      // Never leaf-only: a whole table may have gone. One command covers any size.
      emit(atc_inv_command(e.id, e.ssid, r.whole() ? 0 : r.iova, r.whole() ? 0 : r.size));
      return;
    case InvType::kAtsFull:
      emit(atc_inv_command(e.id, 0, 0, 0));
      return;
  }
}

}  // namespace

bool inv_size_too_big(bool range_inv, uint64_t size, uint64_t granule) {
  if (size == 0 || size == ~uint64_t{0}) return true;
  if (range_inv) return false;
  check_granule(granule);
  // granule/8 commands of one granule each: size >= granule/8 * granule. The product
  // overflows only for granules far beyond any table level; then nothing is too big.
  const unsigned shift = 2 * log2_of(granule) - 3;
  if (shift >= 64) return false;
  return size >= (uint64_t{1} << shift);
}

std::vector<Command> tlbi_range_commands(const Command& base, const InvRange& r,
                                         unsigned pgsize_log2) {
  if (r.whole()) throw std::invalid_argument("tlbi_range_commands: the range is whole");
  std::vector<Command> out;
  emit_tlbi_range(base, r, pgsize_log2, [&](const Command& c) { out.push_back(c); });
  return out;
}

Command atc_inv_command(uint32_t sid, uint32_t ssid, uint64_t iova, uint64_t size) {
  Command c(Opcode::kAtcInv);
  c.set_sid(sid).set_ssid(ssid).set_ssv(ssid != 0);
  if (size == 0) return c.set_size(arch::kAtcInvSizeAll);
  const uint64_t end = iova + size - 1 < iova ? ~uint64_t{0} : iova + size - 1;
  const uint64_t first = iova >> 12, last = end >> 12;
  const unsigned span = fls(first ^ last);
  if (span >= arch::kAtcInvSizeAll) return c.set_size(arch::kAtcInvSizeAll);
  const uint64_t base = first & ~((uint64_t{1} << span) - 1);
  return c.set_addr(base << 12).set_size(static_cast<uint8_t>(span));
}

std::vector<Command> entry_commands(const InvEntry& e, const InvRange& r) {
  std::vector<Command> out;
  emit_entry(e, r, [&](const Command& c) { out.push_back(c); });
  return out;
}

Command tag_flush_command(const IotlbTag& tag, bool e2h) {
  if (tag.type == TagType::kVmid) return Command(Opcode::kTlbiS12Vmall).set_vmid(tag.id);
  return e2h ? Command(Opcode::kTlbiEl2Asid).set_asid(tag.id)
             : Command(Opcode::kTlbiNhAsid).set_asid(tag.id).set_vmid(0);
}

bool inv_batch_ends(const InvEntry& cur, const InvEntry& next) {
  if (cur.smmu != next.smmu) return true;  // another command queue
  // The S2 TLBIs must have completed before the nested S1 ones are dropped.
  if (cur.type != InvType::kS2VmidS1Clear && next.type == InvType::kS2VmidS1Clear) return true;
  // ATC invalidations only after the TLBIs have completed: a device could otherwise
  // refill its ATC from stale IOTLB entries.
  if (!inv_is_ats(cur.type) && inv_is_ats(next.type)) return true;
  return false;
}

void for_each_inv_batch(InvEntrySpan entries, const InvRange& r, InvBatchSink& sink) {
  InvBatch batch;
  auto next_live = [&](size_t i) {
    while (i < entries.size && entries[i].users.load() == 0) ++i;
    return i;
  };
  for (size_t i = next_live(0); i < entries.size;) {
    const InvEntry& cur = entries[i];
    if (batch.num == 0) batch.smmu = cur.smmu;
    emit_entry(cur, r, [&](const Command& c) {
      if (batch.num == kMaxBatchCommands) {
        batch.needs_sync = false;  // full: issue it and go on with the same SMMU
        sink.submit(batch);
        batch.num = 0;
      }
      batch.cmds[batch.num++] = c;
    });
    const size_t next = next_live(i + 1);
    if (batch.num && (next == entries.size || inv_batch_ends(cur, entries[next]))) {
      batch.needs_sync = true;
      sink.submit(batch);
      batch.num = 0;
    }
    i = next;
  }
}

std::vector<InvBatch> build_inv_batches(InvEntrySpan entries, const InvRange& r) {
  struct Collect : InvBatchSink {
    std::vector<InvBatch> out;
    void submit(const InvBatch& b) override { out.push_back(b); }
  } collect;
  for_each_inv_batch(entries, r, collect);
  return std::move(collect.out);
}

}  // namespace smmu::driver
