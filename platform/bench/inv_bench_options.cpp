// SPDX-License-Identifier: Apache-2.0
#include "platform/bench/inv_bench_options.h"

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "platform/config/cli.h"
#include "platform/config/config_reader.h"

namespace smmu::platform {

namespace po = boost::program_options;

namespace {

constexpr unsigned kMaxCount = 64;  // SMMUs, and TBUs per SMMU

po::options_description bench_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("smmus", po::value<std::string>()->value_name("LIST"),
       "SMMU counts to measure, comma separated (each 1..64; default 1,2,4,8, or 1 with --tbus)")
      ("tbus", po::value<std::string>()->value_name("LIST"),
       "TBU counts per SMMU to measure, comma separated (each 1..64): each TBU serves one "
       "port with one device of the SMMU's master (default: the SMMU's default layout, one "
       "TBU for its one port)")
      ("dti-latency", po::value<std::string>()->value_name("TIME"),
       "one-way DTI latency of every TBU with --tbus, e.g. 20ns or \"1.5 us\" (default 8ns; "
       "at most 1 ms); alone it implies --tbus 1")
      ("range", po::value<std::string>()->value_name("BYTES"),
       "bytes invalidated from the domain's first IOVA: a multiple of 4 KiB, decimal or "
       "0x-hex, optionally with K/KiB or M/MiB (default 64KiB)")
      ("mapped", po::value<std::string>()->value_name("BYTES"),
       "bytes mapped (4 KiB pages) and warmed on every SMMU, at least --range (default 2MiB)")
      ("unmap", "time Domain::unmap of the range instead of Domain::inv_range")
      ("ats", "each SMMU's device is an ATS endpoint with ATS enabled (the invalidation "
              "includes ATC_INV and its PCIe round trip; not with more than one TBU)")
      ("poll-ns", po::value<std::string>()->value_name("N"),
       "the driver's CMD_SYNC poll interval in ns (a positive integer, default 100)")
      ("completion", po::value<std::string>()->value_name("HOW"),
       "CMD_SYNC completion: msi (default), cons or irq")
      ("json", po::value<std::string>()->value_name("FILE"),
       "also write the parameters and every point's figures as JSON to FILE");
  return desc;
}

sc_core::sc_time parse_dti_latency(const std::string& text) {
  constexpr uint64_t kMaxPs = 1'000'000'000;  // 1 ms
  uint64_t ps = 0;
  try {
    ps = parse_time_ps(text);
  } catch (const std::invalid_argument& e) {
    throw CliError("--dti-latency: " + std::string(e.what()));
  }
  if (ps > kMaxPs) throw CliError("--dti-latency: at most 1 ms, got '" + text + "'");
  return sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS);
}

}  // namespace

std::string inv_bench_usage() {
  return usage_text(
      "smmu-inv-bench [options]", bench_options(),
      "For each SMMU count N and both modes (per_smmu_wait: the driver waits for each\n"
      "SMMU's CMD_SYNC before the next SMMU; all_then_wait: every SMMU's batch and\n"
      "CMD_SYNC first, then all the waits), builds a SoC of N SMMUs, one device each and\n"
      "one CPU running the firmware driver, shares one S2 paging domain between one\n"
      "master per SMMU, maps and warms --mapped bytes, and times ONE invalidation of\n"
      "--range bytes (4 KiB leaves) on the CPU. Prints per point: CMD_SYNCs and TLBI\n"
      "(and ATC_INV) commands the SMMUs executed, batches the driver issued, the\n"
      "simulated ns the call took, the SMMUs' own mean CMD_SYNC latency (CMDQ_PROD write\n"
      "to completion), and on how many SMMUs the check afterwards held (the range no\n"
      "longer cached, or faulting after --unmap). With --tbus, every SMMU count runs\n"
      "once per TBU count: each SMMU has that many TBUs at --dti-latency, each serving\n"
      "one port whose device is warmed too; a CMD_SYNC waits for the DTI sync of every\n"
      "TBU, so its latency shows what the TBUs cost (one SMMU: per_smmu_wait only).\n"
      "Exit status 1 when a point failed.\n");
}

InvBenchOptions parse_inv_bench_options(int argc, char** argv) {
  const po::variables_map vm = parse_command_line(argc, argv, bench_options());
  InvBenchOptions o;
  if (vm.count("help")) {
    o.help = true;
    return o;
  }
  if (vm.count("tbus")) o.tbus = parse_count_list("--tbus", vm["tbus"].as<std::string>(), "TBUs", kMaxCount);
  if (vm.count("dti-latency")) {
    o.params.dti_latency = parse_dti_latency(vm["dti-latency"].as<std::string>());
    if (o.tbus.empty()) o.tbus = {1};
  }
  if (!o.tbus.empty()) o.smmus = {1};
  if (vm.count("smmus")) o.smmus = parse_count_list("--smmus", vm["smmus"].as<std::string>(), "SMMUs", kMaxCount);
  if (vm.count("range")) o.params.range = parse_byte_count("--range", vm["range"].as<std::string>());
  if (vm.count("mapped")) o.params.mapped = parse_byte_count("--mapped", vm["mapped"].as<std::string>());
  o.params.unmap = vm.count("unmap") != 0;
  o.params.ats = vm.count("ats") != 0;
  if (vm.count("poll-ns"))
    o.params.poll_ns = parse_positive_count("--poll-ns", vm["poll-ns"].as<std::string>());
  if (vm.count("completion")) {
    const std::string c = vm["completion"].as<std::string>();
    if (c == "msi") o.params.completion = driver::SyncCompletion::kMsi;
    else if (c == "cons") o.params.completion = driver::SyncCompletion::kConsPoll;
    else if (c == "irq") o.params.completion = driver::SyncCompletion::kIrq;
    else throw CliError("--completion: expected msi, cons or irq, got '" + c + "'");
  }
  if (vm.count("json")) {
    o.json_path = vm["json"].as<std::string>();
    if (o.json_path.empty()) throw CliError("--json: empty file name");
  }
  for (const InvBenchPoint& pt : inv_bench_points(o)) {
    InvScalingParams p = o.params;
    p.tbus = pt.tbus;
    try {
      validate_inv_scaling(pt.smmus, p);
    } catch (const std::invalid_argument& e) {
      // "inv_scaling: 'tbus' (4) ...": the options behind the keys.
      std::string what = e.what();
      if (what.find("'tbus'") != std::string::npos) throw CliError("--tbus: " + what);
      throw CliError(what);
    }
  }
  return o;
}

std::vector<InvBenchPoint> inv_bench_points(const InvBenchOptions& o) {
  std::vector<InvBenchPoint> out;
  const std::vector<unsigned> tbus = o.tbus.empty() ? std::vector<unsigned>{0} : o.tbus;
  for (unsigned n : o.smmus)
    for (unsigned t : tbus)
      for (bool all_then_wait : {false, true}) {
        if (all_then_wait && n == 1 && !o.tbus.empty()) continue;
        out.push_back({n, t, all_then_wait});
      }
  return out;
}

}  // namespace smmu::platform
