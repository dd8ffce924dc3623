// SPDX-License-Identifier: Apache-2.0
// The distribution of a set of latency samples as the reports give it: count, mean and
// exact percentiles of the sorted samples (the value at rank floor(q * n), so p50 of
// {1, 2} is 2), not a histogram's binned estimate: small runs are asserted exactly.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace smmu::platform {

struct LatencySummary {
  uint64_t count = 0;
  double mean = 0;
  uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};

// Sorts the samples in place.
LatencySummary summarize_latencies(std::vector<uint64_t>& samples);

// {count, mean, p50, p90, p99, max}.
nlohmann::json to_json(const LatencySummary& s);

}  // namespace smmu::platform
