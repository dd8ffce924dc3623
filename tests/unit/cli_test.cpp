// SPDX-License-Identifier: Apache-2.0
// Command lines of smmu-sim and smmu-bench.
#include "platform/config/cli.h"

#include <gtest/gtest.h>

#include <sstream>

namespace smmu::platform {
namespace {

// Owns argv storage for one parse.
class Args {
 public:
  Args(std::initializer_list<std::string> args) : strings_(args) {
    for (auto& s : strings_) ptrs_.push_back(s.data());
    ptrs_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(strings_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> ptrs_;
};

CliOptions parse(Args&& args, std::ostream& out) { return parse_cli(args.argc(), args.argv(), out); }
CliOptions parse(Args&& args) {
  std::ostringstream out;
  return parse(std::move(args), out);
}

std::string error_of(Args&& args) {
  try {
    parse(std::move(args));
  } catch (const CliError& e) {
    return e.what();
  }
  return "no exception";
}

TEST(Cli, NoArgumentsGiveDefaults) {
  const CliOptions o = parse({"smmu-sim"});
  EXPECT_EQ(o.scenario, "");
  EXPECT_EQ(o.json_path, "");
  EXPECT_TRUE(o.overrides.empty());
  EXPECT_EQ(o.vcd_path, "");
  EXPECT_EQ(o.trace_path, "");
  EXPECT_FALSE(o.print_default_scenario);
  EXPECT_FALSE(o.quiet);
  EXPECT_FALSE(o.help);
}

TEST(Cli, EveryOptionIsParsed) {
  const CliOptions o = parse({"smmu-sim", "--scenario", "s.json", "--json", "r.json", "--set",
                              "smmus[0].main_tlb.ways=8", "--set", "name=two words", "--vcd",
                              "w.vcd", "--trace", "t.json", "--print-default-scenario", "--quiet"});
  EXPECT_EQ(o.scenario, "s.json");
  EXPECT_EQ(o.json_path, "r.json");
  EXPECT_EQ(o.overrides, (std::vector<std::string>{"smmus[0].main_tlb.ways=8", "name=two words"}));
  EXPECT_EQ(o.vcd_path, "w.vcd");
  EXPECT_EQ(o.trace_path, "t.json");
  EXPECT_TRUE(o.print_default_scenario);
  EXPECT_TRUE(o.quiet);
  EXPECT_FALSE(o.help);
}

TEST(Cli, DumpRegistersIsAFlag) {
  EXPECT_FALSE(parse({"smmu-sim"}).dump_registers);
  EXPECT_TRUE(parse({"smmu-sim", "--dump-registers", "-q"}).dump_registers);
  EXPECT_NE(error_of({"smmu-sim", "--dump-registers=yes"}).find("dump-registers"),
            std::string::npos);
  std::ostringstream out;
  parse({"smmu-sim", "--help"}, out);
  EXPECT_NE(out.str().find("--dump-registers"), std::string::npos);
}

TEST(Cli, PositionalScenarioEqualsFormAndShortQuiet) {
  const CliOptions o = parse({"smmu-sim", "--json=out.json", "-q", "scen.json", "--set=a=-1"});
  EXPECT_EQ(o.scenario, "scen.json");
  EXPECT_EQ(o.json_path, "out.json");
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.overrides, (std::vector<std::string>{"a=-1"}));
}

TEST(Cli, HelpPrintsUsageOfEveryOption) {
  std::ostringstream out;
  const CliOptions o = parse({"smmu-sim", "--help"}, out);
  EXPECT_TRUE(o.help);
  const std::string usage = out.str();
  EXPECT_EQ(usage, sim_usage());
  for (const char* opt : {"--scenario", "--json", "--set", "--vcd", "--trace",
                          "--print-default-scenario", "--quiet", "--help"})
    EXPECT_NE(usage.find(opt), std::string::npos) << opt;
  EXPECT_NE(usage.find("Usage: smmu-sim"), std::string::npos);
  EXPECT_NE(usage.find("2 on bad input"), std::string::npos);
  EXPECT_TRUE(parse({"smmu-sim", "-h"}).help);
}

TEST(Cli, ErrorsNameTheOption) {
  EXPECT_NE(error_of({"smmu-sim", "--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(error_of({"smmu-sim", "--json"}).find("--json"), std::string::npos);
  EXPECT_NE(error_of({"smmu-sim", "--json", "a", "--json", "b"}).find("--json"), std::string::npos);
  EXPECT_NE(error_of({"smmu-sim", "--vcd", "a", "--vcd", "b"}).find("--vcd"), std::string::npos);
  // No guessing of abbreviations: --qui is not --quiet.
  EXPECT_NE(error_of({"smmu-sim", "--qui"}).find("--qui"), std::string::npos);
  EXPECT_NE(error_of({"smmu-sim", "--quiet=yes"}).find("--quiet"), std::string::npos);
  EXPECT_NE(error_of({"smmu-sim", "--json="}).find("--json"), std::string::npos);
  EXPECT_EQ(error_of({"smmu-sim", "--json", ""}), "--json: empty file name");
  EXPECT_EQ(error_of({"smmu-sim", "--trace", ""}), "--trace: empty file name");
  EXPECT_EQ(error_of({"smmu-sim", ""}), "--scenario: empty file name");
  EXPECT_EQ(error_of({"smmu-sim", "--set", "abc"}), "--set 'abc': expected KEY=VALUE");
  EXPECT_EQ(error_of({"smmu-sim", "--set", "=1"}), "--set '=1': expected KEY=VALUE");
  EXPECT_EQ(error_of({"smmu-sim", "a.json", "b.json"}),
            "--scenario: only one scenario file, got 'a.json' and 'b.json'");
  EXPECT_EQ(error_of({"smmu-sim", "--scenario", "a.json", "b.json"}),
            "--scenario: only one scenario file, got 'a.json' and 'b.json'");
}

BenchOptions parse_bench(Args&& args) {
  std::ostringstream out;
  return parse_bench_cli(args.argc(), args.argv(), out);
}

std::string bench_error_of(Args&& args) {
  try {
    parse_bench(std::move(args));
  } catch (const CliError& e) {
    return e.what();
  }
  return "no exception";
}

TEST(BenchCli, OptionsAndErrors) {
  const BenchOptions d = parse_bench({"smmu-bench"});
  EXPECT_EQ(d.transactions, 0u);
  EXPECT_FALSE(d.quick);
  const BenchOptions o = parse_bench({"smmu-bench", "--json", "b.json", "--transactions", "5000", "--quick"});
  EXPECT_EQ(o.json_path, "b.json");
  EXPECT_EQ(o.transactions, 5000u);
  EXPECT_TRUE(o.quick);
  EXPECT_FALSE(o.help);
  EXPECT_EQ(bench_error_of({"smmu-bench", "--transactions", "0"}),
            "--transactions: expected a positive integer, got '0'");
  EXPECT_EQ(bench_error_of({"smmu-bench", "--transactions=-5"}),
            "--transactions: expected a positive integer, got '-5'");
  EXPECT_EQ(bench_error_of({"smmu-bench", "--transactions", "12x"}),
            "--transactions: expected a positive integer, got '12x'");
  EXPECT_EQ(bench_error_of({"smmu-bench", "--transactions", "99999999999999999999"}),
            "--transactions: expected a positive integer, got '99999999999999999999'");
  EXPECT_NE(bench_error_of({"smmu-bench", "--scenario", "x"}).find("--scenario"), std::string::npos);
  EXPECT_EQ(bench_error_of({"smmu-bench", "--quick", "extra"}), "unexpected argument 'extra'");
}

TEST(BenchCli, Help) {
  Args args{"smmu-bench", "--help"};
  std::ostringstream out;
  EXPECT_TRUE(parse_bench_cli(args.argc(), args.argv(), out).help);
  for (const char* opt : {"--json", "--transactions", "--quick", "--help", "2 on bad input"})
    EXPECT_NE(out.str().find(opt), std::string::npos) << opt;
}

TEST(ParsePositiveCount, Values) {
  EXPECT_EQ(parse_positive_count("--n", "1"), 1u);
  EXPECT_EQ(parse_positive_count("--n", "18446744073709551615"), 18446744073709551615u);
  EXPECT_THROW(parse_positive_count("--n", ""), CliError);
  EXPECT_THROW(parse_positive_count("--n", "18446744073709551616"), CliError);
}

TEST(OpenOutput, OpensNowOrNamesTheOptionAndPath) {
  std::ofstream none;
  open_output(none, "--json", "");
  EXPECT_FALSE(none.is_open());
  const std::string path = ::testing::TempDir() + "open_output_test.json";
  std::ofstream ok;
  open_output(ok, "--json", path);
  EXPECT_TRUE(ok.is_open());
  std::ofstream bad;
  try {
    open_output(bad, "--csv", "/nonexistent/dir/x.csv");
    ADD_FAILURE() << "no CliError";
  } catch (const CliError& e) {
    EXPECT_STREQ(e.what(), "--csv: cannot write '/nonexistent/dir/x.csv'");
  }
}

}  // namespace
}  // namespace smmu::platform
