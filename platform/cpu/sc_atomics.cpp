// SPDX-License-Identifier: Apache-2.0
// ScSync's atomic words: values plus a coherence state per 64-byte line, so that CPUs
// contending for one word pay for moving its line (see sc_sync.h, "Atomic words").
#include <algorithm>

#include "platform/cpu/cpu.h"
#include "platform/cpu/sc_sync.h"

namespace smmu::platform {

using sc_core::sc_time;
using sc_core::sc_time_stamp;

class ScSync::AtomicLines : public driver::AtomicWords {
 public:
  AtomicLines(ScSync& s, size_t n) : s_(s), w_(n, 0), lines_((n + kWordsPerLine - 1) / kWordsPerLine) {}

  size_t size() const override { return w_.size(); }

  uint64_t load(size_t i) override {
    access(i, false);
    return w_[i];
  }
  void store(size_t i, uint64_t v) override { write(i, v); }
  void store_bits(size_t i, uint64_t mask, uint64_t v) override {
    access(i, true);
    set(i, (w_[i] & ~mask) | (v & mask));
  }
  bool compare_exchange(size_t i, uint64_t& expected, uint64_t desired) override {
    // A CAS takes the line for writing whether or not it succeeds (LDAXR/STLXR or CASAL).
    access(i, true);
    if (w_[i] != expected) {
      expected = w_[i];
      return false;
    }
    set(i, desired);
    return true;
  }
  uint64_t fetch_add(size_t i, uint64_t v) override { return rmw(i, [v](uint64_t x) { return x + v; }); }
  uint64_t fetch_and(size_t i, uint64_t m) override { return rmw(i, [m](uint64_t x) { return x & m; }); }
  uint64_t fetch_or(size_t i, uint64_t m) override { return rmw(i, [m](uint64_t x) { return x | m; }); }
  uint64_t fetch_xor(size_t i, uint64_t m) override { return rmw(i, [m](uint64_t x) { return x ^ m; }); }

  uint64_t wait_change(size_t i, uint64_t old, uint64_t timeout_ns) override {
    const uint64_t v = load(i);
    if (v != old) return v;
    const Caller c = s_.enter(false);
    if (!c.can_wait) return v;
    Line& line = lines_.at(i / kWordsPerLine);
    const bool forever = timeout_ns >= Cpu::kForeverNs;
    const sc_time deadline = s_.local_time(c) + sc_time(static_cast<double>(timeout_ns), sc_core::SC_NS);
    for (;;) {
      const sc_time now = sc_time_stamp();
      if (!forever && now >= deadline) return w_[i];
      if (forever)
        sc_core::wait(line.written);
      else
        sc_core::wait(deadline - now, line.written);
      if (c.ctx->cpu) c.ctx->cpu->resume_after_wait();
      const uint64_t now_v = load(i);
      if (now_v != old) return now_v;
    }
  }

 private:
  struct Line {
    Context* modified = nullptr;    // the one context holding it modified, or none
    std::vector<Context*> sharers;  // holding it shared (when none holds it modified)
    sc_time busy_until;             // the transfer in progress ends then
    sc_core::sc_event written;
  };

  template <typename Op>
  uint64_t rmw(size_t i, Op op) {
    access(i, true);
    const uint64_t old = w_[i];
    set(i, op(old));
    return old;
  }
  void write(size_t i, uint64_t v) {
    access(i, true);
    set(i, v);
  }
  void set(size_t i, uint64_t v) {
    w_[i] = v;
    lines_[i / kWordsPerLine].written.notify();
  }

  // Brings word i's line to the caller (for writing or reading) at the right time.
  void access(size_t i, bool for_write) {
    Line& line = lines_.at(i / kWordsPerLine);
    const Caller c = s_.enter(true);
    ++s_.stats_.atomic_ops;
    if (!c.ctx->cpu || !c.can_wait) return;  // untimed: no coherence state either
    const bool held_shared = std::find(line.sharers.begin(), line.sharers.end(), c.ctx) != line.sharers.end();
    const bool hit = line.modified == c.ctx || (!for_write && held_shared) ||
                     (for_write && held_shared && line.sharers.size() == 1);
    if (!hit) {
      // enter() synced the CPU. Requests for a line are served in the order they come,
      // one transfer at a time: each takes the next free slot (no requester starves
      // however many others keep asking).
      const sc_time now = sc_time_stamp();
      const sc_time start = std::max(now, line.busy_until);
      line.busy_until = start + s_.params_.line_transfer;
      if (start > now) {
        s_.stats_.line_wait += start - now;
        s_.block_for(c, start - now);
      }
      ++s_.stats_.line_transfers;
      c.ctx->cpu->charge(s_.params_.line_transfer);
    }
    if (for_write) {
      line.modified = c.ctx;
      line.sharers.clear();
    } else if (line.modified != c.ctx) {
      if (line.modified) line.sharers.push_back(line.modified);
      line.modified = nullptr;
      if (!held_shared) line.sharers.push_back(c.ctx);
    }
  }

  ScSync& s_;
  std::vector<uint64_t> w_;
  std::vector<Line> lines_;
};

std::unique_ptr<driver::AtomicWords> ScSync::make_atomic_words(size_t n) {
  return std::make_unique<AtomicLines>(*this, n);
}

}  // namespace smmu::platform
