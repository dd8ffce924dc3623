// SPDX-License-Identifier: Apache-2.0
#include "platform/soc/smmu_fabric.h"

#include "platform/cpu/cpu.h"

namespace smmu::platform {

SmmuIrqLines::SmmuIrqLines(const std::string& smmu)
    : evtq((smmu + "_evtq_irq").c_str()),
      gerror((smmu + "_gerror_irq").c_str()),
      cmd_sync((smmu + "_cmd_sync_irq").c_str()) {}

SmmuFabric::SmmuFabric(const model::MemoryParams& memory_params,
                       const model::RouterParams& router_params, SmmuFabricNames names,
                       uint64_t smmu_base)
    : memory(names.memory, memory_params),
      router(names.router, router_params),
      smmu_base_(smmu_base),
      writer_(memory) {
  router.initiator.bind(memory.socket);
  router.map(0, 0, memory_params.size);
}

model::Smmu& SmmuFabric::add_smmu(const model::SmmuParams& params, const std::string& name) {
  const unsigned i = static_cast<unsigned>(smmus.size());
  const std::string n = name.empty() ? "smmu" + std::to_string(i) : name;
  smmus.push_back(std::make_unique<model::Smmu>(n.c_str(), params));
  model::Smmu& s = *smmus.back();
  router.initiator.bind(s.mmio);
  router.map(1 + i, smmu_window(i), arch::reg::kWindowSize);
  for (unsigned j = 0; j < s.tbu_count(); ++j) s.tbu(j).downstream.bind(router.target);
  s.walk.bind(router.target);
  irq_lines.push_back(std::make_unique<SmmuIrqLines>(n));
  s.evtq_irq.bind(irq_lines.back()->evtq);
  s.gerror_irq.bind(irq_lines.back()->gerror);
  s.cmd_sync_irq.bind(irq_lines.back()->cmd_sync);
  return s;
}

void SmmuFabric::connect_cpu(Cpu& cpu) {
  cpu.bus.bind(router.target);
  for (unsigned i = 0; i < smmus.size(); ++i) {
    cpu.connect_irq(3 * i, irq_lines[i]->evtq);
    cpu.connect_irq(3 * i + 1, irq_lines[i]->gerror);
    cpu.connect_irq(3 * i + 2, irq_lines[i]->cmd_sync);
    cpu.connect_sev(smmus[i]->sev_event());
  }
}

}  // namespace smmu::platform
