// SPDX-License-Identifier: Apache-2.0
// sc_spawn needs the dynamic-process part of the SystemC header.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "rtl_model/pcie/ats_endpoint.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "rtl_model/protocol/ats_protocol.h"
#include "rtl_model/protocol/stream_extension.h"

namespace smmu::model {

using sc_core::sc_time;
using Status = AtsTranslationRequest::Status;

namespace {

constexpr unsigned kPageShift = 12;       // PCIe requests never cross 4 KiB
constexpr unsigned kCommandBytes = 16;    // an ATC_INV message: the command's two words
constexpr unsigned kCompletionBytes = 8;  // one translation in a Translation Completion

const AtsEndpointParams& checked(const AtsEndpointParams& p) {
  validate_ats_endpoint_params(p);
  return p;
}

// The Priv and Exe an access has on PCIe: they are PASID prefix bits, and Execute
// Requested is for reads only (IHI 0070 §13.7).
bool pcie_priv(bool ssv, bool privileged) { return ssv && privileged; }
bool pcie_exec(bool ssv, bool write, bool instruction) { return ssv && instruction && !write; }

uint64_t load_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

void validate_ats_endpoint_params(const AtsEndpointParams& p) {
  validate_atc_params(p.atc);
  for (size_t i = 0; i < p.traffic.size(); ++i) {
    validate_traffic_stream(p.traffic[i], i);
    if (p.traffic[i].sid != p.sid)
      throw std::invalid_argument("traffic stream " + std::to_string(i) + ": 'sid' (" +
                                  std::to_string(p.traffic[i].sid) +
                                  ") must equal the endpoint's sid (" + std::to_string(p.sid) +
                                  ")");
  }
  if (p.latency_histogram_ns == 0)
    throw std::invalid_argument("'latency_histogram_ns' must be > 0");
}

// The payloads (and their extensions) one thread reuses for its transactions.
struct AtsEndpoint::Context {
  Context() {
    dma_gp.set_extension(&ext);
    ats_gp.set_extension(&req);
  }
  ~Context() {  // the extensions are ours, not the payloads' to delete
    dma_gp.clear_extension(&ext);
    ats_gp.clear_extension(&req);
  }

  tlm::tlm_generic_payload dma_gp;
  StreamExtension ext;
  tlm::tlm_generic_payload ats_gp;
  AtsTranslationRequest req;
  unsigned char completion[kCompletionBytes] = {};
  std::vector<uint8_t> scratch;
};

struct AtsEndpoint::Stream {
  Stream(const TrafficStream& c, unsigned histogram_ns)
      : cfg(c),
        seq(c),
        stats(histogram_ns),
        next_issue(c.start_time),
        free_at(c.outstanding, c.start_time),
        data(c.size) {}

  TrafficStream cfg;
  StreamSequence seq;
  TrafficStats stats;
  sc_time next_issue;            // earliest issue allowed by the gap
  std::vector<sc_time> free_at;  // per outstanding slot: when it can issue again
  sc_time last_completion;
  Context ctx;
  std::vector<uint8_t> data;
};

AtsEndpoint::AtsEndpoint(sc_core::sc_module_name name, const AtsEndpointParams& params)
    : sc_module(name),
      dma("dma"),
      ats("ats"),
      inv("inv"),
      params_(checked(params)),
      atc_(params_.atc) {
  inv.register_b_transport(this, &AtsEndpoint::inv_b_transport);
  for (size_t i = 0; i < params_.traffic.size(); ++i) {
    streams_.push_back(
        std::make_unique<Stream>(params_.traffic[i], params_.latency_histogram_ns));
    Stream* s = streams_.back().get();
    ++live_streams_;
    const std::string thread = "stream" + std::to_string(i);
    sc_core::sc_spawn([this, s]() { run_stream(*s); }, thread.c_str());
  }
  finished_ = live_streams_ == 0;
}

AtsEndpoint::~AtsEndpoint() = default;

const TrafficStats& AtsEndpoint::stream_stats(size_t i) const {
  if (i >= streams_.size())
    throw std::out_of_range("ats endpoint: no stream " + std::to_string(i));
  return streams_[i]->stats;
}

TrafficStats AtsEndpoint::total_stats() const {
  TrafficStats total(params_.latency_histogram_ns);
  for (const auto& s : streams_) total.merge(s->stats);
  return total;
}

void AtsEndpoint::set_ats_enabled(bool on) {
  if (!on) atc_.clear();
  params_.ats_enabled = on;
}

DmaOutcome AtsEndpoint::dma_access(const DmaAccess& access, sc_time& delay) {
  Context ctx;
  return transact(ctx, access, delay);
}

std::optional<uint64_t> AtsEndpoint::translate_cached(uint32_t ssid, bool ssv, uint64_t addr,
                                                      bool write, bool privileged,
                                                      bool instruction) const {
  const std::optional<AtcEntry> e = atc_.probe(ssid, ssv, pcie_priv(ssv, privileged), addr);
  if (!e || !e->allows(write, pcie_exec(ssv, write, instruction))) return std::nullopt;
  return e->translate(addr);
}

DmaOutcome AtsEndpoint::transact(Context& ctx, const DmaAccess& a, sc_time& delay) {
  if (a.size == 0) throw std::invalid_argument("ats endpoint: DMA access of size 0");
  DmaOutcome out;
  const uint64_t last = a.address + (a.size - 1);
  const bool crosses = last < a.address || ((a.address ^ last) >> kPageShift) != 0;
  bool translated = false;
  uint64_t address = a.address;
  if (params_.ats_enabled && crosses) {
    ++stats_.page_crossings;
  } else if (params_.ats_enabled) {
    delay += atc_.lookup_time();
    const AtcEntry* e = atc_.lookup(a.ssid, a.ssv, pcie_priv(a.ssv, a.privileged), a.address);
    if (e && e->allows(a.write, pcie_exec(a.ssv, a.write, a.instruction))) {
      ++stats_.atc_hits;
      translated = true;
      address = e->translate(a.address);
    } else {
      ++stats_.atc_misses;
      out.translation_requested = true;
      const std::optional<uint64_t> t = request_translation(ctx, a, delay);
      translated = t.has_value();
      if (translated) address = *t;
    }
  }
  send(ctx, a, translated, address, out, delay);

  ++stats_.transactions;
  if (out.status == tlm::TLM_OK_RESPONSE)
    stats_.bytes += a.size;
  else
    ++stats_.faults;
  return out;
}

std::optional<uint64_t> AtsEndpoint::request_translation(Context& ctx, const DmaAccess& a, sc_time& delay) {
  ++stats_.translation_requests;
  AtsTranslationRequest& r = ctx.req;
  r = AtsTranslationRequest();
  r.sid = params_.sid;
  r.ssv = a.ssv;
  r.ssid = a.ssv ? a.ssid : 0;
  r.no_write = !a.write;
  r.priv = pcie_priv(a.ssv, a.privileged);
  r.exec = pcie_exec(a.ssv, a.write, a.instruction);

  // A Translation Request is a read of the completion data, for the 4 KiB page.
  tlm::tlm_generic_payload& gp = ctx.ats_gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(a.address & ~((uint64_t{1} << kPageShift) - 1));
  gp.set_data_ptr(ctx.completion);
  gp.set_data_length(kCompletionBytes);
  gp.set_streaming_width(kCompletionBytes);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_byte_enable_length(0);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);

  // Half the round trip to the root complex, the SMMU's time, the other half back.
  const sc_time there = sc_time::from_value(params_.pcie_round_trip.value() / 2);
  delay += there;
  ats->b_transport(gp, delay);
  delay += params_.pcie_round_trip - there;

  // UR, no access, an error response or a malformed size: nothing to cache.
  if (!gp.is_response_ok() || r.status != Status::kSuccess || !(r.read || r.write) ||
      r.size_shift < kPageShift || r.size_shift > 63) {
    ++stats_.translation_failures;
    return std::nullopt;
  }
  AtcEntry e;
  e.ssv = r.ssv;
  e.ssid = r.ssid;
  e.untranslated = a.address;
  e.size_shift = r.size_shift;
  e.translated = r.translated;
  e.read = r.read;
  e.write = r.write;
  e.priv = r.entry_priv;
  e.exec = r.exe && r.exec;  // never granted unasked (§13.7)
  atc_.insert(e);
  // E.g. read-only for a write, or no Exe for a fetch: the SMMU decides (and faults). An
  // answer for the other privilege level (a misbehaving host) serves no access of ours.
  if (e.priv != r.priv || !e.allows(a.write, r.exec)) {
    ++stats_.translation_failures;
    return std::nullopt;
  }
  e.translated &= ~e.span_mask();
  return e.translate(a.address);
}

void AtsEndpoint::send(Context& ctx, const DmaAccess& a, bool translated, uint64_t address,
                       DmaOutcome& out, sc_time& delay) {
  uint8_t* data = a.data;
  if (!data) {
    if (ctx.scratch.size() < a.size) ctx.scratch.resize(a.size);
    data = ctx.scratch.data();
  }
  tlm::tlm_generic_payload& gp = ctx.dma_gp;
  gp.set_command(a.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(address);
  gp.set_data_ptr(data);
  gp.set_data_length(a.size);
  gp.set_streaming_width(a.size);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_byte_enable_length(0);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // Reset every field: a target may have changed them.
  ctx.ext.sid = params_.sid;
  ctx.ext.ssid = a.ssv ? a.ssid : 0;
  ctx.ext.ssv = a.ssv;
  ctx.ext.ats_translated = translated;
  ctx.ext.privileged = a.privileged;
  ctx.ext.instruction = a.instruction;

  dma->b_transport(gp, delay);
  out.status = gp.get_response_status();
  out.ats_translated = translated;
  out.sent_address = address;
  translated ? ++stats_.translated_sent : ++stats_.untranslated_sent;
}

void AtsEndpoint::run_stream(Stream& s) {
  if (params_.start_gate && !gate_open_) {
    sc_core::wait(*params_.start_gate);
    if (!gate_open_) {
      gate_open_ = true;
      const sc_time t = sc_core::sc_time_stamp();
      for (auto& st : streams_) {
        st->next_issue += t;
        for (sc_time& f : st->free_at) f += t;
      }
    }
  }
  const sc_time& quantum = params_.quantum;
  // The next multiple of the quantum after now (now itself with a zero quantum): the
  // thread runs ahead of simulated time until an issue reaches it.
  auto sync_point = [&quantum]() {
    const sc_time now = sc_core::sc_time_stamp();
    return quantum == sc_core::SC_ZERO_TIME ? now : now + (quantum - now % quantum);
  };
  sc_time next_sync = sync_point();
  while (!s.seq.done()) {
    const auto slot = std::min_element(s.free_at.begin(), s.free_at.end());  // lowest on ties
    const sc_time issue = std::max({*slot, s.next_issue, sc_core::sc_time_stamp()});
    if (issue >= next_sync) {
      sc_core::wait(issue - sc_core::sc_time_stamp());
      next_sync = sync_point();
    }

    const PlannedAccess p = s.seq.next();
    s.next_issue = issue + s.cfg.gap;
    DmaAccess a;
    a.ssid = s.cfg.ssid;
    a.ssv = s.cfg.ssv;
    a.address = p.address;
    a.write = p.write;
    a.size = s.cfg.size;
    a.privileged = s.cfg.privileged;
    a.instruction = s.cfg.instruction;
    a.data = s.data.data();
    if (a.write)
      for (unsigned j = 0; j < a.size; ++j) s.data[j] = traffic_pattern_byte(s.cfg.sid, a.address + j);

    sc_time delay = issue - sc_core::sc_time_stamp();
    const DmaOutcome out = transact(s.ctx, a, delay);
    const sc_time completion = sc_core::sc_time_stamp() + delay;
    const sc_time latency = completion - issue;
    *slot = completion;
    s.last_completion = std::max(s.last_completion, completion);
    last_end_ = std::max(last_end_, completion);
    s.stats.record(a.write, a.size, out.status, issue, completion);
    if (on_complete) on_complete(a, out, latency);
  }
  // Catch up with the last completion, so that the simulation (and done_event) reaches
  // the end of the traffic.
  const sc_time now = sc_core::sc_time_stamp();
  if (s.last_completion > now) sc_core::wait(s.last_completion - now);
  if (--live_streams_ == 0) {
    finished_ = true;
    done_event_.notify();
  }
}

void AtsEndpoint::inv_b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  ++stats_.inv_messages;
  if (trans.get_command() != tlm::TLM_WRITE_COMMAND) {
    trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (trans.get_data_length() != kCommandBytes || trans.get_streaming_width() < kCommandBytes ||
      !trans.get_data_ptr()) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  const unsigned char* p = trans.get_data_ptr();
  const arch::Command c = arch::Command::from_words(load_le64(p), load_le64(p + 8));
  if (c.opcode() != arch::Opcode::kAtcInv || c.sid() != params_.sid) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);  // not this function's
    return;
  }
  ++stats_.invalidations_received;
  atc_.invalidate(c);
  if (!params_.answer_invalidations) {
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    return;
  }
  ++stats_.invalidation_answers;
  delay += params_.pcie_round_trip;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace smmu::model
