// SPDX-License-Identifier: Apache-2.0
#include "driver/command_queue.h"

#include <algorithm>
#include <stdexcept>

namespace smmu::driver {

namespace r = arch::reg;

const char* to_string(SmmuStatus s) {
  switch (s) {
    case SmmuStatus::kOk: return "ok";
    case SmmuStatus::kNoTranslation: return "no translation stage";
    case SmmuStatus::kBadTtf: return "no AArch64 translation tables";
    case SmmuStatus::kBadEndian: return "no little-endian translation tables";
    case SmmuStatus::kNoGranule: return "no translation granule";
    case SmmuStatus::kPresetUnsupported: return "preset tables or queues";
    case SmmuStatus::kNotProbed: return "not probed";
    case SmmuStatus::kNoMemory: return "out of DMA memory";
    case SmmuStatus::kAckTimeout: return "register acknowledge timeout";
    case SmmuStatus::kSyncTimeout: return "CMD_SYNC timeout";
    case SmmuStatus::kQueueTimeout: return "command queue full timeout";
    case SmmuStatus::kBadStreamId: return "stream ID out of range";
    case SmmuStatus::kIncompatible: return "domain incompatible with this SMMU";
    case SmmuStatus::kTagExhausted: return "no free ASID or VMID";
    case SmmuStatus::kInvalidArgument: return "invalid argument";
    case SmmuStatus::kBusy: return "in use";
    case SmmuStatus::kAtcInvTimeout: return "ATC invalidation timeout";
  }
  return "unknown";
}

const char* to_string(SyncCompletion c) {
  switch (c) {
    case SyncCompletion::kMsi: return "msi";
    case SyncCompletion::kConsPoll: return "cons_poll";
    case SyncCompletion::kIrq: return "irq";
  }
  return "unknown";
}

void accumulate(CommandQueueStats& into, const CommandQueueStats& s) {
  into.commands += s.commands;
  into.syncs += s.syncs;
  into.publishes += s.publishes;
  into.full_waits += s.full_waits;
  into.sync_polls += s.sync_polls;
  into.sync_timeouts += s.sync_timeouts;
  into.queue_timeouts += s.queue_timeouts;
  into.errors_seen += s.errors_seen;
  into.ill_skipped += s.ill_skipped;
  into.reservations += s.reservations;
  into.cas_attempts += s.cas_attempts;
  into.cas_failures += s.cas_failures;
  into.owner_gathers += s.owner_gathers;
  into.gathered += s.gathered;
  into.cons_refreshes += s.cons_refreshes;
}

CommandQueue::CommandQueue(Os& os, const CommandQueueConfig& cfg, std::function<void()> on_error)
    : os_(os), cfg_(cfg), on_error_(std::move(on_error)), lock_(os.make_spinlock()),
      failed_lock_(os.make_spinlock()) {
  if (cfg_.log2size > r::kMaxQueueLog2Size)
    throw std::invalid_argument("command queue log2size " + std::to_string(cfg_.log2size) + " > 19");
  if (cfg_.poll_ns == 0) throw std::invalid_argument("command queue poll_ns 0");
  if (cfg_.cons_check_every == 0) cfg_.cons_check_every = 1;
  if (cfg_.design != CmdqDesign::kLocked) words_ = os.make_atomic_words(lockfree_words(entries()));
  if (cfg_.ecmdq) prod_lock_ = os.make_spinlock();
}

uint64_t CommandQueue::slot_pa(uint32_t ptr) const {
  return cfg_.queue_pa + uint64_t{r::queue_index(ptr, cfg_.log2size)} * r::kCommandBytes;
}

uint64_t CommandQueue::consumed_from(uint32_t cons) const {
  // CONS is at most one queue size behind what was produced, so the difference of the
  // index+wrap values (modulo twice the size) is the exact number still pending.
  const uint64_t p = prod64_.load();
  const uint32_t used = (static_cast<uint32_t>(p) - cons) & r::queue_wrap_index_mask(cfg_.log2size);
  return p - used;
}

uint32_t CommandQueue::read_cons() { return os_.mmio_read32(cons_address()); }

void CommandQueue::write_prod(uint64_t p) {
  if (!cfg_.ecmdq) {
    os_.mmio_write32(prod_address(), static_cast<uint32_t>(p) & r::queue_wrap_index_mask(cfg_.log2size));
    return;
  }
  // Publishers (and acknowledges) may race: PROD never goes back and always carries the
  // current ERRACK.
  LockGuard g(*prod_lock_);
  hw_prod_ = std::max(hw_prod_, p);
  os_.mmio_write32(prod_address(), ecmdq_prod_value(true));
}

uint32_t CommandQueue::ecmdq_prod_value(bool en) const {
  uint32_t v = static_cast<uint32_t>(hw_prod_) & r::queue_wrap_index_mask(cfg_.log2size);
  if (en) v |= static_cast<uint32_t>(r::ecmdq_prod::kEn.mask());
  if (errack_) v |= static_cast<uint32_t>(r::ecmdq_prod::kErrAck.mask());
  return v;
}

void CommandQueue::enable_ecmdq() {
  if (!cfg_.ecmdq) return;
  LockGuard g(*prod_lock_);
  os_.mmio_write32(prod_address(), ecmdq_prod_value(true));
}

void CommandQueue::disable_ecmdq() {
  if (!cfg_.ecmdq) return;
  LockGuard g(*prod_lock_);
  os_.mmio_write32(prod_address(), ecmdq_prod_value(false));
}

bool CommandQueue::error_pending(uint32_t cons) const {
  if (cfg_.ecmdq) return r::ecmdq_err(cons) != errack_;
  return r::cmdq_cons_error(cons) != r::CmdqError::kNone;
}

r::CmdqError CommandQueue::error_reason(uint32_t cons) const {
  return cfg_.ecmdq ? r::ecmdq_err_reason(cons) : r::cmdq_cons_error(cons);
}

void CommandQueue::acknowledge_error(uint32_t cons) {
  if (!cfg_.ecmdq) return;
  LockGuard g(*prod_lock_);
  errack_ = r::ecmdq_err(cons);
  os_.mmio_write32(prod_address(), ecmdq_prod_value(true));
}

void CommandQueue::check_error(uint32_t cons) {
  if (!error_pending(cons)) return;
  ++stats_.errors_seen;
  if (on_error_) on_error_();
}

arch::Command CommandQueue::make_sync(uint64_t slot) const {
  arch::Command c(arch::Opcode::kSync);
  switch (cfg_.completion) {
    case SyncCompletion::kMsi:
      // Inner shareable, write-back: the CPU polls the slot through its cache.
      c.set_cs(arch::SyncCs::kIrq).set_msh(3).set_msiattr(0xf).set_msidata(0).set_msiaddr(slot);
      break;
    case SyncCompletion::kConsPoll:
      c.set_cs(arch::SyncCs::kSev);
      break;
    case SyncCompletion::kIrq:
      c.set_cs(arch::SyncCs::kIrq);
      break;
  }
  return c;
}

SmmuStatus CommandQueue::wait_for_room(uint32_t n) {
  const uint64_t start = os_.now_ns();
  for (;;) {
    const uint32_t cons = read_cons();
    check_error(cons);
    const uint64_t pending = prod64_.load() - consumed_from(cons);
    if (entries() - pending >= n) return SmmuStatus::kOk;
    if (os_.now_ns() - start >= cfg_.sync_timeout_ns) {
      ++stats_.queue_timeouts;
      return SmmuStatus::kQueueTimeout;
    }
    ++stats_.full_waits;
    os_.delay_ns(cfg_.poll_ns);
  }
}

SmmuStatus CommandQueue::issue(const arch::Command* cmds, size_t n, bool sync, SyncTicket* ticket) {
  if (ticket) *ticket = SyncTicket{};
  const size_t total = n + (sync ? 1 : 0);
  if (total == 0) return SmmuStatus::kOk;
  if (cfg_.design != CmdqDesign::kLocked) return issue_lockfree(cmds, n, sync, ticket);
  LockGuard guard(*lock_);
  size_t done = 0;
  while (done < total) {
    const uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(total - done, entries()));
    const SmmuStatus st = wait_for_room(chunk);
    if (st != SmmuStatus::kOk) return st;
    uint64_t p = prod64_.load();
    for (uint32_t i = 0; i < chunk; ++i, ++done, ++p) {
      const uint64_t slot = slot_pa(static_cast<uint32_t>(p));
      arch::Command c;
      if (done < n) {
        c = cmds[done];
        ++stats_.commands;
      } else {
        c = make_sync(slot);
        ++stats_.syncs;
        if (ticket) *ticket = SyncTicket{p, slot, true};
      }
      os_.write64(slot, c.dw[0]);
      os_.write64(slot + 8, c.dw[1]);
    }
    // The commands reach memory before the SMMU may fetch them; the count moves before
    // the PROD write so that a waiter never sees CONS ahead of it.
    os_.dma_wmb();
    prod64_.store(p);
    ++stats_.publishes;
    write_prod(p);
  }
  return SmmuStatus::kOk;
}

SmmuStatus CommandQueue::wait(const SyncTicket& t) {
  if (!t.valid) return SmmuStatus::kOk;
  const SmmuStatus st = wait_sync(t);
  // The SYNC's own slot and everything before it are consumed (or the wait gave up: then
  // only what CONS says).
  if (t.shared_lock)
    shared_unlock_with_cons(st == SmmuStatus::kSyncTimeout ? consumed_from(read_cons()) : t.seq + 1);
  return st;
}

SmmuStatus CommandQueue::wait_sync(const SyncTicket& t) {
  const uint64_t start = os_.now_ns();
  unsigned polls = 0;
  for (;;) {
    bool done = false;
    if (cfg_.completion == SyncCompletion::kMsi) {
      // The MSI zeroes the slot's first word. Should the slot already have been reused
      // (CONS passed it and another CPU wrote there), CONS tells.
      done = os_.read32(t.slot_pa) == 0;
      if (!done && ++polls % cfg_.cons_check_every == 0) {
        const uint32_t cons = read_cons();
        check_error(cons);
        done = passed(t, cons);
      }
    } else {
      const uint32_t cons = read_cons();
      check_error(cons);
      done = passed(t, cons);
    }
    if (done) return take_atc_inv_failure(t.seq) ? SmmuStatus::kAtcInvTimeout : SmmuStatus::kOk;
    const uint64_t waited = os_.now_ns() - start;
    if (waited >= cfg_.sync_timeout_ns) {
      ++stats_.sync_timeouts;
      return SmmuStatus::kSyncTimeout;
    }
    ++stats_.sync_polls;
    const uint64_t step = std::min(cfg_.poll_ns, cfg_.sync_timeout_ns - waited);
    if (cfg_.completion == SyncCompletion::kIrq)
      os_.wait_for_irq(cfg_.cmd_sync_irq, step);
    else if (cfg_.completion == SyncCompletion::kConsPoll && cfg_.use_wfe)
      os_.wait_for_event(step);
    else
      os_.delay_ns(step);
  }
}

SmmuStatus CommandQueue::issue_and_wait(const arch::Command* cmds, size_t n, bool sync) {
  SyncTicket t;
  const SmmuStatus st = issue(cmds, n, sync, &t);
  if (st != SmmuStatus::kOk) return st;
  return wait(t);
}

void CommandQueue::replace_with_sync(uint32_t cons) {
  arch::Command c(arch::Opcode::kSync);
  c.set_cs(arch::SyncCs::kSev);
  const uint64_t slot = slot_pa(cons);
  os_.write64(slot, c.dw[0]);
  os_.write64(slot + 8, c.dw[1]);
  os_.dma_wmb();
  ++stats_.ill_skipped;
}

void CommandQueue::note_atc_inv_sync_error(uint32_t cons) {
  constexpr size_t kMaxRemembered = 64;
  const uint64_t seq = consumed_from(cons);
  LockGuard g(*failed_lock_);
  // The SMMU may fail the repeated SYNC again: remember it once.
  if (std::find(failed_syncs_.begin(), failed_syncs_.end(), seq) != failed_syncs_.end()) return;
  if (failed_syncs_.size() == kMaxRemembered) failed_syncs_.erase(failed_syncs_.begin());
  failed_syncs_.push_back(seq);
  num_failed_.store(failed_syncs_.size(), std::memory_order_release);
}

bool CommandQueue::take_atc_inv_failure(uint64_t seq) {
  // The failure is noted (GERROR handling) before CONS moves past the SYNC, so a waiter
  // that saw its SYNC complete also sees the count.
  if (num_failed_.load(std::memory_order_acquire) == 0) return false;
  LockGuard g(*failed_lock_);
  const auto it = std::find(failed_syncs_.begin(), failed_syncs_.end(), seq);
  if (it == failed_syncs_.end()) return false;
  failed_syncs_.erase(it);
  num_failed_.store(failed_syncs_.size(), std::memory_order_release);
  return true;
}

SmmuStatus CommandQueue::Batch::add(const arch::Command& c) {
  SmmuStatus st = SmmuStatus::kOk;
  if (num_ == cmds_.size()) {
    st = q_.issue(cmds_.data(), num_, false);
    num_ = 0;
  }
  cmds_[num_++] = c;
  return st;
}

SmmuStatus CommandQueue::Batch::submit(bool sync) {
  const size_t n = num_;
  num_ = 0;
  return q_.issue_and_wait(cmds_.data(), n, sync);
}

}  // namespace smmu::driver
