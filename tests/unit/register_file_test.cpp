// SPDX-License-Identifier: Apache-2.0
// The SMMU register file's descriptor table on its own (no simulation): names and
// offsets unique, reset values, write masks, freeze rules, hooks and their delay,
// read_by_name and the dump's decoded fields.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "rtl_model/arch/registers.h"
#include "rtl_model/smmu/register_file.h"

namespace {

using smmu::model::Freeze;
using smmu::model::RegisterDesc;
using smmu::model::RegisterFile;
using smmu::model::SmmuFeatures;
namespace r = smmu::arch::reg;

SmmuFeatures with_ecmdqs(unsigned n) {
  SmmuFeatures f;
  f.ecmdqs = n;
  return f;
}

uint64_t rd(const RegisterFile& regs, uint64_t offset, unsigned size = 4) {
  uint64_t v = 0;
  EXPECT_TRUE(regs.read(offset, size, v)) << offset;
  return v;
}

uint64_t by_name(const RegisterFile& regs, const std::string& name) {
  const auto v = regs.read_by_name(name);
  EXPECT_TRUE(v.has_value()) << name;
  return v.value_or(~uint64_t{0});
}

TEST(RegisterFile, NamesAndOffsetsAreUniqueAndEveryWordIsOneRegisters) {
  const RegisterFile regs(with_ecmdqs(4));
  std::set<std::string> names;
  std::set<uint64_t> words;
  for (const RegisterDesc& d : regs.descriptors()) {
    EXPECT_EQ(d.name.rfind("SMMU_", 0), 0u) << d.name;
    EXPECT_TRUE(names.insert(d.name).second) << "name twice: " << d.name;
    EXPECT_TRUE(d.width == 32 || d.width == 64) << d.name;
    EXPECT_EQ(d.offset % (d.width / 8), 0u) << d.name;
    EXPECT_LT(d.offset, r::kWindowSize) << d.name;
    EXPECT_EQ(d.width == 64, r::is_64bit(d.offset) || d.name.rfind("SMMU_ECMDQ_BASE", 0) == 0)
        << d.name;
    for (uint64_t w = d.offset; w < d.offset + d.width / 8; w += 4)
      EXPECT_TRUE(words.insert(w).second) << "offset twice: " << d.name;
    if (d.write_mask) {
      EXPECT_EQ(d.reset & ~d.write_mask, 0u) << d.name;
    }
    // The reset value is what the register reads before any write.
    EXPECT_EQ(by_name(regs, d.name), d.reset) << d.name;
    for (const auto& f : d.fields) EXPECT_LT(f.hi, d.width) << d.name << "." << f.name;
  }
  EXPECT_EQ(names.size(), 32u + 4u + 3u * 4u);
  for (const char* n : {"SMMU_IDR0", "SMMU_CR0", "SMMU_CR0ACK", "SMMU_GERRORN",
                        "SMMU_CMDQ_PROD", "SMMU_EVTQ_CONS", "SMMU_IDR6",
                        "SMMU_CMDQ_CONTROL_PAGE_BASE0", "SMMU_ECMDQ_PROD3"})
    EXPECT_EQ(names.count(n), 1u) << n;
  const RegisterDesc* evtq_prod = regs.find("SMMU_EVTQ_PROD");
  ASSERT_NE(evtq_prod, nullptr);
  EXPECT_EQ(evtq_prod->offset, r::kEvtqProd);  // page 1
}

TEST(RegisterFile, WithoutEcmdqsTheirRegistersAreAbsent) {
  const RegisterFile regs{SmmuFeatures{}};
  EXPECT_EQ(regs.descriptors().size(), 32u);
  EXPECT_FALSE(regs.read_by_name("SMMU_IDR6"));
  EXPECT_FALSE(regs.read_by_name("SMMU_ECMDQ_BASE0"));
  EXPECT_EQ(rd(regs, r::kIdr6), 0u);
}

TEST(RegisterFile, UnknownNameIsNullopt) {
  const RegisterFile regs(with_ecmdqs(2));
  EXPECT_FALSE(regs.read_by_name("SMMU_NOPE").has_value());
  EXPECT_FALSE(regs.read_by_name("").has_value());
  EXPECT_FALSE(regs.read_by_name("smmu_cr0").has_value());  // names are exact
  EXPECT_FALSE(regs.read_by_name("SMMU_ECMDQ_PROD2").has_value());  // only 0 and 1
  EXPECT_EQ(regs.find("SMMU_NOPE"), nullptr);
  EXPECT_TRUE(regs.read_by_name("SMMU_ECMDQ_PROD1").has_value());
}

TEST(RegisterFile, ResetValues) {
  SmmuFeatures f;
  f.sid_bits = 12;
  f.cmdq_log2_entries = 10;
  const RegisterFile regs(f);
  EXPECT_EQ(by_name(regs, "SMMU_GBPA"), 1u << 12);  // SHCFG = use incoming
  EXPECT_EQ(by_name(regs, "SMMU_AIDR"), 1u);        // SMMUv3.1
  EXPECT_EQ(by_name(regs, "SMMU_CR0"), 0u);
  EXPECT_EQ(r::idr1::kSidSize.get(by_name(regs, "SMMU_IDR1")), 12u);
  EXPECT_EQ(r::idr1::kCmdqs.get(by_name(regs, "SMMU_IDR1")), 10u);
  EXPECT_EQ(by_name(regs, "SMMU_IDR1"), regs.idr(1));
  EXPECT_EQ(rd(regs, r::kIdr0), regs.idr(0));

  const RegisterFile e(with_ecmdqs(4));
  EXPECT_EQ(r::idr6::kLog2NumQ.get(by_name(e, "SMMU_IDR6")), 2u);
  EXPECT_EQ(by_name(e, "SMMU_CMDQ_CONTROL_PAGE_CFG0"), 1u);
  EXPECT_EQ(r::cmdq_control_page_base::kAddr.address(by_name(e, "SMMU_CMDQ_CONTROL_PAGE_BASE0")),
            r::kEcmdqPage0);
}

TEST(RegisterFile, WriteMaskIsHonoured) {
  RegisterFile regs{SmmuFeatures{}};
  ASSERT_TRUE(regs.write(r::kCr0, 4, 0xffffffff));
  // SMMUEN, EVTQEN, CMDQEN, ATSCHK; not PRIQEN (no PRI) nor reserved bits.
  EXPECT_EQ(by_name(regs, "SMMU_CR0"), 0x1du);
  EXPECT_EQ(by_name(regs, "SMMU_CR0ACK"), 0x1du);  // acknowledged at once
  ASSERT_TRUE(regs.write(r::kGerrorIrqCfg0, 8, ~uint64_t{0}));
  EXPECT_EQ(by_name(regs, "SMMU_GERROR_IRQ_CFG0"), smmu::arch::field_mask(51, 2));
  ASSERT_TRUE(regs.write(r::kGerrorIrqCfg2, 4, 0xffffffff));
  EXPECT_EQ(by_name(regs, "SMMU_GERROR_IRQ_CFG2"), 0x3fu);
  ASSERT_TRUE(regs.write(r::kGerrorN, 4, 0xffffffff));
  EXPECT_EQ(by_name(regs, "SMMU_GERRORN"), r::gerror::kAll);  // no CMDQP_ERR without ECMDQs
  // Read-only registers ignore writes.
  const uint64_t idr0 = by_name(regs, "SMMU_IDR0");
  ASSERT_TRUE(regs.write(r::kIdr0, 4, 0));
  EXPECT_EQ(by_name(regs, "SMMU_IDR0"), idr0);
  ASSERT_TRUE(regs.write(r::kGerror, 4, 0xff));
  EXPECT_EQ(by_name(regs, "SMMU_GERROR"), 0u);
  // GBPA takes a write only with UPDATE set, and UPDATE reads 0.
  ASSERT_TRUE(regs.write(r::kGbpa, 4, r::gbpa::kAbort.mask()));
  EXPECT_FALSE(regs.gbpa_abort());
  ASSERT_TRUE(regs.write(r::kGbpa, 4, r::gbpa::kAbort.mask() | r::gbpa::kUpdate.mask()));
  EXPECT_TRUE(regs.gbpa_abort());
  EXPECT_EQ(by_name(regs, "SMMU_GBPA"), r::gbpa::kAbort.mask());
  // A queue pointer keeps its queue's index and wrap bits only.
  ASSERT_TRUE(regs.write(r::kCr0, 4, 0));  // CMDQ_BASE is frozen while CMDQEN
  r::QueueBase b;
  b.addr = 0x8000'0000;
  b.log2size = 4;
  ASSERT_TRUE(regs.write(r::kCmdqBase, 8, b.encode()));
  ASSERT_TRUE(regs.write(r::kCmdqProd, 4, 0xffffffff));
  EXPECT_EQ(regs.cmdq_prod(), 0x1fu);
}

TEST(RegisterFile, FrozenFieldsIgnoreWritesWhileTheirEnableIsSet) {
  RegisterFile regs{SmmuFeatures{}};
  const RegisterDesc* strtab = regs.find("SMMU_STRTAB_BASE");
  ASSERT_NE(strtab, nullptr);
  EXPECT_EQ(strtab->freeze, Freeze::kSmmuEn);
  EXPECT_EQ(regs.find("SMMU_CMDQ_BASE")->freeze, Freeze::kCmdqEn);
  EXPECT_EQ(regs.find("SMMU_EVTQ_PROD")->freeze, Freeze::kEvtqEn);
  EXPECT_EQ(regs.find("SMMU_CMDQ_PROD")->freeze, Freeze::kNever);

  ASSERT_TRUE(regs.write(r::kStrtabBase, 8, 0x1000));
  ASSERT_TRUE(regs.write(r::kCmdqBase, 8, 0x2000 | 5));
  ASSERT_TRUE(regs.write(r::kCr0, 4, r::cr0::kSmmuEn.mask() | r::cr0::kCmdqEn.mask()));
  ASSERT_TRUE(regs.write(r::kStrtabBase, 8, 0x3000));
  ASSERT_TRUE(regs.write(r::kStrtabBaseCfg, 4, 7));
  ASSERT_TRUE(regs.write(r::kCmdqBase, 8, 0x4000 | 6));
  ASSERT_TRUE(regs.write(r::kCmdqCons, 4, 3));
  EXPECT_EQ(by_name(regs, "SMMU_STRTAB_BASE"), 0x1000u);
  EXPECT_EQ(by_name(regs, "SMMU_STRTAB_BASE_CFG"), 0u);
  EXPECT_EQ(by_name(regs, "SMMU_CMDQ_BASE"), 0x2000u | 5);
  EXPECT_EQ(by_name(regs, "SMMU_CMDQ_CONS"), 0u);
  // The event queue is not enabled: its base takes writes.
  ASSERT_TRUE(regs.write(r::kEvtqBase, 8, 0x5000 | 3));
  EXPECT_EQ(by_name(regs, "SMMU_EVTQ_BASE"), 0x5000u | 3);
  // Disabled again, the writes are taken.
  ASSERT_TRUE(regs.write(r::kCr0, 4, 0));
  ASSERT_TRUE(regs.write(r::kStrtabBase, 8, 0x3000));
  EXPECT_EQ(by_name(regs, "SMMU_STRTAB_BASE"), 0x3000u);
}

TEST(RegisterFile, Cr1QueueAttributesFreezeWhileAnEcmdqIsActive) {
  RegisterFile regs(with_ecmdqs(2));
  const RegisterDesc* cr1 = regs.find("SMMU_CR1");
  ASSERT_NE(cr1, nullptr);
  EXPECT_EQ(cr1->freeze, Freeze::kAnyEcmdqActive);
  const uint64_t prod1 = regs.find("SMMU_ECMDQ_PROD1")->offset;
  ASSERT_TRUE(regs.write(r::kCr1, 4, 0x015));
  ASSERT_TRUE(regs.write(prod1, 4, r::ecmdq_prod::kEn.mask()));
  EXPECT_TRUE(regs.ecmdq_enabled(1));  // ENACK at once
  ASSERT_TRUE(regs.write(r::kCr1, 4, 0xfea));
  EXPECT_EQ(by_name(regs, "SMMU_CR1"), 0xfd5u);  // TABLE_* taken, QUEUE_* kept
  // ECMDQ 1's BASE is frozen while it is enabled; ECMDQ 0's is not.
  ASSERT_TRUE(regs.write(regs.find("SMMU_ECMDQ_BASE1")->offset, 8, 0x6000 | 2));
  ASSERT_TRUE(regs.write(regs.find("SMMU_ECMDQ_BASE0")->offset, 8, 0x7000 | 2));
  EXPECT_EQ(by_name(regs, "SMMU_ECMDQ_BASE1"), 0u);
  EXPECT_EQ(by_name(regs, "SMMU_ECMDQ_BASE0"), 0x7000u | 2);
}

TEST(RegisterFile, HooksGetTheWordAndTheWritersDelay) {
  RegisterFile regs(with_ecmdqs(2));
  std::vector<std::pair<uint64_t, sc_core::sc_time>> calls;
  auto record = [&calls](uint64_t off, const sc_core::sc_time& d) { calls.emplace_back(off, d); };
  ASSERT_TRUE(regs.set_write_hook(r::kCmdqProd, record));
  ASSERT_TRUE(regs.set_write_hook(r::kStrtabBase, record));
  const uint64_t prod0 = regs.ecmdq_prod_offset(0);
  ASSERT_TRUE(regs.set_write_hook(prod0, record));
  EXPECT_FALSE(regs.set_write_hook(r::kStrtabBase + 4, record));  // not a register's start
  EXPECT_FALSE(regs.set_write_hook(0x1234, record));

  const sc_core::sc_time t(7, sc_core::SC_NS);
  ASSERT_TRUE(regs.write(r::kCmdqProd, 4, 1, t));
  ASSERT_TRUE(regs.write(r::kStrtabBase, 8, 0x1000, t * 2));  // one call per word
  ASSERT_TRUE(regs.write(r::kCmdqCons, 4, 1, t));             // no hook there
  ASSERT_TRUE(regs.write(r::kCr0, 4, r::cr0::kSmmuEn.mask()));
  ASSERT_TRUE(regs.write(r::kStrtabBase, 8, 0x2000, t));      // frozen: no call
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0], std::make_pair(r::kCmdqProd, t));
  EXPECT_EQ(calls[1], std::make_pair(r::kStrtabBase, t * 2));
  EXPECT_EQ(calls[2], std::make_pair(r::kStrtabBase + 4, t * 2));

  // The ECMDQ PROD hook also sees writes its freeze refused (a disable pending).
  calls.clear();
  ASSERT_TRUE(regs.write(prod0, 4, r::ecmdq_prod::kEn.mask()));
  ASSERT_TRUE(regs.write(prod0, 4, 0));  // EN cleared: disabling until acknowledged
  EXPECT_TRUE(regs.ecmdq_disabling(0));
  ASSERT_TRUE(regs.write(prod0, 4, r::ecmdq_prod::kEn.mask() | 1, t));
  EXPECT_EQ(regs.ecmdq_prod(0), 0u);  // refused
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].second, t);
}

TEST(RegisterFile, DumpDecodesFieldsAfterAKnownSetUp) {
  RegisterFile regs(with_ecmdqs(2));
  r::QueueBase cq;
  cq.addr = 0x8123'4560;
  cq.log2size = 6;
  ASSERT_TRUE(regs.write(r::kCmdqBase, 8, cq.encode()));
  ASSERT_TRUE(regs.write(r::kCmdqProd, 4, 0x45));
  ASSERT_TRUE(regs.write(r::kCr0, 4, 0xd));
  ASSERT_TRUE(regs.write(r::kIrqCtrl, 4, 0x5));
  std::ostringstream os;
  regs.dump(os, "  ");
  const std::string dump = os.str();
  auto has = [&dump](const std::string& line) {
    EXPECT_NE(dump.find("  " + line + "\n"), std::string::npos) << line << "\nin:\n" << dump;
  };
  has("SMMU_CR0 = 0x0000000d  SMMUEN=1 PRIQEN=0 EVTQEN=1 CMDQEN=1 ATSCHK=0");
  has("SMMU_CR0ACK = 0x0000000d  SMMUEN=1 PRIQEN=0 EVTQEN=1 CMDQEN=1 ATSCHK=0");
  has("SMMU_IRQ_CTRL = 0x00000005  GERROR_IRQEN=1 PRIQ_IRQEN=0 EVTQ_IRQEN=1");
  has("SMMU_CMDQ_BASE = 0x0000000081234566  LOG2SIZE=6 ADDR=0x81234560 RA=0");
  // LOG2SIZE 6: WR is index 5 with the wrap bit (bit 6) set.
  has("SMMU_CMDQ_PROD = 0x00000045  WR=0x5 WRAP=1");
  has("SMMU_GBPA = 0x00001000  MEMATTR=0 MTCFG=0 ALLOCCFG=0 SHCFG=1 PRIVCFG=0 INSTCFG=0 "
      "ABORT=0 UPDATE=0");
  has("SMMU_ECMDQ_CONS1 = 0x00000000  RD=0x0 WRAP=0 ERR=0 ERR_REASON=0 ENACK=0");
  has("SMMU_IDR4 = 0x00000000");
  // One line per register, in offset order.
  size_t lines = 0;
  std::istringstream in(dump);
  std::string line;
  uint64_t prev = 0;
  while (std::getline(in, line)) {
    ++lines;
    const RegisterDesc* d = regs.find(line.substr(2, line.find(' ', 2) - 2));
    ASSERT_NE(d, nullptr) << line;
    EXPECT_GE(d->offset, prev) << line;
    prev = d->offset;
  }
  EXPECT_EQ(lines, regs.descriptors().size());
  // format() of one register alone.
  EXPECT_EQ(RegisterFile::format(*regs.find("SMMU_CR2"), 0x5),
            "SMMU_CR2 = 0x00000005  E2H=1 RECINVSID=0 PTM=1");
}

}  // namespace
