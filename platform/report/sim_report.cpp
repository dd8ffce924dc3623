// SPDX-License-Identifier: Apache-2.0
#include "platform/report/sim_report.h"

#include <algorithm>
#include <cstdio>

#include "driver/event_format.h"
#include "platform/report/latency_summary.h"
#include "platform/report/report.h"
#include "rtl_model/arch/command.h"
#include "rtl_model/arch/event.h"

namespace smmu::platform {

using nlohmann::json;
using sc_core::sc_time;

namespace {

// Exact for whole nanoseconds (a ratio of two integers of resolution units).
double to_ns(const sc_time& t) {
  static const sc_time one_ns(1, sc_core::SC_NS);
  return t / one_ns;
}

json hits_misses(uint64_t hits, uint64_t misses) { return json{{"hits", hits}, {"misses", misses}}; }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The command engine's counters, added to an SMMU's report.
void add_command_report(const model::CommandStats& c, json& out) {
  json by_name = json::object();
  for (unsigned op = 0; op < 256; ++op)
    if (c.by_opcode[op])
      by_name[arch::opcode_known(static_cast<uint8_t>(op))
                  ? arch::to_string(static_cast<arch::Opcode>(op))
                  : hex(op)] = c.by_opcode[op];
  out["commands"] = by_name;
  out["commands_total"] = c.executed;
  out["command_fetches"] = c.fetches;
  out["syncs"] = c.syncs;
  out["sync_latency_ns"] =
      json{{"mean", c.syncs ? to_ns(c.sync_latency_total) / static_cast<double>(c.syncs) : 0.0},
           {"max", to_ns(c.sync_latency_max)}};
  out["command_errors"] =
      json{{"ill", c.errors_ill}, {"abt", c.errors_abt}, {"atc_inv_sync", c.errors_atc_inv_sync}};
  out["entries_invalidated"] = json{{"tlb", c.tlb_entries_invalidated},
                                    {"walk_cache", c.walk_entries_invalidated},
                                    {"config_cache", c.config_entries_invalidated}};
  out["atc_inv_sent"] = c.atc_inv_sent;
  out["atc_inv_timeouts"] = c.atc_inv_timeouts;
  // With ECMDQs: the commands each queue gave ([0] the CMDQ, [1 + n] ECMDQ n).
  if (c.by_queue.size() > 1) out["commands_by_queue"] = c.by_queue;
}

// One TBU's figures (TbuStats): its ports, its TLBs (main_tlb null when it has none)
// and its side of the DTI link.
json tbu_report(model::Tbu& tbu) {
  const model::TbuStats& t = tbu.stats();
  json ports = json::array();
  for (unsigned i = 0; i < tbu.ports(); ++i) ports.push_back(tbu.port_id(i));
  return json{{"ports", ports},
              {"micro_tlb", hits_misses(t.micro_tlb_hits, t.micro_tlb_misses)},
              {"main_tlb", tbu.main_tlb() ? hits_misses(t.main_tlb_hits, t.main_tlb_misses) : json()},
              {"dti_requests", t.dti_requests},
              {"dti_invalidations", t.dti_invalidations},
              {"dti_syncs", t.dti_syncs},
              {"token_stalls", t.token_stalls},
              {"token_wait_ns", to_ns(t.token_wait)}};
}

json smmu_report(model::Smmu& smmu) {
  const model::SmmuStats& s = smmu.stats();
  const model::ConfigFetchStats& c = smmu.config_stats();
  json config = hits_misses(c.ste_hits + c.cd_hits, c.ste_misses + c.cd_misses);
  config["ste"] = hits_misses(c.ste_hits, c.ste_misses);
  config["cd"] = hits_misses(c.cd_hits, c.cd_misses);
  json main_tlb = hits_misses(s.main_tlb_hits, s.main_tlb_misses);
  main_tlb["evictions"] = smmu.main_tlb().evictions();
  json out{
      {"name", smmu.basename()},
      {"ports", smmu.ports()},
      {"transactions", s.transactions},
      {"bypassed", s.bypassed},
      {"aborted", s.aborted},
      {"faults", s.faults},
      {"boundary_errors", s.boundary_errors},
      {"micro_tlb", hits_misses(s.micro_tlb_hits, s.micro_tlb_misses)},
      {"main_tlb", main_tlb},
      {"walk_cache", hits_misses(smmu.walk_cache().hits(), smmu.walk_cache().misses())},
      {"config_cache", config},
      {"walks", s.walks},
      {"walk_reads", s.walk_reads},
      {"events", s.events},
      {"events_lost", s.events_lost},
      {"evtq_irqs", s.evtq_irqs},
      {"gerror_irqs", s.gerror_irqs},
      {"translation_slot_stalls", smmu.translation_slots().stalls()},
      {"translation_slot_wait_ns", to_ns(smmu.translation_slots().waited())},
      {"walk_slot_stalls", smmu.walk_slots().stalls()},
      {"walk_slot_wait_ns", to_ns(smmu.walk_slots().waited())},
      {"dmi_grants", s.dmi_grants},
      {"ats",
       {{"requests", s.ats_requests},
        {"unsupported", s.ats_unsupported},
        {"no_access", s.ats_no_access},
        {"translated", s.ats_translated},
        {"translated_refused", s.ats_translated_refused}}},
  };
  add_command_report(smmu.command_stats(), out);
  json tbus = json::array();
  for (unsigned j = 0; j < smmu.tbu_count(); ++j) tbus.push_back(tbu_report(smmu.tbu(j)));
  out["tbus"] = tbus;
  return out;
}

// The keys every device reports, generator or ATS endpoint.
json device_report(const Soc::Device& d, const model::TrafficStats& st) {
  return json{{"name", d.name},
              {"kind", d.endpoint ? "ats_endpoint" : "generator"},
              {"smmu", d.smmu},
              {"port", d.port},
              {"transactions", st.transactions()},
              {"reads", st.reads()},
              {"writes", st.writes()},
              {"bytes", st.bytes()},
              {"faults", st.errors()},
              {"latency_ns", d.latency.to_json()}};
}

json ats_endpoint_report(const Soc::Device& d, const model::TrafficStats& st) {
  const model::AtsEndpoint& e = *d.endpoint;
  const model::AtsEndpointStats& s = e.stats();
  json out = device_report(d, st);
  out["ats_device"] = d.ats_device;
  out["sid"] = e.sid();
  out["translation_requests"] = s.translation_requests;
  out["translation_failures"] = s.translation_failures;
  out["translated_sent"] = s.translated_sent;
  out["untranslated_sent"] = s.untranslated_sent;
  out["page_crossings"] = s.page_crossings;
  out["atc"] = json{{"hits", s.atc_hits},
                    {"misses", s.atc_misses},
                    {"invalidations", e.atc().invalidations()},
                    {"entries_invalidated", e.atc().entries_invalidated()},
                    {"evictions", e.atc().evictions()},
                    {"entries", e.atc().occupancy()}};
  out["invalidations_answered"] = s.invalidation_answers;
  return out;
}

// What the driver's event handler saw on one SMMU: counts per type (architectural
// names), overflows, global errors and the first records, decoded.
void add_driver_events(const driver::SmmuDevice& dev, json& out) {
  const driver::SmmuDeviceStats& st = dev.stats();
  json by_type = json::object();
  for (const auto& [id, n] : st.events_by_id)
    by_type[arch::event_id_known(id) ? arch::to_string(static_cast<arch::EventId>(id)) : hex(id)] = n;
  json log = json::array();
  for (const arch::EventRecord& e : dev.event_log()) log.push_back(driver::format_event(e));
  out["events"] = st.events;
  out["events_by_type"] = by_type;
  out["event_overflows"] = st.event_overflows;
  out["gerrors"] = st.gerrors;
  out["event_log"] = log;
}

// One workload's figures (dma_workload.h): what it did, each CPU's rate, the
// invalidation latencies, flushes, and the SMMU's command queues over its span.
json workload_report(const DmaWorkload& w) {
  const WorkloadSpec& sp = w.spec();
  json per_cpu = json::array();
  double sum = 0, lo = 0, hi = 0;
  size_t started = 0;
  uint64_t ops = 0, map_failures = 0, dma_faults = 0, unmap_errors = 0;
  for (const DmaWorkload::CpuState& c : w.cpus()) {
    per_cpu.push_back(json{{"cpu", c.cpu},
                           {"ops", c.ops},
                           {"start_ns", c.start_ns},
                           {"time_ns", c.last_ns - c.start_ns},
                           {"rate", c.rate()},
                           {"finished", c.finished}});
    ops += c.ops;
    map_failures += c.map_failures;
    dma_faults += c.dma_faults;
    unmap_errors += c.unmap_errors;
    if (!c.started) continue;
    const double r = c.rate();
    sum += r;
    lo = started == 0 ? r : std::min(lo, r);
    hi = std::max(hi, r);
    ++started;
  }
  json out{{"kind", "dma_api"},
           {"smmu", sp.smmu},
           {"sid", sp.sid},
           {"port", sp.port},
           {"cpus", sp.cpus},
           {"policy", sp.lazy ? "lazy" : "strict"},
           {"buffer", sp.buffer},
           {"count", sp.count},
           {"iova_base", sp.iova_base},
           {"iova_limit", sp.iova_limit},
           {"pa", sp.pa},
           {"finished", w.finished()},
           {"start_ns", w.first_start_ns()},
           {"end_ns", w.end_ns()},
           {"ops", ops},
           {"errors", map_failures + dma_faults + unmap_errors},
           {"map_failures", map_failures},
           {"dma_faults", dma_faults},
           {"unmap_errors", unmap_errors},
           {"rate_per_cpu", {{"mean", started ? sum / static_cast<double>(started) : 0.0}, {"min", lo}, {"max", hi}}},
           {"per_cpu", per_cpu}};
  if (!w.error().empty()) out["error"] = w.error();
  const driver::DmaApi* api = w.api();
  std::vector<uint64_t> lat = api ? api->inv_latencies() : std::vector<uint64_t>{};
  out["inv_latency_ns"] = to_json(summarize_latencies(lat));
  const driver::FlushQueue* fq = api ? api->flush_queue() : nullptr;
  auto fq_count = [fq](const std::atomic<uint64_t> driver::FlushQueueStats::*field) {
    return fq ? (fq->stats().*field).load() : uint64_t{0};
  };
  out["flushes"] = fq_count(&driver::FlushQueueStats::flushes);
  out["full_flushes"] = fq_count(&driver::FlushQueueStats::full_flushes);
  out["timeout_flushes"] = fq_count(&driver::FlushQueueStats::timeout_flushes);
  out["drain_flushes"] = fq_count(&driver::FlushQueueStats::drain_flushes);
  out["walk_flushes"] = api ? api->stats().walk_flushes.load() : 0;
  out["iova"] = json{{"cache_hits", api ? api->iova().stats().cache_hits.load() : 0},
                     {"range_allocs", api ? api->iova().stats().range_allocs.load() : 0}};
  const driver::CommandQueueStats q = w.queue_stats();
  out["cmdq"] = json{{"commands", q.commands},
                     {"syncs", q.syncs},
                     {"publishes", q.publishes},
                     {"cas_attempts", q.cas_attempts},
                     {"cas_failures", q.cas_failures},
                     {"full_waits", q.full_waits},
                     {"reservations", q.reservations},
                     {"owner_gathers", q.owner_gathers}};
  return out;
}

}  // namespace

// What the firmware driver did (setup "driver").
json driver_report(const Soc& soc, DriverSetup& drv) {
  const Scenario& sc = soc.scenario();
  json d{{"setup_ns", drv.setup_ns()},
         {"setup_end_ns", to_ns(soc.setup_end())},
         {"setup_finished", soc.setup_finished()},
         {"cpus", soc.cpus().size()},
         {"completion", sc.driver.completion},
         {"inv_all_then_wait", sc.driver.inv_all_then_wait},
         {"domains", drv.num_domains()},
         {"attaches", drv.num_devices() ? drv.iommu().stats().attaches.load() : 0},
         {"pasid_attaches", drv.num_devices() ? drv.iommu().stats().pasid_attaches.load() : 0}};
  if (!drv.error().empty()) d["error"] = drv.error();
  json smmus = json::array();
  // A run stopped before the set-up ended (scenario duration) reports what exists: a
  // device not reset yet has no command queue, one not probed no tags.
  for (size_t i = 0; i < drv.num_devices(); ++i) {
    driver::SmmuDevice& dev = drv.device(i);
    const driver::CommandQueueStats q = dev.queue_stats();  // CMDQ and ECMDQs
    smmus.push_back(json{{"enabled", dev.enabled()},
                         {"asids_in_use", dev.has_tags() ? dev.tags().asids_in_use() : 0},
                         {"vmids_in_use", dev.has_tags() ? dev.tags().vmids_in_use() : 0},
                         {"ste_writes", dev.stats().ste_writes},
                         {"ste_syncs", dev.stats().ste_syncs},
                         {"commands_issued", q.commands},
                         {"syncs_issued", q.syncs},
                         {"cmdq_publishes", q.publishes}});
    add_driver_events(dev, smmus.back());
  }
  d["smmus"] = smmus;
  if (const driver::EventHandler* h = soc.event_handler())
    d["event_handler"] = json{{"cpu", soc.event_cpu()->id()},
                              {"wakeups", h->stats().wakeups},
                              {"drains", h->stats().drains},
                              {"finished", h->finished()}};
  json ops = json::array();
  for (size_t k = 0; k < sc.driver_ops.size(); ++k) {
    const DriverOpSpec& o = sc.driver_ops[k];
    const DriverOpResult& r = drv.op_results()[k];
    json j{{"op", to_string(o.op)},
           {"cpu", o.cpu},
           {"iova", o.iova},
           {"size", o.size},
           {"start_ns", r.start_ns},
           {"duration_ns", r.finished ? r.end_ns - r.start_ns : 0},
           {"status", !r.started    ? "not started"
                      : !r.finished ? "unfinished"
                                    : driver::to_string(r.status)}};
    // As the scenario named it: a shared domain by name, else the stream.
    if (!o.domain.empty()) {
      j["domain"] = o.domain;
    } else {
      j["smmu"] = sc.streams[o.stream].smmu;
      j["sid"] = sc.streams[o.stream].sid;
    }
    if (!r.error.empty()) j["error"] = r.error;
    ops.push_back(j);
  }
  d["ops"] = ops;
  return d;
}

json build_report(Soc& soc) {
  json report = json::object();
  const double sim_ns = to_ns(soc.end_time());
  report["sim_time_ns"] = sim_ns;
  report["traffic_done"] = soc.traffic_done();

  uint64_t transactions = 0, reads = 0, writes = 0, bytes = 0, faults = 0, dmi_accesses = 0;
  const bool dmi = std::any_of(soc.scenario().traffic.begin(), soc.scenario().traffic.end(),
                               [](const TrafficSpec& t) { return t.stream.dmi; });
  // The traffic phase: from the first issue to the last completion of any device.
  sc_core::sc_time first_issue, last_completion;
  json devices = json::array();
  for (const auto& d : soc.devices) {
    if (d->idle()) continue;
    const model::TrafficStats st = d->total_stats();
    if (st.transactions() > 0) {
      if (transactions == 0 || st.first_issue() < first_issue) first_issue = st.first_issue();
      last_completion = std::max(last_completion, st.last_completion());
    }
    transactions += st.transactions();
    reads += st.reads();
    writes += st.writes();
    bytes += st.bytes();
    faults += st.errors();
    if (d->endpoint) {
      devices.push_back(ats_endpoint_report(*d, st));
    } else {
      json dev = device_report(*d, st);
      dev["traffic"] = d->traffic;
      if (dmi) {
        dev["dmi_accesses"] = d->generator->dmi_accesses();
        dev["dmi_invalidations"] = d->generator->dmi_invalidations();
        dmi_accesses += d->generator->dmi_accesses();
      }
      devices.push_back(dev);
    }
  }
  report["dma"] = json{{"transactions", transactions},
                       {"reads", reads},
                       {"writes", writes},
                       {"bytes", bytes},
                       {"faults", faults},
                       {"gbytes_per_s", sim_ns > 0 ? static_cast<double>(bytes) / sim_ns : 0.0}};
  const double traffic_ns = model::TrafficStats::ns(last_completion - first_issue);
  if (dmi) report["dma"]["dmi_accesses"] = dmi_accesses;
  report["dma"]["traffic_start_ns"] = model::TrafficStats::ns(first_issue);
  report["dma"]["traffic_ns"] = traffic_ns;
  report["dma"]["traffic_gbytes_per_s"] =
      traffic_ns > 0 ? static_cast<double>(bytes) / traffic_ns : 0.0;
  report["translation"] = json{{"latency_ns", soc.latency().to_json()}};
  report["memory"] = json{{"reads", soc.memory.reads()},
                          {"writes", soc.memory.writes()},
                          {"bytes", soc.memory.bytes()}};
  json smmus = json::array();
  for (const auto& s : soc.smmus) smmus.push_back(smmu_report(*s));
  report["smmus"] = smmus;
  report["devices"] = devices;
  if (DriverSetup* drv = soc.driver()) report["driver"] = driver_report(soc, *drv);
  if (!soc.workloads().empty()) {
    json ws = json::array();
    for (const auto& w : soc.workloads()) ws.push_back(workload_report(*w));
    report["workloads"] = ws;
  }
  add_hit_rates(report);
  return report;
}

}  // namespace smmu::platform
