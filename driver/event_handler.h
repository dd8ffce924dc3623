// SPDX-License-Identifier: Apache-2.0
// The driver's event and global-error handler: a thread on a CPU of its own (the
// platform's), as an OS's threaded interrupt handler. Each time its interrupt fires
// (the SMMUs' event-queue and GERROR lines, shared) it handles every device's active
// global errors (SmmuDevice::handle_gerror) and drains its event queue until empty
// (SmmuDevice::drain_events: counts per type, the log of the first records, overflow
// acknowledged, IHI 0070 §7.4). A drain is bounded, and no interrupt comes while the
// queue stays non-empty (it is the queue's "non-empty" IRQ, IHI 0070 §7.2.2), so it
// drains again until nothing is left.
//
// It never ends by itself: request_stop() asks it to drain once more and return, and
// the platform then raises its interrupt, so that nothing that arrived before the stop
// is left in a queue. No SystemC here.
#pragma once

#include <cstdint>
#include <vector>

#include "driver/os.h"
#include "driver/smmu_device.h"

namespace smmu::driver {

struct EventHandlerOptions {
  unsigned irq = 0;           // the interrupt the thread waits for
  uint64_t response_ns = 0;   // from the interrupt to the drain (a thread scheduled late)
};

struct EventHandlerStats {
  uint64_t wakeups = 0;  // interrupts taken (the stop's included)
  uint64_t drains = 0;   // drain_events calls that read at least one record
};

class EventHandler {
 public:
  EventHandler(Os& os, std::vector<SmmuDevice*> devices, const EventHandlerOptions& opts);

  // The thread's body, on the CPU that takes the interrupt: returns after the drain
  // that follows request_stop().
  void run();
  // One pass over every device: global errors, then the event queue until empty.
  void service();
  // Safe from any process; the caller then raises the interrupt so the thread wakes.
  void request_stop() { stop_ = true; }
  bool finished() const { return finished_; }
  const EventHandlerStats& stats() const { return stats_; }

 private:
  // Lets response_ns pass after an interrupt, unless a stop is requested.
  void respond_late();

  Os& os_;
  std::vector<SmmuDevice*> devices_;
  EventHandlerOptions opts_;
  bool stop_ = false, finished_ = false;
  EventHandlerStats stats_;
};

}  // namespace smmu::driver
