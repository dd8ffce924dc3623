// SPDX-License-Identifier: Apache-2.0
// The driver on an SMMU with ECMDQs (IHI 0070 §3.5.6): bring-up enables the queues,
// every CPU issues on its own queue (CPU c on ECMDQ c % n), and the command queue
// designs hold under 8 CPUs with 4 queues (one each for two CPUs) and with 2 queues
// shared by 4 CPUs each: every CPU's commands arrive once, in order, on its queue, and
// each CMD_SYNC it waited for completed after them. An illegal command on one ECMDQ is
// recovered through GERROR.CMDQP_ERR while another CPU's queue goes on, and an unmap
// invalidated through an ECMDQ leaves no stale translation.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "driver/io_pgtable.h"
#include "support/cmdq_bursts.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::CmdqDesign;
using driver::IommuProt;
using driver::PgtableStatus;
using driver::SmmuStatus;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;
namespace r = arch::reg;

namespace {

constexpr unsigned kCpus = 8;
constexpr unsigned kOffered = 4;  // ECMDQs the SMMU implements

DriverSocConfig with_ecmdqs(unsigned used, CmdqDesign design = CmdqDesign::kLocked,
                            unsigned cpus = kCpus) {
  DriverSocConfig cfg;
  cfg.cpus = cpus;
  cfg.smmu.features.ecmdqs = kOffered;
  cfg.smmu.features.cmdq_log2_entries = 12;
  cfg.device.cmdq_log2 = 12;
  cfg.device.cmdq_design = design;
  cfg.device.ecmdqs = used;
  return cfg;
}

using Param = std::tuple<CmdqDesign, unsigned, unsigned>;  // design, ECMDQs used, seed

class EcmdqDesigns : public ::testing::TestWithParam<Param> {};

}  // namespace

TEST_P(EcmdqDesigns, EveryCpusCommandsArriveOnceInOrderOnItsQueueAndSyncsCompleteAfterThem) {
  const auto [design, used, seed] = GetParam();
  DriverSoc soc(with_ecmdqs(used, design));
  // Each CPU on its own queue, as the driver's command paths pick it (cpu_cmdq).
  const test::CmdqBurstRun out =
      test::run_cmdq_bursts(soc, seed, [&](unsigned) -> driver::CommandQueue& { return soc.device(0).cpu_cmdq(); });
  ASSERT_TRUE(out.all_done);
  EXPECT_EQ(out.failures, 0u);
  driver::SmmuDevice& dev = soc.device(0);
  ASSERT_EQ(dev.num_ecmdqs(), used);
  std::vector<const driver::CommandQueue*> queues;
  uint64_t total_produced = 0, total_issued = 0;
  for (unsigned i = 0; i < used; ++i) {
    queues.push_back(&dev.ecmdq(i));
    total_produced += dev.ecmdq(i).produced();
  }
  for (unsigned n : out.issued) total_issued += n;
  EXPECT_EQ(test::check_cmdq_bursts(soc, out, queues, [used = used](unsigned cpu) { return cpu % used; }),
            total_issued);
  // The SMMU ran them from the ECMDQs; the CMDQ had only the bring-up's commands.
  const model::CommandStats& cs = soc.smmu_stats(0);
  ASSERT_EQ(cs.by_queue.size(), 1u + kOffered);
  uint64_t from_ecmdqs = 0;
  for (unsigned i = 0; i < kOffered; ++i) from_ecmdqs += cs.by_queue[1 + i];
  EXPECT_EQ(from_ecmdqs, total_produced);
  EXPECT_EQ(cs.by_queue[0], dev.cmdq().produced());
  for (unsigned i = used; i < kOffered; ++i) EXPECT_EQ(cs.by_queue[1 + i], 0u);
  EXPECT_EQ(dev.stats().gerrors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, EcmdqDesigns,
                         ::testing::Combine(::testing::Values(CmdqDesign::kLocked, CmdqDesign::kCasLoop,
                                                              CmdqDesign::kFetchAdd),
                                            ::testing::Values(4u, 2u), ::testing::Values(1u, 2u, 3u)),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return std::string(driver::to_string(std::get<0>(i.param))) + "_" +
                                  std::to_string(std::get<1>(i.param)) + "ecmdqs_seed" +
                                  std::to_string(std::get<2>(i.param));
                         });

TEST(DriverEcmdq, BringUpEnablesTheQueuesAndMapsCpusOntoThem) {
  DriverSoc soc(with_ecmdqs(8, CmdqDesign::kLocked, 2));  // asks for more than offered
  ASSERT_TRUE(soc.run_driver([&](driver::Os& os, driver::Iommu&) {
    driver::SmmuDevice& dev = soc.device(0);
    ASSERT_EQ(dev.num_ecmdqs(), kOffered);
    EXPECT_TRUE(dev.features().ecmdq);
    EXPECT_EQ(dev.features().ecmdq_log2numq, 2u);
    for (unsigned i = 0; i < kOffered; ++i) {
      const uint32_t cons = dev.ecmdq(i).read_cons();
      EXPECT_TRUE(r::ecmdq_enack(cons)) << i;
      EXPECT_TRUE(r::ecmdq_en(os.mmio_read32(dev.ecmdq(i).prod_address()))) << i;
      EXPECT_EQ(&dev.cmdq_for_cpu(i), &dev.ecmdq(i));
      EXPECT_EQ(&dev.cmdq_for_cpu(i + kOffered), &dev.ecmdq(i));
    }
    EXPECT_EQ(&dev.cpu_cmdq(), &dev.ecmdq(0));  // CPU 0
    EXPECT_NE(&dev.cpu_cmdq(), &dev.cmdq());
    // A reset disables them, reprograms and enables them again.
    ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
    ASSERT_EQ(dev.num_ecmdqs(), kOffered);
    EXPECT_EQ(dev.cpu_cmdq().issue_and_wait({arch::Command(Op::kTlbiNsnhAll)}), SmmuStatus::kOk);
  }));
}

TEST(DriverEcmdq, WithoutEcmdqsOrWithoutTheOptionTheCmdqServesEveryCpu) {
  DriverSocConfig cfg;
  cfg.cpus = 2;
  cfg.device.ecmdqs = 4;  // asked for, but the SMMU has none (IDR1.ECMDQ = 0)
  DriverSoc soc(cfg);
  ASSERT_TRUE(soc.run_driver([&](driver::Os&, driver::Iommu&) {
    driver::SmmuDevice& dev = soc.device(0);
    EXPECT_FALSE(dev.features().ecmdq);
    EXPECT_EQ(dev.num_ecmdqs(), 0u);
    EXPECT_EQ(&dev.cmdq_for_cpu(1), &dev.cmdq());
    EXPECT_EQ(&dev.cpu_cmdq(), &dev.cmdq());
  }));
}

TEST(DriverEcmdq, OptionZeroLeavesOfferedQueuesAlone) {
  DriverSoc soc(with_ecmdqs(0, CmdqDesign::kLocked, 1));
  ASSERT_TRUE(soc.run_driver([&](driver::Os&, driver::Iommu&) {
    EXPECT_TRUE(soc.device(0).features().ecmdq);
    EXPECT_EQ(soc.device(0).num_ecmdqs(), 0u);
    EXPECT_EQ(&soc.device(0).cpu_cmdq(), &soc.device(0).cmdq());
  }));
  EXPECT_FALSE(soc.smmu(0).registers().ecmdq_enabled(0));
}

TEST(DriverEcmdq, IllegalCommandOnOneEcmdqIsRecoveredWhileAnotherGoesOn) {
  DriverSoc soc(with_ecmdqs(2, CmdqDesign::kLocked, 2));
  bool ready = false, other_done = false;
  SmmuStatus bad_status = SmmuStatus::kBusy, other_status = SmmuStatus::kBusy;
  soc.cpu(0).add_program([&](driver::Os&) { ready = soc.bring_up(); });
  soc.cpu(1).add_program([&](driver::Os& os) {
    while (!ready) os.delay_ns(1000);
    // CPU 1's queue (ECMDQ 1): a command of an unknown opcode between two good ones.
    const std::vector<arch::Command> cmds = {arch::Command(Op::kTlbiNsnhAll),
                                             arch::Command::from_words(0x7f, 0),
                                             arch::Command(Op::kTlbiNsnhAll)};
    bad_status = soc.device(0).cpu_cmdq().issue_and_wait(cmds);
  });
  soc.cpu(0).add_program([&](driver::Os& os) {
    // CPU 0's queue (ECMDQ 0) meanwhile, a stream of batches.
    other_status = SmmuStatus::kOk;
    for (unsigned i = 0; i < 20 && other_status == SmmuStatus::kOk; ++i) {
      other_status = soc.device(0).cpu_cmdq().issue_and_wait({arch::Command(Op::kTlbiNhAsid).set_asid(7)});
      os.delay_ns(50);
    }
    other_done = true;
  });
  soc.run(sc_core::sc_time(5, sc_core::SC_MS));
  ASSERT_TRUE(other_done);
  EXPECT_EQ(bad_status, SmmuStatus::kOk);  // the bad command became a CMD_SYNC
  EXPECT_EQ(other_status, SmmuStatus::kOk);
  driver::SmmuDevice& dev = soc.device(0);
  EXPECT_EQ(dev.stats().ecmdq_errors, 1u);
  EXPECT_EQ(dev.stats().cmdq_ill, 1u);
  EXPECT_EQ(dev.ecmdq(1).stats().ill_skipped, 1u);
  EXPECT_EQ(dev.ecmdq(0).stats().errors_seen, 0u);
  // Acknowledged: CMDQP_ERR inactive, ERRACK = ERR on ECMDQ 1, and it runs on.
  const model::RegisterFile& regs = soc.smmu(0).registers();
  EXPECT_EQ(r::gerror_active(regs.gerror(), regs.gerrorn()), 0u);
  EXPECT_TRUE(r::ecmdq_err(regs.ecmdq_cons(1)));
  EXPECT_FALSE(r::ecmdq_error_pending(regs.ecmdq_prod(1), regs.ecmdq_cons(1)));
  EXPECT_EQ(soc.smmu_stats(0).errors_ill, 1u);
  EXPECT_EQ(soc.smmu_stats(0).by_queue[1], 40u);  // 20 commands and 20 SYNCs
  EXPECT_EQ(soc.smmu_stats(0).by_queue[2], 4u);   // two TLBIs, the replacement, the SYNC
}

TEST(DriverEcmdq, UnmapInvalidatedThroughAnEcmdqLeavesNoStaleTranslation) {
  constexpr uint64_t kIova = 0x4000'0000, kPa = 0x2000'0000;
  constexpr uint32_t kSid = 5;
  DriverSoc soc(with_ecmdqs(2, CmdqDesign::kLocked, 2));
  soc.write64(kPa, 0x5151);
  bool ready = false, done = false;
  std::vector<bool> ok;
  uint64_t ecmdq1_before = 0, ecmdq1_after = 0;
  soc.cpu(0).add_program([&](driver::Os&) { ready = soc.bring_up(); });
  soc.cpu(1).add_program([&](driver::Os& os) {
    while (!ready) os.delay_ns(1000);
    driver::Iommu& iommu = soc.iommu();
    auto dom = test::make_paging_domain(iommu, driver::PgtableStage::kS1);
    ASSERT_EQ(dom->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    auto m = test::make_master(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    ok.push_back(soc.dma(0, 0, kSid, kIova).ok());
    ok.push_back(soc.dma(0, 0, kSid, kIova).ok());  // cached now
    ecmdq1_before = soc.smmu_stats(0).by_queue[2];
    ASSERT_EQ(dom->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
    ecmdq1_after = soc.smmu_stats(0).by_queue[2];
    ok.push_back(soc.dma(0, 0, kSid, kIova).ok());  // must fault
    done = true;
  });
  soc.run(sc_core::sc_time(5, sc_core::SC_MS));
  ASSERT_TRUE(done);
  EXPECT_EQ(ok, (std::vector<bool>{true, true, false}));
  EXPECT_GT(ecmdq1_after, ecmdq1_before);  // the TLBI and its SYNC went through ECMDQ 1
  EXPECT_GE(soc.opcode_count(0, Op::kTlbiNhVa) + soc.opcode_count(0, Op::kTlbiNhAsid), 1u);
}
