// SPDX-License-Identifier: Apache-2.0
// The Translation Control Unit: the SMMU's shared part. Registers behind an MMIO socket,
// the command and event queues, config fetch and config cache, the TCU's TLB, walk cache
// and table walker with their slots, the ATS translation service for PCIe root
// complexes, and interrupts. TBUs (tbu.h) ask it for translations over their DTI links
// (dti_protocol.h) and it sends them every invalidation, and a sync before a CMD_SYNC
// completes. Its own memory accesses (STE, CD, descriptors, queues, events, MSIs) leave
// on the walk socket. Loosely timed: every step adds its cost to the annotated delay;
// nothing on the translation path waits.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "rtl_model/protocol/ats_protocol.h"
#include "rtl_model/protocol/dti_protocol.h"
#include "rtl_model/smmu/config_fetch.h"
#include "rtl_model/smmu/event_queue.h"
#include "rtl_model/smmu/invalidation.h"
#include "rtl_model/smmu/memory_port.h"
#include "rtl_model/smmu/occupancy.h"
#include "rtl_model/smmu/register_file.h"
#include "rtl_model/smmu/smmu_params.h"
#include "rtl_model/smmu/step_recorder.h"
#include "rtl_model/smmu/table_walker.h"
#include "rtl_model/smmu/tlb.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

struct SmmuStats {
  uint64_t transactions = 0;      // device transactions received upstream
  uint64_t bytes = 0;
  uint64_t bypassed = 0;          // SMMUEN = 0 with GBPA bypass, or STE bypass
  uint64_t aborted = 0;           // terminated without an event (GBPA or STE abort, or
                                  // a fault whose record CD.R / STE.S2R = 0 suppressed)
  uint64_t faults = 0;            // terminated with an event
  uint64_t faults_unrecorded = 0; // faults whose record CD.R or STE.S2R = 0 suppressed
  uint64_t raz_wi = 0;            // stage-1 faults completed RAZ/WI (CD.A = 0), recorded or not
  uint64_t boundary_errors = 0;   // transactions crossing their translation's page
  uint64_t micro_tlb_hits = 0, micro_tlb_misses = 0;
  uint64_t main_tlb_hits = 0, main_tlb_misses = 0;
  uint64_t walks = 0;             // table walks started
  uint64_t walk_reads = 0;        // descriptor reads of those walks
  uint64_t events = 0;            // event records written
  uint64_t events_lost = 0;       // not written: queue disabled, full or aborted
  uint64_t evtq_irqs = 0, gerror_irqs = 0;  // interrupts signalled (wired or MSI)
  uint64_t dmi_grants = 0, dmi_revocations = 0;
  // ATS
  uint64_t ats_requests = 0;        // translation requests answered
  uint64_t ats_unsupported = 0;     // answered UR (ATS not allowed for the stream)
  uint64_t ats_no_access = 0;       // answered with no access (the translation failed)
  uint64_t ats_translated = 0;      // pre-translated transactions passed through
  uint64_t ats_translated_refused = 0;  // pre-translated transactions refused (EATS)
};

struct CommandStats {
  uint64_t by_opcode[256] = {};   // commands executed, by opcode
  uint64_t executed = 0;
  uint64_t fetches = 0;           // queue reads (each up to command_fetch_batch commands)
  uint64_t syncs = 0;
  sc_core::sc_time sync_latency_total, sync_latency_max;  // PROD write -> completion
  uint64_t errors_ill = 0, errors_abt = 0, errors_atc_inv_sync = 0;
  uint64_t tlb_entries_invalidated = 0, walk_entries_invalidated = 0;
  uint64_t config_entries_invalidated = 0;
  uint64_t atc_inv_sent = 0;       // ATC_INV messages an endpoint accepted
  uint64_t atc_inv_timeouts = 0;   // ... that were not answered in time
  // Commands executed per queue: [0] the CMDQ, [1 + n] ECMDQ n (the counts above are
  // summed over the queues).
  std::vector<uint64_t> by_queue;
};

class Tcu : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Tcu, smmu::model::kBusWidth> mmio;                  // the 192 KiB register window
  tlm_utils::simple_initiator_socket<Tcu, smmu::model::kBusWidth> walk;               // the TCU's own accesses
  // DTI (see dti_protocol.h): link i of both sockets is one TBU (bind with bind_dti).
  tlm_utils::multi_passthrough_target_socket<Tcu, smmu::model::kBusWidth, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND> dti;
  tlm_utils::multi_passthrough_initiator_socket<Tcu, smmu::model::kBusWidth, tlm::tlm_base_protocol_types, 0,
                                                sc_core::SC_ZERO_OR_MORE_BOUND> dti_inv;
  // ATS (see ats_protocol.h): translation requests in, ATC invalidations out. Both may
  // be left unbound when no ATS endpoint is attached.
  tlm_utils::multi_passthrough_target_socket<Tcu, smmu::model::kBusWidth, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND> ats;
  tlm_utils::multi_passthrough_initiator_socket<Tcu, smmu::model::kBusWidth, tlm::tlm_base_protocol_types, 0,
                                                sc_core::SC_ZERO_OR_MORE_BOUND> ats_inv;
  // Wired interrupts: one-cycle pulses (used when no MSI address is programmed). Ports:
  // bind a platform's own sc_signal<bool> (or a parent module's port); a port left
  // unbound drives a signal of the TCU's own, so an SMMU needs no interrupt wiring.
  sc_core::sc_out<bool> evtq_irq;
  sc_core::sc_out<bool> gerror_irq;
  sc_core::sc_out<bool> cmd_sync_irq;  // CMD_SYNC with CS = IRQ and no MSI address

  SC_HAS_PROCESS(Tcu);
  Tcu(const sc_core::sc_module_name& name, const SmmuParams& params = SmmuParams{});

  const SmmuParams& params() const { return params_; }
  RegisterFile& registers() { return regs_; }
  const RegisterFile& registers() const { return regs_; }
  const SmmuStats& stats() const { return stats_; }
  const CommandStats& command_stats() const { return cmd_stats_; }
  // Notified when a CMD_SYNC with CS = SEV completes (the platform's WFE wake-up).
  const sc_core::sc_event& sev_event() const { return sev_; }
  const ConfigFetchStats& config_stats() const { return config_.stats(); }
  MainTlb& main_tlb() { return main_tlb_; }
  WalkCache& walk_cache() { return walk_cache_; }
  ConfigCache& config_cache() { return config_cache_; }
  // DTI links and whether each one's TBU is connected.
  unsigned dti_links() const { return static_cast<unsigned>(connected_.size()); }
  bool dti_connected(unsigned link) const { return connected_.at(link); }
  const Occupancy& translation_slots() const { return translation_slots_; }
  const Occupancy& walk_slots() const { return walk_slots_; }

  // Tells every connected TBU to revoke its upstream DMI (e.g. when translation may
  // have changed).
  void revoke_all_dmi();

  // Reports translation steps, PROD writes and the command engine's batches and
  // commands to r (nullptr: nothing; step_recorder.h). Changes no time.
  void set_step_recorder(StepRecorder* r);
  // Adds the queue pointers, slot occupancy and cumulative TLB figures to a trace file
  // (named after this module: <name>.cmdq_prod, ...). Before the simulation starts.
  void add_to_trace(sc_core::sc_trace_file* tf);

 private:
  struct Stream {
    uint32_t sid = 0, ssid = 0;
    bool ssv = false;
  };
  // kTransaction: device traffic (counts, occupies slots, fills every TLB, records
  // events). kAts: a translation request (as a transaction, but no micro TLB and no
  // translation-fault events: the answer says "no access"). kProbe (DMI and debug):
  // looks without occupying slots, counting, filling or recording.
  enum class Mode { kTransaction, kAts, kProbe };

  void before_end_of_elaboration() override;
  void end_of_elaboration() override;

  void dti_b_transport(int link, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void walk_invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  void ats_b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // A pre-translated (ATS) transaction with CR0.ATSCHK = 1: passed, checked or refused
  // per STE.EATS.
  bool admit_translated(const Stream& s, uint64_t addr, const Access& access,
                        uint64_t& out_addr, sc_core::sc_time& delay);
  void mmio_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned mmio_transport_dbg(tlm::tlm_generic_payload& trans);

  // A TBU's miss: config, TLB, walk. With an answer (device traffic), its entry is set
  // (cacheable) when the TBU may cache the translation.
  Translation translate(const Stream& s, uint64_t va, const Access& access,
                        sc_core::sc_time& delay, Mode mode, DtiRequest* answer);
  // The stream's configuration; on failure `failed` is the abort or fault to return.
  bool resolve_config(const Stream& s, uint64_t va, const Access& access, StreamConfig& cfg,
                      Translation& failed, sc_core::sc_time& delay, Mode mode);
  Translation lookup_or_walk(const Stream& s, const StreamConfig& cfg, uint64_t va,
                             const Access& access, sc_core::sc_time& delay, Mode mode,
                             DtiRequest* answer);
  Translation walk_and_fill(const Stream& s, const StreamConfig& cfg, uint64_t va,
                            const Access& access, sc_core::sc_time& delay, Mode mode,
                            DtiRequest* answer);
  Translation hit(const TlbEntry& e, const FaultConfig& faults, const Stream& s, uint64_t va,
                  const Access& access, sc_core::sc_time delay, Mode mode);
  StreamTableConfig stream_table() const;
  static TlbEntry entry_from_walk(const StreamConfig& cfg, uint64_t va, const WalkResult& w);
  static void set_fill(DtiRequest* answer, const Stream& s, const StreamConfig& cfg,
                       const TlbEntry& e);

  // Faults: the event record is written in parallel with the abort response, so its
  // memory time does not add to the transaction's delay. A Translation-related fault of
  // a stage follows that stage's fault configuration `faults` (record or not; for stage
  // 1, abort or RAZ/WI); without one (nullptr) the fault is recorded and aborts.
  Translation fault(arch::EventRecord ev, const Stream& s, uint64_t va, const Access& access,
                    sc_core::sc_time delay, Mode mode, const FaultConfig* faults);
  static arch::EventId event_of(FaultType f);
  void record_event(const arch::EventRecord& ev, sc_core::sc_time delay);
  enum class Irq { kEvtq, kGerror };
  void signal_irq(Irq irq, sc_core::sc_time delay);
  void raise_gerror(uint32_t mask, sc_core::sc_time delay);
  void install_register_hooks();

  void pulse(sc_core::sc_out<bool>& line, sc_core::sc_event& set, sc_core::sc_event& clear);
  // The signals behind interrupt ports nobody bound.
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> unbound_irq_lines_;
  void evtq_irq_method();
  void gerror_irq_method();
  void cmd_sync_irq_method();

  // --- the command engine (tcu_commands.cpp). It serves queue 0, the CMDQ, and queue
  // 1 + n, ECMDQ n: round robin between those with work, one fetch batch a turn.
  void command_thread();
  // Runs commands until no queue has any (each empty, disabled, or stopped by an error).
  void drain_command_queues();
  // One turn of queue q: a fetch of up to command_fetch_batch commands, run in order.
  void serve_batch(unsigned q);
  unsigned num_queues() const { return static_cast<unsigned>(queues_.size()); }
  // Software lets the queue run (CR0.CMDQEN; ECMDQ_PROD.EN).
  bool queue_enabled(unsigned q) const;
  // Enabled, not stopped by an error and not empty.
  bool queue_has_work(unsigned q) const;
  arch::reg::QueueBase queue_base(unsigned q) const;
  uint32_t queue_prod(unsigned q) const;
  uint32_t queue_cons(unsigned q) const;
  void advance_cons(unsigned q, unsigned log2size);
  // Executes one command; its time is added to delay. Not kNone: why it failed.
  arch::reg::CmdqError execute_command(const arch::Command& c, sc_core::sc_time& delay);
  void send_atc_invalidation(const arch::Command& c, sc_core::sc_time& delay);
  void stop_command_queue(unsigned q, arch::reg::CmdqError err);
  // An ECMDQ whose EN software cleared: acknowledged unless the engine is inside it.
  void settle_ecmdq_disable(unsigned n);
  void invalidate_tlbs(const TlbInvalidation& inv, sc_core::sc_time& delay);
  void invalidate_config(const ConfigInvalidation& inv, sc_core::sc_time& delay);
  void prefetch(const arch::Command& c, sc_core::sc_time& delay);
  // false: an ATC invalidation was not answered in time (ATC_INV_SYNC).
  bool complete_sync(const arch::Command& c, sc_core::sc_time& delay);
  sc_core::sc_time scan_time() const;
  void note_prod_write(unsigned q, sc_core::sc_time delay);

  // --- DTI: the TCU's side of its TBU links
  DtiGlobalState global_state() const;
  // smmuv3/dti at debug: a translation's answer to the TBU on `link`.
  void log_dti_answer(int link, const Stream& s, uint64_t va, const Translation& t, const sc_core::sc_time& delay);
  // Sends msg to the TBU of `link` at delay from now; returns the TBU's answer time.
  sc_core::sc_time send_dti(unsigned link, DtiMessage& msg, sc_core::sc_time delay);
  void broadcast_global_state(bool revoke_dmi);
  // Sends an invalidation to every connected TBU; returns the entries they removed.
  unsigned broadcast_invalidation(DtiMessage& msg, const sc_core::sc_time& delay);
  // The time (from now) by which every TBU sent invalidations has acknowledged a sync.
  sc_core::sc_time sync_tbus(const sc_core::sc_time& delay);

  SmmuParams params_;
  sc_core::sc_time link_time_, main_tlb_time_, register_time_;
  RegisterFile regs_;
  MemoryPort mem_;
  WalkCache walk_cache_;
  TableWalker walker_;
  TableWalker probe_walker_;  // DMI and debug lookups: walks that leave the walk cache alone
  ConfigCache config_cache_;
  ConfigFetcher config_;
  EventQueue evtq_;
  MainTlb main_tlb_;
  Occupancy translation_slots_, walk_slots_;
  std::vector<bool> connected_;     // per DTI link
  std::vector<bool> inv_pending_;   // per DTI link: invalidations sent since its last sync
  SmmuStats stats_;
  sc_core::sc_event evtq_irq_set_, evtq_irq_clear_, gerror_irq_set_, gerror_irq_clear_;
  sc_core::sc_event cmd_sync_irq_set_, cmd_sync_irq_clear_, sev_;
  sc_core::sc_event cmdq_kick_;
  CommandStats cmd_stats_;
  // Per queue the engine serves: commands made visible by PROD writes (running count of
  // commands, write time), so a CMD_SYNC's latency can be measured from the PROD write
  // that published it.
  struct QueueTrack {
    std::deque<std::pair<uint64_t, sc_core::sc_time>> published;
    uint64_t published_total = 0, consumed_total = 0;
    uint32_t last_prod = 0;
    bool live = false;  // an ECMDQ: enabled since its last PROD write
  };
  std::vector<QueueTrack> queues_;
  unsigned rr_next_ = 0;   // the queue whose turn comes next
  int serving_ = -1;       // the queue the engine is inside, -1 between turns
  // ATC_INVs in flight, each with the queue that issued it: a CMD_SYNC waits for its
  // own queue's (IHI 0070 §3.5.6.1), so an unanswered one fails that queue's SYNC.
  struct PendingAtcInv {
    sc_core::sc_time issued, done;
    bool answered;
    int queue;
  };
  std::vector<PendingAtcInv> pending_atc_inv_;
  StepRecorder* recorder_ = nullptr;
  // A wait for a slot as a step, when there was one.
  void slot_wait_step(const char* name, const sc_core::sc_time& before, const sc_core::sc_time& after) const {
    if (recorder_ && after > before) {
      recorder_->begin(name, sc_core::sc_time_stamp() + before);
      recorder_->end(sc_core::sc_time_stamp() + after);
    }
  }
};

}  // namespace smmu::model
