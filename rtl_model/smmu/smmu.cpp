// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/smmu.h"

#include <string>

namespace smmu::model {

namespace {

TbuParams tbu_params(const SmmuParams& p) {
  TbuParams t;
  t.clock_period = p.timing.clock_period;
  t.micro_tlb_cycles = p.timing.micro_tlb_cycles;
  t.main_tlb_cycles = p.timing.main_tlb_cycles;
  t.invalidation_cycles_per_set = p.timing.invalidation_cycles_per_set;
  t.dti_latency = p.timing.cycles(p.timing.link_cycles);
  t.micro_tlb = p.micro_tlb;
  t.grant_dmi = p.grant_dmi;
  return t;
}

}  // namespace

std::vector<std::unique_ptr<Tbu>> Smmu::make_tbus(const SmmuParams& params) {
  std::vector<std::unique_ptr<Tbu>> tbus;
  if (params.tbus.empty()) {
    tbus.push_back(std::make_unique<Tbu>("tbu", tbu_params(params)));
    return tbus;
  }
  for (size_t j = 0; j < params.tbus.size(); ++j) {
    const TbuLayout& l = params.tbus[j];
    TbuParams t = tbu_params(params);
    t.port_ids = l.ports;
    t.dti_latency = l.dti_latency;
    t.micro_tlb = l.micro_tlb;
    t.main_tlb = l.main_tlb;
    t.max_translations = l.max_translations;
    tbus.push_back(std::make_unique<Tbu>(("tbu" + std::to_string(j)).c_str(), t));
  }
  return tbus;
}

Smmu::Smmu(const sc_core::sc_module_name& name, const SmmuParams& params)
    : sc_module(name),
      params_(params),
      tcu_("tcu", params),
      tbus_(make_tbus(params)),
      mmio(tcu_.mmio),
      upstream(tbus_.front()->upstream),
      downstream(tbus_.front()->downstream),
      walk(tcu_.walk),
      ats(tcu_.ats),
      ats_inv(tcu_.ats_inv),
      evtq_irq(tcu_.evtq_irq),
      gerror_irq(tcu_.gerror_irq),
      cmd_sync_irq(tcu_.cmd_sync_irq) {
  for (auto& tbu : tbus_) bind_dti(*tbu, tcu_);
}

std::pair<unsigned, unsigned> Smmu::tbu_of_port(unsigned port) const {
  if (params_.tbus.empty()) return {0, port};
  for (unsigned j = 0; j < params_.tbus.size(); ++j) {
    const auto& ports = params_.tbus[j].ports;
    for (unsigned i = 0; i < ports.size(); ++i)
      if (ports[i] == port) return {j, i};
  }
  throw std::out_of_range("smmu: no TBU serves port " + std::to_string(port));
}

MicroTlb& Smmu::micro_tlb(unsigned port) {
  const auto [j, i] = tbu_of_port(port);
  return tbus_[j]->micro_tlb(i);
}

unsigned Smmu::ports() const {
  unsigned n = 0;
  for (const auto& tbu : tbus_) n += tbu->ports();
  return n;
}

SmmuStats Smmu::stats() const {
  SmmuStats s = tcu_.stats();
  for (const auto& tbu : tbus_) {
    const TbuStats& t = tbu->stats();
    s.transactions += t.transactions;
    s.bytes += t.bytes;
    s.bypassed += t.bypassed;
    s.aborted += t.aborted;
    s.boundary_errors += t.boundary_errors;
    s.micro_tlb_hits += t.micro_tlb_hits;
    s.micro_tlb_misses += t.micro_tlb_misses;
    s.dmi_grants += t.dmi_grants;
    s.dmi_revocations += t.dmi_revocations;
    s.ats_translated += t.ats_translated;
  }
  return s;
}

}  // namespace smmu::model
