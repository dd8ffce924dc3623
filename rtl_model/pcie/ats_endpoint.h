// SPDX-License-Identifier: Apache-2.0
// An ATS-capable PCIe endpoint (one function, one StreamID): it performs configured DMA
// streams through an SMMU upstream port, translating through its ATC with ATS
// Translation Requests, and answers the SMMU's ATC invalidations (ats_protocol.h).
//
// Per DMA transaction (ats_enabled):
//   1. ATC lookup (AtcParams::lookup) for the access's PASID and privilege level. A hit
//      whose permission allows the access (Exe for an instruction fetch) sends it
//      pre-translated: StreamExtension::ats_translated = true, address = translated.
//   2. Otherwise a Translation Request on `ats` (NW = the access is a read; Priv/Exe
//      from the stream) plus the PCIe round trip. A success granting the access is cached
//      and the access goes pre-translated. A success granting something (e.g. read only
//      for a write) is cached too, but this access goes untranslated; so does one after
//      a completion with no access, UR, or an error response: the SMMU then translates
//      it, and faults it if it must.
// Priv and Exe exist only in the PASID prefix, and Exe only on reads (IHI 0070 §13.7):
// without a PASID the ATS side of an access is unprivileged data, whatever the stream
// says (its StreamExtension still carries the stream's attributes).
// An access that crosses a 4 KiB boundary cannot be covered by one translation (PCIe
// requests never cross one): it goes untranslated without a lookup. With
// ats_enabled = false every access goes untranslated without a lookup.
//
// Streams: each TrafficStream runs in one thread that keeps `outstanding` slots: the next
// access is issued when the earliest slot is free (and no sooner than previous issue +
// gap), so with non-blocking targets a stream with N outstanding issues N accesses per
// latency, as the traffic generator does. Accesses are issued in time order; the thread
// runs ahead of simulated time up to the next multiple of `quantum` (temporal
// decoupling). A target that blocks (wait() in b_transport) holds the whole stream.
//
// Invalidations are applied when they arrive, at the SMMU's (local) time: with temporal
// decoupling, a DMA thread that ran ahead may already have used an entry the
// invalidation removes, by at most one quantum (the usual loosely-timed trade-off).
// ATC_INV messages are handled whatever ats_enabled says (the ATC is then empty). The
// endpoint never uses DMI.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "rtl_model/mem/traffic_stats.h"
#include "rtl_model/mem/traffic_stream.h"
#include "rtl_model/pcie/atc.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

struct AtsEndpointParams {
  uint32_t sid = 0;  // the function's StreamID (Requester ID as the SMMU sees it)
  AtcParams atc;
  // The link round trip of one PCIe request and its completion (link and switch hops,
  // both directions). A Translation Request is charged half before it reaches the SMMU
  // and half after its answer; an invalidation's completion is charged all of it.
  sc_core::sc_time pcie_round_trip{500, sc_core::SC_NS};
  bool ats_enabled = true;  // false: no ATC, every access untranslated
  // false: invalidations are applied but never answered (TLM_INCOMPLETE_RESPONSE), so
  // the SMMU's CMD_SYNC times out (for tests of that path).
  bool answer_invalidations = true;
  // Temporal decoupling of the DMA threads; zero syncs before every access.
  sc_core::sc_time quantum{1, sc_core::SC_US};
  // The DMA the endpoint performs; every stream's sid must equal `sid`.
  std::vector<TrafficStream> traffic;
  unsigned latency_histogram_ns = TrafficStats::kDefaultHistogramNs;
  // As GeneratorParams::start_gate: traffic waits for it; start times count from it.
  const sc_core::sc_event* start_gate = nullptr;
};

// Throws std::invalid_argument naming the bad key (e.g. "traffic stream 1: 'sid' (5) must
// equal the endpoint's sid (3)", "atc.sets (3) must be a power of two").
void validate_ats_endpoint_params(const AtsEndpointParams& p);

struct AtsEndpointStats {
  uint64_t transactions = 0;          // DMA transactions completed (errors included)
  uint64_t bytes = 0;                 // of successful ones
  uint64_t translated_sent = 0;       // sent pre-translated
  uint64_t untranslated_sent = 0;     // sent for the SMMU to translate
  uint64_t faults = 0;                // DMA responses other than TLM_OK_RESPONSE
  uint64_t page_crossings = 0;        // accesses crossing 4 KiB (sent untranslated)
  uint64_t translation_requests = 0;  // Translation Requests sent
  uint64_t translation_failures = 0;  // requests that did not allow the access
  uint64_t atc_hits = 0;              // lookups that found an entry allowing the access
  uint64_t atc_misses = 0;            // lookups that did not (they send a request)
  uint64_t inv_messages = 0;          // invalidation messages seen, whatever they were
  uint64_t invalidations_received = 0;  // ATC_INV for this StreamID
  uint64_t invalidation_answers = 0;    // of those, answered (TLM_OK_RESPONSE)
};

// One DMA transaction for AtsEndpoint::dma_access.
struct DmaAccess {
  uint32_t ssid = 0;
  bool ssv = false;
  uint64_t address = 0;  // untranslated
  bool write = false;
  unsigned size = 64;    // bytes, > 0
  bool privileged = false;
  bool instruction = false;
  uint8_t* data = nullptr;  // size bytes; nullptr: an internal buffer (zeros written)
};

struct DmaOutcome {
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
  bool ats_translated = false;       // sent pre-translated
  uint64_t sent_address = 0;         // the address put on the dma socket
  bool translation_requested = false;
};

class AtsEndpoint : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<AtsEndpoint, smmu::model::kBusWidth> dma;  // to an SMMU upstream port
  tlm_utils::simple_initiator_socket<AtsEndpoint, smmu::model::kBusWidth> ats;  // to the SMMU's ats socket
  tlm_utils::simple_target_socket<AtsEndpoint, smmu::model::kBusWidth> inv;     // from the SMMU's ats_inv socket

  // Called for every completed stream transaction with its latency (issue to
  // completion), from the stream's thread. Must not wait.
  std::function<void(const DmaAccess&, const DmaOutcome&, sc_core::sc_time)> on_complete;

  // Throws std::invalid_argument naming the bad key of bad parameters.
  AtsEndpoint(sc_core::sc_module_name name, const AtsEndpointParams& params);
  ~AtsEndpoint() override;

  const AtsEndpointParams& params() const { return params_; }
  uint32_t sid() const { return params_.sid; }
  // The ATS capability's Enable bit, as software writes it in config space. Clearing it
  // empties the ATC (the function may not use translations it got while enabled).
  void set_ats_enabled(bool on);
  bool ats_enabled() const { return params_.ats_enabled; }
  Atc& atc() { return atc_; }
  const Atc& atc() const { return atc_; }
  const AtsEndpointStats& stats() const { return stats_; }

  size_t stream_count() const { return streams_.size(); }
  const TrafficStats& stream_stats(size_t i) const;
  TrafficStats total_stats() const;
  // True once every stream has completed all its transactions; done_event() is notified
  // then, at the completion time of the last one.
  bool finished() const { return finished_; }
  const sc_core::sc_event& done_event() const { return done_event_; }
  sc_core::sc_time last_end_time() const { return last_end_; }

  // Host-side API. One DMA transaction through the full ATS flow, from a SystemC thread
  // (the sockets' targets may wait); adds its time to delay (local time offset) and
  // counts into stats(). Throws std::invalid_argument for size 0.
  DmaOutcome dma_access(const DmaAccess& access, sc_core::sc_time& delay);
  // The address a pre-translated access would use now, without counting or timing;
  // nullopt when the ATC holds no entry allowing it (privileged / instruction as in
  // DmaAccess).
  std::optional<uint64_t> translate_cached(uint32_t ssid, bool ssv, uint64_t addr, bool write,
                                           bool privileged = false,
                                           bool instruction = false) const;

 private:
  struct Context;
  struct Stream;

  DmaOutcome transact(Context& ctx, const DmaAccess& a, sc_core::sc_time& delay);
  // The address to send pre-translated, or nullopt when the answer does not allow it.
  std::optional<uint64_t> request_translation(Context& ctx, const DmaAccess& a,
                                              sc_core::sc_time& delay);
  void send(Context& ctx, const DmaAccess& a, bool translated, uint64_t address,
            DmaOutcome& out, sc_core::sc_time& delay);
  void run_stream(Stream& s);
  bool gate_open_ = false;
  void inv_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  AtsEndpointParams params_;
  Atc atc_;
  AtsEndpointStats stats_;
  std::vector<std::unique_ptr<Stream>> streams_;
  unsigned live_streams_ = 0;
  bool finished_ = false;
  sc_core::sc_event done_event_;
  sc_core::sc_time last_end_;
};

}  // namespace smmu::model
