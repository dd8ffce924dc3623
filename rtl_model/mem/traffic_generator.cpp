// SPDX-License-Identifier: Apache-2.0
// sc_spawn needs the dynamic-process part of the SystemC header.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "rtl_model/mem/traffic_generator.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <tlm_utils/tlm_quantumkeeper.h>

#include "rtl_model/protocol/stream_extension.h"

namespace smmu::model {

namespace {

// A quantum keeper on the generator's own quantum, aligned to its multiples in
// simulated time the way tlm_global_quantum aligns the global one.
class GeneratorQuantumKeeper : public tlm_utils::tlm_quantumkeeper {
 public:
  explicit GeneratorQuantumKeeper(const sc_core::sc_time& quantum) : quantum_(quantum) {}

 protected:
  sc_core::sc_time compute_local_quantum() override {
    if (quantum_ == sc_core::SC_ZERO_TIME) return sc_core::SC_ZERO_TIME;
    return quantum_ - (sc_core::sc_time_stamp() % quantum_);
  }

 private:
  sc_core::sc_time quantum_;
};

// DMI regions kept per stream (memory grants 1 MiB each, an SMMU a page); searched
// linearly, newest first.
constexpr size_t kMaxDmiRegions = 16;

}  // namespace

// One thread of a stream, with the payload, extension and buffer it reuses.
struct TrafficGenerator::Slot {
  // kFree: waiting for its turn. kPicked: given the turn, not yet running.
  // kRunning: has the turn. kInFlight: inside b_transport. kDone: exited.
  enum State { kFree, kPicked, kRunning, kInFlight, kDone };

  Slot(unsigned index_, const sc_core::sc_time& quantum) : index(index_), qk(quantum) {}
  ~Slot() { gp.clear_extension(&ext); }  // ext is ours, not the payload's to delete

  unsigned index;
  State state = kFree;
  sc_core::sc_time free_at;          // when this thread can issue again (absolute)
  sc_core::sc_time last_completion;  // of its last transaction (absolute)
  uint64_t pick_token = 0;           // which pick gave it the turn (see issue_one)
  sc_core::sc_event wake;
  GeneratorQuantumKeeper qk;
  StreamExtension ext;
  tlm::tlm_generic_payload gp;
  std::vector<uint8_t> data;
};

struct TrafficGenerator::Stream {
  Stream(const TrafficStream& c, unsigned histogram_ns)
      : cfg(c), seq(c), stats(histogram_ns), next_issue(c.start_time) {}

  TrafficStream cfg;
  StreamSequence seq;
  TrafficStats stats;
  sc_core::sc_time next_issue;  // earliest issue allowed by the gap
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<tlm::tlm_dmi> dmi;  // granted regions, in global addresses
  uint64_t dmi_accesses = 0;
};

TrafficGenerator::TrafficGenerator(sc_core::sc_module_name name,
                                   std::vector<TrafficStream> streams,
                                   const GeneratorParams& params)
    : sc_module(name), socket("socket"), params_(params) {
  for (size_t i = 0; i < streams.size(); ++i) validate_traffic_stream(streams[i], i);
  socket.register_invalidate_direct_mem_ptr(this, &TrafficGenerator::invalidate_direct_mem_ptr);

  for (size_t i = 0; i < streams.size(); ++i) {
    streams_.push_back(std::make_unique<Stream>(streams[i], params_.latency_histogram_ns));
    Stream* st = streams_.back().get();
    for (unsigned k = 0; k < st->cfg.outstanding; ++k) {
      auto slot = std::make_unique<Slot>(k, params_.quantum);
      slot->state = k == 0 ? Slot::kPicked : Slot::kFree;  // thread 0 opens the stream
      slot->free_at = st->cfg.start_time;
      slot->ext.sid = st->cfg.sid;
      slot->ext.ssid = st->cfg.ssid;
      slot->ext.ssv = st->cfg.ssv;
      slot->ext.privileged = st->cfg.privileged;
      slot->ext.instruction = st->cfg.instruction;
      slot->gp.set_extension(&slot->ext);
      slot->data.resize(st->cfg.size);
      st->slots.push_back(std::move(slot));
      ++live_threads_;
      const std::string thread = "stream" + std::to_string(i) + "_thread" + std::to_string(k);
      sc_core::sc_spawn([this, st, k]() { worker(*st, k); }, thread.c_str());
    }
  }
  finished_ = live_threads_ == 0;
}

TrafficGenerator::~TrafficGenerator() = default;

const TrafficStream& TrafficGenerator::stream(size_t i) const {
  if (i >= streams_.size()) throw std::out_of_range("traffic generator: no stream " + std::to_string(i));
  return streams_[i]->cfg;
}

const TrafficStats& TrafficGenerator::stream_stats(size_t i) const {
  if (i >= streams_.size()) throw std::out_of_range("traffic generator: no stream " + std::to_string(i));
  return streams_[i]->stats;
}

TrafficStats TrafficGenerator::total_stats() const {
  TrafficStats total(params_.latency_histogram_ns);
  for (const auto& s : streams_) total.merge(s->stats);
  return total;
}

uint64_t TrafficGenerator::stream_dmi_accesses(size_t i) const {
  if (i >= streams_.size()) throw std::out_of_range("traffic generator: no stream " + std::to_string(i));
  return streams_[i]->dmi_accesses;
}

uint64_t TrafficGenerator::dmi_accesses() const {
  uint64_t n = 0;
  for (const auto& s : streams_) n += s->dmi_accesses;
  return n;
}

size_t TrafficGenerator::dmi_regions_cached() const {
  size_t n = 0;
  for (const auto& s : streams_) n += s->dmi.size();
  return n;
}

TrafficGenerator::Slot* TrafficGenerator::earliest_free(Stream& s, const Slot* exclude) {
  Slot* best = nullptr;
  for (auto& o : s.slots) {
    if (o.get() == exclude || o->state != Slot::kFree) continue;
    if (!best || o->free_at < best->free_at) best = o.get();  // ties: lowest index
  }
  return best;
}

void TrafficGenerator::open_gate() {
  if (gate_open_) return;
  gate_open_ = true;
  const sc_core::sc_time t = sc_core::sc_time_stamp();
  for (auto& st : streams_) {
    st->next_issue += t;
    for (auto& o : st->slots) o->free_at += t;
  }
}

void TrafficGenerator::worker(Stream& s, unsigned slot) {
  Slot& me = *s.slots[slot];
  if (params_.start_gate && !gate_open_) {
    sc_core::wait(*params_.start_gate);
    open_gate();
  }
  me.qk.reset();
  for (;;) {
    if (me.state != Slot::kPicked) {
      while (me.state != Slot::kPicked) sc_core::wait(me.wake);
      me.qk.reset();  // time moved on while we waited
    }
    me.state = Slot::kRunning;
    if (s.seq.done()) break;
    issue_one(s, me);
    // Pass the turn to the thread free earliest, this one included.
    me.state = Slot::kFree;
    Slot* next = earliest_free(s, nullptr);
    next->state = Slot::kPicked;
    next->pick_token = ++pick_serial_;
    if (next != &me) next->wake.notify();
  }
  me.state = Slot::kDone;
  for (auto& o : s.slots) {  // nothing left to issue: let the waiting threads exit too
    if (o->state != Slot::kFree) continue;
    o->state = Slot::kPicked;
    o->pick_token = ++pick_serial_;
    o->wake.notify();
  }
  // Catch up with our own last completion, so that the simulation (and done_event)
  // reaches the end of the traffic.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (me.last_completion > now) sc_core::wait(me.last_completion - now);
  if (--live_threads_ == 0) {
    finished_ = true;
    done_event_.notify();
  }
}

void TrafficGenerator::issue_one(Stream& s, Slot& me) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time issue = std::max({me.free_at, s.next_issue, now});
  me.qk.set(issue - now);
  if (me.qk.need_sync()) me.qk.sync();  // the other threads of the stream are all later

  const PlannedAccess a = s.seq.next();
  s.next_issue = issue + s.cfg.gap;
  const unsigned size = s.cfg.size;
  tlm::tlm_generic_payload& gp = me.gp;
  gp.set_command(a.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(a.address);
  gp.set_data_ptr(me.data.data());
  gp.set_data_length(size);
  gp.set_streaming_width(size);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_byte_enable_length(0);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (a.write)
    for (unsigned j = 0; j < size; ++j) me.data[j] = traffic_pattern_byte(s.cfg.sid, a.address + j);
  // Reset in case a target changed it (ats_translated is never ours to set).
  me.ext.sid = s.cfg.sid;
  me.ext.ssid = s.cfg.ssid;
  me.ext.ssv = s.cfg.ssv;
  me.ext.ats_translated = false;
  me.ext.privileged = s.cfg.privileged;
  me.ext.instruction = s.cfg.instruction;

  sc_core::sc_time completion;
  const bool dmi = params_.use_dmi || s.cfg.dmi;
  if (!(dmi && try_dmi(s, me, a.address, a.write, issue, completion))) {
    // Should the target block, the next free thread starts at the next delta; if it
    // does not, that wake-up is cancelled before anyone sees it.
    const bool parallel = s.slots.size() > 1;
    Slot* helper = parallel && params_.target_may_block ? earliest_free(s, &me) : nullptr;
    uint64_t token = 0;
    if (helper) {
      helper->state = Slot::kPicked;
      token = helper->pick_token = ++pick_serial_;
      helper->wake.notify(sc_core::SC_ZERO_TIME);
    }
    me.state = Slot::kInFlight;
    sc_core::sc_time delay = me.qk.get_local_time();
    const sc_dt::uint64 deltas = sc_core::sc_delta_count();
    socket->b_transport(gp, delay);
    if (parallel && !params_.target_may_block && sc_core::sc_delta_count() != deltas)
      SC_REPORT_ERROR(name(), "the target waited in b_transport, but the generator was told "
                              "it never does (GeneratorParams::target_may_block)");
    me.state = Slot::kRunning;
    if (helper && helper->state == Slot::kPicked && helper->pick_token == token) {
      helper->wake.cancel();
      helper->state = Slot::kFree;
    }
    completion = sc_core::sc_time_stamp() + delay;
    if (dmi && gp.is_response_ok() && gp.is_dmi_allowed()) acquire_dmi(s, me);
  }

  const sc_core::sc_time latency = completion - issue;
  me.free_at = completion;
  me.last_completion = completion;
  if (completion > last_end_) last_end_ = completion;
  s.stats.record(a.write, size, gp.get_response_status(), issue, completion);
  if (on_complete) on_complete(gp, latency);
}

bool TrafficGenerator::try_dmi(Stream& s, Slot& me, uint64_t address, bool write,
                               sc_core::sc_time issue, sc_core::sc_time& completion) {
  const uint64_t last = address + (s.cfg.size - 1);
  // Newest first: a stream mostly stays in the page it was last granted. The regions
  // are disjoint (acquire_dmi drops what a new grant overlaps), so the order changes
  // nothing but the search.
  for (auto it = s.dmi.rbegin(); it != s.dmi.rend(); ++it) {
    const tlm::tlm_dmi& d = *it;
    if (address < d.get_start_address() || last > d.get_end_address()) continue;
    if (write ? !d.is_write_allowed() : !d.is_read_allowed()) continue;
    uint8_t* p = d.get_dmi_ptr() + (address - d.get_start_address());
    if (write)
      std::memcpy(p, me.data.data(), s.cfg.size);
    else
      std::memcpy(me.data.data(), p, s.cfg.size);
    completion = issue + (write ? d.get_write_latency() : d.get_read_latency());
    me.gp.set_response_status(tlm::TLM_OK_RESPONSE);
    ++s.dmi_accesses;
    return true;
  }
  return false;
}

void TrafficGenerator::acquire_dmi(Stream& s, Slot& me) {
  tlm::tlm_dmi dmi;
  if (!socket->get_direct_mem_ptr(me.gp, dmi) || dmi.get_dmi_ptr() == nullptr) return;
  // The new grant supersedes any region it overlaps (e.g. a read-only grant that made
  // this write fall back to b_transport).
  auto& v = s.dmi;
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const tlm::tlm_dmi& d) {
                           return d.get_start_address() <= dmi.get_end_address() &&
                                  d.get_end_address() >= dmi.get_start_address();
                         }),
          v.end());
  if (v.size() >= kMaxDmiRegions) v.erase(v.begin());  // oldest first
  s.dmi.push_back(dmi);
}

void TrafficGenerator::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  ++dmi_invalidations_;
  for (auto& s : streams_) {
    auto& v = s->dmi;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const tlm::tlm_dmi& d) {
                             return d.get_start_address() <= end && d.get_end_address() >= start;
                           }),
            v.end());
  }
}

}  // namespace smmu::model
