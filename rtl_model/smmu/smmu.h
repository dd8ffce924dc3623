// SPDX-License-Identifier: Apache-2.0
// The SMMU as most platforms take it: one TCU (tcu.h) and its TBUs (tbu.h), bound
// together over DTI inside one module.
//
// Default layout (SmmuParams::tbus empty): one TBU serves every upstream port, each port
// with its own micro TLB, no TBU main TLB, the TCU's TLB behind them and a DTI latency
// of timing.link_cycles each way. `upstream` and `downstream` are that TBU's sockets:
// device traffic in, one binding per port, and translated traffic out.
// Distributed layout (SmmuParams::tbus given): one TBU per entry, each serving the SMMU
// ports it lists, with its own TLBs, DTI latency and token limit. The platform binds
// each port's master to tbu(j).upstream (in the order of the entry's ports) and each
// tbu(j).downstream where it routes that TBU's traffic; `upstream` and `downstream`
// name TBU 0's.
// `mmio`, `walk`, `ats`, `ats_inv` and the interrupt signals are the TCU's.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <systemc>
#include <utility>
#include <vector>

#include "rtl_model/smmu/tbu.h"
#include "rtl_model/smmu/tcu.h"

namespace smmu::model {

class Smmu : public sc_core::sc_module {
  // Constructed before the socket references below, which name their sockets.
  SmmuParams params_;
  Tcu tcu_;
  std::vector<std::unique_ptr<Tbu>> tbus_;

 public:
  decltype(Tcu::mmio)& mmio;
  decltype(Tbu::upstream)& upstream;
  decltype(Tbu::downstream)& downstream;
  decltype(Tcu::walk)& walk;
  decltype(Tcu::ats)& ats;
  decltype(Tcu::ats_inv)& ats_inv;
  // The TCU's interrupt ports (see Tcu): bind your own signals, or leave them unbound.
  sc_core::sc_out<bool>& evtq_irq;
  sc_core::sc_out<bool>& gerror_irq;
  sc_core::sc_out<bool>& cmd_sync_irq;

  Smmu(const sc_core::sc_module_name& name, const SmmuParams& params = SmmuParams{});

  const SmmuParams& params() const { return params_; }
  Tcu& tcu() { return tcu_; }
  unsigned tbu_count() const { return static_cast<unsigned>(tbus_.size()); }
  Tbu& tbu(unsigned j) { return *tbus_.at(j); }
  const Tbu& tbu(unsigned j) const { return *tbus_.at(j); }
  // The TBU serving SMMU port `port`, and the port's binding index on it.
  std::pair<unsigned, unsigned> tbu_of_port(unsigned port) const;

  RegisterFile& registers() { return tcu_.registers(); }
  const RegisterFile& registers() const { return tcu_.registers(); }
  // A debug read of a register by its architectural name (no side effects); nullopt for
  // a name this SMMU does not have.
  std::optional<uint64_t> read_register(std::string_view name) const {
    return registers().read_by_name(name);
  }
  // Every register with its decoded fields, one a line.
  void dump_registers(std::ostream& out, const std::string& indent = "") const {
    registers().dump(out, indent);
  }
  // A snapshot of the TCU's figures with every TBU's added in (transactions, micro-TLB
  // hits, DMI, ...). main_tlb_* are the TCU's TLB; a TBU's own are in tbu(j).stats().
  SmmuStats stats() const;
  const CommandStats& command_stats() const { return tcu_.command_stats(); }
  const sc_core::sc_event& sev_event() const { return tcu_.sev_event(); }
  const ConfigFetchStats& config_stats() const { return tcu_.config_stats(); }
  MainTlb& main_tlb() { return tcu_.main_tlb(); }  // the TCU's TLB
  MicroTlb& micro_tlb(unsigned port);
  WalkCache& walk_cache() { return tcu_.walk_cache(); }
  ConfigCache& config_cache() { return tcu_.config_cache(); }
  unsigned ports() const;
  const Occupancy& translation_slots() const { return tcu_.translation_slots(); }
  const Occupancy& walk_slots() const { return tcu_.walk_slots(); }
  void revoke_all_dmi() { tcu_.revoke_all_dmi(); }
  // The TCU's and every TBU's steps to r (step_recorder.h; nullptr: none).
  void set_step_recorder(StepRecorder* r) {
    tcu_.set_step_recorder(r);
    for (auto& t : tbus_) t->set_step_recorder(r);
  }
  // The TCU's and the TBUs' waves (Tcu::add_to_trace, Tbu::add_to_trace).
  void add_to_trace(sc_core::sc_trace_file* tf) {
    tcu_.add_to_trace(tf);
    for (auto& t : tbus_) t->add_to_trace(tf);
  }

 private:
  static std::vector<std::unique_ptr<Tbu>> make_tbus(const SmmuParams& params);
};

}  // namespace smmu::model
