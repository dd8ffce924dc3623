// SPDX-License-Identifier: Apache-2.0
// The wiring every SoC in this project shares (smmu-sim's Soc, the benchmarks, the test
// benches): DRAM at 0 behind one router, SMMU i's 192 KiB register window at
// smmu_base + i * 192 KiB on the same router, every TBU's translated traffic and the
// TCU's walks back into the router, CPUs on the router with SMMU i's interrupts on their
// lines 3i (event queue), 3i + 1 (GERROR), 3i + 2 (CMD_SYNC) and its SEV.
//
// Not a module: the memory, router and SMMUs it makes are children of the module whose
// constructor makes it, so their names (soc.smmu0, tb.mem) are those of a hand-wired SoC.
// SMMUs are added one at a time so that a SoC can build each SMMU's devices right after
// it (construction order is process order in SystemC, which exact timing depends on).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/software/table_builder.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/smmu/smmu.h"

namespace smmu::platform {

class Cpu;

// The SMMUs' windows start here by default: above any memory the scenarios allow.
constexpr uint64_t kDefaultSmmuBase = uint64_t{0x10} << 32;

// The table builders' host-side view of a model::Memory: untimed, uncounted accesses.
class ModelMemoryWriter : public MemoryWriter {
 public:
  explicit ModelMemoryWriter(model::Memory& m) : mem_(m) {}
  void write64(uint64_t pa, uint64_t v) override { mem_.write64(pa, v); }
  uint64_t read64(uint64_t pa) override { return mem_.read64(pa); }

 private:
  model::Memory& mem_;
};

// An SMMU's wired interrupts, as the fabric binds them (named <smmu>_evtq_irq, ...).
struct SmmuIrqLines {
  explicit SmmuIrqLines(const std::string& smmu);
  sc_core::sc_signal<bool> evtq, gerror, cmd_sync;
};

struct SmmuFabricNames {
  const char* memory = "mem";
  const char* router = "router";
};

class SmmuFabric {
 public:
  SmmuFabric(const model::MemoryParams& memory_params,
             const model::RouterParams& router_params = model::RouterParams(),
             SmmuFabricNames names = SmmuFabricNames(), uint64_t smmu_base = kDefaultSmmuBase);
  SmmuFabric(const SmmuFabric&) = delete;
  SmmuFabric& operator=(const SmmuFabric&) = delete;

  model::Memory memory;
  model::Router router;
  std::vector<std::unique_ptr<model::Smmu>> smmus;
  std::vector<std::unique_ptr<SmmuIrqLines>> irq_lines;  // SMMU i's, bound to its ports

  // The next SMMU (named `name`, by default "smmu<i>"): register window mapped, every
  // TBU's downstream and the walk socket bound to the router, its interrupt ports to
  // irq_lines[i]. Its upstream ports are the caller's to bind.
  model::Smmu& add_smmu(const model::SmmuParams& params, const std::string& name = "");
  uint64_t smmu_window(unsigned i) const { return smmu_base_ + i * arch::reg::kWindowSize; }

  // The CPU's bus on the router; every SMMU added so far on its interrupt lines and SEV.
  void connect_cpu(Cpu& cpu);

  ModelMemoryWriter& writer() { return writer_; }

 private:
  uint64_t smmu_base_;
  ModelMemoryWriter writer_;
};

}  // namespace smmu::platform
