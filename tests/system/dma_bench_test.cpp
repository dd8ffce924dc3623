// SPDX-License-Identifier: Apache-2.0
// smmu-dma-bench's measurement (platform/bench/dma_bench.h) on small points, one per process:
// exact figures for a small strict point, CAS retries counted, lazy rings flushing when
// full, ECMDQs taking the CPUs off each other's cache lines, and parameter checks.
#include <gtest/gtest.h>

#include <stdexcept>

#include "platform/bench/dma_bench.h"

using namespace smmu;
using platform::DmaBenchParams;
using platform::DmaBenchResult;

namespace {

DmaBenchParams small(unsigned cpus, driver::CmdqDesign design, driver::DmaInvPolicy policy) {
  DmaBenchParams p;
  p.cpus = cpus;
  p.design = design;
  p.policy = policy;
  p.ops = 20;
  p.warmup = 2;
  return p;
}

}  // namespace

TEST(DmaBench, SmallStrictPointIsExact) {
  const DmaBenchResult r =
      platform::measure_dma_bench(small(4, driver::CmdqDesign::kFetchAdd, driver::DmaInvPolicy::kStrict));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.ops, 80u);
  EXPECT_EQ(r.inv_count, 80u);  // one invalidation per strict unmap
  EXPECT_EQ(r.syncs, 80u);      // ... ending with the unmapping CPU's CMD_SYNC
  EXPECT_EQ(r.commands, 80u);   // one TLBI each
  EXPECT_EQ(r.cas_attempts, 0u);
  // Deterministic to the nanosecond (a change here is a change of the model's timing).
  EXPECT_EQ(r.elapsed_ns, 65774u);
  EXPECT_EQ(r.inv_p50_ns, 592u);
  EXPECT_NEAR(r.rate_per_cpu, 304846.26, 0.01);
}

TEST(DmaBench, CasLoopCountsItsRetries) {
  const DmaBenchResult r =
      platform::measure_dma_bench(small(16, driver::CmdqDesign::kCasLoop, driver::DmaInvPolicy::kStrict));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.reservations, 16u * 20);
  EXPECT_EQ(r.cas_attempts, r.reservations + r.cas_failures);
  EXPECT_GT(r.cas_failures, 0u);
  EXPECT_GT(r.line_transfers, 0u);
  EXPECT_GE(r.rate_max, r.rate_per_cpu);
  EXPECT_LE(r.rate_min, r.rate_per_cpu);
}

TEST(DmaBench, LazyRingsFlushWhenFull) {
  DmaBenchParams p = small(2, driver::CmdqDesign::kFetchAdd, driver::DmaInvPolicy::kLazy);
  p.fq.entries = 8;
  const DmaBenchResult r = platform::measure_dma_bench(p);
  ASSERT_TRUE(r.ok()) << r.error;
  // 2 CPUs x 20 unmaps into rings of 8: a flush (TLBI by ASID + CMD_SYNC) per 8 or so.
  EXPECT_GE(r.flushes, 4u);
  EXPECT_LE(r.flushes, 6u);
  EXPECT_EQ(r.inv_count, r.flushes);
  EXPECT_EQ(r.syncs, r.flushes);
}

TEST(DmaBench, EcmdqsTakeTheCpusOffEachOthersLines) {
  DmaBenchParams p = small(4, driver::CmdqDesign::kFetchAdd, driver::DmaInvPolicy::kStrict);
  p.queues = 4;
  const DmaBenchResult r = platform::measure_dma_bench(p);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.queues, 4u);
  EXPECT_EQ(r.syncs, 80u);
  EXPECT_EQ(r.line_transfers, 0u);  // each CPU alone on its queue's words
}

TEST(DmaBench, RejectsBadParameters) {
  DmaBenchParams p;
  p.queues = 3;
  EXPECT_THROW(platform::validate_dma_bench(p), std::invalid_argument);
  p = {};
  p.buffer = 100;
  EXPECT_THROW(platform::validate_dma_bench(p), std::invalid_argument);
  p = {};
  p.cpus = 0;
  EXPECT_THROW(platform::validate_dma_bench(p), std::invalid_argument);
  p = {};
  p.cpus = 65;
  EXPECT_THROW(platform::validate_dma_bench(p), std::invalid_argument);
}

TEST(DmaBench, ResultsSurviveJson) {
  DmaBenchResult r;
  r.cpus = 8;
  r.design = "cas_loop";
  r.rate_per_cpu = 1234.5;
  r.inv_p99_ns = 77;
  r.error = "x";
  const DmaBenchResult back = platform::dma_bench_result_from_json(platform::to_json(r));
  EXPECT_EQ(back.cpus, 8u);
  EXPECT_EQ(back.design, "cas_loop");
  EXPECT_DOUBLE_EQ(back.rate_per_cpu, 1234.5);
  EXPECT_EQ(back.inv_p99_ns, 77u);
  EXPECT_EQ(back.error, "x");
  EXPECT_THROW(platform::dma_bench_result_from_json(nlohmann::json::object()), std::invalid_argument);
}
