// SPDX-License-Identifier: Apache-2.0
// Reading smmu-sim scenarios: defaults, every key, unknown keys and bad values named by
// their path, overrides, cross references, and the checks on streams and mappings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/config/config_reader.h"
#include "platform/scenario/scenario.h"
#include "rtl_model/arch/command.h"

using namespace smmu;
using namespace smmu::platform;
using nlohmann::json;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMiB = uint64_t{1} << 20;

// The ConfigError message of reading doc, or "" when it reads.
std::string error_of(const json& doc) {
  try {
    read_scenario(doc);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// The error of the default scenario with overrides applied.
std::string driver_error_with(const std::vector<std::string>& overrides) {
  try {
    read_scenario(load_scenario_document("", overrides));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// The same with setup "tables" (where tags and raw commands are the scenario's).
std::string error_with(const std::vector<std::string>& overrides) {
  std::vector<std::string> all{"setup=\"tables\"", "driver_ops=[]"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return driver_error_with(all);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The message starts with the expected text (path first, then the reason).
#define EXPECT_ERROR(msg, prefix) EXPECT_PRED2(starts_with, msg, prefix)

// A small valid scenario to modify.
json base_doc() {
  return json::parse(R"({
    "smmus": [{"ports": 2}],
    "streams": [
      {"sid": 1, "translation": "s1",
       "mappings": [{"iova": "0x10000", "pa": "0x100000", "size": "64 KiB"}]}
    ],
    "traffic": [{"sid": 1, "base": "0x10000", "length": "64 KiB", "count": 10}]
  })");
}

}  // namespace

TEST(Scenario, EmptyDocumentGivesDefaults) {
  const Scenario sc = read_scenario(json::object());
  EXPECT_EQ(sc.duration, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(sc.quantum, sc_time(1000, SC_NS));
  EXPECT_EQ(sc.memory.size, 4 * kGiB);
  EXPECT_EQ(sc.memory.read_latency, sc_time(50, SC_NS));
  EXPECT_EQ(sc.memory.write_latency, sc_time(50, SC_NS));
  EXPECT_EQ(sc.interconnect.latency, sc_core::SC_ZERO_TIME);
  ASSERT_EQ(sc.smmus.size(), 1u);
  EXPECT_EQ(sc.smmus[0].ports, 1u);
  const model::SmmuParams def;
  const model::SmmuParams& p = sc.smmus[0].params;
  EXPECT_EQ(p.features.oas_bits, def.features.oas_bits);
  EXPECT_TRUE(p.features.raz_wi_termination);  // IDR0.TERM_MODEL = 0
  EXPECT_FALSE(p.features.va52);               // IDR5.VAX = 0
  EXPECT_EQ(p.features.sid_bits, def.features.sid_bits);
  EXPECT_EQ(p.features.evtq_log2_entries, def.features.evtq_log2_entries);
  EXPECT_EQ(p.timing.clock_period, def.timing.clock_period);
  EXPECT_EQ(p.timing.walk_slots, def.timing.walk_slots);
  EXPECT_EQ(p.main_tlb.sets, def.main_tlb.sets);
  EXPECT_EQ(p.micro_tlb.entries, def.micro_tlb.entries);
  EXPECT_TRUE(p.grant_dmi);
  EXPECT_FALSE(sc.smmus[0].atschk);
  EXPECT_TRUE(sc.streams.empty());
  EXPECT_TRUE(sc.traffic.empty());
  EXPECT_TRUE(sc.ats_devices.empty());
  EXPECT_TRUE(sc.commands.empty());
  EXPECT_EQ(sc.table_region_base(), 4 * kGiB - 256 * kMiB);
}

TEST(Scenario, StreamAndTrafficDefaults) {
  json doc = json::parse(R"({"streams": [{}], "traffic": [{}]})");
  const Scenario sc = read_scenario(doc);
  ASSERT_EQ(sc.streams.size(), 1u);
  const StreamSpec& s = sc.streams[0];
  EXPECT_EQ(s.smmu, 0u);
  EXPECT_EQ(s.sid, 0u);
  EXPECT_EQ(s.translation, Translation::kS1);
  EXPECT_EQ(s.granule_shift, 12u);
  EXPECT_EQ(s.asid, 0u);
  EXPECT_EQ(s.ssids, std::vector<uint32_t>{0});
  EXPECT_FALSE(s.substreams());
  EXPECT_TRUE(s.mappings.empty());
  EXPECT_FALSE(s.ats);
  EXPECT_EQ(s.vmid, 0u);  // stage 1 only: VMID 0, as Linux
  ASSERT_EQ(sc.traffic.size(), 1u);
  const model::TrafficStream& t = sc.traffic[0].stream;
  EXPECT_EQ(sc.traffic[0].port, 0u);
  EXPECT_EQ(t.length, 4096u);
  EXPECT_EQ(t.pattern, model::TrafficStream::kSequential);
  EXPECT_EQ(t.size, 64u);
  EXPECT_EQ(t.count, 1000u);
  EXPECT_EQ(t.outstanding, 1u);
  EXPECT_EQ(t.seed, 1u);
  EXPECT_EQ(t.write_fraction, 0.0);
  EXPECT_FALSE(t.ssv);
  EXPECT_FALSE(t.privileged);
}

TEST(Scenario, DefaultScenarioReads) {
  const Scenario sc = read_scenario(default_scenario_json());
  ASSERT_EQ(sc.smmus.size(), 1u);
  EXPECT_EQ(sc.smmus[0].ports, 3u);
  ASSERT_EQ(sc.streams.size(), 4u);
  EXPECT_EQ(sc.streams[0].translation, Translation::kS1);
  EXPECT_EQ(sc.streams[1].translation, Translation::kS2);
  EXPECT_EQ(sc.streams[2].translation, Translation::kNested);
  EXPECT_EQ(sc.setup, Setup::kDriver);
  EXPECT_EQ(sc.cpus.count, 1u);
  EXPECT_EQ(sc.driver.completion, "msi");
  EXPECT_FALSE(sc.driver.inv_all_then_wait);
  EXPECT_FALSE(sc.streams[0].ats);
  EXPECT_TRUE(sc.streams[3].ats);
  // The ATS device on port 2 and the invalidation batch.
  ASSERT_EQ(sc.ats_devices.size(), 1u);
  const AtsDeviceSpec& d = sc.ats_devices[0];
  EXPECT_EQ(d.port, 2u);
  EXPECT_EQ(d.params.sid, 4u);
  EXPECT_EQ(d.params.quantum, sc.quantum);
  ASSERT_EQ(d.params.traffic.size(), 1u);
  EXPECT_EQ(d.params.traffic[0].sid, 4u);
  EXPECT_EQ(d.params.traffic[0].count, 2000u);
  EXPECT_TRUE(sc.commands.empty());
  ASSERT_EQ(sc.driver_ops.size(), 2u);
  EXPECT_EQ(sc.driver_ops[0].at, sc_time(30, sc_core::SC_US));
  EXPECT_EQ(sc.driver_ops[0].op, DriverOpSpec::Op::kRemap);
  EXPECT_EQ(sc.driver_ops[0].stream, 0u);
  EXPECT_EQ(sc.driver_ops[0].size, 128 * 1024u);
  EXPECT_EQ(sc.driver_ops[1].op, DriverOpSpec::Op::kInvRange);
  EXPECT_EQ(sc.driver_ops[1].stream, 3u);
  EXPECT_EQ(sc.streams[0].mappings.at(0).size, 8 * kMiB);
  EXPECT_FALSE(sc.streams[0].mappings.at(0).blocks);
  EXPECT_TRUE(sc.streams[1].mappings.at(0).blocks);
  // A nested mapping's IPA defaults to its PA.
  EXPECT_EQ(sc.streams[2].mappings.at(0).ipa, sc.streams[2].mappings.at(0).pa);
  ASSERT_EQ(sc.traffic.size(), 3u);
  EXPECT_EQ(sc.traffic[1].port, 1u);
  EXPECT_EQ(sc.traffic[1].stream.pattern, model::TrafficStream::kRandom);
  EXPECT_EQ(sc.traffic[2].stream.stride, 0x1040u);
  EXPECT_EQ(sc.traffic[0].stream.write_fraction, 0.3);
  // The text shown by --print-default-scenario is what runs.
  EXPECT_NE(default_scenario_text().find("\"traffic\""), std::string::npos);
}

TEST(Scenario, EveryKeyIsRead) {
  const json doc = json::parse(R"({
    "setup": "tables",
    "duration": "20 us", "quantum": 500,
    "memory": {"size": "2 GiB", "read_latency": "40 ns", "write_latency": "30 ns"},
    "interconnect": {"latency": "3 ns"},
    "smmus": [{
      "ports": 3, "grant_dmi": false, "atschk": true,
      "features": {"stage1": true, "stage2": true, "ats": true, "msi": false, "sev": false,
                   "hyp": false, "range_invalidation": false, "two_level_stream_table": false,
                   "two_level_cd_table": false, "coherent": false, "asid16": false,
                   "vmid16": false, "gran4k": true, "gran16k": false, "gran64k": true,
                   "raz_wi_termination": false, "va52": true,
                   "oas_bits": 40, "sid_bits": 12, "ssid_bits": 8,
                   "cmdq_log2_entries": 6, "evtq_log2_entries": 5},
      "timing": {"clock_period": "2 ns", "micro_tlb_cycles": 2, "link_cycles": 4,
                 "config_cache_cycles": 5, "main_tlb_cycles": 6, "walk_cache_cycles": 7,
                 "register_cycles": 8, "translation_slots": 9, "walk_slots": 10,
                 "command_cycles": 11, "command_fetch_batch": 12,
                 "invalidation_cycles_per_set": 13, "invalidation_cycles_per_page": 14,
                 "atc_inv_timeout": "5 us"},
      "micro_tlb": {"entries": 8, "policy": "fifo"},
      "main_tlb": {"sets": 64, "ways": 8, "policy": "random"},
      "walk_cache": {"sets": 32, "ways": 2, "policy": "fifo"},
      "config_cache": {"sets": 4, "ways": 2, "policy": "lru"}
    }],
    "streams": [
      {"smmu": 0, "sid": 7, "translation": "nested", "granule": "64 KiB", "asid": 200,
       "vmid": 100, "ssids": [0, 9], "ats": true,
       "mappings": [{"iova": "0x1_0000", "pa": "0x20_0000", "ipa": "0x4000_0000",
                     "size": "0x2_0000", "blocks": false, "read_only": true}]},
      {"sid": 8, "translation": "bypass"},
      {"sid": 9, "translation": "abort"}
    ],
    "traffic": [{"smmu": 0, "port": 2, "sid": 7, "ssid": 9, "ssv": true, "base": "0x1_0000",
                 "length": "128 KiB", "pattern": "strided", "stride": 8192, "size": 32,
                 "write_fraction": 0.25, "count": 77, "outstanding": 3, "start": "1 us",
                 "gap": "10 ns", "seed": 42, "privileged": true, "instruction": true}],
    "ats_devices": [{"smmu": 0, "port": 1, "sid": 7, "pcie_round_trip": "300 ns",
                     "ats_enabled": false, "answer_invalidations": false,
                     "atc": {"sets": 8, "ways": 2, "policy": "fifo", "lookup": "3 ns"},
                     "traffic": [{"ssid": 9, "ssv": true, "base": "0x1_0000", "length": "64 KiB",
                                  "pattern": "random", "stride": 128, "size": 16,
                                  "write_fraction": 0.5, "count": 5, "outstanding": 2,
                                  "start": "2 us", "gap": "1 ns", "seed": 3,
                                  "privileged": true, "instruction": false}]}],
    "commands": [{"smmu": 0, "at": "4 us", "commands": [
      {"op": "TLBI_NH_VA", "vmid": 100, "asid": 200, "addr": "0x1_0000", "leaf": true, "tg": 3,
       "ttl": 3, "num": 5, "scale": 2},
      {"op": "TLBI_S2_IPA", "vmid": 100, "ipa": "0x4000_0000"},
      {"op": "CFGI_STE_RANGE", "sid": 7, "range": 31},
      {"op": "ATC_INV", "sid": 7, "ssid": 9, "ssv": true, "global": true, "addr": "0x1_0000",
       "size": 4},
      {"op": "CMD_SYNC", "cs": "sev"}
    ]}]
  })");
  const Scenario sc = read_scenario(doc);  // finish() found no unknown key
  EXPECT_EQ(sc.duration, sc_time(20000, SC_NS));
  EXPECT_EQ(sc.quantum, sc_time(500, SC_NS));
  EXPECT_EQ(sc.memory.size, 2 * kGiB);
  EXPECT_EQ(sc.memory.write_latency, sc_time(30, SC_NS));
  EXPECT_EQ(sc.interconnect.latency, sc_time(3, SC_NS));
  const SmmuSpec& s = sc.smmus.at(0);
  EXPECT_EQ(s.ports, 3u);
  EXPECT_FALSE(s.params.grant_dmi);
  EXPECT_FALSE(s.params.features.gran16k);
  EXPECT_FALSE(s.params.features.two_level_stream_table);
  EXPECT_FALSE(s.params.features.raz_wi_termination);
  EXPECT_TRUE(s.params.features.va52);
  EXPECT_EQ(s.params.features.oas_bits, 40u);
  EXPECT_EQ(s.params.features.evtq_log2_entries, 5u);
  EXPECT_EQ(s.params.timing.clock_period, sc_time(2, SC_NS));
  EXPECT_EQ(s.params.timing.walk_slots, 10u);
  EXPECT_EQ(s.params.timing.invalidation_cycles_per_page, 14u);
  EXPECT_EQ(s.params.timing.atc_inv_timeout, sc_time(5000, SC_NS));
  EXPECT_EQ(s.params.micro_tlb.entries, 8u);
  EXPECT_EQ(s.params.micro_tlb.policy, model::ReplacementPolicy::kFifo);
  EXPECT_EQ(s.params.main_tlb.policy, model::ReplacementPolicy::kRandom);
  EXPECT_EQ(s.params.walk_cache.sets, 32u);
  EXPECT_EQ(s.params.config_cache.ways, 2u);
  const StreamSpec& st = sc.streams.at(0);
  EXPECT_EQ(st.translation, Translation::kNested);
  EXPECT_EQ(st.granule_shift, 16u);
  EXPECT_EQ(st.asid, 200u);
  EXPECT_EQ(st.vmid, 100u);
  EXPECT_TRUE(st.substreams());
  EXPECT_EQ(st.mappings.at(0).ipa, 0x40000000u);
  EXPECT_TRUE(st.mappings.at(0).read_only);
  EXPECT_EQ(sc.streams.at(1).translation, Translation::kBypass);
  EXPECT_EQ(sc.streams.at(2).translation, Translation::kAbort);
  const model::TrafficStream& t = sc.traffic.at(0).stream;
  EXPECT_EQ(sc.traffic[0].port, 2u);
  EXPECT_EQ(t.ssid, 9u);
  EXPECT_EQ(t.stride, 8192u);
  EXPECT_EQ(t.count, 77u);
  EXPECT_EQ(t.start_time, sc_time(1000, SC_NS));
  EXPECT_EQ(t.gap, sc_time(10, SC_NS));
  EXPECT_TRUE(t.instruction);

  EXPECT_TRUE(s.atschk);
  EXPECT_TRUE(st.ats);
  ASSERT_EQ(sc.ats_devices.size(), 1u);
  const AtsDeviceSpec& d = sc.ats_devices[0];
  EXPECT_EQ(d.port, 1u);
  EXPECT_EQ(d.params.sid, 7u);
  EXPECT_EQ(d.params.pcie_round_trip, sc_time(300, SC_NS));
  EXPECT_FALSE(d.params.ats_enabled);
  EXPECT_FALSE(d.params.answer_invalidations);
  EXPECT_EQ(d.params.quantum, sc_time(500, SC_NS));  // the scenario's
  EXPECT_EQ(d.params.atc.sets, 8u);
  EXPECT_EQ(d.params.atc.ways, 2u);
  EXPECT_EQ(d.params.atc.policy, model::ReplacementPolicy::kFifo);
  EXPECT_EQ(d.params.atc.lookup, sc_time(3, SC_NS));
  ASSERT_EQ(d.params.traffic.size(), 1u);
  const model::TrafficStream& at = d.params.traffic[0];
  EXPECT_EQ(at.sid, 7u);  // the device's
  EXPECT_EQ(at.ssid, 9u);
  EXPECT_TRUE(at.ssv);
  EXPECT_EQ(at.pattern, model::TrafficStream::kRandom);
  EXPECT_EQ(at.size, 16u);
  EXPECT_EQ(at.count, 5u);
  EXPECT_EQ(at.outstanding, 2u);
  EXPECT_EQ(at.start_time, sc_time(2000, SC_NS));
  EXPECT_EQ(at.seed, 3u);
  EXPECT_TRUE(at.privileged);

  ASSERT_EQ(sc.commands.size(), 1u);
  const CommandBatchSpec& b = sc.commands[0];
  EXPECT_EQ(b.at, sc_time(4000, SC_NS));
  ASSERT_EQ(b.commands.size(), 5u);
  // Each command is the architectural encoding of its fields.
  const arch::Command va = b.commands[0];
  EXPECT_EQ(va.opcode(), arch::Opcode::kTlbiNhVa);
  EXPECT_EQ(va.vmid(), 100u);
  EXPECT_EQ(va.asid(), 200u);
  EXPECT_EQ(va.addr(), 0x10000u);
  EXPECT_TRUE(va.leaf());
  EXPECT_EQ(va.tg(), 3u);
  EXPECT_EQ(va.ttl(), 3u);
  EXPECT_EQ(va.num(), 5u);
  EXPECT_EQ(va.scale(), 2u);
  EXPECT_EQ(va, arch::Command(arch::Opcode::kTlbiNhVa).set_vmid(100).set_asid(200).set_addr(0x10000)
                    .set_leaf(true).set_tg(3).set_ttl(3).set_num(5).set_scale(2));
  EXPECT_EQ(b.commands[1], arch::Command(arch::Opcode::kTlbiS2Ipa).set_vmid(100).set_ipa(0x40000000));
  EXPECT_EQ(b.commands[2], arch::Command(arch::Opcode::kCfgiSteRange).set_sid(7).set_range(31));
  EXPECT_EQ(b.commands[3], arch::Command(arch::Opcode::kAtcInv).set_sid(7).set_ssid(9).set_ssv(true)
                               .set_global(true).set_addr(0x10000).set_size(4));
  EXPECT_EQ(b.commands[4], arch::Command(arch::Opcode::kSync).set_cs(arch::SyncCs::kSev));
  for (const arch::Command& c : b.commands) EXPECT_TRUE(arch::command_reserved_bits_clear(c));
}

TEST(Scenario, AtsDeviceAndCommandDefaults) {
  const json doc = json::parse(R"({
    "setup": "tables",
    "smmus": [{"ports": 2}],
    "streams": [{"sid": 1}, {"sid": 2, "translation": "s2"}],
    "ats_devices": [{"port": 1, "sid": 1, "traffic": [{}]}],
    "commands": [{"commands": [{"op": "CMD_SYNC"}, {"op": "TLBI_NH_ALL"}, {"op": "ATC_INV"}]}]
  })");
  const Scenario sc = read_scenario(doc);
  EXPECT_EQ(sc.streams[1].vmid, 2u);  // stage 2: the SID
  ASSERT_EQ(sc.ats_devices.size(), 1u);
  const AtsDeviceSpec& d = sc.ats_devices[0];
  const model::AtsEndpointParams def;
  EXPECT_EQ(d.smmu, 0u);
  EXPECT_EQ(d.params.pcie_round_trip, sc_time(500, SC_NS));
  EXPECT_EQ(d.params.pcie_round_trip, def.pcie_round_trip);
  EXPECT_TRUE(d.params.ats_enabled);
  EXPECT_TRUE(d.params.answer_invalidations);
  EXPECT_EQ(d.params.atc.sets, 16u);
  EXPECT_EQ(d.params.atc.ways, 4u);
  EXPECT_EQ(d.params.atc.policy, model::ReplacementPolicy::kLru);
  EXPECT_EQ(d.params.atc.lookup, sc_time(2, SC_NS));
  ASSERT_EQ(d.params.traffic.size(), 1u);
  EXPECT_EQ(d.params.traffic[0].sid, 1u);
  EXPECT_EQ(d.params.traffic[0].count, 1000u);
  ASSERT_EQ(sc.commands.size(), 1u);
  EXPECT_EQ(sc.commands[0].smmu, 0u);
  EXPECT_EQ(sc.commands[0].at, sc_core::SC_ZERO_TIME);
  // Every field 0; a CMD_SYNC signals by IRQ (MSI) unless told otherwise.
  EXPECT_EQ(sc.commands[0].commands[0], arch::Command(arch::Opcode::kSync).set_cs(arch::SyncCs::kIrq));
  EXPECT_EQ(sc.commands[0].commands[1], arch::Command(arch::Opcode::kTlbiNhAll));
  EXPECT_EQ(sc.commands[0].commands[2], arch::Command(arch::Opcode::kAtcInv));
}

TEST(Scenario, EveryOpcodeNameParses) {
  unsigned known = 0;
  for (unsigned v = 0; v < 256; ++v) {
    if (!arch::opcode_known(static_cast<uint8_t>(v))) continue;
    ++known;
    const arch::Opcode op = static_cast<arch::Opcode>(v);
    arch::Opcode parsed{};
    ASSERT_TRUE(parse_opcode(arch::to_string(op), parsed)) << arch::to_string(op);
    EXPECT_EQ(parsed, op);
    // And a scenario may name it.
    json doc = base_doc();
    doc["setup"] = "tables";
    doc["commands"] = json::parse(R"([{"commands": [{}]}])");
    doc["commands"][0]["commands"][0]["op"] = arch::to_string(op);
    EXPECT_EQ(error_of(doc), "") << arch::to_string(op);
  }
  EXPECT_EQ(known, 22u);
  arch::Opcode ignored{};
  EXPECT_FALSE(parse_opcode("TLBI_NH_FOO", ignored));
  EXPECT_FALSE(parse_opcode("UNKNOWN", ignored));
}

TEST(Scenario, UnknownKeysAreNamedByPath) {
  EXPECT_ERROR(error_of(json{{"durations", "1 us"}}), "scenario.durations: unknown key");
  EXPECT_ERROR(error_with({"smmus[0].main_tlb.wayz=8"}),
               "scenario.smmus[0].main_tlb.wayz: unknown key (known here: policy, sets, ways)");
  EXPECT_ERROR(error_with({"smmus[0].timing.clock=\"2 ns\""}), "scenario.smmus[0].timing.clock: unknown key");
  EXPECT_ERROR(error_with({"streams[1].mappings[0].phys=0"}),
               "scenario.streams[1].mappings[0].phys: unknown key");
  EXPECT_ERROR(error_with({"traffic[2].burst=4"}), "scenario.traffic[2].burst: unknown key");
  EXPECT_ERROR(error_with({"memory.latency=\"1 ns\""}), "scenario.memory.latency: unknown key");
}

TEST(Scenario, BadValuesAreNamedByPath) {
  const struct {
    const char* set;
    const char* error;
  } cases[] = {
      {"duration=\"5 parsecs\"", "scenario.duration: bad time"},
      {"quantum=-1", "scenario.quantum: expected a non-negative time"},
      {"memory.size=\"256 MiB\"", "scenario.memory.size: expected a size in [512 MiB, 64 GiB]"},
      {"memory.size=\"3 MB\"", "scenario.memory.size: expected a size such as 4096"},
      {"memory.size=0x20100000", "scenario.memory.size: expected a multiple of 2 MiB"},
      {"smmus=[]", "scenario.smmus: expected at least one SMMU"},
      {"smmus[0].ports=0", "scenario.smmus[0].ports: expected an integer in [1, 64], got 0"},
      {"smmus[0].grant_dmi=1", "scenario.smmus[0].grant_dmi: expected true or false"},
      {"smmus[0].features.oas_bits=46", "scenario.smmus[0].features.oas_bits: expected one of 32"},
      {"smmus[0].features.va52=1", "scenario.smmus[0].features.va52: expected true or false"},
      {"smmus[0].features.raz_wi_termination=\"no\"",
       "scenario.smmus[0].features.raz_wi_termination: expected true or false"},
      {"smmus[0].features.sid_bits=33", "scenario.smmus[0].features.sid_bits: expected an integer in [0, 32]"},
      {"smmus[0].features.evtq_log2_entries=20", "scenario.smmus[0].features.evtq_log2_entries:"},
      {"smmus[0].timing.clock_period=0", "scenario.smmus[0].timing.clock_period: expected a time"},
      {"smmus[0].timing.walk_slots=0", "scenario.smmus[0].timing.walk_slots:"},
      {"smmus[0].main_tlb.sets=384", "scenario.smmus[0].main_tlb.sets: expected a power of two, got 384"},
      {"smmus[0].walk_cache.ways=0", "scenario.smmus[0].walk_cache.ways:"},
      {"smmus[0].micro_tlb.policy=\"plru\"", "scenario.smmus[0].micro_tlb.policy: expected one of \"lru\""},
      {"streams[0].translation=\"s3\"", "scenario.streams[0].translation: expected one of \"s1\""},
      {"streams[0].granule=8192", "scenario.streams[0].granule: expected 4096, 16384 or 65536"},
      {"streams[0].asid=65536", "scenario.streams[0].asid: expected an integer in [0, 65535]"},
      {"streams[0].ssids=[]", "scenario.streams[0].ssids: expected at least one SubstreamID"},
      {"streams[0].ssids=[1,1]", "scenario.streams[0].ssids: SubstreamID 1 given twice"},
      {"streams[0].ssids=[1048576]", "scenario.streams[0].ssids[0]: expected an integer in [0, 1048575]"},
      {"streams[0].mappings[0].size=0", "scenario.streams[0].mappings[0].size: expected a positive integer"},
      {"traffic[0].pattern=\"zigzag\"", "scenario.traffic[0].pattern: expected one of \"sequential\""},
      {"traffic[0].write_fraction=1.5", "scenario.traffic[0].write_fraction: expected a number in [0, 1]"},
      {"traffic[0].size=8192", "scenario.traffic[0].size: expected an integer in [1, 4096]"},
      {"traffic[0].outstanding=0", "scenario.traffic[0].outstanding:"},
      {"traffic[0].length=32", "scenario.traffic[0].length: 32 is smaller than one transaction"},
      {"traffic[2].stride=0", "scenario.traffic[2].stride: expected a positive integer"},
      {"traffic[0].count=-3", "scenario.traffic[0].count: expected an integer in [0, 100000000]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("--set ") + c.set);
    EXPECT_ERROR(error_with({c.set}), c.error);
  }
}

TEST(Scenario, OverridesApplyInOrder) {
  const json doc = load_scenario_document(
      "", {"smmus[0].main_tlb.ways=8", "traffic[0].count=10", "traffic[0].count=12",
           "smmus[0].timing.clock_period=2 ns", "traffic[3]={\"sid\": 1, \"port\": 1}"});
  const Scenario sc = read_scenario(doc);
  EXPECT_EQ(sc.smmus[0].params.main_tlb.ways, 8u);
  EXPECT_EQ(sc.smmus[0].params.timing.clock_period, sc_time(2, SC_NS));
  EXPECT_EQ(sc.traffic[0].stream.count, 12u);
  ASSERT_EQ(sc.traffic.size(), 4u);
  EXPECT_EQ(sc.traffic[3].port, 1u);
  // A bad override names itself.
  try {
    load_scenario_document("", {"smmus[5].ports=1"});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("smmus[5]"), std::string::npos) << e.what();
  }
}

TEST(Scenario, UnreadableFileIsAConfigError) {
  try {
    load_scenario_document("/nonexistent/scenario.json", {});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_ERROR(e.what(), "/nonexistent/scenario.json: cannot open");
  }
}

TEST(Scenario, CrossReferencesAreChecked) {
  EXPECT_ERROR(error_with({"streams[0].smmu=1"}),
               "scenario.streams[0].smmu: no SMMU 1 (the scenario has 1)");
  EXPECT_ERROR(error_with({"traffic[0].smmu=2"}), "scenario.traffic[0].smmu: no SMMU 2");
  EXPECT_ERROR(error_with({"traffic[1].port=3"}),
               "scenario.traffic[1].port: smmus[0] has no port 3 (it has 3)");
  EXPECT_ERROR(error_with({"streams[2].sid=1"}),
               "scenario.streams[2].sid: SID 1 is already used by streams[0] on smmus[0]");
  EXPECT_ERROR(error_with({"smmus[0].features.sid_bits=4", "streams[0].sid=16"}),
               "scenario.streams[0].sid: 16 does not fit smmus[0].features.sid_bits (4)");
  // Traffic may use a SID without a stream: it faults or bypasses as the SMMU decides.
  EXPECT_EQ(error_with({"traffic[0].sid=999"}), "");
  // The same SID on two SMMUs is two different streams.
  EXPECT_EQ(error_with({"smmus[1]={}", "streams[4]={\"smmu\": 1, \"sid\": 1}"}), "");
}

TEST(Scenario, AtsDevicesAreChecked) {
  // A port has one master: traffic entries or one ATS device.
  EXPECT_ERROR(error_with({"ats_devices[0].port=0"}),
               "scenario.ats_devices[0].port: port 0 of smmus[0] is already used by traffic[0] "
               "(a port has either traffic entries or one ATS device)");
  EXPECT_ERROR(error_with({"traffic[1].port=2"}),
               "scenario.ats_devices[0].port: port 2 of smmus[0] is already used by traffic[1]");
  EXPECT_ERROR(error_with({"smmus[0].ports=4", "ats_devices[1]={\"port\": 2, \"sid\": 1}"}),
               "scenario.ats_devices[1].port: port 2 of smmus[0] is already used by ats_devices[0]");
  EXPECT_ERROR(error_with({"smmus[0].ports=4", "ats_devices[1]={\"port\": 3, \"sid\": 4}"}),
               "scenario.ats_devices[1].sid: SID 4 is already used by ats_devices[0] on smmus[0]");
  EXPECT_EQ(error_with({"smmus[0].ports=4", "ats_devices[1]={\"port\": 3, \"sid\": 1}"}), "");
  EXPECT_ERROR(error_with({"ats_devices[0].port=3"}),
               "scenario.ats_devices[0].port: smmus[0] has no port 3 (it has 3)");
  EXPECT_ERROR(error_with({"ats_devices[0].smmu=1"}), "scenario.ats_devices[0].smmu: no SMMU 1");
  // Its SID must have a stream on that SMMU.
  EXPECT_ERROR(error_with({"ats_devices[0].sid=9"}),
               "scenario.ats_devices[0].sid: no stream of smmus[0] has SID 9 (an ATS device needs one)");
  EXPECT_ERROR(error_with({"smmus[1]={\"ports\": 1}", "ats_devices[0].smmu=1", "ats_devices[0].port=0"}),
               "scenario.ats_devices[0].sid: no stream of smmus[1] has SID 4");
  // Its traffic takes the device's SMMU, port and SID.
  EXPECT_ERROR(error_with({"ats_devices[0].traffic[0].sid=4"}),
               "scenario.ats_devices[0].traffic[0].sid: an ATS device's traffic uses the device's sid");
  EXPECT_ERROR(error_with({"ats_devices[0].traffic[0].port=2"}),
               "scenario.ats_devices[0].traffic[0].port: an ATS device's traffic uses the device's port");
  EXPECT_ERROR(error_with({"ats_devices[0].traffic[0].size=0"}),
               "scenario.ats_devices[0].traffic[0].size: expected an integer in [1, 4096]");
  EXPECT_ERROR(error_with({"ats_devices[0].atc.sets=12"}),
               "scenario.ats_devices[0].atc.sets: expected a power of two, got 12");
  EXPECT_ERROR(error_with({"ats_devices[0].atc.policy=\"mru\""}),
               "scenario.ats_devices[0].atc.policy: expected one of \"lru\"");
  EXPECT_ERROR(error_with({"ats_devices[0].pcie_round_trip=\"1 parsec\""}),
               "scenario.ats_devices[0].pcie_round_trip: bad time");
  EXPECT_ERROR(error_with({"ats_devices[0].answer=true"}),
               "scenario.ats_devices[0].answer: unknown key");
  // EATS and ATSCHK need an SMMU with ATS, and EATS a stream that translates.
  EXPECT_ERROR(error_with({"smmus[0].features.ats=false"}),
               "scenario.streams[3].ats: needs ATS, but smmus[0].features.ats is false");
  EXPECT_ERROR(error_with({"smmus[0].features.ats=false", "smmus[0].atschk=true", "streams[3].ats=false"}),
               "scenario.smmus[0].atschk: needs ATS, but features.ats is false");
  EXPECT_ERROR(error_with({"streams[3].translation=\"bypass\"", "streams[3].mappings=[]"}),
               "scenario.streams[3].ats: a stream with translation \"bypass\" answers no ATS requests");
  // An ATS device whose stream has no EATS is allowed: its requests are refused (UR).
  EXPECT_EQ(error_with({"streams[3].ats=false"}), "");
}

TEST(Scenario, CommandsAreChecked) {
  const struct {
    const char* set;
    const char* error;
  } cases[] = {
      {"commands[0].commands[0].op=\"TLBI_NH_FOO\"",
       "scenario.commands[0].commands[0].op: expected one of \"PREFETCH_CONFIG\""},
      {"commands[0].commands[0].op=\"CMD_TLBI_NH_VA\"", "scenario.commands[0].commands[0].op: expected one of"},
      {"commands[0].commands[0].op=18", "scenario.commands[0].commands[0].op: expected one of"},
      {"commands[0].commands[1]={\"asid\": 1}", "scenario.commands[0].commands[1].op: missing required key"},
      {"commands[0].commands[2].asid=1",
       "scenario.commands[0].commands[2].asid: CMD_SYNC has no field asid (its fields: cs)"},
      {"commands[0].commands[3].vmid=1",
       "scenario.commands[0].commands[3].vmid: ATC_INV has no field vmid (its fields: sid, ssid, ssv, "
       "global, addr, size)"},
      {"commands[0].commands[0].ipa=0",
       "scenario.commands[0].commands[0].ipa: TLBI_NH_VA has no field ipa"},
      {"commands[0].commands[5]={\"op\": \"TLBI_NSNH_ALL\", \"sid\": 3}",
       "scenario.commands[0].commands[5].sid: TLBI_NSNH_ALL has no field sid (its fields: none)"},
      {"commands[0].commands[0].pasid=1", "scenario.commands[0].commands[0].pasid: unknown key (known here: "},
      {"commands[0].commands[0].tg=4", "scenario.commands[0].commands[0].tg: expected an integer in [0, 3]"},
      {"commands[0].commands[0].num=32", "scenario.commands[0].commands[0].num: expected an integer in [0, 31]"},
      {"commands[0].commands[0].asid=65536", "scenario.commands[0].commands[0].asid: expected an integer in [0, 65535]"},
      {"commands[0].commands[0].leaf=1", "scenario.commands[0].commands[0].leaf: expected true or false"},
      {"commands[0].commands[0].addr=\"0x4001_0800\"",
       "scenario.commands[0].commands[0].addr: 0x40010800 is not 4 KiB aligned"},
      {"commands[0].commands[3].size=64", "scenario.commands[0].commands[3].size: expected an integer in [0, 63]"},
      {"commands[0].commands[3].ssid=1048576", "scenario.commands[0].commands[3].ssid: expected an integer in [0, 1048575]"},
      {"commands[0].commands[2].cs=\"msi\"",
       "scenario.commands[0].commands[2].cs: expected one of \"irq\", \"sev\", \"none\""},
      {"commands[0].commands=[]", "scenario.commands[0].commands: expected at least one command"},
      {"commands[0].commands=null", "scenario.commands[0].commands: missing required key"},
      {"commands[0].smmu=1", "scenario.commands[0].smmu: no SMMU 1 (the scenario has 1)"},
      {"commands[0].at=\"later\"", "scenario.commands[0].at: bad time"},
      {"commands[0].when=\"1 us\"", "scenario.commands[0].when: unknown key"},
  };
  // The batch the tables-mode default used to have: the cases modify it.
  const std::string batch =
      R"(commands=[{"smmu": 0, "at": "30 us", "commands": [)"
      R"({"op": "TLBI_NH_VA", "asid": 1, "vmid": 0, "addr": "0x4001_0000", "tg": 1, "ttl": 3,)"
      R"( "num": 31, "scale": 0, "leaf": true}, {"op": "TLBI_NH_ASID", "asid": 4, "vmid": 0},)"
      R"( {"op": "CMD_SYNC", "cs": "none"}, {"op": "ATC_INV", "sid": 4, "size": 52},)"
      R"( {"op": "CMD_SYNC", "cs": "irq"}]}])";
  EXPECT_EQ(error_with({batch}), "");
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("--set ") + c.set);
    EXPECT_ERROR(error_with({batch, c.set}), c.error);
  }
  // PREFETCH_ADDR's SIZE has 5 bits, ATC_INV's 6.
  EXPECT_ERROR(error_with({batch, "commands[0].commands[5]={\"op\": \"PREFETCH_ADDR\", \"size\": 32}"}),
               "scenario.commands[0].commands[5].size: expected an integer in [0, 31]");
  EXPECT_EQ(error_with({batch, "commands[0].commands[5]={\"op\": \"PREFETCH_ADDR\", \"size\": 31}"}), "");
}

TEST(Scenario, TlbTagsMustNotClash) {
  EXPECT_ERROR(error_with({"streams[2].asid=1"}),
               "scenario.streams[2].asid: ASID 1 is already used by streams[0] on smmus[0]");
  EXPECT_ERROR(error_with({"streams[2].vmid=2"}),
               "scenario.streams[2].vmid: VMID 2 is already used by streams[1] on smmus[0]");
  // An s2 stream's ASID and an s1 stream's VMID tag nothing.
  EXPECT_EQ(error_with({"streams[1].asid=1", "streams[0].vmid=2"}), "");
  // Defaults come from the SID; 8-bit ASIDs make SIDs 1 and 257 clash.
  json doc = base_doc();
  doc["setup"] = "tables";
  doc["smmus"][0]["features"] = {{"asid16", false}};
  doc["streams"].push_back({{"sid", 257u}});
  EXPECT_ERROR(error_of(doc), "scenario.streams[1].asid: ASID 1 is already used by streams[0]");
}

TEST(Scenario, FeaturesLimitStreams) {
  EXPECT_ERROR(error_with({"smmus[0].features.stage2=false"}),
               "scenario.streams[1].translation: \"s2\" needs stage 2, but smmus[0].features.stage2 is false");
  EXPECT_ERROR(error_with({"smmus[0].features.gran4k=false"}),
               "scenario.streams[0].granule: 4 KiB is not supported by smmus[0].features");
  EXPECT_ERROR(error_with({"smmus[0].features.gran4k=false", "smmus[0].features.gran16k=false",
                           "smmus[0].features.gran64k=false"}),
               "scenario.smmus[0].features.gran4k: at least one of gran4k, gran16k and gran64k");
  EXPECT_ERROR(error_with({"smmus[0].features.ssid_bits=2", "streams[0].ssids=[4]"}),
               "scenario.streams[0].ssids[0]: expected an integer in [0, 3]");
  EXPECT_ERROR(error_with({"streams[1].ssids=[0]"}),
               "scenario.streams[1].ssids: only stage-1 streams (s1, nested) have substreams");
  // Without LPA2, 52-bit VAs and output addresses need the 64K granule.
  EXPECT_ERROR(error_with({"smmus[0].features.gran64k=false", "smmus[0].features.va52=true"}),
               "scenario.smmus[0].features.va52: 52-bit VAs need gran64k (no LPA2)");
  EXPECT_ERROR(error_with({"smmus[0].features.gran64k=false", "smmus[0].features.oas_bits=52"}),
               "scenario.smmus[0].features.oas_bits: 52 bits need gran64k (no LPA2)");
  EXPECT_ERROR(error_with({"memory.size=\"8 GiB\"", "smmus[0].features.oas_bits=32"}),
               "scenario.smmus[0].features.oas_bits: a 32-bit output size cannot reach the "
               "translation tables at the top of the 8 GiB memory");
}

TEST(Scenario, MappingsAreChecked) {
  EXPECT_ERROR(error_with({"streams[0].mappings[0].iova=0x4000_0800"}),
               "scenario.streams[0].mappings[0].iova: 0x40000800 is not aligned to the stream's 4 KiB granule");
  EXPECT_ERROR(error_with({"streams[0].granule=65536", "streams[0].mappings[0].pa=0x1000_1000"}),
               "scenario.streams[0].mappings[0].pa: 0x10001000 is not aligned to the stream's 64 KiB granule");
  EXPECT_ERROR(error_with({"streams[0].mappings[0].size=\"6 KiB\""}),
               "scenario.streams[0].mappings[0].size: 0x1800 is not aligned");
  EXPECT_ERROR(error_with({"streams[0].mappings[0].pa=0xEFFF_F000"}),
               "scenario.streams[0].mappings[0].pa: [0xeffff000, 0xf07ff000) reaches into the "
               "translation-table region [0xf0000000, 0x100000000)");
  EXPECT_ERROR(error_with({"streams[0].mappings[0].iova=0xFFFF_FFFF_F000"}),
               "scenario.streams[0].mappings[0].iova: [0xfffffffff000, 0x10000007ff000) does not fit "
               "the 48-bit stage-1 input range");
  EXPECT_ERROR(error_with({"smmus[0].features.oas_bits=36", "streams[1].mappings[0].iova=0xF_FC00_0000"}),
               "scenario.streams[1].mappings[0].iova: [0xffc000000, 0x1004000000) does not fit the "
               "36-bit IPA range");
  EXPECT_ERROR(error_with({"streams[0].mappings[1]={\"iova\": \"0x4010_0000\", \"pa\": 0, \"size\": 4096}"}),
               "scenario.streams[0].mappings[1].iova: [0x40100000, 0x40101000) overlaps mappings[0] "
               "[0x40000000, 0x40800000)");
  EXPECT_ERROR(error_with({"streams[2].mappings[0].ipa=\"0xF000_0000\""}),
               "scenario.streams[2].mappings[0].ipa: [0xf0000000, 0xf0400000) overlaps the IPAs of the guest's tables");
  EXPECT_ERROR(error_with({"streams[2].mappings[1]={\"iova\": 0, \"pa\": 0, \"ipa\": \"0x3010_0000\", \"size\": 4096}"}),
               "scenario.streams[2].mappings[1].ipa: [0x30100000, 0x30101000) overlaps mappings[0]");
  EXPECT_ERROR(error_with({"streams[1].mappings[0].ipa=0"}),
               "scenario.streams[1].mappings[0].ipa: only nested streams have one");
  EXPECT_ERROR(error_with({"streams[0].mappings[0].pa=null"}),
               "scenario.streams[0].mappings[0].pa: missing required key");
  EXPECT_ERROR(error_with({"streams[0].translation=\"bypass\""}),
               "scenario.streams[0].mappings: a stream with translation \"bypass\" has no mappings");
  // Two IOVAs may share a PA (aliases).
  EXPECT_EQ(error_with({"streams[0].mappings[1]={\"iova\": \"0x5000_0000\", \"pa\": \"0x1000_0000\", \"size\": 4096}"}), "");
}

TEST(Scenario, SizesTakeBinaryUnits) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("0x1_0000"), 0x10000u);
  EXPECT_EQ(parse_size("64 KiB"), 65536u);
  EXPECT_EQ(parse_size("2MiB"), 2 * kMiB);
  EXPECT_EQ(parse_size("4 GiB"), 4 * kGiB);
  EXPECT_EQ(parse_size("1 TiB"), uint64_t{1} << 40);
  EXPECT_THROW(parse_size("4 GB"), std::invalid_argument);
  EXPECT_THROW(parse_size("KiB"), std::invalid_argument);
  EXPECT_THROW(parse_size("-1 KiB"), std::invalid_argument);
  EXPECT_THROW(parse_size("99999999999 TiB"), std::invalid_argument);
  json doc = base_doc();
  doc["memory"] = {{"size", "0x8000_0000"}};
  EXPECT_EQ(read_scenario(doc).memory.size, 2 * kGiB);
}

TEST(Scenario, DriverSetupKeys) {
  const Scenario sc = read_scenario(load_scenario_document(
      "", {"cpus.count=3", "cpus.cached_access=\"5 ns\"", "driver.completion=\"irq\"",
           "driver.inv_all_then_wait=true", "driver_ops[1].cpu=2", "streams[0].domain=\"a\""}));
  EXPECT_EQ(sc.cpus.count, 3u);
  EXPECT_EQ(sc.cpus.cached_access, sc_time(5, sc_core::SC_NS));
  EXPECT_EQ(sc.driver.completion, "irq");
  EXPECT_TRUE(sc.driver.inv_all_then_wait);
  EXPECT_EQ(sc.driver_ops[1].cpu, 2u);
  EXPECT_EQ(sc.streams[0].domain, "a");
}

TEST(Scenario, EventHandlerKeys) {
  const Scenario def = read_scenario(load_scenario_document("", {}));
  EXPECT_EQ(def.driver.event_log, 16u);
  EXPECT_EQ(def.driver.event_handler_delay, sc_core::SC_ZERO_TIME);
  const Scenario sc = read_scenario(
      load_scenario_document("", {"driver.event_log=0", "driver.event_handler_delay=\"2 us\""}));
  EXPECT_EQ(sc.driver.event_log, 0u);
  EXPECT_EQ(sc.driver.event_handler_delay, sc_time(2, sc_core::SC_US));
  EXPECT_ERROR(driver_error_with({"driver.event_log=1025"}), "scenario.driver.event_log: ");
  EXPECT_ERROR(driver_error_with({"driver.event_handler_delay=\"soon\""}),
               "scenario.driver.event_handler_delay: ");
}

TEST(Scenario, EcmdqKeys) {
  const Scenario def = read_scenario(load_scenario_document("", {}));
  EXPECT_EQ(def.smmus[0].params.features.ecmdqs, 0u);
  EXPECT_EQ(def.driver.ecmdqs, 0u);
  const Scenario sc = read_scenario(
      load_scenario_document("", {"smmus[0].features.ecmdqs=4", "driver.ecmdqs=8"}));
  EXPECT_EQ(sc.smmus[0].params.features.ecmdqs, 4u);
  EXPECT_EQ(sc.driver.ecmdqs, 8u);
  EXPECT_ERROR(error_with({"smmus[0].features.ecmdqs=3"}),
               "scenario.smmus[0].features.ecmdqs: expected 0 or a power of two, got 3");
  EXPECT_ERROR(error_with({"smmus[0].features.ecmdqs=512"}),
               "scenario.smmus[0].features.ecmdqs: expected an integer in [0, 256]");
  EXPECT_ERROR(error_with({"smmus[0].features.ecmdqs=2", "smmus[0].features.msi=false"}),
               "scenario.smmus[0].features.ecmdqs: ECMDQs need coherent and msi");
  EXPECT_ERROR(error_with({"driver.ecmdqs=257"}), "scenario.driver.ecmdqs: ");
}

TEST(Scenario, DriverSetupRejectsWhatTheDriverOwns) {
  EXPECT_ERROR(driver_error_with({"streams[0].asid=3"}),
               "scenario.streams[0].asid: the driver allocates ASIDs and VMIDs");
  EXPECT_ERROR(driver_error_with({"streams[1].vmid=3"}),
               "scenario.streams[1].vmid: the driver allocates ASIDs and VMIDs");
  EXPECT_ERROR(driver_error_with({"streams[2].ssids=[0, 1]"}),
               "scenario.streams[2].ssids: the driver attaches stage-1 (s1) domains at PASIDs only");
  EXPECT_ERROR(driver_error_with({"commands=[{\"commands\": [{\"op\": \"CMD_SYNC\"}]}]"}),
               "scenario.commands: raw commands would race the driver's command queue");
  EXPECT_ERROR(driver_error_with({"setup=\"tables\""}),
               "scenario.driver_ops: driver operations need setup \"driver\"");
  EXPECT_ERROR(driver_error_with({"setup=\"firmware\""}), "scenario.setup: expected one of");
  EXPECT_ERROR(driver_error_with({"driver.completion=\"poll\""}), "scenario.driver.completion: expected one of");
  EXPECT_ERROR(driver_error_with({"cpus.count=0"}), "scenario.cpus.count: ");
}

// Setup "driver": s1 streams of one device (SID) at different PASIDs are one master.
TEST(Scenario, DriverStreamsShareASidAtDifferentPasids) {
  const std::string second =
      "streams[4]={\"sid\": 1, \"ssids\": [1, 2], \"mappings\": [{\"iova\": \"0x4000_0000\", "
      "\"pa\": \"0x3000_0000\", \"size\": \"4 KiB\"}]}";
  const Scenario sc = read_scenario(load_scenario_document("", {second}));
  ASSERT_EQ(sc.streams.size(), 5u);
  EXPECT_EQ(sc.streams[4].ssids, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(driver_error_with({second, "streams[4].ssids=[0]"}),
            "scenario.streams[4].ssids: SubstreamID 0 of SID 1 is already streams[0]'s");
  EXPECT_ERROR(driver_error_with({second, "streams[4].ats=true"}), "scenario.streams[4].ats: differs from streams[0]");
  EXPECT_ERROR(driver_error_with({"streams[4]={\"sid\": 1, \"translation\": \"s2\"}"}),
               "scenario.streams[4].sid: SID 1 is already used by streams[0] on smmus[0] (only s1 streams");
  EXPECT_ERROR(error_with({second}), "scenario.streams[4].sid: SID 1 is already used by streams[0]");
  // A driver op names the stream attached at its ssid.
  const Scenario op = read_scenario(load_scenario_document(
      "", {second, "driver_ops[0].sid=1", "driver_ops[0].ssid=2"}));
  EXPECT_EQ(op.driver_ops[0].stream, 4u);
  EXPECT_ERROR(driver_error_with({second, "driver_ops[0].sid=1", "driver_ops[0].ssid=3"}),
               "scenario.driver_ops[0].ssid: no stream of SID 1 on smmus[0] lists SubstreamID 3");
}

TEST(Scenario, DriverOpsAreChecked) {
  EXPECT_ERROR(driver_error_with({"driver_ops[0].op=\"wipe\""}), "scenario.driver_ops[0].op: expected one of");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].sid=9"}),
               "scenario.driver_ops[0].sid: no stream with SID 9 on smmus[0]");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].sid=3"}),
               "scenario.driver_ops[0].sid: the stream's translation is \"nested\"");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].iova=\"0x4000_0800\""}),
               "scenario.driver_ops[0].iova: not aligned");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].size=100"}), "scenario.driver_ops[0].size: ");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].cpu=1"}), "scenario.driver_ops[0].cpu: ");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].pa=\"0xFFFF_F000\""}),
               "scenario.driver_ops[0].pa: [0xfffff000, 0x10001f000) must lie below the table region "
               "at 0xf0000000");
  // pa + size past 2^64 must not wrap into an accepted range.
  EXPECT_ERROR(driver_error_with({"driver_ops[0].pa=\"0xFFFF_FFFF_FFFF_F000\"", "driver_ops[0].size=8192"}),
               "scenario.driver_ops[0].pa: [0xfffffffffffff000, 0x1000) must lie below the table region");
  // The domain's input range: 48 bits (stage 1 VA; stage 2 IPA with OAS 48).
  EXPECT_ERROR(driver_error_with({"driver_ops[0].iova=\"0x1_0000_0000_0000\""}),
               "scenario.driver_ops[0].iova: [0x1000000000000, 0x1000000020000) does not fit the "
               "domain's 48-bit input range");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].iova=\"0xFFFF_FFFF_0000\"", "driver_ops[0].size=\"1 GiB\""}),
               "scenario.driver_ops[0].size: [0xffffffff0000, 0x100003fff0000) does not fit the "
               "domain's 48-bit input range");
  EXPECT_ERROR(driver_error_with({"driver_ops[1].iova=\"0xFFFF_FFFF_FFFF_0000\""}),
               "scenario.driver_ops[1].iova: ");
  EXPECT_ERROR(driver_error_with({"driver_ops[1].size=\"0xFFFF_FFFF_FFFF_F000\""}),
               "scenario.driver_ops[1].size: ");
  EXPECT_ERROR(driver_error_with({"smmus[0].features.oas_bits=40",
                                  "driver_ops=[{\"op\": \"unmap\", \"sid\": 2, \"iova\": "
                                  "\"0x100_0000_0000\", \"size\": 4096}]"}),
               "scenario.driver_ops[0].iova: [0x10000000000, 0x10000001000) does not fit the domain's "
               "40-bit input range");
  // A shared domain by name, instead of a stream.
  EXPECT_ERROR(driver_error_with({"driver_ops[0].domain=\"vm\""}),
               "scenario.driver_ops[0].sid: give either domain or smmu and sid, not both");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].sid=null", "driver_ops[0].domain=\"vm\""}),
               "scenario.driver_ops[0].domain: no stream has domain \"vm\"");
  EXPECT_ERROR(driver_error_with({"streams[0].domain=\"vm\"", "driver_ops[0].sid=null",
                                  "driver_ops[0].domain=\"vm\"", "driver_ops[0].smmu=0"}),
               "scenario.driver_ops[0].smmu: give either domain or smmu and sid, not both");
}

TEST(Scenario, DriverOpsNameASharedDomain) {
  const Scenario sc = read_scenario(load_scenario_document(
      "", {"streams[1].domain=\"vm\"", "driver_ops[1]={\"op\": \"unmap\", \"domain\": \"vm\", "
           "\"iova\": \"0x8000_0000\", \"size\": \"2 MiB\"}"}));
  ASSERT_EQ(sc.driver_ops.size(), 2u);
  EXPECT_EQ(sc.driver_ops[1].domain, "vm");
  EXPECT_EQ(sc.driver_ops[1].stream, 1u);  // the first stream of that domain
  EXPECT_EQ(sc.driver_ops[1].op, DriverOpSpec::Op::kUnmap);
  EXPECT_EQ(sc.driver_ops[1].size, 2 * kMiB);
  EXPECT_EQ(sc.driver_ops[0].domain, "");  // named by sid
}

TEST(Scenario, SharedDomainsMustAgree) {
  EXPECT_EQ(driver_error_with({"streams[0].domain=\"d\"", "streams[3].domain=\"d\""}), "");
  EXPECT_ERROR(driver_error_with({"streams[0].domain=\"d\"", "streams[1].domain=\"d\""}),
               "scenario.streams[1].domain: \"d\" is streams[0]'s domain, which has another translation");
  EXPECT_ERROR(driver_error_with({"streams[2].domain=\"d\""}),
               "scenario.streams[2].domain: only s1 and s2 streams can share a domain");
  EXPECT_ERROR(driver_error_with({"streams[0].domain=\"d\"", "streams[3].domain=\"d\"",
                                  "streams[3].mappings[0].iova=\"0x4000_0000\""}),
               "scenario.streams[3].mappings: overlaps a different mapping of the shared domain");
  EXPECT_ERROR(error_with({"streams[0].domain=\"d\""}),
               "scenario.streams[0].domain: shared domains need setup \"driver\"");
}

// Absurd values are refused, naming the key and the limit (README, "Limits").
TEST(Scenario, LimitsAreEnforced) {
  EXPECT_ERROR(driver_error_with({"traffic[0].count=100000001"}),
               "scenario.traffic[0].count: expected an integer in [0, 100000000], got 100000001");
  EXPECT_ERROR(driver_error_with({"traffic[0].count=1e300"}),
               "scenario.traffic[0].count: expected an integer");
  EXPECT_ERROR(driver_error_with({"traffic[0].count=-1"}),
               "scenario.traffic[0].count: expected an integer");
  EXPECT_ERROR(driver_error_with({"ats_devices[0].traffic[0].count=100000001"}),
               "scenario.ats_devices[0].traffic[0].count: expected an integer in [0, 100000000]");
  // Each entry within the limit, together beyond it.
  EXPECT_ERROR(driver_error_with({"traffic[0].count=60000000", "traffic[1].count=50000000"}),
               "scenario.traffic: the traffic entries (ats_devices' included) ask for 110004000 "
               "transactions; at most 100000000 in a scenario");
  EXPECT_EQ(driver_error_with({"traffic[0].count=100000000", "traffic[1].count=0", "traffic[2].count=0",
                               "ats_devices[0].traffic[0].count=0"}),
            "");
  // Times: at most 1000 s; a clock period of at most 1 us; a quantum of at least 1 ps.
  EXPECT_ERROR(driver_error_with({"duration=\"1001 s\""}),
               "scenario.duration: expected a time in [0 ns, 1000000000000 ns], got \"1001 s\"");
  EXPECT_ERROR(driver_error_with({"driver_ops[0].at=\"5000 s\""}),
               "scenario.driver_ops[0].at: expected a time in");
  EXPECT_ERROR(driver_error_with({"traffic[0].gap=18446744073709551"}),
               "scenario.traffic[0].gap: expected a time in");
  EXPECT_ERROR(driver_error_with({"smmus[0].timing.clock_period=\"2 us\""}),
               "scenario.smmus[0].timing.clock_period: expected a time in [0.001 ns, 1000 ns]");
  EXPECT_ERROR(driver_error_with({"quantum=0"}), "scenario.quantum: expected a time in [0.001 ns, ");
  EXPECT_ERROR(driver_error_with({"memory.read_latency=-5"}),
               "scenario.memory.read_latency: expected a non-negative time");
  // Arrays.
  json doc = load_scenario_document("", {});
  const json op = doc["driver_ops"][1];
  doc["driver_ops"] = json::array();
  for (size_t i = 0; i <= kMaxArrayEntries; ++i) doc["driver_ops"].push_back(op);
  EXPECT_ERROR(error_of(doc), "scenario.driver_ops: expected at most 4096 entries, got 4097");
  doc = load_scenario_document("", {});
  doc["streams"][0]["mappings"] = json::array();
  for (size_t i = 0; i <= kMaxArrayEntries; ++i)
    doc["streams"][0]["mappings"].push_back(
        {{"iova", 0x40000000 + i * 4096}, {"pa", 0x10000000 + i * 4096}, {"size", 4096}});
  EXPECT_ERROR(error_of(doc), "scenario.streams[0].mappings: expected at most 4096 entries, got 4097");
  doc = load_scenario_document("", {"setup=\"tables\"", "driver_ops=[]"});
  doc["streams"][0]["ssids"] = json::array();
  for (size_t i = 0; i <= kMaxArrayEntries; ++i) doc["streams"][0]["ssids"].push_back(i);
  EXPECT_ERROR(error_of(doc), "scenario.streams[0].ssids: expected at most 4096 SubstreamIDs, got 4097");
  doc["streams"][0]["ssids"].erase(doc["streams"][0]["ssids"].size() - 1);
  EXPECT_EQ(error_of(doc), "");
  doc = load_scenario_document("", {});
  doc["smmus"] = json::array();
  for (size_t i = 0; i <= kMaxSmmus; ++i) doc["smmus"].push_back(json::object());
  EXPECT_ERROR(error_of(doc), "scenario.smmus: expected at most 64 entries, got 65");
  // Numbers beyond 64 bits, negative, fractional, of the wrong type.
  EXPECT_ERROR(driver_error_with({"streams[0].mappings[0].size=1e30"}),
               "scenario.streams[0].mappings[0].size: expected");
  EXPECT_ERROR(driver_error_with({"streams[0].mappings[0].pa=-4096"}),
               "scenario.streams[0].mappings[0].pa: expected");
  EXPECT_ERROR(driver_error_with({"streams[0].mappings[0].iova=\"0x1_0000_0000_0000_0000\""}),
               "scenario.streams[0].mappings[0].iova: expected");
  EXPECT_ERROR(driver_error_with({"traffic[0].size=0.5"}), "scenario.traffic[0].size: expected");
  EXPECT_ERROR(driver_error_with({"cpus.count=true"}), "scenario.cpus.count: expected");
  EXPECT_ERROR(driver_error_with({"traffic[0].length=\"99999999999 TiB\""}),
               "scenario.traffic[0].length: size ");
  EXPECT_ERROR(driver_error_with({"traffic[0].base=\"0xFFFF_FFFF_FFFF_FFC0\"", "traffic[0].length=128"}),
               "scenario.traffic[0].length: the region wraps past 2^64");
}

// null for a key is the key left out: its default (a required key is then missing).
TEST(Scenario, NullIsTheDefault) {
  const Scenario def = read_scenario(load_scenario_document("", {}));
  const Scenario nulls = read_scenario(load_scenario_document(
      "", {"quantum=null", "cpus=null", "driver.completion=null", "memory.size=null",
           "interconnect.latency=null", "smmus[0].features=null", "smmus[0].timing.clock_period=null",
           "streams[0].granule=null", "streams[0].mappings[0].blocks=null", "traffic[0].seed=null",
           "traffic[1].count=null", "ats_devices[0].atc=null", "driver_ops[0].at=null",
           "streams[3].domain=null", "commands=null"}));
  EXPECT_EQ(nulls.quantum, def.quantum);
  EXPECT_EQ(nulls.cpus.count, 1u);
  EXPECT_EQ(nulls.driver.completion, "msi");
  EXPECT_EQ(nulls.memory.size, def.memory.size);
  EXPECT_EQ(nulls.smmus[0].params.timing.clock_period, def.smmus[0].params.timing.clock_period);
  EXPECT_EQ(nulls.streams[0].granule_shift, 12u);
  EXPECT_TRUE(nulls.streams[0].mappings[0].blocks);  // the default, not the document's false
  EXPECT_FALSE(def.streams[0].mappings[0].blocks);
  EXPECT_EQ(nulls.traffic[0].stream.seed, 1u);
  EXPECT_EQ(nulls.traffic[1].stream.count, 1000u);  // the default count
  EXPECT_EQ(nulls.driver_ops[0].at, sc_time(0, SC_NS));
  // null arrays and objects at the top: the defaults (one SMMU).
  EXPECT_EQ(read_scenario(json{{"smmus", nullptr}, {"streams", nullptr}, {"duration", nullptr}}).smmus.size(),
            1u);
  // Required keys: null is missing.
  EXPECT_EQ(driver_error_with({"driver_ops[0].op=null"}), "scenario.driver_ops[0].op: missing required key");
  EXPECT_EQ(driver_error_with({"streams[0].mappings[0].size=null"}),
            "scenario.streams[0].mappings[0].size: missing required key");
  // A misspelt key is unknown whatever its value.
  EXPECT_ERROR(driver_error_with({"quantun=null"}), "scenario.quantun: unknown key");
  // An array element is not a key: null there is a bad value.
  EXPECT_ERROR(driver_error_with({"streams[0].mappings[0]=null"}),
               "scenario.streams[0].mappings[0]: expected an object, got null");
}

// --- smmus[].tbus: a distributed TBU layout.
TEST(Scenario, NoTbusKeyIsTheDefaultLayout) {
  const Scenario sc = read_scenario(base_doc());
  EXPECT_TRUE(sc.smmus[0].params.tbus.empty());
}

TEST(Scenario, TbusAreRead) {
  json doc = base_doc();
  doc["smmus"][0]["ports"] = 3;
  doc["smmus"][0]["micro_tlb"] = json{{"entries", 8}, {"policy", "fifo"}};
  doc["smmus"][0]["tbus"] = json::parse(R"([
    {"ports": [2, 0]},
    {"ports": [1], "dti_latency": "200 ns", "micro_tlb": {"entries": 4, "policy": "random"},
     "main_tlb": {"sets": 16, "ways": 2, "policy": "fifo"}, "max_translations": 3}
  ])");
  const Scenario sc = read_scenario(doc);
  const auto& t = sc.smmus[0].params.tbus;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].ports, (std::vector<unsigned>{2, 0}));
  EXPECT_EQ(t[0].dti_latency, sc_time(8, SC_NS));  // the default
  EXPECT_EQ(t[0].micro_tlb.entries, 8u);           // the SMMU's micro_tlb by default
  EXPECT_EQ(t[0].micro_tlb.policy, model::ReplacementPolicy::kFifo);
  EXPECT_FALSE(t[0].main_tlb.has_value());
  EXPECT_EQ(t[0].max_translations, 0u);
  EXPECT_EQ(t[1].ports, (std::vector<unsigned>{1}));
  EXPECT_EQ(t[1].dti_latency, sc_time(200, SC_NS));
  EXPECT_EQ(t[1].micro_tlb.entries, 4u);
  EXPECT_EQ(t[1].micro_tlb.policy, model::ReplacementPolicy::kRandom);
  ASSERT_TRUE(t[1].main_tlb.has_value());
  EXPECT_EQ(t[1].main_tlb->sets, 16u);
  EXPECT_EQ(t[1].main_tlb->ways, 2u);
  EXPECT_EQ(t[1].main_tlb->policy, model::ReplacementPolicy::kFifo);
  EXPECT_EQ(t[1].max_translations, 3u);
  // A null main_tlb is none, as an absent one.
  doc["smmus"][0]["tbus"][1]["main_tlb"] = nullptr;
  EXPECT_FALSE(read_scenario(doc).smmus[0].params.tbus[1].main_tlb.has_value());
}

TEST(Scenario, TbusAreChecked) {
  const struct {
    const char* tbus;
    const char* error;
  } cases[] = {
      {"[]", "scenario.smmus[0].tbus: expected at least one TBU"},
      {"[{\"ports\": [0]}]", "scenario.smmus[0].tbus: no TBU serves port 1"},
      {"[{\"ports\": [0, 1]}, {\"ports\": [1]}]",
       "scenario.smmus[0].tbus[1].ports: port 1 is already served by tbus[0]"},
      {"[{\"ports\": [0, 0]}, {\"ports\": [1]}]",
       "scenario.smmus[0].tbus[0].ports: port 0 is already served by tbus[0]"},
      {"[{\"ports\": [0, 2]}]", "scenario.smmus[0].tbus[0].ports: the SMMU has no port 2 (it has 2)"},
      {"[{\"ports\": [0, 1, 1]}]", "scenario.smmus[0].tbus[0].ports: expected at most 2 ports"},
      {"[{\"ports\": []}, {\"ports\": [0, 1]}]", "scenario.smmus[0].tbus[0].ports: expected at least one port"},
      {"[{}]", "scenario.smmus[0].tbus[0].ports: missing required key"},
      {"[{\"ports\": 0}]", "scenario.smmus[0].tbus[0].ports: expected an array of integers"},
      {"[{\"ports\": [-1]}]", "scenario.smmus[0].tbus[0].ports[0]: expected an integer"},
      {"[{\"ports\": [0, 1], \"dti_latency\": \"8 parsecs\"}]", "scenario.smmus[0].tbus[0].dti_latency: bad time"},
      {"[{\"ports\": [0, 1], \"micro_tlb\": {\"entries\": 0}}]",
       "scenario.smmus[0].tbus[0].micro_tlb.entries: expected an integer in [1, 256]"},
      {"[{\"ports\": [0, 1], \"micro_tlb\": {\"policy\": \"mru\"}}]",
       "scenario.smmus[0].tbus[0].micro_tlb.policy: expected one of"},
      {"[{\"ports\": [0, 1], \"main_tlb\": {\"sets\": 3}}]",
       "scenario.smmus[0].tbus[0].main_tlb.sets: expected a power of two"},
      {"[{\"ports\": [0, 1], \"main_tlb\": 4}]", "scenario.smmus[0].tbus[0].main_tlb: expected an object"},
      {"[{\"ports\": [0, 1], \"max_translations\": -1}]",
       "scenario.smmus[0].tbus[0].max_translations: expected an integer in [0, 65536]"},
      {"[{\"ports\": [0, 1], \"token\": 1}]", "scenario.smmus[0].tbus[0].token: unknown key"},
      {"[{\"ports\": [0]}, {\"ports\": [1]}, {\"ports\": [1]}]",
       "scenario.smmus[0].tbus: expected at most 2 entries, got 3"},
      {"{\"ports\": [0, 1]}", "scenario.smmus[0].tbus: expected an array of objects"},
  };
  for (const auto& c : cases) {
    json doc = base_doc();
    doc["smmus"][0]["tbus"] = json::parse(c.tbus);
    EXPECT_ERROR(error_of(doc), c.error) << c.tbus;
  }
}

namespace {

// Two CPUs, an s1 device with a mapping and a traffic entry on port 1, one workload.
json workload_doc() {
  return json::parse(R"({
    "cpus": {"count": 2},
    "smmus": [{"ports": 2}],
    "streams": [
      {"sid": 1, "translation": "s1",
       "mappings": [{"iova": "0x1_0000", "pa": "0x10_0000", "size": "64 KiB"}]},
      {"sid": 2, "translation": "s2"},
      {"sid": 3, "translation": "nested"},
      {"sid": 4, "translation": "s1", "ssids": [1]}
    ],
    "traffic": [{"port": 1, "sid": 1, "base": "0x1_0000", "length": "64 KiB", "count": 10}],
    "workloads": [{"kind": "dma_api", "cpus": [0, 1], "sid": 1}]
  })");
}

Scenario workload_scenario(const std::vector<std::string>& overrides) {
  json doc = workload_doc();
  for (const std::string& o : overrides) apply_override(doc, o);
  return read_scenario(doc);
}

std::string workload_error(const std::vector<std::string>& overrides) {
  try {
    workload_scenario(overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Scenario, WorkloadDefaults) {
  const Scenario sc = workload_scenario({});
  EXPECT_EQ(sc.driver.cmdq_design, "locked");
  ASSERT_EQ(sc.workloads.size(), 1u);
  const WorkloadSpec& w = sc.workloads[0];
  EXPECT_EQ(w.cpus, (std::vector<unsigned>{0, 1}));
  EXPECT_EQ(w.smmu, 0u);
  EXPECT_EQ(w.sid, 1u);
  EXPECT_EQ(w.stream, 0u);
  EXPECT_EQ(w.port, 1u);  // the port of the traffic entry of its sid
  EXPECT_EQ(w.buffer, 4096u);
  EXPECT_FALSE(w.lazy);
  EXPECT_EQ(w.count, 100u);
  EXPECT_EQ(w.io_ns, 0u);
  EXPECT_EQ(w.start, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(w.fq_entries, 256u);
  EXPECT_EQ(w.fq_timeout_ns, 10'000'000u);
  // The first 64 GiB window, from 256 MiB: the mapping at 64 KiB is below it.
  EXPECT_EQ(w.iova_base, 256 * kMiB);
  EXPECT_EQ(w.iova_limit, 64 * kGiB);
  // One buffer per CPU, just below the table region.
  EXPECT_EQ(w.pa, sc.table_region_base() - 2 * 4096);
  // Without a traffic entry of its sid: port 0.
  EXPECT_EQ(workload_scenario({"workloads[0].sid=2"}).workloads[0].port, 0u);
}

TEST(Scenario, WorkloadDefaultRangesAvoidMappingsAndEachOther) {
  // A mapping inside the first window: the next one; a second workload in the same
  // domain: the window after; one in another domain: the first window again.
  const Scenario sc = workload_scenario(
      {"streams[0].mappings[1]={\"iova\": \"0x2000_0000\", \"pa\": \"0xEFFF_0000\", \"size\": \"64 KiB\"}",
       "workloads[1]={\"kind\": \"dma_api\", \"cpus\": [1], \"sid\": 1, \"buffer\": \"8 KiB\"}",
       "workloads[2]={\"kind\": \"dma_api\", \"cpus\": [0], \"sid\": 2}"});
  ASSERT_EQ(sc.workloads.size(), 3u);
  EXPECT_EQ(sc.workloads[0].iova_base, 64 * kGiB);
  EXPECT_EQ(sc.workloads[0].iova_limit, 128 * kGiB);
  EXPECT_EQ(sc.workloads[1].iova_base, 128 * kGiB);
  EXPECT_EQ(sc.workloads[1].iova_limit, 192 * kGiB);
  EXPECT_EQ(sc.workloads[2].iova_base, 256 * kMiB);
  // Buffer areas top down, below the mapping that ends at the table region.
  const uint64_t top = sc.table_region_base() - 64 * 1024;
  EXPECT_EQ(sc.workloads[0].pa, top - 2 * 4096);
  EXPECT_EQ(sc.workloads[1].pa, top - 2 * 4096 - 8192);
  EXPECT_EQ(sc.workloads[2].pa, top - 2 * 4096 - 8192 - 4096);
  // The last window stops at the input range's end: an s2 domain of a 32-bit IPA.
  const Scenario s2 = workload_scenario({"smmus[0].features.oas_bits=32", "memory.size=\"1 GiB\"",
                                         "workloads[1]={\"kind\": \"dma_api\", \"cpus\": [1], \"sid\": 2}"});
  EXPECT_EQ(s2.workloads[1].iova_base, 256 * kMiB);
  EXPECT_EQ(s2.workloads[1].iova_limit, 4 * kGiB);
  EXPECT_EQ(s2.workloads[1].pa, s2.table_region_base() - 2 * 4096 - 4096);
}

TEST(Scenario, WorkloadKeysAreRead) {
  const Scenario sc = workload_scenario(
      {"driver.cmdq_design=\"cas_loop\"", "workloads[0].port=0", "workloads[0].buffer=\"64 KiB\"",
       "workloads[0].policy=\"lazy\"", "workloads[0].count=1e6", "workloads[0].io=\"2 us\"",
       "workloads[0].start=\"5 us\"", "workloads[0].iova_base=\"0x100_0000\"",
       "workloads[0].iova_limit=\"0x200_0000\"", "workloads[0].pa=\"0x800_0000\"",
       "workloads[0].fq_entries=16", "workloads[0].fq_timeout=\"1 ms\"", "workloads[0].cpus=[1]",
       "workloads[0].smmu=0"});
  EXPECT_EQ(sc.driver.cmdq_design, "cas_loop");
  const WorkloadSpec& w = sc.workloads.at(0);
  EXPECT_EQ(w.cpus, std::vector<unsigned>{1});
  EXPECT_EQ(w.port, 0u);
  EXPECT_EQ(w.buffer, 64 * 1024u);
  EXPECT_TRUE(w.lazy);
  EXPECT_EQ(w.count, 1'000'000u);
  EXPECT_EQ(w.io_ns, 2000u);
  EXPECT_EQ(w.start, sc_time(5, sc_core::SC_US));
  EXPECT_EQ(w.iova_base, 0x1000000u);
  EXPECT_EQ(w.iova_limit, 0x2000000u);
  EXPECT_EQ(w.pa, 0x8000000u);
  EXPECT_EQ(w.fq_entries, 16u);
  EXPECT_EQ(w.fq_timeout_ns, 1'000'000u);
  EXPECT_EQ(workload_scenario({"driver.cmdq_design=\"fetch_add\""}).driver.cmdq_design, "fetch_add");
}

TEST(Scenario, WorkloadsAreChecked) {
  const std::string w = "scenario.workloads[0].";
  EXPECT_ERROR(workload_error({"workloads[0].kind=null"}), w + "kind: missing required key");
  EXPECT_ERROR(workload_error({"workloads[0].kind=\"fio\""}), w + "kind: expected one of");
  EXPECT_ERROR(workload_error({"workloads[0].cpus=null"}), w + "cpus: missing required key");
  EXPECT_ERROR(workload_error({"workloads[0].cpus=[]"}), w + "cpus: expected at least one CPU");
  EXPECT_ERROR(workload_error({"workloads[0].cpus=[2]"}), w + "cpus");
  EXPECT_ERROR(workload_error({"workloads[0].cpus=[1, 1]"}), w + "cpus: CPU 1 given twice");
  EXPECT_ERROR(workload_error({"workloads[0].cpus=[0, 1, 0]"}), w + "cpus: expected at most 2 CPUs");
  EXPECT_ERROR(workload_error({"workloads[0].smmu=1"}), w + "smmu: no SMMU 1");
  EXPECT_ERROR(workload_error({"workloads[0].sid=null"}), w + "sid: missing required key");
  EXPECT_ERROR(workload_error({"workloads[0].sid=9"}), w + "sid: no stream with SID 9 on smmus[0]");
  EXPECT_ERROR(workload_error({"workloads[0].sid=3"}),
               w + "sid: the stream's translation is \"nested\": a dma_api workload needs an s1 or s2");
  EXPECT_ERROR(workload_error({"workloads[0].sid=4"}),
               w + "sid: no stream of SID 4 on smmus[0] is attached at SubstreamID 0");
  EXPECT_ERROR(workload_error({"workloads[0].port=2"}), w + "port: smmus[0] has no port 2");
  EXPECT_ERROR(workload_error({"workloads[0].buffer=100"}), w + "buffer: expected an integer in [4096, 1048576]");
  EXPECT_ERROR(workload_error({"workloads[0].buffer=\"2 MiB\""}), w + "buffer: expected a size in [4 KiB, 1 MiB]");
  EXPECT_ERROR(workload_error({"workloads[0].buffer=6144"}), w + "buffer: expected a multiple of 4 KiB");
  EXPECT_ERROR(workload_error({"workloads[0].policy=\"eager\""}), w + "policy: expected one of");
  EXPECT_ERROR(workload_error({"workloads[0].count=0"}), w + "count: expected an integer in [1, 1000000]");
  EXPECT_ERROR(workload_error({"workloads[0].count=1000001"}), w + "count: expected an integer in [1, 1000000]");
  EXPECT_ERROR(workload_error({"workloads[0].io=\"1.5 ns\""}), w + "io: expected whole nanoseconds");
  EXPECT_ERROR(workload_error({"workloads[0].io=-1"}), w + "io: ");
  EXPECT_ERROR(workload_error({"workloads[0].start=\"soon\""}), w + "start: ");
  EXPECT_ERROR(workload_error({"workloads[0].fq_entries=0"}), w + "fq_entries: ");
  EXPECT_ERROR(workload_error({"workloads[0].fq_entries=65537"}), w + "fq_entries: ");
  EXPECT_ERROR(workload_error({"workloads[0].fq_timeout=0"}), w + "fq_timeout: ");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x100_0000\""}), w + "iova_limit: missing required key");
  EXPECT_ERROR(workload_error({"workloads[0].iova_limit=\"0x200_0000\""}), w + "iova_base: missing required key");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=0", "workloads[0].iova_limit=\"0x200_0000\""}),
               w + "iova_base: 0x0 must be a non-zero multiple of the stream's 4 KiB granule");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x100_0800\"", "workloads[0].iova_limit=\"0x200_0000\""}),
               w + "iova_base: 0x1000800 must be a non-zero multiple");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x100_0000\"", "workloads[0].iova_limit=\"0x200_0800\""}),
               w + "iova_limit: not aligned to the stream's 4 KiB granule");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x100_0000\"",
                               "workloads[0].iova_limit=\"0x1_0000_0000_1000\""}),
               w + "iova_limit: 0x1000000001000 is beyond the domain's 48-bit input range");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x200_0000\"", "workloads[0].iova_limit=\"0x210_0000\""}),
               w + "iova_limit: [0x2000000, 0x2100000) must hold at least 2 MiB");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x200_0000\"", "workloads[0].iova_limit=\"0x100_0000\""}),
               w + "iova_limit: [0x2000000, 0x1000000) must hold at least 2 MiB");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x1000\"", "workloads[0].iova_limit=\"0x100_0000\""}),
               w + "iova_base: the range [0x1000, 0x1000000) overlaps the domain's mapping [0x10000, 0x20000)");
  EXPECT_ERROR(workload_error({"workloads[0].iova_base=\"0x100_0000\"", "workloads[0].iova_limit=\"0x200_0000\"",
                               "workloads[1]={\"kind\": \"dma_api\", \"cpus\": [1], \"sid\": 1, \"iova_base\": "
                               "\"0x180_0000\", \"iova_limit\": \"0x280_0000\"}"}),
               "scenario.workloads[1].iova_base: the range [0x1800000, 0x2800000) overlaps workloads[0]'s in the "
               "same domain");
  // Another domain may use the same IOVAs.
  EXPECT_EQ(workload_error({"workloads[0].iova_base=\"0x100_0000\"", "workloads[0].iova_limit=\"0x200_0000\"",
                            "workloads[1]={\"kind\": \"dma_api\", \"cpus\": [1], \"sid\": 2, \"iova_base\": "
                            "\"0x100_0000\", \"iova_limit\": \"0x200_0000\"}"}),
            "");
  EXPECT_ERROR(workload_error({"workloads[0].pa=\"0x800_0800\""}), w + "pa: 0x8000800 is not 4 KiB aligned");
  EXPECT_ERROR(workload_error({"workloads[0].pa=\"0xEFFF_F000\""}),
               w + "pa: [0xeffff000, 0xf0001000) (one buffer per CPU) must lie below the table region at 0xf0000000");
  EXPECT_ERROR(workload_error({"workloads[0].pa=\"0xFFFF_FFFF_FFFF_F000\""}), w + "pa: ");
  EXPECT_ERROR(workload_error({"workloads[0].threads=4"}), w + "threads: unknown key");
  EXPECT_ERROR(workload_error({"driver.cmdq_design=\"spin\""}), "scenario.driver.cmdq_design: expected one of");
  EXPECT_ERROR(workload_error({"setup=\"tables\""}), "scenario.workloads: workloads need setup \"driver\"");
  EXPECT_ERROR(workload_error({"workloads={}"}), "scenario.workloads: ");
  json doc = workload_doc();
  const json one = doc["workloads"][0];
  for (size_t i = 1; i <= kMaxArrayEntries; ++i) doc["workloads"].push_back(one);
  EXPECT_ERROR(error_of(doc), "scenario.workloads: expected at most 4096 entries");
}
