// SPDX-License-Identifier: Apache-2.0
// The occupancy of a limited resource (translation and walk slots) on its own: requests
// are placed by their simulated arrival time, not by the order the host books them.
#include <gtest/gtest.h>

#include <algorithm>
#include <systemc>
#include <vector>

#include "rtl_model/smmu/occupancy.h"

namespace {

using smmu::model::Occupancy;
using sc_core::sc_time;
using sc_core::SC_NS;

sc_time ns(double v) { return sc_time(v, SC_NS); }

// One request: arrives `at` after now and works for `length` once it holds a unit.
// Returns when it ran (its arrival plus any wait for a unit, or the move at release).
struct Request {
  double at, length;
};
struct Outcome {
  sc_time start, end;
};

Outcome run(Occupancy& o, Request r) {
  sc_time delay = ns(r.at);
  const Occupancy::Hold h = o.acquire(delay);
  delay += ns(r.length);
  o.release(h, delay);
  return Outcome{delay - ns(r.length), delay};
}

TEST(Occupancy, InTimeOrderWaitsForTheUnitThatFreesFirst) {
  Occupancy o(2);
  EXPECT_EQ(run(o, {0, 100}).start, ns(0));
  EXPECT_EQ(run(o, {10, 100}).start, ns(10));
  const Outcome third = run(o, {20, 50});  // both busy: the first frees at 100
  EXPECT_EQ(third.start, ns(100));
  EXPECT_EQ(third.end, ns(150));
  EXPECT_EQ(run(o, {30, 10}).start, ns(110));  // the second frees at 110
  EXPECT_EQ(o.stalls(), 2u);
  EXPECT_EQ(o.waited(), ns(80 + 80));
}

TEST(Occupancy, AnEarlierArrivalBookedLaterTakesTheGapBeforeLaterWork) {
  Occupancy o(1);
  // Booked first in host order, but at 500 ns in simulated time.
  EXPECT_EQ(run(o, {500, 100}).start, ns(500));
  // Arrives at 0: the unit is free until 500, so it starts at once (not behind 500..600)
  // and keeps that start once its length is known.
  sc_time delay = ns(0);
  const Occupancy::Hold h = o.acquire(delay);
  EXPECT_EQ(delay, ns(0));
  delay += ns(100);
  o.release(h, delay);
  EXPECT_EQ(delay, ns(100));
  EXPECT_EQ(o.stalls(), 0u);
  // Arrives inside the later booking: waits for its end.
  EXPECT_EQ(run(o, {550, 10}).start, ns(600));
  EXPECT_EQ(o.stalls(), 1u);
  EXPECT_EQ(o.waited(), ns(50));
}

TEST(Occupancy, WorkThatOutgrowsItsGapMovesToWhereItFits) {
  Occupancy o(1);
  run(o, {100, 50});  // busy 100..150
  // Arrives at 0 (free), but 200 ns of work would overlap 100..150: it cannot have run
  // there, so it runs from 150 and its delay grows by the move.
  const Outcome r = run(o, {0, 200});
  EXPECT_EQ(r.end, ns(350));
  EXPECT_EQ(o.stalls(), 1u);
  EXPECT_EQ(o.waited(), ns(150));
  EXPECT_EQ(o.busy_at(ns(0)), 0u);  // nothing stays booked in the gap it left
  EXPECT_EQ(o.busy_at(ns(149)), 1u);
  EXPECT_EQ(o.busy_at(ns(150)), 1u);
  EXPECT_EQ(o.busy_at(ns(349)), 1u);
  EXPECT_EQ(o.busy_at(ns(350)), 0u);
}

TEST(Occupancy, NeverMoreBusyThanUnitsWhateverTheOrder) {
  const std::vector<Request> reqs = {{0, 120}, {5, 40}, {10, 300}, {15, 60}, {20, 10},
                                     {200, 80}, {210, 30}, {230, 90}, {400, 5}};
  std::vector<size_t> order(reqs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  int permutations = 0;
  do {
    Occupancy o(2);
    std::vector<Outcome> out(reqs.size());
    for (size_t i : order) out[i] = run(o, reqs[i]);
    for (int t = 0; t < 1200; ++t) {
      unsigned busy = 0;
      for (const Outcome& r : out) busy += r.start <= ns(t) && ns(t) < r.end;
      ASSERT_LE(busy, 2u) << "at " << t << " ns";
      ASSERT_EQ(o.busy_at(ns(t)), busy) << "at " << t << " ns";
    }
    for (size_t i = 0; i < reqs.size(); ++i) ASSERT_GE(out[i].start, ns(reqs[i].at));
    ++permutations;
  } while (std::next_permutation(order.begin(), order.begin() + 5) && permutations < 120);
  EXPECT_EQ(permutations, 120);
}

TEST(Occupancy, RequestsThatFitTheirGapsGetTheSameTimesInAnyOrder) {
  // Each request fits the gap it arrives in: the rule promises the same result whatever
  // order the host books them in (here every permutation of five).
  const std::vector<Request> reqs = {{0, 50}, {60, 30}, {100, 100}, {250, 20}, {300, 10}};
  std::vector<size_t> order = {0, 1, 2, 3, 4};
  std::vector<Outcome> first;
  do {
    Occupancy o(1);
    std::vector<Outcome> out(reqs.size());
    for (size_t i : order) out[i] = run(o, reqs[i]);
    if (first.empty()) first = out;
    for (size_t i = 0; i < reqs.size(); ++i) {
      EXPECT_EQ(out[i].start, first[i].start);
      EXPECT_EQ(out[i].end, first[i].end);
    }
    EXPECT_EQ(o.stalls(), 0u);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(Occupancy, AHeldUnitIsBusyUntilReleased) {
  Occupancy o(1);
  sc_time a = ns(0);
  const Occupancy::Hold h = o.acquire(a);
  EXPECT_EQ(o.busy_at(ns(1000000)), 1u);  // its length is not known yet
  a += ns(30);
  o.release(h, a);
  EXPECT_EQ(o.busy_at(ns(29)), 1u);
  EXPECT_EQ(o.busy_at(ns(30)), 0u);
}

TEST(Occupancy, ForgetsWhatEndedBeforeTheCurrentTime) {
  Occupancy o(1);
  for (int i = 0; i < 10; ++i) run(o, {i * 100.0, 50});
  EXPECT_GE(o.steps(), 10u);
  sc_core::sc_start(ns(2000));  // every booking has ended
  run(o, {0, 10});              // books 2000..2010 and prunes the past
  EXPECT_EQ(o.steps(), 2u);     // 2000: busy 1, 2010: idle
  EXPECT_EQ(o.busy_at(sc_core::sc_time_stamp()), 1u);
  EXPECT_EQ(o.stalls(), 0u);
}

}  // namespace
