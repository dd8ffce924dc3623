// smmu-inv-bench: the figures of one invalidation of a shared stage-2 range across 1, 2,
// 4 and 8 SMMUs (or the counts given), waiting on each SMMU in turn and with the
// all-SMMUs-then-wait option: CMD_SYNCs, TLBI commands and the simulated time the call
// took on the CPU (platform/inv_scaling.h measures one point). Not a test: it prints a
// table (and JSON on request).
//
// SystemC runs one simulation per process, so every point runs in a child process
// (fork) that sends its result back through a pipe as JSON; the points run one after
// the other, so the output is the same on every run.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "platform/cli.h"
#include "platform/config_reader.h"
#include "platform/inv_scaling.h"

namespace {

using namespace smmu;
using platform::CliError;
using platform::InvScalingParams;
using platform::InvScalingResult;
namespace po = boost::program_options;

struct Options {
  std::vector<unsigned> smmus{1, 2, 4, 8};
  InvScalingParams params;
  std::string json_path;
  bool help = false;
};

po::options_description bench_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("smmus", po::value<std::string>()->value_name("LIST"),
       "SMMU counts to measure, comma separated (each 1..64; default 1,2,4,8)")
      ("range", po::value<std::string>()->value_name("BYTES"),
       "bytes invalidated from the domain's first IOVA: a multiple of 4 KiB, decimal or "
       "0x-hex, optionally with K/KiB or M/MiB (default 64KiB)")
      ("mapped", po::value<std::string>()->value_name("BYTES"),
       "bytes mapped (4 KiB pages) and warmed on every SMMU, at least --range (default 2MiB)")
      ("unmap", "time Domain::unmap of the range instead of Domain::inv_range")
      ("ats", "each SMMU's device is an ATS endpoint with ATS enabled (the invalidation "
              "includes ATC_INV and its PCIe round trip)")
      ("poll-ns", po::value<std::string>()->value_name("N"),
       "the driver's CMD_SYNC poll interval in ns (a positive integer, default 100)")
      ("completion", po::value<std::string>()->value_name("HOW"),
       "CMD_SYNC completion: msi (default), cons or irq")
      ("json", po::value<std::string>()->value_name("FILE"),
       "also write the parameters and every point's figures as JSON to FILE");
  return desc;
}

std::string usage() {
  return platform::usage_text(
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
      "longer cached, or faulting after --unmap). Exit status 1 when a point failed.\n");
}

uint64_t parse_bytes(const std::string& option, const std::string& text) {
  static const std::vector<std::pair<std::string, uint64_t>> kSuffixes = {
      {"KiB", 1024}, {"MiB", 1024 * 1024}, {"K", 1024}, {"M", 1024 * 1024}};
  std::string digits = text;
  uint64_t unit = 1;
  for (const auto& [suffix, mult] : kSuffixes)
    if (digits.size() > suffix.size() &&
        digits.compare(digits.size() - suffix.size(), suffix.size(), suffix) == 0) {
      digits.resize(digits.size() - suffix.size());
      unit = mult;
      break;
    }
  uint64_t v = 0;
  if (!platform::parse_uint_text(digits, v) || v == 0 || v > UINT64_MAX / unit)
    throw CliError(option + ": expected a positive byte count (e.g. 65536, 0x10000, 64KiB), got '" +
                   text + "'");
  return v * unit;
}

std::vector<unsigned> parse_smmu_list(const std::string& text) {
  std::vector<unsigned> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const uint64_t n = platform::parse_positive_count("--smmus", item);
    if (n > 64) throw CliError("--smmus: at most 64 SMMUs, got " + item);
    out.push_back(static_cast<unsigned>(n));
  }
  if (out.empty() || text.back() == ',') throw CliError("--smmus: expected a list like 1,2,4,8, got '" + text + "'");
  return out;
}

Options parse_options(int argc, char** argv) {
  const po::variables_map vm = platform::parse_command_line(argc, argv, bench_options());
  Options o;
  if (vm.count("help")) {
    o.help = true;
    return o;
  }
  if (vm.count("smmus")) o.smmus = parse_smmu_list(vm["smmus"].as<std::string>());
  if (vm.count("range")) o.params.range = parse_bytes("--range", vm["range"].as<std::string>());
  if (vm.count("mapped")) o.params.mapped = parse_bytes("--mapped", vm["mapped"].as<std::string>());
  o.params.unmap = vm.count("unmap") != 0;
  o.params.ats = vm.count("ats") != 0;
  if (vm.count("poll-ns"))
    o.params.poll_ns = platform::parse_positive_count("--poll-ns", vm["poll-ns"].as<std::string>());
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
  for (unsigned n : o.smmus) {
    try {
      platform::validate_inv_scaling(n, o.params);
    } catch (const std::invalid_argument& e) {
      throw CliError(e.what());
    }
  }
  return o;
}

// Runs one point in a child process; a child that fails to report gives a result with
// the error set.
InvScalingResult run_point(unsigned smmus, bool all_then_wait, const InvScalingParams& p) {
  InvScalingResult failed;
  failed.smmus = smmus;
  failed.all_then_wait = all_then_wait;
  int fds[2];
  if (pipe(fds) != 0) {
    failed.error = std::string("pipe: ") + std::strerror(errno);
    return failed;
  }
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    failed.error = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return failed;
  }
  if (pid == 0) {
    close(fds[0]);
    std::string text;
    try {
      text = platform::to_json(platform::measure_inv_scaling(smmus, all_then_wait, p)).dump();
    } catch (const std::exception& e) {
      text = nlohmann::json{{"exception", e.what()}}.dump();
    }
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t w = write(fds[1], text.data() + done, text.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) _exit(3);
      done += static_cast<size_t>(w);
    }
    close(fds[1]);
    std::fflush(nullptr);
    _exit(0);  // no SystemC or static teardown in the child
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string who = std::to_string(smmus) + (all_then_wait ? " all_then_wait" : " per_smmu_wait");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    failed.error = "the child process for " + who + " ended abnormally (status " +
                   std::to_string(status) + ")";
    return failed;
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.contains("exception")) {
      failed.error = j.at("exception").get<std::string>();
      return failed;
    }
    return platform::inv_scaling_result_from_json(j);
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

void print_table(const Options& o, const std::vector<InvScalingResult>& rs) {
  const InvScalingParams& p = o.params;
  std::printf("smmu-inv-bench: one %s of %llu bytes (4 KiB leaves) of a stage-2 domain shared by one %s "
              "per SMMU; %llu bytes mapped and warmed; CMD_SYNC completion %s, polled every %llu ns\n",
              p.unmap ? "unmap" : "inv_range", static_cast<unsigned long long>(p.range),
              p.ats ? "ATS endpoint" : "plain master", static_cast<unsigned long long>(p.mapped),
              completion_name(p.completion), static_cast<unsigned long long>(p.poll_ns));
  std::printf("%5s  %-13s  %9s  %5s  %7s  %7s  %8s  %12s  %8s\n", "smmus", "mode", "cmd_syncs",
              "tlbi", "atc_inv", "batches", "sim_ns", "smmu_sync_ns", "verified");
  for (const InvScalingResult& r : rs) {
    if (!r.ok()) {
      std::printf("%5u  %-13s  FAILED: %s\n", r.smmus,
                  r.all_then_wait ? "all_then_wait" : "per_smmu_wait", r.error.c_str());
      continue;
    }
    const std::string verified = std::to_string(r.smmus_verified) + "/" + std::to_string(r.smmus);
    std::printf("%5u  %-13s  %9llu  %5llu  %7llu  %7llu  %8llu  %12.1f  %8s%s\n", r.smmus,
                r.all_then_wait ? "all_then_wait" : "per_smmu_wait",
                static_cast<unsigned long long>(r.cmd_syncs),
                static_cast<unsigned long long>(r.tlbi_commands),
                static_cast<unsigned long long>(r.atc_inv_commands),
                static_cast<unsigned long long>(r.batches), static_cast<unsigned long long>(r.sim_ns),
                r.mean_sync_latency_ns(), verified.c_str(),
                r.status == "ok" ? "" : ("  status " + r.status).c_str());
  }
}

nlohmann::json to_json(const Options& o, const std::vector<InvScalingResult>& rs) {
  const InvScalingParams& p = o.params;
  nlohmann::json points = nlohmann::json::array();
  for (const InvScalingResult& r : rs) points.push_back(platform::to_json(r));
  return nlohmann::json{{"parameters",
                         {{"operation", p.unmap ? "unmap" : "inv_range"},
                          {"range", p.range},
                          {"mapped", p.mapped},
                          {"ats", p.ats},
                          {"completion", completion_name(p.completion)},
                          {"poll_ns", p.poll_ns}}},
                        {"points", points}};
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  Options opt;
  std::ofstream json_out;
  try {
    opt = parse_options(argc, argv);
    if (opt.help) {
      std::cout << usage();
      return 0;
    }
    if (!opt.json_path.empty()) {
      json_out.open(opt.json_path);  // opened now so a bad path fails before the run
      if (!json_out) throw CliError("--json: cannot write '" + opt.json_path + "'");
    }
  } catch (const CliError& e) {
    std::cerr << "smmu-inv-bench: " << e.what() << "\n";
    return 2;
  }

  std::vector<InvScalingResult> results;
  bool all_ok = true;
  for (unsigned n : opt.smmus)
    for (bool all_then_wait : {false, true}) {
      results.push_back(run_point(n, all_then_wait, opt.params));
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
