// SPDX-License-Identifier: Apache-2.0
#include "driver/event_handler.h"

#include <utility>

namespace smmu::driver {

namespace {

// Os::wait_for_irq without a timeout.
constexpr uint64_t kForeverNs = uint64_t{1} << 50;

}  // namespace

EventHandler::EventHandler(Os& os, std::vector<SmmuDevice*> devices, const EventHandlerOptions& opts)
    : os_(os), devices_(std::move(devices)), opts_(opts) {}

void EventHandler::service() {
  for (SmmuDevice* d : devices_) {
    // GERROR first: an EVTQ_ABT says records were lost on the way to the queue.
    d->handle_gerror();
    while (d->drain_events() > 0) ++stats_.drains;
  }
}

void EventHandler::respond_late() {
  // Waits on the irq, not a plain delay: a stop request cuts it short (the run must
  // not wait for it). Pulses taken meanwhile are for records the drain will read.
  const uint64_t until = os_.now_ns() + opts_.response_ns;
  for (uint64_t now = os_.now_ns(); !stop_ && now < until; now = os_.now_ns())
    os_.wait_for_irq(opts_.irq, until - now);
}

void EventHandler::run() {
  // A pulse that came before the thread waits is latched, not lost (Os::wait_for_irq):
  // records recorded before it started are drained at its first wake-up.
  for (;;) {
    os_.wait_for_irq(opts_.irq, kForeverNs);
    ++stats_.wakeups;
    respond_late();
    // A stop seen before this pass makes it the last: everything recorded before the
    // stop was requested is in the queues by now. A stop requested during the pass
    // raised the irq again, so the next wait returns at once.
    const bool last = stop_;
    service();
    if (last) break;
  }
  finished_ = true;
}

}  // namespace smmu::driver
