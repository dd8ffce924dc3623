// SPDX-License-Identifier: Apache-2.0
// What a traffic generator measured for a stream (or for all of them): counts by kind
// and by response, and the distribution of per-transaction latency.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>

namespace smmu::model {

class TrafficStats {
 public:
  // 1 ns bins from 0 up to this bound, plus an overflow bin: percentiles are exact to
  // the nanosecond below it. 100 us is far beyond any single DMA transaction we model.
  static constexpr unsigned kDefaultHistogramNs = 100000;

  // Throws std::invalid_argument unless histogram_ns is in 1..2^31-1.
  explicit TrafficStats(unsigned histogram_ns = kDefaultHistogramNs);

  // One completed transaction, issued and completed at these absolute simulated times:
  // its latency is the difference, and it extends the traffic phase.
  void record(bool write, unsigned bytes, tlm::tlm_response_status status,
              sc_core::sc_time issue, sc_core::sc_time completion);
  // Adds another stats object with the same histogram bound (std::invalid_argument
  // otherwise). Costs the bins the two have used, not the bound.
  void merge(const TrafficStats& other);

  uint64_t transactions() const { return transactions_; }  // all, errors included
  uint64_t reads() const { return reads_; }
  uint64_t writes() const { return writes_; }
  uint64_t bytes() const { return bytes_; }    // of successful transactions only
  uint64_t errors() const { return errors_; }  // responses other than TLM_OK_RESPONSE
  uint64_t responses(tlm::tlm_response_status status) const;

  // The traffic phase: the first issue and the last completion (zero when empty), so
  // throughput can leave out what ran before the traffic (e.g. the driver's set-up).
  sc_core::sc_time first_issue() const { return first_issue_; }
  sc_core::sc_time last_completion() const { return last_completion_; }

  sc_core::sc_time min_latency() const { return min_latency_; }  // zero when empty
  sc_core::sc_time max_latency() const { return max_latency_; }
  sc_core::sc_time total_latency() const { return total_latency_; }
  double mean_latency_ns() const;
  // Nearest-rank percentile, q in [0, 1], in ns: the 1 ns bin holding the
  // ceil(q*n)-th smallest latency (its lower edge); the exact max for q = 1 or when
  // that rank falls in the overflow bin. 0 when empty.
  double latency_percentile_ns(double q) const;
  // Transactions per 1 ns latency bin, up to the highest bin used below the bound; and
  // those at or past the bound.
  const std::vector<uint64_t>& latency_bins() const { return bins_; }
  uint64_t latency_overflow() const { return overflow_; }

  // A time in (fractional) nanoseconds.
  static double ns(const sc_core::sc_time& t) {
    static const sc_core::sc_time one_ns(1, sc_core::SC_NS);  // built once: not cheap
    return t / one_ns;
  }

 private:
  static size_t status_index(tlm::tlm_response_status s) { return static_cast<size_t>(1 - s); }

  // Grown on demand to the highest latency seen: a stream's latencies span a few
  // hundred ns, so recording, merging and percentiles never touch the 100 000 bins a
  // dense histogram over the whole bound would have (the report merges every stream).
  unsigned bound_ns_;
  std::vector<uint64_t> bins_;
  uint64_t overflow_ = 0;
  uint64_t transactions_ = 0, reads_ = 0, writes_ = 0, bytes_ = 0, errors_ = 0;
  std::array<uint64_t, 7> by_status_{};  // TLM_OK_RESPONSE (1) .. TLM_BYTE_ENABLE_ERROR (-5)
  sc_core::sc_time min_latency_, max_latency_, total_latency_;
  sc_core::sc_time first_issue_, last_completion_;
};

}  // namespace smmu::model
