// SPDX-License-Identifier: Apache-2.0
#include "platform/config/cli.h"

#include <cctype>
#include <sstream>
#include <utility>

#include <systemc>

#include "platform/config/config_reader.h"
#include "platform/config/version.h"

namespace smmu::platform {

namespace po = boost::program_options;

namespace {

constexpr const char* kExitStatus =
    "Exit status: 0 on success; 2 on bad input (an unknown or malformed option, an\n"
    "unreadable or invalid scenario file, an unknown key or bad value, a bad --set),\n"
    "reported as one line on stderr that names the option, file or key.\n";
// smmu-sim's own statuses beside those.
constexpr const char* kSimExitStatus =
    "Exit status: 0 on success (with --expect: the run matched the golden); 1 when the\n"
    "driver's set-up failed or the run failed otherwise; 2 on bad input (an unknown or\n"
    "malformed option, an unreadable or invalid scenario or golden file, an unknown key\n"
    "or bad value, a bad --set), reported as one line on stderr that names the option,\n"
    "file or key; 3 when --expect found differences (each printed as\n"
    "'key: golden -> now').\n";

po::options_description sim_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("scenario", po::value<std::vector<std::string>>()->value_name("FILE"),
       "scenario to run (JSON); may also be given as the only positional argument; "
       "without one the built-in default scenario runs")
      ("json", po::value<std::string>()->value_name("FILE"),
       "also write the report as JSON to FILE")
      ("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
       "override a scenario value, e.g. --set smmus[0].main_tlb.ways=8 or "
       "--set smmus[0].timing.clock_period=\"2 ns\"; repeatable, applied in order; VALUE is JSON "
       "when it parses as JSON, else a string")
      ("vcd", po::value<std::string>()->value_name("FILE"), "write VCD waves to FILE")
      ("trace", po::value<std::string>()->value_name("FILE"),
       "write a Chrome/Perfetto trace (JSON) to FILE: each transaction with its steps, "
       "the command engine's batches and commands, the CPUs' driver work")
      ("trace-limit", po::value<std::string>()->value_name("N"),
       "the trace keeps the first N transactions (default 100000; the number dropped is "
       "printed on stderr)")
      ("plot", po::value<std::string>()->value_name("DIR"),
       "write the report (DIR/report.json) and its plots to DIR: each device's latency "
       "histogram and the cache hit rates, PNG and SVG (python3-matplotlib)")
      ("expect", po::value<std::string>()->value_name("GOLDEN"),
       "compare the run with a golden report (--write-golden): print every difference as "
       "'key: golden -> now' and exit 3 if any; without a scenario argument the golden's "
       "scenario runs (--set applies to it)")
      ("write-golden", po::value<std::string>()->value_name("FILE"),
       "write the run's report and scenario as a golden report to FILE")
      ("print-default-scenario", "print the built-in default scenario as JSON and exit")
      ("list-parameters", "print the SMMU parameters (scenario key, type, values, default, unit, "
                          "meaning) as a markdown table and exit")
      ("quiet,q", "do not print the text report")
      ("dump-registers", "after the run, print every SMMU's registers with their decoded fields "
                         "on stdout, after the text report (the JSON report is unchanged)")
      ("log", po::value<std::vector<std::string>>()->value_name("[MODULE=]LEVEL"),
       "the model's sc_report messages on stderr: none, low, medium (the default: nothing "
       "from the SMMU), high (events, GERROR, queue errors), debug (every command, CMD_SYNC "
       "completions, DTI and ATS traffic); MODULE=LEVEL sets it for one module and what is "
       "under it (e.g. soc.smmu0=debug); repeatable")
      ("progress", "print a progress line on stderr (simulated time, transactions) for runs "
                   "longer than 2 s of host time even when stderr is not a terminal");
  return desc;
}

po::options_description bench_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("json", po::value<std::string>()->value_name("FILE"),
       "also write the figures as JSON to FILE")
      ("transactions", po::value<std::string>()->value_name("N"),
       "transactions per measurement (a positive integer)")
      ("quick", "a short run with fewer configurations (for smoke tests)");
  return desc;
}

// The value of a FILE option; an empty name is an error naming the option.
std::string file_option(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) return {};
  std::string v = vm[name].as<std::string>();
  if (v.empty()) throw CliError("--" + name + ": empty file name");
  return v;
}

}  // namespace

po::variables_map parse_command_line(int argc, char** argv, const po::options_description& desc,
                                     const po::positional_options_description* pos) {
  // Without positional arguments, collect strays under a hidden name so that the error
  // can name them (Program_options' own message does not).
  constexpr const char* kStray = "unexpected-argument";
  po::options_description all;
  all.add(desc);
  po::positional_options_description stray;
  if (!pos) {
    all.add_options()(kStray, po::value<std::vector<std::string>>());
    stray.add(kStray, -1);
  }
  po::variables_map vm;
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(all).style(po::command_line_style::default_style &
                              ~po::command_line_style::allow_guessing);
    parser.positional(pos ? *pos : stray);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw CliError(e.what());  // Program_options' messages quote the option
  }
  if (!pos && vm.count(kStray))
    throw CliError("unexpected argument '" + vm[kStray].as<std::vector<std::string>>()[0] + "'");
  return vm;
}

std::string usage_text(const std::string& synopsis, const po::options_description& desc,
                       const std::string& epilogue, const char* exit_status) {
  std::ostringstream os;
  os << "Usage: " << synopsis << "\n\n" << desc << "\n";
  if (!epilogue.empty()) os << epilogue << "\n";
  os << (exit_status ? exit_status : kExitStatus);
  return os.str();
}

void open_output(std::ofstream& out, const std::string& option, const std::string& path) {
  if (path.empty()) return;
  out.open(path);
  if (!out) throw CliError(option + ": cannot write '" + path + "'");
}

uint64_t parse_positive_count(const std::string& option, const std::string& text) {
  uint64_t v = 0;
  bool ok = !text.empty();
  for (char c : text) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (!std::isdigit(static_cast<unsigned char>(c)) || v > (UINT64_MAX - d) / 10) {
      ok = false;
      break;
    }
    v = v * 10 + d;
  }
  if (!ok || v == 0)
    throw CliError(option + ": expected a positive integer, got '" + text + "'");
  return v;
}

std::string sim_usage() {
  return usage_text("smmu-sim [options] [SCENARIO.json]", sim_options(),
                    "Runs a scenario, prints its report and optionally writes JSON, waves and "
                    "a trace.\nScenario keys and --set paths are described in README.md.\n",
                    kSimExitStatus);
}

std::string bench_usage() {
  return usage_text("smmu-bench [options]", bench_options(),
                    "Measures the model's simulated performance and host speed over a set of "
                    "configurations.\n");
}

CliOptions parse_cli(int argc, char** argv, std::ostream& help_out) {
  // The positional argument and --scenario fill one list, so a second file is named.
  po::positional_options_description pos;
  pos.add("scenario", -1);
  const po::variables_map vm = parse_command_line(argc, argv, sim_options(), &pos);

  CliOptions o;
  if (vm.count("help")) {
    help_out << sim_usage();
    o.help = true;
    return o;
  }
  if (vm.count("version")) {
    help_out << "smmu-sim " << kVersion << "\n";
    o.help = true;
    return o;
  }
  if (vm.count("scenario")) {
    const auto& files = vm["scenario"].as<std::vector<std::string>>();
    if (files.size() > 1)
      throw CliError("--scenario: only one scenario file, got '" + files[0] + "' and '" +
                     files[1] + "'");
    o.scenario = files[0];
    if (o.scenario.empty()) throw CliError("--scenario: empty file name");
  }
  o.json_path = file_option(vm, "json");
  o.vcd_path = file_option(vm, "vcd");
  o.trace_path = file_option(vm, "trace");
  if (vm.count("trace-limit")) {
    o.trace_limit = parse_positive_count("--trace-limit", vm["trace-limit"].as<std::string>());
    if (o.trace_path.empty()) throw CliError("--trace-limit: needs --trace FILE");
  }
  o.plot_dir = file_option(vm, "plot");
  o.expect_path = file_option(vm, "expect");
  o.write_golden_path = file_option(vm, "write-golden");
  if (vm.count("set")) {
    for (const std::string& s : vm["set"].as<std::vector<std::string>>()) {
      const size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0)
        throw CliError("--set '" + s + "': expected KEY=VALUE");
      o.overrides.push_back(s);
    }
  }
  o.print_default_scenario = vm.count("print-default-scenario") != 0;
  o.list_parameters = vm.count("list-parameters") != 0;
  o.quiet = vm.count("quiet") != 0;
  o.progress = vm.count("progress") != 0;
  o.dump_registers = vm.count("dump-registers") != 0;
  if (vm.count("log")) {
    const auto level = [](const std::string& l) {
      if (l == "none") return static_cast<int>(sc_core::SC_NONE);
      if (l == "low") return static_cast<int>(sc_core::SC_LOW);
      if (l == "medium") return static_cast<int>(sc_core::SC_MEDIUM);
      if (l == "high") return static_cast<int>(sc_core::SC_HIGH);
      if (l == "debug") return static_cast<int>(sc_core::SC_DEBUG);
      throw CliError("--log: expected none, low, medium, high or debug, got '" + l + "'");
    };
    for (const std::string& arg : vm["log"].as<std::vector<std::string>>()) {
      const size_t eq = arg.find('=');
      if (eq == std::string::npos) {
        o.log_verbosity = level(arg);
        continue;
      }
      const std::string module = arg.substr(0, eq);
      if (module.empty()) throw CliError("--log: no module before '=' in '" + arg + "'");
      o.module_log_levels.emplace_back(module, level(arg.substr(eq + 1)));
    }
  }
  return o;
}

BenchOptions parse_bench_cli(int argc, char** argv, std::ostream& help_out) {
  const po::variables_map vm = parse_command_line(argc, argv, bench_options());
  BenchOptions o;
  if (vm.count("help")) {
    help_out << bench_usage();
    o.help = true;
    return o;
  }
  o.json_path = file_option(vm, "json");
  if (vm.count("transactions"))
    o.transactions = parse_positive_count("--transactions", vm["transactions"].as<std::string>());
  o.quick = vm.count("quick") != 0;
  return o;
}

uint64_t parse_byte_count(const std::string& option, const std::string& text) {
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
  if (!parse_uint_text(digits, v) || v == 0 || v > UINT64_MAX / unit)
    throw CliError(option + ": expected a positive byte count (e.g. 65536, 0x10000, 64KiB), got '" +
                   text + "'");
  return v * unit;
}

std::vector<unsigned> parse_count_list(const std::string& option, const std::string& text,
                                       const std::string& what, unsigned max) {
  std::vector<unsigned> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const uint64_t n = parse_positive_count(option, item);
    if (n > max)
      throw CliError(option + ": at most " + std::to_string(max) + " " + what + ", got " + item);
    out.push_back(static_cast<unsigned>(n));
  }
  if (out.empty() || text.back() == ',')
    throw CliError(option + ": expected a list like 1,2,4,8, got '" + text + "'");
  return out;
}

}  // namespace smmu::platform
