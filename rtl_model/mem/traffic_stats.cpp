// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/mem/traffic_stats.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>

namespace smmu::model {

TrafficStats::TrafficStats(unsigned histogram_ns) : bound_ns_(histogram_ns) {
  if (histogram_ns == 0 || histogram_ns > static_cast<unsigned>(INT_MAX))
    throw std::invalid_argument("traffic stats: histogram bound (ns) must be in 1..2^31-1");
}

void TrafficStats::record(bool write, unsigned bytes, tlm::tlm_response_status status,
                          sc_core::sc_time issue, sc_core::sc_time completion) {
  const sc_core::sc_time latency = completion > issue ? completion - issue : sc_core::SC_ZERO_TIME;
  if (transactions_ == 0 || issue < first_issue_) first_issue_ = issue;
  if (completion > last_completion_) last_completion_ = completion;
  if (transactions_ == 0 || latency < min_latency_) min_latency_ = latency;
  if (latency > max_latency_) max_latency_ = latency;
  total_latency_ += latency;
  ++transactions_;
  if (write)
    ++writes_;
  else
    ++reads_;
  if (status == tlm::TLM_OK_RESPONSE)
    bytes_ += bytes;
  else
    ++errors_;
  const size_t i = status_index(status);
  if (i < by_status_.size()) ++by_status_[i];
  // Whole nanoseconds; anything past the bound lands in the overflow bin.
  const double ns_value = std::floor(ns(latency));
  if (!(ns_value < static_cast<double>(bound_ns_))) {
    ++overflow_;
    return;
  }
  const size_t bin = static_cast<size_t>(ns_value);
  if (bin >= bins_.size()) bins_.resize(bin + 1);
  ++bins_[bin];
}

void TrafficStats::merge(const TrafficStats& other) {
  if (other.bound_ns_ != bound_ns_)
    throw std::invalid_argument("traffic stats: merging histograms of different bounds (" +
                                std::to_string(other.bound_ns_) + " and " +
                                std::to_string(bound_ns_) + " ns)");
  if (other.transactions_ == 0) return;
  if (transactions_ == 0 || other.first_issue_ < first_issue_) first_issue_ = other.first_issue_;
  last_completion_ = std::max(last_completion_, other.last_completion_);
  if (transactions_ == 0 || other.min_latency_ < min_latency_) min_latency_ = other.min_latency_;
  max_latency_ = std::max(max_latency_, other.max_latency_);
  total_latency_ += other.total_latency_;
  transactions_ += other.transactions_;
  reads_ += other.reads_;
  writes_ += other.writes_;
  bytes_ += other.bytes_;
  errors_ += other.errors_;
  for (size_t i = 0; i < by_status_.size(); ++i) by_status_[i] += other.by_status_[i];
  if (other.bins_.size() > bins_.size()) bins_.resize(other.bins_.size());
  for (size_t i = 0; i < other.bins_.size(); ++i) bins_[i] += other.bins_[i];
  overflow_ += other.overflow_;
}

uint64_t TrafficStats::responses(tlm::tlm_response_status status) const {
  const size_t i = status_index(status);
  return i < by_status_.size() ? by_status_[i] : 0;
}

double TrafficStats::mean_latency_ns() const {
  return transactions_ == 0 ? 0.0 : ns(total_latency_) / static_cast<double>(transactions_);
}

double TrafficStats::latency_percentile_ns(double q) const {
  if (transactions_ == 0) return 0.0;
  if (!(q < 1.0)) return ns(max_latency_);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(std::max(q, 0.0) * transactions_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < bins_.size(); ++i) {
    seen += bins_[i];
    if (seen >= rank) return static_cast<double>(i);
  }
  return ns(max_latency_);  // in the overflow bin: the exact max bounds it
}

}  // namespace smmu::model
