// SPDX-License-Identifier: Apache-2.0
// The SMMU as TBUs and a TCU: what a TBU answers itself, what crosses the DTI link and
// what that costs, invalidations and syncs reaching every TBU, DTI tokens, connect and
// disconnect. Every time is the sum of the configured parts, spelt out.
#include <gtest/gtest.h>

#include <functional>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::Command;
using arch::Opcode;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;
using sc_core::sc_time;
namespace r = arch::reg;

namespace {

constexpr uint64_t kVa = 0x8080604000;  // level-0..3 indexes 1, 2, 3, 4
constexpr uint64_t kPa = 0x4ECBA000;
constexpr uint16_t kAsid = 0x1e20;

// A layout of TBUs, each serving the listed ports, with the given DTI latencies (ns).
model::SmmuParams layout(const std::vector<std::vector<unsigned>>& ports,
                         const std::vector<double>& latency_ns) {
  model::SmmuParams p;
  for (size_t j = 0; j < ports.size(); ++j) {
    model::TbuLayout t;
    t.ports = ports[j];
    t.dti_latency = ns(latency_ns[j]);
    p.tbus.push_back(t);
  }
  return p;
}

// StreamID 0 for every port: stage 1, one CD, a 4K 4-level table with 16 pages mapped
// (non-global: tagged by kAsid).
struct Stream {
  StreamTableBuilder st;
  CdTableBuilder cds;
  PageTableBuilder pt;
  explicit Stream(SmmuTestbench& tb)
      : st(StreamTableBuilder::linear(tb.writer, tb.alloc, 8)),
        cds(CdTableBuilder::linear(tb.writer, tb.alloc, 0)),
        pt(tb.writer, tb.alloc, arch::Granule{12}, 0) {
    cds.write_cd(0, make_cd_4k(pt.root(), kAsid, 16, 4));
    st.write_ste(0, make_s1_ste(cds));
    pt.map(kVa, kPa, 16 * 0x1000, rw_s1_ng(), false);
    tb.enable(st);
  }
};

// A cold translation: config cache 2, STE 50, CD 50, TCU TLB 3, walk cache 2, four
// descriptor reads 200. A TCU TLB hit: config cache 2 (the STE and CD cached), TLB 3.
constexpr double kTcuWalk = 2 + 50 + 50 + 3 + 2 + 200;
constexpr double kTcuTlbHit = 2 + 3;
constexpr double kMicroTlb = 1, kMainTlb = 3, kAccess = 50;

unsigned entries(model::MicroTlb& t, const std::function<bool(const model::MicroTlbEntry&)>& f) {
  unsigned n = 0;
  t.for_each([&](const model::MicroTlbEntry& e) { n += f(e) ? 1 : 0; });
  return n;
}

Command tlbi_asid(uint16_t asid) { return Command(Opcode::kTlbiNhAsid).set_asid(asid); }

}  // namespace

TEST(SmmuTbu, AHitNeverReachesTheTcu) {
  SmmuTestbench tb;
  Stream s(tb);
  ASSERT_TRUE(tb.dma(kVa).ok());
  const auto& tbu = tb.smmu.tbu(0);
  EXPECT_EQ(tbu.stats().dti_requests, 1u);
  const uint64_t tcu_misses = tb.smmu.tcu().stats().main_tlb_misses;
  for (int i = 0; i < 10; ++i) {
    const auto r = tb.dma(kVa + 8 * i);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.latency, ns(kMicroTlb + kAccess));
  }
  EXPECT_EQ(tbu.stats().dti_requests, 1u);   // nothing more crossed the link
  EXPECT_EQ(tbu.stats().micro_tlb_hits, 10u);
  EXPECT_EQ(tb.smmu.tcu().stats().main_tlb_misses, tcu_misses);
  EXPECT_EQ(tb.smmu.tcu().stats().main_tlb_hits, 0u);
}

// Two TBUs, 8 ns and 100 ns from the TCU. A miss pays its TBU's latency both ways; the
// TCU's work is the same through either.
TEST(SmmuTbu, AMissPaysItsTbusDtiLatencyBothWays) {
  SmmuTestbench tb(layout({{0}, {1}}, {8, 100}), 2);
  Stream s(tb);
  const auto near_walk = tb.dma(kVa, {}, 0);
  const auto far_hit = tb.dma(kVa, {}, 1);         // the TCU's TLB has it now
  const auto far_walk = tb.dma(kVa + 0x1000, {}, 1);
  const auto near_hit = tb.dma(kVa + 0x1000, {}, 0);
  ASSERT_TRUE(near_walk.ok() && far_hit.ok() && far_walk.ok() && near_hit.ok());
  EXPECT_EQ(near_walk.latency, ns(kMicroTlb + 8 + kTcuWalk + 8 + kAccess));
  // The second page shares the STE, CD and upper tables: a walk-cache hit, one read.
  EXPECT_EQ(far_walk.latency, ns(kMicroTlb + 100 + 2 + 3 + 2 + 50 + 100 + kAccess));
  EXPECT_EQ(far_hit.latency, ns(kMicroTlb + 100 + kTcuTlbHit + 100 + kAccess));
  EXPECT_EQ(near_hit.latency, ns(kMicroTlb + 8 + kTcuTlbHit + 8 + kAccess));
  EXPECT_EQ(far_hit.latency - near_hit.latency, ns(2 * (100 - 8)));
  EXPECT_EQ(tb.smmu.tbu(0).stats().dti_requests, 2u);
  EXPECT_EQ(tb.smmu.tbu(1).stats().dti_requests, 2u);
  EXPECT_EQ(tb.smmu.ports(), 2u);
  EXPECT_EQ(tb.smmu.tbu_of_port(1), std::make_pair(1u, 0u));
}

// A TBU main TLB answers a micro-TLB miss without the TCU.
TEST(SmmuTbu, MainTlbHitStaysInTheTbu) {
  model::SmmuParams p = layout({{0, 1}}, {8});
  p.tbus[0].main_tlb = model::TlbParams{64, 4, model::ReplacementPolicy::kLru};
  SmmuTestbench tb(p, 2);
  Stream s(tb);
  ASSERT_TRUE(tb.dma(kVa, {}, 0).ok());
  const auto r = tb.dma(kVa, {}, 1);  // port 1's micro TLB misses, the TBU's main TLB hits
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.latency, ns(kMicroTlb + kMainTlb + kAccess));
  const auto& st = tb.smmu.tbu(0).stats();
  EXPECT_EQ(st.main_tlb_hits, 1u);
  EXPECT_EQ(st.main_tlb_misses, 1u);
  EXPECT_EQ(st.dti_requests, 1u);
  EXPECT_EQ(tb.dma(kVa, {}, 1).latency, ns(kMicroTlb + kAccess));  // refilled micro TLB
}

// TLBI_NH_ASID reaches every connected TBU, and removes there exactly the entries of
// that ASID (micro and main TLBs), nothing else.
TEST(SmmuTbu, AnInvalidationReachesEveryTbuAndRemovesExactlyWhatItSelects) {
  model::SmmuParams p = layout({{0}, {1}, {2}}, {8, 40, 8});
  p.tbus[2].main_tlb = model::TlbParams{16, 2, model::ReplacementPolicy::kLru};
  SmmuTestbench tb(p, 3);
  Stream s(tb);
  // StreamID 1: the same page table under another ASID (7).
  CdTableBuilder cds1 = CdTableBuilder::linear(tb.writer, tb.alloc, 0);
  cds1.write_cd(0, make_cd_4k(s.pt.root(), 7, 16, 4));
  s.st.write_ste(1, make_s1_ste(cds1));
  tb.enable_cmdq();
  DmaAttrs sid1;
  sid1.sid = 1;
  for (unsigned port = 0; port < 3; ++port) {
    for (unsigned page = 0; page < 4; ++page) {
      ASSERT_TRUE(tb.dma(kVa + page * 0x1000, {}, port).ok());
      ASSERT_TRUE(tb.dma(kVa + page * 0x1000, sid1, port).ok());
    }
  }
  auto of_asid = [](uint16_t a) {
    return [a](const model::MicroTlbEntry& e) { return e.tlb.asid == a; };
  };
  for (unsigned port = 0; port < 3; ++port) {
    ASSERT_EQ(entries(tb.smmu.micro_tlb(port), of_asid(kAsid)), 4u);
    ASSERT_EQ(entries(tb.smmu.micro_tlb(port), of_asid(7)), 4u);
  }
  ASSERT_EQ(tb.smmu.tbu(2).main_tlb()->occupancy(), 8u);
  const uint64_t before = tb.smmu.command_stats().tlb_entries_invalidated;
  tb.submit({tlbi_asid(kAsid), Command(Opcode::kSync)});
  tb.run(ns(2000));
  ASSERT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  for (unsigned port = 0; port < 3; ++port) {
    EXPECT_EQ(entries(tb.smmu.micro_tlb(port), of_asid(kAsid)), 0u) << "port " << port;
    EXPECT_EQ(entries(tb.smmu.micro_tlb(port), of_asid(7)), 4u) << "port " << port;
    EXPECT_EQ(tb.smmu.tbu(port).stats().dti_invalidations, 1u);
    EXPECT_EQ(tb.smmu.tbu(port).stats().dti_syncs, 1u);
  }
  EXPECT_EQ(tb.smmu.tbu(2).main_tlb()->occupancy(), 4u);
  // 4 TCU TLB entries, 3 x 4 micro-TLB entries, 4 TBU main-TLB entries.
  EXPECT_EQ(tb.smmu.command_stats().tlb_entries_invalidated - before, 4u + 12u + 4u);
  // The ASID's pages walk again (through the TCU); the other ASID's still hit.
  EXPECT_EQ(tb.dma(kVa, sid1, 1).latency, ns(kMicroTlb + kAccess));
  const uint64_t req = tb.smmu.tbu(1).stats().dti_requests;
  ASSERT_TRUE(tb.dma(kVa, {}, 1).ok());
  EXPECT_EQ(tb.smmu.tbu(1).stats().dti_requests, req + 1);
}

// CMD_SYNC after a TLBI completes when the farthest TBU has acknowledged: its latency
// is the commands' time plus exactly that TBU's DTI round trip.
sc_time sync_latency_with(const std::vector<double>& latencies) {
  std::vector<std::vector<unsigned>> ports;
  for (unsigned j = 0; j < latencies.size(); ++j) ports.push_back({j});
  SmmuTestbench tb(layout(ports, latencies), static_cast<unsigned>(latencies.size()));
  tb.enable_cmdq(6);
  tb.set_reg(r::kCr0, tb.reg(r::kCr0) | r::cr0::kSmmuEn.mask());
  tb.submit({Command(Opcode::kTlbiNhVa).set_asid(1).set_addr(0x1000),
             Command(Opcode::kSync).set_cs(arch::SyncCs::kNone)});
  tb.run(ns(5000));
  EXPECT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  return tb.smmu.command_stats().sync_latency_max;
}

// The fetch (50 ns), the TLBI (2 cycles + 1 page probe), the SYNC (2 cycles).
constexpr double kCommands = 50 + 3 + 2;

TEST(SmmuTbu, CmdSyncWaitsForTheFarthestTbu) {
  EXPECT_EQ(sync_latency_with({8, 300, 20}), ns(kCommands + 2 * 300));
}

TEST(SmmuTbu, CmdSyncWithNearTbusOnly) {
  EXPECT_EQ(sync_latency_with({8, 20, 20}), ns(kCommands + 2 * 20));
}

TEST(SmmuTbu, CmdSyncWithoutInvalidationsSendsNoDtiSync) {
  SmmuTestbench tb(layout({{0}}, {300}), 1);
  tb.enable_cmdq(6);
  tb.submit({Command(Opcode::kSync).set_cs(arch::SyncCs::kNone)});
  tb.run(ns(1000));
  EXPECT_EQ(tb.smmu.command_stats().sync_latency_max, ns(50 + 2));
  EXPECT_EQ(tb.smmu.tbu(0).stats().dti_syncs, 0u);
}

// One DTI token: a second miss arriving while the first is in flight waits for it.
sc_time second_miss_latency(unsigned tokens, uint64_t& stalls, sc_time& first) {
  model::SmmuParams p = layout({{0, 1}}, {8});
  p.tbus[0].max_translations = tokens;
  SmmuTestbench tb(p, 2);
  Stream s(tb);
  first = tb.dma(kVa, {}, 0).latency;       // a walk, holding the token
  const auto second = tb.dma(kVa, {}, 1);   // same instant: port 1 misses too
  EXPECT_TRUE(second.ok());
  stalls = tb.smmu.tbu(0).stats().token_stalls;
  return second.latency;
}

TEST(SmmuTbu, OneTokenSerialisesMisses) {
  uint64_t stalls;
  sc_time first;
  const sc_time second = second_miss_latency(1, stalls, first);
  EXPECT_EQ(first, ns(kMicroTlb + 8 + kTcuWalk + 8 + kAccess));
  // It waits until the first answer is back, then its own TCU TLB hit.
  EXPECT_EQ(second, first + ns(8 + kTcuTlbHit + 8));
  EXPECT_EQ(stalls, 1u);
}

TEST(SmmuTbu, TwoTokensLetMissesOverlap) {
  uint64_t stalls;
  sc_time first;
  const sc_time second = second_miss_latency(2, stalls, first);
  EXPECT_EQ(second, ns(kMicroTlb + 8 + kTcuTlbHit + 8 + kAccess));
  EXPECT_EQ(stalls, 0u);
}

// A permission fault on a TBU hit is reported to the TCU, which records the event.
TEST(SmmuTbu, AFaultOnAHitIsRecordedByTheTcu) {
  SmmuTestbench tb(layout({{0}}, {8}), 1);
  Stream s(tb);
  arch::S1LeafAttrs read_only = rw_s1();
  read_only.ap = 3;  // AP[2]: read-only, EL0 allowed
  s.pt.map(kVa + 0x10000, kPa + 0x10000, 0x1000, read_only, false);
  ASSERT_TRUE(tb.dma(kVa + 0x10000).ok());
  DmaAttrs wr;
  wr.write = true;
  const auto r = tb.dma(kVa + 0x10000, wr);
  EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(r.latency, ns(kMicroTlb));  // the abort does not wait for the report
  EXPECT_EQ(tb.smmu.tbu(0).stats().fault_reports, 1u);
  const auto evs = tb.events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, arch::EventId::kPermission);
  EXPECT_EQ(evs[0].input_addr, kVa + 0x10000);
}

// A disconnected TBU is sent no invalidations, so it keeps nothing; its next miss
// connects again (one more round trip).
TEST(SmmuTbu, DisconnectEmptiesTheTbuAndTheNextMissReconnects) {
  SmmuTestbench tb(layout({{0}, {1}}, {8, 20}), 2);
  Stream s(tb);
  tb.enable_cmdq();
  ASSERT_TRUE(tb.dma(kVa, {}, 1).ok());
  sc_time d = sc_core::SC_ZERO_TIME;
  tb.smmu.tbu(1).disconnect(d);
  EXPECT_EQ(d, ns(2 * 20));
  EXPECT_FALSE(tb.smmu.tbu(1).connected());
  EXPECT_FALSE(tb.smmu.tcu().dti_connected(1));
  EXPECT_EQ(tb.smmu.micro_tlb(1).occupancy(), 0u);
  tb.submit({tlbi_asid(kAsid), Command(Opcode::kSync)});
  tb.run(ns(2000));
  EXPECT_EQ(tb.smmu.tbu(1).stats().dti_invalidations, 0u);
  EXPECT_EQ(tb.smmu.tbu(0).stats().dti_invalidations, 1u);
  const auto r = tb.dma(kVa, {}, 1);
  ASSERT_TRUE(r.ok());
  // Connect (20 + 20), then the miss: 20 + config cache, TCU TLB, walk cache and four
  // reads (the TLBI took the ASID's walk-cache entries too) + 20.
  EXPECT_EQ(r.latency, ns(kMicroTlb + 40 + 20 + 2 + 3 + 2 + 200 + 20 + kAccess));
  EXPECT_TRUE(tb.smmu.tbu(1).connected());
}

// Translation off: a TBU passes traffic by GBPA without asking the TCU.
TEST(SmmuTbu, GlobalBypassIsDecidedInTheTbu) {
  SmmuTestbench tb(layout({{0}}, {8}), 1);
  tb.mem.write64(0x5000, 0x1234);
  const auto r = tb.dma(0x5000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.data, 0x1234u);
  EXPECT_EQ(r.latency, ns(kAccess));
  EXPECT_EQ(tb.smmu.tbu(0).stats().dti_requests, 0u);
  tb.set_reg(r::kGbpa, r::gbpa::kAbort.mask() | r::gbpa::kUpdate.mask());
  EXPECT_EQ(tb.dma(0x5000).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(tb.smmu.stats().aborted, 1u);
}
