// SPDX-License-Identifier: Apache-2.0
// Invalidation commands: range TLBI splitting (fact-sheet example, coverage, TTL
// hints), the per-granule form and its "too big" thresholds, ATC_INV spans, the commands
// of each array entry, and the batching of a sorted array.
#include "driver/invalidation_commands.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "support/host_os.h"

namespace smmu::driver {
namespace {

using arch::Command;
using arch::Opcode;

constexpr uint64_t k4K = 0x1000, k16K = 0x4000, k64K = 0x10000, k2M = 0x200000;

void expect_valid(const std::vector<Command>& cmds) {
  for (size_t i = 0; i < cmds.size(); ++i)
    EXPECT_TRUE(arch::command_reserved_bits_clear(cmds[i])) << "command " << i;
}

// Pages covered by range TLBIs, checking they follow each other without gaps.
uint64_t covered_pages(const std::vector<Command>& cmds, unsigned pg, uint64_t start) {
  uint64_t pages = 0, next = start;
  for (const Command& c : cmds) {
    EXPECT_EQ(c.addr(), next);
    const uint64_t n = uint64_t(c.num() + 1) << c.scale();
    pages += n;
    next += n << pg;
  }
  return pages;
}

TEST(RangeTlbi, FactSheetExample33Pages) {
  const Command base = Command(Opcode::kTlbiNhVa).set_asid(5);
  const auto cmds = tlbi_range_commands(base, InvRange::range(0, 33 * k4K, k4K, true), 12);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].addr(), 0u);
  EXPECT_EQ(cmds[0].scale(), 0);
  EXPECT_EQ(cmds[0].num(), 0);
  EXPECT_EQ(cmds[1].addr(), 0x1000u);
  EXPECT_EQ(cmds[1].scale(), 5);
  EXPECT_EQ(cmds[1].num(), 0);
  for (const Command& c : cmds) {
    EXPECT_EQ(c.opcode(), Opcode::kTlbiNhVa);
    EXPECT_EQ(c.asid(), 5);
    EXPECT_EQ(c.tg(), 1);   // 4K
    EXPECT_EQ(c.ttl(), 3);  // leaf pages: level 3
    EXPECT_TRUE(c.leaf());
  }
  expect_valid(cmds);
}

TEST(RangeTlbi, NonLeafAvoidsASinglePageNumZeroScaleZeroCommand) {
  const Command base = Command(Opcode::kTlbiS2Ipa).set_vmid(3);
  // 33 pages non-leaf: one more page, then 34 = 17 * 2^1 in one command.
  auto cmds = tlbi_range_commands(base, InvRange::range(0x40000, 33 * k4K, k4K, false), 12);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].ipa(), 0x40000u);
  EXPECT_EQ(cmds[0].scale(), 1);
  EXPECT_EQ(cmds[0].num(), 16);
  EXPECT_EQ(cmds[0].ttl(), 0);
  EXPECT_FALSE(cmds[0].leaf());
  // One page non-leaf: two pages, NUM 0 SCALE 1.
  cmds = tlbi_range_commands(base, InvRange::range(0, k4K, k4K, false), 12);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].scale(), 1);
  EXPECT_EQ(cmds[0].num(), 0);
  // One page leaf: NUM 0 SCALE 0 is fine with a level hint.
  cmds = tlbi_range_commands(base, InvRange::range(0, k4K, k4K, true), 12);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].scale(), 0);
  EXPECT_EQ(cmds[0].num(), 0);
  EXPECT_EQ(cmds[0].ttl(), 3);
  expect_valid(cmds);
}

TEST(RangeTlbi, CoversExactlyTheRangeForEveryPageSize) {
  for (unsigned pg : {12u, 14u, 16u}) {
    for (uint64_t pages = 1; pages <= 1500; ++pages) {
      SCOPED_TRACE("pg " + std::to_string(pg) + " pages " + std::to_string(pages));
      const uint64_t start = uint64_t{7} << pg;
      const auto cmds = tlbi_range_commands(Command(Opcode::kTlbiNhVa).set_asid(1),
                                            InvRange::range(start, pages << pg, uint64_t{1} << pg, true), pg);
      ASSERT_EQ(covered_pages(cmds, pg, start), pages);
      // At most one command per 5-bit chunk of the page count.
      ASSERT_LE(cmds.size(), 3u);
      for (const Command& c : cmds) ASSERT_EQ(c.tg(), (pg - 10) / 2);
    }
  }
  // A big range stays a handful of commands: 2^30 + 1 pages of 4K.
  const uint64_t pages = (uint64_t{1} << 30) + 1;
  const auto cmds =
      tlbi_range_commands(Command(Opcode::kTlbiNhVa), InvRange::range(0, pages << 12, k4K, true), 12);
  EXPECT_EQ(cmds.size(), 2u);
  EXPECT_EQ(covered_pages(cmds, 12, 0), pages);
}

TEST(RangeTlbi, TtlLevelHints) {
  struct Case {
    unsigned pg;
    uint64_t granule;
    uint8_t ttl;
  };
  const Case cases[] = {
      {12, k4K, 3},  {12, k2M, 2},       {12, uint64_t{1} << 30, 1},
      {14, k16K, 3}, {14, uint64_t{1} << 25, 2},
      {16, k64K, 3}, {16, uint64_t{1} << 29, 2},
      {16, k4K, 0},  // a granule below the page size names no level
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("pg " + std::to_string(c.pg) + " granule " + std::to_string(c.granule));
    const uint64_t size = std::max(c.granule, uint64_t{1} << c.pg);
    const auto cmds = tlbi_range_commands(Command(Opcode::kTlbiNhVa), InvRange::range(0, size, c.granule, true), c.pg);
    ASSERT_FALSE(cmds.empty());
    EXPECT_EQ(cmds[0].ttl(), c.ttl);
  }
}

TEST(RangeTlbi, WithoutRangeInvalidationOneCommandPerGranule) {
  auto cmds = tlbi_range_commands(Command(Opcode::kTlbiS2Ipa).set_vmid(9),
                                  InvRange::range(0x7000, 3 * k4K, k4K, true), 0);
  ASSERT_EQ(cmds.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(cmds[i].ipa(), 0x7000u + i * k4K);
    EXPECT_EQ(cmds[i].vmid(), 9);
    EXPECT_EQ(cmds[i].tg(), 0);
    EXPECT_EQ(cmds[i].ttl(), 0);
    EXPECT_EQ(cmds[i].num(), 0);
    EXPECT_EQ(cmds[i].scale(), 0);
    EXPECT_TRUE(cmds[i].leaf());
  }
  expect_valid(cmds);
  // Blocks: one command per 2M block; a partial block still needs its command.
  cmds = tlbi_range_commands(Command(Opcode::kTlbiNhVa), InvRange::range(0, 2 * k2M + k4K, k2M, false), 0);
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[2].addr(), 2 * k2M);
  EXPECT_FALSE(cmds[2].leaf());
}

TEST(RangeTlbi, BadInputsThrow) {
  const Command base(Opcode::kTlbiNhVa);
  EXPECT_THROW(tlbi_range_commands(base, InvRange::all(), 12), std::invalid_argument);
  EXPECT_THROW(tlbi_range_commands(base, InvRange::range(0, k4K, 0x3000, true), 0), std::invalid_argument);
  EXPECT_THROW(tlbi_range_commands(base, InvRange::range(0, k4K, 0x800, true), 12), std::invalid_argument);
  EXPECT_THROW(tlbi_range_commands(base, InvRange::range(0, k4K, k4K, true), 13), std::invalid_argument);
  EXPECT_THROW(inv_size_too_big(false, k4K, 0), std::invalid_argument);
}

TEST(TooBig, ThresholdIsGranuleOverEightCommandsPerGranule) {
  struct Case {
    uint64_t granule, ops;
  };
  for (const Case& c : {Case{k4K, 512}, Case{k16K, 2048}, Case{k64K, 8192}, Case{k2M, 262144}}) {
    SCOPED_TRACE(c.granule);
    EXPECT_FALSE(inv_size_too_big(false, (c.ops - 1) * c.granule, c.granule));
    EXPECT_TRUE(inv_size_too_big(false, c.ops * c.granule, c.granule));
    EXPECT_FALSE(inv_size_too_big(true, c.ops * c.granule * 1024, c.granule));  // RIL: never
  }
  EXPECT_TRUE(inv_size_too_big(true, 0, 0));
  EXPECT_TRUE(inv_size_too_big(true, ~uint64_t{0}, k4K));
  EXPECT_TRUE(inv_size_too_big(false, 0, 0));
}

TEST(TooBig, EntriesSwitchToTheWholeTagCommandAtTheThreshold) {
  SmmuHandle s{0};  // no RIL
  const InvEntry asid = make_inv(&s, InvType::kS1Asid, 4);
  auto cmds = entry_commands(asid, InvRange::range(0, 511 * k4K, k4K, true));
  ASSERT_EQ(cmds.size(), 511u);
  EXPECT_EQ(cmds[510].opcode(), Opcode::kTlbiNhVa);
  EXPECT_EQ(cmds[510].addr(), 510 * k4K);
  cmds = entry_commands(asid, InvRange::range(0, 512 * k4K, k4K, true));
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiNhAsid);
  EXPECT_EQ(cmds[0].asid(), 4);
  EXPECT_EQ(cmds[0].vmid(), 0);

  const InvEntry vmid = make_inv(&s, InvType::kS2Vmid, 6);
  cmds = entry_commands(vmid, InvRange::range(0, 8191 * k64K, k64K, false));
  ASSERT_EQ(cmds.size(), 8191u);
  EXPECT_EQ(cmds.back().opcode(), Opcode::kTlbiS2Ipa);
  cmds = entry_commands(vmid, InvRange::range(0, 8192 * k64K, k64K, false));
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiS12Vmall);
  EXPECT_EQ(cmds[0].vmid(), 6);

  cmds = entry_commands(vmid, InvRange::range(0, 2047 * k16K, k16K, false));
  EXPECT_EQ(cmds.size(), 2047u);
  cmds = entry_commands(vmid, InvRange::range(0, 2048 * k16K, k16K, false));
  EXPECT_EQ(cmds.size(), 1u);

  // With RIL the same large range stays ranged.
  SmmuHandle ril{1, true};
  cmds = entry_commands(make_inv(&ril, InvType::kS2Vmid, 6, 0, 16), InvRange::range(0, 8192 * k64K, k64K, false));
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiS2Ipa);
  EXPECT_EQ(cmds[0].tg(), 3);
  EXPECT_EQ(cmds[0].scale(), 13);
  EXPECT_EQ(cmds[0].num(), 0);
}

TEST(AtcInv, FactSheetSpans) {
  // Pages [8, 11]: SIZE 2 at page 8.
  Command c = atc_inv_command(0x42, 0, 8 * k4K, 4 * k4K);
  EXPECT_EQ(c.opcode(), Opcode::kAtcInv);
  EXPECT_EQ(c.size(), 2);
  EXPECT_EQ(c.addr(), 8 * k4K);
  EXPECT_EQ(c.sid(), 0x42u);
  EXPECT_FALSE(c.ssv());
  // Pages [7, 10]: SIZE 4 at page 0.
  c = atc_inv_command(0x42, 0, 7 * k4K, 4 * k4K);
  EXPECT_EQ(c.size(), 4);
  EXPECT_EQ(c.addr(), 0u);
  // One page; a range inside one page.
  c = atc_inv_command(1, 0, 0x12345000, k4K);
  EXPECT_EQ(c.size(), 0);
  EXPECT_EQ(c.addr(), 0x12345000u);
  c = atc_inv_command(1, 0, 0x12345678, 8);
  EXPECT_EQ(c.size(), 0);
  EXPECT_EQ(c.addr(), 0x12345000u);
  // With a substream.
  c = atc_inv_command(1, 0x77, 0, 2 * k4K);
  EXPECT_TRUE(c.ssv());
  EXPECT_EQ(c.ssid(), 0x77u);
  EXPECT_EQ(c.size(), 1);
  EXPECT_TRUE(arch::command_reserved_bits_clear(c));
}

TEST(AtcInv, WholeAtc) {
  Command c = atc_inv_command(9, 0, 0, 0);
  EXPECT_EQ(c.size(), arch::kAtcInvSizeAll);
  EXPECT_EQ(c.size(), 52);
  EXPECT_EQ(c.addr(), 0u);
  // A span reaching the top of the address space is the whole ATC too.
  c = atc_inv_command(9, 0, 0x1000, ~uint64_t{0} - 0x2000);
  EXPECT_EQ(c.size(), 52);
  EXPECT_EQ(c.addr(), 0u);
  EXPECT_TRUE(arch::command_reserved_bits_clear(c));
}

TEST(EntryCommands, EachTypeForARangeAndForEverything) {
  SmmuHandle s{0}, e2h{1, false, true};
  const InvRange r = InvRange::range(0x10000, 2 * k4K, k4K, true);

  auto cmds = entry_commands(make_inv(&s, InvType::kS1Asid, 7), r);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiNhVa);
  EXPECT_EQ(cmds[0].asid(), 7);
  EXPECT_EQ(cmds[0].vmid(), 0);  // stage 1 runs under VMID 0
  EXPECT_EQ(cmds[1].addr(), 0x11000u);
  EXPECT_TRUE(cmds[1].leaf());
  expect_valid(cmds);

  cmds = entry_commands(make_inv(&e2h, InvType::kS1Asid, 7), r);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiEl2Va);
  EXPECT_EQ(cmds[0].asid(), 7);
  expect_valid(cmds);
  cmds = entry_commands(make_inv(&e2h, InvType::kS1Asid, 7), InvRange::all());
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiEl2Asid);

  cmds = entry_commands(make_inv(&s, InvType::kS2Vmid, 3), r);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].opcode(), Opcode::kTlbiS2Ipa);
  EXPECT_EQ(cmds[0].vmid(), 3);
  EXPECT_EQ(cmds[0].ipa(), 0x10000u);
  expect_valid(cmds);
  cmds = entry_commands(make_inv(&s, InvType::kS2Vmid, 3), InvRange::all());
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], Command(Opcode::kTlbiS12Vmall).set_vmid(3));

  cmds = entry_commands(make_inv(&s, InvType::kS2VmidS1Clear, 3), r);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], Command(Opcode::kTlbiNhAll).set_vmid(3));
  // Too big: the S2_VMID entry's TLBI_S12_VMALL already covered the nested S1 entries.
  EXPECT_TRUE(entry_commands(make_inv(&s, InvType::kS2VmidS1Clear, 3), InvRange::all()).empty());

  cmds = entry_commands(make_inv(&s, InvType::kAts, 0x51, 2), r);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], atc_inv_command(0x51, 2, 0x10000, 2 * k4K));
  EXPECT_EQ(cmds[0].size(), 1);
  EXPECT_TRUE(cmds[0].ssv());
  cmds = entry_commands(make_inv(&s, InvType::kAts, 0x51, 2), InvRange::all());
  EXPECT_EQ(cmds[0].size(), 52);
  EXPECT_EQ(cmds[0].ssid(), 2u);

  // ATS_FULL ignores the range and any substream.
  cmds = entry_commands(make_inv(&s, InvType::kAtsFull, 0x52), r);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].size(), 52);
  EXPECT_EQ(cmds[0].sid(), 0x52u);
  EXPECT_FALSE(cmds[0].ssv());
  expect_valid(cmds);
}

TEST(EntryCommands, TagFlush) {
  EXPECT_EQ(tag_flush_command(IotlbTag{TagType::kAsid, 9}, false),
            Command(Opcode::kTlbiNhAsid).set_asid(9).set_vmid(0));
  EXPECT_EQ(tag_flush_command(IotlbTag{TagType::kAsid, 9}, true), Command(Opcode::kTlbiEl2Asid).set_asid(9));
  EXPECT_EQ(tag_flush_command(IotlbTag{TagType::kVmid, 300}, false),
            Command(Opcode::kTlbiS12Vmall).set_vmid(300));
}

// --- batching

struct BatchWant {
  const SmmuHandle* smmu;
  std::vector<Opcode> ops;
  bool sync;
};

void expect_batches(const std::vector<InvBatch>& got, const std::vector<BatchWant>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t b = 0; b < want.size(); ++b) {
    SCOPED_TRACE("batch " + std::to_string(b));
    EXPECT_EQ(got[b].smmu, want[b].smmu);
    EXPECT_EQ(got[b].needs_sync, want[b].sync);
    ASSERT_EQ(got[b].num, want[b].ops.size());
    for (size_t i = 0; i < got[b].num; ++i) EXPECT_EQ(got[b].cmds[i].opcode(), want[b].ops[i]) << i;
  }
}

TEST(Batches, MixedArrayOnTwoSmmus) {
  SmmuHandle s0{0}, s1{1};
  const std::vector<InvEntry> arr = {
      make_inv(&s0, InvType::kS2Vmid, 1),   make_inv(&s0, InvType::kS2VmidS1Clear, 1),
      make_inv(&s0, InvType::kAts, 0x10),   make_inv(&s0, InvType::kAts, 0x11),
      make_inv(&s1, InvType::kS1Asid, 3),   make_inv(&s1, InvType::kS1Asid, 4),
      make_inv(&s1, InvType::kAtsFull, 0x20)};
  const auto V = Opcode::kTlbiS2Ipa, A = Opcode::kAtcInv, N = Opcode::kTlbiNhVa;
  auto got = build_inv_batches(arr, InvRange::range(0, 2 * k4K, k4K, true));
  expect_batches(got, {{&s0, {V, V}, true},               // S2 TLBIs done before ...
                       {&s0, {Opcode::kTlbiNhAll}, true},  // ... the nested S1 ones, done before ...
                       {&s0, {A, A}, true},                // ... the ATC; then the other SMMU
                       {&s1, {N, N, N, N}, true},
                       {&s1, {A}, true}});
  EXPECT_EQ(got[2].cmds[1].sid(), 0x11u);
  EXPECT_EQ(got[3].cmds[2].asid(), 4);

  // Everything: S12_VMALL covers the nested S1 entries, so no NH_ALL batch.
  got = build_inv_batches(arr, InvRange::all());
  expect_batches(got, {{&s0, {Opcode::kTlbiS12Vmall}, true},
                       {&s0, {A, A}, true},
                       {&s1, {Opcode::kTlbiNhAsid, Opcode::kTlbiNhAsid}, true},
                       {&s1, {A}, true}});
  EXPECT_EQ(got[1].cmds[0].size(), 52);
}

TEST(Batches, TrashIsSkippedAndBoundariesAreBetweenLiveEntries) {
  SmmuHandle s0{0}, s1{1};
  std::vector<InvEntry> arr = {
      make_inv(&s0, InvType::kS1Asid, 1), make_inv(&s0, InvType::kS1Asid, 2),
      make_inv(&s0, InvType::kAts, 5),    make_inv(&s0, InvType::kAts, 6),
      make_inv(&s1, InvType::kS1Asid, 7), make_inv(&s1, InvType::kS1Asid, 8),
      make_inv(&s1, InvType::kAts, 9)};
  arr[0].users = 0;
  arr[2].users = 0;
  arr[4].users = 0;
  arr[6].users = 0;  // a trailing trash entry a reader may still see before the trim
  const auto got = build_inv_batches(arr, InvRange::all());
  expect_batches(got, {{&s0, {Opcode::kTlbiNhAsid}, true},
                       {&s0, {Opcode::kAtcInv}, true},
                       {&s1, {Opcode::kTlbiNhAsid}, true}});
  EXPECT_EQ(got[0].cmds[0].asid(), 2);
  EXPECT_EQ(got[1].cmds[0].sid(), 6u);
  EXPECT_EQ(got[2].cmds[0].asid(), 8);

  for (auto& e : arr) e.users = 0;
  EXPECT_TRUE(build_inv_batches(arr, InvRange::all()).empty());
  EXPECT_TRUE(build_inv_batches(InvEntrySpan(), InvRange::all()).empty());
}

TEST(Batches, FromARealArrayWithTrash) {
  test::HostOs os;
  SmmuHandle s{0};
  auto a = InvArray::merge(os, *InvArray::create_empty(os),
                           std::vector<InvEntry>{make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kAts, 2),
                                                 make_inv(&s, InvType::kAts, 3)});
  std::vector<InvEntry> gone = {make_inv(&s, InvType::kAts, 2)};
  a->unref(gone);
  ASSERT_EQ(a->num_trashes(), 1u);
  const auto got = build_inv_batches(a->entries(), InvRange::range(0, k4K, k4K, true));
  expect_batches(got, {{&s, {Opcode::kTlbiNhVa}, true}, {&s, {Opcode::kAtcInv}, true}});
  EXPECT_EQ(got[1].cmds[0].sid(), 3u);
}

TEST(Batches, FullBatchesContinueWithoutSync) {
  SmmuHandle s{0};
  const std::vector<InvEntry> arr = {make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kS1Asid, 2),
                                     make_inv(&s, InvType::kAts, 3)};
  // 100 pages per ASID, 200 TLBIs: 64 + 64 + 64 without sync, 8 with, then the ATC.
  const auto got = build_inv_batches(arr, InvRange::range(0, 100 * k4K, k4K, false));
  ASSERT_EQ(got.size(), 5u);
  for (size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(got[b].num, kMaxBatchCommands);
    EXPECT_FALSE(got[b].needs_sync);
  }
  EXPECT_EQ(got[3].num, 8u);
  EXPECT_TRUE(got[3].needs_sync);
  EXPECT_EQ(got[4].num, 1u);
  EXPECT_TRUE(got[4].needs_sync);
  // In order: the last TLBI is ASID 2's last page.
  EXPECT_EQ(got[3].cmds[7].asid(), 2);
  EXPECT_EQ(got[3].cmds[7].addr(), 99 * k4K);
  EXPECT_EQ(got[1].cmds[36].asid(), 2);  // 100 of ASID 1 end at batch 1 index 35
  EXPECT_EQ(got[1].cmds[35].asid(), 1);
  EXPECT_EQ(got[3].commands().size(), 8u);
}

TEST(Batches, EndRule) {
  SmmuHandle s0{0}, s1{1};
  auto e = [](const SmmuHandle* s, InvType t) { return make_inv(s, t, 1); };
  EXPECT_TRUE(inv_batch_ends(e(&s0, InvType::kAts), e(&s1, InvType::kAts)));
  EXPECT_FALSE(inv_batch_ends(e(&s0, InvType::kS1Asid), e(&s0, InvType::kS1Asid)));
  EXPECT_FALSE(inv_batch_ends(e(&s0, InvType::kS1Asid), e(&s0, InvType::kS2Vmid)));
  EXPECT_TRUE(inv_batch_ends(e(&s0, InvType::kS2Vmid), e(&s0, InvType::kS2VmidS1Clear)));
  EXPECT_FALSE(inv_batch_ends(e(&s0, InvType::kS2VmidS1Clear), e(&s0, InvType::kS2VmidS1Clear)));
  EXPECT_TRUE(inv_batch_ends(e(&s0, InvType::kS2VmidS1Clear), e(&s0, InvType::kAts)));
  EXPECT_TRUE(inv_batch_ends(e(&s0, InvType::kS1Asid), e(&s0, InvType::kAtsFull)));
  EXPECT_FALSE(inv_batch_ends(e(&s0, InvType::kAts), e(&s0, InvType::kAts)));
  EXPECT_FALSE(inv_batch_ends(e(&s0, InvType::kAts), e(&s0, InvType::kAtsFull)));
}

}  // namespace
}  // namespace smmu::driver
