#include "rtl_model/smmu/occupancy.h"

#include <algorithm>
#include <stdexcept>

namespace smmu::model {

using sc_core::sc_time;

Occupancy::Occupancy(unsigned units) : units_(std::max(1u, units)) {}

void Occupancy::prune(Unit& u, const sc_time& now) {
  // Sorted and disjoint, so the stale intervals are at the front.
  auto live = u.busy.begin();
  while (live != u.busy.end() && live->end <= now) ++live;
  u.busy.erase(u.busy.begin(), live);
}

sc_time Occupancy::free_from(const Unit& u, const sc_time& t, sc_time& next_booking,
                             bool& bounded) {
  sc_time at = t;
  for (const Interval& i : u.busy) {
    if (i.start > at) {
      next_booking = i.start;
      bounded = true;
      return at;
    }
    at = std::max(at, i.end);
  }
  bounded = false;
  return at;
}

sc_time Occupancy::fit_from(const Unit& u, const sc_time& t, const sc_time& d) {
  sc_time at = t;
  for (const Interval& i : u.busy) {
    if (i.start >= at + d) break;
    at = std::max(at, i.end);
  }
  return at;
}

void Occupancy::book(Unit& u, const Interval& i) {
  const auto at = std::upper_bound(u.busy.begin(), u.busy.end(), i.start,
                                   [](const sc_time& s, const Interval& b) { return s < b.start; });
  u.busy.insert(at, i);
}

unsigned Occupancy::acquire(sc_time& delay) {
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time arrival = now + delay;
  unsigned best = 0;
  bool found = false, best_bounded = true;
  sc_time best_start, best_end;
  for (unsigned n = 0; n < units_.size(); ++n) {
    Unit& u = units_[n];
    if (u.held) continue;
    prune(u, now);
    sc_time end;
    bool bounded;
    const sc_time start = free_from(u, arrival, end, bounded);
    // Earliest start first; at equal starts the longer gap (unbounded beats any).
    const bool better =
        !found || start < best_start ||
        (start == best_start && best_bounded && (!bounded || end > best_end));
    if (better) {
      best = n;
      found = true;
      best_start = start;
      best_end = end;
      best_bounded = bounded;
      if (start == arrival && !bounded) break;  // free now and for good: none is better
    }
  }
  if (!found) throw std::logic_error("Occupancy: every unit is held (acquire without release)");
  Unit& u = units_[best];
  u.stalled = best_start > arrival;
  if (u.stalled) {
    waited_ += best_start - arrival;
    ++stalls_;
    delay += best_start - arrival;
  }
  u.held = true;
  u.held_from = best_start;
  return best;
}

void Occupancy::release(unsigned unit, sc_time& delay) {
  Unit& held = units_.at(unit);
  if (!held.held) throw std::logic_error("Occupancy: release of a unit not held");
  held.held = false;
  const sc_time start = held.held_from;
  const sc_time end = sc_core::sc_time_stamp() + delay;
  if (end <= start) return;  // zero-length work occupies nothing
  const sc_time length = end - start;
  Unit* target = &held;
  sc_time at = fit_from(held, start, length);
  if (at != start) {
    // It outgrew its gap: it moves to the earliest place it fits on any unit (a
    // modelling rule, not architecture; see the header).
    for (Unit& u : units_) {
      if (&u == &held || u.held) continue;
      const sc_time t = fit_from(u, start, length);
      if (t < at) {
        at = t;
        target = &u;
      }
    }
    const sc_time moved = at - start;
    waited_ += moved;
    delay += moved;
    if (!held.stalled) ++stalls_;
  }
  book(*target, Interval{at, at + length});
}

size_t Occupancy::booked() const {
  size_t n = 0;
  for (const Unit& u : units_) n += u.busy.size();
  return n;
}

}  // namespace smmu::model
