// SPDX-License-Identifier: Apache-2.0
// io-pgtable on the host: geometry per stage/granule/size, map/unmap/iova_to_phys, blocks
// where aligned, partial block unmaps that split, empty tables handed to the gather and
// freed after, gather ranges and leaf flags, all-or-nothing failures (allocation, overlap),
// leaf attributes, the barrier before every link, and the tables read back two ways: a
// reference walk written here from the descriptor format, and the model's TableWalker
// over the same memory, configured from the CD/STE fields the table fills in.
#include "driver/io_pgtable.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

#include "rtl_model/smmu/regime.h"
#include "rtl_model/smmu/table_walker.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

using test::HostOs;

constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;

constexpr uint64_t low_mask(unsigned bits) {
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

IoPgtableConfig config(PgtableStage stage, unsigned g, unsigned ias, unsigned oas, bool ng = false) {
  IoPgtableConfig c;
  c.stage = stage;
  c.granule_shift = g;
  c.ias = ias;
  c.oas = oas;
  c.ng = ng;
  return c;
}

std::unique_ptr<IoPgtable> make(HostOs& os, const IoPgtableConfig& c) {
  auto t = IoPgtable::create(os, c);
  if (!t) throw std::runtime_error("start table allocation failed");
  return t;
}

// --- a reference walk: geometry from the CD / STE fields, descriptors by arch helpers

struct RefGeometry {
  unsigned g = 12;
  unsigned ias = 48;
  int start = 0;
  bool oa52 = false;
  uint64_t ttb = 0;
};

unsigned granule_of_tg(uint8_t tg) { return tg == 0 ? 12 : tg == 1 ? 16 : 14; }

RefGeometry geometry_of(const IoPgtable& t) {
  RefGeometry r;
  if (t.config().stage == PgtableStage::kS1) {
    arch::Cd cd;
    t.fill_cd(cd);
    r.g = granule_of_tg(cd.tg0);
    r.ias = 64 - cd.t0sz;
    const unsigned bpl = r.g - 3;
    r.start = 4 - static_cast<int>((r.ias - r.g + bpl - 1) / bpl);
    r.oa52 = cd.ips == 6;
    r.ttb = cd.ttb0;
  } else {
    arch::Ste ste;
    t.fill_ste(ste);
    r.g = granule_of_tg(ste.s2tg);
    r.ias = 64 - ste.s2t0sz;
    r.start = (r.g == 12 ? 2 : 3) - ste.s2sl0;
    r.oa52 = ste.s2ps == 6;
    r.ttb = ste.s2ttb;
  }
  r.oa52 = r.oa52 && r.g == 16;
  return r;
}

std::optional<uint64_t> ref_walk(HostOs& os, const RefGeometry& geo, uint64_t iova) {
  uint64_t table = geo.ttb;
  for (int level = geo.start; level <= 3; ++level) {
    const unsigned shift = geo.g + (3 - level) * (geo.g - 3);
    const unsigned bits = level == geo.start ? geo.ias - shift : geo.g - 3;
    const uint64_t desc = os.read64(table + ((iova >> shift) & low_mask(bits)) * 8);
    switch (arch::descriptor_type(desc, level)) {
      case arch::DescriptorType::kTable:
        table = arch::descriptor_address(desc, geo.g, geo.oa52);
        continue;
      case arch::DescriptorType::kBlock:
      case arch::DescriptorType::kPage:
        return (arch::descriptor_address(desc, geo.g, geo.oa52) & ~low_mask(shift)) |
               (iova & low_mask(shift));
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

// --- the model's walker over HostOs memory

class OsWalkMemory : public model::WalkMemory {
 public:
  explicit OsWalkMemory(HostOs& os) : os_(os) {}
  bool read64(uint64_t pa, uint64_t& value, sc_core::sc_time& delay) override {
    value = os_.read64(pa);
    delay += sc_core::sc_time(1, sc_core::SC_NS);
    return true;
  }

 private:
  HostOs& os_;
};

model::WalkResult hw_walk(HostOs& os, const IoPgtable& t, uint64_t iova, model::Access access = {}) {
  OsWalkMemory mem(os);
  model::TableWalker walker(mem, nullptr, model::WalkerParams{});
  model::SmmuTranslationCaps caps;
  caps.oas_bits = t.config().oas;
  model::WalkRequest req;
  req.iova = iova;
  req.access = access;
  model::Stage1Regime s1;
  model::StageConfig s2;
  std::string why;
  if (t.config().stage == PgtableStage::kS1) {
    arch::Cd cd;
    t.fill_cd(cd);
    cd.valid = true;
    cd.asid = 7;
    if (!model::decode_cd_regime(cd, caps, s1, &why)) throw std::runtime_error("CD rejected: " + why);
    req.s1 = &s1;
  } else {
    arch::Ste ste;
    ste.valid = true;
    ste.config = static_cast<uint8_t>(arch::SteConfig::kS2);
    t.fill_ste(ste);
    if (!model::decode_ste_stage2(ste, caps, s2, &why))
      throw std::runtime_error("STE rejected: " + why);
    req.s2 = &s2;
  }
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  return walker.walk(req, delay);
}

// --- configuration and geometry

TEST(IoPgtableConfig, RejectsBadValuesNamingTheField) {
  HostOs os;
  auto expect_bad = [&](const IoPgtableConfig& c, const std::string& key) {
    try {
      IoPgtable::create(os, c);
      ADD_FAILURE() << "accepted " << key;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_bad(config(PgtableStage::kS1, 13, 48, 48), "granule_shift 13");
  expect_bad(config(PgtableStage::kS1, 12, 48, 46), "oas 46");
  expect_bad(config(PgtableStage::kS1, 12, 48, 52), "oas 52");
  expect_bad(config(PgtableStage::kS1, 12, 49, 48), "ias 49");
  expect_bad(config(PgtableStage::kS1, 12, 24, 48), "ias 24");
  expect_bad(config(PgtableStage::kS1, 16, 52, 52), "ias 52");  // no 52-bit VA at stage 1
  expect_bad(config(PgtableStage::kS2, 12, 44, 40), "ias 44");  // IPA wider than oas
  expect_bad(config(PgtableStage::kS2, 12, 40, 40, true), "ng");
  EXPECT_EQ(os.live_allocations(), 0u);
}

struct GeometryCase {
  PgtableStage stage;
  unsigned g, ias, oas;
  int start;
  unsigned concat;
  size_t root_bytes;
};

TEST(IoPgtableConfig, StartLevelAndConcatenation) {
  const GeometryCase cases[] = {
      {PgtableStage::kS1, 12, 48, 48, 0, 1, 4096},
      {PgtableStage::kS1, 12, 39, 48, 1, 1, 4096},
      {PgtableStage::kS1, 12, 40, 48, 0, 1, 64},     // 2 entries, TTB aligned to 64 bytes
      {PgtableStage::kS1, 16, 48, 48, 1, 1, 512},
      {PgtableStage::kS1, 14, 47, 48, 1, 1, 16384},
      {PgtableStage::kS2, 12, 48, 48, 0, 1, 4096},
      {PgtableStage::kS2, 12, 44, 44, 0, 1, 256},    // 32 level-0 entries: no concatenation
      {PgtableStage::kS2, 12, 43, 44, 1, 16, 65536}, // 16 entries: 16 level-1 tables
      {PgtableStage::kS2, 12, 40, 40, 1, 2, 8192},
      {PgtableStage::kS2, 12, 32, 32, 1, 1, 64},     // Linux concatenates only from level 0
      {PgtableStage::kS2, 14, 48, 48, 1, 2, 32768},  // 16K cannot start at level 0
      {PgtableStage::kS2, 14, 40, 40, 2, 16, 262144},// level 1 needs oas >= 42
      {PgtableStage::kS2, 14, 40, 42, 1, 1, 128},
      {PgtableStage::kS2, 16, 52, 52, 1, 1, 8192},
      {PgtableStage::kS2, 16, 42, 42, 2, 1, 65536},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("stage " + std::to_string(static_cast<int>(c.stage)) + " g " +
                 std::to_string(c.g) + " ias " + std::to_string(c.ias) + " oas " +
                 std::to_string(c.oas));
    HostOs os;
    auto t = make(os, config(c.stage, c.g, c.ias, c.oas));
    EXPECT_EQ(t->start_level(), c.start);
    EXPECT_EQ(t->concat_tables(), c.concat);
    EXPECT_EQ(t->root_bytes(), c.root_bytes);
    EXPECT_EQ(t->root() % c.root_bytes, 0u);
    EXPECT_EQ(os.live_allocations(), 1u);
  }
}

TEST(IoPgtableConfig, FillsCdAndSteFields) {
  HostOs os;
  auto s1 = make(os, config(PgtableStage::kS1, 16, 42, 44));
  arch::Cd cd;
  s1->fill_cd(cd);
  EXPECT_EQ(cd.t0sz, 22);
  EXPECT_EQ(cd.tg0, 1);  // 64K
  EXPECT_EQ(cd.ips, 4);  // 44 bits
  EXPECT_EQ(cd.ttb0, s1->root());
  EXPECT_TRUE(cd.epd1);
  EXPECT_FALSE(cd.epd0);
  EXPECT_TRUE(cd.aa64);
  EXPECT_EQ(cd.mair, kS1Mair);
  EXPECT_THROW(s1->fill_ste(*std::make_unique<arch::Ste>()), std::logic_error);

  auto s2 = make(os, config(PgtableStage::kS2, 14, 40, 40));
  arch::Ste ste;
  s2->fill_ste(ste);
  EXPECT_EQ(ste.s2t0sz, 24);
  EXPECT_EQ(ste.s2tg, 2);   // 16K
  EXPECT_EQ(ste.s2sl0, 1);  // level 2 for 16K
  EXPECT_EQ(ste.s2ps, 2);   // 40 bits
  EXPECT_EQ(ste.s2ttb, s2->root());
  EXPECT_TRUE(ste.s2aa64);
  EXPECT_THROW(s2->fill_cd(cd), std::logic_error);

  auto s2l0 = make(os, config(PgtableStage::kS2, 12, 44, 48));
  s2l0->fill_ste(ste);
  EXPECT_EQ(ste.s2sl0, 2);  // 4K, level 0
}

TEST(IoPgtableConfig, StartTableAllocationFailureIsNull) {
  HostOs os;
  os.fail_allocations_after(0);
  EXPECT_EQ(IoPgtable::create(os, config(PgtableStage::kS1, 12, 48, 48)), nullptr);
  EXPECT_EQ(os.live_allocations(), 0u);
}

// --- map / unmap per stage and granule

struct Geo {
  PgtableStage stage;
  unsigned g, ias, oas;
};

std::string geo_string(const Geo& p) {
  return std::string(p.stage == PgtableStage::kS1 ? "S1" : "S2") + "_" +
         std::to_string(1u << (p.g - 10)) + "K_ias" + std::to_string(p.ias) + "_oas" +
         std::to_string(p.oas);
}
std::string geo_name(const testing::TestParamInfo<Geo>& info) { return geo_string(info.param); }
void PrintTo(const Geo& p, std::ostream* os) { *os << geo_string(p); }

class IoPgtableGeo : public testing::TestWithParam<Geo> {
 protected:
  void SetUp() override {
    const Geo& p = GetParam();
    t = make(os, config(p.stage, p.g, p.ias, p.oas));
    gran = uint64_t{1} << p.g;
    block = uint64_t{1} << (p.g + (p.g - 3));  // level-2 block
    iova_base = uint64_t{1} << (p.ias - 1);
    pa_base = uint64_t{1} << (p.oas - 1);
  }
  HostOs os;
  std::unique_ptr<IoPgtable> t;
  uint64_t gran = 0, block = 0, iova_base = 0, pa_base = 0;
};

TEST_P(IoPgtableGeo, MapTranslateUnmapFreesEverything) {
  const IommuProt rw;
  // A page, a level-2 block, and a range with pages on both sides of a block.
  ASSERT_EQ(t->map(iova_base + gran, pa_base + 5 * gran, gran, rw), PgtableStatus::kOk);
  ASSERT_EQ(t->map(iova_base + 4 * block, pa_base + 2 * block, block, rw), PgtableStatus::kOk);
  const uint64_t r0 = iova_base + 8 * block - 2 * gran, rpa = pa_base + 16 * block - 2 * gran;
  ASSERT_EQ(t->map(r0, rpa, block + 4 * gran, rw), PgtableStatus::kOk);

  EXPECT_EQ(t->iova_to_phys(iova_base + gran + 0x18), pa_base + 5 * gran + 0x18);
  EXPECT_EQ(t->iova_to_phys(iova_base), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(iova_base + 2 * gran), std::nullopt);
  const auto blk = t->lookup(iova_base + 4 * block + 3 * gran + 8);
  ASSERT_TRUE(blk);
  EXPECT_EQ(blk->level, 2);
  EXPECT_EQ(blk->pa, pa_base + 2 * block + 3 * gran + 8);
  // The range: 2 pages, one block, 2 pages.
  EXPECT_EQ(t->lookup(r0)->level, 3);
  EXPECT_EQ(t->lookup(r0 + gran)->level, 3);
  EXPECT_EQ(t->lookup(r0 + 2 * gran)->level, 2);
  EXPECT_EQ(t->lookup(r0 + 2 * gran + block - 8)->level, 2);
  EXPECT_EQ(t->lookup(r0 + 2 * gran + block)->level, 3);
  EXPECT_EQ(t->iova_to_phys(r0 + 2 * gran + block + gran + 4), rpa + 2 * gran + block + gran + 4);
  EXPECT_EQ(t->iova_to_phys(r0 + 4 * gran + block), std::nullopt);

  Gather g;
  UnmapResult r = t->unmap(iova_base, 16 * block, g);
  EXPECT_EQ(r.status, PgtableStatus::kOk);
  EXPECT_EQ(r.unmapped, gran + block + block + 4 * gran);
  EXPECT_FALSE(g.leaf);  // tables went too
  EXPECT_EQ(g.leaf_shift, GetParam().g);
  EXPECT_EQ(g.max_leaf_shift, GetParam().g + GetParam().g - 3);
  EXPECT_EQ(g.start, iova_base + gran);
  EXPECT_EQ(g.end, r0 + 4 * gran + block);
  EXPECT_EQ(t->iova_to_phys(iova_base + gran), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(iova_base + 4 * block), std::nullopt);
  // Freed tables stay allocated until the caller has invalidated.
  EXPECT_EQ(os.live_allocations(), 1 + g.freelist.size());
  EXPECT_FALSE(g.freelist.empty());
  free_gathered_tables(os, g);
  EXPECT_EQ(os.live_allocations(), 1u);
  EXPECT_EQ(t->table_count(), 1u);
}

TEST_P(IoPgtableGeo, PartialBlockUnmapSplitsTheBlock) {
  IommuProt ro;
  ro.write = false;
  const uint64_t iova = iova_base + 2 * block, pa = pa_base + 6 * block;
  ASSERT_EQ(t->map(iova, pa, block, ro), PgtableStatus::kOk);
  const uint64_t attrs_before = t->lookup(iova)->desc & (arch::field_mask(11, 2) | arch::field_mask(63, 50));
  const size_t live = os.live_allocations();

  Gather g;
  UnmapResult r = t->unmap(iova + 3 * gran, 2 * gran, g);
  ASSERT_EQ(r.status, PgtableStatus::kOk);
  EXPECT_EQ(r.unmapped, 2 * gran);
  // The old block's TLB entries cover all of it: the whole block, at block size, leaf only.
  EXPECT_EQ(g.start, iova);
  EXPECT_EQ(g.end, iova + block);
  EXPECT_EQ(g.leaf_shift, GetParam().g + GetParam().g - 3);
  EXPECT_TRUE(g.leaf);
  EXPECT_TRUE(g.freelist.empty());
  EXPECT_EQ(os.live_allocations(), live + 1);  // one level-3 table

  for (uint64_t off = 0; off < block; off += gran) {
    const auto leaf = t->lookup(iova + off + 16);
    if (off == 3 * gran || off == 4 * gran) {
      EXPECT_FALSE(leaf) << off;
      continue;
    }
    ASSERT_TRUE(leaf) << off;
    EXPECT_EQ(leaf->level, 3);
    EXPECT_EQ(leaf->pa, pa + off + 16);
    EXPECT_EQ(leaf->desc & (arch::field_mask(11, 2) | arch::field_mask(63, 50)), attrs_before);
  }
  // Unmapping the rest frees the new table.
  Gather g2;
  r = t->unmap(iova, block, g2);
  EXPECT_EQ(r.unmapped, block - 2 * gran);
  EXPECT_FALSE(g2.leaf);
  EXPECT_EQ(g2.leaf_shift, GetParam().g);
  free_gathered_tables(os, g2);
  EXPECT_EQ(os.live_allocations(), 1u);
}

TEST_P(IoPgtableGeo, ReferenceWalkAndTableWalkerAgreeUnderRandomMapUnmap) {
  const Geo& p = GetParam();
  const uint64_t window = 4 * block;
  const uint64_t pages = window / gran;
  std::map<uint64_t, uint64_t> model;  // page index -> pa of the page
  std::mt19937_64 rng(1234 + p.g + p.ias);
  const RefGeometry geo = geometry_of(*t);
  unsigned block_hits = 0, splits = 0;

  auto pick_size = [&]() -> uint64_t {
    switch (rng() % 4) {
      case 0: return block;
      case 1: return block + (1 + rng() % 8) * gran;
      default: return (1 + rng() % 40) * gran;
    }
  };
  auto check_some = [&](unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t page = rng() % pages;
      const uint64_t off = (rng() % gran) & ~uint64_t{7};
      const uint64_t iova = iova_base + page * gran + off;
      const auto it = model.find(page);
      const std::optional<uint64_t> want =
          it == model.end() ? std::nullopt : std::optional<uint64_t>(it->second + off);
      const auto leaf = t->lookup(iova);
      ASSERT_EQ(leaf ? std::optional<uint64_t>(leaf->pa) : std::nullopt, want) << std::hex << iova;
      ASSERT_EQ(ref_walk(os, geo, iova), want) << std::hex << iova;
      if (leaf && leaf->level < 3) ++block_hits;
    }
  };

  unsigned maps = 0, unmaps = 0, overlaps = 0;
  for (int op = 0; op < 300; ++op) {
    const uint64_t size = pick_size();
    const bool aligned = rng() % 2;
    uint64_t first = (rng() % pages);
    if (aligned) first &= ~(block / gran - 1);
    if (first * gran + size > window) first = (window - size) / gran;
    const uint64_t iova = iova_base + first * gran;
    if (rng() % 3 != 0) {
      // pa congruent to iova modulo the block half of the time, so blocks get used.
      const bool congruent = rng() % 2;
      const uint64_t pa = pa_base + (rng() % 64) * block +
                          (congruent ? (iova & (block - 1)) : (rng() % 8) * gran);
      bool busy = false;
      for (uint64_t i = 0; i < size / gran && !busy; ++i) busy = model.count(first + i);
      const PgtableStatus st = t->map(iova, pa, size, IommuProt{});
      if (busy) {
        ASSERT_EQ(st, PgtableStatus::kAlreadyMapped);
        ++overlaps;
      } else {
        ASSERT_EQ(st, PgtableStatus::kOk);
        for (uint64_t i = 0; i < size / gran; ++i) model[first + i] = pa + i * gran;
        ++maps;
      }
    } else {
      uint64_t want = 0;
      std::vector<uint64_t> removed;
      for (uint64_t i = 0; i < size / gran; ++i)
        if (model.erase(first + i)) removed.push_back(iova_base + (first + i) * gran);
      want = removed.size() * gran;
      Gather g;
      const size_t tables_before = t->table_count();
      const UnmapResult r = t->unmap(iova, size, g);
      ASSERT_EQ(r.status, PgtableStatus::kOk);
      if (t->table_count() + g.freelist.size() > tables_before) ++splits;
      ASSERT_EQ(r.unmapped, want);
      if (want) {
        // The gather covers every page that went away.
        ASSERT_LE(g.start, removed.front());
        ASSERT_GE(g.end, removed.back() + gran);
        ASSERT_GE(g.leaf_shift, p.g);
      } else {
        ASSERT_TRUE(g.empty());
      }
      free_gathered_tables(os, g);
      ++unmaps;
    }
    check_some(20);
  }
  EXPECT_GT(maps, 20u);
  EXPECT_GT(unmaps, 20u);
  EXPECT_GT(overlaps, 0u);
  EXPECT_GT(block_hits, 0u);  // blocks were used
  EXPECT_GT(splits, 0u);      // and some were split

  // Every page, both ways, and the model's walker with permissions.
  for (uint64_t page = 0; page < pages; page += (pages > 4096 ? 7 : 1)) {
    const uint64_t iova = iova_base + page * gran + 8;
    const auto it = model.find(page);
    const std::optional<uint64_t> want =
        it == model.end() ? std::nullopt : std::optional<uint64_t>(it->second + 8);
    ASSERT_EQ(t->iova_to_phys(iova), want);
    ASSERT_EQ(ref_walk(os, geo, iova), want);
    const model::WalkResult w = hw_walk(os, *t, iova, model::Access{true, false, false});
    if (want) {
      ASSERT_TRUE(w.ok()) << model::to_string(w.fault) << std::hex << " at " << iova;
      ASSERT_EQ(w.out_addr, *want);
    } else {
      ASSERT_EQ(w.fault, model::FaultType::kTranslation) << std::hex << iova;
    }
  }

  // Unmapping the window leaves only the start table.
  Gather g;
  t->unmap(iova_base, window, g);
  free_gathered_tables(os, g);
  EXPECT_EQ(t->table_count(), 1u);
  EXPECT_EQ(os.live_allocations(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, IoPgtableGeo,
    testing::Values(Geo{PgtableStage::kS1, 12, 48, 48}, Geo{PgtableStage::kS1, 12, 39, 40},
                    Geo{PgtableStage::kS1, 14, 47, 48}, Geo{PgtableStage::kS1, 14, 36, 42},
                    Geo{PgtableStage::kS1, 16, 48, 48}, Geo{PgtableStage::kS1, 16, 42, 44},
                    Geo{PgtableStage::kS2, 12, 48, 48}, Geo{PgtableStage::kS2, 12, 44, 44},
                    Geo{PgtableStage::kS2, 12, 40, 40}, Geo{PgtableStage::kS2, 14, 48, 48},
                    Geo{PgtableStage::kS2, 14, 40, 40}, Geo{PgtableStage::kS2, 16, 52, 52},
                    Geo{PgtableStage::kS2, 16, 42, 42}),
    geo_name);

// --- blocks, splits and the gather in detail (4K, stage 1)

TEST(IoPgtableBlocks, LargestBlockAlignmentAllows) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48));
  EXPECT_EQ(t->pgsize_bitmap(), 4 * kKiB | 2 * kMiB | 1 * kGiB);
  const IommuProt rw;
  ASSERT_EQ(t->map(1 * kGiB, 3 * kGiB, 1 * kGiB, rw), PgtableStatus::kOk);
  EXPECT_EQ(t->lookup(1 * kGiB + 12345 * 8)->level, 1);
  // Output not 1G aligned: 2M blocks instead.
  ASSERT_EQ(t->map(4 * kGiB, 8 * kGiB + 2 * kMiB, 1 * kGiB, rw), PgtableStatus::kOk);
  EXPECT_EQ(t->lookup(4 * kGiB)->level, 2);
  EXPECT_EQ(t->iova_to_phys(5 * kGiB - 8), 9 * kGiB + 2 * kMiB - 8);
  // Output only 4K aligned: pages.
  ASSERT_EQ(t->map(6 * kGiB, 8 * kGiB + 4 * kKiB, 2 * kMiB, rw), PgtableStatus::kOk);
  EXPECT_EQ(t->lookup(6 * kGiB)->level, 3);
  EXPECT_EQ(t->lookup(6 * kGiB + 2 * kMiB - 4 * kKiB)->level, 3);
  // 16K and 64K blocks at level 2 only.
  auto t16 = make(os, config(PgtableStage::kS2, 14, 48, 48));
  EXPECT_EQ(t16->pgsize_bitmap(), 16 * kKiB | 32 * kMiB);
  ASSERT_EQ(t16->map(64 * kGiB, 32 * kMiB, 64 * kMiB, rw), PgtableStatus::kOk);
  EXPECT_EQ(t16->lookup(64 * kGiB + 33 * kMiB)->level, 2);
  auto t64 = make(os, config(PgtableStage::kS1, 16, 48, 48));
  EXPECT_EQ(t64->pgsize_bitmap(), 64 * kKiB | 512 * kMiB);
  ASSERT_EQ(t64->map(4 * uint64_t{1} << 40, 0, 1 * kGiB, rw), PgtableStatus::kOk);  // 4T: a level-1 entry
  EXPECT_EQ(t64->lookup(4 * uint64_t{1} << 40)->level, 2);
}

TEST(IoPgtableBlocks, UnmapInsideOneGigBlockSplitsTwoLevels) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48));
  ASSERT_EQ(t->map(1 * kGiB, 2 * kGiB, 1 * kGiB, IommuProt{}), PgtableStatus::kOk);
  const size_t live = os.live_allocations();
  Gather g;
  // Crosses a 2M boundary inside the 1G block: two partial level-2 blocks.
  const uint64_t at = 1 * kGiB + 6 * kMiB - 8 * kKiB;
  const UnmapResult r = t->unmap(at, 16 * kKiB, g);
  ASSERT_EQ(r.status, PgtableStatus::kOk);
  EXPECT_EQ(r.unmapped, 16 * kKiB);
  EXPECT_EQ(os.live_allocations(), live + 3);  // one level-2 table, two level-3 tables
  EXPECT_EQ(g.start, 1 * kGiB);
  EXPECT_EQ(g.end, 2 * kGiB);
  EXPECT_EQ(g.leaf_shift, 30u);
  EXPECT_TRUE(g.leaf);
  EXPECT_EQ(t->lookup(1 * kGiB)->level, 2);
  EXPECT_EQ(t->lookup(at - 4 * kKiB)->level, 3);
  EXPECT_EQ(t->iova_to_phys(at - 4 * kKiB), 2 * kGiB + 6 * kMiB - 12 * kKiB);
  EXPECT_EQ(t->iova_to_phys(at), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(at + 12 * kKiB), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(at + 16 * kKiB), 2 * kGiB + 6 * kMiB + 8 * kKiB);
  EXPECT_EQ(t->lookup(2 * kGiB - 1)->level, 2);
  EXPECT_EQ(t->iova_to_phys(2 * kGiB - 8), 3 * kGiB - 8);
}

TEST(IoPgtableGather, AccumulatesRangesSizesAndTables) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48));
  const IommuProt rw;
  ASSERT_EQ(t->map(0x10000, 0x80000000, 0x2000, rw), PgtableStatus::kOk);  // two pages
  ASSERT_EQ(t->map(0x40000000, 0x80200000, 2 * kMiB, rw), PgtableStatus::kOk);  // block
  EXPECT_EQ(os.live_allocations(), 5u);  // root, L1, L2, L3 (+ L2 of the block's table)

  Gather g;
  // One page of two: leaf only, its own range.
  UnmapResult r = t->unmap(0x10000, 0x1000, g);
  EXPECT_EQ(r.unmapped, 0x1000u);
  EXPECT_EQ(g.start, 0x10000u);
  EXPECT_EQ(g.end, 0x11000u);
  EXPECT_EQ(g.leaf_shift, 12u);
  EXPECT_TRUE(g.leaf);
  EXPECT_TRUE(g.freelist.empty());
  // The block: same gather, range grows, sizes mixed, the L2 table empties.
  r = t->unmap(0x40000000, 2 * kMiB, g);
  EXPECT_EQ(r.unmapped, 2 * kMiB);
  EXPECT_EQ(g.start, 0x10000u);
  EXPECT_EQ(g.end, 0x40200000u);
  EXPECT_EQ(g.leaf_shift, 12u);
  EXPECT_EQ(g.max_leaf_shift, 21u);
  EXPECT_FALSE(g.leaf);
  EXPECT_EQ(g.freelist.size(), 1u);
  // Holes unmap nothing and change nothing.
  Gather empty;
  r = t->unmap(0x100000000, 1 * kGiB, empty);
  EXPECT_EQ(r.status, PgtableStatus::kOk);
  EXPECT_EQ(r.unmapped, 0u);
  EXPECT_TRUE(empty.empty());
  // The last page: L3, L2 and L1 tables go; only the start table stays.
  r = t->unmap(0x11000, 0x1000, g);
  EXPECT_EQ(g.freelist.size(), 4u);
  EXPECT_EQ(os.live_allocations(), 5u);
  free_gathered_tables(os, g);
  EXPECT_TRUE(g.freelist.empty());
  EXPECT_EQ(os.live_allocations(), 1u);
}

TEST(IoPgtableErrors, InvalidArgumentsChangeNothing) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS2, 12, 40, 40));
  const IommuProt rw;
  IommuProt none;
  none.read = none.write = false;
  EXPECT_EQ(t->map(0x1000, 0x2000, 0, rw), PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->map(0x1800, 0x2000, 0x1000, rw), PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->map(0x1000, 0x2800, 0x1000, rw), PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->map(0x1000, 0x2000, 0x1800, rw), PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->map((uint64_t{1} << 40) - 0x1000, 0x2000, 0x2000, rw), PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->map(0x1000, (uint64_t{1} << 40) - 0x1000, 0x2000, rw), PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->map(0x1000, 0x2000, 0x1000, none), PgtableStatus::kInvalidArgument);
  Gather g;
  EXPECT_EQ(t->unmap(0x1800, 0x1000, g).status, PgtableStatus::kInvalidArgument);
  EXPECT_EQ(t->unmap(uint64_t{1} << 40, 0x1000, g).status, PgtableStatus::kInvalidArgument);
  EXPECT_TRUE(g.empty());
  EXPECT_EQ(os.live_allocations(), 1u);
}

TEST(IoPgtableErrors, OverlapIsRejectedWholeAndBlocksGoAroundTables) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48));
  const IommuProt rw;
  ASSERT_EQ(t->map(0x200000 + 0x5000, 0x9000000, 0x1000, rw), PgtableStatus::kOk);
  const size_t live = os.live_allocations();
  // A 4M range over it: nothing mapped, not even the second (free) 2M.
  EXPECT_EQ(t->map(0x200000, 0xa000000, 4 * kMiB, rw), PgtableStatus::kAlreadyMapped);
  EXPECT_EQ(t->iova_to_phys(0x200000), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(0x400000), std::nullopt);
  EXPECT_EQ(os.live_allocations(), live);
  // The free 2M next to the page: a block. The pages around the page: inside the
  // existing table, not a block over it.
  ASSERT_EQ(t->map(0x400000, 0xa400000, 2 * kMiB, rw), PgtableStatus::kOk);
  EXPECT_EQ(t->lookup(0x400000)->level, 2);
  ASSERT_EQ(t->map(0x200000, 0xa000000, 0x5000, rw), PgtableStatus::kOk);
  EXPECT_EQ(t->lookup(0x200000)->level, 3);
  EXPECT_EQ(t->iova_to_phys(0x205000), 0x9000000u);
  EXPECT_EQ(t->iova_to_phys(0x204008), 0xa004008u);
  // Block-sized and aligned, but a table with a page is there: AlreadyMapped, unchanged.
  EXPECT_EQ(t->map(0x200000, 0xa000000, 2 * kMiB, rw), PgtableStatus::kAlreadyMapped);
}

TEST(IoPgtableErrors, AllocationFailureMidwayLeavesNothingHalfLinked) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48));
  const IommuProt rw;
  ASSERT_EQ(t->map(0x1000, 0x80000000, 0x1000, rw), PgtableStatus::kOk);  // root + 3 tables
  ASSERT_EQ(os.live_allocations(), 4u);
  // 2M + 8K in a new 512G region, across two 1G regions: a page, a 2M block, a page.
  // Needs L1, two L2 and two L3 tables (5). Fail after 2.
  const uint64_t iova = (uint64_t{1} << 39) + 3 * kGiB - 4 * kKiB;
  os.fail_allocations_after(2);
  const uint64_t pa = 0x100000000 - 4 * kKiB;  // congruent to iova modulo 2M
  EXPECT_EQ(t->map(iova, pa, 2 * kMiB + 8 * kKiB, rw), PgtableStatus::kNoMemory);
  EXPECT_EQ(os.live_allocations(), 4u);
  EXPECT_EQ(t->table_count(), 4u);
  EXPECT_EQ(os.read64(t->root() + 8), 0u);  // root entry of that 512G region: still invalid
  EXPECT_EQ(t->iova_to_phys(iova), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(0x1000), 0x80000000u);
  // With memory back, the same map works.
  os.fail_allocations_after(-1);
  ASSERT_EQ(t->map(iova, pa, 2 * kMiB + 8 * kKiB, rw), PgtableStatus::kOk);
  EXPECT_EQ(os.live_allocations(), 9u);
  EXPECT_EQ(t->lookup(iova + 4 * kKiB)->level, 2);
  EXPECT_EQ(t->iova_to_phys(iova + 2 * kMiB + 4 * kKiB + 8), pa + 2 * kMiB + 4 * kKiB + 8);

  // A split that cannot allocate changes nothing either.
  ASSERT_EQ(t->map(0x40000000, 0x40000000, 2 * kMiB, rw), PgtableStatus::kOk);
  const size_t live = os.live_allocations();
  os.fail_allocations_after(0);
  Gather g;
  const UnmapResult r = t->unmap(0x40001000, 0x1000, g);
  EXPECT_EQ(r.status, PgtableStatus::kNoMemory);
  EXPECT_EQ(r.unmapped, 0u);
  EXPECT_TRUE(g.empty());
  EXPECT_EQ(os.live_allocations(), live);
  EXPECT_EQ(t->lookup(0x40001000)->level, 2);
  os.fail_allocations_after(-1);
  EXPECT_EQ(t->unmap(0x40001000, 0x1000, g).status, PgtableStatus::kOk);
  EXPECT_EQ(t->iova_to_phys(0x40001000), std::nullopt);
  EXPECT_EQ(t->iova_to_phys(0x40002000), 0x40002000u);
}

// --- attributes

TEST(IoPgtableAttributes, Stage1LeafBits) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48, /*ng=*/true));
  IommuProt ro;
  ro.write = false;
  ro.priv = true;
  ro.exec = true;
  ro.mem = MemType::kDevice;
  ASSERT_EQ(t->map(0x1000, 0x5000, 0x1000, ro), PgtableStatus::kOk);
  const auto a = arch::S1LeafAttrs::decode(t->lookup(0x1000)->desc);
  EXPECT_EQ(a.ap, 2);  // read-only, no EL0
  EXPECT_TRUE(a.af);
  EXPECT_TRUE(a.ng);
  EXPECT_FALSE(a.uxn);
  EXPECT_FALSE(a.pxn);
  EXPECT_EQ(a.attr_indx, 2);
  EXPECT_EQ((kS1Mair >> (8 * a.attr_indx)) & 0xff, 0x04u);  // Device-nGnRE
  ASSERT_EQ(t->map(0x2000, 0x6000, 0x1000, IommuProt{}), PgtableStatus::kOk);
  const auto b = arch::S1LeafAttrs::decode(t->lookup(0x2000)->desc);
  EXPECT_EQ(b.ap, 1);  // read/write, EL0 too
  EXPECT_TRUE(b.uxn);
  EXPECT_TRUE(b.pxn);
  EXPECT_EQ(b.sh, 3);
  EXPECT_EQ((kS1Mair >> (8 * b.attr_indx)) & 0xff, 0xffu);  // write-back

  // The model's walker sees the same permissions.
  auto w = hw_walk(os, *t, 0x1000, model::Access{true, false, true});
  EXPECT_EQ(w.fault, model::FaultType::kPermission);
  w = hw_walk(os, *t, 0x1000, model::Access{false, false, false});  // EL0 read
  EXPECT_EQ(w.fault, model::FaultType::kPermission);
  w = hw_walk(os, *t, 0x1008, model::Access{false, true, true});
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.out_addr, 0x5008u);
  EXPECT_FALSE(w.global);
  w = hw_walk(os, *t, 0x2000, model::Access{true, true, false});  // exec of XN
  EXPECT_EQ(w.fault, model::FaultType::kPermission);
  w = hw_walk(os, *t, 0x2000, model::Access{true, false, false});
  EXPECT_TRUE(w.ok());
}

TEST(IoPgtableAttributes, Stage2LeafBits) {
  HostOs os;
  auto t = make(os, config(PgtableStage::kS2, 12, 40, 40));
  IommuProt wo;
  wo.read = false;
  wo.mem = MemType::kNonCacheable;
  ASSERT_EQ(t->map(0x1000, 0x5000, 0x1000, wo), PgtableStatus::kOk);
  const auto a = arch::S2LeafAttrs::decode(t->lookup(0x1000)->desc);
  EXPECT_EQ(a.s2ap, 2);
  EXPECT_EQ(a.xn, 2);
  EXPECT_TRUE(a.af);
  EXPECT_EQ(a.mem_attr, 0x5);
  IommuProt rx;
  rx.write = false;
  rx.exec = true;
  ASSERT_EQ(t->map(0x2000, 0x6000, 0x1000, rx), PgtableStatus::kOk);
  const auto b = arch::S2LeafAttrs::decode(t->lookup(0x2000)->desc);
  EXPECT_EQ(b.s2ap, 1);
  EXPECT_EQ(b.xn, 0);
  EXPECT_EQ(b.mem_attr, 0xf);

  EXPECT_EQ(hw_walk(os, *t, 0x1000, model::Access{false, false, true}).fault,
            model::FaultType::kPermission);
  EXPECT_TRUE(hw_walk(os, *t, 0x1000, model::Access{true, false, true}).ok());
  EXPECT_EQ(hw_walk(os, *t, 0x2000, model::Access{true, false, true}).fault,
            model::FaultType::kPermission);
  EXPECT_TRUE(hw_walk(os, *t, 0x2000, model::Access{false, true, true}).ok());
}

// --- ordering: a table is complete in memory (barrier) before it is linked

class OrderingOs : public HostOs {
 public:
  struct Event {
    bool barrier = false;
    uint64_t pa = 0, value = 0;
  };
  std::vector<Event> events;
  std::set<uint64_t> tables;

  uint64_t dma_alloc(size_t size, size_t align) override {
    const uint64_t pa = HostOs::dma_alloc(size, align);
    if (pa) tables.insert(pa);
    return pa;
  }
  void mem_write(uint64_t pa, const void* data, size_t len) override {
    HostOs::mem_write(pa, data, len);
    uint64_t v = 0;
    std::memcpy(&v, data, len < 8 ? len : 8);
    events.push_back({false, pa, v});
  }
  void dma_wmb() override { events.push_back({true, 0, 0}); }
};

TEST(IoPgtableOrdering, BarrierBetweenTableContentsAndLink) {
  OrderingOs os;
  auto t = make(os, config(PgtableStage::kS1, 12, 48, 48));
  ASSERT_EQ(t->map(0x7f0000000000, 0x800000000000, 1 * kGiB + 8 * kKiB, IommuProt{}),
            PgtableStatus::kOk);
  // map ends with a barrier: the leaves are visible before the caller lets a device in.
  ASSERT_FALSE(os.events.empty());
  EXPECT_TRUE(os.events.back().barrier);
  Gather g;
  ASSERT_EQ(t->unmap(0x7f0000000000 + 5 * kMiB, 8 * kKiB, g).status, PgtableStatus::kOk);

  unsigned links = 0;
  for (size_t k = 0; k < os.events.size(); ++k) {
    const auto& e = os.events[k];
    if (e.barrier || (e.value & 3) != 3) continue;
    const uint64_t next = arch::descriptor_address(e.value, 12);
    if (!os.tables.count(next)) continue;  // a page descriptor
    ++links;
    // The last write into the new table, and a barrier after it, before the link.
    size_t last_fill = 0;
    bool filled = false;
    for (size_t j = 0; j < k; ++j)
      if (!os.events[j].barrier && os.events[j].pa >= next && os.events[j].pa < next + 4096) {
        last_fill = j;
        filled = true;
      }
    bool barrier = false;
    for (size_t j = filled ? last_fill + 1 : 0; j < k; ++j) barrier |= os.events[j].barrier;
    EXPECT_TRUE(barrier) << "link at event " << k;
    if (!filled) {
      EXPECT_TRUE(os.events[k - 1].barrier) << "fresh table linked without a barrier, event " << k;
    }
  }
  // map: L1, then L2 and L3 for the 8K tail; unmap: the 1G block's new L2 table and,
  // inside it, the new L3 table of the partly unmapped 2M.
  EXPECT_EQ(links, 5u);
}

}  // namespace
}  // namespace smmu::driver
