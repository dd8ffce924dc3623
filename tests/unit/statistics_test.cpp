// SPDX-License-Identifier: Apache-2.0
// Latency statistics: exact percentiles, the tail, the JSON summary and histogram.
#include "platform/soc/latency_stat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

namespace smmu::platform {
namespace {


TEST(LatencyStat, ExactPercentilesOnOneToHundredNs) {
  smmu::platform::LatencyStat l;
  for (int i = 100; i >= 1; --i) l.record_ns(i);  // order must not matter
  EXPECT_EQ(l.count(), 100u);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.5), 50.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.99), 99.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.9), 90.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.505), 51.0);  // 50.5 samples -> the 51st
  // q * count is not exact in binary (0.07 * 100 = 7.000000000000001): still the 7th.
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.07), 7.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.29), 29.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(1.0), 100.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.0), 1.0);
  EXPECT_DOUBLE_EQ(l.max_ns(), 100.0);
  EXPECT_DOUBLE_EQ(l.min_ns(), 1.0);
  EXPECT_DOUBLE_EQ(l.mean_ns(), 50.5);
  EXPECT_EQ(l.sum_ps(), 5050000u);
}

TEST(LatencyStat, ExactPercentilesOnLargerIntegerSamples) {
  smmu::platform::LatencyStat l;
  for (int i = 1; i <= 10000; ++i) l.record_ns(i * 7 % 10007);  // 10000 distinct values
  // Sorted, the samples are 1..10006 without the 6 values k*7 % 10007 for k > 10000.
  std::vector<int> sorted;
  for (int i = 1; i <= 10000; ++i) sorted.push_back(i * 7 % 10007);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.5), sorted[4999]);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.99), sorted[9899]);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.999), sorted[9989]);
}

TEST(LatencyStat, PercentileCountsRepeatedValues) {
  smmu::platform::LatencyStat l;
  for (int i = 0; i < 98; ++i) l.record_ns(10);
  l.record_ns(0);
  l.record_ns(7000);
  // 99 samples <= 10 ns, so p99 is 10 and p100 is the outlier.
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.99), 10.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.995), 7000.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.01), 0.0);
  EXPECT_DOUBLE_EQ(l.min_ns(), 0.0);
}

TEST(LatencyStat, FractionalSamplesRoundUpWithinOneNs) {
  smmu::platform::LatencyStat l;
  l.record_ps(1200);
  l.record_ps(1700);
  l.record_ps(3000);
  // The 2nd sample (1.7 ns) lies in bin (1, 2]: reported as 2, never below the truth.
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.5), 2.0);
  EXPECT_DOUBLE_EQ(l.percentile_ns(1.0), 3.0);
  // Clamped to min: the 1st sample's bin edge (2) exceeds max of a lone 1.2 ns sample.
  LatencyStat one;
  one.record_ps(1200);
  EXPECT_DOUBLE_EQ(one.percentile_ns(0.5), 1.2);
  EXPECT_DOUBLE_EQ(one.mean_ns(), 1.2);
}

TEST(LatencyStat, TailAboveHundredMicrosecondsIsWithinOnePercent) {
  smmu::platform::LatencyStat l;
  l.record_ns(150000);
  l.record_ns(200000);
  l.record_ns(300000);
  const double p50 = l.percentile_ns(0.5);
  EXPECT_GE(p50, 200000.0);
  EXPECT_LE(p50, 200000.0 * 1.01);
  EXPECT_DOUBLE_EQ(l.percentile_ns(1.0), 300000.0);  // clamped to the exact max
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.0), 150000.0);  // clamped to the exact min
  // The exact range's last bin and the tail's first value.
  LatencyStat edge;
  edge.record_ns(100000);
  edge.record_ps(100000001);
  EXPECT_DOUBLE_EQ(edge.percentile_ns(0.5), 100000.0);
  EXPECT_DOUBLE_EQ(edge.percentile_ns(1.0), 100000.001);
}

TEST(LatencyStat, BeyondOneSecondOnlyMaxIsKnown) {
  smmu::platform::LatencyStat l;
  l.record_ns(5);
  l.record_ns(2e9);
  l.record_ns(3e9);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.5), 3e9);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.3), 5.0);
  EXPECT_EQ(l.count(), 3u);
}

TEST(LatencyStat, EmptyIsAllZero) {
  smmu::platform::LatencyStat l;
  EXPECT_EQ(l.count(), 0u);
  EXPECT_EQ(l.percentile_ns(0.5), 0.0);
  EXPECT_EQ(l.mean_ns(), 0.0);
  EXPECT_EQ(l.min_ns(), 0.0);
  EXPECT_EQ(l.max_ns(), 0.0);
}

TEST(LatencyStat, RejectsBadInput) {
  smmu::platform::LatencyStat l;
  EXPECT_THROW(l.record_ns(-1.0), std::invalid_argument);
  EXPECT_THROW(l.record_ns(std::nan("")), std::invalid_argument);
  EXPECT_THROW(l.percentile_ns(1.5), std::invalid_argument);
  EXPECT_THROW(l.percentile_ns(-0.1), std::invalid_argument);
  EXPECT_EQ(l.count(), 0u);
}

TEST(LatencyStat, RecordsScTimeToThePicosecond) {
  smmu::platform::LatencyStat l;
  l.record(sc_core::sc_time(1500, sc_core::SC_PS));
  l.record(sc_core::sc_time(2, sc_core::SC_US));
  EXPECT_EQ(l.min_ps(), 1500u);
  EXPECT_EQ(l.max_ps(), 2000000u);
  EXPECT_EQ(l.sum_ps(), 2001500u);
}

TEST(LatencyStat, ResetForgetsSamples) {
  smmu::platform::LatencyStat l;
  l.record_ns(40);
  l.reset();
  l.record_ns(7);
  EXPECT_EQ(l.count(), 1u);
  EXPECT_DOUBLE_EQ(l.percentile_ns(0.5), 7.0);
  EXPECT_DOUBLE_EQ(l.min_ns(), 7.0);
  EXPECT_DOUBLE_EQ(l.max_ns(), 7.0);
}

TEST(LatencyStat, ToJsonHoldsTheSummaryAndTheHistogram) {
  LatencyStat lat;
  for (int i = 1; i <= 100; ++i) lat.record_ns(i);

  const nlohmann::json t = lat.to_json();
  EXPECT_EQ(t["count"], 100);
  EXPECT_DOUBLE_EQ(t["mean"].get<double>(), 50.5);
  EXPECT_DOUBLE_EQ(t["p50"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(t["p99"].get<double>(), 99.0);
  EXPECT_DOUBLE_EQ(t["max"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(t["min"].get<double>(), 1.0);
  // 1..100 ns, one sample each: 100 bins of 1 ns, [upper bound, count].
  ASSERT_EQ(t["histogram"].size(), 100u);
  EXPECT_EQ(t["histogram"][0], nlohmann::json::array({1, 1}));
  EXPECT_EQ(t["histogram"][99], nlohmann::json::array({100, 1}));
  EXPECT_EQ(t.size(), 7u);
}

}  // namespace
}  // namespace smmu::platform

TEST(LatencyStat, HistogramHoldsTheNonEmptyBinsInOrderAndTheTail) {
  smmu::platform::LatencyStat l;
  EXPECT_TRUE(l.histogram_json().empty());
  l.record_ns(0.5);      // (0, 1] ns
  l.record_ns(7);        // (6, 7]
  l.record_ns(7);
  l.record_ns(250000);   // beyond the exact bins: one log-spaced tail bin
  const nlohmann::json h = l.histogram_json();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], nlohmann::json::array({1, 1}));
  EXPECT_EQ(h[1], nlohmann::json::array({7, 2}));
  EXPECT_GE(h[2][0].get<double>(), 250000.0);
  EXPECT_EQ(h[2][1], 1);
}
