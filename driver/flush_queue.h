// SPDX-License-Identifier: Apache-2.0
// Lazy unmap invalidation, as the kernel's DMA layer does it: an unmap clears the page
// table entries but does not wait for the SMMUs; the IOVA (and any page-table pages the
// unmap emptied) goes into the unmapping CPU's ring, and the whole domain is invalidated
// later in one go: when a ring is full, or when the oldest queued entry has waited
// `timeout_ns`. An entry is released (its IOVA may be reused, its tables freed) only once
// a flush that started after it was queued has finished; until then the SMMUs may still
// translate the old mapping through their TLBs, which is the price of lazy mode.
//
// Counting, as Linux does: flushes started and flushes finished are two counters; an
// entry remembers the started count when it was queued and is released when the
// finished count has passed it.
//
// The kernel's timer is a callback on some CPU; here no CPU is interrupted: poll(), which
// the DMA layer calls on every map and unmap (and anyone may call), runs the timed-out
// flush on the CPU that finds the deadline passed. drain() flushes and releases
// everything (teardown, or a caller that wants the IOVAs back now).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "driver/command_queue.h"
#include "driver/io_pgtable.h"
#include "driver/os.h"

namespace smmu::driver {

struct FlushQueueConfig {
  unsigned cpus = 1;                   // rings (a CPU id beyond uses id % cpus)
  unsigned entries = 256;              // per ring (Linux IOVA_FQ_SIZE)
  uint64_t timeout_ns = 10'000'000;    // Linux IOVA_FQ_TIMEOUT: 10 ms
};

struct FlushQueueStats {
  std::atomic<uint64_t> queued{0}, released{0};
  std::atomic<uint64_t> flushes{0};          // whole-domain invalidations
  std::atomic<uint64_t> full_flushes{0};     // of them, because a ring was full
  std::atomic<uint64_t> timeout_flushes{0};  // ... because the timeout had passed
  std::atomic<uint64_t> drain_flushes{0};    // ... by drain()
  std::atomic<uint64_t> flush_errors{0};     // flushes the SMMUs did not confirm
};

struct FlushEntry {
  uint64_t iova = 0, size = 0;
  Gather gather;         // the unmap's: what was unmapped, and the tables to free
  uint64_t counter = 0;  // flushes started when it was queued
};

class FlushQueue {
 public:
  // flush: invalidates the whole domain on every SMMU and waits (Domain::inv_all).
  // release: called once per entry after a flush has covered it (frees IOVA and tables);
  // called without any ring lock held.
  using FlushFn = std::function<SmmuStatus()>;
  using ReleaseFn = std::function<void(FlushEntry&)>;
  // Throws std::invalid_argument naming the bad field.
  FlushQueue(Os& os, const FlushQueueConfig& cfg, FlushFn flush, ReleaseFn release);
  FlushQueue(const FlushQueue&) = delete;
  FlushQueue& operator=(const FlushQueue&) = delete;

  // Queues an unmapped range on the calling CPU's ring (flushing first if it is full).
  void queue(uint64_t iova, uint64_t size, Gather&& gather);
  // Runs the timed-out flush if the deadline has passed (any CPU).
  void poll();
  // Flushes and releases every ring's entries.
  void drain();
  // Forgets every entry without flushing or releasing it (teardown after the simulation
  // stopped: no CPU can flush any more, and nothing will reuse the IOVAs or tables).
  void discard();

  // Entries queued and not yet released, every ring.
  uint64_t pending() const { return pending_.load(); }
  uint64_t flushes_started() const { return started_.load(); }
  uint64_t flushes_finished() const { return finished_.load(); }
  // When the running timer fires (valid while timer_armed()).
  uint64_t deadline_ns() const { return deadline_.load(); }
  bool timer_armed() const { return armed_.load(); }
  const FlushQueueStats& stats() const { return stats_; }
  const FlushQueueConfig& config() const { return cfg_; }

 private:
  struct Ring {
    std::unique_ptr<Lock> lock;
    std::vector<FlushEntry> slots;
    unsigned head = 0, count = 0;  // oldest entry, entries held
  };
  Ring& ring() { return rings_[os_.cpu_id() % cfg_.cpus]; }
  void flush();
  // Takes the entries a finished flush covers out of r (lock held) into out.
  void take_released(Ring& r, std::vector<FlushEntry>& out);
  void release_all(std::vector<FlushEntry>& done);
  void flush_and_release_every_ring();

  Os& os_;
  FlushQueueConfig cfg_;
  FlushFn flush_;
  ReleaseFn release_;
  std::vector<Ring> rings_;
  std::atomic<uint64_t> started_{0}, finished_{0};
  std::atomic<uint64_t> pending_{0};
  std::atomic<bool> armed_{false};
  std::atomic<bool> firing_{false};  // a CPU is running the timed-out flush
  std::atomic<uint64_t> deadline_{0};
  FlushQueueStats stats_;
};

}  // namespace smmu::driver
