// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/tbu.h"

#include <algorithm>
#include <cstring>

#include "rtl_model/arch/bits.h"
#include "rtl_model/smmu/invalidation.h"
#include "rtl_model/smmu/tcu.h"

namespace smmu::model {

using sc_core::sc_time;

Tbu::Tbu(const sc_core::sc_module_name& name, const TbuParams& params)
    : sc_module(name),
      upstream("upstream"),
      downstream("downstream"),
      dti("dti"),
      dti_inv("dti_inv"),
      params_(params),
      micro_tlb_time_(params.cycles(params.micro_tlb_cycles)),
      main_tlb_time_(params.cycles(params.main_tlb_cycles)) {
  if (params.clock_period == sc_core::SC_ZERO_TIME)
    SC_REPORT_ERROR("smmu/params", (std::string(basename()) + ": clock_period must be > 0").c_str());
  if (params.main_tlb) main_tlb_ = std::make_unique<TbuMainTlb>(*params.main_tlb);
  if (params.max_translations) tokens_ = std::make_unique<Occupancy>(params.max_translations);
  upstream.register_b_transport(this, &Tbu::upstream_b_transport);
  upstream.register_nb_transport_fw(this, &Tbu::upstream_nb_transport_fw);
  upstream.register_get_direct_mem_ptr(this, &Tbu::upstream_get_dmi);
  upstream.register_transport_dbg(this, &Tbu::upstream_transport_dbg);
  downstream.register_invalidate_direct_mem_ptr(this, &Tbu::downstream_invalidate_dmi);
  dti_inv.register_b_transport(this, &Tbu::dti_inv_b_transport);
}

void Tbu::end_of_elaboration() {
  micro_tlbs_.clear();
  for (unsigned i = 0; i < upstream.size(); ++i)
    micro_tlbs_.push_back(std::make_unique<MicroTlb>(params_.micro_tlb));
  if (!params_.port_ids.empty() && params_.port_ids.size() != upstream.size())
    SC_REPORT_ERROR("smmu/params", (std::string(name()) + ": " +
                                    std::to_string(params_.port_ids.size()) + " port ids for " +
                                    std::to_string(upstream.size()) + " bound ports")
                                       .c_str());
}

void Tbu::start_of_simulation() {
  sc_time d = sc_core::SC_ZERO_TIME;  // set-up: the handshake costs no simulated time
  connect(d);
}

unsigned Tbu::port_id(unsigned index) const {
  return params_.port_ids.empty() ? index : params_.port_ids.at(index);
}

// ---------------------------------------------------------------------------------------
// DTI: requests to the TCU.

void Tbu::send(DtiRequest& req, uint64_t addr, sc_time& delay) {
  // One payload for every request (no allocation per miss): the TCU never sends a TBU
  // request back into this TBU while answering one.
  tlm::tlm_generic_payload& trans = dti_trans_;
  trans.set_command(tlm::TLM_IGNORE_COMMAND);
  trans.set_address(addr);
  trans.set_data_length(0);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  trans.set_extension(&req);
  {
    const StepScope step(recorder_, "DTI link to TCU", delay);
    delay += params_.dti_latency;
  }
  dti->b_transport(trans, delay);
  {
    const StepScope step(recorder_, "DTI link to TBU", delay);
    delay += params_.dti_latency;
  }
  trans.clear_extension(&req);
}

DtiRequest Tbu::request(DtiRequest::Kind kind, const Stream& s, const Access& access) {
  DtiRequest req;
  req.kind = kind;
  req.sid = s.sid;
  req.ssid = s.ssid;
  req.ssv = s.ssv;
  req.access = access;
  return req;
}

void Tbu::connect(sc_time& delay) {
  DtiRequest req;
  req.kind = DtiRequest::Kind::kConnect;
  send(req, 0, delay);
  state_ = req.state;
  connected_ = true;
}

void Tbu::disconnect(sc_time& delay) {
  if (!connected_) return;
  // No invalidation reaches a disconnected TBU: nothing cached may survive.
  for (auto& utlb : micro_tlbs_) utlb->clear();
  if (main_tlb_) main_tlb_->clear();
  revoke_all_dmi();
  DtiRequest req;
  req.kind = DtiRequest::Kind::kDisconnect;
  send(req, 0, delay);
  connected_ = false;
}

// ---------------------------------------------------------------------------------------
// Upstream: device traffic.

void Tbu::upstream_b_transport(int port, tlm::tlm_generic_payload& trans, sc_time& delay) {
  Access access;
  const StreamExtension* ext;
  const Stream s = stream_of(port, trans, access, &ext);
  const uint64_t va = trans.get_address();
  ++stats_.transactions;
  stats_.bytes += trans.get_data_length();

  if (ext && ext->ats_translated && state_.smmu_enabled && state_.ats) {
    // Pre-translated by the endpoint's ATC: no TLB lookup, only the ATS checks.
    uint64_t pa;
    bool admitted;
    {
      const StepScope step(recorder_, "ATS check", delay);
      admitted = admit_translated(s, va, access, pa, delay);
    }
    if (!admitted) {
      trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      trans.set_dmi_allowed(false);
      return;
    }
    trans.set_address(pa);
    {
      const StepScope step(recorder_, "memory access", delay);
      downstream->b_transport(trans, delay);
    }
    trans.set_address(va);
    trans.set_dmi_allowed(false);
    return;
  }
  if (!state_.smmu_enabled) {
    complete(trans, va, global_bypass(va, false), delay);
    return;
  }
  // The hit path, what every DMA pays: a micro-TLB hit the access may use goes straight
  // downstream, with no Translation built.
  {
    const StepScope step(recorder_, "micro TLB lookup", delay);
    delay += micro_tlb_time_;
  }
  const auto p = static_cast<unsigned>(port);
  if (const MicroTlbEntry* e = micro_tlbs_[p]->lookup(s.sid, s.ssid, s.ssv, va)) {
    ++stats_.micro_tlb_hits;
    if ((e->allowed >> access_index(access)) & 1) {
      forward(trans, va, e->tlb.translate(va), e->tlb.size_shift, delay);
      return;
    }
    complete(trans, va, hit(*e, s, va, access, delay, false), delay);
    return;
  }
  ++stats_.micro_tlb_misses;
  complete(trans, va, miss(p, s, va, access, delay, false), delay);
}

void Tbu::complete(tlm::tlm_generic_payload& trans, uint64_t va, const Translation& t,
                   sc_time& delay) {
  if (t.kind == Translation::Kind::kRazWi) {
    // Terminated RAZ/WI: completes successfully, reads return zero, writes are ignored.
    if (trans.is_read() && trans.get_data_ptr())
      std::memset(trans.get_data_ptr(), 0, trans.get_data_length());
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    trans.set_dmi_allowed(false);
    return;
  }
  if (!t.ok()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    trans.set_dmi_allowed(false);
    return;
  }
  forward(trans, va, t.out_addr, t.size_shift, delay);
}

void Tbu::forward(tlm::tlm_generic_payload& trans, uint64_t va, uint64_t out_addr,
                  unsigned size_shift, sc_time& delay) {
  // Bus transactions do not cross a 4 KiB boundary, so one translation covers them; one
  // that does cross its translation's region is refused rather than half translated.
  const unsigned len = trans.get_data_length();
  if (len == 0 || ((va ^ (va + len - 1)) >> size_shift) != 0) {
    ++stats_.boundary_errors;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  trans.set_address(out_addr);
  {
    const StepScope step(recorder_, "memory access", delay);
    downstream->b_transport(trans, delay);
  }
  trans.set_address(va);
  if (!params_.grant_dmi) trans.set_dmi_allowed(false);
}

bool Tbu::admit_translated(const Stream& s, uint64_t addr, const Access& access,
                           uint64_t& out_addr, sc_time& delay) {
  out_addr = addr;
  // CR0.ATSCHK = 0: translated traffic is trusted and passes without a config lookup.
  if (!state_.atschk) {
    ++stats_.ats_translated;
    return true;
  }
  DtiRequest req = request(DtiRequest::Kind::kCheckTranslated, s, access);
  send(req, addr, delay);
  out_addr = req.result.out_addr;
  return req.result.ok();
}

unsigned Tbu::upstream_transport_dbg(int port, tlm::tlm_generic_payload& trans) {
  // Debug accesses translate through the caches and tables without side effects.
  Access access;
  const Stream s = stream_of(port, trans, access);
  const uint64_t va = trans.get_address();
  const Translation t = probe(static_cast<unsigned>(port), s, va, access);
  if (!t.ok()) return 0;
  trans.set_address(t.out_addr);
  const unsigned n = downstream->transport_dbg(trans);
  trans.set_address(va);
  return n;
}

bool Tbu::upstream_get_dmi(int port, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  if (!params_.grant_dmi) return false;
  Access access;
  const Stream s = stream_of(port, trans, access);
  const uint64_t va = trans.get_address();
  const Translation t = probe(static_cast<unsigned>(port), s, va, access);
  if (!t.ok()) return false;

  tlm::tlm_generic_payload down;
  down.set_command(trans.get_command());
  down.set_address(t.out_addr);
  tlm::tlm_dmi d;
  if (!downstream->get_direct_mem_ptr(down, d)) return false;

  // Grant the part of the downstream region that this translation covers.
  const uint64_t size_mask = (uint64_t{1} << t.size_shift) - 1;
  const uint64_t pa_lo = std::max<uint64_t>(d.get_start_address(), t.pa_base);
  const uint64_t pa_hi = std::min<uint64_t>(d.get_end_address(), t.pa_base + size_mask);
  if (pa_lo > pa_hi || t.out_addr < pa_lo || t.out_addr > pa_hi) return false;
  // A DMI pointer serves data accesses: check data read and write permission.
  Access rd = access, wr = access;
  rd.write = rd.exec = false;
  wr.write = true;
  wr.exec = false;
  bool s2;
  const bool can_read = d.is_read_allowed() && check_permissions(t.perms, rd, s2) == FaultType::kNone;
  const bool can_write = d.is_write_allowed() && check_permissions(t.perms, wr, s2) == FaultType::kNone;
  if (!can_read && !can_write) return false;

  dmi.set_dmi_ptr(d.get_dmi_ptr() + (pa_lo - d.get_start_address()));
  dmi.set_start_address(t.va_base + (pa_lo - t.pa_base));
  dmi.set_end_address(t.va_base + (pa_hi - t.pa_base));
  dmi.set_granted_access(can_read && can_write ? tlm::tlm_dmi::DMI_ACCESS_READ_WRITE
                         : can_read            ? tlm::tlm_dmi::DMI_ACCESS_READ
                                               : tlm::tlm_dmi::DMI_ACCESS_WRITE);
  // A DMI access stands for a micro-TLB hit plus the memory access.
  dmi.set_read_latency(d.get_read_latency() + micro_tlb_time_);
  dmi.set_write_latency(d.get_write_latency() + micro_tlb_time_);
  dmi_grants_.push_back({static_cast<unsigned>(port), s.sid, dmi.get_start_address(),
                         dmi.get_end_address(), pa_lo, pa_hi});
  ++stats_.dmi_grants;
  return true;
}

void Tbu::revoke_dmi_if(const std::function<bool(const DmiGrant&)>& pred) {
  std::vector<DmiGrant> revoked, kept;
  for (const DmiGrant& g : dmi_grants_) (pred(g) ? revoked : kept).push_back(g);
  dmi_grants_.swap(kept);
  // Call out only after the list is consistent: an initiator may ask again at once.
  for (const DmiGrant& g : revoked) {
    upstream[g.port]->invalidate_direct_mem_ptr(g.va_start, g.va_end);
    ++stats_.dmi_revocations;
  }
}

void Tbu::revoke_all_dmi() {
  revoke_dmi_if([](const DmiGrant&) { return true; });
}

void Tbu::downstream_invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  // Memory withdrew [start, end]: withdraw every grant that reaches into it.
  revoke_dmi_if([&](const DmiGrant& g) { return g.pa_end >= start && g.pa_start <= end; });
}

// ---------------------------------------------------------------------------------------
// Translation.

Translation Tbu::global_bypass(uint64_t va, bool probe) {
  // GBPA decides what happens to traffic while translation is off.
  Translation t;
  // An input address above the OAS aborts without an event (IHI 0070 §3.4).
  if (state_.gbpa_abort || arch::wider_than(va, state_.oas_bits)) {
    if (!probe) ++stats_.aborted;
    return t;
  }
  if (!probe) ++stats_.bypassed;
  t.kind = Translation::Kind::kBypass;
  t.va_base = t.pa_base = va & ~uint64_t{0xfff};
  t.out_addr = va;
  return t;
}

Translation Tbu::probe(unsigned port, const Stream& s, uint64_t va, const Access& access) {
  if (!state_.smmu_enabled) return global_bypass(va, true);
  sc_time untimed = sc_core::SC_ZERO_TIME;
  if (const MicroTlbEntry* e = micro_tlbs_[port]->lookup(s.sid, s.ssid, s.ssv, va))
    return hit(*e, s, va, access, untimed, true);
  return miss(port, s, va, access, untimed, true);
}

Translation Tbu::miss(unsigned port, const Stream& s, uint64_t va, const Access& access,
                      sc_time& delay, bool probe) {
  if (main_tlb_) {
    {
      const StepScope step(probe ? nullptr : recorder_, "TBU main TLB lookup", delay);
      delay += main_tlb_time_;
    }
    if (const MicroTlbEntry* e = main_tlb_->lookup(s.sid, s.ssid, s.ssv, va)) {
      if (!probe) {
        ++stats_.main_tlb_hits;
        micro_tlbs_[port]->insert(*e);
      }
      return hit(*e, s, va, access, delay, probe);
    }
    if (!probe) ++stats_.main_tlb_misses;
  }
  return ask_tcu(port, s, va, access, delay, probe);
}

Translation Tbu::ask_tcu(unsigned port, const Stream& s, uint64_t va, const Access& access,
                         sc_time& delay, bool probe) {
  const StepScope step(probe ? nullptr : recorder_, "DTI request", delay);
  if (!probe && !connected_) connect(delay);
  Occupancy::Hold token;
  const bool held = tokens_ && !probe;
  if (held) {
    const sc_time before = delay;
    token = tokens_->acquire(delay);
    if (delay > before) {
      ++stats_.token_stalls;
      stats_.token_wait += delay - before;
      if (recorder_) {
        recorder_->begin("DTI token wait", sc_core::sc_time_stamp() + before);
        recorder_->end(sc_core::sc_time_stamp() + delay);
      }
    }
  }
  DtiRequest req = request(DtiRequest::Kind::kTranslate, s, access);
  req.probe = probe;
  if (!probe) ++stats_.dti_requests;
  send(req, va, delay);
  if (held) tokens_->release(token, delay);
  if (req.cacheable && !probe) {
    micro_tlbs_[port]->insert(req.entry);
    if (main_tlb_) main_tlb_->insert(req.entry);
  }
  return req.result;
}

Translation Tbu::hit(const MicroTlbEntry& e, const Stream& s, uint64_t va, const Access& access,
                     sc_time delay, bool probe) {
  bool s2_denied = false;
  if (check_permissions(e.tlb.perms, access, s2_denied) == FaultType::kNone)
    return translation_of(e.tlb, va);
  if (probe) {
    Translation t;
    t.kind = Translation::Kind::kFault;
    return t;
  }
  return report_fault(e, s, va, access, s2_denied, delay);
}

Translation Tbu::report_fault(const MicroTlbEntry& e, const Stream& s, uint64_t va,
                              const Access& access, bool s2_denied, sc_time delay) {
  // The TCU records the fault (or not, per the stream's R bits) and says how the
  // transaction terminates; the report travels beside the abort (delay is a copy).
  DtiRequest req = request(DtiRequest::Kind::kFaultReport, s, access);
  req.event.id = arch::EventId::kPermission;
  req.event.s2 = s2_denied;
  req.event.class_ = arch::EventClass::kInputAddress;
  req.event.ipa = e.tlb.ipa | (va & ((uint64_t{1} << e.tlb.size_shift) - 1));
  req.faults = e.faults;
  ++stats_.fault_reports;
  send(req, va, delay);
  return req.result;
}

// ---------------------------------------------------------------------------------------
// DTI: invalidations and syncs from the TCU.

sc_time Tbu::acknowledge(const sc_time& sent, const sc_time& work) {
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time start = std::max(now + sent + params_.dti_latency, inv_busy_until_);
  inv_busy_until_ = start + work;
  return inv_busy_until_ + params_.dti_latency - now;
}

unsigned Tbu::invalidate_if(const std::function<bool(const MicroTlbEntry&)>& pred) {
  unsigned n = 0;
  for (auto& utlb : micro_tlbs_) n += utlb->invalidate_if(pred);
  if (main_tlb_) n += main_tlb_->invalidate_if(pred);
  return n;
}

void Tbu::dti_inv_b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  DtiMessage* m = trans.get_extension<DtiMessage>();
  if (!m) {
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  // Micro TLBs are searched in parallel; a main TLB is scanned set by set.
  const sc_time scan = main_tlb_ ? params_.cycles(main_tlb_->sets() *
                                                  params_.invalidation_cycles_per_set)
                                 : sc_core::SC_ZERO_TIME;
  switch (m->kind) {
    case DtiMessage::Kind::kGlobalState:
      state_ = m->state;
      if (m->revoke_dmi) revoke_all_dmi();
      return;
    case DtiMessage::Kind::kTlbInvalidate: {
      ++stats_.dti_invalidations;
      const TlbInvalidation& inv = *m->tlbi;
      m->invalidated = invalidate_if([&](const MicroTlbEntry& e) { return inv.selects(e.tlb); });
      // Upstream pointers into what may have changed go too.
      if (inv.stages != TlbInvalidation::Stages::kNone) {
        if (inv.has_range)
          revoke_dmi_if([&](const DmiGrant& g) { return g.va_end >= inv.first && g.va_start <= inv.last; });
        else
          revoke_all_dmi();
      }
      delay = acknowledge(delay, scan);
      return;
    }
    case DtiMessage::Kind::kConfigInvalidate: {
      ++stats_.dti_invalidations;
      const ConfigInvalidation& inv = *m->cfgi;
      m->invalidated = invalidate_if([&](const MicroTlbEntry& e) { return inv.selects(e); });
      revoke_dmi_if([&](const DmiGrant& g) { return g.sid >= inv.sid_first && g.sid <= inv.sid_last; });
      delay = acknowledge(delay, scan);
      return;
    }
    case DtiMessage::Kind::kSync:
      ++stats_.dti_syncs;
      delay = acknowledge(delay, sc_core::SC_ZERO_TIME);
      return;
  }
}

void Tbu::add_to_trace(sc_core::sc_trace_file* tf) {
  const std::string n = name();
  if (tokens_) {
    tokens_->track_busy();
    sc_core::sc_trace(tf, tokens_->peak_busy(), n + ".tokens_busy", 16);
  }
  sc_core::sc_trace(tf, stats_.dti_requests, n + ".dti_requests", 64);
  sc_core::sc_trace(tf, stats_.micro_tlb_hits, n + ".micro_tlb_hits", 64);
  sc_core::sc_trace(tf, stats_.micro_tlb_misses, n + ".micro_tlb_misses", 64);
  if (main_tlb_) {
    sc_core::sc_trace(tf, stats_.main_tlb_hits, n + ".main_tlb_hits", 64);
    sc_core::sc_trace(tf, stats_.main_tlb_misses, n + ".main_tlb_misses", 64);
  }
}

void bind_dti(Tbu& tbu, Tcu& tcu) {
  tbu.dti.bind(tcu.dti);
  tcu.dti_inv.bind(tbu.dti_inv);
}

}  // namespace smmu::model
