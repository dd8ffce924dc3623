// SPDX-License-Identifier: Apache-2.0
// The endpoint's ATC: lookups across page sizes, privilege levels and execute, ATC_INV
// ranges and PASID selection, replacement, counters and parameter checks. No simulation
// kernel runs.
#include "rtl_model/pcie/atc.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace smmu::model {
namespace {

using arch::Command;
using arch::Opcode;

constexpr uint64_t kPage = 4096;

AtcEntry entry(uint64_t page, uint64_t out_page, bool ssv = false, uint32_t ssid = 0,
               uint8_t shift = 12, bool write = true) {
  AtcEntry e;
  e.ssv = ssv;
  e.ssid = ssid;
  e.untranslated = page * kPage;
  e.size_shift = shift;
  e.translated = out_page * kPage;
  e.read = true;
  e.write = write;
  return e;
}

Command atc_inv(uint64_t page, uint8_t size, bool ssv = false, uint32_t ssid = 0,
                bool global = false) {
  return Command(Opcode::kAtcInv)
      .set_sid(7)
      .set_addr(page * kPage)
      .set_size(size)
      .set_ssv(ssv)
      .set_ssid(ssid)
      .set_global(global);
}

bool cached(const Atc& atc, uint64_t page, bool ssv = false, uint32_t ssid = 0) {
  return atc.probe(ssid, ssv, false, page * kPage + 0x10).has_value();
}

// The Linux span computation (the fact sheet): pages [ps, pe] -> SIZE and ADDR page.
void linux_span(uint64_t ps, uint64_t pe, uint8_t& size, uint64_t& page) {
  const unsigned log2_span = 64 - __builtin_clzll(ps ^ pe);  // fls
  size = static_cast<uint8_t>(log2_span);
  page = ps & ~((uint64_t{1} << log2_span) - 1);
}

TEST(PcieAtc, LookupHitMissTranslateAndCounters) {
  Atc atc;
  EXPECT_EQ(atc.capacity(), 64u);
  EXPECT_EQ(atc.lookup_time(), sc_core::sc_time(2, sc_core::SC_NS));
  EXPECT_EQ(atc.lookup(0, false, false, 0x5000), nullptr);
  atc.insert(entry(5, 0x80));
  const AtcEntry* e = atc.lookup(0, false, false, 0x5123);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->translate(0x5123), 0x80123u);
  EXPECT_TRUE(e->allows(false));
  EXPECT_TRUE(e->allows(true));
  EXPECT_EQ(atc.lookup(0, false, false, 0x6000), nullptr);
  // A PASID entry is not a no-PASID entry, and the SSID is ignored without SSV.
  EXPECT_EQ(atc.lookup(0, true, false, 0x5000), nullptr);
  EXPECT_NE(atc.lookup(99, false, false, 0x5000), nullptr);
  EXPECT_EQ(atc.hits(), 2u);
  EXPECT_EQ(atc.misses(), 3u);
  EXPECT_EQ(atc.insertions(), 1u);
  EXPECT_EQ(atc.occupancy(), 1u);
}

TEST(PcieAtc, InsertAlignsAndReplacesTheSameTag) {
  Atc atc;
  AtcEntry e = entry(5, 0x80, true, 3);
  e.untranslated += 0x123;
  e.translated += 0x456;
  e.write = false;
  atc.insert(e);
  auto got = atc.probe(3, true, false, 0x5fff);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->untranslated, 0x5000u);
  EXPECT_EQ(got->translate(0x5fff), 0x80fffu);
  EXPECT_FALSE(got->write);
  atc.insert(entry(5, 0x90, true, 3));  // the newer answer wins
  EXPECT_EQ(atc.occupancy(), 1u);
  EXPECT_EQ(atc.probe(3, true, false, 0x5000)->translated, 0x90000u);
  EXPECT_TRUE(atc.probe(3, true, false, 0x5000)->write);
  // Another PASID with the same address is a different entry.
  atc.insert(entry(5, 0xa0, true, 4));
  EXPECT_EQ(atc.occupancy(), 2u);
  EXPECT_EQ(atc.probe(4, true, false, 0x5000)->translated, 0xa0000u);
}

TEST(PcieAtc, MixedPageSizes) {
  Atc atc;
  atc.insert(entry(0x200, 0x4000, false, 0, 21));  // 2 MiB at 2 MiB -> 64 MiB
  atc.insert(entry(0x7, 0x99));                    // 4 KiB
  const AtcEntry* big = atc.lookup(0, false, false, 0x3ff010);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->size_shift, 21);
  EXPECT_EQ(big->translate(0x3ff010), 0x41ff010u);
  const AtcEntry* small = atc.lookup(0, false, false, 0x7008);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->translate(0x7008), 0x99008u);
  EXPECT_EQ(atc.lookup(0, false, false, 0x400000), nullptr);  // just past the block
  // A newer 4 KiB answer inside the block replaces the block for that PASID.
  atc.insert(entry(0x201, 0x55));
  EXPECT_EQ(atc.occupancy(), 2u);
  EXPECT_EQ(atc.lookup(0, false, false, 0x200000), nullptr);
  EXPECT_EQ(atc.lookup(0, false, false, 0x201000)->translate(0x201000), 0x55000u);
}

TEST(PcieAtc, BadSizeShiftRejected) {
  Atc atc;
  EXPECT_THROW(atc.insert(entry(1, 1, false, 0, 11)), std::invalid_argument);
  EXPECT_THROW(atc.insert(entry(1, 1, false, 0, 64)), std::invalid_argument);
  EXPECT_NO_THROW(atc.insert(entry(0, 0, false, 0, 63)));
  EXPECT_NE(atc.lookup(0, false, false, 0x7fff'ffff'ffff'ffffull), nullptr);
}

// --- privilege levels and execute (IHI 0070 §13.7) ---

AtcEntry priv_entry(uint64_t page, uint64_t out_page, uint32_t ssid, bool priv) {
  AtcEntry e = entry(page, out_page, true, ssid);
  e.priv = priv;
  return e;
}

// A completion's permissions are for its Priv level only: the other level misses, and
// both levels' entries live side by side (the newer answer replaces its own level only).
TEST(PcieAtc, PrivilegeLevelsAreSeparateEntries) {
  Atc atc;
  atc.insert(priv_entry(5, 0x80, 3, false));
  EXPECT_EQ(atc.lookup(3, true, true, 0x5000), nullptr);
  EXPECT_NE(atc.lookup(3, true, false, 0x5000), nullptr);
  atc.insert(priv_entry(5, 0x90, 3, true));
  EXPECT_EQ(atc.occupancy(), 2u);
  EXPECT_EQ(atc.lookup(3, true, false, 0x5010)->translate(0x5010), 0x80010u);
  EXPECT_EQ(atc.lookup(3, true, true, 0x5010)->translate(0x5010), 0x90010u);
  atc.insert(priv_entry(5, 0xa0, 3, true));  // replaces the privileged one only
  EXPECT_EQ(atc.occupancy(), 2u);
  EXPECT_EQ(atc.probe(3, true, false, 0x5000)->translated, 0x80000u);
  EXPECT_EQ(atc.probe(3, true, true, 0x5000)->translated, 0xa0000u);
  EXPECT_FALSE(atc.probe(3, true, true, 0x6000).has_value());
  EXPECT_EQ(atc.hits(), 3u);
  EXPECT_EQ(atc.misses(), 1u);
}

// Without a PASID there is no Priv: an entry is stored unprivileged and serves any
// lookup without SSV.
TEST(PcieAtc, NoPasidIgnoresPriv) {
  Atc atc;
  AtcEntry e = entry(5, 0x80);
  e.priv = true;
  atc.insert(e);
  ASSERT_TRUE(atc.probe(0, false, false, 0x5000).has_value());
  EXPECT_FALSE(atc.probe(0, false, false, 0x5000)->priv);
  EXPECT_NE(atc.lookup(0, false, true, 0x5000), nullptr);
}

// An instruction fetch is a read that needs Exe; data reads and writes do not.
TEST(PcieAtc, ExecNeedsExe) {
  AtcEntry e = entry(5, 0x80);
  EXPECT_TRUE(e.allows(false, false));
  EXPECT_FALSE(e.allows(false, true));
  e.exec = true;
  EXPECT_TRUE(e.allows(false, true));
  e.read = false;  // Exe implies R: a completion never grants it alone
  EXPECT_FALSE(e.allows(false, true));
  e = entry(5, 0x80, false, 0, 12, false);
  e.exec = true;
  EXPECT_FALSE(e.allows(true, false));
}

// ATC_INV names addresses and a PASID, not a level: both levels go, with SSV or without.
TEST(PcieAtc, InvalidationDropsBothPrivilegeLevels) {
  Atc atc;
  for (bool priv : {false, true}) {
    atc.insert(priv_entry(5, 0x80, 3, priv));
    atc.insert(priv_entry(6, 0x81, 4, priv));
  }
  EXPECT_EQ(atc.occupancy(), 4u);
  EXPECT_EQ(atc.invalidate(atc_inv(5, 0, true, 3)), 2u);
  for (bool priv : {false, true}) {
    EXPECT_FALSE(atc.probe(3, true, priv, 0x5000).has_value()) << priv;
    EXPECT_TRUE(atc.probe(4, true, priv, 0x6000).has_value()) << priv;
  }
  EXPECT_EQ(atc.invalidate(atc_inv(6, 0)), 2u);
  EXPECT_EQ(atc.occupancy(), 0u);
  EXPECT_EQ(atc.entries_invalidated(), 4u);
}

// --- ATC_INV ranges ---

TEST(PcieAtc, FactSheetSpans) {
  uint8_t size;
  uint64_t page;
  linux_span(8, 11, size, page);
  EXPECT_EQ(size, 2);
  EXPECT_EQ(page, 8u);
  linux_span(7, 10, size, page);
  EXPECT_EQ(size, 4);
  EXPECT_EQ(page, 0u);

  AtcInvRange r = atc_inv_range(atc_inv(8, 2));
  EXPECT_EQ(r.base, 8 * kPage);
  EXPECT_EQ(r.shift, 14u);
  r = atc_inv_range(atc_inv(9, 2));  // ADDR is aligned down to the range
  EXPECT_EQ(r.base, 8 * kPage);
  r = atc_inv_range(atc_inv(0x12345, 52));
  EXPECT_TRUE(r.all());
  EXPECT_FALSE(atc_inv_range(atc_inv(0, 51)).all());
}

TEST(PcieAtc, Pages8To11) {
  Atc atc;
  for (uint64_t p = 6; p <= 13; ++p) atc.insert(entry(p, 0x100 + p));
  EXPECT_EQ(atc.invalidate(atc_inv(8, 2)), 4u);
  for (uint64_t p = 6; p <= 13; ++p) EXPECT_EQ(cached(atc, p), p < 8 || p > 11) << p;
  EXPECT_EQ(atc.invalidations(), 1u);
  EXPECT_EQ(atc.entries_invalidated(), 4u);
}

TEST(PcieAtc, Pages7To10BecomeSixteenPagesFromZero) {
  Atc atc;
  for (uint64_t p : {0, 3, 7, 10, 15, 16, 17}) atc.insert(entry(p, p));
  EXPECT_EQ(atc.invalidate(atc_inv(0, 4)), 5u);
  for (uint64_t p : {0, 3, 7, 10, 15}) EXPECT_FALSE(cached(atc, p)) << p;
  EXPECT_TRUE(cached(atc, 16));
  EXPECT_TRUE(cached(atc, 17));
}

TEST(PcieAtc, SizeZeroIsOnePage) {
  Atc atc;
  for (uint64_t p = 0x40; p <= 0x42; ++p) atc.insert(entry(p, p));
  EXPECT_EQ(atc.invalidate(atc_inv(0x41, 0)), 1u);
  EXPECT_TRUE(cached(atc, 0x40));
  EXPECT_FALSE(cached(atc, 0x41));
  EXPECT_TRUE(cached(atc, 0x42));
  EXPECT_EQ(atc.invalidate(atc_inv(0x41, 0)), 0u);  // nothing left there
  EXPECT_EQ(atc.invalidations(), 2u);
  EXPECT_EQ(atc.entries_invalidated(), 1u);
}

TEST(PcieAtc, SizeAllClearsEverything) {
  Atc atc;
  atc.insert(entry(1, 1));
  atc.insert(entry(0xfffff'ffff'fffull, 2));  // the last page of the address space
  atc.insert(entry(0x200, 3, false, 0, 21));
  atc.insert(entry(5, 4, true, 9));
  EXPECT_EQ(atc.invalidate(atc_inv(0x777, arch::kAtcInvSizeAll)), 4u);
  EXPECT_EQ(atc.occupancy(), 0u);
}

TEST(PcieAtc, SizeAllWithSsvClearsThatPasidOnly) {
  Atc atc;
  atc.insert(entry(1, 1, true, 5));
  atc.insert(entry(0x9000000, 2, true, 5));
  atc.insert(entry(1, 3, true, 6));
  atc.insert(entry(1, 4));
  EXPECT_EQ(atc.invalidate(atc_inv(0, arch::kAtcInvSizeAll, true, 5)), 2u);
  EXPECT_TRUE(cached(atc, 1, true, 6));
  EXPECT_TRUE(cached(atc, 1));
}

TEST(PcieAtc, SsvSelectsOnePasidAndGlobalIsIgnored) {
  for (bool global : {false, true}) {
    SCOPED_TRACE(global ? "GLOBAL=1" : "GLOBAL=0");
    Atc atc;
    atc.insert(entry(3, 1));           // no PASID
    atc.insert(entry(3, 2, true, 1));  // PASID 1
    atc.insert(entry(3, 3, true, 2));  // PASID 2
    EXPECT_EQ(atc.invalidate(atc_inv(3, 0, true, 1, global)), 1u);
    EXPECT_TRUE(cached(atc, 3));
    EXPECT_FALSE(cached(atc, 3, true, 1));
    EXPECT_TRUE(cached(atc, 3, true, 2));
  }
}

// Without a PASID an invalidation reaches every entry of the range, PASID-tagged ones
// included (PCIe; see atc.h), with or without GLOBAL.
TEST(PcieAtc, NoSsvReachesEveryPasidInRange) {
  for (bool global : {false, true}) {
    SCOPED_TRACE(global ? "GLOBAL=1" : "GLOBAL=0");
    Atc atc;
    atc.insert(entry(3, 1));
    atc.insert(entry(3, 2, true, 1));
    atc.insert(entry(3, 3, true, 2));
    atc.insert(entry(4, 4, true, 2));  // outside the range
    EXPECT_EQ(atc.invalidate(atc_inv(3, 0, false, 0, global)), 3u);
    EXPECT_FALSE(cached(atc, 3));
    EXPECT_FALSE(cached(atc, 3, true, 1));
    EXPECT_FALSE(cached(atc, 3, true, 2));
    EXPECT_TRUE(cached(atc, 4, true, 2));
  }
}

TEST(PcieAtc, BlockRemovedByAnOverlappingSmallerRange) {
  Atc atc;
  atc.insert(entry(0x200, 0x4000, false, 0, 21));  // [2 MiB, 4 MiB)
  EXPECT_EQ(atc.invalidate(atc_inv(0x400, 0)), 0u);  // 4 MiB: just past it
  EXPECT_EQ(atc.invalidate(atc_inv(0x1ff, 0)), 0u);  // just before it
  EXPECT_EQ(atc.occupancy(), 1u);
  EXPECT_EQ(atc.invalidate(atc_inv(0x3ff, 0)), 1u);  // its last 4 KiB page
  EXPECT_EQ(atc.occupancy(), 0u);
  EXPECT_EQ(atc.lookup(0, false, false, 0x200000), nullptr);

  // A range larger than the entry covers it too.
  atc.insert(entry(0x200, 0x4000, false, 0, 21));
  EXPECT_EQ(atc.invalidate(atc_inv(0x123, 10)), 1u);  // [0, 4 MiB)
}

TEST(PcieAtc, InvalidateRejectsOtherOpcodes) {
  Atc atc;
  atc.insert(entry(1, 1));
  try {
    atc.invalidate(Command(Opcode::kTlbiNhAll));
    FAIL() << "accepted a TLBI";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("0x10"), std::string::npos) << e.what();
  }
  EXPECT_EQ(atc.occupancy(), 1u);
  EXPECT_EQ(atc.invalidations(), 0u);
}

// --- replacement ---

TEST(PcieAtc, LruReplacement) {
  AtcParams p;
  p.sets = 1;
  p.ways = 2;
  Atc atc(p);
  atc.insert(entry(1, 1));
  atc.insert(entry(2, 2));
  ASSERT_NE(atc.lookup(0, false, false, 1 * kPage), nullptr);  // page 1 is now the most recent
  atc.insert(entry(3, 3));
  EXPECT_TRUE(cached(atc, 1));
  EXPECT_FALSE(cached(atc, 2));
  EXPECT_TRUE(cached(atc, 3));
  EXPECT_EQ(atc.evictions(), 1u);
}

TEST(PcieAtc, FifoReplacement) {
  AtcParams p;
  p.sets = 1;
  p.ways = 2;
  p.policy = ReplacementPolicy::kFifo;
  Atc atc(p);
  atc.insert(entry(1, 1));
  atc.insert(entry(2, 2));
  ASSERT_NE(atc.lookup(0, false, false, 1 * kPage), nullptr);  // does not save page 1
  atc.insert(entry(3, 3));
  EXPECT_FALSE(cached(atc, 1));
  EXPECT_TRUE(cached(atc, 2));
  EXPECT_TRUE(cached(atc, 3));
}

TEST(PcieAtc, DefaultGeometryHoldsSixtyFourPages) {
  Atc atc;
  for (uint64_t p = 0; p < 64; ++p) atc.insert(entry(p, p + 1000));
  EXPECT_EQ(atc.occupancy(), 64u);
  EXPECT_EQ(atc.evictions(), 0u);  // consecutive pages spread over all 16 sets
  for (uint64_t p = 0; p < 64; ++p)
    ASSERT_EQ(atc.lookup(0, false, false, p * kPage)->translated, (p + 1000) * kPage);
  atc.insert(entry(64, 0));
  EXPECT_EQ(atc.occupancy(), 64u);
  EXPECT_EQ(atc.evictions(), 1u);
  atc.clear();
  EXPECT_EQ(atc.occupancy(), 0u);
}

TEST(PcieAtc, BadParamsNameTheKey) {
  auto message = [](AtcParams p) -> std::string {
    try {
      Atc atc(p);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  AtcParams p;
  EXPECT_EQ(message(p), "");
  p.sets = 12;
  EXPECT_NE(message(p).find("atc.sets (12)"), std::string::npos) << message(p);
  p = AtcParams();
  p.ways = 0;
  EXPECT_NE(message(p).find("atc.ways"), std::string::npos);
}

}  // namespace
}  // namespace smmu::model
