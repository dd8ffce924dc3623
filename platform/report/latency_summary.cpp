// SPDX-License-Identifier: Apache-2.0
#include "platform/report/latency_summary.h"

#include <algorithm>

namespace smmu::platform {

LatencySummary summarize_latencies(std::vector<uint64_t>& samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  double total = 0;
  for (uint64_t v : samples) total += static_cast<double>(v);
  s.mean = total / static_cast<double>(samples.size());
  auto pct = [&samples](double q) {
    return samples[std::min(samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())))];
  };
  s.p50 = pct(0.50);
  s.p90 = pct(0.90);
  s.p99 = pct(0.99);
  s.max = samples.back();
  return s;
}

nlohmann::json to_json(const LatencySummary& s) {
  return nlohmann::json{{"count", s.count}, {"mean", s.mean}, {"p50", s.p50},
                        {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
}

}  // namespace smmu::platform
