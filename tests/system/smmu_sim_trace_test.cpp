// SPDX-License-Identifier: Apache-2.0
// smmu-sim --trace and --vcd on the default scenario: the trace is valid trace-event
// JSON whose slices nest on every track, with the translation's steps inside their
// transactions, the command engine's commands and CMD_SYNCs on the SMMU's track and
// flows from the driver's work to them; --trace-limit; the VCD parses and carries the
// queue pointers, slot peaks and cumulative TLB figures; tracing changes no figure.
// Every test that elaborates SystemC is its own TEST (one kernel per process).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/smmu_sim_cli.h"

using nlohmann::json;
using smmu::test::read_json;
using smmu::test::run_cli;
using smmu::test::run_cli_in_child;

namespace {

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "smmu_sim_trace_test_" + std::to_string(getpid()) + "_" + name;
}

// Picoseconds from trace microseconds (written with six decimals: exact).
int64_t ps(const json& v) { return std::llround(v.get<double>() * 1e6); }

struct Slice {
  int64_t start, end;
  std::string name, cat;
  size_t event;  // index in traceEvents
};

// Every "X" slice by (pid, tid), sorted by start, longer first.
std::map<std::pair<int, int>, std::vector<Slice>> slices_by_track(const json& events) {
  std::map<std::pair<int, int>, std::vector<Slice>> out;
  for (size_t i = 0; i < events.size(); ++i) {
    const json& e = events[i];
    if (e["ph"] != "X") continue;
    const int64_t s = ps(e["ts"]);
    out[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back(
        Slice{s, s + ps(e["dur"]), e["name"].get<std::string>(), e.value("cat", ""), i});
  }
  for (auto& [track, list] : out)
    std::stable_sort(list.begin(), list.end(), [](const Slice& a, const Slice& b) {
      return a.start != b.start ? a.start < b.start : a.end > b.end;
    });
  return out;
}

// A VCD as written by SystemC: the declarations (full dotted names, scopes included) and
// every value change in time order.
struct Vcd {
  struct Var {
    std::string name;
    unsigned width = 0;
  };
  std::map<std::string, Var> vars;                 // by identifier code
  std::map<std::string, std::string> id_of;        // full name -> code
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> changes;  // code -> (time, value)
  bool enddefinitions = false;
  bool times_monotonic = true;
  std::vector<uint64_t> times;
};

uint64_t vcd_value(const std::string& bits) {
  uint64_t v = 0;
  for (char c : bits) v = v * 2 + (c == '1' ? 1 : 0);  // x and z read as 0
  return v;
}

Vcd parse_vcd(const std::string& text) {
  Vcd vcd;
  std::istringstream in(text);
  std::vector<std::string> scopes;
  std::string tok;
  uint64_t now = 0;
  auto skip_to_end = [&in] {
    std::string t;
    while (in >> t && t != "$end") {
    }
  };
  while (in >> tok) {
    if (!vcd.enddefinitions) {
      if (tok == "$scope") {
        std::string kind, name;
        in >> kind >> name;
        scopes.push_back(name);
        skip_to_end();
      } else if (tok == "$upscope") {
        if (!scopes.empty()) scopes.pop_back();
        skip_to_end();
      } else if (tok == "$var") {
        std::string type, width, code, name;
        in >> type >> width >> code >> name;
        skip_to_end();  // an optional [msb:lsb]
        std::string full;
        for (const std::string& s : scopes) full += s + ".";
        full += name;
        vcd.vars[code] = Vcd::Var{full, static_cast<unsigned>(std::stoul(width))};
        vcd.id_of[full] = code;
      } else if (tok == "$enddefinitions") {
        vcd.enddefinitions = true;
        skip_to_end();
      } else if (tok[0] == '$') {
        skip_to_end();  // $date, $version, $timescale, $comment
      }
      continue;
    }
    if (tok == "$comment") {
      skip_to_end();
    } else if (tok == "$dumpvars" || tok == "$end") {
      // the initial values follow as plain changes
    } else if (tok[0] == '#') {
      const uint64_t t = std::stoull(tok.substr(1));
      if (!vcd.times.empty() && t <= vcd.times.back()) vcd.times_monotonic = false;
      vcd.times.push_back(t);
      now = t;
    } else if (tok[0] == 'b' || tok[0] == 'r') {
      std::string code;
      in >> code;
      vcd.changes[code].push_back({now, vcd_value(tok.substr(1))});
    } else {
      vcd.changes[tok.substr(1)].push_back({now, tok[0] == '1' ? 1u : 0u});
    }
  }
  return vcd;
}

}  // namespace

TEST(SmmuSimTrace, TraceNestsAndLinksTheDriverToItsCommandsAndWavesParse) {
  const std::string trace_path = temp_path("trace.json"), vcd_path = temp_path("waves.vcd");
  std::string out, err;
  ASSERT_EQ(run_cli({"-q", "--trace", trace_path, "--vcd", vcd_path}, out, err), 0) << err;
  EXPECT_EQ(err, "");  // nothing dropped at the default limit

  const json t = read_json(trace_path);
  const json& events = t.at("traceEvents");
  ASSERT_TRUE(events.is_array());
  for (const json& e : events) {
    ASSERT_TRUE(e.contains("ph") && e.contains("ts") && e.contains("pid") && e.contains("tid")) << e.dump();
    if (e["ph"] == "X") {
      ASSERT_TRUE(e.contains("dur") && e["dur"].get<double>() >= 0) << e.dump();
    }
  }
  // Track names.
  std::map<std::pair<int, int>, std::string> thread_name;
  std::map<int, std::string> process_name;
  for (const json& e : events) {
    if (e["ph"] != "M") continue;
    if (e["name"] == "thread_name") thread_name[{e["pid"], e["tid"]}] = e["args"]["name"];
    if (e["name"] == "process_name") process_name[e["pid"]] = e["args"]["name"];
  }
  EXPECT_EQ(process_name[0], "smmu0");
  EXPECT_EQ(thread_name[std::make_pair(0, 0)], "command engine");
  EXPECT_EQ(process_name[1], "CPUs");

  // On every track the slices nest: none starts inside another and ends after it. Steps
  // lie inside a transaction of their track.
  const auto tracks = slices_by_track(events);
  size_t steps = 0, transactions = 0;
  std::set<std::string> step_names;
  std::map<std::string, std::set<std::string>> parents_of;  // step -> its direct parents' names
  for (const auto& [track, list] : tracks) {
    std::vector<const Slice*> stack;
    for (const Slice& s : list) {
      while (!stack.empty() && stack.back()->end <= s.start) stack.pop_back();
      if (!stack.empty()) {
        EXPECT_LE(s.end, stack.back()->end) << "on (" << track.first << ", " << track.second << "): " << s.name
                                            << " [" << s.start << ", " << s.end << ") overlaps " << stack.back()->name
                                            << " [" << stack.back()->start << ", " << stack.back()->end << ")";
      }
      if (s.cat == "step") {
        ++steps;
        step_names.insert(s.name);
        ASSERT_FALSE(stack.empty()) << s.name << " outside any transaction";
        EXPECT_TRUE(stack.front()->cat == "dma" || stack.front()->cat == "ats") << s.name;
        EXPECT_GE(s.start, stack.front()->start);
        EXPECT_LE(s.end, stack.front()->end);
        parents_of[s.name].insert(stack.back()->name);
      } else if (s.cat == "dma" || s.cat == "ats") {
        ++transactions;
        EXPECT_TRUE(stack.empty()) << s.name << " inside " << stack.back()->name;
      }
      stack.push_back(&s);
    }
  }
  EXPECT_EQ(transactions, t["otherData"]["events_recorded"].get<size_t>());
  EXPECT_GT(steps, transactions);
  for (const char* n : {"micro TLB lookup", "DTI request", "TCU", "config (STE/CD)", "STE fetch", "STE read",
                        "CD read", "TCU TLB lookup", "table walk", "S1 walk", "S1 L3 descriptor read",
                        "memory access", "ATS translation request"})
    EXPECT_TRUE(step_names.count(n)) << n;
  // The translation's parts nest as the model calls them.
  EXPECT_EQ(parents_of["TCU"], (std::set<std::string>{"DTI request"}));
  EXPECT_EQ(parents_of["table walk"].count("TCU"), 1u);
  EXPECT_EQ(parents_of["S1 L3 descriptor read"], (std::set<std::string>{"S1 walk"}));
  EXPECT_EQ(parents_of["STE read"], (std::set<std::string>{"STE fetch"}));

  // The command engine: batches with their commands, CMD_SYNC among them.
  const std::vector<Slice>& engine = tracks.at(std::make_pair(0, 0));
  size_t batches = 0, syncs = 0, commands = 0;
  std::map<int64_t, std::string> command_at;  // start -> name
  for (const Slice& s : engine) {
    if (s.name == "batch") ++batches;
    if (s.cat == "cmd") {
      ++commands;
      command_at[s.start] = s.name;
      if (s.name == "CMD_SYNC") ++syncs;
    }
  }
  EXPECT_GT(batches, 0u);
  EXPECT_GT(syncs, 0u);
  EXPECT_GT(commands, syncs);
  // The CPUs' driver work: the set-up and the scenario's ops.
  std::set<std::string> work;
  for (const auto& [track, list] : tracks)
    if (track.first == 1)
      for (const Slice& s : list) work.insert(s.name);
  EXPECT_TRUE(work.count("driver set-up"));
  EXPECT_TRUE(work.count("remap"));

  // Flows: each "s" on a CPU inside a piece of driver work, its "f" at the start of a
  // command on the engine's track; at least one from a driver op to a CMD_SYNC.
  std::map<uint64_t, const json*> flow_s, flow_f;
  for (const json& e : events) {
    if (e["ph"] == "s") flow_s[e["id"].get<uint64_t>()] = &e;
    if (e["ph"] == "f") flow_f[e["id"].get<uint64_t>()] = &e;
  }
  ASSERT_FALSE(flow_s.empty());
  EXPECT_EQ(flow_s.size(), flow_f.size());
  size_t op_to_sync = 0;
  for (const auto& [id, s] : flow_s) {
    ASSERT_TRUE(flow_f.count(id)) << id;
    const json& f = *flow_f[id];
    EXPECT_EQ((*s)["pid"], 1);
    EXPECT_EQ(f["pid"], 0);
    EXPECT_EQ(f["tid"], 0);
    EXPECT_EQ(f["bp"], "e");
    ASSERT_TRUE(command_at.count(ps(f["ts"]))) << "flow " << id << " ends at no command";
    const std::string& command = command_at[ps(f["ts"])];
    // The driver work it starts in.
    const auto& cpu = tracks.at(std::make_pair(1, (*s)["tid"].get<int>()));
    const int64_t at = ps((*s)["ts"]);
    const Slice* from = nullptr;
    for (const Slice& w : cpu)
      if (w.start <= at && at <= w.end) from = &w;
    ASSERT_NE(from, nullptr) << "flow " << id << " starts outside the CPU's work";
    if (command == "CMD_SYNC" && from->name != "driver set-up") ++op_to_sync;
  }
  EXPECT_GT(op_to_sync, 0u);

  // The VCD: declarations, then changes at increasing times.
  std::ifstream vin(vcd_path);
  std::stringstream vtext;
  vtext << vin.rdbuf();
  const Vcd vcd = parse_vcd(vtext.str());
  EXPECT_TRUE(vcd.enddefinitions);
  EXPECT_TRUE(vcd.times_monotonic);
  ASSERT_FALSE(vcd.times.empty());
  auto values = [&vcd](const std::string& name) {
    const auto it = vcd.id_of.find(name);
    EXPECT_NE(it, vcd.id_of.end()) << name << " not declared";
    std::vector<uint64_t> v;
    if (it == vcd.id_of.end()) return v;
    const auto c = vcd.changes.find(it->second);
    if (c != vcd.changes.end())
      for (const auto& tv : c->second) v.push_back(tv.second);
    return v;
  };
  for (const char* n : {"SystemC.soc.smmu0.evtq_irq", "SystemC.soc.smmu0.tcu.evtq_prod",
                        "SystemC.soc.smmu0.tcu.evtq_cons", "SystemC.soc.smmu0.tcu.walk_slots_busy",
                        "SystemC.soc.smmu0.tcu.tlb_misses", "SystemC.soc.smmu0.tbu.micro_tlb_misses",
                        "SystemC.soc.smmu0.tbu.dti_requests", "SystemC.soc.smmu0_port1.done"})
    EXPECT_TRUE(vcd.id_of.count(n)) << n;
  // The driver's commands move CMDQ_PROD, and the engine CONS after it.
  const std::vector<uint64_t> prod = values("SystemC.soc.smmu0.tcu.cmdq_prod");
  const std::vector<uint64_t> cons = values("SystemC.soc.smmu0.tcu.cmdq_cons");
  ASSERT_GT(prod.size(), 2u);
  EXPECT_NE(prod.front(), prod.back());
  ASSERT_GT(cons.size(), 2u);
  EXPECT_EQ(prod.back(), cons.back());  // drained at the end
  // Cumulative figures never go down, and they count.
  for (const char* n : {"SystemC.soc.smmu0.tbu.micro_tlb_hits", "SystemC.soc.smmu0.tcu.tlb_hits",
                        "SystemC.soc.smmu0.tcu.walks"}) {
    const std::vector<uint64_t> v = values(n);
    ASSERT_GT(v.size(), 1u) << n;
    for (size_t i = 1; i < v.size(); ++i) EXPECT_GE(v[i], v[i - 1]) << n;
    EXPECT_GT(v.back(), 0u) << n;
  }
  // Every signal waves/smmu_default.gtkw shows is in the VCD (names without the range).
  std::ifstream gtkw(std::string(SMMU_WAVES_DIR) + "/smmu_default.gtkw");
  ASSERT_TRUE(gtkw.good());
  size_t shown = 0;
  for (std::string line; std::getline(gtkw, line);) {
    if (line.rfind("SystemC.", 0) != 0) continue;
    ++shown;
    const std::string name = line.substr(0, line.find('['));
    EXPECT_TRUE(vcd.id_of.count(name)) << name << " (waves/smmu_default.gtkw) is not in the VCD";
  }
  EXPECT_GE(shown, 18u);
  // Slot peaks: some use.
  const std::vector<uint64_t> walk_busy = values("SystemC.soc.smmu0.tcu.walk_slots_busy");
  const std::vector<uint64_t> tr_busy = values("SystemC.soc.smmu0.tcu.translation_slots_busy");
  ASSERT_FALSE(walk_busy.empty());
  ASSERT_FALSE(tr_busy.empty());
  EXPECT_GT(*std::max_element(walk_busy.begin(), walk_busy.end()), 0u);
  EXPECT_GT(*std::max_element(tr_busy.begin(), tr_busy.end()), 0u);
  std::remove(trace_path.c_str());
  std::remove(vcd_path.c_str());
}

TEST(SmmuSimTrace, TraceLimitKeepsTheFirstAndSaysHowManyItDropped) {
  const std::string trace_path = temp_path("limited.json");
  std::string out, err;
  ASSERT_EQ(run_cli({"-q", "--trace", trace_path, "--trace-limit", "100"}, out, err), 0) << err;
  const json t = read_json(trace_path);
  EXPECT_EQ(t["otherData"]["events_recorded"], 100);
  EXPECT_EQ(t["otherData"]["event_limit"], 100);
  const uint64_t dropped = t["otherData"]["events_dropped"].get<uint64_t>();
  EXPECT_GT(dropped, 10000u);
  EXPECT_EQ(err, "trace: dropped " + std::to_string(dropped) + " transactions beyond --trace-limit 100\n");
  size_t transactions = 0;
  for (const json& e : t["traceEvents"])
    if (e["ph"] == "X" && (e["cat"] == "dma" || e["cat"] == "ats")) ++transactions;
  EXPECT_EQ(transactions, 100u);
  std::remove(trace_path.c_str());
}

// Bad values are in SmmuSim.HostileInputsExitTwoWithOneLine; the message names the option.
TEST(SmmuSimTrace, BadTraceLimitNamesTheOption) {
  std::string out, err;
  EXPECT_EQ(run_cli({"--trace", temp_path("bad.json"), "--trace-limit", "0"}, out, err), 2);
  EXPECT_EQ(err, "--trace-limit: expected a positive integer, got '0'\n");
  EXPECT_EQ(run_cli({"--trace-limit", "10"}, out, err), 2);
  EXPECT_EQ(err, "--trace-limit: needs --trace FILE\n");
  std::remove(temp_path("bad.json").c_str());
}

// scenarios/tlb_thrash.json: slots so contended that releases move work back in time
// (occupancy.h); the steps still nest, on every track.
TEST(SmmuSimTrace, StepsNestWhenSlotReleasesMoveWorkBack) {
  const std::string trace_path = temp_path("thrash.json");
  std::string out, err;
  ASSERT_EQ(run_cli({"-q", "--trace", trace_path, std::string(SMMU_SCENARIO_DIR) + "/tlb_thrash.json"}, out, err), 0)
      << err;
  const json t = read_json(trace_path);
  size_t bad = 0, slices = 0;
  for (const auto& [track, list] : slices_by_track(t["traceEvents"])) {
    std::vector<int64_t> ends;  // of the slices enclosing the current one
    for (const Slice& s : list) {
      while (!ends.empty() && ends.back() <= s.start) ends.pop_back();
      bad += !ends.empty() && s.end > ends.back();
      ends.push_back(s.end);
      ++slices;
    }
  }
  EXPECT_GT(slices, 10000u);
  EXPECT_EQ(bad, 0u);
  std::remove(trace_path.c_str());
}

// Tracing and waves only look: the report is the same to the picosecond.
TEST(SmmuSimTrace, TracingChangesNoFigure) {
  const std::string plain = temp_path("plain.json"), traced = temp_path("traced.json"),
                    trace_path = temp_path("t.json"), vcd_path = temp_path("w.vcd");
  ASSERT_EQ(run_cli_in_child({"-q", "--json", plain}), 0);
  ASSERT_EQ(run_cli_in_child({"-q", "--json", traced, "--trace", trace_path, "--vcd", vcd_path}), 0);
  EXPECT_EQ(read_json(plain), read_json(traced));
  for (const std::string& p : {plain, traced, trace_path, vcd_path}) std::remove(p.c_str());
}
