// SPDX-License-Identifier: Apache-2.0
// The TCU's command engine: an SC_THREAD woken by CMDQ_PROD and ECMDQ_PROD writes (and
// by CMDQEN or an error acknowledgement) that fetches commands from the queues in memory
// through the walk socket, runs them in order within each queue, and advances each
// queue's CONS at the simulated time each command completes, so software polling CONS
// sees real progress. Between queues the architecture gives no order (IHI 0070
// §3.5.6.1): the engine serves those with work round robin, one fetch batch a turn.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "rtl_model/smmu/tcu.h"
#include "rtl_model/smmu/log.h"

namespace smmu::model {

namespace r = arch::reg;
using arch::Opcode;
using sc_core::sc_time;

void Tcu::command_thread() {
  for (;;) {
    sc_core::wait(cmdq_kick_);
    drain_command_queues();
  }
}

void Tcu::note_prod_write(unsigned q, sc_time delay) {
  QueueTrack& t = queues_[q];
  const unsigned log2 = queue_base(q).log2size;
  const uint32_t prod = queue_prod(q);
  if (q > 0 && !queue_enabled(q)) {
    t.live = false;  // programming a disabled ECMDQ publishes nothing
    return;
  }
  if (q > 0 && !t.live) {
    // Just enabled: whatever lies between CONS and PROD is new.
    t.live = true;
    t.published.clear();
    t.published_total = t.consumed_total;
    t.last_prod = queue_cons(q);
  }
  t.published_total += r::queue_used(prod, t.last_prod, log2);
  t.last_prod = prod;
  t.published.emplace_back(t.published_total, sc_core::sc_time_stamp() + delay);
  if (recorder_) recorder_->prod_written(q, prod, log2, sc_core::sc_time_stamp() + delay);
}

sc_time Tcu::scan_time() const {
  const unsigned sets = std::max(main_tlb_.capacity() / params_.main_tlb.ways,
                                 std::max(walk_cache_.sets(), params_.config_cache.sets));
  return params_.timing.cycles(sets * params_.timing.invalidation_cycles_per_set);
}

bool Tcu::queue_enabled(unsigned q) const {
  return q == 0 ? regs_.cr0().cmdqen : r::ecmdq_en(regs_.ecmdq_prod(q - 1));
}

bool Tcu::queue_has_work(unsigned q) const {
  if (q == 0) {
    if (!regs_.cr0().cmdqen) return false;
    if (r::gerror_active(regs_.gerror(), regs_.gerrorn()) & r::gerror::kCmdqErr.mask()) return false;
  } else {
    // An ECMDQ runs while EN == ENACK == 1 and no error waits for ERRACK (§3.5.6.2-3);
    // GERROR.CMDQP_ERR does not stop it.
    const unsigned n = q - 1;
    if (!regs_.ecmdq_enabled(n)) return false;
    if (r::ecmdq_error_pending(regs_.ecmdq_prod(n), regs_.ecmdq_cons(n))) return false;
  }
  return !r::queue_empty(queue_prod(q), queue_cons(q), queue_base(q).log2size);
}

r::QueueBase Tcu::queue_base(unsigned q) const {
  return q == 0 ? regs_.cmdq_base() : regs_.ecmdq_base(q - 1);
}

uint32_t Tcu::queue_prod(unsigned q) const {
  if (q == 0) return regs_.cmdq_prod();
  return regs_.ecmdq_prod(q - 1) & r::queue_wrap_index_mask(regs_.ecmdq_base(q - 1).log2size);
}

uint32_t Tcu::queue_cons(unsigned q) const {
  if (q == 0) return regs_.cmdq_cons();
  return regs_.ecmdq_cons(q - 1) & r::queue_wrap_index_mask(regs_.ecmdq_base(q - 1).log2size);
}

void Tcu::advance_cons(unsigned q, unsigned log2) {
  if (q == 0) {
    regs_.set_cmdq_cons(r::queue_increment(regs_.cmdq_cons(), log2));
    return;
  }
  const unsigned n = q - 1;
  const bool was_full = r::queue_full(queue_prod(q), queue_cons(q), log2);
  regs_.set_ecmdq_cons(n, r::queue_increment(regs_.ecmdq_cons(n), log2));
  // With SEV, an ECMDQ that becomes non-full wakes WFE (§3.5.6.1).
  if (was_full && params_.features.sev) sev_.notify(sc_core::SC_ZERO_TIME);
}

void Tcu::stop_command_queue(unsigned q, r::CmdqError err) {
  switch (err) {
    case r::CmdqError::kIll: ++cmd_stats_.errors_ill; break;
    case r::CmdqError::kAbt: ++cmd_stats_.errors_abt; break;
    case r::CmdqError::kAtcInvSync: ++cmd_stats_.errors_atc_inv_sync; break;
    case r::CmdqError::kNone: break;
  }
  if (log::enabled(*this, sc_core::SC_HIGH)) {
    static const char* const kReason[] = {"none", "ILL", "ABT", "ATC_INV_SYNC"};
    char text[80];
    std::snprintf(text, sizeof text, "%s stopped: error %s", q == 0 ? "CMDQ" : "ECMDQ",
                  kReason[static_cast<unsigned>(err) & 3]);
    if (q != 0) std::snprintf(text + std::strlen(text), sizeof text - std::strlen(text), " (ECMDQ %u)", q - 1);
    log::info(log::kQueue, sc_core::SC_HIGH, *this, text);
  }
  if (q == 0) {
    // CONS stays at the failing command; software reads CONS.ERR, fixes or replaces the
    // command, and acknowledges GERROR.CMDQ_ERR through GERRORN to resume.
    regs_.set_cmdq_cons(r::with_cmdq_cons_error(regs_.cmdq_cons(), err));
    raise_gerror(r::gerror::kCmdqErr.mask(), sc_core::SC_ZERO_TIME);
    return;
  }
  // An ECMDQ: RD stays at the failing command, ERR toggles and ERR_REASON says why; only
  // this queue stops, until software toggles ERRACK to match (§3.5.6.3). GERROR.CMDQP_ERR
  // reports it when not active already.
  const unsigned n = q - 1;
  uint32_t cons = regs_.ecmdq_cons(n);
  cons ^= static_cast<uint32_t>(r::ecmdq_cons::kErr.mask());
  cons = static_cast<uint32_t>(r::ecmdq_cons::kErrReason.set(cons, static_cast<uint8_t>(err)));
  regs_.set_ecmdq_cons(n, cons);
  raise_gerror(r::gerror::kCmdqpErr.mask(), sc_core::SC_ZERO_TIME);
}

void Tcu::settle_ecmdq_disable(unsigned n) {
  // Once ENACK reads 0, consumption has stopped and CONS is stable (§3.5.6.2): not while
  // the engine is between fetching from this queue and finishing a command of it.
  if (regs_.ecmdq_disabling(n) && serving_ != static_cast<int>(1 + n)) regs_.ack_ecmdq_disable(n);
}

void Tcu::drain_command_queues() {
  for (;;) {
    unsigned k = 0;
    while (k < num_queues() && !queue_has_work((rr_next_ + k) % num_queues())) ++k;
    if (k == num_queues()) return;
    const unsigned q = (rr_next_ + k) % num_queues();
    rr_next_ = (q + 1) % num_queues();
    serving_ = static_cast<int>(q);
    serve_batch(q);
    serving_ = -1;
    if (q > 0) settle_ecmdq_disable(q - 1);
  }
}

void Tcu::serve_batch(unsigned q) {
  arch::Command batch[64];
  QueueTrack& track = queues_[q];
  const auto base = queue_base(q);
  const unsigned log2 = base.log2size;
  const uint32_t prod = queue_prod(q);
  const uint32_t cons = queue_cons(q);

  // Fetch the contiguous run at CONS (up to the end of the ring or the batch size).
  const uint32_t index = r::queue_index(cons, log2);
  const uint32_t to_ring_end = (uint32_t{1} << log2) - index;
  const unsigned batch_max = std::clamp(params_.timing.command_fetch_batch, 1u, kMaxCommandFetchBatch);
  const unsigned n = std::min({r::queue_used(prod, cons, log2), to_ring_end, batch_max});
  sc_time delay = sc_core::SC_ZERO_TIME;
  ++cmd_stats_.fetches;
  // For a recorder: the batch as a whole once it ends, however it ends (no destructor:
  // a thread killed at the end of simulation must not call out).
  const sc_time batch_start = sc_core::sc_time_stamp();
  sc_time batch_fetched;
  unsigned recorded = 0;
  auto end_batch = [&] {
    if (recorder_) recorder_->command_batch(q, recorded, batch_start, batch_fetched, sc_core::sc_time_stamp());
  };
  const bool fetched = mem_.read(base.addr + uint64_t{index} * r::kCommandBytes, batch,
                                 n * r::kCommandBytes, delay);
  sc_core::wait(delay);
  batch_fetched = sc_core::sc_time_stamp();
  if (!fetched) {
    stop_command_queue(q, r::CmdqError::kAbt);
    end_batch();
    return;
  }
  for (unsigned i = 0; i < n; ++i) {
    // Software may have disabled the queue or a command may have failed meanwhile.
    if (!queue_enabled(q)) {
      end_batch();
      return;
    }
    sc_time d = params_.timing.command_cycles * params_.timing.clock_period;
    const sc_time started = sc_core::sc_time_stamp();
    const uint32_t at = recorder_ ? queue_cons(q) : 0;
    const r::CmdqError err = execute_command(batch[i], d);
    sc_core::wait(d);
    if (recorder_) {
      ++recorded;
      recorder_->command(q, at, log2, batch[i].raw_opcode(), err == r::CmdqError::kNone, started,
                         sc_core::sc_time_stamp());
    }
    if (err != r::CmdqError::kNone) {
      stop_command_queue(q, err);
      end_batch();
      return;
    }
    advance_cons(q, log2);
    ++track.consumed_total;
    while (!track.published.empty() && track.published.front().first <= track.consumed_total &&
           track.published.size() > 1)
      track.published.pop_front();
  }
  end_batch();
}

r::CmdqError Tcu::execute_command(const arch::Command& c, sc_time& delay) {
  constexpr auto kOk = r::CmdqError::kNone;
  constexpr auto kIll = r::CmdqError::kIll;
  if (log::enabled(*this, sc_core::SC_DEBUG)) {
    char text[96];
    std::snprintf(text, sizeof text, "command %s (0x%02x) %016llx %016llx",
                  arch::opcode_known(c.raw_opcode()) ? arch::to_string(c.opcode()) : "unknown", c.raw_opcode(),
                  static_cast<unsigned long long>(c.dw[0]), static_cast<unsigned long long>(c.dw[1]));
    log::info(log::kCommand, sc_core::SC_DEBUG, *this, text);
  }
  if (!arch::opcode_known(c.raw_opcode()) || !arch::command_reserved_bits_clear(c)) return kIll;
  ++cmd_stats_.executed;
  ++cmd_stats_.by_opcode[c.raw_opcode()];
  if (serving_ >= 0) ++cmd_stats_.by_queue[serving_];
  switch (c.opcode()) {
    case Opcode::kCfgiSte:
    case Opcode::kCfgiSteRange:
    case Opcode::kCfgiCd:
    case Opcode::kCfgiCdAll: {
      ConfigInvalidation inv;
      decode_cfgi(c, params_.features.sid_bits, inv);
      invalidate_config(inv, delay);
      return kOk;
    }
    case Opcode::kTlbiNhAll:
    case Opcode::kTlbiNhAsid:
    case Opcode::kTlbiNhVa:
    case Opcode::kTlbiNhVaa:
    case Opcode::kTlbiEl2All:
    case Opcode::kTlbiEl2Asid:
    case Opcode::kTlbiEl2Va:
    case Opcode::kTlbiEl2Vaa:
    case Opcode::kTlbiS12Vmall:
    case Opcode::kTlbiS2Ipa:
    case Opcode::kTlbiNsnhAll: {
      TlbInvalidation inv;
      if (!decode_tlbi(c, params_.features.range_invalidation, inv, nullptr)) return kIll;
      invalidate_tlbs(inv, delay);
      return kOk;
    }
    case Opcode::kPrefetchConfig:
    case Opcode::kPrefetchAddr:
      prefetch(c, delay);
      return kOk;
    case Opcode::kSync:
      // CS = 0b11 is reserved: CERROR_ILL (IHI 0070 §4.7.3).
      if (c.cs() == 3) return kIll;
      return complete_sync(c, delay) ? kOk : r::CmdqError::kAtcInvSync;
    case Opcode::kAtcInv:
      if (!params_.features.ats) return kIll;
      send_atc_invalidation(c, delay);
      return kOk;
    case Opcode::kPriResp:
      // SMMU_IDR0.PRI = 0: CERROR_ILL (IHI 0070 §4.5.2).
      return kIll;
    case Opcode::kResume:
    case Opcode::kStallTerm:
      // SMMU_IDR0.STALL_MODEL = 0b01, the stall model is not supported: CERROR_ILL
      // (IHI 0070 §4.7.1, §4.7.2).
      return kIll;
  }
  return kIll;
}

void Tcu::invalidate_tlbs(const TlbInvalidation& inv, sc_time& delay) {
  // A whole-cache scan, or a probe per page when the command names few pages.
  sc_time cost = scan_time();
  if (inv.has_range)
    cost = std::min(cost, params_.timing.cycles(static_cast<unsigned>(std::min<uint64_t>(
                              inv.pages * params_.timing.invalidation_cycles_per_page, 1u << 30))));
  delay += cost;
  unsigned n = main_tlb_.invalidate_if([&](const TlbEntry& e) { return inv.selects(e); });
  cmd_stats_.walk_entries_invalidated +=
      walk_cache_.invalidate_if([&](const WalkCacheEntry& e) { return inv.selects(e); });
  // The TBUs' TLBs (and their upstream DMI) go on the DTI, at the command's issue time.
  DtiMessage msg;
  msg.kind = DtiMessage::Kind::kTlbInvalidate;
  msg.tlbi = &inv;
  n += broadcast_invalidation(msg, delay - cost);
  cmd_stats_.tlb_entries_invalidated += n;
}

void Tcu::invalidate_config(const ConfigInvalidation& inv, sc_time& delay) {
  delay += inv.sid_first == inv.sid_last
               ? params_.timing.cycles(params_.timing.invalidation_cycles_per_page)
               : scan_time();
  unsigned n = config_cache_.invalidate_if([&](const ConfigCacheEntry& e) { return inv.selects(e); });
  cmd_stats_.config_entries_invalidated += n;
  DtiMessage msg;
  msg.kind = DtiMessage::Kind::kConfigInvalidate;
  msg.cfgi = &inv;
  cmd_stats_.tlb_entries_invalidated += broadcast_invalidation(msg, delay);
}

void Tcu::prefetch(const arch::Command& c, sc_time& delay) {
  // Prefetches warm the caches and never report: a failed lookup is simply dropped.
  StreamConfig cfg;
  ConfigFault fault;
  if (!config_.resolve(stream_table(), c.sid(), c.ssid(), c.ssv(), cfg, fault, delay)) return;
  if (c.opcode() != Opcode::kPrefetchAddr || cfg.kind != StreamConfig::Kind::kTranslate ||
      (!cfg.s1 && !cfg.s2))
    return;
  TlbKey key{cfg.vmid, cfg.asid, cfg.s1, cfg.s2, c.addr()};
  delay += main_tlb_time_;
  if (main_tlb_.lookup(key)) return;
  WalkRequest req;
  req.iova = c.addr();
  req.s1 = cfg.s1 ? &cfg.s1_regime : nullptr;
  req.s2 = cfg.s2 ? &cfg.s2_config : nullptr;
  req.vmid = cfg.vmid;
  const WalkResult w = walker_.walk(req, delay);
  if (w.ok()) main_tlb_.insert(entry_from_walk(cfg, c.addr(), w));
}

bool Tcu::complete_sync(const arch::Command& c, sc_time& delay) {
  // Every earlier command has completed by now (the engine runs them in order and waits
  // for each one's time) except ATC invalidations, which are in flight on the link:
  // wait for their answers, or until they time out.
  const sc_time now = sc_core::sc_time_stamp() + delay;
  // DTI sync: every TBU sent invalidations must acknowledge that they are done.
  sc_time until = sc_core::sc_time_stamp() + sync_tbus(delay);
  bool timed_out = false;
  for (const PendingAtcInv& p : pending_atc_inv_) {
    if (p.queue != serving_) continue;
    const sc_time deadline = p.issued + params_.timing.atc_inv_timeout;
    if (p.answered && p.done <= deadline) {
      until = std::max(until, p.done);
    } else {
      until = std::max(until, deadline);
      timed_out = true;
      ++cmd_stats_.atc_inv_timeouts;
    }
  }
  pending_atc_inv_.erase(std::remove_if(pending_atc_inv_.begin(), pending_atc_inv_.end(),
                                        [this](const PendingAtcInv& p) { return p.queue == serving_; }),
                         pending_atc_inv_.end());
  delay += until - now;
  if (timed_out) return false;  // CONS stays at this SYNC: ATC_INV_SYNC
  switch (static_cast<arch::SyncCs>(c.cs())) {
    case arch::SyncCs::kIrq:
      if (params_.features.msi && c.msiaddr() != 0) {
        // Issue the MSI at the time the SYNC completes, so a CPU polling the MSI word
        // sees it no earlier; CONS passes the SYNC when the write has finished.
        sc_core::wait(delay);
        delay = sc_core::SC_ZERO_TIME;
        const uint32_t data = c.msidata();
        if (!mem_.write(c.msiaddr(), &data, 4, delay))
          raise_gerror(r::gerror::kMsiCmdqAbt.mask(), delay);
      } else {
        cmd_sync_irq_set_.notify(delay);
      }
      break;
    case arch::SyncCs::kSev:
      sev_.notify(delay);
      break;
    default:
      break;
  }
  // Latency from the PROD write that published this CMD_SYNC to its completion.
  ++cmd_stats_.syncs;
  if (log::enabled(*this, sc_core::SC_DEBUG))
    log::info(log::kCommand, sc_core::SC_DEBUG, *this, "CMD_SYNC complete at +" + delay.to_string());
  const sc_time done = sc_core::sc_time_stamp() + delay;
  const QueueTrack& track = queues_[serving_ >= 0 ? serving_ : 0];
  for (const auto& [count, when] : track.published) {
    if (count > track.consumed_total) {
      const sc_time lat = done > when ? done - when : sc_core::SC_ZERO_TIME;
      cmd_stats_.sync_latency_total += lat;
      cmd_stats_.sync_latency_max = std::max(cmd_stats_.sync_latency_max, lat);
      break;
    }
  }
  return true;
}

}  // namespace smmu::model
