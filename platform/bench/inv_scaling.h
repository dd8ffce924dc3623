// SPDX-License-Identifier: Apache-2.0
// One invalidation of a shared stage-2 range across N SMMU instances, measured: the
// figures behind "how much does it cost to wait on each SMMU in turn, and how much does
// issuing every SMMU's batch first and then waiting for all of them save".
//
// measure_inv_scaling() builds its own small SoC (DRAM and N SMMUs behind one router,
// one device per SMMU on upstream port 0 with StreamID 5: a plain DMA initiator, or an
// ATS endpoint when asked; one CPU that sees every SMMU's interrupts and SEV), brings the
// firmware driver up on that CPU (an SmmuDevice per SMMU, the Iommu), creates one S2
// paging domain mapping `mapped` bytes of 4 KiB pages, attaches one master per SMMU to it,
// warms every mapped page on every SMMU by DMA (checking the data read), and then times
// ONE call on the CPU: Domain::inv_range(iova, range, 4 KiB, leaf) or, with `unmap`,
// Domain::unmap(iova, range). Afterwards it checks on every SMMU that the call did what
// it must (see InvScalingResult::smmus_verified), then releases the masters and frees
// the domain.
//
// It runs the SystemC simulation, so it can be called once per process (SystemC has one
// kernel per process and no restart): a second call throws std::logic_error. Programs
// that want several points run each in its own process. Deterministic: the same
// parameters give the same figures, to the nanosecond.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <systemc>

#include "driver/command_queue.h"
#include "platform/cpu/cpu.h"
#include "rtl_model/smmu/smmu_params.h"

namespace smmu::platform {

struct InvScalingParams {
  uint64_t range = 0x1'0000;     // bytes invalidated (or unmapped) from the domain's first IOVA
  uint64_t mapped = 0x20'0000;   // bytes mapped (4 KiB pages) and warmed on every SMMU
  bool unmap = false;            // time Domain::unmap instead of Domain::inv_range
  bool ats = false;              // each SMMU's device is an ATS endpoint (ATC_INV too)
  driver::SyncCompletion completion = driver::SyncCompletion::kMsi;
  uint64_t poll_ns = 100;        // the driver's CMD_SYNC poll interval (SmmuDeviceOptions)
  sc_core::sc_time memory_latency{50, sc_core::SC_NS};  // DRAM, reads and writes
  sc_core::sc_time pcie_round_trip{500, sc_core::SC_NS};  // ATS endpoints
  model::SmmuParams smmu;        // every SMMU's (its tbus are replaced when tbus > 0)
  // TBUs per SMMU (0: the SMMU's default layout, one TBU for its one port). With n > 0,
  // each SMMU has n TBUs at dti_latency, TBU j serving port j with one plain device of
  // the SMMU's master (StreamID 5 too); every device warms every page, and the check
  // afterwards runs on each of them (not with ats: its endpoint is one device).
  unsigned tbus = 0;
  sc_core::sc_time dti_latency{8, sc_core::SC_NS};  // one way, with tbus > 0
  CpuParams cpu;
  // Idle time on the CPU before the timed call, so that every SMMU has finished the
  // set-up's commands (a CMD_SYNC's MSI data is seen before its write completes, and a
  // command engine still finishing that write would delay the timed call's fetch).
  uint64_t settle_ns = 10'000;
  sc_core::sc_time limit{50, sc_core::SC_MS};  // simulated time after which it gives up
};

// Throws std::invalid_argument naming the bad key ("range", "mapped", "poll_ns", "smmus",
// "tbus", "dti_latency").
void validate_inv_scaling(unsigned smmus, const InvScalingParams& p);

struct InvScalingResult {
  unsigned smmus = 0;
  unsigned tbus = 1;             // per SMMU (the default layout has one)
  uint64_t dti_latency_ps = 0;   // one way, every TBU's
  bool all_then_wait = false;
  bool unmap = false, ats = false;
  uint64_t range = 0;
  // The timed call, as CPU 0 saw it (Os::now_ns() before and after).
  uint64_t sim_ns = 0;
  std::string status;  // the call's driver::SmmuStatus ("ok")
  // What the SMMUs executed during the call, summed over them (CommandStats deltas).
  uint64_t cmd_syncs = 0;
  uint64_t tlbi_commands = 0;      // every TLBI_* opcode
  uint64_t atc_inv_commands = 0;
  uint64_t commands = 0;           // everything, CMD_SYNCs included
  // The SMMUs' own CMD_SYNC latency (CMDQ_PROD write to completion), summed, in ps.
  uint64_t sync_latency_ps = 0;
  // What the driver did (deltas): batches handed to command queues (Domain::inv_stats),
  // CMDQ_PROD writes and CMD_SYNC polls that found it not yet complete.
  uint64_t batches = 0;
  uint64_t publishes = 0;
  uint64_t sync_polls = 0;
  // SMMUs on which, after the call, every check held. inv_range: a DMA to the first and
  // to the last page of the range misses every TLB (the SMMU walks again) and still
  // translates, and the page after the range still hits (with tbus, through every TBU:
  // the first TBU's device as said, every other's misses its micro TLB on those pages
  // and hits it on the page after); with ATS the endpoint's ATC no
  // longer holds the range's first and last pages and still holds the page after (that
  // last part only for a power-of-two range: ATC_INV covers an aligned power-of-two span).
  // unmap: DMA to the first and last page of the range faults (plain or ATS) and to the
  // page after the range still succeeds. (Without a page after the range, that part
  // is skipped.)
  unsigned smmus_verified = 0;
  // Empty when the set-up, the warm-up and the call ran; else what failed first.
  std::string error;

  bool ok() const { return error.empty(); }
  double mean_sync_latency_ns() const {
    return cmd_syncs ? static_cast<double>(sync_latency_ps) / 1000.0 / cmd_syncs : 0.0;
  }
};

// See the top of the file. smmus >= 1. Throws std::invalid_argument for bad parameters
// (validate_inv_scaling), std::logic_error when SystemC has already started.
InvScalingResult measure_inv_scaling(unsigned smmus, bool all_then_wait,
                                     const InvScalingParams& p = {});

// For passing a result between processes and for JSON output.
nlohmann::json to_json(const InvScalingResult& r);
// Throws std::invalid_argument when a key is missing or has the wrong type.
InvScalingResult inv_scaling_result_from_json(const nlohmann::json& j);

}  // namespace smmu::platform
