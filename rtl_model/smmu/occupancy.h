// SPDX-License-Identifier: Apache-2.0
// A limited resource (translation slots, walk slots) modelled as occupancy: at most
// `units` requests hold it at any simulated instant. Times are absolute simulated times
// computed from annotated delays, so no wait() is needed.
//
// Booking is by time, not by host order. With temporal decoupling a request can reach the
// resource after requests with LATER timestamps have already been booked; it must not
// queue behind them. So the resource keeps how many units are busy over time (a step
// function built from the booked intervals [start, end)), and:
//   - acquire(): a request arriving at t = sc_time_stamp() + delay starts at the earliest
//     instant >= t from which a unit is free for as long as the previous request's work
//     lasted (its length is not known yet; that is the guess). The delay grows by the
//     wait. It holds a unit from its start until release().
//   - release(): the length d is known now (end = sc_time_stamp() + delay). The work is
//     booked at the earliest start >= t at which fewer than `units` are busy throughout
//     [start, start + d): usually where it started. If it outgrew its gap (a booking
//     made in between, or one made earlier in host order but later in time, whose times
//     were already given, would be oversubscribed) it moves later; if the guess was too
//     long it moves back to an earlier gap. The delay follows the move; stalls and waits
//     count the final start against the arrival. Only the end of the work moves: what
//     ran inside it (e.g. a walk's own slot) keeps its times; the guess keeps such moves
//     rare.
//   - So the resource is never oversubscribed, whatever order requests come in, and
//     requests that fit the gaps they arrive in get the same times in any order.
//   - Units are interchangeable, so only the count matters: intervals that never exceed
//     `units` at once can always be given to distinct units (interval graphs are perfect).
// The busy count before sc_time_stamp() is dropped: no request can arrive earlier than the
// current global time. acquire() and release() bracket wait-free work.
#pragma once

#include <algorithm>
#include <cstdint>
#include <systemc>
#include <vector>

namespace smmu::model {

class Occupancy {
 public:
  // What acquire() hands out and release() takes back.
  struct Hold {
    sc_core::sc_time arrival, start;
  };

  explicit Occupancy(unsigned units);

  // Starts the request at or after its arrival where a unit is free (see above); delay
  // grows by the wait.
  Hold acquire(sc_core::sc_time& delay);

  // The request was busy from its start until the caller's current time (delay from
  // now); the delay changes when the work has to move (see above).
  void release(const Hold& hold, sc_core::sc_time& delay);

  unsigned units() const { return units_; }
  uint64_t stalls() const { return stalls_; }
  sc_core::sc_time waited() const { return waited_; }
  // Units busy at a time (>= sc_time_stamp()), held requests included; for tests.
  unsigned busy_at(const sc_core::sc_time& t) const;
  // Steps of the busy count kept after pruning; for tests.
  size_t steps() const { return steps_.size(); }
  // For trace files (sc_trace samples it at each kernel time step), once track_busy()
  // was called: the most units busy at the start of a request acquired while the kernel
  // was at its current time (itself included), i.e. the peak of the current quantum;
  // it holds until a request comes at a later kernel time. Untracked (the default) it
  // stays 0.
  void track_busy() { track_ = true; }
  const unsigned& peak_busy() const { return peak_busy_; }

 private:
  // busy units from `at` until the next step's time (0 before the first step).
  struct Step {
    sc_core::sc_time at;
    unsigned busy;
  };

  // The earliest instant >= t at which a unit is free.
  sc_core::sc_time free_from(const sc_core::sc_time& t) const;
  // The earliest start >= t at which work of length d finds a unit free throughout.
  sc_core::sc_time fit_from(const sc_core::sc_time& t, const sc_core::sc_time& d) const;
  // Adds `by` (+1 / -1) to the busy count over [from, to), or [from, forever) if !bounded.
  void add(const sc_core::sc_time& from, const sc_core::sc_time& to, bool bounded, int by);
  size_t point(const sc_core::sc_time& t);  // the step starting at t, inserted if needed
  size_t step_at(const sc_core::sc_time& t) const;  // the step covering t, or size()
  void prune(const sc_core::sc_time& now);  // drops the steps before now

  unsigned units_;
  std::vector<Step> steps_;  // sorted by time
  uint64_t stalls_ = 0;
  sc_core::sc_time waited_;
  sc_core::sc_time expected_;  // the last work's length: where the next one should fit
  bool track_ = false;
  unsigned peak_busy_ = 0;
  sc_core::sc_time peak_stamp_;  // the kernel time peak_busy_ is for
  void note_busy(unsigned busy) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (now != peak_stamp_) {
      peak_stamp_ = now;
      peak_busy_ = 0;
    }
    peak_busy_ = std::max(peak_busy_, busy);
  }
};

}  // namespace smmu::model
