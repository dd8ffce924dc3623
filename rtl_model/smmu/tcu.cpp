// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/tcu.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "rtl_model/arch/bits.h"
#include "rtl_model/smmu/log.h"

namespace smmu::model {

namespace r = arch::reg;
using sc_core::sc_time;

namespace {

SmmuTranslationCaps caps_of(const SmmuFeatures& f) {
  SmmuTranslationCaps c;
  c.oas_bits = f.oas_bits;
  c.gran4k = f.gran4k;
  c.gran16k = f.gran16k;
  c.gran64k = f.gran64k;
  c.s1 = f.stage1;
  c.s2 = f.stage2;
  c.va52 = f.va52;
  c.raz_wi = f.raz_wi_termination;
  c.asid16 = f.asid16;
  c.vmid16 = f.vmid16;
  c.cd2l = f.two_level_cd_table;
  c.hyp = f.hyp;
  return c;
}

// The four Translation-related faults, whose handling the CD and STE configure (IHI 0070
// §3.12); every other fault and configuration error is recorded and aborts.
constexpr bool translation_related(arch::EventId id) {
  return id == arch::EventId::kTranslation || id == arch::EventId::kAddrSize ||
         id == arch::EventId::kAccess || id == arch::EventId::kPermission;
}

void check_params(const std::string& name, const SmmuParams& p) {
  auto bad = [&](const std::string& what) {
    SC_REPORT_ERROR("smmu/params", (name + ": " + what).c_str());
  };
  const unsigned oas = p.features.oas_bits;
  if (oas != 32 && oas != 36 && oas != 40 && oas != 42 && oas != 44 && oas != 48 && oas != 52)
    bad("features.oas_bits must be one of 32, 36, 40, 42, 44, 48, 52 (got " + std::to_string(oas) + ")");
  if (p.features.sid_bits > 32) bad("features.sid_bits must be <= 32");
  if (p.features.ssid_bits > 20) bad("features.ssid_bits must be <= 20");
  if (p.features.cmdq_log2_entries > r::kMaxQueueLog2Size) bad("features.cmdq_log2_entries must be <= 19");
  if (p.features.evtq_log2_entries > r::kMaxQueueLog2Size) bad("features.evtq_log2_entries must be <= 19");
  if (!p.features.gran4k && !p.features.gran16k && !p.features.gran64k) bad("no granule supported");
  // Without LPA2 (IDR5.DS = 0), 52-bit addresses exist only with the 64K granule (§6.3.6).
  if (oas == 52 && !p.features.gran64k) bad("features.oas_bits 52 needs features.gran64k");
  if (p.features.va52 && !p.features.gran64k) bad("features.va52 needs features.gran64k");
  if (p.timing.clock_period == sc_core::SC_ZERO_TIME) bad("timing.clock_period must be > 0");
  const unsigned e = p.features.ecmdqs;
  if (e != 0 && (e > (1u << r::kMaxLog2NumQ) || (e & (e - 1)) != 0))
    bad("features.ecmdqs must be 0 or a power of two up to 256 (got " + std::to_string(e) + ")");
  // IDR1.ECMDQ == 1 implies COHACC and MSI (§6.3.2).
  if (e != 0 && (!p.features.coherent || !p.features.msi))
    bad("features.ecmdqs needs features.coherent and features.msi");
}

}  // namespace

arch::EventId Tcu::event_of(FaultType f) {
  switch (f) {
    case FaultType::kTranslation: return arch::EventId::kTranslation;
    case FaultType::kAddrSize: return arch::EventId::kAddrSize;
    case FaultType::kAccess: return arch::EventId::kAccess;
    case FaultType::kPermission: return arch::EventId::kPermission;
    case FaultType::kWalkEabt:
    case FaultType::kNone: break;
  }
  return arch::EventId::kWalkEabt;
}

Tcu::Tcu(const sc_core::sc_module_name& name, const SmmuParams& params)
    : sc_module(name),
      mmio("mmio"),
      walk("walk"),
      dti("dti"),
      dti_inv("dti_inv"),
      ats("ats"),
      ats_inv("ats_inv"),
      evtq_irq("evtq_irq"),
      gerror_irq("gerror_irq"),
      cmd_sync_irq("cmd_sync_irq"),
      params_(params),
      link_time_(params.timing.cycles(params.timing.link_cycles)),
      main_tlb_time_(params.timing.cycles(params.timing.main_tlb_cycles)),
      register_time_(params.timing.cycles(params.timing.register_cycles)),
      regs_((check_params(std::string(name), params), params.features)),
      mem_(walk),
      walk_cache_(params.walk_cache),
      walker_(mem_, &walk_cache_, WalkerParams{params.timing.cycles(params.timing.walk_cache_cycles)}),
      probe_walker_(mem_, nullptr, WalkerParams{}),
      config_cache_(params.config_cache),
      config_(mem_, walker_, config_cache_, caps_of(params.features), params.features.sid_bits,
              params.features.ssid_bits, params.timing.cycles(params.timing.config_cache_cycles)),
      evtq_(regs_, mem_),
      main_tlb_(params.main_tlb),
      translation_slots_(params.timing.translation_slots),
      walk_slots_(params.timing.walk_slots) {
  mmio.register_b_transport(this, &Tcu::mmio_b_transport);
  mmio.register_transport_dbg(this, &Tcu::mmio_transport_dbg);
  dti.register_b_transport(this, &Tcu::dti_b_transport);
  walk.register_invalidate_direct_mem_ptr(this, &Tcu::walk_invalidate_dmi);
  mem_.set_use_dmi(params.walk_dmi);
  ats.register_b_transport(this, &Tcu::ats_b_transport);
  install_register_hooks();
  queues_.resize(1 + regs_.ecmdq_count());
  cmd_stats_.by_queue.assign(queues_.size(), 0);

  SC_METHOD(evtq_irq_method);
  sensitive << evtq_irq_set_ << evtq_irq_clear_;
  dont_initialize();
  SC_METHOD(gerror_irq_method);
  sensitive << gerror_irq_set_ << gerror_irq_clear_;
  dont_initialize();
  SC_METHOD(cmd_sync_irq_method);
  sensitive << cmd_sync_irq_set_ << cmd_sync_irq_clear_;
  dont_initialize();
  SC_THREAD(command_thread);
}

void Tcu::before_end_of_elaboration() {
  for (sc_core::sc_out<bool>* port : {&evtq_irq, &gerror_irq, &cmd_sync_irq}) {
    if (port->bind_count() != 0) continue;
    const std::string n = std::string(port->basename()) + "_line";
    unbound_irq_lines_.push_back(std::make_unique<sc_core::sc_signal<bool>>(n.c_str()));
    port->bind(*unbound_irq_lines_.back());
  }
}

void Tcu::end_of_elaboration() {
  if (dti.size() != dti_inv.size())
    SC_REPORT_ERROR("smmu/params", (std::string(name()) + ": DTI links must be bound in pairs "
                                                          "(bind_dti)").c_str());
  connected_.assign(dti.size(), false);
  inv_pending_.assign(dti.size(), false);
}

// ---------------------------------------------------------------------------------------
// DTI: requests from the TBUs.

void Tcu::dti_b_transport(int link, tlm::tlm_generic_payload& trans, sc_time& delay) {
  DtiRequest* req = trans.get_extension<DtiRequest>();
  if (!req) {
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  const Stream s{req->sid, req->ssid, req->ssv};
  const uint64_t va = trans.get_address();
  switch (req->kind) {
    case DtiRequest::Kind::kConnect:
      connected_[link] = true;
      req->state = global_state();
      return;
    case DtiRequest::Kind::kDisconnect:
      connected_[link] = false;
      inv_pending_[link] = false;
      return;
    case DtiRequest::Kind::kTranslate: {
      // A translation slot is held from the request's arrival until the answer leaves.
      const Mode mode = req->probe ? Mode::kProbe : Mode::kTransaction;
      const StepScope step(req->probe ? nullptr : recorder_, "TCU", delay);
      Occupancy::Hold slot;
      if (!req->probe) {
        const sc_time before = delay;
        slot = translation_slots_.acquire(delay);
        slot_wait_step("translation slot wait", before, delay);
      }
      req->cacheable = false;
      req->result = translate(s, va, req->access, delay, mode, req->probe ? nullptr : req);
      if (!req->probe) translation_slots_.release(slot, delay);
      if (log::enabled(*this, sc_core::SC_DEBUG)) log_dti_answer(link, s, va, req->result, delay);
      return;
    }
    case DtiRequest::Kind::kCheckTranslated: {
      uint64_t out = va;
      req->result = Translation{};
      if (admit_translated(s, va, req->access, out, delay)) {
        req->result.kind = Translation::Kind::kTranslated;
        req->result.out_addr = out;
      }
      return;
    }
    case DtiRequest::Kind::kFaultReport:
      req->result = fault(req->event, s, va, req->access, delay, Mode::kTransaction, &req->faults);
      return;
  }
}

void Tcu::log_dti_answer(int link, const Stream& s, uint64_t va, const Translation& t, const sc_time& delay) {
  static const char* const kKind[] = {"translated", "bypass", "abort", "fault", "raz/wi"};
  char text[160];
  std::snprintf(text, sizeof text, "DTI link %d translate sid 0x%x ssid 0x%x va 0x%llx: %s pa 0x%llx, +%s", link,
                s.sid, s.ssid, static_cast<unsigned long long>(va), kKind[static_cast<unsigned>(t.kind) % 5],
                static_cast<unsigned long long>(t.out_addr), delay.to_string().c_str());
  log::info(log::kDti, sc_core::SC_DEBUG, *this, text);
}

sc_time Tcu::send_dti(unsigned link, DtiMessage& msg, sc_time delay) {
  if (log::enabled(*this, sc_core::SC_DEBUG))
    log::info(log::kDti, sc_core::SC_DEBUG, *this, "DTI link " + std::to_string(link) + " message to the TBU");
  tlm::tlm_generic_payload trans;
  trans.set_command(tlm::TLM_IGNORE_COMMAND);
  trans.set_extension(&msg);
  dti_inv[link]->b_transport(trans, delay);
  trans.clear_extension(&msg);
  return delay;
}

void Tcu::walk_invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  mem_.invalidate_dmi(start, end);
}

DtiGlobalState Tcu::global_state() const {
  DtiGlobalState g;
  g.smmu_enabled = regs_.smmu_enabled();
  g.gbpa_abort = regs_.gbpa_abort();
  g.atschk = regs_.cr0().atschk;
  g.ats = params_.features.ats;
  g.oas_bits = params_.features.oas_bits;
  return g;
}

void Tcu::broadcast_global_state(bool revoke_dmi) {
  // connected_ is sized at the end of elaboration: register writes before it (a platform
  // programming the SMMU in sc_main) find no TBU connected yet, which is so.
  for (unsigned i = 0; i < connected_.size(); ++i) {
    if (!connected_[i]) continue;
    DtiMessage msg;
    msg.kind = DtiMessage::Kind::kGlobalState;
    msg.state = global_state();
    msg.revoke_dmi = revoke_dmi;
    send_dti(i, msg, sc_core::SC_ZERO_TIME);
  }
}

void Tcu::revoke_all_dmi() { broadcast_global_state(true); }

void Tcu::set_step_recorder(StepRecorder* r) {
  recorder_ = r;
  walker_.set_recorder(r);  // probe_walker_ serves DMI and debug: not traced
  config_.set_recorder(r);
}

void Tcu::add_to_trace(sc_core::sc_trace_file* tf) {
  const std::string n = name();
  sc_core::sc_trace(tf, regs_.cmdq_prod_ref(), n + ".cmdq_prod", 32);
  sc_core::sc_trace(tf, regs_.cmdq_cons_ref(), n + ".cmdq_cons", 32);
  sc_core::sc_trace(tf, regs_.evtq_prod_ref(), n + ".evtq_prod", 32);
  sc_core::sc_trace(tf, regs_.evtq_cons_ref(), n + ".evtq_cons", 32);
  // Only traced slots keep a peak.
  translation_slots_.track_busy();
  walk_slots_.track_busy();
  sc_core::sc_trace(tf, translation_slots_.peak_busy(), n + ".translation_slots_busy", 16);
  sc_core::sc_trace(tf, walk_slots_.peak_busy(), n + ".walk_slots_busy", 16);
  sc_core::sc_trace(tf, stats_.main_tlb_hits, n + ".tlb_hits", 64);
  sc_core::sc_trace(tf, stats_.main_tlb_misses, n + ".tlb_misses", 64);
  sc_core::sc_trace(tf, stats_.walks, n + ".walks", 64);
  sc_core::sc_trace(tf, stats_.events, n + ".events", 64);
}

unsigned Tcu::broadcast_invalidation(DtiMessage& msg, const sc_time& delay) {
  unsigned removed = 0;
  for (unsigned i = 0; i < connected_.size(); ++i) {
    if (!connected_[i]) continue;
    msg.invalidated = 0;
    send_dti(i, msg, delay);  // its answer time matters to the next sync only
    removed += msg.invalidated;
    inv_pending_[i] = true;
  }
  return removed;
}

sc_time Tcu::sync_tbus(const sc_time& delay) {
  sc_time until = delay;
  for (unsigned i = 0; i < connected_.size(); ++i) {
    if (!connected_[i] || !inv_pending_[i]) continue;
    DtiMessage msg;
    msg.kind = DtiMessage::Kind::kSync;
    const sc_time d = send_dti(i, msg, delay);
    until = std::max(until, d);
    inv_pending_[i] = false;
  }
  return until;
}

// ---------------------------------------------------------------------------------------
// Translation.

StreamTableConfig Tcu::stream_table() const {
  const auto base = regs_.strtab_base();
  const auto cfg = regs_.strtab_base_cfg();
  StreamTableConfig st;
  st.base = base.addr;
  st.two_level = cfg.fmt == r::strtab_base_cfg::kFmt2Lvl;
  st.split = cfg.split;
  st.log2size = cfg.log2size;
  st.record_invalid_sid = regs_.record_invalid_sid();
  return st;
}

Translation Tcu::translate(const Stream& s, uint64_t va, const Access& access, sc_time& delay,
                           Mode mode, DtiRequest* answer) {
  StreamConfig cfg;
  Translation t;
  if (!resolve_config(s, va, access, cfg, t, delay, mode)) return t;
  return lookup_or_walk(s, cfg, va, access, delay, mode, answer);
}

void Tcu::set_fill(DtiRequest* answer, const Stream& s, const StreamConfig& cfg,
                   const TlbEntry& e) {
  if (!answer) return;
  answer->cacheable = true;
  answer->entry = MicroTlbEntry{s.sid, s.ssid, s.ssv, cfg.s1, cfg.cd_index, e, cfg.faults};
}

bool Tcu::resolve_config(const Stream& s, uint64_t va, const Access& access, StreamConfig& cfg,
                          Translation& failed, sc_time& delay, Mode mode) {
  ConfigFault cf;
  bool resolved;
  {
    const StepScope step(mode == Mode::kProbe ? nullptr : recorder_, "config (STE/CD)", delay);
    resolved = config_.resolve(stream_table(), s.sid, s.ssid, s.ssv, cfg, cf, delay);
  }
  if (resolved) return true;
  if (!cf.record) {
    if (mode != Mode::kProbe) ++stats_.aborted;
    failed = Translation{};
    return false;
  }
  arch::EventRecord ev;
  ev.id = cf.id;
  ev.fetch_addr = cf.fetch_addr;
  ev.s2 = cf.s2;
  ev.ipa = cf.ipa;
  ev.class_ = arch::EventClass::kCdFetch;
  // Configuration errors are reported for translation requests too.
  failed = fault(ev, s, va, access, delay, mode == Mode::kAts ? Mode::kTransaction : mode,
                 &cf.faults);
  return false;
}

Translation Tcu::lookup_or_walk(const Stream& s, const StreamConfig& cfg, uint64_t va,
                                const Access& access, sc_time& delay, Mode mode,
                                DtiRequest* answer) {
  const bool counted = mode != Mode::kProbe;
  if (!cfg.s1 && arch::wider_than(va, params_.features.oas_bits)) {
    // Stage 1 bypassed (STE bypass, stage 2 only, or S1DSS = bypass): an input address
    // above the IAS (= OAS: AArch64 tables only) is a stage-1 Address Size fault, always
    // recorded and aborted (IHI 0070 §3.4, §3.12). Below it, stage 2 checks S2T0SZ.
    arch::EventRecord ev;
    ev.id = arch::EventId::kAddrSize;
    return fault(ev, s, va, access, delay, mode, nullptr);
  }
  if (cfg.kind == StreamConfig::Kind::kBypass || (!cfg.s1 && !cfg.s2)) {
    // STE bypass (or stage 1 bypassed by S1DSS with no stage 2): identity, cached in
    // the TBU so later traffic of the stream skips the config lookup.
    TlbEntry id;
    id.va = id.pa = id.ipa = va & ~uint64_t{0xfff};
    id.size_shift = 12;
    if (counted) ++stats_.bypassed;
    if (answer) {
      answer->cacheable = true;
      answer->entry = MicroTlbEntry{s.sid, s.ssid, s.ssv, false, 0, id, cfg.faults};
    }
    Translation t;
    t.kind = Translation::Kind::kBypass;
    t.out_addr = va;
    t.va_base = t.pa_base = id.va;
    return t;
  }

  {
    const StepScope step(counted ? recorder_ : nullptr, "TCU TLB lookup", delay);
    delay += main_tlb_time_;
  }
  TlbKey key{cfg.vmid, cfg.asid, cfg.s1, cfg.s2, va};
  if (const TlbEntry* e = main_tlb_.lookup(key)) {
    if (counted) ++stats_.main_tlb_hits;
    set_fill(answer, s, cfg, *e);
    return hit(*e, cfg.faults, s, va, access, delay, mode);
  }
  if (counted) ++stats_.main_tlb_misses;
  return walk_and_fill(s, cfg, va, access, delay, mode, answer);
}

Translation Tcu::walk_and_fill(const Stream& s, const StreamConfig& cfg, uint64_t va,
                               const Access& access, sc_time& delay, Mode mode,
                               DtiRequest* answer) {
  const bool counted = mode != Mode::kProbe;
  Occupancy::Hold slot;
  const StepScope step(counted ? recorder_ : nullptr, "table walk", delay);
  if (counted) {
    const sc_time before = delay;
    slot = walk_slots_.acquire(delay);
    slot_wait_step("walk slot wait", before, delay);
    ++stats_.walks;
  }
  WalkRequest req;
  req.iova = va;
  req.access = access;
  req.s1 = cfg.s1 ? &cfg.s1_regime : nullptr;
  req.s2 = cfg.s2 ? &cfg.s2_config : nullptr;
  req.vmid = cfg.vmid;
  const WalkResult w = (counted ? walker_ : probe_walker_).walk(req, delay);
  if (counted) {
    walk_slots_.release(slot, delay);
    stats_.walk_reads += w.memory_reads;
  }

  if (!w.ok()) {
    arch::EventRecord ev;
    ev.id = event_of(w.fault);
    ev.s2 = w.fault_stage2;
    ev.class_ = static_cast<arch::EventClass>(w.fault_class);
    ev.ipa = w.fault_ipa;
    ev.fetch_addr = w.fetch_addr;
    return fault(ev, s, va, access, delay, mode, &cfg.faults);
  }

  const TlbEntry e = entry_from_walk(cfg, va, w);
  if (counted) main_tlb_.insert(e);
  set_fill(answer, s, cfg, e);
  return translation_of(e, va);
}

TlbEntry Tcu::entry_from_walk(const StreamConfig& cfg, uint64_t va, const WalkResult& w) {
  TlbEntry e;
  e.vmid = cfg.vmid;
  e.asid = cfg.asid;
  e.global = w.global;
  e.s1 = cfg.s1;
  e.s2 = cfg.s2;
  e.size_shift = static_cast<uint8_t>(w.leaf_shift);
  const uint64_t mask = (uint64_t{1} << w.leaf_shift) - 1;
  e.va = va & ~mask;
  e.pa = w.out_addr & ~mask;
  e.ipa = w.ipa & ~mask;
  // The leaf that owns the input address: stage 1's, or stage 2's for S2-only streams.
  e.granule_shift = static_cast<uint8_t>(cfg.s1 ? w.s1_granule_shift : w.s2_granule_shift);
  e.level = static_cast<int8_t>(cfg.s1 ? w.s1_level : w.s2_level);
  e.s2_granule_shift = static_cast<uint8_t>(w.s2_granule_shift);
  e.s2_level = static_cast<int8_t>(w.s2_level);
  e.perms = w.perms;
  return e;
}

Translation Tcu::hit(const TlbEntry& e, const FaultConfig& faults, const Stream& s,
                            uint64_t va, const Access& access, sc_time delay, Mode mode) {
  bool s2_denied = false;
  // A translation request gets the permissions in its answer, not a fault.
  if (mode != Mode::kAts && check_permissions(e.perms, access, s2_denied) != FaultType::kNone) {
    arch::EventRecord ev;
    ev.id = arch::EventId::kPermission;
    ev.s2 = s2_denied;
    ev.class_ = arch::EventClass::kInputAddress;
    ev.ipa = e.ipa | (va & ((uint64_t{1} << e.size_shift) - 1));
    return fault(ev, s, va, access, delay, mode, &faults);
  }
  return translation_of(e, va);
}

Translation Tcu::fault(arch::EventRecord ev, const Stream& s, uint64_t va,
                              const Access& access, sc_time delay, Mode mode,
                              const FaultConfig* faults) {
  Translation t;
  t.kind = Translation::Kind::kFault;
  // Translation requests and probes neither record nor complete RAZ/WI (CD.A has no
  // effect on ATS, IHI 0070 §5.5).
  if (mode != Mode::kTransaction) return t;
  if (faults && translation_related(ev.id)) {
    // IHI 0070 §5.5: R (CD.R for stage 1, STE.S2R for stage 2) suppresses the record;
    // stage 1 terminates per CD.A, stage 2 always aborts.
    if (!ev.s2 && !faults->s1_abort) {
      t.kind = Translation::Kind::kRazWi;
      ++stats_.raz_wi;
    }
    if (!(ev.s2 ? faults->s2_record : faults->s1_record)) {
      ++stats_.aborted;  // terminated without an event
      ++stats_.faults_unrecorded;
      return t;
    }
  }
  ++stats_.faults;
  ev.sid = s.sid;
  ev.ssid = s.ssid;
  ev.ssv = s.ssv;
  ev.input_addr = va;
  ev.rnw = !access.write;
  ev.pnu = access.priv;
  ev.ind = access.exec;
  record_event(ev, delay);
  return t;
}

// ---------------------------------------------------------------------------------------
// Events and interrupts.

void Tcu::record_event(const arch::EventRecord& ev, sc_time delay) {
  bool became_non_empty = false;
  const EventQueue::Outcome outcome = evtq_.post(ev, delay, became_non_empty);
  if (log::enabled(*this, sc_core::SC_HIGH)) {
    char text[160];
    std::snprintf(text, sizeof text, "%s %s sid 0x%x ssid 0x%x%s addr 0x%llx",
                  outcome == EventQueue::Outcome::kWritten ? "event" : "event lost", arch::to_string(ev.id),
                  ev.sid, ev.ssid, ev.ssv ? "" : " (no ssv)", static_cast<unsigned long long>(ev.input_addr));
    log::info(log::kEvent, sc_core::SC_HIGH, *this, text);
  }
  switch (outcome) {
    case EventQueue::Outcome::kWritten:
      ++stats_.events;
      if (became_non_empty && regs_.irq_ctrl().evtq_irqen) signal_irq(Irq::kEvtq, delay);
      break;
    case EventQueue::Outcome::kAbort:
      ++stats_.events_lost;
      raise_gerror(r::gerror::kEvtqAbt.mask(), delay);
      break;
    case EventQueue::Outcome::kDisabled:
    case EventQueue::Outcome::kOverflow:
      ++stats_.events_lost;
      break;
  }
}

void Tcu::raise_gerror(uint32_t mask, sc_time delay) {
  const uint32_t before = r::gerror_active(regs_.gerror(), regs_.gerrorn());
  if (mask) regs_.raise_gerror(mask);
  const uint32_t now = r::gerror_active(regs_.gerror(), regs_.gerrorn());
  if ((now & ~before) && log::enabled(*this, sc_core::SC_HIGH)) {
    char text[64];
    std::snprintf(text, sizeof text, "GERROR active 0x%x (new 0x%x)", now, now & ~before);
    log::info(log::kGerror, sc_core::SC_HIGH, *this, text);
  }
  if ((now & ~before) && regs_.irq_ctrl().gerror_irqen) signal_irq(Irq::kGerror, delay);
}

void Tcu::signal_irq(Irq irq, sc_time delay) {
  const bool evtq = irq == Irq::kEvtq;
  evtq ? ++stats_.evtq_irqs : ++stats_.gerror_irqs;
  const uint64_t msi_addr = evtq ? regs_.evtq_irq_cfg0() : regs_.gerror_irq_cfg0();
  if (params_.features.msi && msi_addr != 0) {
    // MSI: a 32-bit write of the configured data, timed like any other SMMU access.
    const uint32_t data = evtq ? regs_.evtq_irq_cfg1() : regs_.gerror_irq_cfg1();
    if (!mem_.write(msi_addr, &data, 4, delay)) {
      const uint32_t err = evtq ? r::gerror::kMsiEvtqAbt.mask() : r::gerror::kMsiGerrorAbt.mask();
      // An MSI abort of the GERROR interrupt itself must not recurse.
      if (evtq) raise_gerror(err, delay);
      else regs_.raise_gerror(err);
    }
    return;
  }
  (evtq ? evtq_irq_set_ : gerror_irq_set_).notify(delay);
}

void Tcu::pulse(sc_core::sc_out<bool>& line, sc_core::sc_event& set, sc_core::sc_event& clear) {
  // Raised by `set`, lowered one clock later by `clear`.
  if (set.triggered()) {
    line.write(true);
    clear.notify(params_.timing.clock_period);
  } else {
    line.write(false);
  }
}

void Tcu::evtq_irq_method() { pulse(evtq_irq, evtq_irq_set_, evtq_irq_clear_); }
void Tcu::gerror_irq_method() { pulse(gerror_irq, gerror_irq_set_, gerror_irq_clear_); }
void Tcu::cmd_sync_irq_method() { pulse(cmd_sync_irq, cmd_sync_irq_set_, cmd_sync_irq_clear_); }

// ---------------------------------------------------------------------------------------
// Registers.

void Tcu::install_register_hooks() {
  // What the TCU does on a register write, at the writer's time (now + delay).
  auto kick = [this](uint64_t, const sc_time& delay) { cmdq_kick_.notify(delay); };
  regs_.set_write_hook(r::kCmdqProd, [this](uint64_t, const sc_time& delay) {
    note_prod_write(0, delay);
    cmdq_kick_.notify(delay);
  });
  regs_.set_write_hook(r::kGerrorN, kick);  // an acknowledged CMDQ_ERR lets the queue go on
  regs_.set_write_hook(r::kCr0, [this](uint64_t, const sc_time& delay) {
    cmdq_kick_.notify(delay);  // CMDQEN may have been set
    revoke_all_dmi();          // and tells the TBUs the new SMMUEN and ATSCHK
  });
  // What translates to what may have changed: no upstream pointer may outlive it.
  auto revoke = [this](uint64_t, const sc_time&) { revoke_all_dmi(); };
  for (uint64_t offset : {r::kGbpa, r::kStrtabBase, r::kStrtabBaseCfg})
    regs_.set_write_hook(offset, revoke);
  for (unsigned n = 0; n < regs_.ecmdq_count(); ++n)
    regs_.set_write_hook(regs_.ecmdq_prod_offset(n), [this, n](uint64_t, const sc_time& delay) {
      // New commands, EN set or cleared, or ERRACK toggled (the queue resumes).
      note_prod_write(1 + n, delay);
      settle_ecmdq_disable(n);
      cmdq_kick_.notify(delay);
    });
}

void Tcu::mmio_b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  delay += register_time_;
  const unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  uint64_t value = 0;
  bool ok;
  if (trans.is_read()) {
    ok = regs_.read(trans.get_address(), len, value);
    if (ok) std::memcpy(trans.get_data_ptr(), &value, len);
  } else {
    std::memcpy(&value, trans.get_data_ptr(), std::min(len, 8u));
    // The hooks act at the writer's local time.
    ok = regs_.write(trans.get_address(), len, value, delay);
  }
  trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

unsigned Tcu::mmio_transport_dbg(tlm::tlm_generic_payload& trans) {
  // Debug reads only: a debugger must not change the SMMU's state.
  const unsigned len = trans.get_data_length();
  uint64_t value = 0;
  if (!trans.is_read() || !regs_.read(trans.get_address(), len, value)) return 0;
  std::memcpy(trans.get_data_ptr(), &value, len);
  return len;
}

}  // namespace smmu::model
