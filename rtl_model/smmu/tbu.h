// SPDX-License-Identifier: Apache-2.0
// A Translation Buffer Unit: the part of the SMMU that sits in masters' data paths. Each
// upstream port (one binding of `upstream`) has its micro TLB; an optional main TLB is
// shared by the ports. A hit translates here and the access leaves on the TBU's own
// `downstream` socket, timed by annotated delay only (no wait(), no call to the TCU). A
// miss asks the TCU over the DTI link (dti_protocol.h), which costs the link latency
// each way; at most `max_translations` misses are in flight at once (DTI tokens), and a
// miss beyond that waits for a token. The TCU's invalidations arrive on `dti_inv`.
// The TBU also grants upstream DMI for pages it has translated, and revokes it when an
// invalidation or memory withdraws what it covered.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "rtl_model/protocol/dti_protocol.h"
#include "rtl_model/protocol/stream_extension.h"
#include "rtl_model/smmu/occupancy.h"
#include "rtl_model/smmu/step_recorder.h"
#include "rtl_model/smmu/tbu_tlb.h"
#include "rtl_model/smmu/tlb.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

class Tcu;

struct TbuParams {
  // The SMMU port number of each upstream binding, in binding order (traffic without a
  // StreamExtension has StreamID = its port number; reports name ports by it). Empty:
  // binding i is port i.
  std::vector<unsigned> port_ids;
  sc_core::sc_time clock_period{1, sc_core::SC_NS};
  unsigned micro_tlb_cycles = 1;
  unsigned main_tlb_cycles = 3;
  unsigned invalidation_cycles_per_set = 1;  // scanning one set of the main TLB
  sc_core::sc_time dti_latency{8, sc_core::SC_NS};  // one way, TBU <-> TCU
  MicroTlbParams micro_tlb;
  std::optional<TlbParams> main_tlb;  // none: misses of the micro TLBs go to the TCU
  unsigned max_translations = 0;      // DTI tokens: misses in flight at once (0: no limit)
  bool grant_dmi = true;

  sc_core::sc_time cycles(unsigned n) const { return clock_period * static_cast<double>(n); }
};

struct TbuStats {
  uint64_t transactions = 0;      // device transactions received upstream
  uint64_t bytes = 0;
  uint64_t bypassed = 0;          // SMMUEN = 0 with GBPA bypass
  uint64_t aborted = 0;           // SMMUEN = 0 with GBPA abort
  uint64_t boundary_errors = 0;   // transactions crossing their translation's page
  uint64_t micro_tlb_hits = 0, micro_tlb_misses = 0;
  uint64_t main_tlb_hits = 0, main_tlb_misses = 0;  // the TBU's own main TLB
  uint64_t dmi_grants = 0, dmi_revocations = 0;
  uint64_t ats_translated = 0;    // pre-translated transactions passed unchecked (ATSCHK = 0)
  // DTI
  uint64_t dti_requests = 0;      // translation requests sent to the TCU
  uint64_t dti_invalidations = 0; // invalidation messages received
  uint64_t dti_syncs = 0;         // sync messages received
  uint64_t fault_reports = 0;     // faults on hits reported to the TCU
  uint64_t token_stalls = 0;      // requests that waited for a token
  sc_core::sc_time token_wait;    // total time they waited
};

class Tbu : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Tbu, smmu::model::kBusWidth> upstream;  // device traffic, one per port
  tlm_utils::simple_initiator_socket<Tbu, smmu::model::kBusWidth> downstream;        // translated traffic
  tlm_utils::simple_initiator_socket<Tbu, smmu::model::kBusWidth> dti;               // requests to the TCU
  tlm_utils::simple_target_socket<Tbu, smmu::model::kBusWidth> dti_inv;              // invalidations from the TCU

  Tbu(const sc_core::sc_module_name& name, const TbuParams& params = TbuParams{});

  const TbuParams& params() const { return params_; }
  const TbuStats& stats() const { return stats_; }
  unsigned ports() const { return static_cast<unsigned>(micro_tlbs_.size()); }
  // The SMMU port number of upstream binding `index`.
  unsigned port_id(unsigned index) const;
  MicroTlb& micro_tlb(unsigned index) { return *micro_tlbs_.at(index); }
  TbuMainTlb* main_tlb() { return main_tlb_.get(); }
  bool connected() const { return connected_; }
  const DtiGlobalState& global_state() const { return state_; }

  // DTI connect and disconnect (e.g. a power domain going down). A disconnected TBU is
  // sent no invalidations, so it empties its TLBs and revokes its DMI first; its next
  // miss connects again (one more round trip). TBUs connect at the start of simulation.
  void connect(sc_core::sc_time& delay);
  void disconnect(sc_core::sc_time& delay);

  void revoke_all_dmi();

  // Reports each transaction's steps (micro TLB, main TLB, DTI request, memory access)
  // to r (nullptr: nothing; step_recorder.h). Changes no time.
  void set_step_recorder(StepRecorder* r) { recorder_ = r; }
  // Adds token use and the cumulative TLB figures to a trace file (<name>.micro_tlb_hits,
  // ...). Before the simulation starts.
  void add_to_trace(sc_core::sc_trace_file* tf);

 private:
  struct Stream {
    uint32_t sid = 0, ssid = 0;
    bool ssv = false;
  };

  void start_of_simulation() override;
  void end_of_elaboration() override;

  void upstream_b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Approximately-timed initiators (tbu_at.cpp).
  tlm::tlm_sync_enum upstream_nb_transport_fw(int port, tlm::tlm_generic_payload& trans,
                                              tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void run_at_transaction(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time arrival);
  bool upstream_get_dmi(int port, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned upstream_transport_dbg(int port, tlm::tlm_generic_payload& trans);
  void downstream_invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  void dti_inv_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  // On every transaction: inline.
  Stream stream_of(int port, const tlm::tlm_generic_payload& trans, Access& access,
                   const StreamExtension** ext_out = nullptr) const {
    Stream s;
    access.write = trans.is_write();
    // The extension is ignorable: traffic without it is StreamID = port, no SubstreamID.
    const StreamExtension* ext = trans.get_extension<StreamExtension>();
    if (ext_out) *ext_out = ext;
    if (ext) {
      s.sid = ext->sid;
      s.ssid = ext->ssid;
      s.ssv = ext->ssv;
      access.priv = ext->privileged;
      // Every incoming write is Data, even if marked Instruction (IHI 0070 §13.1.2).
      access.exec = ext->instruction && !access.write;
    } else {
      s.sid = port_id(static_cast<unsigned>(port));
    }
    return s;
  }
  // The rest of a transaction once translated: refused, RAZ/WI, or sent downstream.
  void complete(tlm::tlm_generic_payload& trans, uint64_t va, const Translation& t,
                sc_core::sc_time& delay);
  void forward(tlm::tlm_generic_payload& trans, uint64_t va, uint64_t out_addr,
               unsigned size_shift, sc_core::sc_time& delay);
  Translation global_bypass(uint64_t va, bool probe);  // SMMUEN = 0: GBPA
  // DMI and debug lookups: the TLBs and the TCU without counting, filling or time.
  Translation probe(unsigned port, const Stream& s, uint64_t va, const Access& access);
  // A micro-TLB miss: the main TLB, then the TCU.
  Translation miss(unsigned port, const Stream& s, uint64_t va, const Access& access,
                   sc_core::sc_time& delay, bool probe);
  Translation hit(const MicroTlbEntry& e, const Stream& s, uint64_t va, const Access& access,
                  sc_core::sc_time delay, bool probe);
  // A permission fault on a hit, reported to the TCU; its answer says how it terminates.
  Translation report_fault(const MicroTlbEntry& e, const Stream& s, uint64_t va,
                           const Access& access, bool s2_denied, sc_core::sc_time delay);
  // A micro (and main) TLB miss: a DTI translation request, holding a token.
  Translation ask_tcu(unsigned port, const Stream& s, uint64_t va, const Access& access,
                      sc_core::sc_time& delay, bool probe);
  static DtiRequest request(DtiRequest::Kind kind, const Stream& s, const Access& access);
  // One DTI request; the link latency is added both ways.
  void send(DtiRequest& req, uint64_t addr, sc_core::sc_time& delay);
  bool admit_translated(const Stream& s, uint64_t addr, const Access& access,
                        uint64_t& out_addr, sc_core::sc_time& delay);
  // An invalidation or sync: when its acknowledgement reaches the TCU, from now.
  sc_core::sc_time acknowledge(const sc_core::sc_time& sent, const sc_core::sc_time& work);
  unsigned invalidate_if(const std::function<bool(const MicroTlbEntry&)>& pred);

  struct DmiGrant {
    unsigned port;
    uint32_t sid;
    uint64_t va_start, va_end, pa_start, pa_end;
  };
  void revoke_dmi_if(const std::function<bool(const DmiGrant&)>& pred);

  TbuParams params_;
  tlm::tlm_generic_payload dti_trans_;  // reused by send()
  sc_core::sc_time micro_tlb_time_, main_tlb_time_;
  std::vector<std::unique_ptr<MicroTlb>> micro_tlbs_;
  std::unique_ptr<TbuMainTlb> main_tlb_;
  std::unique_ptr<Occupancy> tokens_;
  DtiGlobalState state_;
  bool connected_ = false;
  sc_core::sc_time inv_busy_until_;  // when the last invalidation's work ends (absolute)
  std::vector<DmiGrant> dmi_grants_;
  TbuStats stats_;
  StepRecorder* recorder_ = nullptr;
};

// Binds a TBU's two DTI links to a TCU, so that both are the TCU's link i.
void bind_dti(Tbu& tbu, Tcu& tcu);

}  // namespace smmu::model
