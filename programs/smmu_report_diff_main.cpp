// SPDX-License-Identifier: Apache-2.0
// smmu-report-diff: the key-by-key comparison of smmu-sim --expect between any two
// reports (smmu-sim --json files, or golden files: their scenario and report), with the
// relative change of every number, for comparing two configurations.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "platform/config/cli.h"
#include "platform/config/config_reader.h"
#include "platform/report/golden.h"
#include "platform/report/report_compare.h"
#include "platform/config/version.h"

namespace {

using namespace smmu::platform;
namespace po = boost::program_options;

po::options_description options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("only", po::value<std::vector<std::string>>()->value_name("PATTERN")->composing(),
       "compare only keys under PATTERN (repeatable; \"*\" stands for one name or index, "
       "e.g. devices[*].latency_ns)")
      ("ignore", po::value<std::vector<std::string>>()->value_name("PATTERN")->composing(),
       "leave out keys under PATTERN (repeatable), e.g. scenario")
      ("report", po::value<std::vector<std::string>>()->value_name("FILE"), "the two reports (positional)");
  return desc;
}

// A report file, or a golden's expected report.
nlohmann::json load_report(const std::string& path) {
  const nlohmann::json j = load_json_file(path);
  if (j.is_object() && j.value("format", "") == kGoldenFormat) return read_golden(path).expected();
  if (!j.is_object()) throw ConfigError(path + ": expected a report (a JSON object)");
  return j;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  try {
    po::positional_options_description pos;
    pos.add("report", -1);
    const po::variables_map vm = parse_command_line(argc, argv, options(), &pos);
    if (vm.count("help")) {
      std::cout << usage_text("smmu-report-diff [options] A.json B.json", options(),
                              "Prints every key whose value differs between report A and report B as\n"
                              "'key: A -> B', numbers with their relative change, then a count.\n",
                              "Exit status: 0 when the reports are equal on the keys compared; 3 when\n"
                              "they differ; 2 on bad input (an unknown option, not two files, an\n"
                              "unreadable or malformed report), reported as one line on stderr.\n");
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "smmu-report-diff " << kVersion << '\n';
      return 0;
    }
    const std::vector<std::string> files =
        vm.count("report") ? vm["report"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (files.size() != 2) throw CliError("expected two report files, got " + std::to_string(files.size()));
    CompareRules rules;
    if (vm.count("only")) rules.only = vm["only"].as<std::vector<std::string>>();
    if (vm.count("ignore")) rules.ignore = vm["ignore"].as<std::vector<std::string>>();
    const nlohmann::json a = load_report(files[0]), b = load_report(files[1]);
    const std::vector<ReportDifference> diffs = compare_reports(a, b, rules);
    for (const ReportDifference& d : diffs) std::cout << format_difference(d, true) << '\n';
    std::cout << diffs.size() << " difference" << (diffs.size() == 1 ? "" : "s") << '\n';
    return diffs.empty() ? 0 : 3;
  } catch (const CliError& e) {
    std::cerr << "smmu-report-diff: " << e.what() << '\n';
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << "smmu-report-diff: " << e.what() << '\n';
    return 2;
  }
}
