// SPDX-License-Identifier: Apache-2.0
// Hitless STE/CD updates: the used bits of each configuration, the number of syncs of
// the transitions Linux's driver tests (bypass, abort, S1 CD table, S2, CD V=0, CD ASID
// change), and, for each transition and for random ones, every entry the SMMU could
// fetch while the update runs: between two syncs it may read each qword at any moment,
// so any combination of the values each qword had in that window. Each such entry must
// be invalid or equal, in the bits it uses, to the old or the new entry.
#include "driver/entry_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "rtl_model/arch/bits.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

using arch::field_mask;

// --- entries as the driver builds them (Linux's make functions: unused fields zero)

EntryWords abort_ste() {
  arch::Ste s;
  s.valid = true;
  s.config = static_cast<uint8_t>(arch::SteConfig::kAbort);
  return s.encode();
}

EntryWords bypass_ste() {
  arch::Ste s;
  s.valid = true;
  s.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
  s.shcfg = 1;  // incoming shareability
  return s.encode();
}

EntryWords cdtable_ste(bool ats, uint8_t s1dss = 2 /* SSID 0 */) {
  arch::Ste s;
  s.valid = true;
  s.config = static_cast<uint8_t>(arch::SteConfig::kS1);
  s.s1fmt = 2;
  s.s1_context_ptr = 0x4123'4000;
  s.s1cdmax = 10;
  s.s1dss = s1dss;
  s.s1cir = s.s1cor = 1;
  s.s1csh = 3;
  s.eats = ats ? 1 : 0;
  if (s1dss == 1) s.shcfg = 1;
  return s.encode();
}

EntryWords s2_ste(bool ats, uint16_t vmid = 5, uint64_t ttb = 0x4555'0000) {
  arch::Ste s;
  s.valid = true;
  s.config = static_cast<uint8_t>(arch::SteConfig::kS2);
  s.shcfg = 1;
  s.eats = ats ? 1 : 0;
  s.s2vmid = vmid;
  s.s2t0sz = 16;
  s.s2sl0 = 2;
  s.s2ir0 = s.s2or0 = 1;
  s.s2sh0 = 3;
  s.s2ps = 5;
  s.s2aa64 = true;
  s.s2r = true;
  s.s2ttb = ttb;
  return s.encode();
}

EntryWords s1_cd(uint16_t asid, uint64_t ttb0 = 0x4666'0000) {
  arch::Cd c;
  c.valid = true;
  c.aa64 = true;
  c.t0sz = 16;
  c.irgn0 = c.orgn0 = 1;
  c.sh0 = 3;
  c.epd1 = true;
  c.ips = 5;
  c.r = c.a = c.aset = true;
  c.asid = asid;
  c.ttb0 = ttb0;
  c.mair = 0xf404ff44;
  return c.encode();
}

EntryWords zero_cd() { return EntryWords{}; }

// --- the SMMU's view of an entry under update

class DeviceView : public EntryWriterOps {
 public:
  explicit DeviceView(const EntryWords& initial) : mem(initial) { windows.push_back({initial}); }
  uint64_t read_qword(unsigned i) override { return mem.at(i); }
  void write_qword(unsigned i, uint64_t v) override {
    mem.at(i) = v;
    ++writes;
    windows.back().push_back(mem);
  }
  void sync() override {
    ++syncs;
    windows.push_back({mem});
  }

  EntryWords mem;
  std::vector<std::vector<EntryWords>> windows;  // states between syncs, in order
  unsigned syncs = 0, writes = 0;
};

// Every entry a fetch could assemble: per window, any mix of the values each qword had.
std::vector<EntryWords> observable(const DeviceView& v) {
  std::vector<EntryWords> out;
  for (const auto& w : v.windows) {
    std::vector<std::vector<uint64_t>> values(kEntryQwords);
    for (unsigned i = 0; i < kEntryQwords; ++i) {
      std::set<uint64_t> seen;
      for (const EntryWords& e : w) seen.insert(e[i]);
      values[i].assign(seen.begin(), seen.end());
    }
    std::vector<size_t> pick(kEntryQwords, 0);
    for (;;) {
      EntryWords e;
      for (unsigned i = 0; i < kEntryQwords; ++i) e[i] = values[i][pick[i]];
      out.push_back(e);
      unsigned i = 0;
      while (i < kEntryQwords && ++pick[i] == values[i].size()) pick[i++] = 0;
      if (i == kEntryQwords) break;
    }
  }
  return out;
}

// obs is ref as far as the SMMU is concerned: same used bits, same values in them.
bool same_for_smmu(EntryKind kind, const EntryWords& obs, const EntryWords& ref) {
  const EntryWords used = entry_used_bits(kind, ref);
  for (unsigned i = 0; i < kEntryQwords; ++i)
    if ((obs[i] ^ ref[i]) & used[i]) return false;
  return entry_used_bits(kind, obs) == used;
}

std::string hex(const EntryWords& e) {
  std::ostringstream s;
  s << std::hex;
  for (uint64_t q : e) s << q << " ";
  return s.str();
}

testing::AssertionResult never_mixed(EntryKind kind, const EntryWords& from, const EntryWords& to,
                                     const DeviceView& v) {
  for (const EntryWords& obs : observable(v)) {
    if (!entry_valid(kind, obs)) continue;
    if (same_for_smmu(kind, obs, from) || same_for_smmu(kind, obs, to)) continue;
    return testing::AssertionFailure() << "the SMMU could fetch " << hex(obs) << "\n  old "
                                       << hex(from) << "\n  new " << hex(to);
  }
  return testing::AssertionSuccess();
}

// Runs one update on a fresh view and checks the end state and every observation.
unsigned transition(EntryKind kind, const EntryWords& from, const EntryWords& to) {
  DeviceView v(from);
  const unsigned syncs = write_entry(kind, to, v);
  EXPECT_EQ(v.mem, to);
  EXPECT_EQ(syncs, v.syncs);
  EXPECT_TRUE(never_mixed(kind, from, to, v));
  return syncs;
}

// --- used bits

TEST(EntryUsedBits, SteByConfiguration) {
  EntryWords junk;
  junk.fill(~uint64_t{0});
  junk[0] &= ~uint64_t{1};  // V = 0
  EXPECT_EQ(ste_used_bits(junk), (EntryWords{1, 0, 0, 0, 0, 0, 0, 0}));

  EXPECT_EQ(ste_used_bits(abort_ste()), (EntryWords{field_mask(3, 0), 0, 0, 0, 0, 0, 0, 0}));

  const EntryWords byp = ste_used_bits(bypass_ste());
  EXPECT_EQ(byp[0], field_mask(3, 0));
  EXPECT_TRUE(byp[1] & field_mask(45, 44));  // SHCFG
  EXPECT_FALSE(byp[1] & field_mask(29, 28));  // EATS
  EXPECT_EQ(byp[2] | byp[3], 0u);

  const EntryWords s1 = ste_used_bits(cdtable_ste(true));
  EXPECT_EQ(s1[0] & field_mask(51, 6), field_mask(51, 6));  // S1ContextPtr
  EXPECT_TRUE(s1[1] & field_mask(29, 28));
  EXPECT_FALSE(s1[1] & field_mask(45, 44));  // SHCFG ignored: S1DSS is not bypass
  EXPECT_TRUE(ste_used_bits(cdtable_ste(true, 1))[1] & field_mask(45, 44));
  EXPECT_EQ(s1[2], field_mask(15, 0));  // S2VMID only
  EXPECT_EQ(s1[3], 0u);

  const EntryWords s2 = ste_used_bits(s2_ste(false));
  EXPECT_EQ(s2[0], field_mask(3, 0));
  EXPECT_EQ(s2[3], field_mask(51, 4));
  EXPECT_TRUE(s2[1] & field_mask(25, 25));  // S2FWB
}

TEST(EntryUsedBits, CdByValidAndEpd) {
  EntryWords junk;
  junk.fill(~uint64_t{0});
  junk[0] &= ~(uint64_t{1} << 31);
  EXPECT_EQ(cd_used_bits(junk), (EntryWords{uint64_t{1} << 31, 0, 0, 0, 0, 0, 0, 0}));
  const EntryWords u = cd_used_bits(s1_cd(3));  // EPD1: the TTB1 half is ignored
  EXPECT_EQ(u[1], ~uint64_t{0});
  EXPECT_EQ(u[2] & field_mask(51, 4), 0u);
  EXPECT_EQ(u[0] & field_mask(21, 16), 0u);  // T1SZ
  EXPECT_EQ(u[0] & field_mask(5, 0), field_mask(5, 0));
  arch::Cd c = arch::Cd::decode(s1_cd(3));
  c.epd0 = true;
  const EntryWords v = cd_used_bits(c.encode());
  EXPECT_EQ(v[1] & field_mask(51, 4), 0u);
  EXPECT_EQ(v[0] & field_mask(13, 0), 0u);
}

// --- the transitions of Linux's tests (fact sheet), both ways

struct Transition {
  const char* name;
  EntryKind kind;
  EntryWords a, b;
  unsigned syncs_ab, syncs_ba;
};

TEST(EntryWriter, TransitionSyncCountsAndNoMixedEntry) {
  const Transition cases[] = {
      {"bypass<->abort", EntryKind::kSte, bypass_ste(), abort_ste(), 2, 2},
      {"S1 CD table (ATS)<->abort", EntryKind::kSte, cdtable_ste(true), abort_ste(), 2, 2},
      {"CD table<->bypass", EntryKind::kSte, cdtable_ste(false), bypass_ste(), 3, 3},
      {"CD table (ATS)<->bypass", EntryKind::kSte, cdtable_ste(true), bypass_ste(), 3, 3},
      {"S2 (ATS)<->abort", EntryKind::kSte, s2_ste(true), abort_ste(), 2, 2},
      {"S2<->bypass", EntryKind::kSte, s2_ste(false), bypass_ste(), 2, 2},
      {"S1<->S2", EntryKind::kSte, cdtable_ste(false), s2_ste(false), 3, 3},
      {"CD zero<->S1", EntryKind::kCd, zero_cd(), s1_cd(0x42), 2, 2},
      {"CD ASID change", EntryKind::kCd, s1_cd(0x42), s1_cd(0x43), 1, 1},
  };
  for (const Transition& t : cases) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(transition(t.kind, t.a, t.b), t.syncs_ab);
    EXPECT_EQ(transition(t.kind, t.b, t.a), t.syncs_ba);
  }
}

TEST(EntryWriter, HitlessAndBreakingPlans) {
  unsigned crit = 0;
  EXPECT_EQ(plan_entry_update(EntryKind::kSte, bypass_ste(), abort_ste(), &crit), EntryUpdate::kHitless);
  EXPECT_EQ(crit, 1u);
  EXPECT_EQ(plan_entry_update(EntryKind::kSte, cdtable_ste(false), s2_ste(false), &crit),
            EntryUpdate::kBreaking);
  EXPECT_EQ(crit, 0b101u);  // Config (qw0) and S2VMID (qw2)
  EXPECT_EQ(plan_entry_update(EntryKind::kCd, s1_cd(1), s1_cd(2), &crit), EntryUpdate::kHitless);
  EXPECT_EQ(crit, 1u);
  EXPECT_EQ(plan_entry_update(EntryKind::kCd, s1_cd(1), s1_cd(1)), EntryUpdate::kNone);
}

TEST(EntryWriter, BreakingUpdateGoesThroughAnInvalidEntry) {
  const EntryWords from = s2_ste(true, 5, 0x4555'0000), to = s2_ste(true, 9, 0x4777'0000);
  DeviceView v(from);
  EXPECT_EQ(write_entry(EntryKind::kSte, to, v), 3u);
  ASSERT_EQ(v.windows.size(), 4u);
  // After the first sync the SMMU can only see an invalid entry until the last store.
  for (const EntryWords& e : v.windows[1]) EXPECT_FALSE(entry_valid(EntryKind::kSte, e));
  for (size_t i = 0; i + 1 < v.windows[2].size(); ++i)
    EXPECT_FALSE(entry_valid(EntryKind::kSte, v.windows[2][i]));
  EXPECT_EQ(v.windows[2].back(), to);
  EXPECT_TRUE(never_mixed(EntryKind::kSte, from, to, v));
}

TEST(EntryWriter, NothingUsedChangesIsOneStepOrNone) {
  EXPECT_EQ(transition(EntryKind::kSte, abort_ste(), abort_ste()), 0u);
  // A stale S1 context pointer in an aborting STE: not read, written in one step.
  arch::Ste s = arch::Ste::decode(abort_ste());
  s.s1_context_ptr = 0x4000'0000;
  DeviceView v(abort_ste());
  EXPECT_EQ(write_entry(EntryKind::kSte, s.encode(), v), 1u);
  EXPECT_EQ(v.writes, 1u);
  EXPECT_EQ(v.mem, s.encode());
}

// The checker itself: a naive update (all qwords, then one sync) of S1 -> S2 lets the
// SMMU fetch a mix, and the check says so.
TEST(EntryWriter, CheckerCatchesANaiveUpdate) {
  const EntryWords from = cdtable_ste(false), to = s2_ste(false);
  DeviceView v(from);
  for (unsigned i = 0; i < kEntryQwords; ++i)
    if (from[i] != to[i]) v.write_qword(i, to[i]);
  v.sync();
  EXPECT_FALSE(never_mixed(EntryKind::kSte, from, to, v));
}

// --- random entries, random transitions

EntryWords random_ste(std::mt19937_64& rng) {
  arch::Ste s;
  const unsigned kind = rng() % 6;
  s.valid = kind != 0;
  s.config = std::array<uint8_t, 6>{0, 0, 4, 5, 6, 7}[kind];
  const bool s1 = s.config == 5 || s.config == 7, s2 = s.config >= 6;
  if (s1) {
    s.s1fmt = rng() % 3;
    s.s1_context_ptr = (rng() % 4 + 1) << 20;
    s.s1cdmax = rng() % 3;
    s.s1dss = rng() % 3;
    s.s1cir = s.s1cor = rng() % 2;
    s.strw = rng() % 2;
    s.s2vmid = rng() % 3;
  }
  if (s1 || s2) s.eats = rng() % 2;
  if (s.config == 4 || s2 || s.s1dss == 1) s.shcfg = rng() % 2;
  if (s2) {
    s.s2vmid = rng() % 3;
    s.s2t0sz = 16 + rng() % 2;
    s.s2sl0 = 2;
    s.s2aa64 = true;
    s.s2ps = 5;
    s.s2ttb = (rng() % 4 + 1) << 24;
  }
  EntryWords e = s.encode();
  if (rng() % 4 == 0) e[1 + rng() % 3] |= uint64_t{1} << (rng() % 64);  // a stray unused bit
  return e;
}

EntryWords random_cd(std::mt19937_64& rng) {
  if (rng() % 5 == 0) return zero_cd();
  arch::Cd c = arch::Cd::decode(s1_cd(static_cast<uint16_t>(rng() % 3), (rng() % 3 + 1) << 24));
  c.valid = rng() % 6 != 0;
  c.epd0 = rng() % 4 == 0;
  c.epd1 = rng() % 4 != 0;
  c.t0sz = 16 + rng() % 2;
  c.ttb1 = (rng() % 2) << 28;
  c.mair = rng() % 2 ? 0xf404ff44 : 0xff;
  return c.encode();
}

TEST(EntryWriter, RandomTransitionsAreNeverMixed) {
  std::mt19937_64 rng(42);
  unsigned counts[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) {
    const EntryKind kind = i % 2 ? EntryKind::kSte : EntryKind::kCd;
    const EntryWords from = kind == EntryKind::kSte ? random_ste(rng) : random_cd(rng);
    const EntryWords to = kind == EntryKind::kSte ? random_ste(rng) : random_cd(rng);
    const EntryUpdate plan = plan_entry_update(kind, from, to);
    DeviceView v(from);
    const unsigned syncs = write_entry(kind, to, v);
    ASSERT_EQ(v.mem, to) << hex(from) << " -> " << hex(to);
    ASSERT_TRUE(never_mixed(kind, from, to, v));
    switch (plan) {
      case EntryUpdate::kNone: ASSERT_LE(syncs, 1u); break;
      case EntryUpdate::kHitless: ASSERT_GE(syncs, 1u); ASSERT_LE(syncs, 3u); break;
      case EntryUpdate::kBreaking: ASSERT_EQ(syncs, 3u); break;
    }
    ++counts[static_cast<int>(plan)];
  }
  EXPECT_GT(counts[0], 50u);
  EXPECT_GT(counts[1], 200u);
  EXPECT_GT(counts[2], 200u);
}

// --- through the Os: 64-bit stores to DMA memory, barrier before each sync

class BarrierOs : public test::HostOs {
 public:
  std::vector<char> log;  // 'w' store, 'b' barrier, 's' sync
  void mem_write(uint64_t pa, const void* data, size_t len) override {
    HostOs::mem_write(pa, data, len);
    EXPECT_EQ(len, 8u);
    log.push_back('w');
  }
  void dma_wmb() override { log.push_back('b'); }
};

TEST(EntryWriter, OsOpsWriteQwordsAndBarrierBeforeSync) {
  BarrierOs os;
  const uint64_t pa = os.dma_alloc(64, 64);
  const EntryWords from = cdtable_ste(true);
  for (unsigned i = 0; i < kEntryQwords; ++i) os.write64(pa + 8 * i, from[i]);
  os.log.clear();
  unsigned syncs = 0;
  OsEntryWriterOps ops(os, pa, [&] {
    ++syncs;
    os.log.push_back('s');
  });
  const EntryWords to = s2_ste(true);
  EXPECT_EQ(write_entry(EntryKind::kSte, to, ops), 3u);
  EXPECT_EQ(syncs, 3u);
  for (unsigned i = 0; i < kEntryQwords; ++i) EXPECT_EQ(os.read64(pa + 8 * i), to[i]);
  for (size_t i = 0; i < os.log.size(); ++i)
    if (os.log[i] == 's') {
      ASSERT_GT(i, 0u);
      EXPECT_EQ(os.log[i - 1], 'b');
    }
  EXPECT_EQ(os.log.front(), 'w');
  EXPECT_EQ(os.log.back(), 's');
}

}  // namespace
}  // namespace smmu::driver
