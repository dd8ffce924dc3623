// SPDX-License-Identifier: Apache-2.0
// A SoC for system tests of the driver: DRAM and N SMMUs behind one router, M CPUs that
// run driver code, and per SMMU some plain device masters (test::Master on the first
// upstream ports) and ATS endpoints (on the next ones). Every CPU sees every SMMU's
// interrupts (SMMU i: evtq 3i, gerror 3i+1, cmd_sync 3i+2) and SEV.
//
// bring_up() (from a CPU program) creates the driver's SmmuDevice per SMMU and the
// Iommu; they outlive the simulation (the SMMUs keep using the driver's memory).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <systemc>

#include "driver/iommu.h"
#include "driver/io_pgtable.h"
#include "driver/smmu_device.h"
#include "platform/cpu/cpu.h"
#include "platform/software/guest_stage1.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "platform/soc/smmu_fabric.h"
#include "platform/cpu/system_os.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/pcie/ats_endpoint.h"
#include "rtl_model/smmu/smmu.h"
#include "support/smmu_testbench.h"

namespace smmu::test {

constexpr uint64_t kDriverSmmuBase = uint64_t{0x10} << 32;  // SMMU i at base + i * 192 KiB

struct DriverSocConfig {
  unsigned smmus = 1;
  unsigned cpus = 1;
  unsigned plain_masters = 1;  // per SMMU, ports 0..plain_masters-1
  unsigned ats_endpoints = 0;  // per SMMU, the ports after them
  model::SmmuParams smmu;
  platform::CpuParams cpu;      // id set per CPU
  sc_core::sc_time pcie_round_trip{500, sc_core::SC_NS};
  uint64_t mem_size = uint64_t{4} << 30;
  uint64_t dma_base = 0x1000'0000, dma_size = 0x1000'0000;  // the driver's DMA memory
  // Every ATS endpoint's parameters but its sid (the round trip is pcie_round_trip;
  // ATS starts disabled: the driver enables it at attach). No traffic of their own.
  model::AtsEndpointParams endpoint;
  // (smmu, endpoint index) -> StreamID, for the endpoints a test wants elsewhere than
  // DriverSoc::endpoint_sid(smmu, index).
  std::map<std::pair<unsigned, unsigned>, uint32_t> endpoint_sids;
  // What bring_up() gives every SmmuDevice, but the completion and the irq numbers
  // (device_options() sets those).
  driver::SmmuDeviceOptions device;
};

// From a CPU program: a paging domain of `stage` with the defaults otherwise, and a master
// of one StreamID. Both throw std::runtime_error naming the status when the driver refuses.
std::unique_ptr<driver::Domain> make_paging_domain(driver::Iommu& iommu, driver::PgtableStage stage,
                                                   bool nest_parent = false);
std::unique_ptr<driver::Master> make_master(driver::Iommu& iommu, driver::SmmuDevice& dev,
                                            uint32_t sid, bool requires_direct = false);

// A guest's stage 1 (platform/software/guest_stage1.h) mapping one 4 KiB page iova -> ipa.
using platform::GuestStage1;
GuestStage1 make_guest_stage1(driver::Os& os, uint64_t iova, uint64_t ipa, uint16_t asid);

class DriverSoc {
 public:
  // Throws std::invalid_argument naming a bad key (no CPU, no SMMU, DMA memory outside DRAM,
  // an endpoint sid for an endpoint that does not exist, endpoint traffic).
  explicit DriverSoc(const DriverSocConfig& cfg = {});
  ~DriverSoc();

  const DriverSocConfig& config() const { return cfg_; }
  model::Memory& memory() { return fabric_->memory; }
  model::Smmu& smmu(unsigned i) { return *fabric_->smmus.at(i); }
  platform::Cpu& cpu(unsigned i) { return *cpus_.at(i); }
  Master& master(unsigned smmu, unsigned port) { return *masters_.at(smmu).at(port); }
  model::AtsEndpoint& endpoint(unsigned smmu, unsigned i) { return *endpoints_.at(smmu).at(i); }
  platform::DmaAllocator& dma() { return dma_; }
  // The default StreamID of SMMU smmu's endpoint i; endpoint(smmu, i).sid() is the actual one.
  static uint32_t endpoint_sid(unsigned smmu, unsigned i) { return 0x100 + 16 * smmu + i; }

  // config().device with SMMU smmu's irq numbers (3*smmu, +1, +2) and completion c.
  driver::SmmuDeviceOptions device_options(unsigned smmu,
                                           driver::SyncCompletion c = driver::SyncCompletion::kMsi) const;
  // From a CPU program: an SmmuDevice per SMMU (probed, reset) and the Iommu over them,
  // all on the machine's Os (os() below), so that any CPU may use them. False when a
  // step failed (the test should stop).
  bool bring_up(driver::SyncCompletion c = driver::SyncCompletion::kMsi,
                const driver::IommuOptions& opts = {});
  driver::SmmuDevice& device(unsigned i) { return *devices_.at(i); }
  driver::Iommu& iommu() { return *iommu_; }
  // The OS of whichever CPU is running (what shared driver objects must hold).
  driver::Os& os() { return *system_os_; }

  // One 8-byte DMA through a plain master (any SystemC thread).
  Master::Result dma(unsigned smmu, unsigned port, uint32_t sid, uint64_t iova, bool write = false,
                     uint64_t wdata = 0);
  // The same with a PASID (SSV = 1, SubstreamID ssid).
  Master::Result pasid_dma(unsigned smmu, unsigned port, uint32_t sid, uint32_t ssid, uint64_t iova,
                           bool write = false, uint64_t wdata = 0);
  // One 8-byte DMA through an ATS endpoint; *rdata gets what a read returned (a write
  // writes *rdata when given, else 0). With ssid, the TLP (and its translation request) carries that PASID.
  model::DmaOutcome ats_dma(unsigned smmu, unsigned i, uint64_t iova, bool write = false,
                            uint64_t* rdata = nullptr, std::optional<uint32_t> ssid = std::nullopt);

  uint64_t read64(uint64_t pa) { return fabric_->memory.read64(pa); }
  void write64(uint64_t pa, uint64_t v) { fabric_->memory.write64(pa, v); }

  // The commands the SMMU's queue holds from entry `from` (a count of entries produced,
  // as CommandQueue::produced()) to `to`.
  std::vector<arch::Command> queued_commands(unsigned smmu, uint64_t from, uint64_t to);
  // The same for any of the driver's queues (an ECMDQ's ring, say).
  std::vector<arch::Command> queued_commands(const driver::CommandQueue& q, uint64_t from, uint64_t to);
  uint64_t opcode_count(unsigned smmu, arch::Opcode op) {
    return smmu_stats(smmu).by_opcode[static_cast<uint8_t>(op)];
  }
  const model::CommandStats& smmu_stats(unsigned i) { return fabric_->smmus.at(i)->command_stats(); }

  void run(const sc_core::sc_time& t) { sc_core::sc_start(t); }
  // Brings the driver up on CPU 0 and runs body there (with the machine's Iommu), then
  // simulates `t`. False when the bring-up failed or CPU 0 did not finish (deadlock).
  bool run_driver(const std::function<void(driver::Os&, driver::Iommu&)>& body,
                  driver::SyncCompletion c = driver::SyncCompletion::kMsi,
                  const sc_core::sc_time& t = sc_core::sc_time(50, sc_core::SC_MS));
  // The STE of sid in SMMU i's stream table, as the SMMU would read it.
  arch::Ste ste(unsigned smmu, uint32_t sid);
  // The CD at pa, as the SMMU would read it.
  arch::Cd cd(uint64_t pa);

 private:
  DriverSocConfig cfg_;
  std::unique_ptr<platform::SmmuFabric> fabric_;  // memory, router, SMMUs
  std::vector<std::vector<std::unique_ptr<Master>>> masters_;
  std::vector<std::vector<std::unique_ptr<model::AtsEndpoint>>> endpoints_;
  platform::DmaAllocator dma_;
  std::unique_ptr<platform::ScSync> sync_;
  std::vector<std::unique_ptr<platform::Cpu>> cpus_;
  std::unique_ptr<platform::SystemOs> system_os_;
  std::vector<std::unique_ptr<driver::SmmuDevice>> devices_;
  std::unique_ptr<driver::Iommu> iommu_;
};

}  // namespace smmu::test
