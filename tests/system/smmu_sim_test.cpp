// smmu-sim end to end: the default scenario on the simulated SoC, exact timing of a
// single stream, faults, duration, the program's outputs and exit codes, determinism.
// Every test that elaborates SystemC is its own TEST (one kernel per process).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "platform/config_reader.h"
#include "platform/scenario.h"
#include "platform/sim_report.h"
#include "platform/smmu_sim.h"
#include "platform/soc.h"

using namespace smmu::platform;
using nlohmann::json;

namespace {

Scenario default_with(const std::vector<std::string>& overrides) {
  return read_scenario(load_scenario_document("", overrides));
}

json run_report(const Scenario& sc) {
  Soc soc("soc", sc);
  soc.run();
  return build_report(soc);
}

uint64_t total_count(const Scenario& sc) {
  uint64_t n = 0;
  for (const TrafficSpec& t : sc.traffic) n += t.stream.count;
  return n;
}

uint64_t u(const json& v) { return v.get<uint64_t>(); }

// Runs the program function with argv = {"smmu-sim", args...}.
int run_cli(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> storage{"smmu-sim"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::ostringstream o, e;
  const int rc = run_smmu_sim(static_cast<int>(storage.size()), argv.data(), o, e);
  out = o.str();
  err = e.str();
  return rc;
}

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "smmu_sim_test_" + std::to_string(getpid()) + "_" + name;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return json::parse(in);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(SmmuSim, DefaultScenarioRunsWithoutFaults) {
  const Scenario sc = read_scenario(default_scenario_json());
  const json r = run_report(sc);
  const uint64_t n = total_count(sc);
  ASSERT_EQ(n, 9000u);

  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_GT(r["sim_time_ns"].get<double>(), 0.0);
  const json& dma = r["dma"];
  EXPECT_EQ(u(dma["transactions"]), n);
  EXPECT_EQ(u(dma["faults"]), 0u);
  EXPECT_EQ(u(dma["reads"]) + u(dma["writes"]), n);
  EXPECT_GT(u(dma["writes"]), 0u);  // stream 0 writes 30 %
  EXPECT_EQ(u(dma["bytes"]), n * 64);

  ASSERT_EQ(r["smmus"].size(), 1u);
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(s["transactions"]), n);
  EXPECT_EQ(u(s["faults"]), 0u);
  EXPECT_EQ(u(s["events"]), 0u);
  EXPECT_EQ(u(s["aborted"]) + u(s["bypassed"]) + u(s["boundary_errors"]), 0u);
  // Every cache shows both hits and misses.
  for (const char* cache : {"micro_tlb", "main_tlb", "walk_cache", "config_cache"}) {
    SCOPED_TRACE(cache);
    EXPECT_GT(u(s[cache]["hits"]), 0u);
    EXPECT_GT(u(s[cache]["misses"]), 0u);
    const double rate = s[cache]["hit_rate"].get<double>();
    EXPECT_DOUBLE_EQ(rate, static_cast<double>(u(s[cache]["hits"])) /
                               static_cast<double>(u(s[cache]["hits"]) + u(s[cache]["misses"])));
  }
  // Lookups add up: every transaction looks in its port's micro TLB; every micro-TLB
  // miss looks up its STE and then the main TLB; every main-TLB miss walks.
  const uint64_t micro_misses = u(s["micro_tlb"]["misses"]);
  EXPECT_EQ(u(s["micro_tlb"]["hits"]) + micro_misses, n);
  EXPECT_EQ(u(s["main_tlb"]["hits"]) + u(s["main_tlb"]["misses"]), micro_misses);
  const json& ste = s["config_cache"]["ste"];
  const json& cd = s["config_cache"]["cd"];
  EXPECT_EQ(u(ste["hits"]) + u(ste["misses"]), micro_misses);
  EXPECT_GT(u(cd["hits"]) + u(cd["misses"]), 0u);
  EXPECT_LT(u(cd["hits"]) + u(cd["misses"]), micro_misses);  // the s2 stream has no CD
  EXPECT_EQ(u(s["config_cache"]["hits"]), u(ste["hits"]) + u(cd["hits"]));
  EXPECT_EQ(u(s["config_cache"]["misses"]), u(ste["misses"]) + u(cd["misses"]));
  EXPECT_EQ(u(s["walks"]), u(s["main_tlb"]["misses"]));
  EXPECT_GE(u(s["walk_cache"]["hits"]) + u(s["walk_cache"]["misses"]), u(s["walks"]));
  EXPECT_GT(u(s["walk_reads"]), 0u);
  // Nothing but DMA writes memory when no event is recorded.
  EXPECT_EQ(u(r["memory"]["writes"]), u(dma["writes"]));

  const json& lat = r["translation"]["latency_ns"];
  EXPECT_EQ(u(lat["count"]), n);
  EXPECT_LE(lat["min"].get<double>(), lat["p50"].get<double>());
  EXPECT_LE(lat["p50"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
  EXPECT_EQ(lat["min"].get<double>(), 51.0);  // micro-TLB hit (1 ns) + memory (50 ns)

  ASSERT_EQ(r["devices"].size(), 2u);
  uint64_t dev_total = 0;
  for (const json& d : r["devices"]) {
    dev_total += u(d["transactions"]);
    EXPECT_EQ(u(d["faults"]), 0u);
    EXPECT_EQ(u(d["latency_ns"]["count"]), u(d["transactions"]));
  }
  EXPECT_EQ(dev_total, n);
  EXPECT_EQ(r["devices"][0]["traffic"], json::array({0, 2}));  // port 0 runs streams 0 and 2
  EXPECT_EQ(u(r["devices"][1]["transactions"]), 3000u);
}

// One stage-1 stream, two reads of the same page: exact times from the parts.
TEST(SmmuSim, OneStreamTakesTheSumOfItsSteps) {
  const json doc = json::parse(R"({
    "smmus": [{"ports": 1}],
    "streams": [{"sid": 1, "mappings": [{"iova": "0x80_8060_4000", "pa": "0x4ECB_A000",
                                          "size": 4096, "blocks": false}]}],
    "traffic": [{"sid": 1, "base": "0x80_8060_4000", "length": 4096, "size": 8, "count": 2}]
  })");
  const json r = run_report(read_scenario(doc));
  // First: uTLB 1 + link 8 + config 2 + L1 stream descriptor 50 + STE 50 + CD 50 +
  // main TLB 3 + walk cache 2 + 4 descriptors 200 + link 8 + the read 50 = 424 ns.
  // Second: uTLB hit 1 + the read 50, issued when the first completed.
  EXPECT_EQ(r["sim_time_ns"].get<double>(), 424.0 + 51.0);
  const json& lat = r["translation"]["latency_ns"];
  EXPECT_EQ(lat["max"].get<double>(), 424.0);
  EXPECT_EQ(lat["min"].get<double>(), 51.0);
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(s["walks"]), 1u);
  EXPECT_EQ(u(s["walk_reads"]), 4u);
  EXPECT_EQ(u(s["micro_tlb"]["hits"]), 1u);
  EXPECT_EQ(u(s["config_cache"]["ste"]["misses"]), 1u);
  EXPECT_EQ(u(s["config_cache"]["cd"]["misses"]), 1u);
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
}

TEST(SmmuSim, UnmappedTrafficFaultsAndRecordsEvents) {
  // A fourth device reads 50 times from an IOVA sid 1 does not map.
  const Scenario sc = default_with(
      {"traffic[3]={\"sid\": 1, \"port\": 1, \"base\": \"0x5000_0000\", \"count\": 50}"});
  const json r = run_report(sc);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_EQ(u(r["dma"]["transactions"]), 9050u);
  EXPECT_EQ(u(r["dma"]["faults"]), 50u);
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(s["faults"]), 50u);
  EXPECT_EQ(u(s["events"]), 50u);  // the 128-entry queue holds them all
  EXPECT_EQ(u(s["events_lost"]), 0u);
  EXPECT_EQ(u(s["evtq_irqs"]), 1u);  // the queue became non-empty once
  EXPECT_EQ(u(r["devices"][0]["faults"]), 0u);
  EXPECT_EQ(u(r["devices"][1]["faults"]), 50u);
}

TEST(SmmuSim, DurationStopsTheRunEarly) {
  const json r = run_report(default_with({"duration=\"10 us\""}));
  EXPECT_FALSE(r["traffic_done"].get<bool>());
  EXPECT_EQ(r["sim_time_ns"].get<double>(), 10000.0);
  EXPECT_GT(u(r["dma"]["transactions"]), 0u);
  EXPECT_LT(u(r["dma"]["transactions"]), 9000u);
}

TEST(SmmuSim, SocRejectsBadSmmuParametersWithAReport) {
  // read_scenario refuses these; the SMMU itself reports them too (smmu-sim exits 2).
  Scenario sc = read_scenario(json::object());
  sc.smmus[0].params.features.oas_bits = 33;
  EXPECT_THROW(Soc("soc", sc), sc_core::sc_report);
}

TEST(SmmuSim, ProgramPrintsReportAndWritesJsonTraceAndWaves) {
  const std::string json_path = temp_path("report.json");
  const std::string trace_path = temp_path("trace.json");
  const std::string vcd_path = temp_path("waves.vcd");
  std::string out, err;
  ASSERT_EQ(run_cli({"--json", json_path, "--trace", trace_path, "--vcd", vcd_path}, out, err), 0)
      << err;
  EXPECT_EQ(err, "");
  EXPECT_NE(out.find("sim_time_ns"), std::string::npos);
  EXPECT_NE(out.find("micro_tlb:"), std::string::npos);
  EXPECT_NE(out.find("hit_rate"), std::string::npos);

  const json r = read_json(json_path);
  EXPECT_EQ(u(r["dma"]["transactions"]), 9000u);
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);

  const json t = read_json(trace_path);
  size_t complete = 0;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++complete;
    EXPECT_GT(e["dur"].get<double>(), 0.0);
  }
  EXPECT_EQ(complete, 9000u);
  EXPECT_EQ(u(t["otherData"]["events_recorded"]), 9000u);
  EXPECT_EQ(u(t["otherData"]["events_dropped"]), 0u);
  EXPECT_EQ(u(t["otherData"]["event_limit"]), TransactionTrace::kDefaultLimit);

  const std::string vcd = read_text(vcd_path);
  EXPECT_NE(vcd.find("evtq_irq"), std::string::npos);
  EXPECT_NE(vcd.find("smmu0_port1"), std::string::npos);
  EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
  for (const std::string& p : {json_path, trace_path, vcd_path}) std::remove(p.c_str());
}

// The same scenario run in two fresh processes gives the same report, to the picosecond.
// This process elaborates nothing itself; each child runs one kernel.
TEST(SmmuSim, SameScenarioGivesTheSameReportInTwoProcesses) {
  const std::string paths[2] = {temp_path("run0.json"), temp_path("run1.json")};
  std::cout.flush();
  std::cerr.flush();
  pid_t pids[2];
  for (int i = 0; i < 2; ++i) {
    pids[i] = fork();
    ASSERT_GE(pids[i], 0);
    if (pids[i] == 0) {
      std::string out, err;
      const int rc = run_cli({"--quiet", "--json", paths[i]}, out, err);
      _exit(rc);
    }
  }
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
  const json a = read_json(paths[0]);
  const json b = read_json(paths[1]);
  EXPECT_GT(a["sim_time_ns"].get<double>(), 0.0);
  EXPECT_EQ(a["sim_time_ns"], b["sim_time_ns"]);
  EXPECT_EQ(a, b);
  for (const std::string& p : paths) std::remove(p.c_str());
}

TEST(SmmuSim, BadInputExitsTwoWithOneLine) {
  std::string out, err;
  EXPECT_EQ(run_cli({"--set", "smmus[0].main_tlb.wayz=8"}, out, err), 2);
  EXPECT_EQ(err, "scenario.smmus[0].main_tlb.wayz: unknown key (known here: policy, sets, ways)\n");
  EXPECT_EQ(out, "");

  EXPECT_EQ(run_cli({"--set", "traffic[0].port=7"}, out, err), 2);
  EXPECT_EQ(err, "scenario.traffic[0].port: smmus[0] has no port 7 (it has 2)\n");

  EXPECT_EQ(run_cli({"--bogus"}, out, err), 2);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("--bogus"), std::string::npos);

  EXPECT_EQ(run_cli({"/nonexistent/scenario.json"}, out, err), 2);
  EXPECT_EQ(err, "/nonexistent/scenario.json: cannot open (No such file or directory)\n");

  EXPECT_EQ(run_cli({"--json", "/nonexistent/dir/report.json"}, out, err), 2);
  EXPECT_EQ(err, "--json: cannot create /nonexistent/dir/report.json (No such file or directory)\n");

  EXPECT_EQ(run_cli({"--print-default-scenario"}, out, err), 0);
  EXPECT_EQ(out, default_scenario_text());
  EXPECT_EQ(err, "");

  EXPECT_EQ(run_cli({"--help"}, out, err), 0);
  EXPECT_NE(out.find("Usage: smmu-sim"), std::string::npos);
}

TEST(SmmuSim, TraceKeepsTheFirstEventsAndSaysHowManyItDropped) {
  const Scenario sc = read_scenario(default_scenario_json());
  TransactionTrace trace(2);
  for (int i = 0; i < 3; ++i) {
    TransactionRecord r;
    r.traffic = 2;
    r.write = i == 1;
    r.ok = i != 1;
    r.address = 0x1000 + i;
    r.sid = 3;
    r.start = sc_core::sc_time(1500 * (i + 1), sc_core::SC_NS);
    r.end = r.start + sc_core::sc_time(51, sc_core::SC_NS);
    trace.record(r);
  }
  EXPECT_EQ(trace.recorded(), 2u);
  EXPECT_EQ(trace.dropped(), 1u);
  const json t = trace.to_json(sc);
  std::vector<json> x;
  size_t names = 0;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X") x.push_back(e);
    if (e["ph"] == "M") ++names;
  }
  EXPECT_EQ(names, 1u + 3u);  // smmu0 and the three traffic entries
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[0]["name"], "read");
  EXPECT_EQ(x[1]["name"], "write fault");
  EXPECT_DOUBLE_EQ(x[0]["ts"].get<double>(), 1.5);  // microseconds
  EXPECT_DOUBLE_EQ(x[0]["dur"].get<double>(), 0.051);
  EXPECT_DOUBLE_EQ(x[1]["ts"].get<double>(), 3.0);
  EXPECT_EQ(x[0]["pid"], 0);
  EXPECT_EQ(x[0]["tid"], 2);
  EXPECT_EQ(x[0]["args"]["addr"], "0x1000");
  EXPECT_EQ(u(t["otherData"]["events_dropped"]), 1u);
  EXPECT_EQ(u(t["otherData"]["event_limit"]), 2u);
}
