// SPDX-License-Identifier: Apache-2.0
// A DMA master: runs configured streams of reads and writes (each with its StreamID and
// attributes) through one LT initiator socket, and measures what it got back.
//
// Each stream runs `outstanding` threads sharing the stream's access sequence. They take
// turns in simulated-time order: the next access is issued by the thread that became
// free earliest (lowest thread on ties), no earlier than the previous issue plus the
// stream's gap. With a fixed latency L a stream with N outstanding thus issues N accesses
// per L whatever the quantum, and its accesses reach the target in time order. A thread
// hands its turn over only when another one is free earlier (one context switch); with
// outstanding 1 a stream never switches except to keep to the quantum. If a target blocks
// in b_transport (calls wait), the next free thread starts meanwhile, so up to
// `outstanding` accesses really are in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rtl_model/mem/traffic_stats.h"
#include "rtl_model/mem/traffic_stream.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

struct GeneratorParams {
  // Temporal decoupling: a thread runs ahead of simulated time by at most up to the next
  // multiple of this quantum before it waits. This generator's own quantum (it does not
  // change tlm_global_quantum, which other initiators may rely on); zero syncs before
  // every access.
  sc_core::sc_time quantum{1, sc_core::SC_US};
  // Access memory through DMI pointers where the target grants them (and the granted
  // region's latency is charged); regions are cached per stream and dropped on
  // invalidate_direct_mem_ptr. For every stream; TrafficStream::dmi asks per stream.
  bool use_dmi = false;
  // Whether the target may wait inside b_transport. Then every b_transport of a stream
  // with outstanding > 1 arms the next free thread (a delta notification, cancelled
  // when the call returns without waiting) so that it starts meanwhile. A system whose
  // targets only annotate their time (never wait) clears it and saves that event per
  // transaction; a target that waits all the same is an SC_REPORT_ERROR.
  bool target_may_block = true;
  unsigned latency_histogram_ns = TrafficStats::kDefaultHistogramNs;
  // When set, nothing is issued before this event's first notification, and the
  // streams' start times count from it (e.g. traffic that waits for software to set
  // the SMMU up). The event must outlive the simulation.
  const sc_core::sc_event* start_gate = nullptr;
};

class TrafficGenerator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TrafficGenerator, smmu::model::kBusWidth> socket;

  // Called for every completed transaction (b_transport or DMI) with the payload and its
  // latency, from the issuing thread. Must not wait.
  std::function<void(const tlm::tlm_generic_payload&, sc_core::sc_time)> on_complete;

  // Throws std::invalid_argument naming the stream and key of a bad stream.
  TrafficGenerator(sc_core::sc_module_name name, std::vector<TrafficStream> streams,
                   const GeneratorParams& params = GeneratorParams());
  ~TrafficGenerator() override;

  size_t stream_count() const { return streams_.size(); }
  const TrafficStream& stream(size_t i) const;
  const TrafficStats& stream_stats(size_t i) const;
  TrafficStats total_stats() const;
  double latency_percentile_ns(double q) const { return total_stats().latency_percentile_ns(q); }

  // True once every stream has completed all its transactions; done_event() is notified
  // then, at the completion time of the last transaction.
  bool finished() const { return finished_; }
  const sc_core::sc_event& done_event() const { return done_event_; }
  // Completion time (absolute) of the transaction that completed last.
  sc_core::sc_time last_end_time() const { return last_end_; }

  size_t dmi_regions_cached() const;
  uint64_t dmi_invalidations() const { return dmi_invalidations_; }
  // Accesses done through a DMI pointer (not b_transport): of stream i, of all.
  uint64_t stream_dmi_accesses(size_t i) const;
  uint64_t dmi_accesses() const;

 private:
  struct Slot;
  struct Stream;

  void worker(Stream& s, unsigned slot);
  void open_gate();  // once: shifts every stream's times to the gate's time
  void issue_one(Stream& s, Slot& me);
  bool try_dmi(Stream& s, Slot& me, uint64_t address, bool write, sc_core::sc_time issue,
               sc_core::sc_time& completion);
  void acquire_dmi(Stream& s, Slot& me);
  Slot* earliest_free(Stream& s, const Slot* exclude);
  bool gate_open_ = false;
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  GeneratorParams params_;
  std::vector<std::unique_ptr<Stream>> streams_;
  unsigned live_threads_ = 0;
  bool finished_ = false;
  sc_core::sc_event done_event_;
  sc_core::sc_time last_end_;
  uint64_t dmi_invalidations_ = 0;
  uint64_t pick_serial_ = 0;
};

}  // namespace smmu::model
