// SPDX-License-Identifier: Apache-2.0
// One `workloads[]` entry of kind "dma_api" on smmu-sim's SoC (scenario.h, WorkloadSpec):
// the loop a block or network driver runs per I/O, on the firmware driver's DMA API
// (driver/dma_api.h) over the stream's paging domain. One DmaApi per workload, shared by
// its CPUs (the IOVA allocator's caches and the flush queue's rings per CPU of the SoC).
// Each CPU, `count` times:
//   map(its buffer) -> the device writes every 4 KiB page of it through the workload's
//   SMMU port (the CPU waits for each write) -> io_ns of other work -> unmap.
// A map that fails, a DMA that faults and an unmap that fails are counted, not fatal (a
// failed map skips that I/O). The last CPU to finish drains the flush queue (lazy).
//
// The command-queue figures are the SMMU's (SmmuDevice::queue_stats(), every queue
// summed) over the workload's span: from its first CPU's start to the end of its drain,
// whatever issued the commands in that time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "driver/dma_api.h"
#include "driver/smmu_device.h"
#include "platform/cpu/cpu.h"
#include "platform/scenario/scenario.h"

namespace smmu::platform {

class DmaWorkload {
 public:
  // One device write of len bytes at iova through the workload's port, from the calling
  // CPU's thread (delay annotated as b_transport does); true on success.
  using DmaFn = std::function<bool(uint64_t iova, uint8_t* data, unsigned len, sc_core::sc_time& delay)>;

  struct CpuState {
    unsigned cpu = 0;
    bool started = false, finished = false;
    uint64_t start_ns = 0, last_ns = 0;  // its start, the end of its last I/O
    uint64_t ops = 0;                    // map+unmap pairs done
    uint64_t attempts = 0;               // iterations of its loop (failed maps too)
    uint64_t map_failures = 0, dma_faults = 0, unmap_errors = 0;
    // Map+unmap pairs per second of the CPU's own time (0 before its first).
    double rate() const {
      return last_ns > start_ns ? static_cast<double>(ops) * 1e9 / static_cast<double>(last_ns - start_ns) : 0;
    }
  };

  DmaWorkload(const WorkloadSpec& spec, unsigned soc_cpus, unsigned granule_shift, DmaFn dma);
  ~DmaWorkload();
  DmaWorkload(const DmaWorkload&) = delete;
  DmaWorkload& operator=(const DmaWorkload&) = delete;

  // After the set-up: the DmaApi on `domain` (os: the machine's, as the driver's shared
  // objects use). A null domain or device (the set-up failed) leaves the workload
  // without one: its CPUs do nothing and error() says why.
  void prepare(driver::Os& os, driver::Domain* domain, driver::SmmuDevice* device);
  // The loop of CPU spec().cpus[pos], on that CPU's thread.
  void run(size_t pos, Cpu& cpu, driver::Os& os);
  // Teardown after a run stopped early: drops flush-queue entries no CPU can flush now.
  void abandon();

  const WorkloadSpec& spec() const { return spec_; }
  const std::vector<CpuState>& cpus() const { return cpus_; }
  const std::string& error() const { return error_; }
  bool finished() const { return finished_; }  // every CPU done and the drain too
  uint64_t first_start_ns() const { return first_start_ns_; }
  uint64_t end_ns() const { return end_ns_; }
  const driver::DmaApi* api() const { return api_.get(); }
  // The SMMU's command queues over the workload's span (so far, when it has not finished).
  driver::CommandQueueStats queue_stats() const;

 private:
  void finish_cpu(driver::Os& os);

  WorkloadSpec spec_;
  unsigned soc_cpus_, granule_shift_;
  DmaFn dma_;
  std::unique_ptr<driver::DmaApi> api_;
  driver::SmmuDevice* device_ = nullptr;
  std::string error_;
  std::vector<CpuState> cpus_;
  std::vector<uint8_t> data_;  // what the device writes (a member: a stopped run keeps its stack)
  bool any_started_ = false, finished_ = false;
  size_t cpus_done_ = 0;
  uint64_t first_start_ns_ = 0, end_ns_ = 0;
  driver::CommandQueueStats q_start_, q_end_;
};

}  // namespace smmu::platform
