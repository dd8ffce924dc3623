// SPDX-License-Identifier: Apache-2.0
#include "platform/run/smmu_sim.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <systemc>

#include "platform/config/cli.h"
#include "platform/config/config_reader.h"
#include "platform/report/golden.h"
#include "platform/scenario/parameter_list.h"
#include "platform/report/report_compare.h"
#include "platform/report/report.h"
#include "platform/report/report_plots.h"
#include "platform/scenario/scenario.h"
#include "platform/report/sim_report.h"
#include "platform/soc/soc.h"
#include "platform/config/version.h"
#include "rtl_model/smmu/log.h"

namespace smmu::platform {

namespace {

// Output files are created before the run, so that a bad path costs no simulation.
void check_writable(const std::string& path, const std::string& option) {
  if (path.empty()) return;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw CliError(option + ": cannot create " + path + " (" + std::strerror(errno) + ")");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// SystemC appends ".vcd" to the name it is given; this writes exactly `path`.
class VcdFile {
 public:
  explicit VcdFile(const std::string& path) : path_(path) {
    base_ = ends_with(path, ".vcd") ? path.substr(0, path.size() - 4) : path;
    tf_ = sc_core::sc_create_vcd_trace_file(base_.c_str());
    tf_->set_time_unit(1, sc_core::SC_PS);
  }
  sc_core::sc_trace_file* file() const { return tf_; }
  void close() {
    sc_core::sc_close_vcd_trace_file(tf_);
    if (base_ == path_ && std::rename((base_ + ".vcd").c_str(), path_.c_str()) != 0)
      throw std::runtime_error("cannot write VCD " + path_ + ": " + std::strerror(errno));
  }

 private:
  std::string path_, base_;
  sc_core::sc_trace_file* tf_;
};

// A line on stderr that says how far a long run has got: after 2 s of host time, at
// most once a second, rewritten in place.
class ProgressLine {
 public:
  ProgressLine(std::ostream& err, bool enabled)
      : err_(err), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_(start_) {}
  bool enabled() const { return enabled_; }
  void update(const sc_core::sc_time& now, uint64_t transactions) {
    const auto t = std::chrono::steady_clock::now();
    if (t - start_ < std::chrono::seconds(2) || t - last_ < std::chrono::seconds(1)) return;
    last_ = t;
    char buf[128];
    std::snprintf(buf, sizeof buf, "\rsmmu-sim: %.3f us simulated, %llu transactions", now.to_seconds() * 1e6,
                  static_cast<unsigned long long>(transactions));
    err_ << buf << std::flush;
    shown_ = true;
  }
  void finish() {
    if (shown_) err_ << '\n';
  }

 private:
  std::ostream& err_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_;
  bool shown_ = false;
};

// The model's messages (rtl_model/smmu/log.h) go to the error stream, so that the
// output stays the report; everything else as SystemC does it.
std::ostream* g_log = nullptr;
void log_handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
  if (g_log && rep.get_severity() == sc_core::SC_INFO && std::string(rep.get_msg_type()).rfind("smmuv3/", 0) == 0) {
    if (actions & sc_core::SC_DISPLAY) *g_log << rep.get_msg_type() << ": " << rep.get_msg() << '\n';
    return;
  }
  sc_core::sc_report_handler::default_handler(rep, actions);
}

// --expect: every difference as "key: golden -> now" on out; 3 when there is one.
int expect(const Golden& golden, const nlohmann::json& now, const std::string& path, std::ostream& out,
           std::ostream& err) {
  // The version is the golden's own (noted below, not a difference).
  nlohmann::json compared = now;
  compared.erase("version");
  const std::vector<ReportDifference> diffs = compare_reports(golden.expected(), compared, golden.rules);
  for (const ReportDifference& d : diffs) out << format_difference(d) << '\n';
  if (golden.version != kVersion)
    err << "smmu-sim: note: the golden was written by version " << golden.version << ", this is "
        << kVersion << '\n';
  if (diffs.empty()) {
    err << "smmu-sim: the run matches " << path << '\n';
    return 0;
  }
  err << "smmu-sim: " << diffs.size() << " difference" << (diffs.size() == 1 ? "" : "s") << " from "
      << path << '\n';
  return 3;
}

// --dump-registers: the registers as the run left them, per SMMU.
void dump_registers(const Soc& soc, std::ostream& out) {
  for (const auto& smmu : soc.smmus) {
    out << "registers of " << smmu->name() << ":\n";
    smmu->dump_registers(out, "  ");
  }
}

int run(const CliOptions& opt, std::ostream& out, std::ostream& err) {
  if (opt.print_default_scenario) {
    out << default_scenario_text();
    return 0;
  }
  if (opt.list_parameters) {
    out << parameter_table_markdown();
    return 0;
  }
  if (opt.log_verbosity >= 0 || !opt.module_log_levels.empty()) {
    if (opt.log_verbosity >= 0) sc_core::sc_report_handler::set_verbosity_level(opt.log_verbosity);
    for (const auto& [module, level] : opt.module_log_levels) smmu::model::log::set_module_level(module, level);
    g_log = &err;
    sc_core::sc_report_handler::set_handler(log_handler);
  }
  std::optional<Golden> golden;
  if (!opt.expect_path.empty()) golden = read_golden(opt.expect_path);
  // --expect without a scenario reruns the golden's (with the --set overrides).
  nlohmann::json doc;
  if (golden && opt.scenario.empty()) {
    doc = golden->scenario;
    for (const std::string& o : opt.overrides) apply_override(doc, o);
  } else {
    doc = load_scenario_document(opt.scenario, opt.overrides);
  }
  const Scenario scenario = read_scenario(doc);
  check_writable(opt.json_path, "--json");
  check_writable(opt.write_golden_path, "--write-golden");
  check_writable(opt.trace_path, "--trace");
  check_writable(opt.vcd_path, "--vcd");
  prepare_plot_dir(opt.plot_dir);

  TransactionTrace trace(opt.trace_limit);  // outlives the SoC, whose SMMUs report to it
  Soc soc("soc", scenario);
  if (!opt.trace_path.empty()) {
    soc.on_transaction = [&trace](const TransactionRecord& r) { trace.record(r); };
    soc.on_transaction_start = [&trace] { trace.begin_transaction(); };
    soc.on_driver_work = [&trace](unsigned cpu, const std::string& what, bool begin, const sc_core::sc_time& at) {
      trace.cpu_work(cpu, what, begin, at);
    };
    trace.current_cpu = [&soc] { return soc.current_cpu(); };
    for (unsigned i = 0; i < soc.smmus.size(); ++i) soc.smmus[i]->set_step_recorder(&trace.recorder(i));
  }
  std::unique_ptr<VcdFile> vcd;
  if (!opt.vcd_path.empty()) {
    vcd = std::make_unique<VcdFile>(opt.vcd_path);
    soc.trace(vcd->file());
  }

  ProgressLine progress(err, opt.progress || isatty(STDERR_FILENO));
  if (progress.enabled())
    soc.run([&progress](const sc_core::sc_time& now, uint64_t transactions) { progress.update(now, transactions); });
  else
    soc.run();
  progress.finish();

  if (vcd) vcd->close();
  const nlohmann::json report = build_report(soc);
  if (!opt.quiet) print_report(report, out);
  if (opt.dump_registers) dump_registers(soc, out);
  // The file carries the scenario as run (after every --set), so that any report can
  // be rerun: `smmu-sim` on its "scenario" gives the same report.
  nlohmann::json file_report = report;
  file_report["scenario"] = doc;
  file_report["version"] = kVersion;
  file_report["schema_version"] = kReportSchemaVersion;
  if (!opt.json_path.empty()) write_json_report(file_report, opt.json_path);
  if (!opt.write_golden_path.empty()) write_json_report(make_golden(file_report), opt.write_golden_path);
  if (!opt.trace_path.empty()) {
    trace.write(opt.trace_path, scenario);
    if (trace.dropped())
      err << "trace: dropped " << trace.dropped() << " transactions beyond --trace-limit " << trace.limit() << '\n';
  }
  const bool plotted = opt.plot_dir.empty() || write_report_plots(file_report, opt.plot_dir, err);
  // A valid scenario whose software failed (e.g. no IOTLB tag left): the report says
  // what ran, the exit status says it is not the run that was asked for.
  if (soc.driver() && !soc.driver()->error().empty()) {
    err << "smmu-sim: driver set-up failed: " << one_line(soc.driver()->error()) << '\n';
    return 1;
  }
  if (golden) return expect(*golden, file_report, opt.expect_path, out, err);
  return plotted ? 0 : 1;
}

}  // namespace

int run_smmu_sim(int argc, char** argv, std::ostream& out, std::ostream& err) {
  using sc_core::sc_report_handler;
  // A module rejecting its parameters (SC_REPORT_ERROR) becomes an exception caught
  // below, so it ends the program like any other bad input.
  sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
  sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_THROW);
  // sc_stop()'s "Simulation stopped by user" and the VCD's timescale notice would land in
  // the report.
  sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_report_handler::set_actions("tracing timescale unit set", sc_core::SC_INFO,
                                 sc_core::SC_DO_NOTHING);
  try {
    const CliOptions opt = parse_cli(argc, argv, out);
    if (opt.help) return 0;
    return run(opt, out, err);
  } catch (const CliError& e) {
    err << one_line(e.what()) << '\n';
    return 2;
  } catch (const ConfigError& e) {
    err << one_line(e.what()) << '\n';
    return 2;
  } catch (const std::invalid_argument& e) {
    err << one_line(e.what()) << '\n';
    return 2;
  } catch (const sc_core::sc_report& e) {
    err << one_line(e.get_msg()) << '\n';
    return 2;
  } catch (const std::exception& e) {
    err << "smmu-sim: " << one_line(e.what()) << '\n';
    return 1;
  }
}

}  // namespace smmu::platform
