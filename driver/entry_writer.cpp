// SPDX-License-Identifier: Apache-2.0
#include "driver/entry_writer.h"

#include "rtl_model/arch/bits.h"

namespace smmu::driver {

namespace {

using arch::bit;
using arch::extract;
using arch::field_mask;

// --- STE fields (reference/smmuv3-formats.md)
constexpr uint64_t kSteV = field_mask(0, 0);
constexpr uint64_t kSteConfig = field_mask(3, 1);
constexpr uint64_t kSteS1Qw0 = field_mask(5, 4) | field_mask(51, 6) | field_mask(63, 59);  // S1FMT, S1ContextPtr, S1CDMax
constexpr uint64_t kSteS1DssMask = field_mask(1, 0);
constexpr uint64_t kSteS1Ctx = field_mask(7, 2);  // S1CIR, S1COR, S1CSH
constexpr uint64_t kSteMev = field_mask(19, 19);
constexpr uint64_t kSteS2Fwb = field_mask(25, 25);
constexpr uint64_t kSteS1Stalld = field_mask(27, 27);
constexpr uint64_t kSteEats = field_mask(29, 28);
constexpr uint64_t kSteStrw = field_mask(31, 30);
// Attribute overrides for traffic stage 1 does not translate. SHCFG is in the fact
// sheet; the others (MemAttr, MTCFG, ALLOCCFG, NSCFG, PRIVCFG, INSTCFG) come from the
// architecture's STE layout.
constexpr uint64_t kSteOverrides = field_mask(35, 32) | field_mask(36, 36) | field_mask(40, 37) |
                                   field_mask(45, 44) | field_mask(47, 46) | field_mask(49, 48) |
                                   field_mask(51, 50);
constexpr uint64_t kSteS2Vmid = field_mask(15, 0);
constexpr uint64_t kSteS2Ttb = field_mask(51, 4);
constexpr uint64_t kS1DssBypass = 1;

// --- CD fields
constexpr unsigned kCdVBit = 31;
constexpr uint64_t kCdEpd0 = field_mask(14, 14);
constexpr uint64_t kCdEpd1 = field_mask(30, 30);
// T0SZ, TG0, IRGN0, ORGN0, SH0: ignored with EPD0 (as TTB0).
constexpr uint64_t kCdTcr0 = field_mask(13, 0);
// T1SZ, TG1, IRGN1, ORGN1, SH1: ignored with EPD1 (as TTB1).
constexpr uint64_t kCdTcr1 = field_mask(29, 16);
constexpr uint64_t kCdTtb = field_mask(51, 4);

unsigned popcount(unsigned v) {
  unsigned n = 0;
  for (; v; v &= v - 1) ++n;
  return n;
}

unsigned lowest_bit(unsigned v) {
  unsigned i = 0;
  while (!(v & 1)) {
    v >>= 1;
    ++i;
  }
  return i;
}

// The intermediate entry of step 1 (bits C does not use take T's values) and the
// critical qwords.
EntryWords unused_update(EntryKind kind, const EntryWords& cur, const EntryWords& target,
                         unsigned& critical) {
  const EntryWords cur_used = entry_used_bits(kind, cur);
  const EntryWords tgt_used = entry_used_bits(kind, target);
  EntryWords step{};
  critical = 0;
  for (unsigned i = 0; i < kEntryQwords; ++i) {
    step[i] = (cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
    if ((step[i] ^ target[i]) & tgt_used[i]) critical |= 1u << i;
  }
  return step;
}

}  // namespace

EntryWords ste_used_bits(const EntryWords& e) {
  EntryWords u{};
  u[0] = kSteV;
  if (!bit(e[0], 0)) return u;
  u[0] |= kSteConfig;
  const uint64_t config = extract(e[0], 3, 1);
  if (config < 4) return u;  // 0b0xx: abort, nothing else is read
  const bool s1 = config == 5 || config == 7;
  const bool s2 = config == 6 || config == 7;
  if (s1) {
    u[0] |= kSteS1Qw0;
    u[1] |= kSteS1DssMask | kSteS1Ctx | kSteMev | kSteS1Stalld | kSteEats | kSteStrw;
    u[2] |= kSteS2Vmid;  // tags stage-1 TLB entries even without stage 2
    if ((e[1] & kSteS1DssMask) == kS1DssBypass) u[1] |= kSteOverrides;
  }
  if (s2) {
    u[1] |= kSteS2Fwb | kSteEats | kSteMev | kSteOverrides;
    u[2] = ~uint64_t{0};  // VMID, VTCR fields, AA64, ENDI, AFFD, PTW, S, R (and RES0)
    u[3] |= kSteS2Ttb;
  }
  if (config == 4) u[1] |= kSteOverrides;  // bypass
  return u;
}

EntryWords cd_used_bits(const EntryWords& e) {
  EntryWords u{};
  u[0] = field_mask(kCdVBit, kCdVBit);
  if (!bit(e[0], kCdVBit)) return u;
  u.fill(~uint64_t{0});
  if (e[0] & kCdEpd0) {
    u[0] &= ~kCdTcr0;
    u[1] &= ~kCdTtb;
  }
  if (e[0] & kCdEpd1) {
    u[0] &= ~kCdTcr1;
    u[2] &= ~kCdTtb;
  }
  return u;
}

EntryWords entry_used_bits(EntryKind kind, const EntryWords& e) {
  return kind == EntryKind::kSte ? ste_used_bits(e) : cd_used_bits(e);
}

bool entry_valid(EntryKind kind, const EntryWords& e) {
  return bit(e[0], kind == EntryKind::kSte ? 0 : kCdVBit);
}

EntryUpdate plan_entry_update(EntryKind kind, const EntryWords& current, const EntryWords& target,
                              unsigned* critical_mask) {
  unsigned critical = 0;
  unused_update(kind, current, target, critical);
  if (critical_mask) *critical_mask = critical;
  const unsigned n = popcount(critical);
  return n == 0 ? EntryUpdate::kNone : n == 1 ? EntryUpdate::kHitless : EntryUpdate::kBreaking;
}

unsigned write_entry(EntryKind kind, const EntryWords& target, EntryWriterOps& ops) {
  EntryWords cur{};
  for (unsigned i = 0; i < kEntryQwords; ++i) cur[i] = ops.read_qword(i);
  unsigned syncs = 0;
  // Stores qwords [first, first + n) of w that differ from memory; syncs if any did.
  auto step = [&](const EntryWords& w, unsigned first, unsigned n) {
    bool changed = false;
    for (unsigned i = first; i < first + n; ++i) {
      if (cur[i] == w[i]) continue;
      ops.write_qword(i, w[i]);
      cur[i] = w[i];
      changed = true;
    }
    if (changed) {
      ops.sync();
      ++syncs;
    }
  };

  unsigned critical = 0;
  EntryWords staged = unused_update(kind, cur, target, critical);
  switch (popcount(critical)) {
    case 0:
      step(target, 0, kEntryQwords);
      break;
    case 1: {
      const unsigned c = lowest_bit(critical);
      staged[c] = cur[c];  // the critical qword is written whole in the next step
      step(staged, 0, kEntryQwords);
      step(target, c, 1);
      step(target, 0, kEntryQwords);  // bits the target does not use
      break;
    }
    default: {
      EntryWords invalid = cur;
      invalid[0] = 0;  // V = 0 for both an STE (bit 0) and a CD (bit 31)
      step(invalid, 0, 1);
      step(target, 1, kEntryQwords - 1);
      step(target, 0, 1);
      break;
    }
  }
  return syncs;
}

}  // namespace smmu::driver
