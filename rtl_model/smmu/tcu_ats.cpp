// SPDX-License-Identifier: Apache-2.0
// The TCU's side of ATS: answering Translation Requests from PCIe endpoints, checking
// their pre-translated traffic for a TBU (CR0.ATSCHK = 1), and sending ATC invalidations
// whose answers CMD_SYNC waits for.
#include <algorithm>
#include <cstdio>

#include "rtl_model/smmu/tcu.h"
#include "rtl_model/smmu/log.h"

namespace smmu::model {

namespace r = arch::reg;
using sc_core::sc_time;
using Status = AtsTranslationRequest::Status;

void Tcu::ats_b_transport(int, tlm::tlm_generic_payload& trans, sc_time& delay) {
  AtsTranslationRequest* req = trans.get_extension<AtsTranslationRequest>();
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  if (!req) {
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  req->status = Status::kUnsupported;
  req->read = req->write = req->exe = false;
  // IHI 0070 §13.7.1: without a PASID the request has no Priv or Exe (Data,
  // Unprivileged); the completion's Priv is the request's.
  Access access;
  access.priv = req->ssv && req->priv;
  access.exec = req->ssv && req->exec;
  req->entry_priv = access.priv;
  if (!params_.features.ats || !regs_.smmu_enabled()) return;
  ++stats_.ats_requests;

  const Stream s{req->sid, req->ssid, req->ssv};
  const uint64_t va = trans.get_address();

  const StepScope step(recorder_, "ATS translation request", delay);
  delay += link_time_;
  const sc_time before = delay;
  const Occupancy::Hold slot = translation_slots_.acquire(delay);
  slot_wait_step("translation slot wait", before, delay);
  StreamConfig cfg;
  Translation t;
  bool answered = false;
  if (resolve_config(s, va, access, cfg, t, delay, Mode::kAts)) {
    if (cfg.eats == 0 || cfg.eats == 3) {
      // ATS is not enabled for this stream: the request is bad.
      arch::EventRecord ev;
      ev.id = arch::EventId::kBadAtsTreq;
      fault(ev, s, va, access, delay, Mode::kTransaction, nullptr);
    } else {
      // Split-stage ATS (EATS = 2) on a nested stream answers with the stage-1 output (the
      // IPA); stage 2 is applied to the translated traffic. Otherwise the full translation.
      const bool split = cfg.eats == 2 && cfg.s1 && cfg.s2;
      t = lookup_or_walk(s, cfg, va, access, delay, Mode::kAts, nullptr);
      answered = true;
      req->status = Status::kSuccess;
      if (t.ok()) {
        // R and W are data permissions at the request's privilege (IHI 0070 §13.7.1:
        // TC.R = ttd_R with INSTCFG = incoming; an execute-only page grants no access to
        // ATS); TC.Exe = TR.Exe && ttd_RX.
        Access rd = access, wr = access, ex = access;
        rd.exec = wr.exec = false;
        wr.write = true;
        ex.exec = true;
        bool s2;
        req->read = check_permissions(t.perms, rd, s2) == FaultType::kNone;
        req->write = !req->no_write && check_permissions(t.perms, wr, s2) == FaultType::kNone;
        req->exe = access.exec && req->read &&
                   check_permissions(t.perms, ex, s2) == FaultType::kNone;
        req->size_shift = static_cast<uint8_t>(t.size_shift);
        // Split stage answers with the region's IPA; stage 2 applies to the traffic.
        req->translated = split ? t.ipa_base : t.pa_base;
      }
      if (!req->read && !req->write) ++stats_.ats_no_access;
    }
  }
  if (!answered) ++stats_.ats_unsupported;
  translation_slots_.release(slot, delay);
  delay += link_time_;
  if (log::enabled(*this, sc_core::SC_DEBUG)) {
    char text[160];
    std::snprintf(text, sizeof text, "ATS request sid 0x%x ssid 0x%x va 0x%llx: %s R%d W%d X%d -> 0x%llx, +%s", s.sid,
                  s.ssid, static_cast<unsigned long long>(va), answered ? "success" : "unsupported", req->read,
                  req->write, req->exe, static_cast<unsigned long long>(req->translated), delay.to_string().c_str());
    log::info(log::kAts, sc_core::SC_DEBUG, *this, text);
  }
}

bool Tcu::admit_translated(const Stream& s, uint64_t addr, const Access& access,
                            uint64_t& out_addr, sc_time& delay) {
  // The TBU passes translated traffic itself while CR0.ATSCHK = 0; with it, it asks here.
  out_addr = addr;
  StreamConfig cfg;
  Translation failed;
  bool ok = resolve_config(s, addr, access, cfg, failed, delay, Mode::kTransaction);
  if (ok && (cfg.eats == 1 || cfg.eats == 2)) {
    if (cfg.eats == 2 && cfg.s1 && cfg.s2) {
      // Split stage: the address is an IPA, stage 2 still applies.
      WalkResult w = walker_.translate_stage2(addr, cfg.s2_config, access,
                                              FaultClass::kInputAddress, delay);
      if (!w.ok()) {
        arch::EventRecord ev;
        ev.id = event_of(w.fault);
        ev.s2 = true;
        ev.class_ = arch::EventClass::kInputAddress;
        ev.ipa = addr;
        ev.fetch_addr = w.fetch_addr;
        fault(ev, s, addr, access, delay, Mode::kTransaction, &cfg.faults);  // STE.S2R
        ok = false;
      } else {
        out_addr = w.out_addr;
      }
    }
  } else if (ok) {
    arch::EventRecord ev;
    ev.id = arch::EventId::kTranslForbidden;
    fault(ev, s, addr, access, delay, Mode::kTransaction, nullptr);
    ok = false;
  }
  ok ? ++stats_.ats_translated : ++stats_.ats_translated_refused;
  return ok;
}

void Tcu::send_atc_invalidation(const arch::Command& c, sc_time& delay) {
  // Every endpoint sees the message; the one that owns the StreamID answers after its
  // round trip. Several can be in flight: CMD_SYNC waits for all of them.
  for (unsigned i = 0; i < ats_inv.size(); ++i) {
    tlm::tlm_generic_payload trans;
    arch::Command msg = c;
    trans.set_command(tlm::TLM_WRITE_COMMAND);
    trans.set_address(c.addr());
    trans.set_data_ptr(reinterpret_cast<unsigned char*>(msg.dw.data()));
    trans.set_data_length(r::kCommandBytes);
    trans.set_streaming_width(r::kCommandBytes);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    const sc_time issued = sc_core::sc_time_stamp() + delay;
    sc_time round_trip = sc_core::SC_ZERO_TIME;
    ats_inv[i]->b_transport(trans, round_trip);
    const auto status = trans.get_response_status();
    if (status == tlm::TLM_ADDRESS_ERROR_RESPONSE) continue;  // not this endpoint's
    ++cmd_stats_.atc_inv_sent;
    if (log::enabled(*this, sc_core::SC_DEBUG)) {
      char text[96];
      std::snprintf(text, sizeof text, "ATC invalidation to endpoint %u sid 0x%x addr 0x%llx: %s", i, c.sid(),
                    static_cast<unsigned long long>(c.addr()), status == tlm::TLM_OK_RESPONSE ? "ok" : "failed");
      log::info(log::kAts, sc_core::SC_DEBUG, *this, text);
    }
    pending_atc_inv_.push_back({issued, issued + round_trip, status == tlm::TLM_OK_RESPONSE, serving_});
  }
}

}  // namespace smmu::model
