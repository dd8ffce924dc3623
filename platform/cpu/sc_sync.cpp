// SPDX-License-Identifier: Apache-2.0
#include "platform/cpu/sc_sync.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "platform/cpu/cpu.h"

namespace smmu::platform {

using sc_core::sc_event;
using sc_core::sc_time;
using sc_core::sc_time_stamp;

namespace {
constexpr const char* kMsgType = "smmu/sync";
}  // namespace

// --- mutex: sleeping waiters, FIFO hand-off.
class ScSync::Mutex : public driver::Lock {
 public:
  Mutex(ScSync& s, std::string name) : s_(s), name_(std::move(name)) {}

  void lock() override {
    const Caller c = s_.enter(true);
    if (owner_ == c.ctx) {
      s_.misuse(name_ + ": " + c.ctx->name + " locks it again while holding it (deadlock)");
      return;
    }
    ++s_.stats_.mutex_acquires;
    if (!owner_) {
      owner_ = c.ctx;
      return;
    }
    if (!s_.can_block(c, name_ + " lock")) return;
    ++s_.stats_.mutex_contended;
    const sc_time t0 = sc_time_stamp();
    waiters_.push_back(c.ctx);
    while (owner_ != c.ctx) s_.block(c, handoff_);
    s_.stats_.mutex_wait += sc_time_stamp() - t0;
  }

  void unlock() override {
    const Caller c = s_.enter(true);
    if (owner_ != c.ctx) {
      s_.misuse(name_ + ": unlock by " + c.ctx->name +
                (owner_ ? " while " + owner_->name + " holds it" : std::string(" of a free mutex")));
      return;
    }
    if (waiters_.empty()) {
      owner_ = nullptr;
      return;
    }
    owner_ = waiters_.front();
    waiters_.pop_front();
    handoff_.notify();
  }

 private:
  ScSync& s_;
  std::string name_;
  Context* owner_ = nullptr;
  std::deque<Context*> waiters_;
  sc_event handoff_;
};

// --- spinlock: waiters retry every spin_interval from their first attempt.
class ScSync::SpinLock : public driver::Lock {
 public:
  SpinLock(ScSync& s, std::string name) : s_(s), name_(std::move(name)) {}

  void lock() override {
    const Caller c = s_.enter(true);
    if (owner_ == c.ctx) {
      s_.misuse(name_ + ": " + c.ctx->name + " locks it again while holding it (deadlock)");
      return;
    }
    ++s_.stats_.spin_acquires;
    if (!owner_) {
      owner_ = c.ctx;
      return;
    }
    if (!s_.can_block(c, name_ + " lock")) return;
    ++s_.stats_.spin_contended;
    const sc_time t0 = sc_time_stamp();
    const sc_time::value_type period = s_.params_.spin_interval.value();
    while (owner_) {
      // Every retry while it is held fails: sleep through them until a release, then
      // until the first retry instant at or after it.
      s_.block(c, released_);
      const sc_time now = sc_time_stamp();
      if (period != 0) {
        const sc_time::value_type since = (now - t0).value();
        const sc_time next = t0 + sc_time::from_value((since + period - 1) / period * period);
        if (next > now) s_.block_for(c, next - now);
      }
    }
    owner_ = c.ctx;
    s_.stats_.spin_wait += sc_time_stamp() - t0;
  }

  void unlock() override {
    const Caller c = s_.enter(true);
    if (owner_ != c.ctx) {
      s_.misuse(name_ + ": unlock by " + c.ctx->name +
                (owner_ ? " while " + owner_->name + " holds it" : std::string(" of a free spinlock")));
      return;
    }
    owner_ = nullptr;
    released_.notify();
  }

 private:
  ScSync& s_;
  std::string name_;
  Context* owner_ = nullptr;
  sc_event released_;
};

// --- rwlock: FIFO-fair; sleeping waiters.
class ScSync::RwLockImpl : public driver::RwLock {
 public:
  RwLockImpl(ScSync& s, std::string name) : s_(s), name_(std::move(name)) {}

  void read_lock() override {
    const Caller c = s_.enter(true);
    if (writer_ == c.ctx) {
      s_.misuse(name_ + ": read_lock by " + c.ctx->name + " under its own write lock (deadlock)");
      return;
    }
    ++s_.stats_.rw_read_acquires;
    auto it = readers_.find(c.ctx);
    if (it != readers_.end()) {  // recursive read: never queued behind a writer
      ++it->second;
      return;
    }
    if (!writer_ && queue_.empty()) {
      readers_[c.ctx] = 1;
      return;
    }
    wait_grant(c, false);
  }

  void read_unlock() override {
    const Caller c = s_.enter(true);
    auto it = readers_.find(c.ctx);
    if (it == readers_.end()) {
      s_.misuse(name_ + ": read_unlock by " + c.ctx->name + ", which does not hold the read side");
      return;
    }
    if (--it->second == 0) readers_.erase(it);
    admit();
  }

  void write_lock() override {
    const Caller c = s_.enter(true);
    if (writer_ == c.ctx) {
      s_.misuse(name_ + ": write_lock by " + c.ctx->name + ", which already holds it (deadlock)");
      return;
    }
    if (readers_.count(c.ctx)) {
      s_.misuse(name_ + ": write_lock by " + c.ctx->name + " while it holds the read side (deadlock)");
      return;
    }
    ++s_.stats_.rw_write_acquires;
    if (!writer_ && readers_.empty() && queue_.empty()) {
      writer_ = c.ctx;
      return;
    }
    wait_grant(c, true);
  }

  void write_unlock() override {
    const Caller c = s_.enter(true);
    if (writer_ != c.ctx) {
      s_.misuse(name_ + ": write_unlock by " + c.ctx->name +
                (writer_ ? " while " + writer_->name + " holds it" : std::string(", which is not write-locked")));
      return;
    }
    writer_ = nullptr;
    admit();
  }

 private:
  struct Request {
    Context* ctx;
    bool write;
    bool granted;
  };

  void wait_grant(const Caller& c, bool write) {
    if (!s_.can_block(c, name_ + (write ? " write_lock" : " read_lock"))) return;
    ++s_.stats_.rw_contended;
    const sc_time t0 = sc_time_stamp();
    Request r{c.ctx, write, false};
    queue_.push_back(&r);
    while (!r.granted) s_.block(c, granted_);
    s_.stats_.rw_wait += sc_time_stamp() - t0;
  }

  // Grants the queue head: a writer when the lock is free, else every reader up to the
  // next writer while no writer holds it.
  void admit() {
    bool any = false;
    while (!queue_.empty() && !writer_) {
      Request* r = queue_.front();
      if (r->write) {
        if (!readers_.empty()) break;
        writer_ = r->ctx;
      } else {
        readers_[r->ctx] = 1;
      }
      r->granted = true;
      queue_.pop_front();
      any = true;
    }
    if (any) granted_.notify();
  }

  ScSync& s_;
  std::string name_;
  Context* writer_ = nullptr;
  std::unordered_map<Context*, unsigned> readers_;  // holder -> recursion depth
  std::deque<Request*> queue_;
  sc_event granted_;
};

// --- ScSync

ScSync::ScSync(const sc_core::sc_module_name& name, const ScSyncParams& params)
    : sc_module(name), params_(params) {
  SC_THREAD(rcu_worker);
}

ScSync::~ScSync() { run_pending_callbacks(); }

void ScSync::run_pending_callbacks() {
  while (!callbacks_.empty()) {
    std::function<void()> fn = std::move(callbacks_.front()->fn);
    callbacks_.pop_front();
    ++stats_.callbacks_run;
    fn();
  }
}

void ScSync::attach(Cpu& cpu) { cpus_.push_back(&cpu); }

std::unique_ptr<driver::Lock> ScSync::make_mutex() {
  return std::make_unique<Mutex>(*this, std::string(name()) + ".mutex" + std::to_string(next_lock_id_++));
}

std::unique_ptr<driver::Lock> ScSync::make_spinlock() {
  return std::make_unique<SpinLock>(*this, std::string(name()) + ".spinlock" + std::to_string(next_lock_id_++));
}

std::unique_ptr<driver::RwLock> ScSync::make_rwlock() {
  return std::make_unique<RwLockImpl>(*this, std::string(name()) + ".rwlock" + std::to_string(next_lock_id_++));
}

ScSync::Caller ScSync::enter(bool timed) {
  // Outside simulation the "current process" would be the last one created: not a caller.
  sc_core::sc_process_handle h;
  if (sc_core::sc_is_running()) h = sc_core::sc_get_current_process_handle();
  const sc_core::sc_object* key = h.valid() ? h.get_process_object() : nullptr;
  std::unique_ptr<Context>& ctx = contexts_[key];
  if (!ctx) {
    ctx = std::make_unique<Context>();
    ctx->name = key ? key->name() : "sc_main";
    for (Cpu* cpu : cpus_)
      if (key && cpu->on_cpu()) ctx->cpu = cpu;
  }
  if (timed && ctx->cpu) {
    ctx->cpu->charge(ctx->cpu->params().cached_access);
    ctx->cpu->sync();
  }
  const bool can_wait = h.valid() && (h.proc_kind() == sc_core::SC_THREAD_PROC_ ||
                                      h.proc_kind() == sc_core::SC_CTHREAD_PROC_);
  return Caller{ctx.get(), can_wait};
}

sc_time ScSync::local_time(const Caller& c) const {
  return c.ctx->cpu ? c.ctx->cpu->local_time() : sc_time_stamp();
}

bool ScSync::can_block(const Caller& c, const std::string& what) {
  if (c.can_wait) return true;
  misuse(what + " by " + c.ctx->name + " would block outside a thread process");
  return false;
}

void ScSync::block(const Caller& c, const sc_event& ev) {
  sc_core::wait(ev);
  if (c.ctx->cpu) c.ctx->cpu->resume_after_wait();
}

void ScSync::block_for(const Caller& c, const sc_time& t) {
  sc_core::wait(t);
  if (c.ctx->cpu) c.ctx->cpu->resume_after_wait();
}

void ScSync::misuse(const std::string& msg) { SC_REPORT_ERROR(kMsgType, msg.c_str()); }

// --- RCU

sc_time ScSync::GracePeriod::end() const {
  sc_time t = sc_core::SC_ZERO_TIME;
  for (const Watch& w : readers) t = std::max(t, w.exit);
  return t;
}

void ScSync::start_grace_period(GracePeriod& gp) {
  for (auto& [key, ctx] : contexts_)
    if (ctx->rcu_nesting > 0) gp.readers.push_back(Watch{ctx.get(), false, sc_core::SC_ZERO_TIME});
  // The vector is final now: the readers may point into it.
  for (size_t i = 0; i < gp.readers.size(); ++i) gp.readers[i].reader->watchers.emplace_back(&gp, i);
  gp.remaining = static_cast<unsigned>(gp.readers.size());
}

void ScSync::rcu_read_lock() {
  const Caller c = enter(false);
  ++c.ctx->rcu_nesting;
}

void ScSync::rcu_read_unlock() {
  const Caller c = enter(false);
  if (c.ctx->rcu_nesting == 0) {
    misuse("rcu_read_unlock by " + c.ctx->name + " outside a read-side section");
    return;
  }
  if (--c.ctx->rcu_nesting > 0 || c.ctx->watchers.empty()) return;
  // A quiescent state: every grace period that waited for this section learns when.
  const sc_time t = local_time(c);
  for (auto& [gp, i] : c.ctx->watchers) {
    Watch& w = gp->readers[i];
    w.done = true;
    w.exit = t;
    --gp->remaining;
  }
  c.ctx->watchers.clear();
  reader_exit_.notify();
}

void ScSync::synchronize_rcu() {
  const Caller c = enter(true);
  ++stats_.synchronize_calls;
  if (c.ctx->rcu_nesting > 0) {
    misuse("synchronize_rcu by " + c.ctx->name + " inside its own read-side section (deadlock)");
    return;
  }
  if (rcu_readers() == 0) return;  // nobody to wait for
  if (!can_block(c, "synchronize_rcu")) return;
  GracePeriod gp;
  start_grace_period(gp);
  ++stats_.synchronize_waited;
  while (gp.remaining > 0) block(c, reader_exit_);
  const sc_time end = gp.end();
  if (c.ctx->cpu) {
    c.ctx->cpu->advance_to(end);
  } else if (end > sc_time_stamp()) {
    sc_core::wait(end - sc_time_stamp());
  }
}

void ScSync::call_rcu(std::function<void()> fn) {
  const Caller c = enter(false);
  if (c.ctx->cpu) c.ctx->cpu->charge(c.ctx->cpu->params().cached_access);
  auto cb = std::make_unique<Callback>();
  cb->fn = std::move(fn);
  cb->call_time = local_time(c);
  start_grace_period(cb->gp);
  callbacks_.push_back(std::move(cb));
  ++stats_.callbacks_queued;
  callback_queued_.notify();
}

unsigned ScSync::rcu_nesting() { return enter(false).ctx->rcu_nesting; }

unsigned ScSync::rcu_readers() const {
  unsigned n = 0;
  for (const auto& [key, ctx] : contexts_) n += ctx->rcu_nesting > 0;
  return n;
}

void ScSync::rcu_worker() {
  for (;;) {
    while (callbacks_.empty()) sc_core::wait(callback_queued_);
    Callback& cb = *callbacks_.front();
    while (cb.gp.remaining > 0) sc_core::wait(reader_exit_);
    const sc_time t = std::max({cb.call_time, cb.gp.end(), last_callback_time_});
    if (t > sc_time_stamp()) sc_core::wait(t - sc_time_stamp());
    std::function<void()> fn = std::move(cb.fn);
    callbacks_.pop_front();
    last_callback_time_ = t;
    ++stats_.callbacks_run;
    fn();
  }
}

}  // namespace smmu::platform
