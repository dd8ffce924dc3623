// SPDX-License-Identifier: Apache-2.0
// The memory map the driver benchmarks (dma_bench, inv_scaling) share: 1 GiB of memory,
// the driver's DMA memory at 256..512 MiB, the bench's own pages above, and the SMMU
// windows where smmu-sim has them.
#pragma once

#include <cstdint>

#include <systemc>

#include "rtl_model/mem/memory.h"

namespace smmu::platform::bench_map {

constexpr uint64_t kPage = 0x1000;
constexpr uint64_t kMemSize = uint64_t{1} << 30;
constexpr uint64_t kDmaBase = 0x1000'0000, kDmaSize = 0x1000'0000;  // the driver's memory
constexpr uint64_t kSmmuBase = uint64_t{0x10} << 32;  // SMMU i at kSmmuBase + i * kWindowSize (192 KiB)

// kMemSize of memory, reads and writes taking `latency`.
inline model::MemoryParams memory_params(const sc_core::sc_time& latency) {
  model::MemoryParams mp;
  mp.size = kMemSize;
  mp.read_latency = mp.write_latency = latency;
  return mp;
}

}  // namespace smmu::platform::bench_map
