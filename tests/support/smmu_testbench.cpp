// SPDX-License-Identifier: Apache-2.0
#include "support/smmu_testbench.h"

#include <cstring>
#include <stdexcept>

namespace smmu::test {

using sc_core::sc_time;
namespace r = arch::reg;

Master::Result Master::access(uint64_t addr, unsigned len, bool write, uint64_t wdata,
                              const model::StreamExtension* ext) {
  Result res;
  tlm::tlm_generic_payload trans;
  uint64_t buf = write ? wdata : 0;
  model::StreamExtension local;
  trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans.set_address(addr);
  trans.set_data_ptr(reinterpret_cast<unsigned char*>(&buf));
  trans.set_data_length(len);
  trans.set_streaming_width(len);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (ext) {
    local = *ext;
    trans.set_extension(&local);
  }
  sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(trans, delay);
  if (ext) trans.clear_extension(&local);
  res.status = trans.get_response_status();
  res.latency = delay;
  res.data = buf;
  return res;
}

DmiMaster::DmiMaster(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {
  socket.register_invalidate_direct_mem_ptr(this, &DmiMaster::invalidate);
}

bool DmiMaster::request(uint64_t addr, tlm::tlm_dmi& dmi) {
  tlm::tlm_generic_payload t;
  model::StreamExtension ext(0);
  t.set_address(addr);
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_extension(&ext);
  const bool ok = socket->get_direct_mem_ptr(t, dmi);
  t.clear_extension(&ext);
  return ok;
}

std::vector<sc_time>* watch(const sc_core::sc_event& e) {
  auto* seen = new std::vector<sc_time>;
  sc_core::sc_spawn([&e, seen] {
    for (;;) {
      sc_core::wait(e);
      seen->push_back(sc_core::sc_time_stamp());
    }
  });
  return seen;
}

model::MemoryParams SmmuTestbench::default_memory() {
  model::MemoryParams p;
  p.size = kMemSize;
  return p;
}

SmmuTestbench::SmmuTestbench(const model::SmmuParams& params, unsigned ports,
                             const model::MemoryParams& mem_params, bool with_dmi_master,
                             const std::vector<model::AtsEndpointParams>& endpoint_params)
    : fabric(mem_params, model::RouterParams(), platform::SmmuFabricNames(), kSmmuBase),
      mem(fabric.memory),
      router(fabric.router),
      smmu(fabric.add_smmu(params, "smmu")),
      cpu("cpu"),
      writer(fabric.writer()),
      alloc(kTableBase, kTableSize) {
  cpu.socket.bind(router.target);
  for (unsigned i = 0; i < ports; ++i)
    masters.push_back(std::make_unique<Master>(("master" + std::to_string(i)).c_str()));
  if (params.tbus.empty()) {
    for (auto& m : masters) m->socket.bind(smmu.upstream);
  } else {
    // Distributed layout: each TBU's ports in its order (the fabric routes each TBU).
    if (with_dmi_master || !endpoint_params.empty())
      throw std::invalid_argument("SmmuTestbench: TBU layouts take device masters only");
    for (unsigned j = 0; j < smmu.tbu_count(); ++j) {
      for (unsigned p : params.tbus[j].ports) masters.at(p)->socket.bind(smmu.tbu(j).upstream);
    }
  }
  if (with_dmi_master) {
    dmi_master = std::make_unique<DmiMaster>("dmi_master");
    dmi_master->socket.bind(smmu.upstream);
  }
  for (size_t i = 0; i < endpoint_params.size(); ++i) {
    endpoints.push_back(std::make_unique<model::AtsEndpoint>(
        ("endpoint" + std::to_string(i)).c_str(), endpoint_params[i]));
    endpoints.back()->dma.bind(smmu.upstream);
    endpoints.back()->ats.bind(smmu.ats);
    smmu.ats_inv.bind(endpoints.back()->inv);
  }
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

uint64_t SmmuTestbench::reg(uint64_t offset, unsigned size) {
  uint64_t v = 0;
  smmu.registers().read(offset, size, v);
  return v;
}

void SmmuTestbench::set_reg(uint64_t offset, uint64_t value, unsigned size) {
  smmu.registers().write(offset, size, value);
}

void SmmuTestbench::enable(const platform::StreamTableBuilder& st, unsigned evtq_log2, bool record_invalid_sid) {
  set_reg(r::kStrtabBase, st.base_reg(), 8);
  set_reg(r::kStrtabBaseCfg, st.base_cfg());
  evtq_base_ = alloc.alloc(uint64_t{r::kEventBytes} << evtq_log2, 4096);
  r::QueueBase qb;
  qb.addr = evtq_base_;
  qb.log2size = static_cast<uint8_t>(evtq_log2);
  set_reg(r::kEvtqBase, qb.encode(), 8);
  set_reg(r::kEvtqProd, 0);
  set_reg(r::kEvtqCons, 0);
  if (record_invalid_sid) set_reg(r::kCr2, r::cr2::kRecInvSid.mask());  // as Linux
  set_reg(r::kCr0, r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask());
}

void SmmuTestbench::enable_cmdq(unsigned log2) {
  cmdq_base_ = alloc.alloc(uint64_t{r::kCommandBytes} << log2, 4096);
  r::QueueBase qb;
  qb.addr = cmdq_base_;
  qb.log2size = static_cast<uint8_t>(log2);
  set_reg(r::kCmdqBase, qb.encode(), 8);
  set_reg(r::kCmdqProd, 0);
  set_reg(r::kCmdqCons, 0);
  set_reg(r::kCr0, reg(r::kCr0) | r::cr0::kCmdqEn.mask());
}

void SmmuTestbench::submit(const std::vector<arch::Command>& cmds) {
  const auto qb = r::QueueBase::decode(reg(r::kCmdqBase, 8));
  uint32_t prod = cmdq_prod();
  for (const auto& c : cmds) {
    const uint64_t a = qb.addr + uint64_t{r::queue_index(prod, qb.log2size)} * r::kCommandBytes;
    mem.write64(a, c.dw[0]);
    mem.write64(a + 8, c.dw[1]);
    prod = r::queue_increment(prod, qb.log2size);
  }
  set_reg(r::kCmdqProd, prod);
}

void SmmuTestbench::run(sc_time time) { sc_core::sc_start(time); }

std::vector<arch::EventRecord> SmmuTestbench::events(bool consume) {
  std::vector<arch::EventRecord> out;
  const auto qb = r::QueueBase::decode(reg(r::kEvtqBase, 8));
  uint32_t cons = static_cast<uint32_t>(reg(r::kEvtqCons));
  const uint32_t prod = static_cast<uint32_t>(reg(r::kEvtqProd));
  while (!r::queue_empty(prod, cons, qb.log2size)) {
    arch::EventWords w;
    const uint64_t a = qb.addr + uint64_t{r::queue_index(cons, qb.log2size)} * r::kEventBytes;
    for (unsigned i = 0; i < 4; ++i) w[i] = mem.read64(a + 8 * i);
    out.push_back(arch::EventRecord::decode(w));
    cons = r::queue_increment(cons, qb.log2size);
  }
  if (consume) set_reg(r::kEvtqCons, r::with_queue_ovflg(cons, r::queue_ovflg(prod)));
  return out;
}

Master::Result SmmuTestbench::dma(uint64_t va, const DmaAttrs& a, unsigned port, unsigned len,
                                  uint64_t wdata) {
  model::StreamExtension ext(a.sid, a.ssid, a.ssv);
  ext.privileged = a.priv;
  ext.instruction = a.exec;
  return masters.at(port)->access(va, len, a.write, wdata, &ext);
}

arch::Cd make_cd_4k(uint64_t ttb0, uint16_t asid, unsigned t0sz, uint8_t ips) {
  arch::Cd cd;
  cd.valid = true;
  cd.aa64 = true;
  cd.t0sz = static_cast<uint8_t>(t0sz);
  cd.tg0 = 0;
  cd.epd1 = true;
  cd.ips = ips;
  cd.asid = asid;
  cd.ttb0 = ttb0;
  cd.r = cd.a = true;  // record stage-1 faults and abort them (as Linux sets them)
  return cd;
}

Stage1Tables::Stage1Tables(SmmuTestbench& t, unsigned s1cdmax)
    : tb(t),
      st(platform::StreamTableBuilder::linear(t.writer, t.alloc, 6)),
      cds(platform::CdTableBuilder::linear(t.writer, t.alloc, s1cdmax)),
      pt(t.writer, t.alloc, arch::Granule{12}, 0) {}

arch::Ste make_s1_ste(const platform::CdTableBuilder& cds, uint16_t vmid) {
  arch::Ste ste;
  ste.valid = true;
  ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
  ste.s2vmid = vmid;
  cds.attach(ste);
  return ste;
}

arch::Ste make_s2_ste(uint64_t s2ttb, uint16_t vmid, uint8_t s2t0sz, uint8_t s2sl0, uint8_t s2tg,
                      uint8_t s2ps) {
  arch::Ste ste;
  ste.valid = true;
  ste.config = static_cast<uint8_t>(arch::SteConfig::kS2);
  ste.s2vmid = vmid;
  ste.s2t0sz = s2t0sz;
  ste.s2sl0 = s2sl0;
  ste.s2tg = s2tg;
  ste.s2ps = s2ps;
  ste.s2aa64 = true;
  ste.s2ttb = s2ttb;
  ste.s2r = true;  // record stage-2 faults
  return ste;
}

arch::S1LeafAttrs rw_s1() {
  arch::S1LeafAttrs a;
  a.af = true;
  a.ap = 1;  // read/write at any EL
  return a;
}

arch::S1LeafAttrs rw_s1_ng() {
  arch::S1LeafAttrs a = rw_s1();
  a.ng = true;
  return a;
}

arch::S2LeafAttrs rw_s2() {
  arch::S2LeafAttrs a;
  a.af = true;
  a.s2ap = 3;
  return a;
}

}  // namespace smmu::test
