// SPDX-License-Identifier: Apache-2.0
// Locks and RCU shared by all simulated CPUs of a SoC (one ScSync per SoC). The driver
// gets them through driver::Os (ScOs forwards here).
//
// Who is calling. A lock or RCU operation acts for the SystemC process that calls it:
// a CPU's thread (found among the attached Cpus; its time is charged and synced) or any
// other thread (the RCU worker running a callback, a test process; untimed). A method
// process may call what never blocks; blocking there is an SC_REPORT_ERROR.
//
// Locks are synchronisation points: lock and unlock first charge the CPU's
// cached_access, then sync the CPU, then act at that exact simulated time. So lock
// state changes in simulated-time order, critical sections never overlap in simulated
// time, and the timing is deterministic.
//  - mutex: a waiter sleeps (blocks its CPU on an event) until the lock is handed to
//    it; unlock hands it to the longest waiter (FIFO), who resumes at the unlock time.
//  - spinlock: a waiter spins: it retries every ScSyncParams::spin_interval of
//    simulated time counted from its first attempt, so it gets the lock at its first
//    retry instant at or after the release (the CPU is busy all along). Modelled
//    without a wake-up per retry: it sleeps until a release, then until its next retry
//    instant, then tries again. Among waiters the earliest retry wins (no queue, as a
//    test-and-set lock; a tie at one instant goes in SystemC process order, which is
//    deterministic).
//  - rwlock: fair (FIFO). A request that cannot be granted at once queues; a release
//    grants the queue head: one writer, or every reader up to the next writer (those
//    readers overlap). A reader never passes a queued writer, so writers do not
//    starve; a writer waits for the readers before it. Exception: a context that
//    already holds the read side gets it again at once (recursive read, like Linux's
//    rwlock_t in interrupt context; queuing it would deadlock). Waiters sleep.
// Misuse is an SC_REPORT_ERROR naming the lock and the caller, and leaves the lock as
// it was: unlock by a non-owner or of a free lock, taking a mutex/spinlock the caller
// already holds, write_lock while holding the read side, read_lock under one's own
// write lock.
//
// RCU (sleepable, like SRCU: a reader may block inside its section, e.g. waiting for a
// CMD_SYNC). Each context (a CPU's thread) has a nesting counter; only the outermost
// rcu_read_lock/unlock count. rcu_read_lock/unlock are free (no time, no sync, as in a
// non-preemptible kernel). A grace period started at some point in host order ends
// when every context that was inside a section at that point has left that section
// (its outermost unlock: a quiescent state); a context outside a section then, or one
// that entered after, does not delay it. Sections play the role of per-CPU
// generations: at its start a grace period registers as a watcher of the section each
// reader is in; that section's outermost unlock fills in its exit time (the reader's
// local time) and drops the watchers, and a later section of the same CPU is a new
// generation that the grace period does not watch. So it ends at the simulated time the
// last watched reader left (exact, even when that reader ran ahead of SystemC time).
// Taking the snapshot in host order is what makes it safe: a reader that ran ahead and
// entered before the snapshot may hold the old pointer, so it is waited for even if its
// entry time is later (conservative by at most its quantum).
//  - synchronize_rcu(): charges cached_access, syncs, snapshots, sleeps until the
//    readers it found have left, and returns at max(its time, their exit times).
//    Calling it inside one's own read-side section is an SC_REPORT_ERROR (deadlock).
//  - call_rcu(fn): charges cached_access, snapshots (without syncing) and queues fn;
//    the "rcu worker" SC_THREAD runs callbacks in call order, each once its readers
//    have left, at max(the caller's local time at call_rcu, their exit times, the
//    previous callback's time). Never inline in the caller. A callback runs untimed in
//    the worker's context (it may free memory, take a spinlock, call call_rcu).
//    Callbacks still queued when the simulation ends are dropped, not run.
//
// Atomic words (sc_atomics.cpp): each 64-byte line has a coherence state, MSI-like:
// modified by one context, or shared by several. An access first charges
// cached_access and syncs the CPU (a synchronisation point, as a lock). A hit (a read
// of a line this CPU holds, a write of a line it holds modified) costs nothing more.
// A miss waits until the line is free (the transfer before it has ended), then moves
// it in line_transfer, during which nobody else gets it; a write takes it modified (the
// other copies are invalidated), a read shares it. The operation's effect happens when
// the transfer starts, in simulated-time order. wait_change sleeps until a write to the
// word's line (or the timeout), then reads again (a miss). Untimed callers (no CPU)
// just act.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>

#include "driver/os.h"

namespace smmu::platform {

class Cpu;

struct ScSyncParams {
  // A spinning waiter's retry period (a few cache-line transfers of the lock word).
  sc_core::sc_time spin_interval{10, sc_core::SC_NS};
  // Atomic words (make_atomic_words): moving a cache line that another CPU holds (wrote,
  // or must lose because this CPU writes) to this CPU. Transfers of one line are
  // serialised, so N CPUs updating one word wait for each other's transfers.
  sc_core::sc_time line_transfer{40, sc_core::SC_NS};
};

struct SyncStats {
  uint64_t mutex_acquires = 0, mutex_contended = 0;
  sc_core::sc_time mutex_wait;  // total simulated time waiters slept
  uint64_t spin_acquires = 0, spin_contended = 0;
  sc_core::sc_time spin_wait;   // total simulated time waiters spun
  uint64_t rw_read_acquires = 0, rw_write_acquires = 0, rw_contended = 0;
  sc_core::sc_time rw_wait;
  uint64_t synchronize_calls = 0, synchronize_waited = 0;  // waited: found readers
  uint64_t callbacks_queued = 0, callbacks_run = 0;
  uint64_t atomic_ops = 0, line_transfers = 0;
  sc_core::sc_time line_wait;   // total simulated time CPUs waited for a busy line
};

class ScSync : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ScSync);
  explicit ScSync(const sc_core::sc_module_name& name, const ScSyncParams& params = {});
  ~ScSync() override;

  const ScSyncParams& params() const { return params_; }
  const SyncStats& stats() const { return stats_; }

  // Called by each Cpu's constructor.
  void attach(Cpu& cpu);

  std::unique_ptr<driver::Lock> make_mutex();
  std::unique_ptr<driver::Lock> make_spinlock();
  std::unique_ptr<driver::RwLock> make_rwlock();
  std::unique_ptr<driver::AtomicWords> make_atomic_words(size_t n);

  void rcu_read_lock();
  void rcu_read_unlock();
  void synchronize_rcu();
  void call_rcu(std::function<void()> fn);
  // The calling context's read-side nesting, and every context's sum (for tests).
  unsigned rcu_nesting();
  unsigned rcu_readers() const;
  size_t pending_callbacks() const { return callbacks_.size(); }
  // Teardown (the simulation is over, no CPU runs again, so every grace period has
  // ended): runs the callbacks still queued, in order, so that deferred frees happen.
  // The destructor does it too.
  void run_pending_callbacks();

 private:
  class Mutex;
  class SpinLock;
  class RwLockImpl;
  class AtomicLines;
  struct Context;

  // A grace period's wait on one reader section.
  struct Watch {
    Context* reader = nullptr;
    bool done = false;
    sc_core::sc_time exit;  // when that section ended
  };
  struct GracePeriod {
    std::vector<Watch> readers;  // fixed once watched: contexts point into it
    unsigned remaining = 0;
    sc_core::sc_time end() const;  // latest exit time (valid once remaining == 0)
  };
  struct Context {
    std::string name;
    Cpu* cpu = nullptr;  // the CPU whose thread this is, if any
    unsigned rcu_nesting = 0;
    std::vector<std::pair<GracePeriod*, size_t>> watchers;  // of the current section
  };
  struct Callback {
    std::function<void()> fn;
    GracePeriod gp;
    sc_core::sc_time call_time;
  };
  // The caller of an operation.
  struct Caller {
    Context* ctx;
    bool can_wait;
  };

  // Finds the caller (the current process); when `timed`, charges its CPU's
  // cached_access and syncs it.
  Caller enter(bool timed);
  sc_core::sc_time local_time(const Caller& c) const;
  // false (after an SC_REPORT_ERROR) when the caller cannot wait (a method).
  bool can_block(const Caller& c, const std::string& what);
  // Sleeps on ev / for t, then re-arms the CPU's quantum keeper (the CPU was synced).
  void block(const Caller& c, const sc_core::sc_event& ev);
  void block_for(const Caller& c, const sc_core::sc_time& t);
  void start_grace_period(GracePeriod& gp);
  void rcu_worker();
  void misuse(const std::string& msg);

  ScSyncParams params_;
  SyncStats stats_;
  std::vector<Cpu*> cpus_;
  std::unordered_map<const sc_core::sc_object*, std::unique_ptr<Context>> contexts_;
  std::deque<std::unique_ptr<Callback>> callbacks_;
  sc_core::sc_event reader_exit_;   // an outermost rcu_read_unlock that a grace period watched
  sc_core::sc_event callback_queued_;
  sc_core::sc_time last_callback_time_;
  unsigned next_lock_id_ = 0;
};

}  // namespace smmu::platform
