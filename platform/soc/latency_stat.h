// SPDX-License-Identifier: Apache-2.0
// Latency distributions (exact count, sum, min and max; percentiles from a histogram),
// kept by the SoC per device and reported by smmu-sim as text and JSON. The counters of
// the report are the modules' own statistics structs (tcu.h, tbu.h, ...).
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include <boost/histogram.hpp>
#include <nlohmann/json_fwd.hpp>

namespace sc_core {
class sc_time;
}

namespace smmu::platform {

// A latency distribution. Count, sum, min and max are exact (1 ps resolution).
//
// Percentile definition: percentile(q) is the smallest value v such that at least
// ceil(q * count) samples (and at least one) are <= v.
// Resolution: samples up to kExactBoundNs (100 us) fall into 1 ns bins (k-1, k] on a
// Boost.Histogram integer axis, and the percentile is reported as the bin's upper edge k,
// clamped to [min, max]. So for integer-nanosecond samples below the bound the result is
// exact, and for any other sample below the bound it overestimates by less than 1 ns.
// Above the bound, samples go to a log-spaced tail of kTailBinsPerDecade bins per decade
// up to 1 s (relative resolution < 1 %), again reported as the bin's upper edge clamped
// to max; beyond 1 s only max is known, and percentiles there report max. The rank-1
// and rank-count answers are the exact min and max.
class LatencyStat {
 public:
  static constexpr uint64_t kExactBoundNs = 100000;
  static constexpr unsigned kTailDecades = 4;  // 100 us .. 1 s
  static constexpr unsigned kTailBinsPerDecade = 250;

  LatencyStat();

  void record_ps(uint64_t ps);
  // Rounds to the nearest picosecond; throws std::invalid_argument for a negative or
  // non-finite value.
  void record_ns(double ns);
  // Converts at the kernel's time resolution (exact below 2^53 resolution units).
  void record(const sc_core::sc_time& t);
  // That conversion, for a sample that goes to several statistics.
  static uint64_t to_ps(const sc_core::sc_time& t);

  uint64_t count() const { return count_; }
  uint64_t sum_ps() const { return sum_ps_; }
  uint64_t min_ps() const { return count_ ? min_ps_ : 0; }
  uint64_t max_ps() const { return max_ps_; }
  // In nanoseconds; all 0 when no sample was recorded.
  double mean_ns() const;
  double min_ns() const { return static_cast<double>(min_ps()) / 1000.0; }
  double max_ns() const { return static_cast<double>(max_ps_) / 1000.0; }
  // q in [0, 1] (std::invalid_argument otherwise); 0 when empty. See the class comment.
  double percentile_ns(double q) const;

  void reset();
  // {count, mean, p50, p99, max, min, histogram}, times in ns; histogram: the non-empty
  // bins in order as [upper bound in ns, count] (a bin holds the samples above the
  // previous bound up to its own: 1 ns wide up to kExactBoundNs, then log-spaced), the
  // samples beyond the last bound as ["inf", count].
  nlohmann::json to_json() const;
  nlohmann::json histogram_json() const;

 private:
  using ExactAxis = boost::histogram::axis::integer<int, boost::histogram::use_default,
                                                    boost::histogram::axis::option::none_t>;
  using TailAxis =
      boost::histogram::axis::regular<double, boost::histogram::axis::transform::log,
                                      boost::histogram::use_default,
                                      boost::histogram::use_default>;  // under- and overflow
  using ExactHist = boost::histogram::histogram<std::tuple<ExactAxis>>;
  using TailHist = boost::histogram::histogram<std::tuple<TailAxis>>;

  ExactHist exact_;  // bin k counts samples in (k-1, k] ns; bin 0 counts exactly 0
  TailHist tail_;    // samples above kExactBoundNs
  uint64_t count_ = 0;
  uint64_t sum_ps_ = 0;
  uint64_t min_ps_ = 0;
  uint64_t max_ps_ = 0;
};

}  // namespace smmu::platform
