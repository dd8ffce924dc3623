// SPDX-License-Identifier: Apache-2.0
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

#include "platform/config/config_reader.h"
#include "platform/report/report.h"
#include "platform/scenario/scenario.h"
#include "platform/report/sim_report.h"
#include "platform/run/smmu_sim.h"
#include "platform/config/version.h"
#include "platform/soc/soc.h"
#include "support/smmu_sim_cli.h"

using namespace smmu::platform;
using nlohmann::json;
using smmu::test::read_json;
using smmu::test::run_cli;
using smmu::test::run_cli_in_child;
using smmu::test::run_cli_in_child_to;

namespace {

Scenario default_with(const std::vector<std::string>& overrides) {
  return read_scenario(load_scenario_document("", overrides));
}

json run_report(const Scenario& sc) {
  Soc soc("soc", sc);
  soc.run();
  return build_report(soc);
}

// Transactions of the traffic generators and of the ATS devices.
uint64_t generator_count(const Scenario& sc) {
  uint64_t n = 0;
  for (const TrafficSpec& t : sc.traffic) n += t.stream.count;
  return n;
}

uint64_t ats_count(const Scenario& sc) {
  uint64_t n = 0;
  for (const AtsDeviceSpec& d : sc.ats_devices)
    for (const auto& t : d.params.traffic) n += t.count;
  return n;
}

uint64_t total_count(const Scenario& sc) { return generator_count(sc) + ats_count(sc); }

uint64_t u(const json& v) { return v.get<uint64_t>(); }

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "smmu_sim_test_" + std::to_string(getpid()) + "_" + name;
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
  ASSERT_EQ(n, 11000u);
  const uint64_t n_ats = ats_count(sc);
  ASSERT_EQ(n_ats, 2000u);

  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_GT(r["sim_time_ns"].get<double>(), 0.0);
  const json& dma = r["dma"];
  EXPECT_EQ(u(dma["transactions"]), n);
  EXPECT_EQ(u(dma["faults"]), 0u);
  EXPECT_EQ(u(dma["reads"]) + u(dma["writes"]), n);
  EXPECT_GT(u(dma["writes"]), 0u);  // stream 0 writes 30 %, the ATS device 25 %
  EXPECT_EQ(u(dma["bytes"]), n * 64);

  ASSERT_EQ(r["smmus"].size(), 1u);
  const json& s = r["smmus"][0];
  EXPECT_FALSE(s.contains("commands_by_queue"));  // no ECMDQs
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
  // The ATS device sends everything pre-translated (ATSCHK 0: no lookup in the SMMU); it
  // asks for translations instead.
  const json& ats = s["ats"];
  EXPECT_EQ(u(ats["translated"]), n_ats);
  EXPECT_EQ(u(ats["translated_refused"]) + u(ats["unsupported"]) + u(ats["no_access"]), 0u);
  const uint64_t requests = u(ats["requests"]);
  EXPECT_GT(requests, 0u);
  // Lookups add up: every untranslated transaction looks in its port's micro TLB; every
  // micro-TLB miss and every ATS request looks up its STE and then the main TLB; every
  // main-TLB miss walks.
  const uint64_t micro_misses = u(s["micro_tlb"]["misses"]);
  EXPECT_EQ(u(s["micro_tlb"]["hits"]) + micro_misses, n - n_ats);
  EXPECT_EQ(u(s["main_tlb"]["hits"]) + u(s["main_tlb"]["misses"]), micro_misses + requests);
  const json& ste = s["config_cache"]["ste"];
  const json& cd = s["config_cache"]["cd"];
  EXPECT_EQ(u(ste["hits"]) + u(ste["misses"]), micro_misses + requests);
  EXPECT_GT(u(cd["hits"]) + u(cd["misses"]), 0u);
  EXPECT_LT(u(cd["hits"]) + u(cd["misses"]), micro_misses + requests);  // the s2 stream has no CD
  EXPECT_EQ(u(s["config_cache"]["hits"]), u(ste["hits"]) + u(cd["hits"]));
  EXPECT_EQ(u(s["config_cache"]["misses"]), u(ste["misses"]) + u(cd["misses"]));
  EXPECT_EQ(u(s["walks"]), u(s["main_tlb"]["misses"]));
  EXPECT_GE(u(s["walk_cache"]["hits"]) + u(s["walk_cache"]["misses"]), u(s["walks"]));
  EXPECT_GT(u(s["walk_reads"]), 0u);
  // The driver's work: set-up before any traffic, then at 30 us a remap of 128 KiB of
  // sid 1 (one range TLBI_NH_VA + CMD_SYNC) and an invalidation of 64 KiB of the ATS
  // device's mappings (TLBI_NH_VA + CMD_SYNC, then ATC_INV + CMD_SYNC). The other
  // commands are the set-up's: reset, STE and CD updates, the ATC flush before ATS is
  // enabled.
  const json& drv = r["driver"];
  EXPECT_GT(u(drv["setup_ns"]), 0u);
  EXPECT_EQ(drv["setup_end_ns"].get<double>(), static_cast<double>(u(drv["setup_ns"])));
  EXPECT_EQ(u(drv["attaches"]), 4u);
  EXPECT_FALSE(drv.contains("error"));
  ASSERT_EQ(drv["ops"].size(), 2u);
  EXPECT_EQ(u(drv["ops"][0]["sid"]), 1u);
  EXPECT_EQ(u(drv["ops"][1]["sid"]), 4u);
  EXPECT_EQ(u(drv["ops"][1]["smmu"]), 0u);
  for (const json& op : drv["ops"]) {
    EXPECT_EQ(op["status"], "ok");
    EXPECT_EQ(op["start_ns"].get<uint64_t>(), u(drv["setup_ns"]) + 30000 + (op["op"] == "remap" ? 0 : u(drv["ops"][0]["duration_ns"])));
  }
  const json& ds = drv["smmus"][0];
  EXPECT_EQ(u(ds["asids_in_use"]), 2u);  // sid 1's domain and the ATS device's
  EXPECT_EQ(u(ds["vmids_in_use"]), 2u);  // sid 2's domain and the vSMMU's
  EXPECT_EQ(u(ds["syncs_issued"]), u(s["syncs"]));  // every CMD_SYNC the SMMU ran is the driver's
  EXPECT_EQ(u(s["commands_total"]), u(ds["commands_issued"]) + u(ds["syncs_issued"]));
  EXPECT_EQ(u(s["commands"]["TLBI_NH_VA"]), 2u);
  EXPECT_EQ(u(s["commands"]["ATC_INV"]), 2u);  // before ATS was enabled, and the invalidation
  const double sync_mean = s["sync_latency_ns"]["mean"].get<double>();
  EXPECT_GT(sync_mean, 0.0);
  EXPECT_GE(s["sync_latency_ns"]["max"].get<double>(), sync_mean);
  // A CMD_SYNC after an ATC_INV waits for its PCIe round trip (500 ns).
  EXPECT_GT(s["sync_latency_ns"]["max"].get<double>(), 500.0);
  EXPECT_EQ(s["command_errors"], json({{"ill", 0}, {"abt", 0}, {"atc_inv_sync", 0}}));
  EXPECT_EQ(u(s["atc_inv_sent"]), 2u);
  EXPECT_EQ(u(s["atc_inv_timeouts"]), 0u);
  EXPECT_GT(u(s["entries_invalidated"]["tlb"]), 0u);
  EXPECT_EQ(u(s["gerror_irqs"]), 0u);

  const json& lat = r["translation"]["latency_ns"];
  EXPECT_EQ(u(lat["count"]), n);
  EXPECT_LE(lat["min"].get<double>(), lat["p50"].get<double>());
  EXPECT_LE(lat["p50"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
  EXPECT_EQ(lat["min"].get<double>(), 51.0);  // micro-TLB hit (1 ns) + memory (50 ns)

  ASSERT_EQ(r["devices"].size(), 3u);
  uint64_t dev_total = 0;
  for (const json& d : r["devices"]) {
    dev_total += u(d["transactions"]);
    EXPECT_EQ(u(d["faults"]), 0u);
    EXPECT_EQ(u(d["latency_ns"]["count"]), u(d["transactions"]));
  }
  EXPECT_EQ(dev_total, n);
  EXPECT_EQ(r["devices"][0]["kind"], "generator");
  EXPECT_EQ(r["devices"][0]["traffic"], json::array({0, 2}));  // port 0 runs streams 0 and 2
  EXPECT_EQ(u(r["devices"][1]["transactions"]), 3000u);

  // The ATS device: its ATC hits on the pages it revisits, and the ATC_INV emptied it.
  const json& e = r["devices"][2];
  EXPECT_EQ(e["kind"], "ats_endpoint");
  EXPECT_EQ(u(e["port"]), 2u);
  EXPECT_EQ(u(e["sid"]), 4u);
  EXPECT_EQ(u(e["ats_device"]), 0u);
  EXPECT_EQ(u(e["transactions"]), n_ats);
  EXPECT_EQ(u(e["translated_sent"]), n_ats);
  EXPECT_EQ(u(e["untranslated_sent"]), 0u);
  EXPECT_EQ(u(e["translation_requests"]), requests);
  const json& atc = e["atc"];
  EXPECT_GT(u(atc["hits"]), 0u);
  EXPECT_GT(u(atc["hits"]), u(atc["misses"]));  // locality: 64 accesses per page
  EXPECT_EQ(u(atc["hits"]) + u(atc["misses"]), n_ats);
  EXPECT_EQ(u(atc["misses"]), requests);
  EXPECT_GE(u(atc["invalidations"]), 1u);
  EXPECT_GE(u(atc["entries_invalidated"]), 1u);
  EXPECT_EQ(u(e["invalidations_answered"]), 2u);  // before ATS was enabled, and at 30 us
}

// One ATS device, two reads of one page: the first misses the ATC and asks the SMMU, the
// second hits. Exact times from the parts.
// Throughput over the traffic phase (first issue to last completion) leaves out the
// driver's set-up, which the whole-run figure includes.
TEST(SmmuSim, DriverOnEcmdqsIssuesEachCpusCommandsOnItsQueue) {
  // The default scenario with two ECMDQs, the set-up on CPU 0 and the remap on CPU 1.
  const Scenario sc = default_with({"cpus.count=2", "smmus[0].features.ecmdqs=2", "driver.ecmdqs=2",
                                    "driver_ops[0].cpu=1"});
  const json r = run_report(sc);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  for (const json& op : r["driver"]["ops"]) EXPECT_EQ(op["status"], "ok");
  // The remap (an unmap, then a map) now meets sid 1's traffic in its range: those
  // faults only, each recorded.
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(r["dma"]["faults"]), u(s["events"]));
  for (const json& e : r["driver"]["smmus"][0]["event_log"]) {
    const std::string ev = e.get<std::string>();
    EXPECT_EQ(ev.rfind("F_TRANSLATION sid=0x1 addr=0x400", 0), 0u) << ev;
  }
  ASSERT_TRUE(s.contains("commands_by_queue"));
  const json& by_queue = s["commands_by_queue"];
  ASSERT_EQ(by_queue.size(), 3u);
  EXPECT_EQ(u(by_queue[0]) + u(by_queue[1]) + u(by_queue[2]), u(s["commands_total"]));
  EXPECT_GT(u(by_queue[1]), u(by_queue[0]));  // CPU 0's set-up on ECMDQ 0, only reset on the CMDQ
  EXPECT_GE(u(by_queue[2]), 2u);              // CPU 1's remap: its TLBI and CMD_SYNC
  EXPECT_EQ(u(s["command_errors"]["ill"]), 0u);
}

TEST(SmmuSim, TrafficPhaseThroughputLeavesOutTheSetUp) {
  const json r = run_report(read_scenario(default_scenario_json()));
  const json& dma = r["dma"];
  const double start = dma["traffic_start_ns"].get<double>();
  const double span = dma["traffic_ns"].get<double>();
  const double bytes = static_cast<double>(u(dma["bytes"]));
  // The traffic waits for the driver's set-up (queues, stream table, domains).
  EXPECT_GT(start, 0.0);
  EXPECT_GE(start, r["driver"]["setup_end_ns"].get<double>());
  EXPECT_LE(start + span, r["sim_time_ns"].get<double>());
  EXPECT_DOUBLE_EQ(dma["traffic_gbytes_per_s"].get<double>(), bytes / span);
  EXPECT_DOUBLE_EQ(dma["gbytes_per_s"].get<double>(), bytes / r["sim_time_ns"].get<double>());
  EXPECT_GT(dma["traffic_gbytes_per_s"].get<double>(), dma["gbytes_per_s"].get<double>());
}

TEST(SmmuSim, AtsDeviceTranslatesOnceThenHitsItsAtc) {
  const json doc = json::parse(R"({"setup": "tables",
    "smmus": [{"ports": 1}],
    "streams": [{"sid": 7, "ats": true,
                 "mappings": [{"iova": "0x80_8060_4000", "pa": "0x4ECB_A000", "size": 4096,
                               "blocks": false}]}],
    "ats_devices": [{"port": 0, "sid": 7,
                     "traffic": [{"base": "0x80_8060_4000", "length": 4096, "size": 8, "count": 2}]}]
  })");
  const json r = run_report(read_scenario(doc));
  // First: ATC lookup 2 + half the PCIe round trip 250 + the SMMU (link 8 + config 2 +
  // L1 stream descriptor 50 + STE 50 + CD 50 + main TLB 3 + walk cache 2 + 4 descriptors
  // 200 + link 8 = 373) + the other half 250 + the pre-translated read 50 = 925 ns.
  // Second: ATC hit 2 + the read 50, issued when the first completed.
  EXPECT_EQ(r["sim_time_ns"].get<double>(), 925.0 + 52.0);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  const json& lat = r["translation"]["latency_ns"];
  EXPECT_EQ(lat["max"].get<double>(), 925.0);
  EXPECT_EQ(lat["min"].get<double>(), 52.0);
  ASSERT_EQ(r["devices"].size(), 1u);
  const json& e = r["devices"][0];
  EXPECT_EQ(e["kind"], "ats_endpoint");
  EXPECT_EQ(u(e["atc"]["hits"]), 1u);
  EXPECT_EQ(u(e["atc"]["misses"]), 1u);
  EXPECT_EQ(u(e["translation_requests"]), 1u);
  EXPECT_EQ(u(e["translated_sent"]), 2u);
  EXPECT_EQ(u(e["untranslated_sent"]), 0u);
  EXPECT_EQ(u(e["faults"]), 0u);
  EXPECT_EQ(u(e["bytes"]), 16u);
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(s["ats"]["requests"]), 1u);
  EXPECT_EQ(u(s["ats"]["translated"]), 2u);
  EXPECT_EQ(u(s["transactions"]), 2u);
  EXPECT_EQ(u(s["walks"]), 1u);
  EXPECT_EQ(u(s["micro_tlb"]["hits"]) + u(s["micro_tlb"]["misses"]), 0u);  // pre-translated
  EXPECT_EQ(u(s["commands_total"]), 0u);
  EXPECT_EQ(s["commands"], json::object());
  EXPECT_EQ(u(r["dma"]["transactions"]), 2u);
}

// An endpoint that never answers invalidations: the CMD_SYNC after its ATC_INV times out
// (ATC_INV_SYNC); the command program acknowledges the error as Linux does and the
// repeated CMD_SYNC completes. Exact times from the parts.
TEST(SmmuSim, UnansweredAtcInvalidationFailsTheSyncUntilAcknowledged) {
  const json doc = json::parse(R"({"setup": "tables",
    "smmus": [{"ports": 1, "timing": {"atc_inv_timeout": "5 us"}}],
    "streams": [{"sid": 7, "ats": true,
                 "mappings": [{"iova": "0x80_8060_4000", "pa": "0x4ECB_A000", "size": 4096,
                               "blocks": false}]}],
    "ats_devices": [{"port": 0, "sid": 7, "answer_invalidations": false,
                     "traffic": [{"base": "0x80_8060_4000", "length": 4096, "size": 8, "count": 2}]}],
    "commands": [{"at": "2 us", "commands": [{"op": "ATC_INV", "sid": 7, "size": 52},
                                             {"op": "CMD_SYNC", "cs": "irq"}]}]
  })");
  const Scenario sc = read_scenario(doc);
  Soc soc("soc", sc);
  soc.run();
  const json r = build_report(soc);
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(s["atc_inv_sent"]), 1u);
  EXPECT_EQ(u(s["atc_inv_timeouts"]), 1u);
  EXPECT_EQ(s["command_errors"], json({{"ill", 0}, {"abt", 0}, {"atc_inv_sync", 1}}));
  EXPECT_EQ(u(s["gerror_irqs"]), 1u);
  EXPECT_EQ(soc.command_errors_handled(0), 1u);
  // The SYNC ran twice: it failed, then completed once the error was acknowledged.
  EXPECT_EQ(s["commands"], json({{"ATC_INV", 1}, {"CMD_SYNC", 2}}));
  EXPECT_EQ(u(s["commands_total"]), 3u);
  EXPECT_EQ(u(s["syncs"]), 1u);
  // The device removed its entry but never answered.
  const json& e = r["devices"][0];
  EXPECT_EQ(u(e["atc"]["invalidations"]), 1u);
  EXPECT_EQ(u(e["atc"]["entries_invalidated"]), 1u);
  EXPECT_EQ(u(e["invalidations_answered"]), 0u);
  EXPECT_EQ(u(e["faults"]), 0u);
  // The only memory write is the repeated SYNC's MSI (into its own queue slot).
  EXPECT_EQ(u(r["memory"]["writes"]), 1u);
  // Times (register access 2 ns, memory 50 ns, command 2 ns, polls every 100 ns):
  //   2000 CONS read -> 2002, PROD write takes effect at 2004;
  //   fetch 2004 -> 2054; ATC_INV issued at 2056; SYNC waits for its deadline 2056 + 5000
  //   = 7056 and stops the queue (ATC_INV_SYNC);
  //   polls read CONS at 2104 + 102 k; the one at 7102 sees the error: GERROR, GERRORN,
  //   and the GERRORN write takes effect at 7110;
  //   refetch 7110 -> 7160, SYNC 7162, MSI write -> 7212 (latency from the PROD write:
  //   7212 - 2004 = 5208); CONS passes it at 7212;
  //   polls at 7210 (CONS, GERROR, GERRORN -> 7216) and 7316 (-> 7322) see it drained.
  EXPECT_EQ(s["sync_latency_ns"]["max"].get<double>(), 5208.0);
  EXPECT_EQ(s["sync_latency_ns"]["mean"].get<double>(), 5208.0);
  EXPECT_EQ(r["sim_time_ns"].get<double>(), 7322.0);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
}

// One stage-1 stream, two reads of the same page: exact times from the parts.
TEST(SmmuSim, OneStreamTakesTheSumOfItsSteps) {
  const json doc = json::parse(R"({"setup": "tables",
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

// A small SoC for command tests: one s1 stream (sid 1) and a little traffic.
json command_doc(const std::string& smmu_extra, const std::string& commands) {
  return json::parse(R"({"setup": "tables","smmus": [{"ports": 1)" + smmu_extra + R"(}],
    "streams": [{"sid": 1, "mappings": [{"iova": "0x10000", "pa": "0x100000", "size": "64 KiB"}]}],
    "traffic": [{"sid": 1, "base": "0x10000", "length": "64 KiB", "count": 20}],
    "commands": )" + commands + "}");
}

// An illegal command (a range TLBI on an SMMU without RIL) stops the queue with
// CERROR_ILL; the command program replaces it with a CMD_SYNC, as Linux does.
TEST(SmmuSim, IllegalCommandIsReplacedBySync) {
  const Scenario sc = read_scenario(command_doc(
      R"(, "features": {"range_invalidation": false})",
      R"([{"at": "1 us", "commands": [{"op": "TLBI_NH_VA", "asid": 1, "addr": "0x10000", "tg": 1},
                                      {"op": "TLBI_NH_ASID", "asid": 1},
                                      {"op": "CMD_SYNC", "cs": "sev"}]}])"));
  Soc soc("soc", sc);
  soc.run();
  const json r = build_report(soc);
  const json& s = r["smmus"][0];
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_EQ(s["command_errors"], json({{"ill", 1}, {"abt", 0}, {"atc_inv_sync", 0}}));
  EXPECT_EQ(soc.command_errors_handled(0), 1u);
  // The illegal command counts as seen; its replacement and the batch's own SYNC ran.
  EXPECT_EQ(s["commands"], json({{"TLBI_NH_VA", 1}, {"TLBI_NH_ASID", 1}, {"CMD_SYNC", 2}}));
  EXPECT_EQ(u(s["syncs"]), 2u);
  EXPECT_GT(u(s["entries_invalidated"]["tlb"]), 0u);  // the ASID's entries went
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
}

// A batch larger than the queue (4 entries): the command program publishes what
// fits and waits for room, as a driver does.
TEST(SmmuSim, BatchLargerThanTheQueueWaitsForRoom) {
  json cmds = json::array();
  for (int i = 0; i < 10; ++i) cmds.push_back({{"op", "TLBI_NH_ALL"}});
  cmds.push_back({{"op", "CMD_SYNC"}});
  const json batches = json::array({{{"at", "1 us"}, {"commands", cmds}}});
  const Scenario sc = read_scenario(command_doc(
      R"(, "features": {"cmdq_log2_entries": 2})", batches.dump()));
  Soc soc("soc", sc);
  soc.run();
  const json r = build_report(soc);
  const json& s = r["smmus"][0];
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_EQ(s["commands"], json({{"TLBI_NH_ALL", 10}, {"CMD_SYNC", 1}}));
  EXPECT_EQ(u(s["syncs"]), 1u);
  EXPECT_GE(u(s["command_fetches"]), 3u);  // at most 4 commands per fetch
  EXPECT_EQ(s["command_errors"], json({{"ill", 0}, {"abt", 0}, {"atc_inv_sync", 0}}));
}

// Commands after the traffic: the run lasts until the SMMU has consumed them; batches
// run in time order whatever their order in the scenario.
TEST(SmmuSim, RunLastsUntilTheCommandsAreConsumed) {
  const Scenario sc = read_scenario(command_doc(
      "", R"([{"at": "50 us", "commands": [{"op": "CMD_SYNC", "cs": "none"}]},
             {"at": "20 us", "commands": [{"op": "TLBI_NH_ALL"}]}])"));
  Soc soc("soc", sc);
  soc.run();
  const json r = build_report(soc);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_GT(r["sim_time_ns"].get<double>(), 50000.0);
  EXPECT_LT(r["sim_time_ns"].get<double>(), 51000.0);
  EXPECT_EQ(r["smmus"][0]["commands"], json({{"TLBI_NH_ALL", 1}, {"CMD_SYNC", 1}}));
  // The SYNC's latency: PROD write to completion (fetch 50 + 2 cycles), then the DTI sync
  // with the TBU that was sent the TLBI (8 ns each way), long done with it.
  EXPECT_EQ(r["smmus"][0]["sync_latency_ns"]["max"].get<double>(), 68.0);
  EXPECT_EQ(u(r["dma"]["transactions"]), 20u);
}

TEST(SmmuSim, UnmappedTrafficFaultsAndRecordsEvents) {
  // A fourth device reads 50 times from an IOVA sid 1 does not map.
  const Scenario sc = default_with(
      {"traffic[3]={\"sid\": 1, \"port\": 1, \"base\": \"0x5000_0000\", \"count\": 50}"});
  const json r = run_report(sc);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_EQ(u(r["dma"]["transactions"]), 11050u);
  EXPECT_EQ(u(r["dma"]["faults"]), 50u);
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(s["faults"]), 50u);
  EXPECT_EQ(u(s["events"]), 50u);  // the 128-entry queue holds them all
  EXPECT_EQ(u(s["events_lost"]), 0u);
  // The driver's event handler empties the queue as it fills: the generator runs a
  // quantum ahead, so its faults come in 5 bursts, each after an empty queue.
  EXPECT_EQ(u(s["evtq_irqs"]), 5u);
  EXPECT_EQ(u(r["devices"][0]["faults"]), 0u);
  EXPECT_EQ(u(r["devices"][1]["faults"]), 50u);
  const json& d = r["driver"]["smmus"][0];
  EXPECT_EQ(u(d["events"]), 50u);
  EXPECT_EQ(d["events_by_type"], json({{"F_TRANSLATION", 50}}));
  EXPECT_EQ(u(d["event_overflows"]), 0u);
  ASSERT_EQ(d["event_log"].size(), 16u);  // driver.event_log
  EXPECT_EQ(d["event_log"][0], "F_TRANSLATION sid=0x1 addr=0x50000000 read data unpriv stage=1 class=IN");
  EXPECT_EQ(d["event_log"][15], "F_TRANSLATION sid=0x1 addr=0x500003c0 read data unpriv stage=1 class=IN");
  EXPECT_EQ(u(r["driver"]["event_handler"]["wakeups"]), 6u);  // 5 interrupts and the stop
}

TEST(SmmuSim, DurationStopsTheRunEarly) {
  // The driver's set-up takes about 100 us; the traffic runs after it.
  const json r = run_report(default_with({"duration=\"110 us\""}));
  EXPECT_FALSE(r["traffic_done"].get<bool>());
  EXPECT_EQ(r["sim_time_ns"].get<double>(), 110000.0);
  EXPECT_GT(u(r["dma"]["transactions"]), 0u);
  EXPECT_LT(u(r["dma"]["transactions"]), 11000u);
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
  EXPECT_EQ(u(r["dma"]["transactions"]), 11000u);
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
  EXPECT_NE(out.find("sync_latency_ns:"), std::string::npos);
  EXPECT_NE(out.find("atc:"), std::string::npos);

  const json t = read_json(trace_path);
  // Every DMA transaction is one slice (its steps are children, cat "step"); the ATS
  // device's translation requests are slices of their own (cat "ats").
  size_t complete = 0, ats_requests = 0;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] != "X") continue;
    if (e["cat"] == "ats") ++ats_requests;
    if (e["cat"] != "dma") continue;
    ++complete;
    EXPECT_GT(e["dur"].get<double>(), 0.0);
  }
  EXPECT_EQ(complete, 11000u);
  EXPECT_GT(ats_requests, 0u);
  EXPECT_EQ(u(t["otherData"]["events_recorded"]), 11000u + ats_requests);
  // The ATS device's port has lanes of its own, named after it.
  bool ats_thread = false;
  for (const json& e : t["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name" &&
        e["args"]["name"].get<std::string>().find("smmu0_port2 lane 0 (ats_devices[0])") == 0)
      ats_thread = true;
  EXPECT_TRUE(ats_thread);
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

// The JSON report carries the scenario as run, --set overrides applied: rerun from it,
// the report is the same.
TEST(SmmuSim, JsonReportCarriesTheScenarioAsRunAndRerunsToTheSameReport) {
  const std::string first = temp_path("as_run0.json"), again = temp_path("as_run1.json"),
                    scenario = temp_path("as_run_scenario.json");
  ASSERT_EQ(run_cli_in_child({"--quiet", "--set", "smmus[0].main_tlb.ways=2", "--set",
                              "traffic[0].count=300", "--json", first}),
            0);
  const json a = read_json(first);
  ASSERT_TRUE(a.contains("scenario"));
  EXPECT_EQ(a["scenario"]["smmus"][0]["main_tlb"]["ways"], 2);
  EXPECT_EQ(a["scenario"]["traffic"][0]["count"], 300);
  {
    std::ofstream out(scenario);
    out << a["scenario"].dump(2);
  }
  ASSERT_EQ(run_cli_in_child({"--quiet", scenario, "--json", again}), 0);
  const json b = read_json(again);
  EXPECT_EQ(a, b);
  EXPECT_GT(a["dma"]["transactions"].get<uint64_t>(), 0u);
  for (const std::string& p : {first, again, scenario}) std::remove(p.c_str());
}

TEST(SmmuSim, BadInputExitsTwoWithOneLine) {
  std::string out, err;
  EXPECT_EQ(run_cli({"--set", "smmus[0].main_tlb.wayz=8"}, out, err), 2);
  EXPECT_EQ(err, "scenario.smmus[0].main_tlb.wayz: unknown key (known here: policy, sets, ways)\n");
  EXPECT_EQ(out, "");

  EXPECT_EQ(run_cli({"--set", "traffic[0].port=7"}, out, err), 2);
  EXPECT_EQ(err, "scenario.traffic[0].port: smmus[0] has no port 7 (it has 3)\n");

  EXPECT_EQ(run_cli({"--set", "driver_ops[0].op=\"wipe\""}, out, err), 2);
  EXPECT_EQ(err.rfind("scenario.driver_ops[0].op: ", 0), 0u) << err;

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
  TransactionTrace trace(3);
  for (int i = 0; i < 4; ++i) {
    TransactionRecord r;
    r.traffic = 2;
    if (i == 2) {
      r.ats_device = 0;  // the ATS device's first stream
      r.traffic = 0;
    }
    r.write = i == 1;
    r.ok = i != 1;
    r.address = 0x1000 + i;
    r.sid = 3;
    r.start = sc_core::sc_time(1500 * (i + 1), sc_core::SC_NS);
    r.end = r.start + sc_core::sc_time(51, sc_core::SC_NS);
    trace.record(r);
  }
  EXPECT_EQ(trace.recorded(), 3u);
  EXPECT_EQ(trace.dropped(), 1u);
  const json t = trace.to_json(sc);
  std::vector<json> x;
  size_t names = 0;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X") x.push_back(e);
    if (e["ph"] == "M") ++names;
  }
  // smmu0: its name and order, the command engine's name and order; one lane of port 0
  // (the transactions do not overlap): its name and order.
  EXPECT_EQ(names, 4u + 2u);
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[2]["tid"], 1);  // the lane after the command engine (tid 0)
  EXPECT_EQ(x[2]["pid"], 0);
  EXPECT_EQ(x[0]["name"], "read");
  EXPECT_EQ(x[1]["name"], "write fault");
  EXPECT_DOUBLE_EQ(x[0]["ts"].get<double>(), 1.5);  // microseconds
  EXPECT_DOUBLE_EQ(x[0]["dur"].get<double>(), 0.051);
  EXPECT_DOUBLE_EQ(x[1]["ts"].get<double>(), 3.0);
  EXPECT_EQ(x[0]["pid"], 0);
  EXPECT_EQ(x[0]["tid"], 1);
  EXPECT_EQ(x[0]["args"]["addr"], "0x1000");
  EXPECT_EQ(u(t["otherData"]["events_dropped"]), 1u);
  EXPECT_EQ(u(t["otherData"]["event_limit"]), 3u);
}

// Set-up "driver": one s2 domain shared by streams behind two SMMUs (one page table,
// a VMID from each SMMU's allocator), traffic on both, an unmap of part of it by CPU 1
// (the op names the domain) that both SMMUs see invalidated, issued all-SMMUs-then-wait.
TEST(SmmuSim, DriverSharesADomainAcrossTwoSmmus) {
  const json doc = json::parse(R"({
    "smmus": [{"ports": 1}, {"ports": 1}],
    "cpus": {"count": 2},
    "driver": {"completion": "cons", "inv_all_then_wait": true},
    "streams": [
      {"smmu": 0, "sid": 5, "translation": "s2", "domain": "vm",
       "mappings": [{"iova": "0x8000_0000", "pa": "0x2000_0000", "size": "2 MiB"}]},
      {"smmu": 1, "sid": 9, "translation": "s2", "domain": "vm",
       "mappings": [{"iova": "0x8000_0000", "pa": "0x2000_0000", "size": "2 MiB"}]}
    ],
    "traffic": [
      {"smmu": 0, "sid": 5, "base": "0x8000_0000", "length": "1 MiB", "count": 200},
      {"smmu": 1, "sid": 9, "base": "0x8000_0000", "length": "1 MiB", "count": 200}
    ],
    "driver_ops": [
      {"at": "50 us", "cpu": 1, "op": "unmap", "domain": "vm", "iova": "0x8010_0000",
       "size": "1 MiB"}
    ]
  })");
  const Scenario sc = read_scenario(doc);
  Soc soc("soc", sc);
  soc.run();
  const json r = build_report(soc);
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);  // the traffic stays in the first MiB
  const json& drv = r["driver"];
  EXPECT_EQ(u(drv["domains"]), 1u);
  for (unsigned i = 0; i < 2; ++i) {
    EXPECT_EQ(u(drv["smmus"][i]["vmids_in_use"]), 1u) << i;
    EXPECT_EQ(u(r["smmus"][i]["commands"]["TLBI_S2_IPA"]), 1u) << i;  // the 2 MiB block's range
  }
  ASSERT_EQ(drv["ops"].size(), 1u);
  EXPECT_EQ(drv["ops"][0]["status"], "ok");
  EXPECT_EQ(drv["ops"][0]["cpu"], 1);
  EXPECT_EQ(drv["ops"][0]["domain"], "vm");
  EXPECT_FALSE(drv["ops"][0].contains("sid"));
  EXPECT_GE(u(drv["ops"][0]["start_ns"]), u(drv["setup_ns"]) + 50000);
  // One page table: both STEs point at the same S2 table (S2TTB, STE word 3).
  const uint64_t ttb0 = soc.memory.read64(soc.driver()->device(0).ste_address(5) + 24);
  const uint64_t ttb1 = soc.memory.read64(soc.driver()->device(1).ste_address(9) + 24);
  EXPECT_NE(ttb0, 0u);
  EXPECT_EQ(ttb0, ttb1);
}

// A valid scenario the driver cannot set up: 256 stage-2 streams on an SMMU with 8-bit
// VMIDs (255). The run still reports, names the failure and exits 1.
TEST(SmmuSim, DriverSetUpFailureExitsOneWithTheReason) {
  json doc = json::parse(R"({"smmus": [{"features": {"vmid16": false}}], "streams": []})");
  for (unsigned i = 0; i < 256; ++i)
    doc["streams"].push_back({{"sid", i}, {"translation", "s2"}});
  const std::string path = temp_path("vmids.json");
  {
    std::ofstream f(path);
    f << doc.dump();
  }
  std::string out, err;
  EXPECT_EQ(run_cli({path, "--json", temp_path("vmids_report.json")}, out, err), 1);
  EXPECT_EQ(err, "smmu-sim: driver set-up failed: scenario.streams[255]: attach: no free ASID or VMID\n");
  const json r = read_json(temp_path("vmids_report.json"));
  EXPECT_EQ(r["driver"]["error"], "scenario.streams[255]: attach: no free ASID or VMID");
  EXPECT_EQ(u(r["driver"]["smmus"][0]["vmids_in_use"]), 255u);
  EXPECT_NE(out.find("driver:"), std::string::npos);
  std::remove(path.c_str());
  std::remove(temp_path("vmids_report.json").c_str());
}

// A run stopped at any time reports what exists: before the driver probed or reset the
// SMMU (no command queue, no tags yet), during the set-up, and in the middle of a
// driver op. Each run is its own process.
TEST(SmmuSim, EarlyDurationsReportWhatExists) {
  const std::vector<std::string> small = {"--quiet", "--set", "traffic=[]", "--set",
                                          "ats_devices[0].traffic[0].count=20"};
  const std::string full_path = temp_path("full.json");
  std::vector<std::string> args = small;
  args.insert(args.end(), {"--json", full_path});
  ASSERT_EQ(run_cli_in_child(args), 0);
  const json full = read_json(full_path);
  const uint64_t setup_ns = u(full["driver"]["setup_ns"]);
  const uint64_t op_start = u(full["driver"]["ops"][1]["start_ns"]);
  ASSERT_GT(u(full["driver"]["ops"][1]["duration_ns"]), 1u);
  for (const std::string d : {"1 ns", "10 ns", "1 us", "3 us", "20 us"}) {
    SCOPED_TRACE(d);
    const std::string path = temp_path("early.json");
    args = small;
    args.insert(args.end(), {"--set", "duration=\"" + d + "\"", "--json", path});
    ASSERT_EQ(run_cli_in_child(args), 0);
    const json r = read_json(path);
    EXPECT_FALSE(r["traffic_done"].get<bool>());
    EXPECT_EQ(r["sim_time_ns"].get<double>(), static_cast<double>(parse_time_ps(d)) / 1000);
    EXPECT_EQ(u(r["dma"]["transactions"]), 0u);
    const json& drv = r["driver"];
    EXPECT_FALSE(drv["setup_finished"].get<bool>());
    EXPECT_EQ(u(drv["setup_ns"]), 0u);
    ASSERT_EQ(drv["smmus"].size(), 1u);
    if (d == "1 ns" || d == "10 ns") {  // before the reset allocated the queue
      EXPECT_FALSE(drv["smmus"][0]["enabled"].get<bool>());
      EXPECT_EQ(u(drv["smmus"][0]["commands_issued"]), 0u);
    }
    for (const json& op : drv["ops"]) {
      EXPECT_EQ(op["status"], "not started");
      EXPECT_EQ(u(op["duration_ns"]), 0u);
    }
    std::remove(path.c_str());
  }
  // 1 ns into the invalidation (it waits for the ATS device's answer).
  const std::string path = temp_path("mid_op.json");
  args = small;
  args.insert(args.end(), {"--set", "duration=" + std::to_string(op_start + 1), "--json", path});
  ASSERT_EQ(run_cli_in_child(args), 0);
  const json r = read_json(path);
  const json& drv = r["driver"];
  EXPECT_TRUE(drv["setup_finished"].get<bool>());
  EXPECT_EQ(u(drv["setup_ns"]), setup_ns);
  EXPECT_TRUE(drv["smmus"][0]["enabled"].get<bool>());
  EXPECT_EQ(drv["ops"][0]["status"], "ok");
  EXPECT_EQ(drv["ops"][1]["status"], "unfinished");
  EXPECT_EQ(u(drv["ops"][1]["start_ns"]), op_start);
  EXPECT_EQ(u(drv["ops"][1]["duration_ns"]), 0u);
  std::remove(path.c_str());
  std::remove(full_path.c_str());
}

// 100 000 levels of [ or {, in a file or a --set value: exit 2 with one line that names
// the limit (no stack overflow while the message is built).
TEST(SmmuSim, DeeplyNestedScenarioExitsTwo) {
  const std::string path = temp_path("deep.json");
  for (const std::string& text : {std::string(100000, '[') + std::string(100000, ']'),
                                  "{\"streams\": " + std::string(100000, '[') + std::string(100000, ']') + "}",
                                  [] {  // unterminated
                                    std::string t;
                                    for (int i = 0; i < 100000; ++i) t += "{\"a\": ";
                                    return t;
                                  }()}) {
    {
      std::ofstream f(path);
      f << text;
    }
    std::string out, err;
    EXPECT_EQ(run_cli({path}, out, err), 2);
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err.substr(0, 300);
    EXPECT_NE(err.find("nested deeper than 64 levels (the limit)"), std::string::npos) << err.substr(0, 300);
    EXPECT_EQ(out, "");
  }
  std::string out, err;
  EXPECT_EQ(run_cli({"--set", "streams=" + std::string(100000, '[') + std::string(100000, ']')}, out, err), 2);
  EXPECT_EQ(err.rfind("--set \"streams=[[[", 0), 0u) << err.substr(0, 300);
  EXPECT_NE(err.find("nested deeper than 64 levels (the limit)"), std::string::npos);
  EXPECT_LT(err.size(), 300u);
  std::remove(path.c_str());
}

// An ATS device that never answers invalidations: the CMD_SYNC after the driver's
// ATC_INV fails (ATC_INV_SYNC), and the inv_range op says so instead of "ok".
TEST(SmmuSim, FailedAtcInvalidationIsTheOpsStatus) {
  const Scenario sc = default_with({"traffic=[]", "ats_devices[0].traffic[0].count=20",
                                    "ats_devices[0].answer_invalidations=false",
                                    "smmus[0].timing.atc_inv_timeout=\"5 us\""});
  const json r = run_report(sc);
  const json& ops = r["driver"]["ops"];
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]["status"], "ok");  // sid 1: no ATS
  EXPECT_EQ(ops[1]["op"], "inv_range");
  EXPECT_EQ(ops[1]["status"], "ATC invalidation timeout");
  EXPECT_GE(u(ops[1]["duration_ns"]), 5000u);  // it waited for the SMMU's timeout
  // The set-up's ATC flush (before ATS was enabled) and the op's both timed out.
  EXPECT_EQ(u(r["smmus"][0]["atc_inv_timeouts"]), 2u);
  EXPECT_EQ(u(r["smmus"][0]["command_errors"]["atc_inv_sync"]), 2u);
}

// Hostile command lines and files: every one exits 2 with one line naming what is wrong.
TEST(SmmuSim, HostileInputsExitTwoWithOneLine) {
  const std::string dir = testing::TempDir();
  const std::vector<std::vector<std::string>> cases = {
      {dir},                                  // a directory
      {"/nonexistent/s.json"},                // missing
      {"--json"},                             // no value
      {"--set"},
      {"--set", "=1"},
      {"--set", "a"},
      {"--set", "streams[99]={}"},            // past the end
      {"--set", "streams[0]=1"},              // not an object
      {"--set", "streams=[]", "--set", "traffic[0].sid=9"},
      {"--set", "traffic=7"},
      {"--set", "traffic={}"},
      {"--set", "smmus=[]"},
      {"--set", "cpus.count=0"},
      {"--set", "cpus.count=65"},
      {"--set", "memory.size=-1"},
      {"--set", "memory.size=\"1 TiB\""},
      {"--set", "duration=\"-1 ns\""},
      {"--set", "duration=\"1e3 ns\""},
      {"--set", "quantum=\"1 fs\""},
      {"--set", "traffic[0].count=\"0x1_0000_0000_0000_0000\""},
      {"--set", "traffic[0].outstanding=0"},
      {"--set", "driver_ops[0].iova=\"0xFFFF_FFFF_FFFF_F000\""},
      {"--set", "driver_ops[0].size=0"},
      {"--set", "streams[0].mappings[0].size=0"},
      {"--set", "streams[0].sid=4294967296"},
      {"--set", "smmus[0].ports=1000000"},
      {"--set", "smmus[0].main_tlb.sets=1073741824"},
      {"--set", "ats_devices[0].port=0"},
      {"--set", "extra=1"},
      {"a.json", "b.json"},
      {"--scenario", ""},
      {"--vcd", ""},
      {"--trace", dir},
      {"--trace", "t.json", "--trace-limit", "0"},
      {"--trace", "t.json", "--trace-limit", "-5"},
      {"--trace", "t.json", "--trace-limit", "lots"},
      {"--trace", "t.json", "--trace-limit", "99999999999999999999999"},
      {"--trace", "t.json", "--trace-limit"},
      {"--trace-limit", "10"},  // nothing to limit
  };
  for (const auto& args : cases) {
    std::string all;
    for (const std::string& a : args) all += a + " ";
    SCOPED_TRACE(all);
    std::string out, err;
    EXPECT_EQ(run_cli(args, out, err), 2);
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(out, "");
  }
}

// --- TBU layouts (smmus[].tbus).

// scenarios/two_tbus.json: the same walks through a TBU 8 ns from the TCU and one 200 ns
// away (their streams have the same layout, and the far one runs after the near one).
TEST(SmmuSim, TwoTbusExampleShowsTheFarTbusRoundTrip) {
  const Scenario sc = read_scenario(load_scenario_document(SMMU_SCENARIO_DIR "/two_tbus.json", {}));
  const json r = run_report(sc);
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
  ASSERT_EQ(r["devices"].size(), 2u);
  const json& near = r["devices"][0]["latency_ns"];
  const json& far = r["devices"][1]["latency_ns"];
  // The first page: uTLB 1 + DTI 8 + config 2 + L1STD, STE, CD 150 + main TLB 3 + walk
  // cache 2 + 4 descriptors 200 + DTI 8 + the read 50 = 424 ns. Every other page (a new
  // page each time): uTLB 1 + DTI 8 + config 2 + main TLB 3 + walk cache 2 (hit down to
  // the last level) + 1 descriptor 50 + DTI 8 + the read 50 = 124 ns.
  EXPECT_EQ(near["max"].get<double>(), 424.0);
  EXPECT_EQ(near["min"].get<double>(), 124.0);
  // The far TBU: the same plus 2 * (200 - 8) ns of DTI round trip on every miss.
  const double extra = 2 * (200.0 - 8.0);
  EXPECT_EQ(far["max"].get<double>(), 424.0 + extra);
  EXPECT_EQ(far["min"].get<double>(), 124.0 + extra);
  EXPECT_EQ(far["mean"].get<double>(), near["mean"].get<double>() + extra);
  const json& tbus = r["smmus"][0]["tbus"];
  ASSERT_EQ(tbus.size(), 2u);
  for (unsigned j = 0; j < 2; ++j) {
    EXPECT_EQ(tbus[j]["ports"], json::array({j}));
    EXPECT_EQ(u(tbus[j]["micro_tlb"]["misses"]), 64u);  // every access a new page
    EXPECT_EQ(u(tbus[j]["micro_tlb"]["hits"]), 0u);
    EXPECT_EQ(u(tbus[j]["dti_requests"]), 64u);
    EXPECT_TRUE(tbus[j]["main_tlb"].is_null());
    EXPECT_EQ(u(tbus[j]["dti_syncs"]), 0u);
    EXPECT_EQ(u(tbus[j]["token_stalls"]), 0u);
  }
}

// A TBU serving ports [1, 0] (binding 0 is port 1), with a main TLB and one DTI token:
// port 0's traffic fills binding 1's micro TLB, the TBU's main TLB holds the pages the
// 4-entry micro TLB lost, and four outstanding misses wait for the one token.
TEST(SmmuSim, TbuMainTlbTokensAndPortOrderAreReported) {
  const json doc = json::parse(R"({"setup": "tables",
    "smmus": [{"ports": 2, "micro_tlb": {"entries": 4},
               "tbus": [{"ports": [1, 0], "main_tlb": {"sets": 4, "ways": 4},
                         "max_translations": 1}]}],
    "streams": [{"sid": 1, "mappings": [{"iova": "0x10000", "pa": "0x100000", "size": "64 KiB",
                                          "blocks": false}]}],
    "traffic": [{"port": 0, "sid": 1, "base": "0x10000", "length": "64 KiB", "pattern": "strided",
                 "stride": 4096, "count": 32, "outstanding": 4}]
  })");
  const Scenario sc = read_scenario(doc);
  Soc soc("soc", sc);
  soc.run();
  const json r = build_report(soc);
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
  const json& t = r["smmus"][0]["tbus"];
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]["ports"], json::array({1, 0}));
  // Two passes over 16 pages: the micro TLB (4 entries) misses all 32; the main TLB
  // (16 entries) misses the first pass and hits the second, so 16 DTI requests.
  EXPECT_EQ(u(t[0]["micro_tlb"]["misses"]), 32u);
  EXPECT_EQ(u(t[0]["main_tlb"]["misses"]), 16u);
  EXPECT_EQ(u(t[0]["main_tlb"]["hits"]), 16u);
  EXPECT_EQ(u(t[0]["dti_requests"]), 16u);
  // In the first pass every miss but the first finds the token held by another thread.
  EXPECT_EQ(u(t[0]["token_stalls"]), 15u);
  EXPECT_GT(t[0]["token_wait_ns"].get<double>(), 0.0);
  // Port 0 is binding 1 of the TBU: its micro TLB holds the entries, port 1's none.
  auto entries = [&](unsigned port) {
    unsigned n = 0;
    soc.smmus[0]->micro_tlb(port).for_each([&](const auto&) { ++n; });
    return n;
  };
  EXPECT_EQ(entries(0), 4u);
  EXPECT_EQ(entries(1), 0u);
}

// Without tbus the report still has the one TBU, serving every port; with no TBU main
// TLB every micro-TLB miss is a DTI request. The text report shows it too.
TEST(SmmuSim, DefaultLayoutReportsItsOneTbu) {
  const Scenario sc = default_with({});
  const json r = run_report(sc);
  const json& s = r["smmus"][0];
  ASSERT_EQ(s["tbus"].size(), 1u);
  const json& t = s["tbus"][0];
  EXPECT_EQ(t["ports"], json::array({0, 1, 2}));
  EXPECT_TRUE(t["main_tlb"].is_null());
  EXPECT_GT(u(t["dti_requests"]), 0u);
  EXPECT_EQ(u(t["dti_requests"]), u(s["micro_tlb"]["misses"]));
  EXPECT_EQ(u(t["micro_tlb"]["hits"]), u(s["micro_tlb"]["hits"]));
  std::ostringstream text;
  print_report(r, text);
  EXPECT_NE(text.str().find("tbus[0]:"), std::string::npos);
  EXPECT_NE(text.str().find("dti_requests"), std::string::npos);
}

// --- PASIDs and SVA (setup "driver").

// scenarios/pasids_ats.json: an ATS device at its RID and two PASIDs (three domains) and
// a DMA master in a process's address space (SVA at PASID 5); both driver ops unmap a
// page nobody touches. No fault; one ASID per domain; the PASID domain's unmap sent an
// ATC_INV (with the RID's attach: 2 in all).
TEST(SmmuSim, PasidsAndSvaExampleRunsWithoutFaults) {
  const Scenario sc = read_scenario(load_scenario_document(SMMU_SCENARIO_DIR "/pasids_ats.json", {}));
  const json r = run_report(sc);
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
  EXPECT_EQ(u(r["dma"]["transactions"]), 1280u);
  const json& d = r["driver"];
  EXPECT_EQ(u(d["attaches"]), 2u);        // two masters' RIDs (one blocked)
  EXPECT_EQ(u(d["pasid_attaches"]), 3u);  // PASIDs 1 and 2, and the SVA binding
  EXPECT_EQ(u(d["smmus"][0]["asids_in_use"]), 4u);
  EXPECT_EQ(u(d["smmus"][0]["events"]), 0u);
  for (const json& o : d["ops"]) EXPECT_EQ(o["status"], "ok");
  EXPECT_EQ(u(r["smmus"][0]["atc_inv_sent"]), 2u);
  EXPECT_EQ(u(r["devices"][0]["invalidations_answered"]), 2u);
}

// --- golden reports (--write-golden, --expect)

namespace {

// Two CPUs, one SMMU, a device (sid 1) with an empty DMA domain and a dma_api workload
// of 10 maps and unmaps per CPU on it.
Scenario workload_scenario(const std::vector<std::string>& overrides) {
  json doc = json::parse(R"({
    "cpus": {"count": 2},
    "streams": [{"sid": 1, "translation": "s1"}],
    "workloads": [{"kind": "dma_api", "cpus": [0, 1], "sid": 1, "count": 10, "io": "1 us"}]
  })");
  for (const std::string& o : overrides) apply_override(doc, o);
  return read_scenario(doc);
}

}  // namespace

TEST(SmmuSimGolden, PassesOnARerunAndListsWhatMovedWhenAParameterChanges) {
  const std::string golden = temp_path("golden.json"), out = temp_path("golden_out.txt");
  ASSERT_EQ(run_cli_in_child({"-q", "--write-golden", golden}), 0);
  const json g = read_json(golden);
  EXPECT_EQ(g["format"], "smmu-sim golden 1");
  EXPECT_TRUE(g["scenario"].is_object());
  EXPECT_FALSE(g["report"].contains("scenario"));
  // Rerun from the golden alone: its scenario runs and matches to the last key.
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", golden}, out), 0);
  EXPECT_NE(read_text(out).find("matches"), std::string::npos);
  // One parameter changed: exit 3, each difference as "key: golden -> now".
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", golden, "--set", "smmus[0].main_tlb.ways=2"}, out), 3);
  const std::string text = read_text(out);
  EXPECT_NE(text.find("scenario.smmus[0].main_tlb.ways: (absent) -> 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("smmus[0].main_tlb.evictions: 0 -> "), std::string::npos) << text;
  EXPECT_NE(text.find(" differences from "), std::string::npos) << text;
}

TEST(SmmuSimGolden, CompareAndIgnoreListsChooseTheKeys) {
  const std::string golden = temp_path("golden_rules.json"), out = temp_path("golden_rules_out.txt");
  ASSERT_EQ(run_cli_in_child({"-q", "--write-golden", golden}), 0);
  json g = read_json(golden);
  g["compare"] = {"dma.transactions", "devices[*].faults"};
  std::ofstream(golden) << g.dump();
  // More TLB ways change hit counts and latencies, not the transaction or fault counts.
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", golden, "--set", "smmus[0].main_tlb.ways=2"}, out), 0);
  g["compare"] = json::array();
  g["ignore"] = {"scenario", "smmus", "devices", "dma", "translation", "memory", "sim_time_ns"};
  std::ofstream(golden) << g.dump();
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", golden, "--set", "smmus[0].main_tlb.ways=2"}, out), 0)
      << read_text(out);
}

TEST(SmmuSimGolden, ABadGoldenIsBadInput) {
  const std::string bad = temp_path("golden_bad.json"), out = temp_path("golden_bad_out.txt");
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", temp_path("no_such_golden.json")}, out), 2);
  std::ofstream(bad) << R"({"format": "smmu-sim golden 1", "scenario": {}, "report": {}, "compare": 5})";
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", bad}, out), 2);
  EXPECT_NE(read_text(out).find("compare"), std::string::npos);
  std::ofstream(bad) << R"({"report": {}})";
  EXPECT_EQ(run_cli_in_child_to({"-q", "--expect", bad}, out), 2);
  EXPECT_NE(read_text(out).find("not a golden report"), std::string::npos);
}

TEST(SmmuSim, StrictDmaApiWorkloadGivesExactFigures) {
  const json r = run_report(workload_scenario({}));
  EXPECT_TRUE(r["traffic_done"].get<bool>());
  ASSERT_EQ(r["workloads"].size(), 1u);
  const json& w = r["workloads"][0];
  EXPECT_EQ(w["policy"], "strict");
  EXPECT_TRUE(w["finished"].get<bool>());
  EXPECT_EQ(u(w["ops"]), 20u);
  EXPECT_EQ(u(w["errors"]), 0u);
  EXPECT_EQ(u(r["smmus"][0]["faults"]), 0u);
  EXPECT_EQ(u(r["smmus"][0]["transactions"]), 20u);  // one 4 KiB write per map
  ASSERT_EQ(w["per_cpu"].size(), 2u);
  for (const json& c : w["per_cpu"]) {
    EXPECT_EQ(u(c["ops"]), 10u);
    EXPECT_DOUBLE_EQ(c["rate"].get<double>(), 10e9 / c["time_ns"].get<double>());
  }
  EXPECT_EQ(u(w["per_cpu"][0]["time_ns"]), 13478u);
  EXPECT_EQ(u(w["per_cpu"][1]["time_ns"]), 13624u);
  EXPECT_DOUBLE_EQ(w["rate_per_cpu"]["mean"].get<double>(), (10e9 / 13478 + 10e9 / 13624) / 2);
  EXPECT_EQ(u(w["start_ns"]), 2792u);  // the set-up's end
  // Every unmap invalidated and waited: one latency sample each.
  const json& lat = w["inv_latency_ns"];
  EXPECT_EQ(u(lat["count"]), 20u);
  EXPECT_EQ(u(lat["p50"]), 142u);
  EXPECT_EQ(u(lat["max"]), 142u);
  EXPECT_EQ(u(w["flushes"]), 0u);
  // The locked queue: each unmap a TLBI and a CMD_SYNC, no CAS.
  EXPECT_EQ(u(w["cmdq"]["commands"]), 20u);
  EXPECT_EQ(u(w["cmdq"]["syncs"]), 20u);
  EXPECT_EQ(u(w["cmdq"]["cas_attempts"]), 0u);
  EXPECT_EQ(u(w["cmdq"]["full_waits"]), 0u);
  // The run lasts until the workload is done.
  EXPECT_EQ(u(w["end_ns"]), u(r["sim_time_ns"]));
}

TEST(SmmuSim, LazyDmaApiWorkloadFlushesItsRingsAndCountsCasRetries) {
  const json r = run_report(workload_scenario(
      {"driver.cmdq_design=\"cas_loop\"", "workloads[0].policy=\"lazy\"", "workloads[0].fq_entries=4",
       "workloads[0].buffer=\"8 KiB\""}));
  const json& w = r["workloads"][0];
  EXPECT_TRUE(w["finished"].get<bool>());
  EXPECT_EQ(u(w["ops"]), 20u);
  EXPECT_EQ(u(w["errors"]), 0u);
  EXPECT_EQ(u(r["smmus"][0]["faults"]), 0u);
  EXPECT_EQ(u(r["smmus"][0]["transactions"]), 40u);  // two pages per map
  // Each CPU's ring of 4 fills twice in 10 unmaps; the last CPU drains the rest.
  EXPECT_EQ(u(w["full_flushes"]), 4u);
  EXPECT_EQ(u(w["drain_flushes"]), 1u);
  EXPECT_EQ(u(w["flushes"]), 5u);
  EXPECT_EQ(u(w["walk_flushes"]), 0u);  // the domain keeps its emptied tables
  EXPECT_EQ(u(w["inv_latency_ns"]["count"]), 5u);
  EXPECT_EQ(u(w["inv_latency_ns"]["p50"]), 964u);
  // A flush is one domain invalidation and a CMD_SYNC through the CAS loop.
  EXPECT_EQ(u(w["cmdq"]["syncs"]), 5u);
  EXPECT_GE(u(w["cmdq"]["cas_attempts"]), 5u);
  EXPECT_EQ(u(w["cmdq"]["reservations"]), 5u);
}

TEST(SmmuSim, DurationStopsADmaApiWorkloadCleanly) {
  // Stopped in the middle of lazy unmaps: the report says what was done; teardown does
  // not flush.
  const json r = run_report(workload_scenario(
      {"duration=\"40 us\"", "workloads[0].policy=\"lazy\"", "workloads[0].count=1000"}));
  const json& w = r["workloads"][0];
  EXPECT_FALSE(w["finished"].get<bool>());
  EXPECT_GT(u(w["ops"]), 0u);
  EXPECT_LT(u(w["ops"]), 2000u);
  EXPECT_EQ(u(w["errors"]), 0u);
}

TEST(SmmuSim, DmaApiExampleRunsClean) {
  std::string out, err;
  const std::string json_path = temp_path("dma_api.json");
  ASSERT_EQ(run_cli({SMMU_SCENARIO_DIR "/dma_api.json", "--json", json_path}, out, err), 0) << err;
  EXPECT_EQ(err, "");
  EXPECT_NE(out.find("workloads[1]:"), std::string::npos);
  const json r = read_json(json_path);
  std::remove(json_path.c_str());
  EXPECT_EQ(u(r["dma"]["faults"]), 0u);
  EXPECT_EQ(u(r["smmus"][0]["faults"]), 0u);
  EXPECT_EQ(u(r["dma"]["transactions"]), 4000u);  // the generator's; the workloads' DMA is not a device's
  ASSERT_EQ(r["workloads"].size(), 2u);
  for (const json& w : r["workloads"]) {
    EXPECT_TRUE(w["finished"].get<bool>());
    EXPECT_EQ(u(w["ops"]), 400u);
    EXPECT_EQ(u(w["errors"]), 0u);
    EXPECT_GT(w["rate_per_cpu"]["min"].get<double>(), 0.0);
  }
  EXPECT_EQ(r["workloads"][0]["policy"], "strict");
  EXPECT_EQ(u(r["workloads"][0]["inv_latency_ns"]["count"]), 400u);
  EXPECT_EQ(r["workloads"][1]["policy"], "lazy");
  EXPECT_GT(u(r["workloads"][1]["full_flushes"]), 0u);
  EXPECT_GT(u(r["workloads"][1]["cmdq"]["reservations"]), 0u);  // fetch_add
}

TEST(SmmuSim, ExhaustedIovaSpaceIsCountedNotFatal) {
  // Room for two 1 MiB buffers, and lazy unmaps keep theirs until the drain: each CPU's
  // first map succeeds, the other 18 find no IOVA space.
  const json r = run_report(workload_scenario(
      {"workloads[0].policy=\"lazy\"", "workloads[0].buffer=\"1 MiB\"", "workloads[0].iova_base=\"0x100_0000\"",
       "workloads[0].iova_limit=\"0x120_0000\""}));
  const json& w = r["workloads"][0];
  EXPECT_TRUE(w["finished"].get<bool>());
  EXPECT_EQ(u(w["ops"]), 2u);
  EXPECT_EQ(u(w["map_failures"]), 18u);
  EXPECT_EQ(u(w["errors"]), 18u);
  EXPECT_EQ(u(w["dma_faults"]), 0u);
  EXPECT_EQ(u(w["drain_flushes"]), 1u);
  EXPECT_EQ(u(r["smmus"][0]["faults"]), 0u);
  EXPECT_EQ(u(r["smmus"][0]["transactions"]), 2u * 256);  // every 4 KiB page of the two buffers
}

// Any report can be rerun and placed: it carries its scenario, the tool's version and
// the report layout's; latencies come with their histogram.
TEST(SmmuSim, JsonReportCarriesVersionsAndHistograms) {
  const std::string path = temp_path("versions.json");
  ASSERT_EQ(run_cli_in_child({"-q", "--json", path}), 0);
  const json r = read_json(path);
  EXPECT_EQ(r["version"], smmu::platform::kVersion);
  EXPECT_EQ(r["schema_version"], smmu::platform::kReportSchemaVersion);
  EXPECT_TRUE(r["scenario"].is_object());
  const json& h = r["devices"][0]["latency_ns"]["histogram"];
  ASSERT_FALSE(h.empty());
  uint64_t total = 0;
  for (const json& bin : h) total += bin[1].get<uint64_t>();
  EXPECT_EQ(total, r["devices"][0]["latency_ns"]["count"].get<uint64_t>());
}

// --log: the model's sc_report messages on stderr, none by default, and the run the same.
TEST(SmmuSim, LogHighShowsEventsWithoutChangingTheRun) {
  const std::string scenario = std::string(SMMU_SCENARIO_DIR) + "/faults_driver.json";
  const std::string quiet = temp_path("log_quiet.txt"), loud = temp_path("log_loud.txt");
  const std::string a = temp_path("log_a.json"), b = temp_path("log_b.json");
  ASSERT_EQ(run_cli_in_child_to({"-q", "--json", a, scenario}, quiet), 0);
  ASSERT_EQ(run_cli_in_child_to({"-q", "--log", "debug", "--json", b, scenario}, loud), 0);
  EXPECT_EQ(read_text(quiet).find("smmuv3/"), std::string::npos);
  const std::string text = read_text(loud);
  EXPECT_NE(text.find("smmuv3/event: soc.smmu0.tcu @"), std::string::npos);
  EXPECT_NE(text.find("event F_PERMISSION sid 0x2"), std::string::npos);
  EXPECT_NE(text.find("smmuv3/command: "), std::string::npos);
  EXPECT_EQ(read_json(a).dump(), read_json(b).dump());
  EXPECT_EQ(run_cli_in_child_to({"-q", "--log", "loud", scenario}, loud), 2);
}

// --log MODULE=LEVEL: a level for one module and what is under it; DTI and ATS traffic
// at debug; a module set lower than the global level stays quiet.
TEST(SmmuSim, LogPerModuleLevelsAndDtiAtsTraffic) {
  const std::string scenario = std::string(SMMU_SCENARIO_DIR) + "/pasids_ats.json";
  const std::string loud = temp_path("log_module.txt"), silenced = temp_path("log_silenced.txt");
  ASSERT_EQ(run_cli_in_child_to({"-q", "--log", "soc.smmu0=debug", scenario}, loud), 0);
  const std::string text = read_text(loud);
  EXPECT_NE(text.find("smmuv3/dti: soc.smmu0.tcu @"), std::string::npos);
  EXPECT_NE(text.find(": translated pa 0x"), std::string::npos);
  EXPECT_NE(text.find("smmuv3/ats: soc.smmu0.tcu @"), std::string::npos);
  EXPECT_NE(text.find("ATS request sid 0x"), std::string::npos);
  EXPECT_NE(text.find("smmuv3/command: soc.smmu0.tcu @"), std::string::npos);
  // Every message comes from the module asked for.
  size_t lines = 0;
  for (size_t at = text.find("smmuv3/"); at != std::string::npos; at = text.find("\nsmmuv3/", at + 1)) {
    const size_t colon = text.find(": ", at);
    ASSERT_NE(colon, std::string::npos);
    EXPECT_EQ(text.compare(colon + 2, 10, "soc.smmu0."), 0) << text.substr(at, 80);
    ++lines;
  }
  EXPECT_GT(lines, 10u);
  // "soc.smmu" is not a prefix of "soc.smmu0" in the hierarchy: nothing from it.
  ASSERT_EQ(run_cli_in_child_to({"-q", "--log", "soc.smmu=debug", scenario}, silenced), 0);
  EXPECT_EQ(read_text(silenced).find("smmuv3/"), std::string::npos);
  ASSERT_EQ(run_cli_in_child_to({"-q", "--log", "debug", "--log", "soc.smmu0=none", scenario}, silenced), 0);
  EXPECT_EQ(read_text(silenced).find("smmuv3/"), std::string::npos);
  EXPECT_EQ(run_cli_in_child_to({"-q", "--log", "=debug", scenario}, silenced), 2);
  EXPECT_EQ(run_cli_in_child_to({"-q", "--log", "soc.smmu0=loud", scenario}, silenced), 2);
}

namespace {
// The line of register `name` in a --dump-registers block ("" when absent).
std::string dump_line(const std::string& out, const std::string& name) {
  const std::string key = "\n  " + name + " = ";
  const size_t at = out.find(key);
  if (at == std::string::npos) return "";
  return out.substr(at + 3, out.find('\n', at + 1) - at - 3);
}
// The text of field `field` in a dump line ("" when absent).
std::string dump_field(const std::string& line, const std::string& field) {
  const size_t at = line.find(" " + field + "=");
  if (at == std::string::npos) return "";
  const size_t from = at + field.size() + 2;
  return line.substr(from, line.find(' ', from) - from);
}
}  // namespace

// --dump-registers prints the registers as the run left them on stdout, after the text
// report, and leaves the JSON report as it is without the option.
TEST(SmmuSim, DumpRegistersPrintsTheRegistersAfterTheReport) {
  const std::string plain = temp_path("plain.json"), dumped = temp_path("dumped.json");
  ASSERT_EQ(run_cli_in_child({"--quiet", "--json", plain}), 0);  // its own kernel
  std::string out, err;
  ASSERT_EQ(run_cli({"--dump-registers", "--json", dumped}, out, err), 0) << err;
  EXPECT_EQ(err, "");
  const size_t report = out.find("sim_time_ns");
  const size_t regs = out.find("\nregisters of soc.smmu0:\n");
  ASSERT_NE(report, std::string::npos);
  ASSERT_NE(regs, std::string::npos) << out;
  EXPECT_LT(report, regs);
  EXPECT_EQ(out.find("registers of soc.smmu1:"), std::string::npos);  // one SMMU
  // The platform's set-up enabled translation and both queues; the driver's commands
  // were all consumed.
  EXPECT_EQ(dump_line(out, "SMMU_CR0"),
            "SMMU_CR0 = 0x0000000d  SMMUEN=1 PRIQEN=0 EVTQEN=1 CMDQEN=1 ATSCHK=0");
  EXPECT_EQ(dump_line(out, "SMMU_CR0ACK"),
            "SMMU_CR0ACK = 0x0000000d  SMMUEN=1 PRIQEN=0 EVTQEN=1 CMDQEN=1 ATSCHK=0");
  EXPECT_EQ(dump_line(out, "SMMU_IRQ_CTRL"),
            "SMMU_IRQ_CTRL = 0x00000005  GERROR_IRQEN=1 PRIQ_IRQEN=0 EVTQ_IRQEN=1");
  const std::string prod = dump_line(out, "SMMU_CMDQ_PROD"), cons = dump_line(out, "SMMU_CMDQ_CONS");
  ASSERT_NE(dump_field(prod, "WR"), "");
  EXPECT_NE(dump_field(prod, "WR"), "0x0");
  EXPECT_EQ(dump_field(prod, "WR"), dump_field(cons, "RD"));
  EXPECT_EQ(dump_field(cons, "ERR"), "0");
  EXPECT_EQ(dump_field(dump_line(out, "SMMU_GERROR"), "CMDQ_ERR"), "0");
  // One line per register after the heading, to the end of the output.
  size_t lines = 0;
  for (size_t i = regs + 1; i < out.size(); ++i) lines += out[i] == '\n';
  EXPECT_EQ(lines, 1u + 32u);
  EXPECT_EQ(read_json(plain), read_json(dumped));
  for (const std::string& p : {plain, dumped}) std::remove(p.c_str());
}

// With -q the dump is the whole output; ECMDQs show their registers, each queue the
// driver used enabled (EN and ENACK) and drained.
TEST(SmmuSim, DumpRegistersShowsTheEcmdqsAlone) {
  std::string out, err;
  ASSERT_EQ(run_cli({"-q", "--dump-registers", "--set", "cpus.count=2", "--set",
                     "smmus[0].features.ecmdqs=2", "--set", "driver.ecmdqs=2", "--set",
                     "driver_ops[0].cpu=1"},
                    out, err),
            0)
      << err;
  EXPECT_EQ(out.rfind("registers of soc.smmu0:\n", 0), 0u) << out;
  EXPECT_EQ(dump_field(dump_line(out, "SMMU_IDR1"), "ECMDQ"), "1");
  EXPECT_EQ(dump_field(dump_line(out, "SMMU_IDR6"), "LOG2NUMQ"), "1");
  for (const std::string n : {"0", "1"}) {
    const std::string prod = dump_line(out, "SMMU_ECMDQ_PROD" + n);
    const std::string cons = dump_line(out, "SMMU_ECMDQ_CONS" + n);
    EXPECT_EQ(dump_field(prod, "EN"), "1") << prod;
    EXPECT_EQ(dump_field(cons, "ENACK"), "1") << cons;
    EXPECT_NE(dump_field(prod, "WR"), "0x0") << prod;
    EXPECT_EQ(dump_field(prod, "WR"), dump_field(cons, "RD")) << prod << " / " << cons;
    EXPECT_EQ(dump_field(cons, "ERR"), "0") << cons;
    EXPECT_NE(dump_field(dump_line(out, "SMMU_ECMDQ_BASE" + n), "LOG2SIZE"), "0");
  }
  EXPECT_EQ(dump_line(out, "SMMU_ECMDQ_PROD2"), "");  // two queues
}
