// SPDX-License-Identifier: Apache-2.0
// sc_spawn (the command programs) needs the dynamic-process part of SystemC.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "platform/soc/soc.h"

#include <algorithm>
#include <stdexcept>

#include "platform/cpu/host_os.h"
#include "platform/soc/dma_port.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/protocol/stream_extension.h"

namespace smmu::platform {

namespace r = arch::reg;
using sc_core::sc_time;

namespace {

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
    fabric.add_smmu(scenario_.smmus[i].params);
    build_devices(i);
    queues_.push_back(std::make_unique<CommandQueue>(scenario_.commands, i));
    if (scenario_.setup == Setup::kDriver) {
      tables_.emplace_back();  // filled in when the driver has set up
      continue;
    }
    CommandQueue& q = *queues_.back();
    tables_.push_back(build_smmu_tables(scenario_, i, !q.program.empty(), fabric.writer(), alloc_));
    if (q.program.empty()) continue;
    q.program.place({kSmmuWindowBase + i * r::kWindowSize, tables_.back().cmdq_base, tables_.back().cmdq_log2,
                     scenario_.smmus[i].params.features.msi});
    q.done = false;
    sc_core::sc_spawn([this, i]() { run_commands(i); }, ("commands" + std::to_string(i)).c_str());
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
  // Set-up "tables": each SMMU programmed as a probe would, now that the tables are in
  // memory. Set-up "driver": the SMMUs come out of reset, and the driver programs them.
  if (scenario_.setup == Setup::kDriver) return;
  for (size_t i = 0; i < smmus.size(); ++i) {
    model::RegisterFile& regs = smmus[i]->registers();
    program_smmu(tables_[i], scenario_.smmus[i].atschk, [&](uint64_t offset, unsigned size, uint64_t value) {
      if (!regs.write(offset, size, value))
        throw std::logic_error(std::string(smmus[i]->name()) + ": register write at " +
                               std::to_string(offset) + " refused");
    });
  }
}

// ---------------------------------------------------------------------------------------
// Set-up "tables": the scenario's commands, by a program on the host's Os.

Soc::CommandQueue::CommandQueue(const std::vector<CommandBatchSpec>& all, unsigned smmu)
    : program(all, smmu, kPollIntervalNs) {}

void Soc::run_commands(unsigned smmu) {
  CommandQueue& q = *queues_[smmu];
  HostOs os(*host.operator->());
  q.program.run(os);
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
