// SPDX-License-Identifier: Apache-2.0
#include "platform/soc/latency_stat.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <systemc>

namespace smmu::platform {

namespace bh = boost::histogram;

namespace {

constexpr double kTailLowNs = static_cast<double>(LatencyStat::kExactBoundNs);

double tail_high_ns() {
  double high = kTailLowNs;
  for (unsigned d = 0; d < LatencyStat::kTailDecades; ++d) high *= 10.0;
  return high;
}

// ceil(q * n) with tolerance for the rounding of the product (0.99 * 100 must be 99).
uint64_t rank_for(double q, uint64_t n) {
  const double x = q * static_cast<double>(n);
  const double nearest = std::round(x);
  const double r = std::fabs(x - nearest) <= (x + 1.0) * 1e-14 ? nearest : std::ceil(x);
  const uint64_t rank = static_cast<uint64_t>(r);
  return std::clamp<uint64_t>(rank, 1, n);
}

}  // namespace

LatencyStat::LatencyStat()
    : exact_(bh::make_histogram(ExactAxis(0, static_cast<int>(kExactBoundNs) + 1))),
      tail_(bh::make_histogram(
          TailAxis(kTailDecades * kTailBinsPerDecade, kTailLowNs, tail_high_ns()))) {}

void LatencyStat::record_ps(uint64_t ps) {
  ++count_;
  sum_ps_ += ps;
  if (count_ == 1 || ps < min_ps_) min_ps_ = ps;
  if (ps > max_ps_) max_ps_ = ps;
  const uint64_t ceil_ns = ps / 1000 + (ps % 1000 != 0 ? 1 : 0);
  if (ceil_ns <= kExactBoundNs)
    exact_(static_cast<int>(ceil_ns));
  else
    tail_(static_cast<double>(ps) / 1000.0);
}

void LatencyStat::record_ns(double ns) {
  if (!std::isfinite(ns) || ns < 0)
    throw std::invalid_argument("latency sample must be a finite non-negative number of ns, got " +
                                std::to_string(ns));
  record_ps(static_cast<uint64_t>(std::llround(ns * 1000.0)));
}

uint64_t LatencyStat::to_ps(const sc_core::sc_time& t) {
  // Integer scaling keeps the conversion exact at any resolution of 1 ps or coarser. The
  // resolution is fixed before simulation starts: the scale is computed once.
  static const double res_ps = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
  static const uint64_t ps_per_unit = res_ps >= 1.0 ? static_cast<uint64_t>(std::llround(res_ps)) : 0;
  static const uint64_t units_per_ps =
      res_ps >= 1.0 ? 1 : static_cast<uint64_t>(std::llround(1.0 / res_ps));
  if (ps_per_unit) return t.value() * ps_per_unit;
  return (t.value() + units_per_ps / 2) / units_per_ps;
}

void LatencyStat::record(const sc_core::sc_time& t) { record_ps(to_ps(t)); }

double LatencyStat::mean_ns() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(sum_ps_) / static_cast<double>(count_) / 1000.0;
}

double LatencyStat::percentile_ns(double q) const {
  if (!(q >= 0.0 && q <= 1.0))
    throw std::invalid_argument("percentile must be in [0, 1], got " + std::to_string(q));
  if (count_ == 0) return 0.0;
  const uint64_t rank = rank_for(q, count_);
  if (rank == 1) return min_ns();  // the extremes are known exactly
  if (rank == count_) return max_ns();
  // The answer never lies outside [min, max]; clamping makes bin edges exact there.
  auto clamp_ns = [this](double edge_ns) {
    return std::clamp(edge_ns, min_ns(), max_ns());
  };

  uint64_t cum = 0;
  const uint64_t first = min_ps_ / 1000;
  const uint64_t last = std::min<uint64_t>(max_ps_ / 1000 + 1, kExactBoundNs);
  for (uint64_t k = first; k <= last; ++k) {
    cum += static_cast<uint64_t>(exact_.at(static_cast<int>(k)));
    if (cum >= rank) return clamp_ns(static_cast<double>(k));
  }
  const auto& axis = tail_.axis();
  const int bins = axis.size();
  for (int i = -1; i <= bins; ++i) {  // underflow (float rounding at the edge), bins, overflow
    cum += static_cast<uint64_t>(tail_.at(i));
    if (cum >= rank) {
      if (i == bins) return max_ns();
      return clamp_ns(axis.bin(std::max(i, 0)).upper());
    }
  }
  return max_ns();
}

void LatencyStat::reset() {
  exact_.reset();
  tail_.reset();
  count_ = sum_ps_ = min_ps_ = max_ps_ = 0;
}

nlohmann::json LatencyStat::to_json() const {
  return nlohmann::json{{"count", count_},
                        {"mean", mean_ns()},
                        {"p50", percentile_ns(0.5)},
                        {"p99", percentile_ns(0.99)},
                        {"max", max_ns()},
                        {"min", min_ns()},
                        {"histogram", histogram_json()}};
}

nlohmann::json LatencyStat::histogram_json() const {
  nlohmann::json bins = nlohmann::json::array();
  if (count_ == 0) return bins;
  // Only the range that holds samples is walked (the exact axis has 100 001 bins).
  const uint64_t hi = std::min<uint64_t>(max_ps_ / 1000 + 1, kExactBoundNs);
  for (uint64_t k = min_ps() / 1000; k <= hi; ++k) {
    const double n = exact_.at(static_cast<int>(k));
    if (n > 0) bins.push_back({k, static_cast<uint64_t>(n)});
  }
  if (max_ps_ > kExactBoundNs * 1000) {
    for (auto&& b : bh::indexed(tail_, bh::coverage::all)) {
      const double n = *b;
      if (n <= 0) continue;
      const double upper = b.bin().upper();
      if (std::isinf(upper))
        bins.push_back({"inf", static_cast<uint64_t>(n)});
      else
        bins.push_back({upper, static_cast<uint64_t>(n)});
    }
  }
  return bins;
}

}  // namespace smmu::platform
