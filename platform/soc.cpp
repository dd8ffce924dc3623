#include "platform/soc.h"

#include <algorithm>
#include <stdexcept>

#include "platform/config_reader.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/smmu/regime.h"
#include "rtl_model/smmu/stream_extension.h"

namespace smmu::platform {

namespace r = arch::reg;
using sc_core::sc_time;

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

// TG0 / S2TG encoding of a granule.
uint8_t tg_encoding(unsigned granule_shift) {
  return granule_shift == 12 ? 0 : granule_shift == 16 ? 1 : 2;
}

// IPS / S2PS encoding of an address size.
uint8_t ps_encoding(unsigned bits) {
  static const unsigned kBits[] = {32, 36, 40, 42, 44, 48, 52};
  for (uint8_t i = 0; i < 7; ++i)
    if (kBits[i] == bits) return i;
  throw std::logic_error("no PS encoding for " + std::to_string(bits) + " bits");
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

}  // namespace

// ---------------------------------------------------------------------------------------
// TransactionTap

TransactionTap::TransactionTap(const sc_core::sc_module_name& name)
    : sc_module(name), target("target"), initiator("initiator") {
  target.register_b_transport(this, &TransactionTap::b_transport);
  target.register_transport_dbg(this, &TransactionTap::transport_dbg);
  target.register_get_direct_mem_ptr(this, &TransactionTap::get_direct_mem_ptr);
  initiator.register_invalidate_direct_mem_ptr(this, &TransactionTap::invalidate_direct_mem_ptr);
}

void TransactionTap::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  const sc_time start = sc_core::sc_time_stamp() + delay;
  initiator->b_transport(gp, delay);
  if (observer) observer(gp, start, sc_core::sc_time_stamp() + delay);
}

unsigned TransactionTap::transport_dbg(tlm::tlm_generic_payload& gp) {
  return initiator->transport_dbg(gp);
}

bool TransactionTap::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  return initiator->get_direct_mem_ptr(gp, dmi);
}

void TransactionTap::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  target->invalidate_direct_mem_ptr(start, end);
}

// ---------------------------------------------------------------------------------------
// Soc

Soc::Device::Device(const std::string& name_, unsigned smmu_, unsigned port_)
    : name(name_), smmu(smmu_), port(port_), done((name_ + "_done").c_str()) {}

Soc::Soc(const sc_core::sc_module_name& name, const Scenario& scenario)
    : sc_module(name),
      memory("memory", scenario.memory),
      router("router", scenario.interconnect),
      scenario_(scenario),
      writer_(memory),
      alloc_(scenario.table_region_base(), kTableRegionSize) {
  router.initiator.bind(memory.socket);
  router.map(0, 0, scenario_.memory.size);
  for (unsigned i = 0; i < scenario_.smmus.size(); ++i) {
    const std::string n = "smmu" + std::to_string(i);
    smmus.push_back(std::make_unique<model::Smmu>(n.c_str(), scenario_.smmus[i].params));
    model::Smmu& smmu = *smmus.back();
    router.initiator.bind(smmu.mmio);
    router.map(1 + i, kSmmuWindowBase + i * r::kWindowSize, r::kWindowSize);
    smmu.downstream.bind(router.target);
    smmu.walk.bind(router.target);
    build_devices(i);
    build_translation(i);
  }
  SC_THREAD(monitor);
}

Soc::~Soc() = default;

void Soc::build_devices(unsigned smmu) {
  model::GeneratorParams gp;
  gp.quantum = scenario_.quantum;
  gp.use_dmi = false;  // every access goes through the SMMU's timed path
  for (unsigned port = 0; port < scenario_.smmus[smmu].ports; ++port) {
    auto d = std::make_unique<Device>("smmu" + std::to_string(smmu) + "_port" + std::to_string(port),
                                      smmu, port);
    std::vector<model::TrafficStream> streams;
    for (size_t k = 0; k < scenario_.traffic.size(); ++k) {
      const TrafficSpec& t = scenario_.traffic[k];
      if (t.smmu != smmu || t.port != port) continue;
      d->traffic.push_back(k);
      streams.push_back(t.stream);
    }
    d->generator = std::make_unique<model::TrafficGenerator>(d->name.c_str(), streams, gp);
    d->tap = std::make_unique<TransactionTap>((d->name + "_tap").c_str());
    d->generator->socket.bind(d->tap->target);
    d->tap->initiator.bind(smmus[smmu]->upstream);
    Device* dev = d.get();
    d->generator->on_complete = [this, dev](const tlm::tlm_generic_payload&, sc_time latency) {
      dev->latency.record(latency);
      latency_.record(latency);
    };
    d->tap->observer = [this, dev](const tlm::tlm_generic_payload& p, const sc_time& start,
                                   const sc_time& end) {
      if (on_transaction) observe(*dev, p, start, end);
    };
    devices.push_back(std::move(d));
  }
}

void Soc::observe(const Device& d, const tlm::tlm_generic_payload& gp, const sc_time& start,
                  const sc_time& end) {
  TransactionRecord rec;
  rec.smmu = d.smmu;
  rec.port = d.port;
  rec.write = gp.is_write();
  rec.ok = gp.is_response_ok();
  rec.address = gp.get_address();
  rec.start = start;
  rec.end = end;
  rec.traffic = d.traffic.empty() ? 0 : d.traffic.front();
  if (const auto* ext = gp.get_extension<model::StreamExtension>()) {
    rec.sid = ext->sid;
    // The traffic entry the transaction came from: the first of the port with its stream.
    for (size_t k : d.traffic) {
      const model::TrafficStream& s = scenario_.traffic[k].stream;
      if (s.sid == ext->sid && s.ssv == ext->ssv && (!s.ssv || s.ssid == ext->ssid)) {
        rec.traffic = k;
        break;
      }
    }
  }
  on_transaction(rec);
}

void Soc::build_translation(unsigned smmu) {
  const model::SmmuFeatures& F = scenario_.smmus[smmu].params.features;
  SmmuTables t;
  try {
    // Stream table: 2-level (split 8) when implemented. Up to 16 SID bits it covers every
    // SID the SMMU has; beyond, just the configured ones (others get C_BAD_STREAMID).
    unsigned needed = 0;
    for (const StreamSpec& s : scenario_.streams)
      if (s.smmu == smmu) needed = std::max(needed, bits_for(s.sid));
    const unsigned log2size = F.sid_bits <= 16 ? F.sid_bits : std::max(16u, needed);
    StreamTableBuilder st = F.two_level_stream_table
                                ? StreamTableBuilder::two_level(writer_, alloc_, log2size, 8)
                                : StreamTableBuilder::linear(writer_, alloc_, log2size);
    t.strtab_base_reg = st.base_reg();
    t.strtab_base_cfg = st.base_cfg();
    t.evtq_log2 = F.evtq_log2_entries;
    const uint64_t evtq_bytes = uint64_t{r::kEventBytes} << t.evtq_log2;
    t.evtq_base = alloc_.alloc(evtq_bytes, std::max<uint64_t>(evtq_bytes, 64));

    for (size_t i = 0; i < scenario_.streams.size(); ++i) {
      const StreamSpec& s = scenario_.streams[i];
      if (s.smmu != smmu) continue;
      try {
        st.write_ste(s.sid, build_stream(s));
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
  tables_.push_back(t);
}

arch::Ste Soc::build_stream(const StreamSpec& s) {
  const model::SmmuFeatures& F = scenario_.smmus[s.smmu].params.features;
  const arch::Granule g{s.granule_shift};
  arch::Ste ste;
  ste.valid = true;
  ste.s2vmid = s.vmid;
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
    PageTableBuilder pt(writer_, a, g, model::stage1_start_level(g, kStage1InputBits), 1,
                        Stage::kS1);
    pt.set_input_bits(kStage1InputBits);
    for (const MappingSpec& m : s.mappings)
      pt.map(m.iova, s.translation == Translation::kNested ? m.ipa : m.pa, m.size,
             s1_attrs(m.read_only), m.blocks);
    uint32_t max_ssid = 0;
    for (uint32_t ssid : s.ssids) max_ssid = std::max(max_ssid, ssid);
    const unsigned cdmax = s.substreams() ? std::max(1u, bits_for(max_ssid)) : 0;
    CdTableBuilder cds = F.two_level_cd_table && cdmax > 6
                             ? CdTableBuilder::two_level(writer_, a, cdmax, 1)
                             : CdTableBuilder::linear(writer_, a, cdmax);
    arch::Cd cd;
    cd.valid = true;
    cd.aa64 = true;
    cd.t0sz = static_cast<uint8_t>(64 - kStage1InputBits);
    cd.tg0 = tg_encoding(s.granule_shift);
    cd.epd1 = true;  // no TTB1 half
    cd.ips = ps_encoding(F.oas_bits);
    cd.asid = s.asid;
    cd.ttb0 = pt.root();
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
    PageTableBuilder pt(writer_, alloc_, g, shape.start_level, shape.concat, Stage::kS2);
    pt.set_input_bits(shape.ipa_bits);
    for (const Range& rg : ranges)
      pt.map(rg.ipa, rg.pa, rg.size, s2_attrs(rg.read_only), rg.blocks);
    ste.s2t0sz = static_cast<uint8_t>(64 - shape.ipa_bits);
    ste.s2sl0 = shape.sl0;
    ste.s2tg = tg_encoding(s.granule_shift);
    ste.s2ps = ps_encoding(F.oas_bits);
    ste.s2aa64 = true;
    ste.s2ttb = pt.root();
  };

  switch (s.translation) {
    case Translation::kS1:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
      build_stage1(alloc_);
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
      const uint64_t window = alloc_.alloc(kNestedWindow, 2 * kMiB);
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

void Soc::start_of_simulation() {
  // Programs each SMMU as a driver's probe would, now that the tables are in memory.
  for (size_t i = 0; i < smmus.size(); ++i) {
    model::RegisterFile& regs = smmus[i]->registers();
    const SmmuTables& t = tables_[i];
    auto write = [&](uint64_t offset, unsigned size, uint64_t value) {
      if (!regs.write(offset, size, value))
        throw std::logic_error(std::string(smmus[i]->name()) + ": register write at " +
                               std::to_string(offset) + " refused");
    };
    write(r::kStrtabBase, 8, t.strtab_base_reg);
    write(r::kStrtabBaseCfg, 4, t.strtab_base_cfg);
    r::QueueBase qb;
    qb.addr = t.evtq_base;
    qb.log2size = static_cast<uint8_t>(t.evtq_log2);
    write(r::kEvtqBase, 8, qb.encode());
    write(r::kEvtqProd, 4, 0);
    write(r::kEvtqCons, 4, 0);
    write(r::kIrqCtrl, 4, r::irq_ctrl::kEvtqIrqEn.mask() | r::irq_ctrl::kGerrorIrqEn.mask());
    write(r::kCr0, 4, r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask());
  }
}

void Soc::monitor() {
  for (;;) {
    sc_core::sc_event_or_list pending;
    bool all_done = true;
    for (auto& d : devices) {
      if (d->generator->finished()) {
        if (!d->idle() && !d->done.read()) d->done.write(true);
      } else {
        all_done = false;
        pending |= d->generator->done_event();
      }
    }
    if (all_done) break;
    wait(pending);
  }
  traffic_done_ = true;
  done_time_ = sc_core::sc_time_stamp();
  // Trace files record a time's values when time advances past it: step 1 ps on so that
  // the last values are in the waves (end_time() is still done_time_).
  wait(sc_time(1, sc_core::SC_PS));
  sc_core::sc_stop();
}

void Soc::run() {
  if (scenario_.duration > sc_core::SC_ZERO_TIME)
    sc_core::sc_start(scenario_.duration);
  else
    sc_core::sc_start();
}

sc_time Soc::end_time() const { return traffic_done_ ? done_time_ : sc_core::sc_time_stamp(); }

void Soc::trace(sc_core::sc_trace_file* tf) const {
  for (const auto& s : smmus) {
    const std::string n = s->name();
    sc_core::sc_trace(tf, s->evtq_irq, n + ".evtq_irq");
    sc_core::sc_trace(tf, s->gerror_irq, n + ".gerror_irq");
    sc_core::sc_trace(tf, s->cmd_sync_irq, n + ".cmd_sync_irq");
  }
  for (const auto& d : devices)
    if (!d->idle()) sc_core::sc_trace(tf, d->done, std::string(name()) + "." + d->name + ".done");
}

}  // namespace smmu::platform
