// SPDX-License-Identifier: Apache-2.0
#include "platform/bench/dma_bench_options.h"

#include <sstream>
#include <stdexcept>

#include "platform/config/cli.h"
#include "platform/config/config_reader.h"

namespace smmu::platform {

namespace po = boost::program_options;

namespace {

po::options_description bench_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("cpus", po::value<std::string>()->value_name("LIST"),
       "CPU counts, comma separated (each 1..64; default 1,2,4,8,16,32,64)")
      ("designs", po::value<std::string>()->value_name("LIST"),
       "command-queue designs: cas_loop (Linux 2019), fetch_add (Linux 2020), locked "
       "(default cas_loop,fetch_add)")
      ("policies", po::value<std::string>()->value_name("LIST"),
       "unmap invalidation: strict, lazy (default strict,lazy)")
      ("queues", po::value<std::string>()->value_name("LIST"),
       "command queues the driver uses: 1 = the SMMU's CMDQ; n > 1 = n ECMDQs, CPU c on "
       "queue c % n (each 1 or a power of two up to 64; default 1,8)")
      ("devices", po::value<std::string>()->value_name("N"),
       "DMA devices, each with its own domain; CPU c works for device c % N (1..64, default 3)")
      ("buffer", po::value<std::string>()->value_name("BYTES"),
       "bytes per map: a multiple of 4 KiB up to 1 MiB (default 4KiB)")
      ("ops", po::value<std::string>()->value_name("N"), "measured map+unmap operations per CPU (default 300)")
      ("warmup", po::value<std::string>()->value_name("N"), "operations per CPU before the measurement (default 10)")
      ("io-ns", po::value<std::string>()->value_name("N"),
       "CPU time per I/O besides the DMA API, in ns (default 2500)")
      ("cas-retry-ns", po::value<std::string>()->value_name("N"),
       "cas_loop: pause after a lost compare-and-swap, in ns (default 0)")
      ("line-transfer", po::value<std::string>()->value_name("TIME"),
       "a cache line moving between CPUs, e.g. 40ns (default 40ns, at most 1 us)")
      ("fq-entries", po::value<std::string>()->value_name("N"),
       "lazy: flush-queue entries per CPU (default 256)")
      ("fq-timeout", po::value<std::string>()->value_name("TIME"),
       "lazy: flush-queue timeout (default 10ms)")
      ("cmdq-log2", po::value<std::string>()->value_name("N"),
       "log2 of the command queue's entries (2..19, default 8)")
      ("command-cycles", po::value<std::string>()->value_name("N"),
       "SMMU cycles (1 ns) to decode and issue any command (the model's default: 2)")
      ("sync-timeout", po::value<std::string>()->value_name("TIME"),
       "the driver's wait for a CMD_SYNC or for room in the queue (default 1s, Linux's)")
      ("jobs", po::value<std::string>()->value_name("N"),
       "points simulated at once, each in its own process (default 1)")
      ("json", po::value<std::string>()->value_name("FILE"), "also write every point as JSON to FILE")
      ("csv", po::value<std::string>()->value_name("FILE"), "also write every point as CSV to FILE");
  return desc;
}

std::vector<std::string> split(const std::string& option, const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  if (out.empty() || text.back() == ',')
    throw CliError(option + ": expected a comma-separated list, got '" + text + "'");
  return out;
}

uint64_t parse_time_ns(const std::string& option, const std::string& text, uint64_t max_ps) {
  uint64_t ps = 0;
  try {
    ps = parse_time_ps(text);
  } catch (const std::invalid_argument& e) {
    throw CliError(option + ": " + e.what());
  }
  if (ps == 0 || ps > max_ps || ps % 1000)
    throw CliError(option + ": expected a whole number of ns up to " + std::to_string(max_ps / 1000) +
                   " ns, got '" + text + "'");
  return ps / 1000;
}

unsigned count(const po::variables_map& vm, const char* name, uint64_t max) {
  const std::string option = std::string("--") + name;
  const uint64_t v = parse_positive_count(option, vm[name].as<std::string>());
  if (v > max) throw CliError(option + ": at most " + std::to_string(max) + ", got " + std::to_string(v));
  return static_cast<unsigned>(v);
}

}  // namespace

std::string dma_bench_usage() {
  return usage_text(
      "smmu-dma-bench [options]", bench_options(),
      "For each point (CPU count x design x policy x queues) builds a SoC of one SMMU,\n"
      "--devices DMA masters and N CPUs running the firmware driver, and runs on every\n"
      "CPU the loop of a block driver per I/O on the DMA API: map a buffer (IOVA\n"
      "allocator with per-CPU caches, page-table write), the device writes it, --io-ns of\n"
      "other work, unmap (strict: TLBI + CMD_SYNC before the IOVA is freed; lazy: the\n"
      "flush queue, flushing the domain by ASID when a ring fills or times out). Prints\n"
      "per point the map+unmap rate per CPU per second of simulated time, invalidation\n"
      "latencies as the CPUs waited for them, compare-and-swap attempts and failures,\n"
      "queue-full waits and cache-line transfers; then the ratio fetch_add / cas_loop\n"
      "per CPU count. Exit status 1 when a point failed.\n");
}

DmaBenchOptions parse_dma_bench_options(int argc, char** argv) {
  const po::variables_map vm = parse_command_line(argc, argv, bench_options());
  DmaBenchOptions o;
  if (vm.count("help")) {
    o.help = true;
    return o;
  }
  if (vm.count("version")) {
    o.version = true;
    return o;
  }
  if (vm.count("cpus")) o.cpus = parse_count_list("--cpus", vm["cpus"].as<std::string>(), "CPUs", 64);
  if (vm.count("queues")) {
    o.queues = parse_count_list("--queues", vm["queues"].as<std::string>(), "queues", 64);
    for (unsigned q : o.queues)
      if (q & (q - 1)) throw CliError("--queues: 1 or a power of two, got " + std::to_string(q));
  }
  if (vm.count("designs")) {
    o.designs.clear();
    for (const std::string& d : split("--designs", vm["designs"].as<std::string>())) {
      if (d == "cas_loop") o.designs.push_back(driver::CmdqDesign::kCasLoop);
      else if (d == "fetch_add") o.designs.push_back(driver::CmdqDesign::kFetchAdd);
      else if (d == "locked") o.designs.push_back(driver::CmdqDesign::kLocked);
      else throw CliError("--designs: expected cas_loop, fetch_add or locked, got '" + d + "'");
    }
  }
  if (vm.count("policies")) {
    o.policies.clear();
    for (const std::string& s : split("--policies", vm["policies"].as<std::string>())) {
      driver::DmaInvPolicy p;
      if (!driver::dma_inv_policy_from_string(s.c_str(), p))
        throw CliError("--policies: expected strict or lazy, got '" + s + "'");
      o.policies.push_back(p);
    }
  }
  DmaBenchParams& p = o.params;
  if (vm.count("devices")) p.devices = count(vm, "devices", 64);
  if (vm.count("buffer")) {
    p.buffer = parse_byte_count("--buffer", vm["buffer"].as<std::string>());
    if (p.buffer % 4096 || p.buffer > 0x10'0000)
      throw CliError("--buffer: expected a multiple of 4 KiB up to 1 MiB, got '" +
                     vm["buffer"].as<std::string>() + "'");
  }
  if (vm.count("ops")) p.ops = count(vm, "ops", 100'000);
  if (vm.count("warmup")) p.warmup = count(vm, "warmup", 100'000);
  if (vm.count("io-ns")) p.io_ns = count(vm, "io-ns", 1'000'000'000);
  if (vm.count("cas-retry-ns")) p.cas_retry_ns = count(vm, "cas-retry-ns", 1'000'000);
  if (vm.count("line-transfer"))
    p.line_transfer = sc_core::sc_time(
        static_cast<double>(parse_time_ns("--line-transfer", vm["line-transfer"].as<std::string>(), 1'000'000)),
        sc_core::SC_NS);
  if (vm.count("fq-entries")) p.fq.entries = count(vm, "fq-entries", 65536);
  if (vm.count("fq-timeout"))
    p.fq.timeout_ns = parse_time_ns("--fq-timeout", vm["fq-timeout"].as<std::string>(), uint64_t{1'000'000'000'000});
  if (vm.count("cmdq-log2")) p.cmdq_log2 = count(vm, "cmdq-log2", 19);
  if (vm.count("command-cycles")) p.smmu.timing.command_cycles = count(vm, "command-cycles", 1'000'000);
  if (vm.count("sync-timeout"))
    p.sync_timeout_ns = parse_time_ns("--sync-timeout", vm["sync-timeout"].as<std::string>(), uint64_t{10'000'000'000'000});
  if (vm.count("jobs")) o.jobs = count(vm, "jobs", 64);
  if (vm.count("json")) o.json_path = vm["json"].as<std::string>();
  if (vm.count("csv")) o.csv_path = vm["csv"].as<std::string>();
  // What the measurement would refuse, refused here with the option's name.
  for (const DmaBenchParams& pt : dma_bench_points(o)) {
    try {
      validate_dma_bench(pt);
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();  // "key: why"
      std::string key = what.substr(0, what.find(':'));
      const std::string why = what.substr(key.size());
      for (char& c : key)
        if (c == '_') c = '-';
      throw CliError("--" + key + why);
    }
  }
  return o;
}

std::vector<DmaBenchParams> dma_bench_points(const DmaBenchOptions& o) {
  std::vector<DmaBenchParams> out;
  for (unsigned cpus : o.cpus)
    for (driver::DmaInvPolicy policy : o.policies)
      for (unsigned queues : o.queues)
        for (driver::CmdqDesign design : o.designs) {
          DmaBenchParams p = o.params;
          p.cpus = cpus;
          p.policy = policy;
          p.queues = queues;
          p.design = design;
          out.push_back(p);
        }
  return out;
}

}  // namespace smmu::platform
