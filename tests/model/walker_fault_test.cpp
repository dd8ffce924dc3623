// SPDX-License-Identifier: Apache-2.0
// Every fault a walk can end in: translation (invalid descriptors at each level,
// reserved level-3 encoding, blocks where not allowed, input out of range, EPD), address
// size, access flag (and AFFD), permission (stage-1 AP/XN/PXN/UXN and the hierarchical
// table bits, stage-2 S2AP/XN), external aborts with the fetch address, and the stage-2
// faults of a nested walk with their class and IPA.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

#include "platform/software/table_builder.h"
#include "rtl_model/smmu/regime.h"
#include "rtl_model/smmu/table_walker.h"
#include "support/walk_test_memory.h"

namespace {

using namespace smmu::test;

using namespace smmu;
using model::Access;
using model::FaultClass;
using model::FaultType;
using model::StageConfig;
using model::WalkRequest;
using model::WalkResult;
using sc_core::SC_NS;
using sc_core::sc_time;

arch::S1LeafAttrs s1_attrs(uint8_t ap = 1, bool af = true) {
  arch::S1LeafAttrs a;
  a.af = af;
  a.ap = ap;
  return a;
}

arch::S2LeafAttrs s2_attrs(uint8_t s2ap = 3, bool af = true) {
  arch::S2LeafAttrs a;
  a.af = af;
  a.s2ap = s2ap;
  return a;
}

// Stage 1, 4K, 48-bit (4 levels), tables at 0x10000000.
struct S1Fixture : testing::Test {
  FakeMemory mem;
  platform::PageAllocator alloc{0x10000000, 0x1000000};
  platform::PageTableBuilder b{mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1};
  arch::Cd cd;
  model::Stage1Regime s1;
  model::TableWalker walker{mem, nullptr, {kLookup}};

  S1Fixture() {
    cd.valid = cd.aa64 = true;
    cd.t0sz = 16;
    cd.epd1 = true;
    cd.ips = 5;
    cd.ttb0 = b.root();
    redecode();
  }
  void redecode() {
    std::string why;
    ASSERT_TRUE(model::decode_cd_regime(cd, {}, s1, &why)) << why;
  }
  WalkResult walk(uint64_t iova, Access a = {}) {
    WalkRequest req;
    req.iova = iova;
    req.access = a;
    req.s1 = &s1;
    sc_time delay = sc_core::SC_ZERO_TIME;
    mem.reads.clear();
    WalkResult r = walker.walk(req, delay);
    EXPECT_EQ(delay, kReadLatency * r.memory_reads);
    EXPECT_EQ(r.memory_reads, mem.reads.size());
    return r;
  }
};

constexpr uint64_t kVa = 0x0000765432109000ull;

TEST_F(S1Fixture, InvalidDescriptorAtEachLevel) {
  for (int level = 0; level <= 3; ++level) {
    b.map(kVa, 0x40000000, 0x1000, s1_attrs(), false);
    ASSERT_TRUE(walk(kVa).ok());
    const uint64_t saved = b.read_entry(kVa, level);
    b.write_entry(kVa, level, saved & ~uint64_t{1});  // V = 0
    WalkResult r = walk(kVa + 8);
    EXPECT_EQ(r.fault, FaultType::kTranslation) << level;
    EXPECT_EQ(r.level, level);
    EXPECT_FALSE(r.fault_stage2);
    EXPECT_EQ(r.memory_reads, unsigned(level + 1));
    b.write_entry(kVa, level, saved);
  }
}

TEST_F(S1Fixture, ReservedLevel3AndMisplacedBlocks) {
  b.map(kVa, 0x40000000, 0x1000, s1_attrs(), false);
  // Level 3 with bit 1 clear is reserved.
  const uint64_t page = b.read_entry(kVa, 3);
  b.write_entry(kVa, 3, page & ~uint64_t{2});
  WalkResult r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_EQ(r.level, 3);
  // A block at level 0 is never allowed with 4K.
  const uint64_t l0 = b.read_entry(kVa, 0);
  b.write_entry(kVa, 0, arch::make_s1_leaf(0, 0, s1_attrs()));
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_EQ(r.level, 0);
  EXPECT_EQ(r.memory_reads, 1u);
  b.write_entry(kVa, 0, l0);
  // Blocks at levels 1 and 2 are.
  b.write_entry(kVa, 1, arch::make_s1_leaf(0x80000000, 1, s1_attrs()));
  r = walk(kVa);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x80000000 + (kVa & 0x3fffffff));
}

// 16K level 1 and 64K level 1 blocks are not allowed without 52-bit addressing.
TEST(WalkerFaults, BlocksNotAllowedFor16kAnd64kAtLevel1) {
  for (unsigned gs : {14u, 16u}) {
    FakeMemory mem;
    platform::PageAllocator alloc(0x10000000, 0x1000000);
    platform::PageTableBuilder b(mem, alloc, arch::Granule{gs}, 1, 1, platform::Stage::kS1);
    arch::Cd cd;
    cd.valid = cd.aa64 = true;
    cd.t0sz = 17;  // 47 bits: 16K level 1; 64K level 1
    cd.tg0 = gs == 14 ? 2 : 1;
    cd.epd1 = true;
    cd.ips = 5;
    cd.ttb0 = b.root();
    model::Stage1Regime s1;
    ASSERT_TRUE(model::decode_cd_regime(cd, {}, s1, nullptr));
    ASSERT_EQ(s1.half[0].start_level, 1);
    b.write_entry(0, 1, arch::make_s1_leaf(0, 1, s1_attrs()));
    model::TableWalker walker(mem, nullptr, {kLookup});
    WalkRequest req;
    req.s1 = &s1;
    sc_time delay;
    WalkResult r = walker.walk(req, delay);
    EXPECT_EQ(r.fault, FaultType::kTranslation) << gs;
    EXPECT_EQ(r.level, 1);
    // A level-2 block is fine.
    const uint64_t span = uint64_t{1} << arch::Granule{gs}.level_shift(2);
    const uint64_t iova = (uint64_t{1} << arch::Granule{gs}.level_shift(1)) + span;
    b.map(iova, 4 * span, span, s1_attrs(), true);
    req.iova = iova + 0x48;
    r = walker.walk(req, delay);
    ASSERT_TRUE(r.ok()) << gs;
    EXPECT_EQ(r.out_addr, 4 * span + 0x48);
    EXPECT_EQ(r.level, 2);
  }
}

TEST_F(S1Fixture, InputOutOfRangeAndEpd) {
  cd.t0sz = 25;  // 39-bit VA
  platform::PageTableBuilder b39(mem, alloc, arch::Granule{12}, 1, 1, platform::Stage::kS1);
  cd.ttb0 = b39.root();
  redecode();
  b39.map(0x7ffffff000, 0x40000000, 0x1000, s1_attrs(), false);
  EXPECT_TRUE(walk(0x7ffffff000).ok());
  // Bit 39 set but not all the upper bits: neither half.
  WalkResult r = walk(0x8000000000);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_EQ(r.level, 0);
  EXPECT_EQ(r.memory_reads, 0u);
  // All upper bits set: TTB1, disabled by EPD1.
  r = walk(0xffffff8000000000ull);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_EQ(r.memory_reads, 0u);
  // EPD0 disables the low half.
  cd.epd0 = true;
  redecode();
  r = walk(0x7ffffff000);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_EQ(r.memory_reads, 0u);
}

TEST_F(S1Fixture, AddressSize) {
  cd.ips = 0;  // 32-bit output
  redecode();
  ASSERT_EQ(s1.half[0].output_bits, 32u);
  b.map(kVa, 0x100000000ull, 0x1000, s1_attrs(), false);  // leaf above 4 GiB
  WalkResult r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kAddrSize);
  EXPECT_EQ(r.level, 3);
  b.map(kVa, 0xfffff000, 0x1000, s1_attrs(), false);
  EXPECT_TRUE(walk(kVa).ok());
  // A next-table address above the output size, at level 1.
  const uint64_t l1 = b.read_entry(kVa, 1);
  b.write_entry(kVa, 1, arch::make_table_descriptor(0x200000000ull));
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kAddrSize);
  EXPECT_EQ(r.level, 1);
  EXPECT_EQ(r.memory_reads, 2u);
  b.write_entry(kVa, 1, l1);
  // A block address above it.
  b.write_entry(kVa, 2, arch::make_s1_leaf(0x7fe00000ull | (1ull << 40), 2, s1_attrs()));
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kAddrSize);
  EXPECT_EQ(r.level, 2);
  // The TTB itself above the output size makes the CD ILLEGAL (C_BAD_CD), not an Address
  // Size fault (IHI 0070 §3.4.3, CD.TTB0): regime decoding refuses it, and the walker
  // treats such a config as its caller's error.
  cd.ttb0 = 0x100000000ull;
  std::string why;
  EXPECT_FALSE(model::decode_cd_regime(cd, {}, s1, &why));
  EXPECT_NE(why.find("CD.TTB0"), std::string::npos) << why;
  model::Stage1Regime bad = s1;
  bad.half[0].ttb = 0x100000000ull;
  bad.half[0].output_bits = 32;
  WalkRequest req;
  req.iova = kVa;
  req.s1 = &bad;
  sc_time delay = sc_core::SC_ZERO_TIME;
  EXPECT_THROW(walker.walk(req, delay), std::invalid_argument);
}

TEST_F(S1Fixture, AccessFlagAndAffd) {
  b.map(kVa, 0x40000000, 0x1000, s1_attrs(1, false), false);
  b.map(0x40000000, 0x80000000, 0x200000, s1_attrs(1, false), true);  // a block
  WalkResult r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kAccess);
  EXPECT_EQ(r.level, 3);
  r = walk(0x40000000);
  EXPECT_EQ(r.fault, FaultType::kAccess);
  EXPECT_EQ(r.level, 2);
  cd.affd = true;
  redecode();
  EXPECT_TRUE(walk(kVa).ok());
  EXPECT_TRUE(walk(0x40000000).ok());
}

TEST_F(S1Fixture, LeafPermissions) {
  struct Case {
    uint8_t ap;
    bool pxn, uxn;
    Access a;
    bool ok;
  } cases[] = {
      {2, false, false, acc(false, true), true},          // RO, EL1: read ok
      {2, false, false, acc(true, true), false},          // RO: write faults
      {3, false, false, acc(false, false), true},         // RO, EL0 allowed
      {3, false, false, acc(true, false), false},
      {0, false, false, acc(true, true), true},           // RW, EL1 only
      {0, false, false, acc(false, false), false},        // EL0 denied by AP[1] = 0
      {1, false, false, acc(true, false), true},          // RW at EL0
      {3, false, true, acc(false, false, true), false},   // UXN: EL0 fetch faults
      {3, false, true, acc(false, true, true), true},     //       EL1 fetch ok
      {3, true, false, acc(false, true, true), false},    // PXN: EL1 fetch faults
      {3, true, false, acc(false, false, true), true},    //       EL0 fetch ok
      {1, false, false, acc(false, true, true), false},   // EL0-writable: implicitly PXN
      {1, false, false, acc(false, false, true), true},
  };
  int i = 0;
  for (const Case& c : cases) {
    arch::S1LeafAttrs a = s1_attrs(c.ap);
    a.pxn = c.pxn;
    a.uxn = c.uxn;
    b.map(kVa, 0x40000000, 0x1000, a, false);
    WalkResult r = walk(kVa, c.a);
    EXPECT_EQ(r.ok(), c.ok) << "case " << i;
    if (!c.ok) {
      EXPECT_EQ(r.fault, FaultType::kPermission) << "case " << i;
      EXPECT_FALSE(r.fault_stage2);
      EXPECT_EQ(r.level, 3);
    }
    ++i;
  }
}

TEST_F(S1Fixture, HierarchicalTableAttributes) {
  b.map(kVa, 0x40000000, 0x1000, s1_attrs(1), false);  // RW, EL0, executable
  struct Case {
    int level;
    arch::S1TableAttrs t;
    Access denied, allowed;
  };
  arch::S1TableAttrs ro, nouser, xn, pxn;
  ro.ap_table = 2;
  nouser.ap_table = 1;
  xn.xn_table = true;
  pxn.pxn_table = true;
  const Case cases[] = {
      {0, ro, acc(true, true), acc(false, false)},
      {2, nouser, acc(false, false), acc(true, true)},
      {1, xn, acc(false, false, true), acc(false, false)},
      {0, pxn, acc(false, false, false), acc(false, false, true)},
  };
  int i = 0;
  for (const Case& c : cases) {
    b.set_table_attrs(kVa, c.level, c.t);
    WalkResult r = walk(kVa, c.allowed);
    EXPECT_TRUE(r.ok()) << "case " << i;
    b.set_table_attrs(kVa, c.level, {});
    ++i;
  }
  // Denials, one attribute at a time at different levels.
  b.set_table_attrs(kVa, 0, ro);
  EXPECT_EQ(walk(kVa, acc(true, true)).fault, FaultType::kPermission);
  b.set_table_attrs(kVa, 0, {});
  b.set_table_attrs(kVa, 2, nouser);
  EXPECT_EQ(walk(kVa, acc(false, false)).fault, FaultType::kPermission);
  b.set_table_attrs(kVa, 2, {});
  b.set_table_attrs(kVa, 1, xn);
  EXPECT_EQ(walk(kVa, acc(false, false, true)).fault, FaultType::kPermission);
  b.set_table_attrs(kVa, 1, {});
  // PXNTable: privileged fetch faults (the leaf is AP = 3 so not implicitly PXN).
  b.map(kVa, 0x40000000, 0x1000, s1_attrs(3), false);
  EXPECT_TRUE(walk(kVa, acc(false, true, true)).ok());
  b.set_table_attrs(kVa, 2, pxn);
  WalkResult r = walk(kVa, acc(false, true, true));
  EXPECT_EQ(r.fault, FaultType::kPermission);
  EXPECT_FALSE(r.perms.s1.pexec);
  EXPECT_TRUE(r.perms.s1.uexec);
  // Attributes accumulate: read-only at level 0 and no-EL0 at level 2 both apply.
  b.set_table_attrs(kVa, 0, ro);
  b.set_table_attrs(kVa, 2, nouser);
  r = walk(kVa, acc(false, true));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.perms.s1.write);
  EXPECT_FALSE(r.perms.s1.user);
  EXPECT_TRUE(r.perms.s1.pexec);
}

TEST_F(S1Fixture, ExternalAbortAtEachLevel) {
  b.map(kVa, 0x40000000, 0x1000, s1_attrs(), false);
  for (int level = 0; level <= 3; ++level) {
    const uint64_t pa = b.entry_pa(kVa, level, false);
    mem.aborts = {pa};
    WalkResult r = walk(kVa);
    EXPECT_EQ(r.fault, FaultType::kWalkEabt);
    EXPECT_EQ(r.fetch_addr, pa);
    EXPECT_EQ(r.level, level);
    EXPECT_EQ(r.memory_reads, unsigned(level + 1));
    EXPECT_FALSE(r.fault_stage2);
  }
}

// Stage 2 only, 4K, 40-bit IPA from level 1 (2 concatenated tables).
struct S2Fixture : testing::Test {
  FakeMemory mem;
  platform::PageAllocator alloc{0x10000000, 0x1000000};
  platform::PageTableBuilder b{mem, alloc, arch::Granule{12}, 1, 2, platform::Stage::kS2};
  arch::Ste ste;
  StageConfig s2;
  model::TableWalker walker{mem, nullptr, {kLookup}};

  S2Fixture() {
    ste.valid = true;
    ste.config = 6;
    ste.s2aa64 = true;
    ste.s2t0sz = 24;
    ste.s2sl0 = 1;
    ste.s2ps = 5;
    ste.s2ttb = b.root();
    redecode();
  }
  void redecode() {
    std::string why;
    ASSERT_TRUE(model::decode_ste_stage2(ste, {}, s2, &why)) << why;
  }
  WalkResult walk(uint64_t ipa, Access a = {}) {
    WalkRequest req;
    req.iova = ipa;
    req.access = a;
    req.s2 = &s2;
    sc_time delay = sc_core::SC_ZERO_TIME;
    WalkResult r = walker.walk(req, delay);
    EXPECT_EQ(delay, kReadLatency * r.memory_reads);
    return r;
  }
};

constexpr uint64_t kIpa = 0x8765432000ull;  // bit 39 set: second concatenated table

TEST_F(S2Fixture, TranslationFaults) {
  b.map(kIpa, 0x40000000, 0x1000, s2_attrs(), false);
  ASSERT_TRUE(walk(kIpa).ok());
  for (int level = 1; level <= 3; ++level) {
    const uint64_t saved = b.read_entry(kIpa, level);
    b.write_entry(kIpa, level, 0);
    WalkResult r = walk(kIpa + 0x10);
    EXPECT_EQ(r.fault, FaultType::kTranslation);
    EXPECT_TRUE(r.fault_stage2);
    EXPECT_EQ(r.fault_class, FaultClass::kInputAddress);
    EXPECT_EQ(r.fault_ipa, kIpa + 0x10);
    EXPECT_EQ(r.level, level);
    EXPECT_EQ(r.memory_reads, unsigned(level));
    b.write_entry(kIpa, level, saved);
  }
  // IPA beyond the 40-bit input size.
  WalkResult r = walk(0x10000000000ull);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_ipa, 0x10000000000ull);
  EXPECT_EQ(r.memory_reads, 0u);
}

TEST_F(S2Fixture, AddressSizeAccessFlagAndAbort) {
  ste.s2ps = 2;  // 40-bit output
  redecode();
  b.map(kIpa, 0x10000000000ull, 0x1000, s2_attrs(), false);
  WalkResult r = walk(kIpa);
  EXPECT_EQ(r.fault, FaultType::kAddrSize);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_ipa, kIpa);

  b.map(kIpa, 0x40000000, 0x1000, s2_attrs(3, false), false);
  r = walk(kIpa);
  EXPECT_EQ(r.fault, FaultType::kAccess);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.level, 3);
  ste.s2affd = true;
  redecode();
  EXPECT_TRUE(walk(kIpa).ok());

  const uint64_t pa = b.entry_pa(kIpa, 2, false);
  mem.aborts = {pa};
  r = walk(kIpa);
  EXPECT_EQ(r.fault, FaultType::kWalkEabt);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fetch_addr, pa);
  EXPECT_EQ(r.level, 2);
}

TEST_F(S2Fixture, Permissions) {
  struct Case {
    uint8_t s2ap, xn;
    Access a;
    bool ok;
  } cases[] = {
      {1, 0, acc(false, false), true},          // read only
      {1, 0, acc(true, true), false},
      {2, 0, acc(true, false), true},           // write only
      {2, 0, acc(false, true), false},
      {0, 0, acc(false, true), false},          // no access
      {3, 2, acc(false, true, true), false},    // XN: no fetch at either EL
      {3, 2, acc(false, false, true), false},
      {3, 2, acc(true, false), true},
      {3, 0, acc(false, false, true), true},
      // FEAT_XNX (IDR3.XNX = 1): XN = 01 is EL1 execute-never, 11 EL0 execute-never.
      {3, 1, acc(false, true, true), false},
      {3, 1, acc(false, false, true), true},
      {3, 3, acc(false, true, true), true},
      {3, 3, acc(false, false, true), false},
      {0, 0, acc(false, false, true), true},    // execute-only: fetches need no read
  };
  int i = 0;
  for (const Case& c : cases) {
    arch::S2LeafAttrs a = s2_attrs(c.s2ap);
    a.xn = c.xn;
    b.map(kIpa, 0x40000000, 0x1000, a, false);
    WalkResult r = walk(kIpa, c.a);
    EXPECT_EQ(r.ok(), c.ok) << "case " << i;
    if (!c.ok) {
      EXPECT_EQ(r.fault, FaultType::kPermission);
      EXPECT_TRUE(r.fault_stage2);
      EXPECT_EQ(r.fault_class, FaultClass::kInputAddress);
      EXPECT_EQ(r.fault_ipa, kIpa);
    }
    ++i;
  }
}

TEST_F(S2Fixture, TranslateStage2StampsTheGivenClass) {
  b.map(kIpa, 0x40000000, 0x1000, s2_attrs(2), false);  // write only
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = walker.translate_stage2(kIpa + 0x40, s2, Access{}, FaultClass::kCdFetch, delay);
  EXPECT_EQ(r.fault, FaultType::kPermission);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, FaultClass::kCdFetch);
  EXPECT_EQ(r.fault_ipa, kIpa + 0x40);
  EXPECT_EQ(delay, kReadLatency * 3);
  r = walker.translate_stage2(kIpa + 0x2000, s2, Access{}, FaultClass::kCdFetch, delay);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_EQ(r.fault_class, FaultClass::kCdFetch);
  b.map(kIpa, 0x40000000, 0x1000, s2_attrs(1), false);
  delay = sc_core::SC_ZERO_TIME;
  r = walker.translate_stage2(kIpa + 0x40, s2, Access{}, FaultClass::kCdFetch, delay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x40000040u);
  EXPECT_EQ(r.s2_level, 3);
  EXPECT_EQ(delay, kReadLatency * 3);
}

// Nested: 4K stage 1 (48-bit, 4 levels) over 4K stage 2 (39-bit, 3 levels). Guest RAM:
// IPA 0x20000000 -> PA 0x30000000, 4 MiB, with pages.
struct NestedFixture : testing::Test {
  static constexpr uint64_t kGuestIpa = 0x20000000, kGuestPa = 0x30000000, kGuestSize = 0x400000;
  FakeMemory mem;
  platform::PageAllocator host{0x10000000, 0x1000000};
  platform::PageAllocator guest{kGuestIpa, kGuestSize};
  platform::PageTableBuilder s2b{mem, host, arch::Granule{12}, 1, 1, platform::Stage::kS2};
  platform::PageTableBuilder s1b{mem, guest, arch::Granule{12}, 0, 1, platform::Stage::kS1,
                                 [](uint64_t ipa) { return ipa - kGuestIpa + kGuestPa; }};
  model::Stage1Regime s1;
  StageConfig s2;
  model::TableWalker walker{mem, nullptr, {kLookup}};
  static constexpr uint64_t kOutIpa = 0x50000000;

  NestedFixture() {
    s2b.map(kGuestIpa, kGuestPa, kGuestSize, s2_attrs(), false);
    s1b.map(kVa, kOutIpa, 0x1000, s1_attrs(), false);
    s2b.map(kOutIpa, 0x70000000, 0x1000, s2_attrs(), false);
    arch::Cd cd;
    cd.valid = cd.aa64 = true;
    cd.t0sz = 16;
    cd.epd1 = true;
    cd.ips = 5;
    cd.ttb0 = s1b.root();
    EXPECT_TRUE(model::decode_cd_regime(cd, {}, s1, nullptr));
    arch::Ste ste;
    ste.valid = true;
    ste.config = 7;
    ste.s2aa64 = true;
    ste.s2t0sz = 25;
    ste.s2sl0 = 1;
    ste.s2ps = 5;
    ste.s2ttb = s2b.root();
    EXPECT_TRUE(model::decode_ste_stage2(ste, {}, s2, nullptr));
  }
  WalkResult walk(uint64_t iova, Access a = {}) {
    WalkRequest req;
    req.iova = iova;
    req.access = a;
    req.s1 = &s1;
    req.s2 = &s2;
    sc_time delay = sc_core::SC_ZERO_TIME;
    mem.reads.clear();
    WalkResult r = walker.walk(req, delay);
    EXPECT_EQ(delay, kReadLatency * r.memory_reads);
    return r;
  }
  // IPA of the stage-1 descriptor read at `level` for kVa.
  uint64_t desc_ipa(int level) { return s1b.entry_address(kVa, level, false); }
};

TEST_F(NestedFixture, Baseline) {
  WalkResult r = walk(kVa + 0x18);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x70000018u);
  EXPECT_EQ(r.memory_reads, 19u);
}

// Stage 2 cannot translate the IPA of the stage-1 descriptor of each level in turn
// (level 0 = the TTB's table).
TEST_F(NestedFixture, Stage2FaultOnEachTableAddress) {
  for (int level = 0; level <= 3; ++level) {
    const uint64_t ipa = desc_ipa(level);
    const uint64_t page = ipa & ~0xfffull;
    const uint64_t saved = s2b.read_entry(page, 3);
    s2b.write_entry(page, 3, 0);
    WalkResult r = walk(kVa);
    EXPECT_EQ(r.fault, FaultType::kTranslation) << level;
    EXPECT_TRUE(r.fault_stage2);
    EXPECT_EQ(r.fault_class, FaultClass::kTableWalk);
    EXPECT_EQ(r.fault_ipa, ipa);
    EXPECT_EQ(r.level, 3);  // the stage-2 level that faulted
    EXPECT_EQ(r.memory_reads, unsigned(level * 4 + 3));
    s2b.write_entry(page, 3, saved);
  }
  EXPECT_TRUE(walk(kVa).ok());
}

TEST_F(NestedFixture, Stage2PermissionAccessAndAbortOnTables) {
  const uint64_t ipa = desc_ipa(2);
  const uint64_t page = ipa & ~0xfffull;
  const uint64_t good = s2b.read_entry(page, 3);
  // No read permission for the level-2 table.
  s2b.map(page, good & 0xfffffffff000ull, 0x1000, s2_attrs(2), false);
  WalkResult r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kPermission);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, FaultClass::kTableWalk);
  EXPECT_EQ(r.fault_ipa, ipa);
  // Access flag clear on it.
  s2b.map(page, good & 0xfffffffff000ull, 0x1000, s2_attrs(3, false), false);
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kAccess);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, FaultClass::kTableWalk);
  EXPECT_EQ(r.fault_ipa, ipa);
  s2b.write_entry(page, 3, good);
  // External abort on a stage-2 descriptor read while translating it.
  const uint64_t s2_desc = s2b.entry_pa(page, 2, false);
  mem.aborts = {s2_desc};
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kWalkEabt);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, FaultClass::kTableWalk);
  EXPECT_EQ(r.fault_ipa, desc_ipa(0));  // the first table translated already reads it
  EXPECT_EQ(r.fetch_addr, s2_desc);
  // External abort on the stage-1 descriptor itself (at its PA): a stage-1 fault.
  const uint64_t s1_desc = s1b.entry_pa(kVa, 1, false);
  mem.aborts = {s1_desc};
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kWalkEabt);
  EXPECT_FALSE(r.fault_stage2);
  EXPECT_EQ(r.fetch_addr, s1_desc);
  EXPECT_EQ(r.level, 1);
}

TEST_F(NestedFixture, Stage2FaultsOnTheOutput) {
  // Output IPA not mapped by stage 2.
  s2b.write_entry(kOutIpa, 3, 0);
  WalkResult r = walk(kVa + 0x20);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, FaultClass::kInputAddress);
  EXPECT_EQ(r.fault_ipa, kOutIpa + 0x20);
  EXPECT_EQ(r.level, 3);
  // Output IPA above the 39-bit stage-2 input size (stage 1 allows 48 bits).
  s1b.map(kVa, 0x8000000000ull, 0x1000, s1_attrs(), false);
  r = walk(kVa + 0x20);
  EXPECT_EQ(r.fault, FaultType::kTranslation);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, FaultClass::kInputAddress);
  EXPECT_EQ(r.fault_ipa, 0x8000000020ull);
  EXPECT_EQ(r.level, 0);
  EXPECT_EQ(r.memory_reads, 16u);  // the stage-1 walk only
}

// Stage-1 checks come before the stage-2 translation of the output: a stage-1
// permission fault wins over a missing stage-2 mapping, and costs no stage-2 reads.
TEST_F(NestedFixture, Stage1PermissionBeforeStage2Output) {
  s2b.write_entry(kOutIpa, 3, 0);
  s1b.map(kVa, kOutIpa, 0x1000, s1_attrs(3), false);  // read-only
  WalkResult r = walk(kVa, acc(true, false));
  EXPECT_EQ(r.fault, FaultType::kPermission);
  EXPECT_FALSE(r.fault_stage2);
  EXPECT_EQ(r.memory_reads, 16u);
  // Stage-1 access flag likewise.
  s1b.map(kVa, kOutIpa, 0x1000, s1_attrs(1, false), false);
  r = walk(kVa);
  EXPECT_EQ(r.fault, FaultType::kAccess);
  EXPECT_FALSE(r.fault_stage2);
}

}  // namespace
