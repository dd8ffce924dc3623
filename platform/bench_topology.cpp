// SPDX-License-Identifier: Apache-2.0
#include "platform/bench_topology.h"

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
    : sc_module(name), mem("mem", mem_params), router("router") {
  router.initiator.bind(mem.socket);
  router.map(0, 0, mem_params.size);
}

SmmuPath::SmmuPath(const sc_core::sc_module_name& name, const model::MemoryParams& mem_params,
                   const model::SmmuParams& smmu_params)
    : sc_module(name),
      mem("mem", mem_params),
      router("router"),
      smmu("smmu", smmu_params),
      writer_(mem),
      alloc_(kTableBase, kTableSize) {
  router.initiator.bind(mem.socket);
  router.initiator.bind(smmu.mmio);
  router.map(0, 0, mem_params.size);
  router.map(1, kRegBase, r::kWindowSize);
  smmu.downstream.bind(router.target);
  smmu.walk.bind(router.target);
}

void SmmuPath::configure_stage1(const std::vector<BenchPage>& pages) {
  PageTableBuilder pt(writer_, alloc_, arch::Granule{12}, 0);
  arch::S1LeafAttrs rw;
  rw.af = true;
  rw.ap = 1;  // read/write at any EL
  for (const BenchPage& p : pages) pt.map(p.va, p.pa, kPageSize, rw, false);

  CdTableBuilder cds = CdTableBuilder::linear(writer_, alloc_, 0);
  arch::Cd cd;
  cd.valid = true;
  cd.aa64 = true;
  cd.t0sz = 16;  // 48-bit VA: a 4K walk starts at level 0
  cd.tg0 = 0;    // 4K
  cd.epd1 = true;
  cd.ips = 5;    // 48-bit output
  cd.asid = kAsid;
  cd.ttb0 = pt.root();
  cd.r = cd.a = true;  // record faults and abort them
  cds.write_cd(0, cd);

  StreamTableBuilder st = StreamTableBuilder::linear(writer_, alloc_, 4);
  arch::Ste ste;
  ste.valid = true;
  ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
  cds.attach(ste);
  st.write_ste(kStreamId, ste);

  fill_bench_pages(mem, pages);

  auto set = [&](uint64_t offset, unsigned size, uint64_t value) {
    if (!smmu.registers().write(offset, size, value))
      throw std::runtime_error(std::string(name()) + ": register write refused at offset " +
                               std::to_string(offset));
  };
  set(r::kStrtabBase, 8, st.base_reg());
  set(r::kStrtabBaseCfg, 4, st.base_cfg());
  set(r::kCr0, 4, r::cr0::kSmmuEn.mask());
}

}  // namespace smmu::platform
