// SPDX-License-Identifier: Apache-2.0
// The reports' latency distribution: exact percentiles of the sorted samples.
#include <gtest/gtest.h>

#include <vector>

#include "platform/report/latency_summary.h"

using namespace smmu::platform;

TEST(LatencySummary, NoSamplesGiveZeros) {
  std::vector<uint64_t> none;
  const LatencySummary s = summarize_latencies(none);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.p50, 0u);
  EXPECT_EQ(s.max, 0u);
}

TEST(LatencySummary, PercentilesAreTheSampleAtRankFloorQn) {
  std::vector<uint64_t> two{2, 1};
  const LatencySummary t = summarize_latencies(two);
  EXPECT_EQ(t.p50, 2u);  // rank floor(0.5 * 2) = 1
  EXPECT_EQ(t.mean, 1.5);
  // 10..1000 in reverse: p50 is the 51st smallest, p90 the 91st, p99 the 100th.
  std::vector<uint64_t> v;
  for (uint64_t i = 100; i >= 1; --i) v.push_back(i * 10);
  const LatencySummary s = summarize_latencies(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.p50, 510u);
  EXPECT_EQ(s.p90, 910u);
  EXPECT_EQ(s.p99, 1000u);
  EXPECT_EQ(s.max, 1000u);
  EXPECT_DOUBLE_EQ(s.mean, 505.0);
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["p90"], 910u);
  EXPECT_EQ(j["count"], 100u);
}
