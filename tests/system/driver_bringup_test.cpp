// SPDX-License-Identifier: Apache-2.0
// The firmware driver on a simulated CPU against the SMMU model: probe, the reset and
// enable sequence, and CMD_SYNC completion in each mode, with real timed MMIO and the
// SMMU's real command engine.
#include <gtest/gtest.h>

#include "driver/iommu.h"
#include "driver/smmu_device.h"
#include "platform/cpu/cpu.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "support/smmu_testbench.h"

using namespace smmu;
using driver::SmmuStatus;
using driver::SyncCompletion;
using sc_core::sc_time;
namespace r = arch::reg;

namespace {

constexpr uint64_t kMemSize = uint64_t{4} << 30;
constexpr uint64_t kSmmuBase = uint64_t{0x10} << 32;
constexpr uint64_t kDmaBase = 0x10000000, kDmaSize = 0x10000000;

// Memory, router, one SMMU with one device master, one CPU running the driver.
struct DriverSoc {
  model::Memory mem{"mem", [] {
                      model::MemoryParams p;
                      p.size = kMemSize;
                      return p;
                    }()};
  model::Router router{"router"};
  model::Smmu smmu{"smmu"};
  test::Master dev{"dev"};
  platform::DmaAllocator dma{kDmaBase, kDmaSize};
  platform::ScSync sync{"sync"};
  platform::Cpu cpu{"cpu0", platform::CpuParams{}, dma, sync};
  sc_core::sc_signal<bool> evtq_irq{"evtq_irq"}, gerror_irq{"gerror_irq"}, cmd_sync_irq{"cmd_sync_irq"};

  DriverSoc() {
    router.initiator.bind(mem.socket);
    router.initiator.bind(smmu.mmio);
    router.map(0, 0, kMemSize);
    router.map(1, kSmmuBase, r::kWindowSize);
    smmu.downstream.bind(router.target);
    smmu.walk.bind(router.target);
    cpu.bus.bind(router.target);
    dev.socket.bind(smmu.upstream);
    // The platform's own signals on the SMMU's interrupt ports.
    smmu.evtq_irq.bind(evtq_irq);
    smmu.gerror_irq.bind(gerror_irq);
    smmu.cmd_sync_irq.bind(cmd_sync_irq);
    cpu.connect_irq(0, evtq_irq);
    cpu.connect_irq(1, gerror_irq);
    cpu.connect_irq(2, cmd_sync_irq);
    cpu.connect_sev(smmu.sev_event());
  }
};

struct BringUp {
  SmmuStatus probe = SmmuStatus::kNotProbed, reset = SmmuStatus::kNotProbed;
  SmmuStatus sync = SmmuStatus::kNotProbed;
  SyncCompletion mode = SyncCompletion::kMsi;
  uint64_t reset_ns = 0, sync_ns = 0;
  // Outlives the simulation: the SMMU keeps using the driver's queues and tables.
  std::unique_ptr<driver::SmmuDevice> device;
};

void bring_up(DriverSoc& soc, SyncCompletion want, BringUp& out) {
  soc.cpu.add_program([&soc, want, &out](driver::Os& os) {
    driver::SmmuDeviceOptions opts;
    opts.completion = want;
    out.device = std::make_unique<driver::SmmuDevice>(os, kSmmuBase, opts);
    driver::SmmuDevice* dev = out.device.get();
    out.probe = dev->probe();
    if (out.probe != SmmuStatus::kOk) return;
    const uint64_t t0 = os.now_ns();
    out.reset = dev->reset();
    out.reset_ns = os.now_ns() - t0;
    out.mode = dev->completion();
    dev->ensure_ste(5);
    const uint64_t t1 = os.now_ns();
    out.sync = dev->cmdq().issue_and_wait(
        {arch::Command(arch::Opcode::kTlbiNhAll), arch::Command(arch::Opcode::kCfgiCdAll).set_sid(5)});
    out.sync_ns = os.now_ns() - t1;
    (void)soc;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
}

void expect_enabled(DriverSoc& soc, const BringUp& b) {
  EXPECT_EQ(b.probe, SmmuStatus::kOk);
  EXPECT_EQ(b.reset, SmmuStatus::kOk);
  EXPECT_EQ(b.sync, SmmuStatus::kOk);
  const uint32_t cr0 = static_cast<uint32_t>(soc.smmu.registers().cr0().encode());
  EXPECT_EQ(cr0 & 0xd, r::cr0::kSmmuEn.mask() | r::cr0::kCmdqEn.mask() | r::cr0::kEvtqEn.mask());
  const auto& cs = soc.smmu.command_stats();
  EXPECT_EQ(cs.by_opcode[static_cast<uint8_t>(arch::Opcode::kCfgiSteRange)], 1u);  // CFGI_ALL at reset
  EXPECT_GE(cs.by_opcode[static_cast<uint8_t>(arch::Opcode::kTlbiNsnhAll)], 1u);
  EXPECT_EQ(cs.by_opcode[static_cast<uint8_t>(arch::Opcode::kTlbiNhAll)], 1u);
  EXPECT_EQ(cs.syncs, 2u);
  EXPECT_EQ(cs.errors_ill + cs.errors_abt, 0u);
  EXPECT_GT(b.sync_ns, 0u);
}

}  // namespace

TEST(DriverBringUp, ProbeResetAndMsiCompletion) {
  DriverSoc soc;
  BringUp b;
  bring_up(soc, SyncCompletion::kMsi, b);
  expect_enabled(soc, b);
  EXPECT_EQ(b.mode, SyncCompletion::kMsi);
  // Unattached streams abort quietly; a StreamID beyond the level-2 tables is reported.
  model::StreamExtension in_table(5), outside(300);
  EXPECT_EQ(soc.dev.access(0x1000, 8, false, 0, &in_table).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(soc.smmu.stats().aborted, 1u);
  EXPECT_EQ(soc.dev.access(0x1000, 8, false, 0, &outside).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(soc.smmu.stats().events, 1u);
}

TEST(DriverBringUp, ConsPollCompletion) {
  DriverSoc soc;
  BringUp b;
  bring_up(soc, SyncCompletion::kConsPoll, b);
  expect_enabled(soc, b);
  EXPECT_EQ(b.mode, SyncCompletion::kConsPoll);
}

TEST(DriverBringUp, InterruptCompletion) {
  DriverSoc soc;
  BringUp b;
  bring_up(soc, SyncCompletion::kIrq, b);
  expect_enabled(soc, b);
  EXPECT_EQ(b.mode, SyncCompletion::kIrq);
}

// The first attach: an S1 domain with one page, DMA through it, then unmap (the TLBI
// and its CMD_SYNC come from the domain's invalidation array) and the DMA faults.
TEST(DriverBringUp, AttachS1DomainMapUnmap) {
  DriverSoc soc;
  BringUp b;
  std::unique_ptr<driver::Iommu> iommu;
  std::unique_ptr<driver::Domain> dom;
  std::unique_ptr<driver::Master> master;
  bool before = false, after_unmap = true;
  uint64_t read_before = 0;
  driver::SmmuStatus attach = SmmuStatus::kNotProbed;
  soc.mem.write64(0x2000'0008, 0x1234'5678'9abc'def0ull);
  soc.cpu.add_program([&](driver::Os& os) {
    b.device = std::make_unique<driver::SmmuDevice>(os, kSmmuBase, driver::SmmuDeviceOptions{});
    b.probe = b.device->probe();
    b.reset = b.device->reset();
    iommu = std::make_unique<driver::Iommu>(os);
    iommu->add_smmu(*b.device);
    ASSERT_EQ(iommu->alloc_paging_domain(driver::PagingDomainConfig{}, dom), SmmuStatus::kOk);
    ASSERT_EQ(dom->map(0x4000'0000, 0x2000'0000, 0x1000, driver::IommuProt{}), driver::PgtableStatus::kOk);
    driver::MasterConfig mc;
    mc.sids = {5};
    ASSERT_EQ(iommu->probe_master(*b.device, mc, master), SmmuStatus::kOk);
    attach = iommu->attach(*master, *dom);
    model::StreamExtension ext(5);
    const auto r = soc.dev.access(0x4000'0008, 8, false, 0, &ext);
    before = r.ok();
    read_before = r.data;
    const auto u = dom->unmap(0x4000'0000, 0x1000);
    EXPECT_EQ(u.inv, SmmuStatus::kOk);
    EXPECT_EQ(u.pgtable.unmapped, 0x1000u);
    after_unmap = soc.dev.access(0x4000'0008, 8, false, 0, &ext).ok();
    iommu->release_master(master);
    EXPECT_EQ(iommu->free_domain(dom), SmmuStatus::kOk);
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_EQ(attach, SmmuStatus::kOk);
  EXPECT_TRUE(before);
  EXPECT_EQ(read_before, 0x1234'5678'9abc'def0ull);
  EXPECT_FALSE(after_unmap);
  EXPECT_EQ(b.device->tags().asids_in_use(), 0u);
  const auto& cs = soc.smmu.command_stats();
  EXPECT_EQ(cs.by_opcode[static_cast<uint8_t>(arch::Opcode::kTlbiNhVa)], 1u);
  EXPECT_EQ(cs.by_opcode[static_cast<uint8_t>(arch::Opcode::kTlbiNhAsid)], 1u);  // tag flush
}
