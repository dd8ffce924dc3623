// SPDX-License-Identifier: Apache-2.0
#include "driver/smmu_device.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"

namespace smmu::driver {

namespace r = arch::reg;

namespace {

constexpr uint32_t kCr0All = 0x1f;
// Inner shareable, inner and outer write-back: coherent tables and queues.
constexpr uint8_t kShIsh = 3;
constexpr uint8_t kCacheWb = 1;

}  // namespace

SmmuDevice::SmmuDevice(Os& os, uint64_t mmio_base, const SmmuDeviceOptions& opts, uint32_t index)
    : os_(os),
      base_(mmio_base),
      opts_(opts),
      strtab_lock_(os.make_mutex()),
      event_lock_(os.make_spinlock()),
      gerror_lock_(os.make_spinlock()) {
  if (opts_.strtab_split == 0 || opts_.strtab_split > 16)
    throw std::invalid_argument("strtab_split " + std::to_string(opts_.strtab_split) + " not in 1..16");
  if (opts_.max_sid_bits > 24)
    throw std::invalid_argument("max_sid_bits " + std::to_string(opts_.max_sid_bits) + " > 24");
  if (opts_.poll_ns == 0) throw std::invalid_argument("poll_ns 0");
  handle_.index = index;
  handle_.device = this;
}

// The queues and tables stay allocated: the SMMU may read them until it is reset, and
// they are the simulated DRAM's, which goes with the platform.
SmmuDevice::~SmmuDevice() = default;

SmmuStatus SmmuDevice::probe() {
  probed_ = false;
  SmmuFeatures f;
  for (unsigned i = 0; i < 6; ++i) f.idr[i] = rd(r::kIdr0 + 4 * i);
  const r::Idr0 i0 = r::Idr0::decode(f.idr[0]);
  const r::Idr1 i1 = r::Idr1::decode(f.idr[1]);
  const r::Idr3 i3 = r::Idr3::decode(f.idr[3]);
  const r::Idr5 i5 = r::Idr5::decode(f.idr[5]);
  f.s1 = i0.s1p;
  f.s2 = i0.s2p;
  f.nesting = f.s1 && f.s2;
  f.gran4k = i5.gran4k;
  f.gran16k = i5.gran16k;
  f.gran64k = i5.gran64k;
  f.oas_bits = arch::address_size_bits(i5.oas);
  if (f.oas_bits == 0) f.oas_bits = 48;  // reserved encoding: assume the common size
  f.asid_bits = i0.asid16 ? 16 : 8;
  f.vmid_bits = i0.vmid16 ? 16 : 8;
  f.sid_bits = i1.sidsize;
  f.ssid_bits = i1.ssidsize;
  f.ril = i3.ril;
  f.ats = i0.ats;
  f.pri = i0.pri;
  f.msi = i0.msi;
  f.sev = i0.sev;
  f.hyp = i0.hyp;
  f.cd2l = i0.cd2l;
  f.two_level_strtab = i0.st_level == r::idr0::kStLevel2Lvl;
  f.coherent = i0.cohacc;
  f.httu = i0.httu;
  f.cmdq_max_log2 = i1.cmdqs;
  f.evtq_max_log2 = i1.evtqs;
  f.ecmdq = i1.ecmdq;
  if (f.ecmdq) {
    // IDR6 is RES0 without IDR1.ECMDQ (§6.3.45): read only with it.
    f.idr6 = rd(r::kIdr6);
    f.ecmdq_log2numq = std::min<unsigned>(r::Idr6::decode(f.idr6).log2numq, r::kMaxLog2NumQ);
  }
  features_ = f;

  if (!f.s1 && !f.s2) return SmmuStatus::kNoTranslation;
  if (!(i0.ttf & r::idr0::kTtfAArch64)) return SmmuStatus::kBadTtf;
  if (i0.ttendian != 0 && i0.ttendian != r::idr0::kTtEndianLe) return SmmuStatus::kBadEndian;
  if (!f.gran4k && !f.gran16k && !f.gran64k) return SmmuStatus::kNoGranule;
  if (i1.tables_preset || i1.queues_preset) return SmmuStatus::kPresetUnsupported;

  const unsigned qmax = r::kMaxQueueLog2Size;
  cmdq_log2_ = std::min({opts_.cmdq_log2, f.cmdq_max_log2, qmax});
  evtq_log2_ = std::min({opts_.evtq_log2, f.evtq_max_log2, qmax});
  strtab_log2_ = std::min(f.sid_bits, opts_.max_sid_bits);
  completion_ = opts_.completion;
  if (completion_ == SyncCompletion::kMsi && !(f.msi && f.coherent))
    completion_ = SyncCompletion::kConsPoll;
  handle_.range_inv = f.ril;
  handle_.e2h = opts_.e2h && f.hyp;
  if (!tags_) tags_ = std::make_unique<IotlbTags>(f.asid_bits, f.vmid_bits);
  probed_ = true;
  return SmmuStatus::kOk;
}

bool SmmuDevice::poll_reg(uint64_t off, uint32_t mask, uint32_t want) {
  const uint64_t start = os_.now_ns();
  for (;;) {
    if ((rd(off) & mask) == want) return true;
    if (os_.now_ns() - start >= opts_.ack_timeout_ns) return false;
    os_.delay_ns(opts_.poll_ns);
  }
}

SmmuStatus SmmuDevice::write_cr0(uint32_t v) {
  wr(r::kCr0, v);
  return poll_reg(r::kCr0Ack, kCr0All, v) ? SmmuStatus::kOk : SmmuStatus::kAckTimeout;
}

SmmuStatus SmmuDevice::write_irq_ctrl(uint32_t v) {
  wr(r::kIrqCtrl, v);
  return poll_reg(r::kIrqCtrlAck, 0x7, v) ? SmmuStatus::kOk : SmmuStatus::kAckTimeout;
}

SmmuStatus SmmuDevice::set_gbpa_abort(bool abort) {
  const uint32_t upd = static_cast<uint32_t>(r::gbpa::kUpdate.mask());
  if (!poll_reg(r::kGbpa, upd, 0)) return SmmuStatus::kAckTimeout;
  uint32_t v = rd(r::kGbpa);
  v = static_cast<uint32_t>(r::gbpa::kAbort.set(v, abort));
  wr(r::kGbpa, v | upd);
  return poll_reg(r::kGbpa, upd, 0) ? SmmuStatus::kOk : SmmuStatus::kAckTimeout;
}

void SmmuDevice::init_stes(uint64_t pa, uint32_t count) {
  // Valid STEs that abort (or bypass), so a stray stream gets a clean answer rather
  // than C_BAD_STE. Memory is zeroed: only the non-zero qwords are written.
  arch::Ste s;
  s.valid = true;
  s.config = static_cast<uint8_t>(opts_.bypass ? arch::SteConfig::kBypass : arch::SteConfig::kAbort);
  if (opts_.bypass) s.shcfg = 1;  // incoming shareability
  const arch::SteWords w = s.encode();
  for (uint32_t i = 0; i < count; ++i)
    for (unsigned q = 0; q < 8; ++q)
      if (w[q]) os_.write64(pa + 64ull * i + 8 * q, w[q]);
}

SmmuStatus SmmuDevice::alloc_memory() {
  if (!cmdq_pa_) {
    const size_t bytes = size_t{r::kCommandBytes} << cmdq_log2_;
    cmdq_pa_ = os_.dma_alloc(bytes, std::max<size_t>(32, bytes));
    if (!cmdq_pa_) return SmmuStatus::kNoMemory;
  }
  if (!evtq_pa_) {
    const size_t bytes = size_t{r::kEventBytes} << evtq_log2_;
    evtq_pa_ = os_.dma_alloc(bytes, std::max<size_t>(32, bytes));
    if (!evtq_pa_) return SmmuStatus::kNoMemory;
  }
  if (!strtab_pa_) {
    if (two_level()) {
      const size_t l1 = size_t{1} << (strtab_log2_ - opts_.strtab_split);
      strtab_bytes_ = 8 * l1;
      strtab_pa_ = os_.dma_alloc(strtab_bytes_, std::max<size_t>(64, strtab_bytes_));
      if (!strtab_pa_) return SmmuStatus::kNoMemory;
      l2_pa_.assign(l1, 0);
    } else {
      strtab_bytes_ = size_t{64} << strtab_log2_;
      strtab_pa_ = os_.dma_alloc(strtab_bytes_, strtab_bytes_);
      if (!strtab_pa_) return SmmuStatus::kNoMemory;
      init_stes(strtab_pa_, uint32_t{1} << strtab_log2_);
    }
  }
  return SmmuStatus::kOk;
}

SmmuStatus SmmuDevice::reset() {
  if (!probed_) return SmmuStatus::kNotProbed;
  SmmuStatus st = alloc_memory();
  if (st != SmmuStatus::kOk) return st;

  // Disable first: the tables and queues may only be programmed while disabled.
  enabled_ = false;
  if (rd(r::kCr0) != 0 && (st = write_cr0(0)) != SmmuStatus::kOk) return st;

  r::Cr1 cr1;
  cr1.table_sh = cr1.queue_sh = kShIsh;
  cr1.table_oc = cr1.table_ic = cr1.queue_oc = cr1.queue_ic = kCacheWb;
  wr(r::kCr1, cr1.encode());
  r::Cr2 cr2;
  cr2.ptm = true;        // broadcast TLB maintenance is not ours
  cr2.recinvsid = true;  // record C_BAD_STREAMID
  cr2.e2h = handle_.e2h;
  wr(r::kCr2, cr2.encode());

  r::StrtabBase sb;
  sb.ra = true;
  sb.addr = strtab_pa_;
  os_.mmio_write64(base_ + r::kStrtabBase, sb.encode());
  r::StrtabBaseCfg sbc;
  sbc.fmt = two_level() ? r::strtab_base_cfg::kFmt2Lvl : r::strtab_base_cfg::kFmtLinear;
  sbc.split = two_level() ? static_cast<uint8_t>(opts_.strtab_split) : 0;
  sbc.log2size = static_cast<uint8_t>(strtab_log2_);
  wr(r::kStrtabBaseCfg, sbc.encode());

  r::QueueBase qb;
  qb.ra = true;
  qb.addr = cmdq_pa_;
  qb.log2size = static_cast<uint8_t>(cmdq_log2_);
  os_.mmio_write64(base_ + r::kCmdqBase, qb.encode());
  wr(r::kCmdqProd, 0);
  wr(r::kCmdqCons, 0);
  cmdq_ = std::make_unique<CommandQueue>(os_, queue_config(cmdq_pa_), [this] { handle_gerror(); });

  uint32_t cr0 = static_cast<uint32_t>(r::cr0::kCmdqEn.mask());
  if ((st = write_cr0(cr0)) != SmmuStatus::kOk) return st;

  // Nothing cached from before the reset may survive it.
  std::vector<arch::Command> inv;
  inv.push_back(arch::Command(arch::Opcode::kCfgiSteRange).set_range(arch::kCfgiAllRange));
  if (features_.hyp) inv.push_back(arch::Command(arch::Opcode::kTlbiEl2All));
  inv.push_back(arch::Command(arch::Opcode::kTlbiNsnhAll));
  if ((st = cmdq_->issue_and_wait(inv)) != SmmuStatus::kOk) return st;
  if ((st = reset_ecmdqs()) != SmmuStatus::kOk) return st;

  qb.addr = evtq_pa_;
  qb.log2size = static_cast<uint8_t>(evtq_log2_);
  os_.mmio_write64(base_ + r::kEvtqBase, qb.encode());
  wr(r::kEvtqProd, 0);
  wr(r::kEvtqCons, 0);
  cr0 |= static_cast<uint32_t>(r::cr0::kEvtqEn.mask());
  if ((st = write_cr0(cr0)) != SmmuStatus::kOk) return st;

  // Interrupts: off while configured, then the event queue and GERROR ones (wired).
  if ((st = write_irq_ctrl(0)) != SmmuStatus::kOk) return st;
  os_.mmio_write64(base_ + r::kGerrorIrqCfg0, 0);
  os_.mmio_write64(base_ + r::kEvtqIrqCfg0, 0);
  r::IrqCtrl irq;
  irq.evtq_irqen = irq.gerror_irqen = true;
  if ((st = write_irq_ctrl(irq.encode())) != SmmuStatus::kOk) return st;

  if (!opts_.bypass && (st = set_gbpa_abort(true)) != SmmuStatus::kOk) return st;
  cr0 |= static_cast<uint32_t>(r::cr0::kSmmuEn.mask());
  if ((st = write_cr0(cr0)) != SmmuStatus::kOk) return st;
  enabled_ = true;
  return SmmuStatus::kOk;
}

CommandQueueConfig SmmuDevice::queue_config(uint64_t queue_pa) const {
  CommandQueueConfig cc;
  cc.mmio_base = base_;
  cc.queue_pa = queue_pa;
  cc.log2size = cmdq_log2_;
  cc.completion = completion_;
  cc.sync_timeout_ns = opts_.sync_timeout_ns;
  cc.poll_ns = opts_.poll_ns;
  cc.cmd_sync_irq = opts_.cmd_sync_irq;
  cc.design = opts_.cmdq_design;
  cc.cas_retry_ns = opts_.cas_retry_ns;
  return cc;
}

SmmuStatus SmmuDevice::reset_ecmdqs() {
  // A queue enabled by an earlier reset is disabled first: its BASE and CONS may only
  // be written while EN == ENACK == 0 (§6.3.107, §6.3.109).
  const uint32_t enack = static_cast<uint32_t>(r::ecmdq_cons::kEnAck.mask());
  for (auto& q : ecmdqs_) {
    q->disable_ecmdq();
    if (!poll_reg(q->cons_address() - base_, enack, 0)) return SmmuStatus::kAckTimeout;
  }
  ecmdqs_.clear();
  if (opts_.ecmdqs == 0 || !features_.ecmdq) return SmmuStatus::kOk;
  // Control page 0 (§6.3.49): where it is, and that its queues are SMMU registers in
  // 64 KiB (the only encodings the architecture defines).
  const uint64_t cp = os_.mmio_read64(base_ + r::kCmdqControlPageBase0);
  if (!r::cmdq_control_page_base::kPreset.get(cp) ||
      r::cmdq_control_page_base::kCmdqgs.get(cp) != r::cmdq_control_page_base::kCmdqgs64k)
    return SmmuStatus::kOk;  // not a layout this driver knows: the CMDQ only
  ecmdq_page_ = r::cmdq_control_page_base::kAddr.address(cp);
  const unsigned n = std::min(opts_.ecmdqs, 1u << features_.ecmdq_log2numq);
  const uint64_t stride = r::ecmdq_stride(features_.ecmdq_log2numq);
  const size_t bytes = size_t{r::kCommandBytes} << cmdq_log2_;
  ecmdq_pa_.resize(std::max<size_t>(ecmdq_pa_.size(), n), 0);
  for (unsigned i = 0; i < n; ++i) {
    if (!ecmdq_pa_[i] && !(ecmdq_pa_[i] = os_.dma_alloc(bytes, std::max<size_t>(32, bytes))))
      return SmmuStatus::kNoMemory;
    const uint64_t off = ecmdq_page_ + i * stride;
    r::QueueBase qb;
    qb.ra = true;
    qb.addr = ecmdq_pa_[i];
    qb.log2size = static_cast<uint8_t>(cmdq_log2_);
    os_.mmio_write64(base_ + off + r::kEcmdqBase, qb.encode());
    wr(off + r::kEcmdqCons, 0);
    wr(off + r::kEcmdqProd, 0);
    CommandQueueConfig cc = queue_config(ecmdq_pa_[i]);
    cc.prod_offset = off + r::kEcmdqProd;
    cc.cons_offset = off + r::kEcmdqCons;
    cc.ecmdq = true;
    ecmdqs_.push_back(std::make_unique<CommandQueue>(os_, cc, [this] { handle_gerror(); }));
    // Enabled when the SMMU acknowledges EN in ENACK (§3.5.6.2).
    ecmdqs_.back()->enable_ecmdq();
    if (!poll_reg(off + r::kEcmdqCons, enack, enack)) return SmmuStatus::kAckTimeout;
  }
  return SmmuStatus::kOk;
}

CommandQueueStats SmmuDevice::queue_stats() const {
  CommandQueueStats s;
  if (cmdq_) s = cmdq_->stats();
  for (const auto& q : ecmdqs_) accumulate(s, q->stats());
  return s;
}

CommandQueue& SmmuDevice::cmdq_for_cpu(unsigned cpu) {
  if (ecmdqs_.empty()) return *cmdq_;
  return *ecmdqs_[cpu % ecmdqs_.size()];
}

SmmuStatus SmmuDevice::ensure_ste(uint32_t sid) {
  if (!strtab_pa_) return SmmuStatus::kNotProbed;
  if (strtab_log2_ < 32 && sid >= num_sids()) return SmmuStatus::kBadStreamId;
  if (!two_level()) return SmmuStatus::kOk;
  const uint32_t idx = sid >> opts_.strtab_split;
  LockGuard g(*strtab_lock_);
  if (l2_pa_[idx]) return SmmuStatus::kOk;
  const size_t bytes = size_t{64} << opts_.strtab_split;
  const uint64_t pa = os_.dma_alloc(bytes, bytes);
  if (!pa) return SmmuStatus::kNoMemory;
  init_stes(pa, uint32_t{1} << opts_.strtab_split);
  // The level-2 STEs are in memory before the descriptor that makes them reachable; the
  // SMMU never caches an invalid L1 descriptor, so nothing needs invalidating.
  os_.dma_wmb();
  arch::L1StreamDescriptor d;
  d.span = static_cast<uint8_t>(opts_.strtab_split + 1);
  d.l2ptr = pa;
  os_.write64(strtab_pa_ + 8ull * idx, d.encode());
  os_.dma_wmb();
  l2_pa_[idx] = pa;
  ++stats_.l2_tables;
  return SmmuStatus::kOk;
}

uint64_t SmmuDevice::ste_address(uint32_t sid) const {
  if (!strtab_pa_ || (strtab_log2_ < 32 && sid >= num_sids())) return 0;
  if (!two_level()) return strtab_pa_ + 64ull * sid;
  const uint64_t l2 = l2_pa_[sid >> opts_.strtab_split];
  if (!l2) return 0;
  return l2 + 64ull * (sid & ((uint32_t{1} << opts_.strtab_split) - 1));
}

SmmuStatus SmmuDevice::sync_ste(uint32_t sid) {
  if (!cmdq_) return SmmuStatus::kNotProbed;
  const arch::Command c = arch::Command(arch::Opcode::kCfgiSte).set_sid(sid).set_leaf(true);
  const SmmuStatus st = cpu_cmdq().issue_and_wait(&c, 1, true);
  if (st != SmmuStatus::kOk) ++stats_.sync_failures;
  return st;
}

unsigned SmmuDevice::write_ste(uint32_t sid, const EntryWords& target) {
  if (ensure_ste(sid) != SmmuStatus::kOk) return 0;
  OsEntryWriterOps ops(os_, ste_address(sid), [this, sid] { sync_ste(sid); });
  const unsigned n = write_entry(EntryKind::kSte, target, ops);
  ++stats_.ste_writes;
  stats_.ste_syncs += n;
  return n;
}

SmmuStatus SmmuDevice::submit(const InvBatch& b) {
  if (!cmdq_) return SmmuStatus::kNotProbed;
  return cpu_cmdq().issue_and_wait(b.cmds.data(), b.num, b.needs_sync);
}

SmmuStatus SmmuDevice::issue_batches_all_then_wait(const std::vector<const InvBatch*>& batches) {
  // Each device's batches, in order, devices in order of first appearance.
  std::vector<std::pair<SmmuDevice*, std::deque<const InvBatch*>>> per;
  for (const InvBatch* b : batches) {
    if (!b || !b->smmu || !b->smmu->device)
      throw std::invalid_argument("issue_batches_all_then_wait: batch without an SMMU device");
    SmmuDevice* d = from_handle(b->smmu);
    auto it = std::find_if(per.begin(), per.end(), [d](const auto& p) { return p.first == d; });
    if (it == per.end()) {
      per.emplace_back(d, std::deque<const InvBatch*>{});
      it = per.end() - 1;
    }
    it->second.push_back(b);
  }
  SmmuStatus result = SmmuStatus::kOk;
  auto note = [&result](SmmuStatus s) {
    if (result == SmmuStatus::kOk) result = s;
  };
  for (;;) {
    std::vector<std::pair<CommandQueue*, SyncTicket>> waits;
    for (auto& [dev, q] : per) {
      if (!dev->cmdq_) {
        note(SmmuStatus::kNotProbed);
        q.clear();
      }
      // Full batches go out unsynced; the round ends for this device at its first SYNC.
      while (!q.empty()) {
        const InvBatch* b = q.front();
        q.pop_front();
        const bool sync = b->needs_sync || q.empty();
        SyncTicket t;
        CommandQueue& cq = dev->cpu_cmdq();
        const SmmuStatus st = cq.issue(b->cmds.data(), b->num, sync, &t);
        if (st != SmmuStatus::kOk) note(st);
        if (sync) {
          if (st == SmmuStatus::kOk) waits.emplace_back(&cq, t);
          break;
        }
      }
    }
    if (waits.empty()) break;
    for (auto& [cq, t] : waits) {
      const SmmuStatus st = cq->wait(t);
      if (st != SmmuStatus::kOk) note(st);
    }
  }
  return result;
}

unsigned SmmuDevice::drain_events(std::vector<arch::EventRecord>* out) {
  if (!evtq_pa_) return 0;
  LockGuard g(*event_lock_);
  const uint32_t mask = r::queue_wrap_index_mask(evtq_log2_);
  const uint32_t ovf_bit = static_cast<uint32_t>(r::queue_ptr::kOvflg.mask());
  uint32_t cons = rd(r::kEvtqCons) & (mask | ovf_bit);
  unsigned n = 0;
  // Bounded: a storm of events cannot keep this CPU here forever.
  const unsigned limit = 2u << evtq_log2_;
  for (uint32_t prod = rd(r::kEvtqProd); n < limit; prod = rd(r::kEvtqProd)) {
    const bool ovf = r::queue_ovflg(prod) != r::queue_ovflg(cons);
    if (r::queue_empty(prod, cons, evtq_log2_) && !ovf) break;
    while (!r::queue_empty(prod, cons, evtq_log2_) && n < limit) {
      arch::EventWords w{};
      os_.mem_read(evtq_pa_ + uint64_t{r::queue_index(cons, evtq_log2_)} * r::kEventBytes, w.data(),
                   r::kEventBytes);
      const arch::EventRecord rec = arch::EventRecord::decode(w);
      ++stats_.events;
      ++stats_.events_by_id[static_cast<uint8_t>(rec.id)];
      // The first records, not the last: the first fault of a storm names its cause.
      if (event_log_.size() < opts_.event_log_size) event_log_.push_back(rec);
      if (out) out->push_back(rec);
      cons = r::queue_increment(cons, evtq_log2_);
      ++n;
    }
    // Records were lost while the queue was full: acknowledge by copying OVFLG.
    if (ovf) ++stats_.event_overflows;
    cons = r::with_queue_ovflg(cons, r::queue_ovflg(prod));
    wr(r::kEvtqCons, cons);
  }
  return n;
}

uint32_t SmmuDevice::handle_gerror() {
  LockGuard g(*gerror_lock_);
  const uint32_t ge = rd(r::kGerror);
  uint32_t gn = rd(r::kGerrorN);
  const uint32_t active = r::gerror_active(ge, gn);
  if (!active) return 0;
  ++stats_.gerrors;
  const uint32_t cmdq_err = static_cast<uint32_t>(r::gerror::kCmdqErr.mask());
  const uint32_t cmdqp_err = static_cast<uint32_t>(r::gerror::kCmdqpErr.mask());
  if ((active & cmdq_err) && cmdq_) handle_cmdq_error(*cmdq_, rd(r::kCmdqCons));
  if (active & cmdqp_err) {
    // Acknowledged before the scan: an ECMDQ error after this raises CMDQP_ERR again, one
    // before it shows in the scan (§3.5.6.3: raised only while inactive).
    gn ^= cmdqp_err;
    wr(r::kGerrorN, gn);
    for (auto& q : ecmdqs_) {
      const uint32_t cons = q->read_cons();
      if (!q->error_pending(cons)) continue;
      ++stats_.ecmdq_errors;
      handle_cmdq_error(*q, cons);
      q->acknowledge_error(cons);  // ERRACK = ERR: the queue resumes
    }
  }
  if (active & ~(cmdq_err | cmdqp_err)) ++stats_.other_gerrors;
  if (active & ~cmdqp_err) wr(r::kGerrorN, gn ^ (active & ~cmdqp_err));
  return active;
}

void SmmuDevice::handle_cmdq_error(CommandQueue& q, uint32_t cons) {
  switch (q.error_reason(cons)) {
    case r::CmdqError::kIll:
      // The SMMU will not run it: a CMD_SYNC takes its place, and the queue goes on.
      ++stats_.cmdq_ill;
      q.replace_with_sync(cons);
      break;
    case r::CmdqError::kAbt:  // the fetch is retried once acknowledged
      ++stats_.cmdq_abt;
      break;
    case r::CmdqError::kAtcInvSync:  // the SYNC is retried; its waiter learns it failed
      ++stats_.cmdq_atc_sync;
      q.note_atc_inv_sync_error(cons);
      break;
    default:
      break;
  }
}

void DeviceBatchSink::submit(const InvBatch& batch) {
  if (!batch.smmu || !batch.smmu->device)
    throw std::invalid_argument("DeviceBatchSink: batch without an SMMU device");
  const SmmuStatus st = SmmuDevice::from_handle(batch.smmu)->submit(batch);
  if (status == SmmuStatus::kOk) status = st;
}

}  // namespace smmu::driver
