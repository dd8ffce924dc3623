// SPDX-License-Identifier: Apache-2.0
// smmu-dma-bench: DMA map+unmap operations per CPU per second for 1..64 CPUs on one
// SMMU, for each command-queue design, strict and lazy invalidation, one and several
// command queues (platform/bench/dma_bench.h measures one point). Not a test: it prints a
// table, the ratios between the designs, and JSON/CSV on request. Options:
// dma_bench_options.h. Every point runs in its own process (platform/bench/child_process.h).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "platform/bench/child_process.h"
#include "platform/config/cli.h"
#include "platform/bench/dma_bench_options.h"
#include "platform/config/version.h"

namespace {

using namespace smmu;
using platform::DmaBenchParams;
using platform::DmaBenchResult;

std::vector<DmaBenchResult> run_points(const std::vector<DmaBenchParams>& points, unsigned jobs) {
  std::vector<std::function<std::string()>> fns;
  for (const DmaBenchParams& p : points)
    fns.push_back([p] { return platform::to_json(platform::measure_dma_bench(p)).dump(); });
  const std::vector<platform::ChildOutcome> outs = platform::run_in_children(fns, jobs);
  std::vector<DmaBenchResult> rs;
  for (size_t i = 0; i < outs.size(); ++i) {
    DmaBenchResult r;
    r.cpus = points[i].cpus;
    r.queues = points[i].queues;
    r.design = driver::to_string(points[i].design);
    r.policy = driver::to_string(points[i].policy);
    if (!outs[i].ok()) {
      r.error = outs[i].error;
    } else {
      try {
        r = platform::dma_bench_result_from_json(nlohmann::json::parse(outs[i].text));
      } catch (const std::exception& e) {
        r.error = std::string("bad result from the child process: ") + e.what();
      }
    }
    rs.push_back(r);
  }
  return rs;
}

void print_table(const platform::DmaBenchOptions& o, const std::vector<DmaBenchResult>& rs) {
  const DmaBenchParams& p = o.params;
  std::printf("smmu-dma-bench: map %llu B -> device writes it -> %llu ns of other work -> unmap, per CPU; "
              "%u devices (a domain each); %u ops per CPU measured after %u; cache line %s\n",
              static_cast<unsigned long long>(p.buffer), static_cast<unsigned long long>(p.io_ns),
              p.devices, p.ops, p.warmup, p.line_transfer.to_string().c_str());
  std::printf("%4s  %-9s  %-6s  %6s  %12s  %9s  %9s  %9s  %9s  %11s  %9s  %8s  %7s\n", "cpus", "design",
              "policy", "queues", "ops/s/cpu", "inv_n", "inv_p50", "inv_p99", "inv_max", "cas_fail/att",
              "full_wait", "line_xfer", "flushes");
  for (const DmaBenchResult& r : rs) {
    if (!r.ok()) {
      std::printf("%4u  %-9s  %-6s  %6u  FAILED: %s\n", r.cpus, r.design.c_str(), r.policy.c_str(), r.queues,
                  r.error.c_str());
      continue;
    }
    const std::string cas = std::to_string(r.cas_failures) + "/" + std::to_string(r.cas_attempts);
    std::printf("%4u  %-9s  %-6s  %6u  %12.0f  %9llu  %9llu  %9llu  %9llu  %11s  %9llu  %8llu  %7llu\n",
                r.cpus, r.design.c_str(), r.policy.c_str(), r.queues, r.rate_per_cpu,
                static_cast<unsigned long long>(r.inv_count), static_cast<unsigned long long>(r.inv_p50_ns),
                static_cast<unsigned long long>(r.inv_p99_ns), static_cast<unsigned long long>(r.inv_max_ns),
                cas.c_str(), static_cast<unsigned long long>(r.full_waits),
                static_cast<unsigned long long>(r.line_transfers), static_cast<unsigned long long>(r.flushes));
  }
}

// fetch_add over cas_loop, and several queues over one, where both points exist.
void print_ratios(const std::vector<DmaBenchResult>& rs) {
  using Key = std::tuple<unsigned, std::string, std::string, unsigned>;  // cpus, design, policy, queues
  std::map<Key, const DmaBenchResult*> by;
  for (const DmaBenchResult& r : rs)
    if (r.ok()) by[{r.cpus, r.design, r.policy, r.queues}] = &r;
  bool header = false;
  for (const auto& [k, r] : by) {
    const auto& [cpus, design, policy, queues] = k;
    if (design != "fetch_add") continue;
    auto old = by.find({cpus, "cas_loop", policy, queues});
    if (old == by.end()) continue;
    if (!header) std::printf("\nfetch_add over cas_loop (rate per CPU):\n%4s  %-6s  %6s  %8s  %11s\n", "cpus",
                             "policy", "queues", "ratio", "cas_ok_1_in");
    header = true;
    const DmaBenchResult& o = *old->second;
    // One compare-and-swap in how many succeeded (the published figure: 1 in 12 at 64 CPUs).
    char cas_ok[32] = "-";
    if (o.cas_attempts > o.cas_failures)
      std::snprintf(cas_ok, sizeof cas_ok, "%.1f",
                    static_cast<double>(o.cas_attempts) / static_cast<double>(o.cas_attempts - o.cas_failures));
    std::printf("%4u  %-6s  %6u  %8.2f  %11s\n", cpus, policy.c_str(), queues,
                o.rate_per_cpu > 0 ? r->rate_per_cpu / o.rate_per_cpu : 0, cas_ok);
  }
  header = false;
  for (const auto& [k, r] : by) {
    const auto& [cpus, design, policy, queues] = k;
    if (queues == 1) continue;
    auto one = by.find({cpus, design, policy, 1u});
    if (one == by.end()) continue;
    if (!header) std::printf("\n%s\n%4s  %-9s  %-6s  %6s  %11s  %11s\n",
                             "several queues over one (mean invalidation time as the CPU waits, and rate):",
                             "cpus", "design", "policy", "queues", "inv_mean", "rate");
    header = true;
    const DmaBenchResult& a = *one->second;
    std::printf("%4u  %-9s  %-6s  %6u  %11.3f  %11.3f\n", cpus, design.c_str(), policy.c_str(), queues,
                a.inv_mean_ns > 0 ? r->inv_mean_ns / a.inv_mean_ns : 0,
                a.rate_per_cpu > 0 ? r->rate_per_cpu / a.rate_per_cpu : 0);
  }
}

nlohmann::json to_json(const platform::DmaBenchOptions& o, const std::vector<DmaBenchResult>& rs) {
  const DmaBenchParams& p = o.params;
  nlohmann::json points = nlohmann::json::array();
  for (const DmaBenchResult& r : rs) points.push_back(platform::to_json(r));
  nlohmann::json params{{"buffer", p.buffer},         {"devices", p.devices},
                        {"ops", p.ops},               {"warmup", p.warmup},
                        {"io_ns", p.io_ns},           {"cas_retry_ns", p.cas_retry_ns},
                        {"line_transfer_ns", p.line_transfer.to_seconds() * 1e9},
                        {"fq_entries", p.fq.entries}, {"fq_timeout_ns", p.fq.timeout_ns}};
  return nlohmann::json{{"parameters", params}, {"points", points}};
}

bool write_csv(const std::string& path, const std::vector<DmaBenchResult>& rs) {
  std::ofstream out(path);
  if (!out) return false;
  const nlohmann::json first = platform::to_json(DmaBenchResult{});
  bool comma = false;
  for (const auto& [key, v] : first.items()) {
    out << (comma ? "," : "") << key;
    comma = true;
  }
  out << "\n";
  for (const DmaBenchResult& r : rs) {
    comma = false;
    const nlohmann::json j = platform::to_json(r);
    for (const auto& [key, v] : j.items()) {
      out << (comma ? "," : "");
      comma = true;
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        for (char& c : s)
          if (c == '"' || c == ',' || c == '\n') c = ' ';
        out << '"' << s << '"';
      } else {
        out << v.dump();
      }
    }
    out << "\n";
  }
  return static_cast<bool>(out);
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  platform::DmaBenchOptions opt;
  std::ofstream json_out;
  try {
    opt = platform::parse_dma_bench_options(argc, argv);
    if (opt.help) {
      std::cout << platform::dma_bench_usage();
      return 0;
    }
    if (opt.version) {
      std::cout << "smmu-dma-bench " << platform::kVersion << "\n";
      return 0;
    }
    platform::open_output(json_out, "--json", opt.json_path);
    if (!opt.csv_path.empty() && !std::ofstream(opt.csv_path, std::ios::app))
      throw platform::CliError("--csv: cannot write '" + opt.csv_path + "'");
  } catch (const platform::CliError& e) {
    std::cerr << "smmu-dma-bench: " << e.what() << "\n";
    return 2;
  }
  const std::vector<DmaBenchResult> rs = run_points(platform::dma_bench_points(opt), opt.jobs);
  print_table(opt, rs);
  print_ratios(rs);
  bool ok = true;
  for (const DmaBenchResult& r : rs) ok = ok && r.ok();
  if (json_out.is_open()) {
    json_out << to_json(opt, rs).dump(2) << "\n";
    if (!json_out) {
      std::cerr << "smmu-dma-bench: --json: write to '" << opt.json_path << "' failed\n";
      return 1;
    }
  }
  if (!opt.csv_path.empty() && !write_csv(opt.csv_path, rs)) {
    std::cerr << "smmu-dma-bench: --csv: write to '" << opt.csv_path << "' failed\n";
    return 1;
  }
  if (!ok) {
    std::cerr << "smmu-dma-bench: a point failed (see the table)\n";
    return 1;
  }
  return 0;
}
