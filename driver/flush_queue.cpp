// SPDX-License-Identifier: Apache-2.0
#include "driver/flush_queue.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace smmu::driver {

FlushQueue::FlushQueue(Os& os, const FlushQueueConfig& cfg, FlushFn flush, ReleaseFn release)
    : os_(os), cfg_(cfg), flush_(std::move(flush)), release_(std::move(release)) {
  if (cfg.cpus < 1 || cfg.cpus > 4096) throw std::invalid_argument("flush queue: bad cpus");
  if (cfg.entries < 1 || cfg.entries > 65536)
    throw std::invalid_argument("flush queue: bad entries");
  if (cfg.timeout_ns == 0) throw std::invalid_argument("flush queue: bad timeout_ns");
  if (!flush_ || !release_) throw std::invalid_argument("flush queue: missing callback");
  rings_.resize(cfg.cpus);
  for (Ring& r : rings_) {
    r.lock = os.make_spinlock();
    r.slots.resize(cfg.entries);
  }
}

void FlushQueue::flush() {
  ++started_;
  ++stats_.flushes;
  if (flush_() != SmmuStatus::kOk) ++stats_.flush_errors;
  ++finished_;
}

void FlushQueue::take_released(Ring& r, std::vector<FlushEntry>& out) {
  const uint64_t finished = finished_.load();
  while (r.count > 0) {
    FlushEntry& e = r.slots[r.head];
    // Released only by a flush that started after the entry was queued.
    if (e.counter >= finished) break;
    out.push_back(std::move(e));
    r.head = (r.head + 1) % cfg_.entries;
    --r.count;
  }
}

void FlushQueue::release_all(std::vector<FlushEntry>& done) {
  for (FlushEntry& e : done) {
    release_(e);
    ++stats_.released;
    --pending_;
  }
  done.clear();
}

void FlushQueue::queue(uint64_t iova, uint64_t size, Gather&& gather) {
  // The page table change is ordered before the started count is read: a flush that
  // has not started by then will see it.
  os_.smp_mb();
  std::vector<FlushEntry> done;
  Ring& r = ring();
  {
    LockGuard g(*r.lock);
    take_released(r, done);
    if (r.count == cfg_.entries) {
      ++stats_.full_flushes;
      flush();
      take_released(r, done);
    }
    FlushEntry& e = r.slots[(r.head + r.count) % cfg_.entries];
    e.iova = iova;
    e.size = size;
    e.gather = std::move(gather);
    e.counter = started_.load();
    ++r.count;
    ++pending_;
    ++stats_.queued;
  }
  if (!armed_.exchange(true)) deadline_ = os_.now_ns() + cfg_.timeout_ns;
  release_all(done);
}

void FlushQueue::flush_and_release_every_ring() {
  flush();
  std::vector<FlushEntry> done;
  for (Ring& r : rings_) {
    {
      LockGuard g(*r.lock);
      take_released(r, done);
    }
    release_all(done);
  }
  // What was queued while the flush ran waits for a timer of its own.
  if (pending_.load() > 0 && !armed_.exchange(true)) deadline_ = os_.now_ns() + cfg_.timeout_ns;
}

void FlushQueue::poll() {
  if (!armed_.load() || os_.now_ns() < deadline_.load()) return;
  if (firing_.exchange(true)) return;  // another CPU is running it
  // Disarmed first: entries queued during the flush arm a new timer.
  armed_ = false;
  ++stats_.timeout_flushes;
  flush_and_release_every_ring();
  firing_ = false;
}

void FlushQueue::drain() {
  if (pending_.load() == 0) return;
  ++stats_.drain_flushes;
  armed_ = false;
  flush_and_release_every_ring();
}

void FlushQueue::discard() {
  for (Ring& r : rings_) {
    for (unsigned i = 0; i < r.count; ++i) r.slots[(r.head + i) % cfg_.entries] = FlushEntry{};
    r.head = r.count = 0;
  }
  pending_ = 0;
  armed_ = false;
}

}  // namespace smmu::driver
