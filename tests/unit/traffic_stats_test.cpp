// SPDX-License-Identifier: Apache-2.0
// TrafficStats: 1 ns latency bins kept up to the highest latency seen (so merging the
// report's streams costs what they used), the overflow past the bound, percentiles and
// merging.
#include "rtl_model/mem/traffic_stats.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace smmu::model {
namespace {

sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

// One successful read issued at 1 us taking `latency`.
void record(TrafficStats& s, sc_core::sc_time latency) {
  s.record(false, 64, tlm::TLM_OK_RESPONSE, ns(1000), ns(1000) + latency);
}

TEST(TrafficStats, BinsGrowToTheHighestLatencyAndOverflowPastTheBound) {
  TrafficStats s(100);
  record(s, ns(7.5));  // bin 7 (whole nanoseconds, rounded down)
  record(s, ns(3));
  record(s, ns(3.2));
  record(s, ns(150));  // past the bound
  record(s, ns(100));  // the bound itself is past it too
  EXPECT_EQ(s.latency_bins(), std::vector<uint64_t>({0, 0, 0, 2, 0, 0, 0, 1}));
  EXPECT_EQ(s.latency_overflow(), 2u);
  EXPECT_EQ(s.latency_percentile_ns(0.4), 3.0);
  EXPECT_EQ(s.latency_percentile_ns(0.6), 7.0);
  EXPECT_EQ(s.latency_percentile_ns(0.8), 150.0);  // in the overflow: the exact max
  EXPECT_EQ(s.latency_percentile_ns(1.0), 150.0);
}

TEST(TrafficStats, DefaultBoundAllocatesOnlyWhatIsUsed) {
  TrafficStats a, b;
  EXPECT_TRUE(a.latency_bins().empty());
  record(a, ns(51));
  record(b, ns(424));
  a.merge(b);
  EXPECT_EQ(a.latency_bins().size(), 425u);  // not TrafficStats::kDefaultHistogramNs
  EXPECT_EQ(a.latency_bins()[51], 1u);
  EXPECT_EQ(a.latency_bins()[424], 1u);
  EXPECT_EQ(a.transactions(), 2u);
  EXPECT_EQ(a.latency_percentile_ns(0.5), 51.0);
  EXPECT_EQ(a.latency_percentile_ns(0.75), 424.0);
}

TEST(TrafficStats, MergeAddsBinsOverflowAndCounts) {
  TrafficStats a(100), b(100), empty(100);
  record(a, ns(2));
  record(b, ns(10));
  record(b, ns(200));
  record(b, ns(10));
  b.merge(empty);
  a.merge(b);
  EXPECT_EQ(a.transactions(), 4u);
  EXPECT_EQ(a.latency_bins().size(), 11u);
  EXPECT_EQ(a.latency_bins()[2], 1u);
  EXPECT_EQ(a.latency_bins()[10], 2u);
  EXPECT_EQ(a.latency_overflow(), 1u);
  EXPECT_EQ(a.min_latency(), ns(2));
  EXPECT_EQ(a.max_latency(), ns(200));
  EXPECT_EQ(a.latency_percentile_ns(0.25), 2.0);
  EXPECT_EQ(a.latency_percentile_ns(0.5), 10.0);
}

TEST(TrafficStats, BoundsMustAgree) {
  TrafficStats a(100), b(200);
  record(b, ns(5));
  EXPECT_THROW(a.merge(b), std::invalid_argument);
  EXPECT_THROW(TrafficStats(0), std::invalid_argument);
}

}  // namespace
}  // namespace smmu::model
