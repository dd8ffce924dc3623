// SPDX-License-Identifier: Apache-2.0
// traffic[].dmi on the simulated SoC: a generator that uses the DMI the SMMU grants moves
// the same data as one that goes through the SMMU for every access, with fewer SMMU
// transactions, and goes back through the SMMU once a TLBI or an unmap revokes the
// pointer. Each TEST elaborates its own SoC (one SystemC kernel per process).
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "platform/scenario/scenario.h"
#include "platform/report/sim_report.h"
#include "platform/run/smmu_sim.h"
#include "platform/soc/soc.h"
#include "rtl_model/mem/traffic_stream.h"

using namespace smmu::platform;
using nlohmann::json;
using smmu::model::traffic_pattern_byte;

namespace {

constexpr uint64_t kIova = 0x4000'0000, kPa = 0x1000'0000, kBytes = 16 * 1024;  // 4 pages
constexpr uint32_t kSid = 1, kOtherSid = 99;  // memory starts with kOtherSid's pattern
constexpr unsigned kSize = 64;

uint64_t u(const json& v) { return v.get<uint64_t>(); }

// One stage-1 stream of 4 KiB pages (iova kIova -> kPa) and one generator on it:
// sequential accesses of kSize bytes over the 4 pages, half of them writes, two passes.
json tables_doc(bool dmi, const std::string& commands) {
  json doc = json::parse(R"({"setup": "tables", "smmus": [{"ports": 1}],
    "streams": [{"sid": 1, "mappings": [{"iova": "0x4000_0000", "pa": "0x1000_0000",
                                          "size": "16 KiB", "blocks": false}]}],
    "traffic": [{"sid": 1, "base": "0x4000_0000", "length": "16 KiB", "size": 64,
                 "count": 512, "write_fraction": 0.5, "seed": 3}]})");
  doc["traffic"][0]["dmi"] = dmi;
  if (!commands.empty()) doc["commands"] = json::parse(commands);
  return doc;
}

// Checks every access's data as it completes (reads see what this stream wrote before,
// else the other stream's pattern memory started with), and the memory at the end.
class DataCheck {
 public:
  explicit DataCheck(Soc& soc) : soc_(soc) {
    for (uint64_t off = 0; off < kBytes; off += 8) {
      uint64_t v = 0;
      for (unsigned k = 0; k < 8; ++k)
        v |= uint64_t{traffic_pattern_byte(kOtherSid, kIova + off + k)} << (8 * k);
      soc.memory.write64(kPa + off, v);
    }
    auto& gen = *soc.devices.at(0)->generator;
    auto chained = gen.on_complete;  // the SoC's latency statistics
    gen.on_complete = [this, chained](const tlm::tlm_generic_payload& gp, sc_core::sc_time t) {
      check(gp);
      chained(gp, t);
    };
  }

  void check_memory() const {
    for (uint64_t off = 0; off < kBytes; ++off) {
      const uint64_t va = kIova + off;
      const uint8_t want = traffic_pattern_byte(written_.count(va) ? kSid : kOtherSid, va);
      const uint8_t got = static_cast<uint8_t>(soc_.memory.read64((kPa + off) & ~7ull) >> (8 * (off & 7)));
      ASSERT_EQ(got, want) << "at iova 0x" << std::hex << va;
    }
  }
  uint64_t reads = 0, writes = 0, errors = 0;

 private:
  void check(const tlm::tlm_generic_payload& gp) {
    if (!gp.is_response_ok()) {
      ++errors;
      return;
    }
    const uint64_t va = gp.get_address();
    for (unsigned k = 0; k < gp.get_data_length(); ++k) {
      if (gp.is_write()) {
        written_.insert(va + k);
      } else {
        const uint8_t want = traffic_pattern_byte(written_.count(va + k) ? kSid : kOtherSid, va + k);
        EXPECT_EQ(gp.get_data_ptr()[k], want) << "read at iova 0x" << std::hex << va + k;
      }
    }
    ++(gp.is_write() ? writes : reads);
  }

  Soc& soc_;
  std::set<uint64_t> written_;
};

struct DmiRun {
  json report;
  std::vector<TransactionRecord> through_smmu;  // what the tap saw, in order
  uint64_t reads = 0, writes = 0;
};

DmiRun run_tables(bool dmi, const std::string& commands) {
  Soc soc("soc", read_scenario(tables_doc(dmi, commands)));
  DmiRun r;
  soc.on_transaction = [&r](const TransactionRecord& t) { r.through_smmu.push_back(t); };
  DataCheck data(soc);
  soc.run();
  data.check_memory();
  EXPECT_EQ(data.errors, 0u);
  r.reads = data.reads;
  r.writes = data.writes;
  r.report = build_report(soc);
  return r;
}

// Runs the program function with argv = {"smmu-sim", args...}.
int run_cli(const std::vector<std::string>& args, std::string& err) {
  std::vector<std::string> storage{"smmu-sim"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  std::ostringstream o, e;
  const int rc = run_smmu_sim(static_cast<int>(argv.size()), argv.data(), o, e);
  err = e.str();
  return rc;
}

}  // namespace

// Without dmi every access is an SMMU transaction, and the report has no DMI counters.
TEST(TrafficDmi, WithoutDmiEveryAccessGoesThroughTheSmmu) {
  const DmiRun r = run_tables(false, "");
  EXPECT_EQ(r.reads + r.writes, 512u);
  EXPECT_GT(r.writes, 0u);
  EXPECT_GT(r.reads, 0u);
  EXPECT_EQ(r.through_smmu.size(), 512u);
  EXPECT_EQ(u(r.report["smmus"][0]["transactions"]), 512u);
  EXPECT_EQ(u(r.report["smmus"][0]["dmi_grants"]), 0u);
  EXPECT_FALSE(r.report["dma"].contains("dmi_accesses"));
  EXPECT_FALSE(r.report["devices"][0].contains("dmi_accesses"));
}

// With dmi the first access to each page goes through the SMMU (it marks the page
// DMI-allowed); the generator then asks for the page and does the other 127 accesses of
// the two passes through the pointer. Same data (DataCheck), 4 SMMU transactions.
TEST(TrafficDmi, DmiMovesTheSameDataWithOneSmmuTransactionPerPage) {
  const DmiRun r = run_tables(true, "");
  EXPECT_EQ(r.reads + r.writes, 512u);
  ASSERT_EQ(r.through_smmu.size(), 4u);
  for (unsigned p = 0; p < 4; ++p) EXPECT_EQ(r.through_smmu[p].address, kIova + p * 4096);
  const json& dma = r.report["dma"];
  EXPECT_EQ(u(dma["transactions"]), 512u);
  EXPECT_EQ(u(dma["dmi_accesses"]), 508u);
  EXPECT_EQ(u(dma["faults"]), 0u);
  EXPECT_EQ(u(r.report["smmus"][0]["transactions"]), 4u);
  EXPECT_EQ(u(r.report["smmus"][0]["dmi_grants"]), 4u);
  EXPECT_EQ(u(r.report["devices"][0]["dmi_accesses"]), 508u);
  EXPECT_EQ(u(r.report["devices"][0]["dmi_invalidations"]), 0u);
  // A DMI access takes the memory's 50 ns plus a micro-TLB hit (1 ns).
  EXPECT_EQ(r.report["translation"]["latency_ns"]["min"].get<double>(), 51.0);
}

// A TLBI of page 0 during the first pass (pages take ~3.3 us each) revokes that page's
// pointer: the second pass goes back through the SMMU for page 0 (once; it is granted
// again), and keeps using the other pages' pointers.
TEST(TrafficDmi, RevokedPageGoesBackThroughTheSmmu) {
  const DmiRun r = run_tables(true, R"([{"at": "5 us", "commands": [
      {"op": "TLBI_NH_VA", "asid": 1, "addr": "0x4000_0000"}, {"op": "CMD_SYNC"}]}])");
  ASSERT_EQ(r.through_smmu.size(), 5u);
  for (unsigned p = 0; p < 4; ++p) EXPECT_EQ(r.through_smmu[p].address, kIova + p * 4096);
  EXPECT_EQ(r.through_smmu[4].address, kIova);  // the second pass's first access
  EXPECT_GT(r.through_smmu[4].start.to_seconds(), 5e-6);
  const json& s = r.report["smmus"][0];
  EXPECT_EQ(u(s["commands"]["TLBI_NH_VA"]), 1u);
  EXPECT_EQ(u(s["transactions"]), 5u);
  EXPECT_EQ(u(s["dmi_grants"]), 5u);
  EXPECT_EQ(u(r.report["devices"][0]["dmi_invalidations"]), 1u);
  EXPECT_EQ(u(r.report["dma"]["dmi_accesses"]), 507u);
}

// The driver unmaps the stream's pages while its generator reads them through DMI: the
// unmap's invalidation revokes the pointers, so every access from then on goes through
// the SMMU and faults (a stale pointer would keep reading the freed pages).
TEST(TrafficDmi, UnmapRevokesAndLaterAccessesFault) {
  const json doc = json::parse(R"({"smmus": [{"ports": 1}],
    "streams": [{"sid": 1, "mappings": [{"iova": "0x4000_0000", "pa": "0x1000_0000",
                                          "size": "16 KiB", "blocks": false}]}],
    "traffic": [{"sid": 1, "base": "0x4000_0000", "length": "16 KiB", "size": 64,
                 "count": 2000, "dmi": true}],
    "driver_ops": [{"at": "20 us", "op": "unmap", "sid": 1, "iova": "0x4000_0000",
                    "size": "16 KiB"}]})");
  Soc soc("soc", read_scenario(doc));
  std::vector<bool> ok;
  auto& gen = *soc.devices.at(0)->generator;
  auto chained = gen.on_complete;
  gen.on_complete = [&ok, chained](const tlm::tlm_generic_payload& gp, sc_core::sc_time t) {
    ok.push_back(gp.is_response_ok());
    chained(gp, t);
  };
  soc.run();
  const json r = build_report(soc);
  ASSERT_EQ(ok.size(), 2000u);
  size_t first_fault = 0;
  while (first_fault < ok.size() && ok[first_fault]) ++first_fault;
  ASSERT_LT(first_fault, ok.size());
  ASSERT_GT(first_fault, 4u);
  for (size_t i = first_fault; i < ok.size(); ++i) ASSERT_FALSE(ok[i]) << "access " << i;
  const uint64_t faults = ok.size() - first_fault;
  const json& s = r["smmus"][0];
  EXPECT_EQ(u(r["dma"]["faults"]), faults);
  EXPECT_EQ(u(s["faults"]), faults);
  EXPECT_EQ(u(s["transactions"]) + u(r["dma"]["dmi_accesses"]), 2000u);
  EXPECT_GE(u(r["devices"][0]["dmi_invalidations"]), 1u);
  EXPECT_EQ(r["driver"]["ops"][0]["status"], "ok");
}

TEST(TrafficDmi, BadValuesExitTwoNamingTheKey) {
  std::string err;
  EXPECT_EQ(run_cli({"--set", "traffic[0].dmi=1"}, err), 2);
  EXPECT_EQ(err, "scenario.traffic[0].dmi: expected true or false, got 1\n");
  EXPECT_EQ(run_cli({"--set", "traffic[0].dmi=\"yes\""}, err), 2);
  EXPECT_EQ(err, "scenario.traffic[0].dmi: expected true or false, got \"yes\"\n");
  // ATS devices translate through ATS: their traffic has no dmi key.
  EXPECT_EQ(run_cli({"--set", "ats_devices[0].traffic[0].dmi=true"}, err), 2);
  EXPECT_EQ(err.rfind("scenario.ats_devices[0].traffic[0].dmi: unknown key", 0), 0u) << err;
}
