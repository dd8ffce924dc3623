// SPDX-License-Identifier: Apache-2.0
// sc_spawn (the maintenance processes) needs the dynamic-process part of SystemC.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "platform/soc.h"

#include <algorithm>
#include <stdexcept>

#include "platform/config_reader.h"
#include "platform/dma_port.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/smmu/regime.h"
#include "rtl_model/protocol/stream_extension.h"

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
  if (!observer) {  // nobody traces: no time stamps to take
    initiator->b_transport(gp, delay);
    return;
  }
  const sc_time start = sc_core::sc_time_stamp() + delay;
  if (on_start) on_start();
  initiator->b_transport(gp, delay);
  observer(gp, start, sc_core::sc_time_stamp() + delay);
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
      host("host"),
      fabric(scenario.memory, scenario.interconnect, SmmuFabricNames{"memory", "router"}, kSmmuWindowBase),
      memory(fabric.memory),
      router(fabric.router),
      smmus(fabric.smmus),
      scenario_(scenario),
      alloc_(scenario.table_region_base(), kTableRegionSize) {
  host.bind(router.target);
  for (unsigned i = 0; i < scenario_.smmus.size(); ++i) {
    queues_.push_back(std::make_unique<CommandQueue>());
    for (const CommandBatchSpec& b : scenario_.commands)
      if (b.smmu == i) queues_.back()->batches.push_back(&b);
    std::stable_sort(queues_.back()->batches.begin(), queues_.back()->batches.end(),
                     [](const CommandBatchSpec* a, const CommandBatchSpec* b) { return a->at < b->at; });
    queues_.back()->done = queues_.back()->batches.empty();
  }
  for (unsigned i = 0; i < scenario_.smmus.size(); ++i) {
    fabric.add_smmu(scenario_.smmus[i].params);
    build_devices(i);
    if (scenario_.setup == Setup::kDriver) {
      tables_.emplace_back();  // filled in when the driver has set up
      continue;
    }
    build_translation(i);
    if (!queues_[i]->batches.empty())
      sc_core::sc_spawn([this, i]() { maintenance(i); }, ("maintenance" + std::to_string(i)).c_str());
  }
  if (scenario_.setup == Setup::kDriver) build_cpus();
  SC_THREAD(monitor);
}

void Soc::build_cpus() {
  dma_ = std::make_unique<DmaAllocator>(scenario_.table_region_base(), kTableRegionSize);
  sync_ = std::make_unique<ScSync>("sync");
  std::vector<Cpu*> all;
  for (unsigned c = 0; c < scenario_.cpus.count; ++c) {
    CpuParams p;
    p.id = c;
    p.quantum = scenario_.quantum;
    p.cached_access = scenario_.cpus.cached_access;
    cpus_.push_back(std::make_unique<Cpu>(("cpu" + std::to_string(c)).c_str(), p, *dma_, *sync_));
    Cpu& cpu = *cpus_.back();
    fabric.connect_cpu(cpu);
    all.push_back(&cpu);
  }
  CpuParams ep;
  ep.id = scenario_.cpus.count;
  ep.quantum = scenario_.quantum;
  ep.cached_access = scenario_.cpus.cached_access;
  event_cpu_ = std::make_unique<Cpu>("event_cpu", ep, *dma_, *sync_);
  event_cpu_->bus.bind(router.target);
  for (auto& lines : fabric.irq_lines) {
    event_cpu_->connect_irq(kEventIrq, lines->evtq);
    event_cpu_->connect_irq(kEventIrq, lines->gerror);
  }
  event_cpu_->connect_irq(kEventIrq, event_stop_);
  event_cpu_->add_program([this](driver::Os&) { event_program(); });
  all.push_back(event_cpu_.get());  // so that the driver's calls from it are timed on it
  system_os_ = std::make_unique<SystemOs>(all);
  cpu_plan_.resize(cpus_.size());
  build_workloads();
  auto find_endpoint = [this](unsigned smmu, uint32_t sid) -> model::AtsEndpoint* {
    for (auto& d : devices)
      if (d->smmu == smmu && d->endpoint && d->endpoint->sid() == sid) return d->endpoint.get();
    return nullptr;
  };
  driver_ = std::make_unique<DriverSetup>(
      scenario_, *system_os_,
      [find_endpoint](unsigned smmu, uint32_t sid, bool on) {
        if (model::AtsEndpoint* e = find_endpoint(smmu, sid)) e->set_ats_enabled(on);
      },
      [this, find_endpoint](unsigned smmu, uint32_t sid) {
        for (const AtsDeviceSpec& a : scenario_.ats_devices)
          if (a.smmu == smmu && a.params.sid == sid) return a.params.ats_enabled && find_endpoint(smmu, sid);
        return false;
      });
  // The driver's objects use the machine's Os (any CPU may use them later).
  cpus_[0]->add_program([this](driver::Os&) { setup_program(); });
  for (unsigned c = 0; c < cpus_.size(); ++c)
    cpus_[c]->add_program([this, c](driver::Os& os) { ops_program(c, os); });
}

void Soc::build_workloads() {
  for (const WorkloadSpec& w : scenario_.workloads) {
    const auto dev = std::find_if(devices.begin(), devices.end(), [&w](const std::unique_ptr<Device>& d) {
      return d->smmu == w.smmu && d->port == w.port;
    });
    if (dev == devices.end()) throw std::logic_error("a workload on a port the SoC does not have");
    TransactionTap& tap = *(*dev)->tap;
    const uint32_t sid = w.sid;
    workloads_.push_back(std::make_unique<DmaWorkload>(
        w, scenario_.cpus.count, scenario_.streams[w.stream].granule_shift,
        [&tap, sid](uint64_t iova, uint8_t* data, unsigned len, sc_time& delay) {
          return stream_access(tap.initiator.operator->(), sid, iova, data, len, true, delay);
        }));
  }
}

void Soc::setup_program() {
  // A failure is driver()->error(): the traffic still runs (what the driver could not
  // attach faults), and smmu-sim reports it and exits 1.
  if (on_driver_work) on_driver_work(0, "driver set-up", true, cpus_[0]->local_time());
  driver_->set_up();
  if (on_driver_work) on_driver_work(0, "driver set-up", false, cpus_[0]->local_time());
  for (auto& w : workloads_) {
    const unsigned smmu = w->spec().smmu;
    w->prepare(*system_os_, driver_->stream_domain(w->spec().stream),
               smmu < driver_->num_devices() ? &driver_->device(smmu) : nullptr);
  }
  for (unsigned i = 0; i < smmus.size() && i < driver_->num_devices(); ++i) {
    const driver::SmmuDevice& d = driver_->device(i);
    SmmuTables& t = tables_[i];
    t.strtab_base_reg = d.strtab_pa();
    t.evtq_base = d.evtq_pa();
    t.evtq_log2 = d.evtq_log2();
    t.cmdq_base = d.cmdq_pa();
    t.cmdq_log2 = d.cmdq_log2();
  }
  cpus_[0]->sync();  // the traffic starts at the CPU's time, not before
  setup_end_ = sc_core::sc_time_stamp();
  setup_finished_ = true;
  setup_done_.notify(sc_core::SC_ZERO_TIME);
}

void Soc::ops_program(unsigned cpu, driver::Os& os) {
  // A member, not a local: a run stopped by its duration never unwinds this thread's
  // stack, and what only the stack held would leak.
  std::vector<PlanItem>& mine = cpu_plan_.at(cpu);
  for (size_t k = 0; k < scenario_.driver_ops.size(); ++k)
    if (scenario_.driver_ops[k].cpu == cpu) mine.push_back({scenario_.driver_ops[k].at, false, k, 0});
  for (size_t w = 0; w < scenario_.workloads.size(); ++w) {
    const std::vector<unsigned>& cs = scenario_.workloads[w].cpus;
    for (size_t pos = 0; pos < cs.size(); ++pos)
      if (cs[pos] == cpu) mine.push_back({scenario_.workloads[w].start, true, w, pos});
  }
  if (mine.empty()) return;
  std::stable_sort(mine.begin(), mine.end(), [](const PlanItem& a, const PlanItem& b) { return a.at < b.at; });
  Cpu& me = *cpus_[cpu];
  if (!setup_finished_) {
    me.sync();
    sc_core::wait(setup_done_);
    me.resume_after_wait();
  }
  for (const PlanItem& item : mine) {
    const uint64_t at = static_cast<uint64_t>((setup_end_ + item.at).value() / 1000);
    const uint64_t now = os.now_ns();
    if (at > now) os.delay_ns(at - now);
    const std::string what =
        !on_driver_work ? std::string()
        : item.workload ? "workload[" + std::to_string(item.index) + "]"
                        : std::string(to_string(scenario_.driver_ops[item.index].op));
    if (on_driver_work) on_driver_work(cpu, what, true, me.local_time());
    if (item.workload)
      workloads_[item.index]->run(item.pos, me, os);
    else
      driver_->run_op(item.index);
    if (on_driver_work) on_driver_work(cpu, what, false, me.local_time());
  }
}

void Soc::event_program() {
  Cpu& me = *event_cpu_;
  if (!setup_finished_) {
    me.sync();
    sc_core::wait(setup_done_);
    me.resume_after_wait();
  }
  std::vector<driver::SmmuDevice*> devices;
  for (size_t i = 0; i < driver_->num_devices(); ++i) devices.push_back(&driver_->device(i));
  driver::EventHandlerOptions o;
  o.irq = kEventIrq;
  o.response_ns = static_cast<uint64_t>(scenario_.driver.event_handler_delay.value() /
                                        sc_time(1, sc_core::SC_NS).value());
  // A member: a run stopped by its duration never unwinds this thread's stack.
  event_handler_ = std::make_unique<driver::EventHandler>(*system_os_, std::move(devices), o);
  if (event_stop_requested_) event_handler_->request_stop();
  event_handler_->run();
}

void Soc::stop_event_handler() {
  event_stop_requested_ = true;
  if (event_handler_) event_handler_->request_stop();
  event_stop_.notify(sc_core::SC_ZERO_TIME);
  if (!event_cpu_->finished()) wait(event_cpu_->done_event());
}

// The driver's objects go first, while the memory, the CPUs' services and the locks
// they use still exist; then the RCU callbacks their updates queued (deferred frees)
// run, whose grace periods have ended with the simulation.
Soc::~Soc() {
  event_handler_.reset();  // it points at the driver's devices
  // The workloads' DmaApis use the driver's domains; a run stopped early may leave lazy
  // unmaps queued that no CPU can flush now.
  for (auto& w : workloads_) w->abandon();
  workloads_.clear();
  driver_.reset();
  if (sync_) sync_->run_pending_callbacks();
}

void Soc::build_devices(unsigned smmu) {
  model::GeneratorParams gp;
  gp.quantum = scenario_.quantum;
  gp.use_dmi = false;  // traffic entries with dmi ask for it per stream
  // The SMMUs, the router and the memory annotate their time and never wait in
  // b_transport, so the generators need not arm a thread per transaction for that.
  gp.target_may_block = false;
  const bool driver = scenario_.setup == Setup::kDriver;
  if (driver) gp.start_gate = &setup_done_;
  model::Smmu& s = *smmus[smmu];
  const size_t first = devices.size();
  for (unsigned port = 0; port < scenario_.smmus[smmu].ports; ++port) {
    auto d = std::make_unique<Device>("smmu" + std::to_string(smmu) + "_port" + std::to_string(port),
                                      smmu, port);
    for (size_t j = 0; j < scenario_.ats_devices.size(); ++j)
      if (scenario_.ats_devices[j].smmu == smmu && scenario_.ats_devices[j].port == port)
        d->ats_device = static_cast<int>(j);
    d->tap = std::make_unique<TransactionTap>((d->name + "_tap").c_str());
    Device* dev = d.get();
    if (d->ats_device >= 0) {
      model::AtsEndpointParams ep = scenario_.ats_devices[static_cast<size_t>(d->ats_device)].params;
      if (driver) {
        ep.start_gate = &setup_done_;
        ep.ats_enabled = false;  // the driver enables ATS when it attaches the device
      }
      d->endpoint = std::make_unique<model::AtsEndpoint>(d->name.c_str(), ep);
      d->endpoint->dma.bind(d->tap->target);
      d->ats_tap = std::make_unique<TransactionTap>((d->name + "_ats_tap").c_str());
      d->endpoint->ats.bind(d->ats_tap->target);
      d->ats_tap->initiator.bind(s.ats);
      s.ats_inv.bind(d->endpoint->inv);
      d->endpoint->on_complete = [this, dev](const model::DmaAccess&, const model::DmaOutcome&,
                                             sc_time latency) { record_latency(*dev, latency); };
    } else {
      std::vector<model::TrafficStream> streams;
      for (size_t k = 0; k < scenario_.traffic.size(); ++k) {
        const TrafficSpec& t = scenario_.traffic[k];
        if (t.smmu != smmu || t.port != port) continue;
        d->traffic.push_back(k);
        streams.push_back(t.stream);
      }
      d->generator = std::make_unique<model::TrafficGenerator>(d->name.c_str(), streams, gp);
      d->generator->socket.bind(d->tap->target);
      d->generator->on_complete = [this, dev](const tlm::tlm_generic_payload&, sc_time latency) {
        record_latency(*dev, latency);
      };
    }
    devices.push_back(std::move(d));
  }
  bind_to_tbus(s, first);
}

// Port p's master binds to the TBU serving it; a TBU's binding i must be the i-th port
// of its layout (smmu.h), so the ports are bound in (TBU, binding index) order.
void Soc::bind_to_tbus(model::Smmu& s, size_t first) {
  std::vector<std::pair<std::pair<unsigned, unsigned>, unsigned>> order;  // ((tbu, index), port)
  for (size_t k = first; k < devices.size(); ++k)
    order.push_back({s.tbu_of_port(devices[k]->port), devices[k]->port});
  std::sort(order.begin(), order.end());
  for (const auto& [at, port] : order) devices[first + port]->tap->initiator.bind(s.tbu(at.first).upstream);
}

void Soc::record_latency(Device& d, const sc_time& latency) {
  const uint64_t ps = LatencyStat::to_ps(latency);  // once for both
  d.latency.record_ps(ps);
  latency_.record_ps(ps);
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
  rec.ats_device = d.ats_device;
  if (const auto* ext = gp.get_extension<model::StreamExtension>()) {
    rec.sid = ext->sid;
    if (d.endpoint) {
      // The ATS device's stream the transaction came from: the first with its substream.
      const auto& streams = d.endpoint->params().traffic;
      for (size_t k = 0; k < streams.size(); ++k) {
        if (streams[k].ssv == ext->ssv && (!ext->ssv || streams[k].ssid == ext->ssid)) {
          rec.traffic = k;
          break;
        }
      }
      on_transaction(rec);
      return;
    }
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

void Soc::observe_ats(const Device& d, const tlm::tlm_generic_payload& gp, const sc_time& start,
                      const sc_time& end) {
  TransactionRecord rec;
  rec.smmu = d.smmu;
  rec.port = d.port;
  rec.ats_request = true;
  rec.address = gp.get_address();
  rec.start = start;
  rec.end = end;
  rec.ats_device = d.ats_device;
  if (const auto* req = gp.get_extension<model::AtsTranslationRequest>()) {
    rec.sid = req->sid;
    rec.write = !req->no_write;
    rec.ok = req->read || req->write;
  }
  on_transaction(rec);
}

int Soc::current_cpu() const {
  for (const auto& c : cpus_)
    if (c->on_cpu()) return static_cast<int>(c->id());
  return -1;
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
                                ? StreamTableBuilder::two_level(fabric.writer(), alloc_, log2size, 8)
                                : StreamTableBuilder::linear(fabric.writer(), alloc_, log2size);
    t.strtab_base_reg = st.base_reg();
    t.strtab_base_cfg = st.base_cfg();
    t.evtq_log2 = F.evtq_log2_entries;
    const uint64_t evtq_bytes = uint64_t{r::kEventBytes} << t.evtq_log2;
    t.evtq_base = alloc_.alloc(evtq_bytes, std::max<uint64_t>(evtq_bytes, 64));
    if (!queues_[smmu]->batches.empty()) {
      t.cmdq_log2 = std::min(8u, F.cmdq_log2_entries);
      const uint64_t cmdq_bytes = uint64_t{r::kCommandBytes} << t.cmdq_log2;
      t.cmdq_base = alloc_.alloc(cmdq_bytes, std::max<uint64_t>(cmdq_bytes, 32));
    }

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
    PageTableBuilder pt(fabric.writer(), a, g, model::stage1_start_level(g, kStage1InputBits), 1,
                        Stage::kS1);
    pt.set_input_bits(kStage1InputBits);
    for (const MappingSpec& m : s.mappings)
      pt.map(m.iova, s.translation == Translation::kNested ? m.ipa : m.pa, m.size,
             s1_attrs(m.read_only), m.blocks);
    uint32_t max_ssid = 0;
    for (uint32_t ssid : s.ssids) max_ssid = std::max(max_ssid, ssid);
    const unsigned cdmax = s.substreams() ? std::max(1u, bits_for(max_ssid)) : 0;
    CdTableBuilder cds = F.two_level_cd_table && cdmax > 6
                             ? CdTableBuilder::two_level(fabric.writer(), a, cdmax, 1)
                             : CdTableBuilder::linear(fabric.writer(), a, cdmax);
    arch::Cd cd;
    cd.valid = true;
    cd.aa64 = true;
    cd.t0sz = static_cast<uint8_t>(64 - kStage1InputBits);
    cd.tg0 = tg_encoding(s.granule_shift);
    cd.epd1 = true;  // no TTB1 half
    cd.ips = ps_encoding(F.oas_bits);
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
    PageTableBuilder pt(fabric.writer(), alloc_, g, shape.start_level, shape.concat, Stage::kS2);
    pt.set_input_bits(shape.ipa_bits);
    for (const Range& rg : ranges)
      pt.map(rg.ipa, rg.pa, rg.size, s2_attrs(rg.read_only), rg.blocks);
    ste.s2t0sz = static_cast<uint8_t>(64 - shape.ipa_bits);
    ste.s2sl0 = shape.sl0;
    ste.s2tg = tg_encoding(s.granule_shift);
    ste.s2ps = ps_encoding(F.oas_bits);
    ste.s2aa64 = true;
    ste.s2ttb = pt.root();
    ste.s2r = true;  // record stage-2 faults
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
  // The taps report to on_transaction only when it is set (by now): a tap without an
  // observer passes transactions on without looking at them.
  if (on_transaction)
    for (auto& d : devices) {
      const Device* dev = d.get();
      d->tap->observer = [this, dev](const tlm::tlm_generic_payload& p, const sc_time& start,
                                     const sc_time& end) { observe(*dev, p, start, end); };
      d->tap->on_start = on_transaction_start;
      if (d->ats_tap) {
        d->ats_tap->observer = [this, dev](const tlm::tlm_generic_payload& p, const sc_time& start,
                                           const sc_time& end) { observe_ats(*dev, p, start, end); };
        d->ats_tap->on_start = on_transaction_start;
      }
    }
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
    uint64_t cr0 = r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask();
    if (t.cmdq_base) {
      r::QueueBase cq;
      cq.addr = t.cmdq_base;
      cq.log2size = static_cast<uint8_t>(t.cmdq_log2);
      write(r::kCmdqBase, 8, cq.encode());
      write(r::kCmdqProd, 4, 0);
      write(r::kCmdqCons, 4, 0);
      cr0 |= r::cr0::kCmdqEn.mask();
    }
    if (scenario_.smmus[i].atschk) cr0 |= r::cr0::kAtsChk.mask();
    write(r::kIrqCtrl, 4, r::irq_ctrl::kEvtqIrqEn.mask() | r::irq_ctrl::kGerrorIrqEn.mask());
    write(r::kCr0, 4, cr0);
  }
}

// ---------------------------------------------------------------------------------------
// The maintenance process: the scenario's commands, issued as a driver would.

void Soc::mmio_access(unsigned smmu, uint64_t offset, bool write, uint32_t& value) {
  tlm::tlm_generic_payload gp;
  gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(kSmmuWindowBase + smmu * r::kWindowSize + offset);
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  gp.set_data_length(4);
  gp.set_streaming_width(4);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = sc_core::SC_ZERO_TIME;
  host->b_transport(gp, delay);
  if (!gp.is_response_ok())
    throw std::logic_error(std::string(smmus[smmu]->name()) + ": register " +
                           (write ? "write" : "read") + " at " + std::to_string(offset) + " failed");
  // A CPU waits for its register accesses (they are device accesses, never buffered).
  wait(delay);
}

uint32_t Soc::mmio_read32(unsigned smmu, uint64_t offset) {
  uint32_t v = 0;
  mmio_access(smmu, offset, false, v);
  return v;
}

void Soc::mmio_write32(unsigned smmu, uint64_t offset, uint32_t value) {
  mmio_access(smmu, offset, true, value);
}

void Soc::refresh_cons(unsigned smmu) {
  CommandQueue& q = *queues_[smmu];
  q.cons = mmio_read32(smmu, r::kCmdqCons);
  // CONS.ERR keeps its value after the queue resumes: GERROR says whether it is live.
  if (r::cmdq_cons_error(q.cons) == r::CmdqError::kNone) return;
  const uint32_t gerror = mmio_read32(smmu, r::kGerror);
  const uint32_t gerrorn = mmio_read32(smmu, r::kGerrorN);
  if (!(r::gerror_active(gerror, gerrorn) & r::gerror::kCmdqErr.mask())) return;
  // As Linux's arm_smmu_cmdq_skip_err: an illegal command becomes a CMD_SYNC; an abort
  // is retried; an ATC_INV_SYNC repeats its CMD_SYNC (the invalidations have timed out).
  if (r::cmdq_cons_error(q.cons) == r::CmdqError::kIll) {
    const arch::Command sync = arch::Command(arch::Opcode::kSync).set_cs(arch::SyncCs::kNone);
    const uint64_t slot = tables_[smmu].cmdq_base +
                          uint64_t{r::queue_index(q.cons, tables_[smmu].cmdq_log2)} * r::kCommandBytes;
    memory.write64(slot, sync.dw[0]);
    memory.write64(slot + 8, sync.dw[1]);
  }
  ++q.errors_handled;
  mmio_write32(smmu, r::kGerrorN, gerrorn ^ r::gerror::kCmdqErr.mask());
}

void Soc::maintenance(unsigned smmu) {
  CommandQueue& q = *queues_[smmu];
  const SmmuTables& t = tables_[smmu];
  const unsigned log2 = t.cmdq_log2;
  const bool msi = scenario_.smmus[smmu].params.features.msi;
  const sc_time poll(kPollIntervalNs, sc_core::SC_NS);
  uint32_t published = q.prod;
  auto publish = [&]() {
    if (published == q.prod) return;
    mmio_write32(smmu, r::kCmdqProd, q.prod);
    published = q.prod;
  };
  for (const CommandBatchSpec* b : q.batches) {
    if (b->at > sc_core::sc_time_stamp()) wait(b->at - sc_core::sc_time_stamp());
    refresh_cons(smmu);  // room in the queue, and any error to handle
    for (const arch::Command& cmd : b->commands) {
      while (r::queue_full(q.prod, q.cons, log2)) {
        publish();
        wait(poll);
        refresh_cons(smmu);
      }
      arch::Command c = cmd;
      const uint64_t slot = t.cmdq_base + uint64_t{r::queue_index(q.prod, log2)} * r::kCommandBytes;
      if (c.opcode() == arch::Opcode::kSync && c.cs() == static_cast<uint8_t>(arch::SyncCs::kIrq) && msi)
        c.set_msiaddr(slot).set_msidata(0);  // the MSI clears the slot's first word
      memory.write64(slot, c.dw[0]);
      memory.write64(slot + 8, c.dw[1]);
      q.prod = r::queue_increment(q.prod, log2);
    }
    publish();
  }
  // Wait for the SMMU to consume everything, so the run covers the commands' effects.
  for (;;) {
    if (r::queue_empty(q.prod, q.cons, log2)) break;
    wait(poll);
    refresh_cons(smmu);
  }
  q.done = true;
  q.drained.notify();
}

void Soc::monitor() {
  for (;;) {
    sc_core::sc_event_or_list pending;
    bool all_done = true;
    for (auto& d : devices) {
      if (d->finished()) {
        if (!d->idle() && !d->done.read()) d->done.write(true);
      } else {
        all_done = false;
        pending |= d->done_event();
      }
    }
    for (auto& c : cpus_) {
      if (c->finished()) continue;
      all_done = false;
      pending |= c->done_event();
    }
    for (auto& q : queues_) {
      if (q->done) continue;
      all_done = false;
      pending |= q->drained;
    }
    if (all_done) break;
    wait(pending);
  }
  traffic_done_ = true;
  done_time_ = sc_core::sc_time_stamp();
  if (event_cpu_) stop_event_handler();
  // Trace files record a time's values when time advances past it: step 1 ps on so that
  // the last values are in the waves (end_time() is still done_time_).
  wait(sc_time(1, sc_core::SC_PS));
  sc_core::sc_stop();
}

void Soc::run(const std::function<void(const sc_core::sc_time&, uint64_t)>& progress) {
  const bool bounded = scenario_.duration > sc_core::SC_ZERO_TIME;
  if (!progress) {
    if (bounded)
      sc_core::sc_start(scenario_.duration);
    else
      sc_core::sc_start();
    return;
  }
  // Slices that stop early when nothing is left to happen, so the run ends where it
  // would have in one piece.
  const sc_time slice(10, sc_core::SC_US);
  for (;;) {
    sc_time step = slice;
    if (bounded) {
      if (sc_core::sc_time_stamp() >= scenario_.duration) break;
      step = std::min(slice, scenario_.duration - sc_core::sc_time_stamp());
    }
    sc_core::sc_start(step, bounded ? sc_core::SC_RUN_TO_TIME : sc_core::SC_EXIT_ON_STARVATION);
    if (sc_core::sc_get_status() == sc_core::SC_STOPPED) break;
    uint64_t transactions = 0;
    for (const auto& s : smmus) transactions += s->stats().transactions;
    progress(sc_core::sc_time_stamp(), transactions);
    if (!bounded && !sc_core::sc_pending_activity()) break;
  }
}

sc_time Soc::end_time() const { return traffic_done_ ? done_time_ : sc_core::sc_time_stamp(); }

void Soc::trace(sc_core::sc_trace_file* tf) const {
  for (size_t i = 0; i < smmus.size(); ++i) {
    const std::string n = smmus[i]->name();
    const SmmuIrqLines& lines = *fabric.irq_lines[i];
    sc_core::sc_trace(tf, lines.evtq, n + ".evtq_irq");
    sc_core::sc_trace(tf, lines.gerror, n + ".gerror_irq");
    sc_core::sc_trace(tf, lines.cmd_sync, n + ".cmd_sync_irq");
    smmus[i]->add_to_trace(tf);
  }
  for (const auto& d : devices)
    if (!d->idle()) sc_core::sc_trace(tf, d->done, std::string(name()) + "." + d->name + ".done");
}

}  // namespace smmu::platform
