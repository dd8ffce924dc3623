// SPDX-License-Identifier: Apache-2.0
// Stale translation is impossible: for each cache the SMMU has, change a mapping in
// memory, send the right invalidation and a CMD_SYNC, and check that traffic issued
// after the SYNC completes uses the new translation. Each test first shows the cache
// really holds the old translation, so it would catch an invalidation that does nothing.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::Command;
using arch::Opcode;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;
using sc_core::sc_time;
using sc_core::SC_NS;
namespace r = arch::reg;

namespace {

constexpr uint64_t kOld = 0x20000000, kNew = 0x30000000;

struct Rig {
  SmmuTestbench& tb;
  StreamTableBuilder st;
  CdTableBuilder cds;
  PageTableBuilder pt;
  explicit Rig(SmmuTestbench& t)
      : tb(t),
        st(StreamTableBuilder::linear(t.writer, t.alloc, 4)),
        cds(CdTableBuilder::linear(t.writer, t.alloc, 0)),
        pt(t.writer, t.alloc, arch::Granule{12}, 0) {
    pt.map(0x1000, kOld + 0x1000, 0x2000, rw_s1_ng(), false);
    cds.write_cd(0, make_cd_4k(pt.root(), 1));
    st.write_ste(0, make_s1_ste(cds));
    tb.mem.write64(kOld + 0x1000, 0x01d1);
    tb.mem.write64(kOld + 0x2000, 0x01d2);
    tb.mem.write64(kNew + 0x1000, 0x0e71);
    tb.mem.write64(kNew + 0x2000, 0x0e72);
    tb.enable(st);
    tb.enable_cmdq(5);
  }
  uint64_t read(uint64_t va, unsigned port = 0) {
    auto res = tb.dma(va, DmaAttrs{}, port);
    EXPECT_TRUE(res.ok());
    return res.data;
  }
  void remap_leaf(uint64_t va, uint64_t pa) {
    pt.write_entry(va, 3, arch::make_s1_leaf(pa, 3, rw_s1_ng()));
  }
  void invalidate(std::vector<Command> cmds) {
    cmds.push_back(Command(Opcode::kSync));
    tb.submit(cmds);
    tb.run(sc_time(10, sc_core::SC_US));
    ASSERT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  }
};

Command tlbi_va(uint64_t va, bool leaf = true) {
  return Command(Opcode::kTlbiNhVa).set_asid(1).set_addr(va).set_leaf(leaf);
}

}  // namespace

TEST(SmmuStale, MicroTlb) {
  SmmuTestbench tb;
  Rig rig(tb);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);
  rig.remap_leaf(0x1000, kNew + 0x1000);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);  // the micro TLB still has the old page
  rig.invalidate({tlbi_va(0x1000)});
  EXPECT_EQ(rig.read(0x1000), 0x0e71u);
}

TEST(SmmuStale, MainTlb) {
  SmmuTestbench tb(model::SmmuParams{}, 2);
  Rig rig(tb);
  EXPECT_EQ(rig.read(0x1000, 0), 0x01d1u);
  rig.remap_leaf(0x1000, kNew + 0x1000);
  EXPECT_EQ(rig.read(0x1000, 1), 0x01d1u);  // port 1 misses its uTLB, hits the main TLB
  EXPECT_EQ(tb.smmu.stats().main_tlb_hits, 1u);
  rig.invalidate({tlbi_va(0x1000)});
  EXPECT_EQ(rig.read(0x1000, 1), 0x0e71u);
}

TEST(SmmuStale, WalkCache) {
  SmmuTestbench tb;
  Rig rig(tb);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);
  // Point the level-2 descriptor of 0x2000 at a new level-3 table that maps it elsewhere.
  const uint64_t table = tb.alloc.alloc(0x1000, 0x1000);
  tb.writer.write64(table + 2 * 8, arch::make_s1_leaf(kNew + 0x2000, 3, rw_s1_ng()));
  rig.pt.write_entry(0x2000, 2, arch::make_table_descriptor(table));
  EXPECT_EQ(rig.read(0x2000), 0x01d2u);  // the walk cache still has the old L2 entry
  EXPECT_EQ(tb.smmu.walk_cache().hits(), 1u);
  rig.invalidate({tlbi_va(0x2000, /*leaf=*/false)});
  EXPECT_EQ(rig.read(0x2000), 0x0e72u);
}

TEST(SmmuStale, LeafTlbiKeepsAStaleWalkCacheEntry) {
  // The other side of the previous test: LEAF = 1 is only right when tables did not change.
  SmmuTestbench tb;
  Rig rig(tb);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);
  const uint64_t table = tb.alloc.alloc(0x1000, 0x1000);
  tb.writer.write64(table + 2 * 8, arch::make_s1_leaf(kNew + 0x2000, 3, rw_s1_ng()));
  rig.pt.write_entry(0x2000, 2, arch::make_table_descriptor(table));
  rig.invalidate({tlbi_va(0x2000, /*leaf=*/true)});
  EXPECT_EQ(rig.read(0x2000), 0x01d2u);
}

TEST(SmmuStale, ConfigCacheCd) {
  SmmuTestbench tb;
  Rig rig(tb);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);
  PageTableBuilder other(tb.writer, tb.alloc, arch::Granule{12}, 0);
  other.map(0x1000, kNew + 0x1000, 0x1000, rw_s1_ng(), false);
  rig.cds.write_cd(0, make_cd_4k(other.root(), 1));
  rig.invalidate({Command(Opcode::kTlbiNhAsid).set_asid(1)});
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);  // the cached CD still points at the old tables
  rig.invalidate({Command(Opcode::kCfgiCd).set_sid(0).set_leaf(true),
                  Command(Opcode::kTlbiNhAsid).set_asid(1)});
  EXPECT_EQ(rig.read(0x1000), 0x0e71u);
}

TEST(SmmuStale, ConfigCacheSte) {
  SmmuTestbench tb;
  Rig rig(tb);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);
  arch::Ste bypass;
  bypass.valid = true;
  bypass.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
  rig.st.write_ste(0, bypass);
  tb.mem.write64(0x1000, 0xb1a5);
  EXPECT_EQ(rig.read(0x1000), 0x01d1u);
  rig.invalidate({Command(Opcode::kCfgiSte).set_sid(0).set_leaf(true)});
  EXPECT_EQ(rig.read(0x1000), 0xb1a5u);
}

TEST(SmmuStale, GrantedDmi) {
  SmmuTestbench tb(model::SmmuParams{}, 1, SmmuTestbench::default_memory(), true);
  Rig rig(tb);
  DmiMaster& dev = *tb.dmi_master;
  tlm::tlm_dmi dmi;
  ASSERT_TRUE(dev.request(0x1000, dmi));
  uint64_t v;
  std::memcpy(&v, dmi.get_dmi_ptr(), 8);
  EXPECT_EQ(v, 0x01d1u);
  rig.remap_leaf(0x1000, kNew + 0x1000);
  rig.invalidate({tlbi_va(0x1000)});
  EXPECT_EQ(dev.revoked.size(), 1u);  // the TLBI withdrew the pointer before the SYNC completed
  tlm::tlm_dmi fresh;
  ASSERT_TRUE(dev.request(0x1000, fresh));
  std::memcpy(&v, fresh.get_dmi_ptr(), 8);
  EXPECT_EQ(v, 0x0e71u);
}

// --- The same with the TBUs apart from the TCU: three TBUs at different DTI latencies,
// the last with a main TLB shared by two ports. Every port holds the old translation
// (port 3 from its TBU's main TLB); after the change, its invalidation and a CMD_SYNC,
// no port of any TBU sees the old one.
namespace {

model::SmmuParams three_tbus() {
  model::SmmuParams p;
  const std::vector<std::vector<unsigned>> ports = {{0}, {1}, {2, 3}};
  const double latency_ns[] = {8, 60, 200};
  for (size_t j = 0; j < ports.size(); ++j) {
    model::TbuLayout t;
    t.ports = ports[j];
    t.dti_latency = sc_time(latency_ns[j], SC_NS);
    p.tbus.push_back(t);
  }
  p.tbus[2].main_tlb = model::TlbParams{16, 2, model::ReplacementPolicy::kLru};
  return p;
}

enum class Change { kLeaf, kSteToBypass, kCdToOtherTables };
struct StaleCase {
  const char* name;
  Change change;
};
void PrintTo(const StaleCase& c, std::ostream* os) { *os << c.name; }

class SmmuStaleTbus : public ::testing::TestWithParam<StaleCase> {};

}  // namespace

TEST_P(SmmuStaleTbus, NoTbuKeepsTheOldTranslation) {
  SmmuTestbench tb(three_tbus(), 4);
  Rig rig(tb);
  for (unsigned port = 0; port < 4; ++port) EXPECT_EQ(rig.read(0x1000, port), 0x01d1u);
  const uint64_t main_hits = tb.smmu.tbu(2).stats().main_tlb_hits;
  EXPECT_EQ(main_hits, 1u);  // port 3 was answered by its TBU's main TLB
  std::vector<Command> inv;
  uint64_t expected = 0x0e71;
  switch (GetParam().change) {
    case Change::kLeaf:
      rig.remap_leaf(0x1000, kNew + 0x1000);
      inv = {tlbi_va(0x1000)};
      break;
    case Change::kSteToBypass: {
      arch::Ste bypass;
      bypass.valid = true;
      bypass.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
      rig.st.write_ste(0, bypass);
      tb.mem.write64(0x1000, 0xb1a5);
      expected = 0xb1a5;
      inv = {Command(Opcode::kCfgiSte).set_sid(0).set_leaf(true)};
      break;
    }
    case Change::kCdToOtherTables: {
      PageTableBuilder other(tb.writer, tb.alloc, arch::Granule{12}, 0);
      other.map(0x1000, kNew + 0x1000, 0x1000, rw_s1_ng(), false);
      rig.cds.write_cd(0, make_cd_4k(other.root(), 1));
      inv = {Command(Opcode::kCfgiCd).set_sid(0).set_leaf(true),
             Command(Opcode::kTlbiNhAsid).set_asid(1)};
      break;
    }
  }
  for (unsigned port = 0; port < 4; ++port)
    EXPECT_EQ(rig.read(0x1000, port), 0x01d1u) << "port " << port << " held the old one";
  rig.invalidate(inv);
  for (unsigned port = 0; port < 4; ++port)
    EXPECT_EQ(rig.read(0x1000, port), expected) << "port " << port;
  for (unsigned j = 0; j < 3; ++j) EXPECT_EQ(tb.smmu.tbu(j).stats().dti_syncs, 1u);
}

INSTANTIATE_TEST_SUITE_P(SmmuStale, SmmuStaleTbus,
                         ::testing::Values(StaleCase{"TlbiVa", Change::kLeaf},
                                           StaleCase{"CfgiSte", Change::kSteToBypass},
                                           StaleCase{"CfgiCd", Change::kCdToOtherTables}),
                         [](const ::testing::TestParamInfo<StaleCase>& i) { return i.param.name; });
