// SPDX-License-Identifier: Apache-2.0
// ProcessMm on the host: the page and table descriptors read back from memory and
// decoded here by hand from the Arm ARM's stage-1 format; map/unmap/mmap_anonymous/remap
// and their failures (all-or-nothing); empty tables freed; the MMU notifiers run with
// the entries already cleared and the pages not yet reused; and the tables translated by
// the independent reference SMMU (tests/reference) through an STE and a CD filled by
// fill_cd, at a PASID, with the permissions of each page, and by the model's TableWalker
// from the same CD, which must agree with the reference on every access.
#include "driver/process_mm.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <stdexcept>
#include <utility>
#include <vector>

#include "reference/reference_smmu.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/event.h"
#include "rtl_model/arch/ste.h"
#include "rtl_model/smmu/regime.h"
#include "rtl_model/smmu/table_walker.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

using test::HostOs;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kUserVa = 0x7f12'3440'0000;  // 2 MiB aligned, TTBR0 half

uint64_t bits_of(uint64_t w, unsigned hi, unsigned lo) {
  return (w >> lo) & ((uint64_t{1} << (hi - lo + 1)) - 1);
}

// A stage-1 walk decoded here from the descriptor format (4K granule, 48-bit VA, start
// at level 0): VA[47:39], [38:30], [29:21], [20:12] index levels 0..3; a table or page
// descriptor has bits[1:0] = 0b11 and its address in bits[47:12].
struct HandWalk {
  bool mapped = false;
  uint64_t pte = 0;
  std::vector<uint64_t> tables;  // descriptors of levels 0..2 on the way
};

HandWalk hand_walk(HostOs& os, uint64_t ttbr0, uint64_t va) {
  HandWalk w;
  uint64_t table = ttbr0;
  for (int level = 0; level <= 3; ++level) {
    const unsigned shift = 39 - 9 * level;
    const uint64_t desc = os.read64(table + bits_of(va, shift + 8, shift) * 8);
    if (bits_of(desc, 1, 0) != 3) return w;
    if (level == 3) {
      w.mapped = true;
      w.pte = desc;
      return w;
    }
    w.tables.push_back(desc);
    table = desc & 0x0000'ffff'ffff'f000ull;
  }
  return w;
}

std::unique_ptr<ProcessMm> make_mm(HostOs& os, uint16_t asid = 7, unsigned pa_bits = 48) {
  ProcessMmConfig cfg;
  cfg.asid = asid;
  cfg.pa_bits = pa_bits;
  auto mm = ProcessMm::create(os, cfg);
  if (!mm) throw std::runtime_error("no memory for the level-0 table");
  return mm;
}

void fill(HostOs& os, uint64_t pa, uint8_t byte) {
  std::vector<unsigned char> b(kPage, byte);
  os.mem_write(pa, b.data(), b.size());
}

bool page_is(HostOs& os, uint64_t pa, uint8_t byte) {
  std::vector<unsigned char> b(kPage);
  os.mem_read(pa, b.data(), b.size());
  for (unsigned char c : b)
    if (c != byte) return false;
  return true;
}

// --- descriptors

TEST(ProcessMm, PageDescriptorsAreEl0UserDataAsTheArchitectureEncodesThem) {
  HostOs os;
  auto mm = make_mm(os);
  const uint64_t rw_pa = 0x1'2345'6000, ro_pa = 0x0'8000'0000, x_pa = 0xab'cdef'1000;
  ASSERT_EQ(mm->map(kUserVa, rw_pa, kPage, {true, false}), MmStatus::kOk);
  ASSERT_EQ(mm->map(kUserVa + kPage, ro_pa, kPage, {false, false}), MmStatus::kOk);
  ASSERT_EQ(mm->map(kUserVa + 2 * kPage, x_pa, kPage, {false, true}), MmStatus::kOk);
  EXPECT_EQ(mm->table_count(), 4u);  // levels 0..3, one each

  struct Want {
    uint64_t va, pa;
    bool write, exec;
  };
  for (const Want& want : {Want{kUserVa, rw_pa, true, false}, Want{kUserVa + kPage, ro_pa, false, false},
                           Want{kUserVa + 2 * kPage, x_pa, false, true}}) {
    SCOPED_TRACE(want.va);
    const HandWalk w = hand_walk(os, mm->ttbr0(), want.va);
    ASSERT_TRUE(w.mapped);
    const uint64_t d = w.pte;
    EXPECT_EQ(bits_of(d, 1, 0), 3u);                // page descriptor
    const uint64_t attr_indx = bits_of(d, 4, 2);
    EXPECT_EQ(bits_of(mm->mair(), 8 * attr_indx + 7, 8 * attr_indx), 0xffu)  // Normal WB RWA
        << "AttrIndx " << attr_indx;
    EXPECT_EQ(bits_of(d, 5, 5), 0u);                // NS
    EXPECT_EQ(bits_of(d, 6, 6), 1u);                // AP[1]: EL0 access
    EXPECT_EQ(bits_of(d, 7, 7), want.write ? 0u : 1u);  // AP[2]: read-only
    EXPECT_EQ(bits_of(d, 9, 8), 3u);                // SH: inner shareable
    EXPECT_EQ(bits_of(d, 10, 10), 1u);              // AF
    EXPECT_EQ(bits_of(d, 11, 11), 1u);              // nG
    EXPECT_EQ(d & 0x0000'ffff'ffff'f000ull, want.pa);  // OA[47:12]
    EXPECT_EQ(bits_of(d, 52, 48), 0u);              // RES0, DBM, Contiguous
    EXPECT_EQ(bits_of(d, 53, 53), 1u);              // PXN
    EXPECT_EQ(bits_of(d, 54, 54), want.exec ? 0u : 1u);  // UXN
    EXPECT_EQ(bits_of(d, 63, 55), 0u);
    // Table descriptors: no hierarchical limits (APTable, UXNTable, PXNTable, NSTable 0).
    ASSERT_EQ(w.tables.size(), 3u);
    for (uint64_t t : w.tables) {
      EXPECT_EQ(bits_of(t, 63, 48), 0u);
      EXPECT_EQ(bits_of(t, 11, 2), 0u);
    }
    const auto page = mm->lookup(want.va + 0x123);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->pa, want.pa + 0x123);
    EXPECT_EQ(page->desc, d);
  }
  EXPECT_EQ(bits_of(mm->mair(), 7, 0), 0x00u);   // Attr0 Device-nGnRnE
  EXPECT_EQ(bits_of(mm->mair(), 23, 16), 0x44u); // Attr2 Normal non-cacheable
}

TEST(ProcessMm, FillCdSetsTheTranslationFieldsOfATtbr0OnlyFourLevelTable) {
  HostOs os;
  auto mm = make_mm(os, 42, 40);
  arch::Cd cd;
  cd.asid = 9;  // the caller's: fill_cd leaves it
  mm->fill_cd(cd);
  EXPECT_EQ(cd.t0sz, 16);
  EXPECT_EQ(cd.tg0, 0);
  EXPECT_EQ(cd.irgn0, 1);
  EXPECT_EQ(cd.orgn0, 1);
  EXPECT_EQ(cd.sh0, 3);
  EXPECT_FALSE(cd.epd0);
  EXPECT_TRUE(cd.epd1);
  EXPECT_EQ(cd.ips, 2);  // 40 bits
  EXPECT_TRUE(cd.aa64);
  EXPECT_EQ(cd.ttb0, mm->ttbr0());
  EXPECT_EQ(cd.mair, ProcessMm::kMair);
  EXPECT_EQ(cd.asid, 9);
  EXPECT_FALSE(cd.valid);
  EXPECT_EQ(mm->asid(), 42);
  EXPECT_EQ(mm->ttbr0() % kPage, 0u);
  EXPECT_THROW(make_mm(os, 1, 52), std::invalid_argument);
  EXPECT_THROW(make_mm(os, 1, 47), std::invalid_argument);
}

// --- map failures

TEST(ProcessMm, MapRejectsBadRangesAndOverlapsAndChangesNothing) {
  HostOs os;
  auto mm = make_mm(os, 1, 40);
  const UserProt rw;
  EXPECT_EQ(mm->map(kUserVa + 1, 0x1000, kPage, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map(kUserVa, 0x1001, kPage, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map(kUserVa, 0x1000, kPage + 8, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map(kUserVa, 0x1000, 0, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map(uint64_t{1} << 48, 0x1000, kPage, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map((uint64_t{1} << 48) - kPage, 0x1000, 2 * kPage, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map(kUserVa, (uint64_t{1} << 40) - kPage, 2 * kPage, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->map(~uint64_t{0} - kPage + 1, 0x1000, kPage, rw), MmStatus::kInvalidArgument);
  EXPECT_EQ(mm->table_count(), 1u);

  ASSERT_EQ(mm->map(kUserVa + kPage, 0x5000, kPage, rw), MmStatus::kOk);
  const size_t tables = mm->table_count();
  // [kUserVa, +3 pages) overlaps the mapped page in its middle: nothing of it is mapped.
  EXPECT_EQ(mm->map(kUserVa, 0x9000, 3 * kPage, rw), MmStatus::kAlreadyMapped);
  EXPECT_FALSE(mm->lookup(kUserVa));
  EXPECT_FALSE(mm->lookup(kUserVa + 2 * kPage));
  EXPECT_EQ(mm->lookup(kUserVa + kPage)->pa, 0x5000u);
  EXPECT_EQ(mm->table_count(), tables);
  EXPECT_STREQ(to_string(MmStatus::kAlreadyMapped), "already mapped");
}

TEST(ProcessMm, MapOutOfTableMemoryIsAllOrNothing) {
  HostOs os;
  auto mm = make_mm(os);
  const size_t live = os.live_allocations();
  // Two pages either side of a 1 GiB boundary: one level-1 table, two level-2 and two
  // level-3 ones; the fifth allocation fails.
  const uint64_t gib = uint64_t{1} << 30;
  const uint64_t va = (kUserVa & ~(gib - 1)) + gib - kPage;
  os.fail_allocations_after(4);
  EXPECT_EQ(mm->map(va, 0x10000, 2 * kPage, {}), MmStatus::kNoMemory);
  EXPECT_EQ(os.live_allocations(), live);
  EXPECT_EQ(mm->table_count(), 1u);
  EXPECT_FALSE(mm->lookup(va));
  EXPECT_EQ(os.read64(mm->ttbr0() + 8 * ((va >> 39) & 511)), 0u);
  os.fail_allocations_after(5);
  ASSERT_EQ(mm->map(va, 0x10000, 2 * kPage, {}), MmStatus::kOk);
  EXPECT_EQ(mm->table_count(), 6u);
  EXPECT_EQ(mm->lookup(va)->pa, 0x10000u);
  EXPECT_EQ(mm->lookup(va + kPage)->pa, 0x11000u);
  os.fail_allocations_after(-1);
}

// --- unmap

TEST(ProcessMm, UnmapClearsTheEntriesAndFreesTablesThatBecameEmpty) {
  HostOs os;
  auto mm = make_mm(os);
  ASSERT_EQ(mm->map(kUserVa, 0x100000, 2 * kPage, {}), MmStatus::kOk);
  ASSERT_EQ(mm->map(kUserVa + 2 * kMiB, 0x200000, kPage, {}), MmStatus::kOk);
  EXPECT_EQ(mm->table_count(), 5u);  // level 0, 1, 2 and two level-3 tables
  const size_t live = os.live_allocations();

  // Half of the first level-3 table's pages: the table stays.
  MmUnmapResult r = mm->unmap(kUserVa, kPage);
  EXPECT_EQ(r.status, MmStatus::kOk);
  EXPECT_EQ(r.unmapped, kPage);
  EXPECT_FALSE(hand_walk(os, mm->ttbr0(), kUserVa).mapped);
  EXPECT_TRUE(hand_walk(os, mm->ttbr0(), kUserVa + kPage).mapped);
  EXPECT_EQ(mm->table_count(), 5u);

  // The rest of it: its level-3 table is unlinked and freed, the other stays.
  r = mm->unmap(kUserVa, 2 * kMiB);
  EXPECT_EQ(r.unmapped, kPage);
  EXPECT_EQ(mm->table_count(), 4u);
  EXPECT_EQ(os.live_allocations(), live - 1);
  EXPECT_TRUE(hand_walk(os, mm->ttbr0(), kUserVa + 2 * kMiB).mapped);
  const HandWalk gone = hand_walk(os, mm->ttbr0(), kUserVa);
  EXPECT_EQ(gone.tables.size(), 2u);  // the level-2 entry is invalid now

  // Everything: only the level-0 table is left.
  r = mm->unmap(0, uint64_t{1} << 48);
  EXPECT_EQ(r.unmapped, kPage);
  EXPECT_EQ(mm->table_count(), 1u);
  EXPECT_EQ(os.live_allocations(), live - 4);
  for (uint64_t i = 0; i < 512; ++i) EXPECT_EQ(os.read64(mm->ttbr0() + 8 * i), 0u) << i;
  EXPECT_EQ(mm->unmap(kUserVa + 1, kPage).status, MmStatus::kInvalidArgument);
}

// Records every call; checks, while the unmap is in progress, that the range is no
// longer mapped in memory and that nothing was freed or reused yet.
struct CheckingNotifier : MmuNotifier {
  HostOs& os;
  ProcessMm* mm = nullptr;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  bool check_allocations = true;
  size_t live_before = 0, pool_before = 0;
  std::vector<std::pair<uint64_t, uint8_t>> old_pages;  // PA and the byte it must still hold
  std::vector<std::string> failures;

  explicit CheckingNotifier(HostOs& o) : os(o) {}
  // Registered with an mm that outlives it (declared before it): leave before going.
  void watch(ProcessMm& m) {
    watched = &m;
    m.register_notifier(*this);
  }
  ~CheckingNotifier() override {
    if (watched) watched->unregister_notifier(*this);
  }
  ProcessMm* watched = nullptr;
  void expect_unchanged(ProcessMm& m, std::vector<std::pair<uint64_t, uint8_t>> pages) {
    mm = &m;
    live_before = os.live_allocations();
    pool_before = m.pool_pages();
    old_pages = std::move(pages);
  }
  void invalidate_range(uint64_t start, uint64_t end) override {
    ranges.emplace_back(start, end);
    if (!mm) return;
    for (uint64_t va = start; va < end; va += kPage)
      if (hand_walk(os, mm->ttbr0(), va).mapped) failures.push_back("still mapped " + std::to_string(va));
    if (check_allocations && os.live_allocations() != live_before) failures.push_back("an allocation was freed or made");
    if (mm->pool_pages() != pool_before) failures.push_back("a page went back to the pool");
    for (const auto& [pa, byte] : old_pages)
      if (!page_is(os, pa, byte)) failures.push_back("page reused " + std::to_string(pa));
  }
  void release() override {}
};

TEST(ProcessMm, NotifiersRunAfterTheEntriesAreClearedAndBeforeAnythingIsFreed) {
  HostOs os;
  auto mm = make_mm(os);
  CheckingNotifier n(os);
  n.watch(*mm);
  ASSERT_EQ(mm->mmap_anonymous(kUserVa, 3 * kPage, {}), MmStatus::kOk);
  EXPECT_TRUE(n.ranges.empty());  // mapping needs no invalidation
  std::vector<std::pair<uint64_t, uint8_t>> pages;
  for (int i = 0; i < 3; ++i) {
    const uint64_t pa = mm->lookup(kUserVa + i * kPage)->pa;
    fill(os, pa, static_cast<uint8_t>(0xa0 + i));
    pages.emplace_back(pa, static_cast<uint8_t>(0xa0 + i));
  }
  n.expect_unchanged(*mm, pages);
  const size_t live = os.live_allocations();

  const MmUnmapResult r = mm->unmap(kUserVa, 3 * kPage);
  EXPECT_EQ(r.unmapped, 3 * kPage);
  ASSERT_EQ(n.ranges.size(), 1u);
  EXPECT_EQ(n.ranges[0], std::make_pair(kUserVa, kUserVa + 3 * kPage));
  EXPECT_TRUE(n.failures.empty()) << n.failures.front();
  // After the notifier: the level-1..3 tables freed, the pages in the pool.
  EXPECT_EQ(os.live_allocations(), live - 3);
  EXPECT_EQ(mm->pool_pages(), 3u);
  EXPECT_EQ(mm->anonymous_pages(), 0u);
}

TEST(ProcessMm, UnmapOfARangeNotMappedChangesNothingAndNotifiesNoOne) {
  HostOs os;
  auto mm = make_mm(os);
  CheckingNotifier n(os);
  n.watch(*mm);
  MmUnmapResult r = mm->unmap(kUserVa, 16 * kPage);
  EXPECT_EQ(r.status, MmStatus::kOk);
  EXPECT_EQ(r.unmapped, 0u);
  EXPECT_TRUE(n.ranges.empty());
  EXPECT_EQ(mm->table_count(), 1u);

  // Tables on the way but not this page: still nothing.
  ASSERT_EQ(mm->map(kUserVa + 8 * kPage, 0x3000, kPage, {}), MmStatus::kOk);
  r = mm->unmap(kUserVa, 8 * kPage);
  EXPECT_EQ(r.unmapped, 0u);
  EXPECT_TRUE(n.ranges.empty());
  EXPECT_EQ(mm->table_count(), 4u);
  EXPECT_EQ(mm->lookup(kUserVa + 8 * kPage)->pa, 0x3000u);

  // A range with holes around the one page: unmapped, the whole range notified once.
  r = mm->unmap(kUserVa, 16 * kPage);
  EXPECT_EQ(r.unmapped, kPage);
  ASSERT_EQ(n.ranges.size(), 1u);
  EXPECT_EQ(n.ranges[0], std::make_pair(kUserVa, kUserVa + 16 * kPage));
}

TEST(ProcessMm, UnmapOfCallerPagesDoesNotTakeThemIntoThePool) {
  HostOs os;
  auto mm = make_mm(os);
  ASSERT_EQ(mm->map(kUserVa, 0x7000, kPage, {}), MmStatus::kOk);
  EXPECT_EQ(mm->unmap(kUserVa, kPage).unmapped, kPage);
  EXPECT_EQ(mm->pool_pages(), 0u);
  EXPECT_EQ(mm->remap(kUserVa, kPage), MmStatus::kNotMapped);
}

// --- anonymous memory

TEST(ProcessMm, AnonymousMemoryIsZeroedAndReusesThePoolAfterUnmap) {
  HostOs os;
  auto mm = make_mm(os);
  ASSERT_EQ(mm->mmap_anonymous(kUserVa, 4 * kPage, {}), MmStatus::kOk);
  EXPECT_EQ(mm->anonymous_pages(), 4u);
  std::set<uint64_t> pas;
  for (int i = 0; i < 4; ++i) {
    const uint64_t pa = mm->lookup(kUserVa + i * kPage)->pa;
    EXPECT_EQ(pa % kPage, 0u);
    EXPECT_TRUE(page_is(os, pa, 0));
    fill(os, pa, 0x5a);
    pas.insert(pa);
  }
  EXPECT_EQ(pas.size(), 4u);
  EXPECT_EQ(mm->map(kUserVa + kPage, 0x1000, kPage, {}), MmStatus::kAlreadyMapped);
  EXPECT_EQ(mm->mmap_anonymous(kUserVa + 3 * kPage, 2 * kPage, {}), MmStatus::kAlreadyMapped);
  EXPECT_EQ(mm->anonymous_pages(), 4u);

  ASSERT_EQ(mm->unmap(kUserVa, 4 * kPage).unmapped, 4 * kPage);
  EXPECT_EQ(mm->pool_pages(), 4u);
  const size_t live = os.live_allocations();
  // Elsewhere, read-only: the same physical pages, zeroed again, no new allocation but
  // the tables of the new place.
  const uint64_t va2 = kUserVa + 64 * kMiB;
  ASSERT_EQ(mm->mmap_anonymous(va2, 4 * kPage, {false, false}), MmStatus::kOk);
  EXPECT_EQ(mm->pool_pages(), 0u);
  EXPECT_EQ(os.live_allocations(), live + 3);  // level 1..3 tables again
  for (int i = 0; i < 4; ++i) {
    const auto page = mm->lookup(va2 + i * kPage);
    ASSERT_TRUE(page);
    EXPECT_TRUE(pas.count(page->pa));
    EXPECT_TRUE(page_is(os, page->pa, 0));
    EXPECT_EQ(bits_of(page->desc, 7, 7), 1u);  // read-only
  }
}

TEST(ProcessMm, AnonymousMapOutOfMemoryIsAllOrNothing) {
  HostOs os;
  auto mm = make_mm(os);
  ASSERT_EQ(mm->mmap_anonymous(kUserVa, 2 * kPage, {}), MmStatus::kOk);
  ASSERT_EQ(mm->unmap(kUserVa, 2 * kPage).unmapped, 2 * kPage);
  ASSERT_EQ(mm->pool_pages(), 2u);
  const size_t live = os.live_allocations();
  // The three tables, then two pages from the pool, then no third page.
  os.fail_allocations_after(3);
  EXPECT_EQ(mm->mmap_anonymous(kUserVa, 3 * kPage, {}), MmStatus::kNoMemory);
  // Out of tables.
  os.fail_allocations_after(2);
  EXPECT_EQ(mm->mmap_anonymous(kUserVa, kPage, {}), MmStatus::kNoMemory);
  EXPECT_EQ(mm->pool_pages(), 2u);
  EXPECT_EQ(mm->anonymous_pages(), 0u);
  EXPECT_EQ(mm->table_count(), 1u);
  EXPECT_EQ(os.live_allocations(), live);
  EXPECT_FALSE(mm->lookup(kUserVa));
  os.fail_allocations_after(-1);
}

TEST(ProcessMm, RemapGivesNewZeroedPagesBreakBeforeMake) {
  HostOs os;
  auto mm = make_mm(os);
  ASSERT_EQ(mm->mmap_anonymous(kUserVa, 2 * kPage, {true, true}), MmStatus::kOk);
  const uint64_t old0 = mm->lookup(kUserVa)->pa, old1 = mm->lookup(kUserVa + kPage)->pa;
  const uint64_t old_desc = mm->lookup(kUserVa)->desc;
  fill(os, old0, 0x11);
  fill(os, old1, 0x22);
  CheckingNotifier n(os);
  n.watch(*mm);
  n.expect_unchanged(*mm, {{old0, 0x11}, {old1, 0x22}});
  n.check_allocations = false;  // the new pages are allocated before the break

  ASSERT_EQ(mm->remap(kUserVa, 2 * kPage), MmStatus::kOk);
  ASSERT_EQ(n.ranges.size(), 1u);
  EXPECT_EQ(n.ranges[0], std::make_pair(kUserVa, kUserVa + 2 * kPage));
  // The notifier saw neither the old nor the new pages mapped, the old ones intact.
  EXPECT_TRUE(n.failures.empty()) << n.failures.front();
  const auto p0 = mm->lookup(kUserVa), p1 = mm->lookup(kUserVa + kPage);
  ASSERT_TRUE(p0 && p1);
  EXPECT_NE(p0->pa, old0);
  EXPECT_NE(p0->pa, old1);
  EXPECT_NE(p1->pa, old0);
  EXPECT_NE(p1->pa, old1);
  EXPECT_TRUE(page_is(os, p0->pa, 0));
  EXPECT_TRUE(page_is(os, p1->pa, 0));
  EXPECT_EQ(p0->desc & ~0x0000'ffff'ffff'f000ull, old_desc & ~0x0000'ffff'ffff'f000ull);
  EXPECT_EQ(mm->pool_pages(), 2u);  // the old pages
  EXPECT_EQ(mm->anonymous_pages(), 2u);

  // Part of the range not anonymous: nothing changes, no notification.
  EXPECT_EQ(mm->remap(kUserVa + kPage, 2 * kPage), MmStatus::kNotMapped);
  EXPECT_EQ(n.ranges.size(), 1u);
  EXPECT_EQ(mm->lookup(kUserVa + kPage)->pa, p1->pa);
}

// --- notifier registration

struct CountingNotifier : MmuNotifier {
  int invalidations = 0, releases = 0;
  void invalidate_range(uint64_t, uint64_t) override { ++invalidations; }
  void release() override { ++releases; }
};

TEST(ProcessMm, RegisteredNotifiersOnlyAreCalledAndReleasedWhenTheMmGoes) {
  HostOs os;
  CountingNotifier a, b, c;
  {
    auto mm = make_mm(os);
    mm->register_notifier(a);
    mm->register_notifier(a);  // once
    mm->register_notifier(b);
    mm->register_notifier(c);
    EXPECT_TRUE(mm->unregister_notifier(c));
    EXPECT_FALSE(mm->unregister_notifier(c));
    ASSERT_EQ(mm->mmap_anonymous(kUserVa, kPage, {}), MmStatus::kOk);
    mm->unmap(kUserVa, kPage);
    EXPECT_EQ(a.invalidations, 1);
    EXPECT_EQ(b.invalidations, 1);
    EXPECT_EQ(c.invalidations, 0);
    EXPECT_TRUE(mm->unregister_notifier(b));
    ASSERT_EQ(mm->mmap_anonymous(kUserVa, kPage, {}), MmStatus::kOk);
    EXPECT_EQ(a.releases + b.releases + c.releases, 0);
  }
  EXPECT_EQ(a.releases, 1);
  EXPECT_EQ(b.releases, 0);
  EXPECT_EQ(c.releases, 0);
  EXPECT_EQ(a.invalidations, 1);  // the mm's end is a release, not an invalidation
  EXPECT_EQ(os.live_allocations(), 0u);  // tables, pages and pool all freed
}

// --- the tables through an SMMU: the independent reference, STE -> CD (PASID) -> walk

class ProcessMmReferenceWalk : public ::testing::Test {
 protected:
  static constexpr uint32_t kPasid = 5;

  void SetUp() override {
    mm_ = make_mm(os_, 77, 48);
    // A linear CD table of 16 CDs; the process's at its PASID.
    const uint64_t cd_table = os_.dma_alloc(16 * 64, kPage);
    arch::Cd& cd = cd_;
    mm_->fill_cd(cd);
    cd.asid = mm_->asid();
    cd.valid = true;
    cd.r = true;  // record faults as events
    cd.a = true;  // and abort the access
    const arch::CdWords cw = cd.encode();
    os_.mem_write(cd_table + kPasid * 64, cw.data(), 64);
    // One STE (StreamID 0): stage 1 only, the CD table, S1CDMax = 4.
    st_.base = os_.dma_alloc(64, 64);
    st_.log2size = 0;
    arch::Ste ste;
    ste.valid = true;
    ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
    ste.s1fmt = 0;
    ste.s1cdmax = 4;
    ste.s1_context_ptr = cd_table;
    const arch::SteWords sw = ste.encode();
    os_.mem_write(st_.base, sw.data(), 64);
  }

  reference::Outcome access(uint64_t va, bool write, bool exec = false, bool priv = false) {
    reference::Transaction t;
    t.sid = 0;
    t.ssv = true;
    t.ssid = kPasid;
    t.va = va;
    t.write = write;
    t.exec = exec;
    t.priv = priv;
    return reference::translate(impl_, st_, t, [this](uint64_t pa, uint64_t& v) {
      v = os_.read64(pa);
      return true;
    });
  }

  // The event of a faulting access (0: it did not fault).
  static uint8_t event(const reference::Outcome& o) {
    if (o.response != reference::Response::kAbort) return 0;
    return o.has_event ? o.event.id : 0xff;
  }

  // The same access through the model's TableWalker, configured from the same CD.
  model::WalkResult model_walk(uint64_t va, bool write, bool exec, bool priv) {
    struct HostWalkMemory : model::WalkMemory {
      HostOs& os;
      explicit HostWalkMemory(HostOs& o) : os(o) {}
      bool read64(uint64_t pa, uint64_t& v, sc_core::sc_time&) override { return v = os.read64(pa), true; }
    } mem(os_);
    model::TableWalker walker(mem, nullptr, model::WalkerParams{});
    model::Stage1Regime s1;
    std::string why;
    if (!model::decode_cd_regime(cd_, model::SmmuTranslationCaps{}, s1, &why))
      throw std::runtime_error("CD rejected: " + why);
    model::WalkRequest req;
    req.iova = va;
    req.access.write = write;
    req.access.exec = exec && !write;  // as the TBU presents it: a write is data
    req.access.priv = priv;
    req.s1 = &s1;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    return walker.walk(req, delay);
  }

  HostOs os_;
  std::unique_ptr<ProcessMm> mm_;
  arch::Cd cd_;
  reference::Implementation impl_;
  reference::StreamTable st_;
};

TEST_F(ProcessMmReferenceWalk, GivesThePageAndItsPermissions) {
  const uint64_t rw_pa = 0x12'3456'7000, ro_pa = 0x9'8765'4000, x_pa = 0x0'4444'4000;
  ASSERT_EQ(mm_->map(kUserVa, rw_pa, kPage, {true, false}), MmStatus::kOk);
  ASSERT_EQ(mm_->map(kUserVa + 5 * kMiB, ro_pa, kPage, {false, false}), MmStatus::kOk);
  ASSERT_EQ(mm_->map(0x40'0000'0000, x_pa, kPage, {false, true}), MmStatus::kOk);
  constexpr auto kPerm = static_cast<uint8_t>(arch::EventId::kPermission);
  constexpr auto kTransl = static_cast<uint8_t>(arch::EventId::kTranslation);

  reference::Outcome o = access(kUserVa + 0x9a8, false);
  ASSERT_EQ(o.response, reference::Response::kOk) << reference::describe(o) << " " << o.why;
  EXPECT_EQ(o.pa, rw_pa + 0x9a8);
  o = access(kUserVa + 8, true);
  EXPECT_EQ(o.response, reference::Response::kOk) << reference::describe(o);
  EXPECT_EQ(o.pa, rw_pa + 8);
  o = access(kUserVa, false, false, true);  // privileged data access (PAN = 0)
  EXPECT_EQ(o.response, reference::Response::kOk) << reference::describe(o);
  EXPECT_EQ(event(access(kUserVa, false, true)), kPerm);  // UXN

  o = access(kUserVa + 5 * kMiB + 0x10, false);
  EXPECT_EQ(o.response, reference::Response::kOk) << reference::describe(o);
  EXPECT_EQ(o.pa, ro_pa + 0x10);
  EXPECT_EQ(event(access(kUserVa + 5 * kMiB, true)), kPerm);  // AP[2]

  o = access(0x40'0000'0ff8, false, true);
  EXPECT_EQ(o.response, reference::Response::kOk) << reference::describe(o);
  EXPECT_EQ(o.pa, x_pa + 0xff8);
  EXPECT_EQ(event(access(0x40'0000'0000, false, true, true)), kPerm);  // PXN

  // The top of the 48-bit user space (VA[47] = 1): a level-0 index of 9 bits.
  const uint64_t top_va = 0xffff'ffff'f000, top_pa = 0x77'0000'0000;
  ASSERT_EQ(mm_->map(top_va, top_pa, kPage, {}), MmStatus::kOk);
  o = access(top_va + 0xabc, true);
  EXPECT_EQ(o.response, reference::Response::kOk) << reference::describe(o);
  EXPECT_EQ(o.pa, top_pa + 0xabc);

  EXPECT_EQ(event(access(kUserVa + kPage, false)), kTransl);  // not mapped
  EXPECT_EQ(event(access(0xffff'ffff'ffff'f000, false)), kTransl);  // TTBR1 half: EPD1
}

TEST_F(ProcessMmReferenceWalk, TheModelsWalkerAgreesWithTheReferenceOnEveryAccess) {
  ASSERT_EQ(mm_->map(kUserVa, 0x1000'0000, kPage, {true, false}), MmStatus::kOk);
  ASSERT_EQ(mm_->map(kUserVa + kPage, 0x2000'0000, kPage, {false, false}), MmStatus::kOk);
  ASSERT_EQ(mm_->map(kUserVa + 2 * kPage, 0x3000'0000, kPage, {true, true}), MmStatus::kOk);
  ASSERT_EQ(mm_->map(kUserVa + 3 * kPage, 0x4000'0000, kPage, {false, true}), MmStatus::kOk);
  int translated = 0, faulted = 0;
  for (uint64_t va = kUserVa; va < kUserVa + 5 * kPage; va += kPage) {  // the last: unmapped
    for (int a = 0; a < 8; ++a) {
      const bool write = a & 1, exec = a & 2, priv = a & 4;
      SCOPED_TRACE(testing::Message() << std::hex << va << " write " << write << " exec " << exec
                                      << " priv " << priv);
      const reference::Outcome ref = access(va + 0x40, write, exec, priv);
      const model::WalkResult hw = model_walk(va + 0x40, write, exec, priv);
      ASSERT_EQ(hw.ok(), ref.response == reference::Response::kOk) << reference::describe(ref);
      if (hw.ok()) {
        EXPECT_EQ(hw.out_addr, ref.pa);
        EXPECT_FALSE(hw.global);  // nG = 1
        EXPECT_EQ(hw.s1_level, 3);
        ++translated;
      } else {
        const uint8_t want = hw.fault == model::FaultType::kPermission
                                 ? static_cast<uint8_t>(arch::EventId::kPermission)
                                 : static_cast<uint8_t>(arch::EventId::kTranslation);
        EXPECT_EQ(event(ref), want);
        ++faulted;
      }
    }
  }
  EXPECT_GT(translated, 8);
  EXPECT_GT(faulted, 8);
}

TEST_F(ProcessMmReferenceWalk, FollowsUnmapAndRemap) {
  ASSERT_EQ(mm_->mmap_anonymous(kUserVa, 2 * kPage, {}), MmStatus::kOk);
  const uint64_t pa0 = mm_->lookup(kUserVa)->pa;
  EXPECT_EQ(access(kUserVa + 4, true).pa, pa0 + 4);
  ASSERT_EQ(mm_->remap(kUserVa, kPage), MmStatus::kOk);
  const uint64_t pa1 = mm_->lookup(kUserVa)->pa;
  ASSERT_NE(pa1, pa0);
  reference::Outcome o = access(kUserVa + 4, true);
  EXPECT_EQ(o.response, reference::Response::kOk) << reference::describe(o);
  EXPECT_EQ(o.pa, pa1 + 4);
  ASSERT_EQ(mm_->unmap(kUserVa, 2 * kPage).unmapped, 2 * kPage);
  EXPECT_EQ(event(access(kUserVa, false)), static_cast<uint8_t>(arch::EventId::kTranslation));
}

}  // namespace
}  // namespace smmu::driver
