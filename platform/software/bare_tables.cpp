// SPDX-License-Identifier: Apache-2.0
#include "platform/software/bare_tables.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "platform/config/config_reader.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/smmu/regime.h"

namespace smmu::platform {

namespace r = arch::reg;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Each nested stream's guest structures (CD table, stage-1 tables) get a window of the
// table region; stage 2 maps it at IPA == PA.
constexpr uint64_t kNestedWindow = 8 * kMiB;

// Bits needed to write v (0 for 0).
unsigned bits_for(uint64_t v) {
  unsigned n = 0;
  while (v) {
    ++n;
    v >>= 1;
  }
  return n;
}

// IPS / S2PS of the SMMU's OAS (always an architected size).
uint8_t oas_encoding(unsigned bits) {
  const int ps = arch::ps_encoding(bits);
  if (ps < 0) throw std::logic_error("no PS encoding for " + std::to_string(bits) + " bits");
  return static_cast<uint8_t>(ps);
}

arch::S1LeafAttrs s1_attrs(bool read_only) {
  arch::S1LeafAttrs a;
  a.af = true;
  a.ap = read_only ? 3 : 1;  // AP[1] = 1: EL0 may access as well
  a.ng = true;               // entries are tagged with the stream's ASID
  return a;
}

arch::S2LeafAttrs s2_attrs(bool read_only) {
  arch::S2LeafAttrs a;
  a.af = true;
  a.s2ap = read_only ? 1 : 3;
  return a;
}

// The stage-2 regime for IPAs below ipa_end: a 40-bit IPA space (as KVM's default) or
// larger when needed, started at the deepest level the architecture allows for it
// (concatenating start tables), so walks are as short as they can be.
struct Stage2Shape {
  unsigned ipa_bits = 40;
  uint8_t sl0 = 0;
  int start_level = 1;
  unsigned concat = 1;
};

Stage2Shape stage2_shape(arch::Granule g, uint64_t ipa_end, unsigned oas_bits) {
  const unsigned max_ipa = std::min(oas_bits, 48u);
  Stage2Shape s;
  s.ipa_bits = std::max({bits_for(ipa_end - 1), std::min(40u, max_ipa), 25u});
  for (uint8_t sl0 = 0; sl0 < 3; ++sl0)
    if (model::stage2_geometry(g, s.ipa_bits, sl0, oas_bits, s.start_level, s.concat, nullptr)) {
      s.sl0 = sl0;
      return s;
    }
  throw std::logic_error("no stage-2 start level for a " + std::to_string(s.ipa_bits) + "-bit IPA");
}

std::string stream_path(size_t index) {
  return std::string(kScenarioRoot) + ".streams[" + std::to_string(index) + "]";
}


// The STE of stream s, its CDs and page tables written into memory.
arch::Ste build_stream(const Scenario& scenario, const StreamSpec& s, MemoryWriter& mem, PageAllocator& alloc) {
  const model::SmmuFeatures& F = scenario.smmus[s.smmu].params.features;
  const arch::Granule g{s.granule_shift};
  arch::Ste ste;
  ste.valid = true;
  ste.s2vmid = s.vmid;
  ste.eats = s.ats ? 1 : 0;  // full ATS
  switch (s.translation) {
    case Translation::kAbort:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kAbort);
      return ste;
    case Translation::kBypass:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
      return ste;
    default:
      break;
  }

  // Stage 1: page tables and CDs, allocated from `a` (the table region, or a nested
  // stream's guest window, where IPA == PA).
  auto build_stage1 = [&](PageAllocator& a) {
    PageTableBuilder pt(mem, a, g, model::stage1_start_level(g, kStage1InputBits), 1,
                        Stage::kS1);
    pt.set_input_bits(kStage1InputBits);
    for (const MappingSpec& m : s.mappings)
      pt.map(m.iova, s.translation == Translation::kNested ? m.ipa : m.pa, m.size,
             s1_attrs(m.read_only), m.blocks);
    uint32_t max_ssid = 0;
    for (uint32_t ssid : s.ssids) max_ssid = std::max(max_ssid, ssid);
    const unsigned cdmax = s.substreams() ? std::max(1u, bits_for(max_ssid)) : 0;
    CdTableBuilder cds = F.two_level_cd_table && cdmax > 6
                             ? CdTableBuilder::two_level(mem, a, cdmax, 1)
                             : CdTableBuilder::linear(mem, a, cdmax);
    arch::Cd cd;
    cd.valid = true;
    cd.aa64 = true;
    cd.t0sz = static_cast<uint8_t>(64 - kStage1InputBits);
    cd.tg0 = arch::tg0_encoding(s.granule_shift);
    cd.epd1 = true;  // no TTB1 half
    cd.ips = oas_encoding(F.oas_bits);
    cd.asid = s.asid;
    cd.ttb0 = pt.root();
    cd.r = cd.a = true;  // record stage-1 faults and abort them, as Linux does
    for (uint32_t ssid : s.ssids) cds.write_cd(ssid, cd);
    cds.attach(ste);
    if (s.substreams()) ste.s1dss = static_cast<uint8_t>(arch::S1Dss::kSubstream0);
  };

  // Stage 2 over IPAs below ipa_end, with the given IPA -> PA ranges (identity for ranges
  // of the guest window).
  struct Range {
    uint64_t ipa, pa, size;
    bool blocks, read_only;
  };
  auto build_stage2 = [&](const std::vector<Range>& ranges) {
    uint64_t ipa_end = 1;
    for (const Range& rg : ranges) ipa_end = std::max(ipa_end, rg.ipa + rg.size);
    const Stage2Shape shape = stage2_shape(g, ipa_end, F.oas_bits);
    PageTableBuilder pt(mem, alloc, g, shape.start_level, shape.concat, Stage::kS2);
    pt.set_input_bits(shape.ipa_bits);
    for (const Range& rg : ranges)
      pt.map(rg.ipa, rg.pa, rg.size, s2_attrs(rg.read_only), rg.blocks);
    ste.s2t0sz = static_cast<uint8_t>(64 - shape.ipa_bits);
    ste.s2sl0 = shape.sl0;
    ste.s2tg = arch::tg0_encoding(s.granule_shift);
    ste.s2ps = oas_encoding(F.oas_bits);
    ste.s2aa64 = true;
    ste.s2ttb = pt.root();
    ste.s2r = true;  // record stage-2 faults
  };

  switch (s.translation) {
    case Translation::kS1:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
      build_stage1(alloc);
      break;
    case Translation::kS2: {
      ste.config = static_cast<uint8_t>(arch::SteConfig::kS2);
      std::vector<Range> ranges;
      for (const MappingSpec& m : s.mappings)
        ranges.push_back({m.iova, m.pa, m.size, m.blocks, m.read_only});
      build_stage2(ranges);
      break;
    }
    case Translation::kNested: {
      ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
      const uint64_t window = alloc.alloc(kNestedWindow, 2 * kMiB);
      PageAllocator guest(window, kNestedWindow);
      try {
        build_stage1(guest);
      } catch (const std::runtime_error&) {
        throw std::invalid_argument("the guest's stage-1 tables need more than the " +
                                    std::to_string(kNestedWindow >> 20) + " MiB reserved for them");
      }
      std::vector<Range> ranges;
      ranges.push_back({window, window, kNestedWindow, true, false});
      for (const MappingSpec& m : s.mappings)
        ranges.push_back({m.ipa, m.pa, m.size, m.blocks, m.read_only});
      build_stage2(ranges);
      break;
    }
    default:
      break;
  }
  return ste;
}

}  // namespace

SmmuTables build_smmu_tables(const Scenario& scenario, unsigned smmu, bool command_queue, MemoryWriter& mem,
                             PageAllocator& alloc) {
  const model::SmmuFeatures& F = scenario.smmus[smmu].params.features;
  SmmuTables t;
  try {
    // Stream table: 2-level (split 8) when implemented. Up to 16 SID bits it covers every
    // SID the SMMU has; beyond, just the configured ones (others get C_BAD_STREAMID).
    unsigned needed = 0;
    for (const StreamSpec& s : scenario.streams)
      if (s.smmu == smmu) needed = std::max(needed, bits_for(s.sid));
    const unsigned log2size = F.sid_bits <= 16 ? F.sid_bits : std::max(16u, needed);
    StreamTableBuilder st = F.two_level_stream_table
                                ? StreamTableBuilder::two_level(mem, alloc, log2size, 8)
                                : StreamTableBuilder::linear(mem, alloc, log2size);
    t.strtab_base_reg = st.base_reg();
    t.strtab_base_cfg = st.base_cfg();
    t.evtq_log2 = F.evtq_log2_entries;
    const uint64_t evtq_bytes = uint64_t{r::kEventBytes} << t.evtq_log2;
    t.evtq_base = alloc.alloc(evtq_bytes, std::max<uint64_t>(evtq_bytes, 64));
    if (command_queue) {
      t.cmdq_log2 = std::min(8u, F.cmdq_log2_entries);
      const uint64_t cmdq_bytes = uint64_t{r::kCommandBytes} << t.cmdq_log2;
      t.cmdq_base = alloc.alloc(cmdq_bytes, std::max<uint64_t>(cmdq_bytes, 32));
    }

    for (size_t i = 0; i < scenario.streams.size(); ++i) {
      const StreamSpec& s = scenario.streams[i];
      if (s.smmu != smmu) continue;
      try {
        st.write_ste(s.sid, build_stream(scenario, s, mem, alloc));
      } catch (const ConfigError&) {
        throw;
      } catch (const std::runtime_error& e) {
        throw ConfigError(stream_path(i) + ": its tables do not fit the " +
                          std::to_string(kTableRegionSize >> 20) + " MiB table region (" +
                          e.what() + ")");
      } catch (const std::invalid_argument& e) {
        throw ConfigError(stream_path(i) + ": " + e.what());
      }
    }
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const ConfigError*>(&e)) throw;
    throw ConfigError(std::string(kScenarioRoot) + ".smmus[" + std::to_string(smmu) +
                      "]: its stream table and queues do not fit the table region (" + e.what() + ")");
  }
  return t;
}

void program_smmu(const SmmuTables& t, bool atschk, const RegisterWrite& write) {
  write(r::kStrtabBase, 8, t.strtab_base_reg);
  write(r::kStrtabBaseCfg, 4, t.strtab_base_cfg);
  write(r::kCr2, 4, r::cr2::kRecInvSid.mask());  // record C_BAD_STREAMID, as Linux
  // A queue's BASE (address and size), then PROD = CONS = 0.
  auto queue = [&](uint64_t base, uint64_t prod, uint64_t cons, uint64_t addr, unsigned log2) {
    r::QueueBase qb;
    qb.addr = addr;
    qb.log2size = static_cast<uint8_t>(log2);
    write(base, 8, qb.encode());
    write(prod, 4, 0);
    write(cons, 4, 0);
  };
  queue(r::kEvtqBase, r::kEvtqProd, r::kEvtqCons, t.evtq_base, t.evtq_log2);
  uint64_t cr0 = r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask();
  if (t.cmdq_base) {
    queue(r::kCmdqBase, r::kCmdqProd, r::kCmdqCons, t.cmdq_base, t.cmdq_log2);
    cr0 |= r::cr0::kCmdqEn.mask();
  }
  if (atschk) cr0 |= r::cr0::kAtsChk.mask();
  write(r::kIrqCtrl, 4, r::irq_ctrl::kEvtqIrqEn.mask() | r::irq_ctrl::kGerrorIrqEn.mask());
  write(r::kCr0, 4, cr0);
}

}  // namespace smmu::platform
