// A limited resource (translation slots, walk slots) modelled as occupancy. Times are
// absolute simulated times computed from annotated delays, so no wait() is needed.
//
// Booking is by time, not by host order. With temporal decoupling a request can reach the
// resource after requests with LATER timestamps have already been booked; it must not
// queue behind them. So every unit keeps the intervals [start, end) it is busy, and:
//   - acquire(): a request arriving at t = sc_time_stamp() + delay starts at the earliest
//     instant >= t at which some unit is free (ties: the unit whose free gap lasts
//     longest; nothing booked later wins). The delay grows by the wait. The unit is held
//     from then until release(): no other request books it meanwhile.
//   - release(): the work's length d is known now (end = sc_time_stamp() + delay). If
//     [start, start + d) fits the gap it started in, it is booked there. If it outgrows
//     its gap (it would overlap a later booking, whose times were already given), the
//     work could not have run there: it moves to the earliest start >= its start at
//     which d fits on any unit, and the delay grows by the move (counted as waiting).
//     Units are thus never oversubscribed, whatever order requests come in. Only the
//     end of the work moves: what ran inside it (e.g. a walk's own slot) keeps its times.
//   - In time order (no request earlier than one already booked), this is exactly "wait
//     for the unit that frees first": no gap ever opens before a later booking.
// Intervals that end at or before sc_time_stamp() are dropped: no request can arrive
// earlier than the current global time. acquire() and release() bracket wait-free work.
#pragma once

#include <cstdint>
#include <systemc>
#include <vector>

namespace smmu::model {

class Occupancy {
 public:
  explicit Occupancy(unsigned units);

  // Takes the unit free earliest at or after the arrival; delay grows by the wait for it.
  // Returns the unit, held until release().
  unsigned acquire(sc_core::sc_time& delay);

  // The unit was busy from its start until the caller's current time (delay from now);
  // the delay grows when the work outgrows its gap and has to move (see above).
  void release(unsigned unit, sc_core::sc_time& delay);

  unsigned units() const { return static_cast<unsigned>(units_.size()); }
  uint64_t stalls() const { return stalls_; }
  sc_core::sc_time waited() const { return waited_; }
  // Busy intervals currently kept (after pruning) on every unit; for tests.
  size_t booked() const;

 private:
  struct Interval {
    sc_core::sc_time start, end;
  };
  struct Unit {
    std::vector<Interval> busy;  // sorted, disjoint
    bool held = false;           // acquired, not yet released
    bool stalled = false;        // the held request already counted as a stall
    sc_core::sc_time held_from;
  };

  // The earliest instant >= t at which the unit is free; next_booking is where its free
  // gap ends (the next interval's start), unbounded when nothing is booked later.
  static sc_core::sc_time free_from(const Unit& u, const sc_core::sc_time& t,
                                    sc_core::sc_time& next_booking, bool& bounded);
  // The earliest start >= t at which work of length d fits between the unit's bookings.
  static sc_core::sc_time fit_from(const Unit& u, const sc_core::sc_time& t,
                                   const sc_core::sc_time& d);
  static void prune(Unit& u, const sc_core::sc_time& now);
  static void book(Unit& u, const Interval& i);

  std::vector<Unit> units_;
  uint64_t stalls_ = 0;
  sc_core::sc_time waited_;
};

}  // namespace smmu::model
