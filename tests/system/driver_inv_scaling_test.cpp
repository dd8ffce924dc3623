// SPDX-License-Identifier: Apache-2.0
// One invalidation of a shared S2 range across 1, 2, 4 and 8 SMMU instances, waiting on
// each SMMU in turn (the seeds' way) or issuing every SMMU's batch first and then
// waiting for all the CMD_SYNCs (IommuOptions::inv_all_then_wait), measured by
// platform/bench/inv_scaling (what smmu-inv-bench prints): inv_range and unmap with plain
// devices, inv_range with ATS endpoints, and with a fast-polling driver. Every case
// also checks on every SMMU that the range is gone from its TLBs (or ATC), or faults
// after the unmap. Each test case is one process (ctest), so one measurement each.
// Prints the figures (grep "inv_scaling") and holds them as goldens: exact CMD_SYNC
// counts and simulated times with the default timing.
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>

#include "platform/bench/inv_scaling.h"

using namespace smmu;
using platform::InvScalingParams;
using platform::InvScalingResult;
using platform::measure_inv_scaling;

namespace {

void print(const InvScalingResult& r) {
  std::printf("inv_scaling smmus=%u tbus=%u dti_ps=%llu mode=%s op=%s ats=%d cmd_syncs=%llu tlbi=%llu atc_inv=%llu "
              "batches=%llu sim_ns=%llu mean_sync_latency_ns=%.1f\n",
              r.smmus, r.tbus, static_cast<unsigned long long>(r.dti_latency_ps),
              r.all_then_wait ? "all_then_wait" : "per_smmu_wait",
              r.unmap ? "unmap" : "inv_range", r.ats ? 1 : 0,
              static_cast<unsigned long long>(r.cmd_syncs),
              static_cast<unsigned long long>(r.tlbi_commands),
              static_cast<unsigned long long>(r.atc_inv_commands),
              static_cast<unsigned long long>(r.batches), static_cast<unsigned long long>(r.sim_ns),
              r.mean_sync_latency_ns());
}

enum class Variant { kInvRange, kUnmap, kAts, kFastPoll };

// The goldens (ns): per-SMMU wait, all-then-wait.
struct Golden {
  unsigned smmus;
  uint64_t per_smmu_ns, all_then_wait_ns;
};
using Point = std::tuple<Golden, bool>;  // (golden, all_then_wait)
void PrintTo(const Golden& g, std::ostream* os) {
  *os << g.smmus << " SMMUs, " << g.per_smmu_ns << "/" << g.all_then_wait_ns << " ns";
}

std::string point_name(const ::testing::TestParamInfo<Point>& i) {
  return std::to_string(std::get<0>(i.param).smmus) + "Smmus" +
         (std::get<1>(i.param) ? "AllThenWait" : "PerSmmuWait");
}

InvScalingResult run(Variant v, const Point& pt) {
  const auto [g, all_then_wait] = pt;
  InvScalingParams p;
  p.unmap = v == Variant::kUnmap;
  p.ats = v == Variant::kAts;
  if (v == Variant::kFastPoll) p.poll_ns = 1;
  const InvScalingResult r = measure_inv_scaling(g.smmus, all_then_wait, p);
  print(r);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, "ok");
  EXPECT_EQ(r.smmus_verified, g.smmus);
  EXPECT_EQ(r.sim_ns, all_then_wait ? g.all_then_wait_ns : g.per_smmu_ns);
  if (g.smmus == 1) {
    EXPECT_EQ(g.per_smmu_ns, g.all_then_wait_ns);  // nothing to overlap
  } else {
    EXPECT_LT(g.all_then_wait_ns, g.per_smmu_ns);
  }
  return r;
}

}  // namespace

// --- inv_range of 64 KiB (16 pages: one range TLBI_S2_IPA per SMMU, RIL), plain devices.
// What dominates per SMMU is the driver's poll interval. Per SMMU the CPU spends 16 ns
// issuing (queue lock, TLBI and CMD_SYNC written into the queue, the CMDQ_PROD write),
// then polls the SYNC's MSI slot: 2 ns per read, 100 ns between reads
// (SmmuDeviceOptions::poll_ns). The SMMU needs 86 ns from the PROD write until the MSI's
// data is in memory (a 50 ns DRAM read to fetch the commands, 2 + 16 cycles of TLBI over
// 16 pages, 2 cycles of SYNC, the 16 ns DTI sync with its TBU (8 ns each way); the MSI
// write completes 50 ns later, hence its own CMD_SYNC latency of 136 ns), all within
// one poll interval. So waiting per SMMU costs
// 16 + 2 + 100 + 2 = 120 ns each, linear in N; issuing first overlaps every SMMU's work
// behind one poll interval: 16 + 2 ns per SMMU plus 100 + 2 = 102 + 18N.
class InvRangeScaling : public ::testing::TestWithParam<Point> {};

TEST_P(InvRangeScaling, OneSyncPerSmmuAndTheGoldenTime) {
  const unsigned n = std::get<0>(GetParam()).smmus;
  const InvScalingResult r = run(Variant::kInvRange, GetParam());
  EXPECT_EQ(r.cmd_syncs, n);
  EXPECT_EQ(r.batches, n);
  EXPECT_EQ(r.publishes, n);
  EXPECT_EQ(r.tlbi_commands, n);
  EXPECT_EQ(r.atc_inv_commands, 0u);
  EXPECT_EQ(r.commands, 2u * n);  // TLBI + CMD_SYNC each
  EXPECT_EQ(r.sync_latency_ps, 136'000u * n);
  EXPECT_EQ(r.sim_ns, std::get<1>(GetParam()) ? 102 + 18 * n : 120 * n);
}

INSTANTIATE_TEST_SUITE_P(SharedS2Range, InvRangeScaling,
                         ::testing::Combine(::testing::Values(Golden{1, 120, 120}, Golden{2, 240, 138},
                                                              Golden{4, 480, 174}, Golden{8, 960, 246}),
                                            ::testing::Bool()),
                         point_name);

// --- the same with the CPU polling every nanosecond: the per-SMMU cost drops to the
// SMMU's own round trip, 16 ns of issue + 86 ns until the MSI's data lands + 2 (the
// read that sees it) = 104 ns per SMMU (and the MSI data is seen 50 ns before the SMMU counts the SYNC complete).
class FastPollScaling : public ::testing::TestWithParam<Point> {};

TEST_P(FastPollScaling, PerSmmuCostIsTheSmmusRoundTrip) {
  const unsigned n = std::get<0>(GetParam()).smmus;
  const InvScalingResult r = run(Variant::kFastPoll, GetParam());
  EXPECT_EQ(r.cmd_syncs, n);
  EXPECT_EQ(r.sync_latency_ps, 136'000u * n);
  if (!std::get<1>(GetParam())) {
    EXPECT_EQ(r.sim_ns, 104 * n);
  }
}

INSTANTIATE_TEST_SUITE_P(SharedS2Range, FastPollScaling,
                         ::testing::Combine(::testing::Values(Golden{1, 104, 104}, Golden{8, 832, 216}),
                                            ::testing::Bool()),
                         point_name);

// --- the unmap variant: the same 64 KiB unmapped (16 leaf entries cleared: 112 ns of
// page-table work on the CPU, once), then the same invalidation. smmus_verified: DMA to
// the range faults on every SMMU afterwards, the page after it still translates.
class UnmapScaling : public ::testing::TestWithParam<Point> {};

TEST_P(UnmapScaling, DmaFaultsOnEverySmmuAfterwards) {
  const unsigned n = std::get<0>(GetParam()).smmus;
  const InvScalingResult r = run(Variant::kUnmap, GetParam());
  EXPECT_EQ(r.cmd_syncs, n);
  EXPECT_EQ(r.batches, n);
  EXPECT_EQ(r.tlbi_commands, n);
  EXPECT_EQ(r.sim_ns, 112 + (std::get<1>(GetParam()) ? 102 + 18 * n : 120 * n));
}

INSTANTIATE_TEST_SUITE_P(SharedS2Range, UnmapScaling,
                         ::testing::Combine(::testing::Values(Golden{1, 232, 232}, Golden{2, 352, 250},
                                                              Golden{4, 592, 286}, Golden{8, 1072, 358}),
                                            ::testing::Bool()),
                         point_name);

// --- ATS endpoints: per SMMU a TLBI batch and then, once its SYNC has completed, an
// ATC_INV batch whose SYNC waits for the endpoint's answer (a 500 ns PCIe round trip):
// two CMD_SYNCs per SMMU. Waiting per SMMU then costs 750 ns each; issuing first
// overlaps the round trips of all SMMUs (36 ns per extra SMMU).
class AtsScaling : public ::testing::TestWithParam<Point> {};

TEST_P(AtsScaling, TwoSyncsPerSmmuAndTheAtcEmptied) {
  const unsigned n = std::get<0>(GetParam()).smmus;
  const InvScalingResult r = run(Variant::kAts, GetParam());
  EXPECT_EQ(r.cmd_syncs, 2u * n);
  EXPECT_EQ(r.batches, 2u * n);
  EXPECT_EQ(r.publishes, 2u * n);
  EXPECT_EQ(r.tlbi_commands, n);
  EXPECT_EQ(r.atc_inv_commands, n);
  EXPECT_EQ(r.sim_ns, std::get<1>(GetParam()) ? 718 + 36 * n : 4 + 750 * n);
}

INSTANTIATE_TEST_SUITE_P(SharedS2Range, AtsScaling,
                         ::testing::Combine(::testing::Values(Golden{1, 754, 754}, Golden{2, 1504, 790},
                                                              Golden{4, 3004, 862}, Golden{8, 6004, 1006}),
                                            ::testing::Bool()),
                         point_name);

TEST(InvScalingProcessTest, SecondMeasurementInAProcessIsRefused) {
  const InvScalingResult r = measure_inv_scaling(1, false);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_THROW(measure_inv_scaling(1, false), std::logic_error);
}

// --- bad parameters are refused before anything is built, naming the key.
TEST(InvScalingParamsTest, BadValuesNameTheKey) {
  auto message = [](unsigned smmus, const InvScalingParams& p) {
    try {
      platform::validate_inv_scaling(smmus, p);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  InvScalingParams p;
  EXPECT_EQ(message(1, p), "accepted");
  EXPECT_NE(message(0, p).find("'smmus' (0)"), std::string::npos);
  p.range = 0x1800;
  EXPECT_NE(message(1, p).find("'range' (6144)"), std::string::npos);
  p = {};
  p.range = 0x40'0000;  // more than mapped
  EXPECT_NE(message(1, p).find("'range'"), std::string::npos);
  p = {};
  p.mapped = 0;
  EXPECT_NE(message(1, p).find("'mapped' (0)"), std::string::npos);
  p = {};
  p.poll_ns = 0;
  EXPECT_NE(message(1, p).find("'poll_ns'"), std::string::npos);
}

TEST(InvScalingParamsTest, ResultRoundTripsThroughJson) {
  InvScalingResult r;
  r.smmus = 4;
  r.tbus = 16;
  r.dti_latency_ps = 20'000;
  r.all_then_wait = true;
  r.unmap = true;
  r.range = 0x1'0000;
  r.sim_ns = 174;
  r.status = "ok";
  r.cmd_syncs = 4;
  r.sync_latency_ps = 123456;
  r.smmus_verified = 3;
  r.error = "x";
  const InvScalingResult b = platform::inv_scaling_result_from_json(platform::to_json(r));
  EXPECT_EQ(platform::to_json(b), platform::to_json(r));
  nlohmann::json j = platform::to_json(r);
  j.erase("sim_ns");
  EXPECT_THROW(platform::inv_scaling_result_from_json(j), std::invalid_argument);
}

// --- one SMMU with N TBUs at one DTI latency D (smmu-inv-bench --tbus N --dti-latency D):
// the CMD_SYNC sends its DTI sync to every TBU at once and completes when the farthest
// acknowledges, so with equal latencies its cost does not grow with N: the 136 ns above
// with 16 ns of DTI round trip become 120 + 2D. The MSI's data lands 102 + 2(D - 8) ns
// after the call starts; the CPU's reads of it start at 16 + 102k ns and take 2 ns.
struct TbuPoint {
  unsigned tbus;
  unsigned dti_ns;
  uint64_t sim_ns;
};
void PrintTo(const TbuPoint& t, std::ostream* os) {
  *os << t.tbus << " TBUs at " << t.dti_ns << " ns";
}

class TbuScaling : public ::testing::TestWithParam<TbuPoint> {};

TEST_P(TbuScaling, SyncWaitsForTheFarthestTbuOnly) {
  const TbuPoint t = GetParam();
  InvScalingParams p;
  p.tbus = t.tbus;
  p.dti_latency = sc_core::sc_time(t.dti_ns, sc_core::SC_NS);
  const InvScalingResult r = measure_inv_scaling(1, false, p);
  print(r);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, "ok");
  EXPECT_EQ(r.smmus_verified, 1u);  // every TBU's micro TLB lost the range
  EXPECT_EQ(r.tbus, t.tbus);
  EXPECT_EQ(r.dti_latency_ps, t.dti_ns * 1000u);
  EXPECT_EQ(r.cmd_syncs, 1u);
  EXPECT_EQ(r.tlbi_commands, 1u);
  EXPECT_EQ(r.sync_latency_ps, (120u + 2u * t.dti_ns) * 1000u);
  EXPECT_EQ(r.sim_ns, t.sim_ns);
}

INSTANTIATE_TEST_SUITE_P(OneSmmu, TbuScaling,
                         ::testing::Values(TbuPoint{1, 8, 120},  // the default layout's figures
                                           TbuPoint{1, 20, 222}, TbuPoint{4, 20, 222},
                                           TbuPoint{16, 20, 222}, TbuPoint{4, 200, 528}),
                         [](const ::testing::TestParamInfo<TbuPoint>& i) {
                           return std::to_string(i.param.tbus) + "TbusAt" + std::to_string(i.param.dti_ns) + "ns";
                         });

// The unmap variant through 4 TBUs: every TBU's device faults on the range afterwards.
TEST(TbuScalingUnmap, EveryTbuFaultsOnTheUnmappedRange) {
  InvScalingParams p;
  p.tbus = 4;
  p.unmap = true;
  const InvScalingResult r = measure_inv_scaling(1, false, p);
  print(r);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.smmus_verified, 1u);
  EXPECT_EQ(r.sync_latency_ps, 136'000u);
}

TEST(InvScalingParamsTest, TbusAndDtiLatencyAreChecked) {
  auto message = [](const InvScalingParams& p) {
    try {
      platform::validate_inv_scaling(1, p);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  InvScalingParams p;
  p.tbus = 64;
  EXPECT_EQ(message(p), "accepted");
  p.tbus = 65;
  EXPECT_NE(message(p).find("'tbus' (65)"), std::string::npos);
  p.tbus = 2;
  p.ats = true;
  EXPECT_NE(message(p).find("'tbus' (2) with 'ats'"), std::string::npos);
  p = {};
  p.tbus = 1;
  p.dti_latency = sc_core::sc_time(2, sc_core::SC_MS);
  EXPECT_NE(message(p).find("'dti_latency'"), std::string::npos);
}
