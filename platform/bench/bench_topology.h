// SPDX-License-Identifier: Apache-2.0
// The SoC paths smmu-bench drives: a plain router to memory, and memory behind an SMMU
// with one stage-1 stream (4K pages). Each path owns its memory, so the three of them
// can be elaborated side by side in one SystemC kernel. Host-side setup (tables, data,
// registers) is untimed; only the traffic the benchmark sends is measured.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <systemc>

#include "platform/soc/smmu_fabric.h"
#include "platform/software/table_builder.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/smmu/smmu.h"

namespace smmu::platform {

// Address map shared by every path.
namespace bench_layout {
constexpr uint64_t kMemSize = uint64_t{1} << 30;        // DRAM at 0
constexpr uint64_t kRegBase = uint64_t{1} << 32;        // SMMU register window
constexpr uint64_t kTableBase = 0x10000000;             // stream table, CDs, page tables
constexpr uint64_t kTableSize = 0x01000000;
constexpr uint64_t kDataBase = 0x20000000;              // the pages the traffic reads
constexpr uint64_t kPageSize = 0x1000;
constexpr uint32_t kStreamId = 0;
constexpr uint16_t kAsid = 1;
}  // namespace bench_layout

// The value stored at the physical word the master's address `addr` must reach, so a
// read that lands anywhere else (wrong translation, wrong offset) is detected.
inline uint64_t bench_pattern(uint64_t addr) {
  return addr * 0x9e3779b97f4a7c15ull + 0x0123456789abcdefull;
}

// One page the master reads: its input address (what the master sends) and where the
// path must put it in memory.
struct BenchPage {
  uint64_t va;
  uint64_t pa;
};

// Fills each page's physical words with bench_pattern of the matching input address.
void fill_bench_pages(model::Memory& mem, const std::vector<BenchPage>& pages);

// master -> router -> memory. The master binds to router.target.
class RouterPath : public sc_core::sc_module {
 public:
  SmmuFabric fabric;  // no SMMU
  model::Memory& mem;
  model::Router& router;

  RouterPath(const sc_core::sc_module_name& name, const model::MemoryParams& mem_params);
};

// master -> smmu.upstream; smmu.downstream and smmu.walk -> router -> memory (and the
// SMMU's register window, so every socket is bound).
class SmmuPath : public sc_core::sc_module {
 public:
  SmmuFabric fabric;
  model::Memory& mem;
  model::Router& router;
  model::Smmu& smmu;

  SmmuPath(const sc_core::sc_module_name& name, const model::MemoryParams& mem_params,
           const model::SmmuParams& smmu_params);

  // After elaboration: builds a linear stream table whose STE kStreamId points to one
  // CD (4K granule, 48-bit VA, start level 0) mapping every page, writes the pages'
  // data, and enables translation through STRTAB_BASE, STRTAB_BASE_CFG and CR0.
  void configure_stage1(const std::vector<BenchPage>& pages);

 private:
  PageAllocator alloc_;
};

}  // namespace smmu::platform
