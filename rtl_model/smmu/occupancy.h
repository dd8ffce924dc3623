// A limited resource (translation slots, walk slots) modelled as occupancy: a request
// that finds every unit busy starts when the earliest one frees. Times are absolute
// simulated times computed from annotated delays, so no wait() is needed.
#pragma once

#include <algorithm>
#include <systemc>
#include <vector>

namespace smmu::model {

class Occupancy {
 public:
  explicit Occupancy(unsigned units) : free_at_(std::max(1u, units), sc_core::SC_ZERO_TIME) {}

  // Takes the unit that frees first; delay grows by the wait for it. Returns the unit.
  unsigned acquire(sc_core::sc_time& delay) {
    const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
    auto it = std::min_element(free_at_.begin(), free_at_.end());
    if (*it > now) {
      waited_ += *it - now;
      ++stalls_;
      delay += *it - now;
    }
    return static_cast<unsigned>(it - free_at_.begin());
  }

  // The unit stays busy until the caller's current time (delay from now).
  void release(unsigned unit, const sc_core::sc_time& delay) {
    free_at_[unit] = sc_core::sc_time_stamp() + delay;
  }

  unsigned units() const { return static_cast<unsigned>(free_at_.size()); }
  uint64_t stalls() const { return stalls_; }
  sc_core::sc_time waited() const { return waited_; }

 private:
  std::vector<sc_core::sc_time> free_at_;
  uint64_t stalls_ = 0;
  sc_core::sc_time waited_;
};

}  // namespace smmu::model
