// SPDX-License-Identifier: Apache-2.0
// One point of the DMA-API benchmark (smmu-dma-bench): N CPUs each running the loop a
// block or network driver runs per I/O on the firmware driver's DMA API (driver/dma_api.h)
// — map a buffer, let its device DMA it, unmap it — against one SMMU, and the map+unmap
// rate per CPU that results, with what limited it (command-queue contention, CAS
// retries, queue-full waits, invalidation latencies).
//
// measure_dma_bench() builds its own SoC: DRAM and one SMMU behind a router, `devices`
// DMA masters on the SMMU's upstream ports (StreamIDs 0x10 + d), N CPUs that see the
// SMMU's interrupts and SEV and share cache lines through ScSync's timed atomics. CPU 0
// brings the driver up (the SmmuDevice with the chosen command-queue design and, with
// queues > 1, that many ECMDQs; the Iommu), gives each device its own stage-1 domain
// (Linux's default DMA domain per device) and a DmaApi (strict or lazy) on it; CPU c
// works for device c % devices. Every CPU runs `warmup` operations, waits for the
// others, then `ops` measured ones: one operation is
//   map(buffer, size) -> the device writes every page of the buffer (the CPU waits for
//   the DMA, which must succeed) -> `io_ns` of other per-I/O work -> unmap.
// The last CPU to finish drains the flush queues and tears the driver down.
//
// Runs the SystemC simulation: once per process (a second call throws std::logic_error).
// Deterministic: the same parameters give the same figures.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <systemc>

#include "driver/command_queue.h"
#include "driver/dma_api.h"
#include "platform/cpu/cpu.h"
#include "rtl_model/smmu/smmu_params.h"

namespace smmu::platform {

struct DmaBenchParams {
  unsigned cpus = 8;
  unsigned devices = 3;  // as the published measurement's three NVMe drives
  driver::CmdqDesign design = driver::CmdqDesign::kFetchAdd;
  driver::DmaInvPolicy policy = driver::DmaInvPolicy::kStrict;
  unsigned queues = 1;   // 1: the SMMU's command queue; n > 1: n ECMDQs, CPU c on c % n
  uint64_t buffer = 4096;       // bytes per map (4 KiB .. 1 MiB, a multiple of 4 KiB)
  unsigned ops = 300;           // measured operations per CPU (lazy: a ring of 256 fills)
  unsigned warmup = 10;         // per CPU, before the measurement
  uint64_t io_ns = 2500;        // per-I/O CPU work besides the DMA API (submit, complete)
  uint64_t cas_retry_ns = 0;    // kCasLoop: pause after a lost compare-and-swap
  sc_core::sc_time line_transfer{40, sc_core::SC_NS};  // a cache line moving between CPUs
  sc_core::sc_time memory_latency{50, sc_core::SC_NS};
  unsigned cmdq_log2 = 8;
  // How long the driver waits for a CMD_SYNC or for room: Linux's poll timeout (1 s),
  // so that a congested queue shows as slow rather than failed.
  uint64_t sync_timeout_ns = 1'000'000'000;
  driver::FlushQueueConfig fq;  // lazy (cpus is set to the CPU count)
  uint64_t iova_range_op_ns = 150, iova_cache_op_ns = 10;
  CpuParams cpu;                // every CPU's (id set per CPU)
  model::SmmuParams smmu;
  sc_core::sc_time limit{10, sc_core::SC_SEC};  // simulated time after which it gives up
};

// Throws std::invalid_argument naming the bad key ("cpus", "devices", "queues", "buffer",
// "ops", "cmdq_log2").
void validate_dma_bench(const DmaBenchParams& p);

struct DmaBenchResult {
  unsigned cpus = 0, devices = 0, queues = 1;
  std::string design, policy;
  uint64_t buffer = 0;
  uint64_t ops = 0;  // measured, all CPUs
  // Map+unmap operations per CPU per second of simulated time: each CPU's measured ops
  // over its own measured time, averaged over the CPUs (and the slowest and fastest).
  double rate_per_cpu = 0, rate_min = 0, rate_max = 0;
  uint64_t elapsed_ns = 0;  // from the measurement's start to the last CPU's end
  // Invalidations as the CPUs waited for them (strict: each unmap's; lazy: each flush's
  // and each unmap that had to invalidate at once), in ns.
  uint64_t inv_count = 0;
  double inv_mean_ns = 0;
  uint64_t inv_p50_ns = 0, inv_p90_ns = 0, inv_p99_ns = 0, inv_max_ns = 0;
  // The command queues during the measurement (every queue summed).
  uint64_t commands = 0, syncs = 0, publishes = 0;
  uint64_t cas_attempts = 0, cas_failures = 0;  // kCasLoop's reservation loop
  uint64_t reservations = 0, owner_gathers = 0;
  uint64_t full_waits = 0;                      // polls for room in a full queue
  uint64_t line_transfers = 0;                  // cache lines moved between CPUs
  uint64_t line_wait_ns = 0;                    // CPUs waiting for a busy line
  uint64_t spin_contended = 0;                  // contended spinlock acquisitions
  uint64_t flushes = 0;                         // lazy: whole-domain flushes
  uint64_t iova_cache_hits = 0, iova_range_allocs = 0;
  std::string error;  // empty when every operation and DMA succeeded

  bool ok() const { return error.empty(); }
};

DmaBenchResult measure_dma_bench(const DmaBenchParams& p);

nlohmann::json to_json(const DmaBenchResult& r);
// Throws std::invalid_argument when a key is missing or has the wrong type.
DmaBenchResult dma_bench_result_from_json(const nlohmann::json& j);

}  // namespace smmu::platform
