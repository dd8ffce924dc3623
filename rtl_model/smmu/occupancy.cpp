// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/occupancy.h"

#include <algorithm>
#include <stdexcept>

namespace smmu::model {

using sc_core::sc_time;

Occupancy::Occupancy(unsigned units) : units_(std::max(1u, units)) {}

// Requests mostly arrive after every booking (one master, or time moving forward), so
// each search first tries the last step: O(1) instead of a binary search over the steps
// booked within the current quantum. The answers are those of the binary search.

size_t Occupancy::step_at(const sc_time& t) const {
  if (!steps_.empty() && steps_.back().at <= t) return steps_.size() - 1;
  const auto after = std::upper_bound(steps_.begin(), steps_.end(), t,
                                      [](const sc_time& x, const Step& s) { return x < s.at; });
  return after == steps_.begin() ? steps_.size() : static_cast<size_t>(after - steps_.begin()) - 1;
}

unsigned Occupancy::busy_at(const sc_time& t) const {
  const size_t i = step_at(t);
  return i == steps_.size() ? 0 : steps_[i].busy;
}

sc_time Occupancy::free_from(const sc_time& t) const {
  size_t i = step_at(t);
  if (i == steps_.size()) return t;  // before every booking
  for (; i < steps_.size(); ++i)
    if (steps_[i].busy < units_) return std::max(t, steps_[i].at);
  // Every unit held from then on: acquire() refuses that case.
  throw std::logic_error("Occupancy: every unit is held (acquire without release)");
}

sc_time Occupancy::fit_from(const sc_time& t, const sc_time& d) const {
  sc_time start = free_from(t);
  auto later = [this](const sc_time& x) {  // the first step after x
    if (steps_.empty() || steps_.back().at <= x) return steps_.size();
    return static_cast<size_t>(
        std::upper_bound(steps_.begin(), steps_.end(), x,
                         [](const sc_time& y, const Step& s) { return y < s.at; }) -
        steps_.begin());
  };
  for (size_t i = later(start); i < steps_.size() && steps_[i].at < start + d;) {
    if (steps_[i].busy >= units_) {
      start = free_from(steps_[i].at);  // full inside the window: try after it
      i = later(start);
    } else {
      ++i;
    }
  }
  return start;
}

size_t Occupancy::point(const sc_time& t) {
  if (steps_.empty() || steps_.back().at < t) {
    steps_.push_back(Step{t, steps_.empty() ? 0u : steps_.back().busy});
    return steps_.size() - 1;
  }
  if (steps_.back().at == t) return steps_.size() - 1;
  const auto at = std::lower_bound(steps_.begin(), steps_.end(), t,
                                   [](const Step& s, const sc_time& x) { return s.at < x; });
  const size_t index = static_cast<size_t>(at - steps_.begin());
  if (at != steps_.end() && at->at == t) return index;
  const unsigned busy = at == steps_.begin() ? 0 : std::prev(at)->busy;
  steps_.insert(at, Step{t, busy});
  return index;
}

void Occupancy::add(const sc_time& from, const sc_time& to, bool bounded, int by) {
  const size_t first = point(from);
  const size_t last = bounded ? point(to) : steps_.size();
  for (size_t i = first; i < last; ++i) steps_[i].busy += by;
}

void Occupancy::prune(const sc_time& now) {
  // The step covering now is the first one that matters; a leading idle step is implied.
  // Mostly now is before the second step (pruned already in this quantum): nothing to do.
  if (steps_.size() < 2 || now < steps_[1].at) return;
  const size_t covering = step_at(now);
  if (covering == steps_.size() || covering == 0) return;  // nothing before now
  steps_.erase(steps_.begin(), steps_.begin() + static_cast<std::ptrdiff_t>(covering));
  if (steps_.front().busy == 0) steps_.erase(steps_.begin());
}

Occupancy::Hold Occupancy::acquire(sc_time& delay) {
  const sc_time now = sc_core::sc_time_stamp();
  prune(now);
  const sc_time arrival = now + delay;
  if (steps_.empty() || (steps_.back().at <= arrival && steps_.back().busy == 0)) {
    // Idle from the arrival on (the common case): the work starts at once. The same
    // booking as below, without the searches.
    if (steps_.empty() || steps_.back().at < arrival)
      steps_.push_back(Step{arrival, 1});
    else
      steps_.back().busy = 1;
    if (track_) note_busy(1);
    return Hold{arrival, arrival};
  }
  // Where work as long as the last one fits: a start from which the work will likely
  // not have to move at release (moving leaves the work inside at its old times).
  const sc_time start = fit_from(arrival, expected_);
  delay += start - arrival;
  add(start, start, false, +1);  // held: busy from its start until release
  if (track_) note_busy(busy_at(start));
  return Hold{arrival, start};
}

void Occupancy::release(const Hold& hold, sc_time& delay) {
  const sc_time end = sc_core::sc_time_stamp() + delay;
  const sc_time length = end > hold.start ? end - hold.start : sc_core::SC_ZERO_TIME;
  expected_ = length;
  if (hold.start == hold.arrival && !steps_.empty() && steps_.back().at == hold.start &&
      steps_.back().busy == 1) {
    // It started on arrival and nothing was booked after it (the common case): it stays
    // where it is, busy over [start, start + length). What the general case below books.
    if (length == sc_core::SC_ZERO_TIME)
      steps_.back().busy = 0;
    else
      steps_.push_back(Step{hold.start + length, 0});
    return;
  }
  add(hold.start, hold.start, false, -1);
  // The earliest place from the arrival where the work, now of known length, fits
  // (a modelling rule, not architecture; see the header). Usually where it started.
  const sc_time start = length == sc_core::SC_ZERO_TIME ? hold.start
                                                         : fit_from(hold.arrival, length);
  if (start > hold.start)
    delay += start - hold.start;
  else
    delay -= hold.start - start;
  if (start > hold.arrival) {
    ++stalls_;
    waited_ += start - hold.arrival;
  }
  if (length != sc_core::SC_ZERO_TIME) add(start, start + length, true, +1);
}

}  // namespace smmu::model
