// SPDX-License-Identifier: Apache-2.0
// smmu-inv-bench: the figures of one invalidation of a shared stage-2 range across 1, 2,
// 4 and 8 SMMUs (or the counts given), waiting on each SMMU in turn and with the
// all-SMMUs-then-wait option: CMD_SYNCs, TLBI commands and the simulated time the call
// took on the CPU (platform/bench/inv_scaling.h measures one point), and with --tbus the same
// with 1..64 TBUs per SMMU at a given DTI latency (what a CMD_SYNC costs per TBU). Not a
// test: it prints a table (and JSON on request). Options: inv_bench_options.h.
//
// SystemC runs one simulation per process, so every point runs in a child process
// (platform/bench/child_process.h), one after the other.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "platform/bench/child_process.h"
#include "platform/config/cli.h"
#include "platform/bench/inv_bench_options.h"
#include "platform/bench/inv_scaling.h"

namespace {

using namespace smmu;
using platform::CliError;
using platform::InvBenchOptions;
using platform::InvBenchPoint;
using platform::InvScalingParams;
using platform::InvScalingResult;

// Runs one point in a child process; a child that fails to report gives a result with
// the error set.
InvScalingResult run_point(const InvBenchPoint& pt, InvScalingParams p) {
  p.tbus = pt.tbus;
  InvScalingResult failed;
  failed.smmus = pt.smmus;
  failed.tbus = std::max(1u, pt.tbus);
  failed.all_then_wait = pt.all_then_wait;
  const platform::ChildOutcome out = platform::run_in_children({[&] {
    return platform::to_json(platform::measure_inv_scaling(pt.smmus, pt.all_then_wait, p)).dump();
  }}).front();
  const std::string who = std::to_string(pt.smmus) + " SMMUs, " + std::to_string(failed.tbus) +
                          " TBUs" + (pt.all_then_wait ? " all_then_wait" : " per_smmu_wait");
  if (!out.ok()) {
    failed.error = who + ": " + out.error;
    return failed;
  }
  try {
    return platform::inv_scaling_result_from_json(nlohmann::json::parse(out.text));
  } catch (const std::exception& e) {
    failed.error = "the child process for " + who + " sent a bad result: " + e.what();
    return failed;
  }
}

bool point_ok(const InvScalingResult& r) {
  return r.ok() && r.status == "ok" && r.smmus_verified == r.smmus;
}

const char* completion_name(driver::SyncCompletion c) {
  switch (c) {
    case driver::SyncCompletion::kMsi: return "msi";
    case driver::SyncCompletion::kConsPoll: return "cons";
    case driver::SyncCompletion::kIrq: return "irq";
  }
  return "?";
}

void print_table(const InvBenchOptions& o, const std::vector<InvScalingResult>& rs) {
  const InvScalingParams& p = o.params;
  std::printf("smmu-inv-bench: one %s of %llu bytes (4 KiB leaves) of a stage-2 domain shared by one %s "
              "per SMMU; %llu bytes mapped and warmed; CMD_SYNC completion %s, polled every %llu ns\n",
              p.unmap ? "unmap" : "inv_range", static_cast<unsigned long long>(p.range),
              p.ats ? "ATS endpoint" : "plain master", static_cast<unsigned long long>(p.mapped),
              completion_name(p.completion), static_cast<unsigned long long>(p.poll_ns));
  if (!o.tbus.empty())
    std::printf("each TBU serves one port with one device; DTI latency %s one way\n",
                p.dti_latency.to_string().c_str());
  std::printf("%5s  %4s  %6s  %-13s  %9s  %5s  %7s  %7s  %8s  %12s  %8s\n", "smmus", "tbus", "dti_ns",
              "mode", "cmd_syncs", "tlbi", "atc_inv", "batches", "sim_ns", "smmu_sync_ns", "verified");
  for (const InvScalingResult& r : rs) {
    const char* mode = r.all_then_wait ? "all_then_wait" : "per_smmu_wait";
    const double dti_ns = static_cast<double>(r.dti_latency_ps) / 1000.0;
    if (!r.ok()) {
      std::printf("%5u  %4u  %6.1f  %-13s  FAILED: %s\n", r.smmus, r.tbus, dti_ns, mode, r.error.c_str());
      continue;
    }
    const std::string verified = std::to_string(r.smmus_verified) + "/" + std::to_string(r.smmus);
    std::printf("%5u  %4u  %6.1f  %-13s  %9llu  %5llu  %7llu  %7llu  %8llu  %12.1f  %8s%s\n", r.smmus,
                r.tbus, dti_ns, mode, static_cast<unsigned long long>(r.cmd_syncs),
                static_cast<unsigned long long>(r.tlbi_commands),
                static_cast<unsigned long long>(r.atc_inv_commands),
                static_cast<unsigned long long>(r.batches), static_cast<unsigned long long>(r.sim_ns),
                r.mean_sync_latency_ns(), verified.c_str(),
                r.status == "ok" ? "" : ("  status " + r.status).c_str());
  }
}

nlohmann::json to_json(const InvBenchOptions& o, const std::vector<InvScalingResult>& rs) {
  const InvScalingParams& p = o.params;
  nlohmann::json points = nlohmann::json::array();
  for (const InvScalingResult& r : rs) points.push_back(platform::to_json(r));
  nlohmann::json params{{"operation", p.unmap ? "unmap" : "inv_range"},
                        {"range", p.range},
                        {"mapped", p.mapped},
                        {"ats", p.ats},
                        {"completion", completion_name(p.completion)},
                        {"poll_ns", p.poll_ns}};
  if (!o.tbus.empty()) {
    params["tbus"] = o.tbus;
    params["dti_latency_ns"] = p.dti_latency.to_seconds() * 1e9;
  }
  return nlohmann::json{{"parameters", params}, {"points", points}};
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  InvBenchOptions opt;
  std::ofstream json_out;
  try {
    opt = platform::parse_inv_bench_options(argc, argv);
    if (opt.help) {
      std::cout << platform::inv_bench_usage();
      return 0;
    }
    platform::open_output(json_out, "--json", opt.json_path);
  } catch (const CliError& e) {
    std::cerr << "smmu-inv-bench: " << e.what() << "\n";
    return 2;
  }

  std::vector<InvScalingResult> results;
  bool all_ok = true;
  for (const InvBenchPoint& pt : platform::inv_bench_points(opt)) {
    results.push_back(run_point(pt, opt.params));
    if (!point_ok(results.back())) all_ok = false;
  }
  print_table(opt, results);
  if (json_out.is_open()) {
    json_out << to_json(opt, results).dump(2) << "\n";
    if (!json_out) {
      std::cerr << "smmu-inv-bench: --json: write to '" << opt.json_path << "' failed\n";
      return 1;
    }
  }
  if (!all_ok) {
    std::cerr << "smmu-inv-bench: a point failed (see the table)\n";
    return 1;
  }
  return 0;
}
