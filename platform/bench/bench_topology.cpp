// SPDX-License-Identifier: Apache-2.0
#include "platform/bench/bench_topology.h"

#include <stdexcept>
#include <string>

#include "rtl_model/arch/registers.h"

namespace smmu::platform {

namespace r = arch::reg;
using namespace bench_layout;

void fill_bench_pages(model::Memory& mem, const std::vector<BenchPage>& pages) {
  for (const BenchPage& p : pages)
    for (uint64_t off = 0; off < kPageSize; off += 8)
      mem.write64(p.pa + off, bench_pattern(p.va + off));
}

RouterPath::RouterPath(const sc_core::sc_module_name& name, const model::MemoryParams& mem_params)
    : sc_module(name), fabric(mem_params), mem(fabric.memory), router(fabric.router) {}

SmmuPath::SmmuPath(const sc_core::sc_module_name& name, const model::MemoryParams& mem_params,
                   const model::SmmuParams& smmu_params)
    : sc_module(name),
      fabric(mem_params, model::RouterParams(), SmmuFabricNames(), kRegBase),
      mem(fabric.memory),
      router(fabric.router),
      smmu(fabric.add_smmu(smmu_params, "smmu")),
      alloc_(kTableBase, kTableSize) {}

void SmmuPath::configure_stage1(const std::vector<BenchPage>& pages) {
  std::vector<std::pair<uint64_t, uint64_t>> map;
  for (const BenchPage& p : pages) map.emplace_back(p.va, p.pa);
  const Stage1StreamRegs regs = build_stage1_stream(fabric.writer(), alloc_, kStreamId, map, kAsid);

  fill_bench_pages(mem, pages);

  auto set = [&](uint64_t offset, unsigned size, uint64_t value) {
    if (!smmu.registers().write(offset, size, value))
      throw std::runtime_error(std::string(name()) + ": register write refused at offset " +
                               std::to_string(offset));
  };
  set(r::kStrtabBase, 8, regs.strtab_base);
  set(r::kStrtabBaseCfg, 4, regs.strtab_base_cfg);
  set(r::kCr0, 4, r::cr0::kSmmuEn.mask());
}

}  // namespace smmu::platform
