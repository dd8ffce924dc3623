// SPDX-License-Identifier: Apache-2.0
// The driver's event handler in smmu-sim (set-up "driver"): a fault storm is drained as
// it arrives and loses nothing; a slow handler on a tiny queue overflows, acknowledges
// and keeps counting; one slower than the whole run still gets the last drain, and the
// run ends when the traffic does; global errors are handled and counted.
// Every test elaborates SystemC: one TEST each (one kernel per process).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/config/config_reader.h"
#include "platform/scenario/scenario.h"
#include "platform/report/sim_report.h"
#include "platform/soc/soc.h"

using namespace smmu::platform;
using nlohmann::json;

namespace {

// scenarios/faults_driver.json as shipped: 4 000 reads of an unmapped IOVA (sid 1),
// 500 writes to a read-only stage-2 mapping (sid 2), 100 reads from a StreamID beyond
// the stream table (70000), beside 2 000 good reads.
constexpr uint64_t kUnmapped = 4000, kReadOnly = 500, kBadSid = 100;
constexpr uint64_t kFaults = kUnmapped + kReadOnly + kBadSid;

Scenario faults_scenario(const std::vector<std::string>& overrides = {}) {
  return read_scenario(load_scenario_document(SMMU_SCENARIO_DIR "/faults_driver.json", overrides));
}

uint64_t u(const json& v) { return v.get<uint64_t>(); }

struct RunResult {
  json report;
  double stopped_ps = 0;  // SystemC time when the simulation stopped
};

RunResult run_soc(const Scenario& sc) {
  Soc soc("soc", sc);
  soc.run();
  return RunResult{build_report(soc), sc_core::sc_time_stamp() / sc_core::sc_time(1, sc_core::SC_PS)};
}

}  // namespace

TEST(DriverEvents, FaultStormIsDrainedAsItArrivesAndLosesNothing) {
  const RunResult r = run_soc(faults_scenario());
  const json& rep = r.report;
  ASSERT_TRUE(rep["traffic_done"].get<bool>());
  EXPECT_EQ(u(rep["dma"]["faults"]), kFaults);
  const json& s = rep["smmus"][0];
  EXPECT_EQ(u(s["faults"]), kFaults);
  EXPECT_EQ(u(s["events"]), kFaults);  // the 128-entry queue never overflowed
  EXPECT_EQ(u(s["events_lost"]), 0u);
  const json& d = rep["driver"]["smmus"][0];
  EXPECT_EQ(u(d["events"]), kFaults);
  EXPECT_EQ(d["events_by_type"],
            json({{"F_TRANSLATION", kUnmapped}, {"F_PERMISSION", kReadOnly}, {"C_BAD_STREAMID", kBadSid}}));
  EXPECT_EQ(u(d["event_overflows"]), 0u);
  EXPECT_EQ(u(d["gerrors"]), 0u);
  // One interrupt each time the queue became non-empty; the handler took each (one
  // drain reading records) and the stop (its last drain found the queue empty).
  EXPECT_EQ(u(s["evtq_irqs"]), 76u);
  const json& h = rep["driver"]["event_handler"];
  EXPECT_EQ(u(h["cpu"]), 1u);  // the CPU after cpus.count = 1
  EXPECT_EQ(u(h["wakeups"]), 77u);
  EXPECT_EQ(u(h["drains"]), 76u);
  EXPECT_TRUE(h["finished"].get<bool>());
  ASSERT_EQ(d["event_log"].size(), 16u);
  EXPECT_EQ(d["event_log"][0],
            "F_PERMISSION sid=0x2 addr=0x80000000 write data unpriv stage=2 class=IN ipa=0x80000000");
  // The run ends when the traffic does (the handler is no work of it); the simulation
  // stops after the handler's last drain (GERROR, GERRORN, EVTQ_CONS, EVTQ_PROD reads:
  // 16 ns) and the 1 ps step that puts the last values in the waves.
  EXPECT_EQ(rep["sim_time_ns"].get<double>(), 119002.0);
  EXPECT_EQ(r.stopped_ps, 119018001.0);
}

TEST(DriverEvents, SlowHandlerOnATinyQueueOverflowsAcknowledgesAndKeepsCounting) {
  // 8 records and 2 us from each interrupt to the drain: the storm fills the queue long
  // before the handler comes; each of its 26 drains reads a full queue and acknowledges
  // an overflow, and the queue's next record raises the interrupt again.
  const RunResult r = run_soc(faults_scenario(
      {"smmus[0].features.evtq_log2_entries=3", "driver.event_handler_delay=\"2 us\""}));
  const json& rep = r.report;
  ASSERT_TRUE(rep["traffic_done"].get<bool>());
  const json& s = rep["smmus"][0];
  const json& d = rep["driver"]["smmus"][0];
  EXPECT_EQ(u(s["faults"]), kFaults);
  EXPECT_EQ(u(s["events"]), 208u);
  EXPECT_EQ(u(s["events_lost"]), 4392u);
  EXPECT_EQ(u(s["evtq_irqs"]), 26u);
  EXPECT_EQ(u(s["events"]) + u(s["events_lost"]), kFaults);
  EXPECT_EQ(u(d["events"]), u(s["events"]));  // every record written was drained
  EXPECT_EQ(u(d["event_overflows"]), 26u);
  EXPECT_EQ(u(d["events"]), 8u * u(d["event_overflows"]));
  EXPECT_EQ(d["events_by_type"],
            json({{"F_TRANSLATION", 130}, {"F_PERMISSION", 70}, {"C_BAD_STREAMID", 8}}));
  // It recovered each time: records of every kind were counted after the first overflow
  // (the bad StreamID's traffic starts 5 us in, after it).
  EXPECT_EQ(u(rep["driver"]["event_handler"]["drains"]), 26u);
  EXPECT_EQ(u(rep["driver"]["event_handler"]["wakeups"]), 27u);  // and the stop
  // The traffic's timing does not depend on the handler.
  EXPECT_EQ(rep["sim_time_ns"].get<double>(), 119002.0);
}

TEST(DriverEvents, HandlerSlowerThanTheRunStillDrainsAtTheEndAndDoesNotHoldTheRun) {
  // The handler would respond a second after its first interrupt: what the queue held
  // (128 records, then an overflow: the user's "128 written, the rest lost") is drained
  // by the stop, at the end of the traffic, which cuts the handler's wait short.
  const RunResult r = run_soc(faults_scenario({"driver.event_handler_delay=\"1 s\""}));
  const json& rep = r.report;
  ASSERT_TRUE(rep["traffic_done"].get<bool>());
  const json& s = rep["smmus"][0];
  const json& d = rep["driver"]["smmus"][0];
  EXPECT_EQ(u(s["events"]), 128u);
  EXPECT_EQ(u(s["events_lost"]), kFaults - 128);
  EXPECT_EQ(u(s["evtq_irqs"]), 1u);
  EXPECT_EQ(u(d["events"]), 128u);
  EXPECT_EQ(u(d["event_overflows"]), 1u);
  EXPECT_EQ(u(rep["driver"]["event_handler"]["wakeups"]), 1u);
  EXPECT_EQ(u(rep["driver"]["event_handler"]["drains"]), 1u);
  EXPECT_TRUE(rep["driver"]["event_handler"]["finished"].get<bool>());
  EXPECT_EQ(rep["sim_time_ns"].get<double>(), 119002.0);
  // The last drain read 128 records (2 ns each, cached) besides the registers.
  EXPECT_EQ(r.stopped_ps, 119286001.0);
}

TEST(DriverEvents, GlobalErrorsAreHandledAndCounted) {
  // An ATS device that never answers invalidations: the set-up's ATC flush times out
  // (CMDQ_ERR, CERROR_ATC_INV_SYNC), as does the inv_range op's.
  const Scenario sc = read_scenario(load_scenario_document(
      "", {"traffic=[]", "ats_devices[0].traffic[0].count=20", "ats_devices[0].answer_invalidations=false",
           "smmus[0].timing.atc_inv_timeout=\"5 us\""}));
  const RunResult r = run_soc(sc);
  const json& rep = r.report;
  EXPECT_EQ(u(rep["smmus"][0]["gerror_irqs"]), 2u);
  const json& d = rep["driver"]["smmus"][0];
  EXPECT_EQ(u(d["gerrors"]), 2u);
  EXPECT_EQ(u(d["events"]), 0u);
  EXPECT_EQ(d["events_by_type"], json::object());
  EXPECT_EQ(rep["driver"]["ops"][1]["status"], "ATC invalidation timeout");
}
