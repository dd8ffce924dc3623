// SPDX-License-Identifier: Apache-2.0
// Command lines of smmu-sim and smmu-bench (Boost.Program_options). Nothing here knows
// the SMMU: the programs decide what the options mean.
//
// Errors throw CliError with a message naming the option; the program prints it as one
// line and exits 2 (documented in the usage text).
#pragma once

#include <cstdint>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

namespace smmu::platform {

class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CliOptions {
  std::string scenario;                // --scenario or the positional argument; "" = none
  std::string json_path;               // --json
  std::vector<std::string> overrides;  // --set KEY=VALUE, in command-line order
  std::string vcd_path;                // --vcd
  std::string trace_path;              // --trace
  uint64_t trace_limit = 100000;       // --trace-limit: transactions the trace keeps
  std::string plot_dir;                // --plot
  std::string expect_path;             // --expect: a golden report to compare with
  std::string write_golden_path;       // --write-golden
  bool print_default_scenario = false;
  bool list_parameters = false;        // --list-parameters
  bool quiet = false;
  bool progress = false;
  bool dump_registers = false;        // --dump-registers: each SMMU's registers after the report
  int log_verbosity = -1;              // --log LEVEL: an sc_core verbosity (-1: leave SystemC's)
  // --log MODULE=LEVEL, in the order given: a level for a module and everything under it.
  std::vector<std::pair<std::string, int>> module_log_levels;
  bool help = false;  // usage was printed; the program should exit 0
};

// smmu-sim's command line. On --help prints the usage to help_out and returns with
// help set. Throws CliError for an unknown option, a missing or empty value, an option
// given twice, two scenario files, or a --set without KEY=VALUE.
CliOptions parse_cli(int argc, char** argv, std::ostream& help_out = std::cout);
std::string sim_usage();

struct BenchOptions {
  std::string json_path;      // --json
  uint64_t transactions = 0;  // --transactions; 0 = the benchmark's own default
  bool quick = false;         // --quick
  bool help = false;
};

// smmu-bench's command line, same conventions as parse_cli.
BenchOptions parse_bench_cli(int argc, char** argv, std::ostream& help_out = std::cout);
std::string bench_usage();

// --- pieces for other programs

// Parses argv against desc (and pos when given) with exact option names (no guessing of
// abbreviations); turns Program_options errors into CliError naming the option.
boost::program_options::variables_map parse_command_line(
    int argc, char** argv, const boost::program_options::options_description& desc,
    const boost::program_options::positional_options_description* pos = nullptr);

// "Usage: <synopsis>\n\n<options>\n<epilogue>" with the exit-status paragraph appended
// (exit_status, or the common one: 0, and 2 on bad input).
std::string usage_text(const std::string& synopsis,
                       const boost::program_options::options_description& desc,
                       const std::string& epilogue, const char* exit_status = nullptr);

// A decimal count > 0 for option (e.g. "--transactions"); CliError otherwise.
// Opens `path` for writing now, so that a bad path fails before a run (an empty path
// leaves `out` closed). Throws CliError "<option>: cannot write '<path>'".
void open_output(std::ofstream& out, const std::string& option, const std::string& path);
uint64_t parse_positive_count(const std::string& option, const std::string& text);
// A positive byte count: decimal or 0x-hex, optionally with K/KiB or M/MiB.
uint64_t parse_byte_count(const std::string& option, const std::string& text);
// "1,4,16": counts 1..max; `what` names them in messages.
std::vector<unsigned> parse_count_list(const std::string& option, const std::string& text,
                                       const std::string& what, unsigned max);

}  // namespace smmu::platform
