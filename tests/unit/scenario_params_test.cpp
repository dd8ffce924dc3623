// SPDX-License-Identifier: Apache-2.0
// The SMMU parameter tables through the scenario reader: every parameter set to each end
// of its range (or each allowed value) lands in its own field and nowhere else; one step
// beyond is refused with a message naming the key and the value.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/config/config_reader.h"
#include "platform/scenario/parameter_list.h"
#include "platform/scenario/scenario.h"
#include "platform/run/smmu_sim.h"
#include "rtl_model/smmu/smmu_param_table.h"

namespace smmu::platform {
namespace {

using nlohmann::json;

// {"a.b": v} as {"a": {"b": v}} (one level of nesting at most, as in the tables).
json nest(const std::string& key, const json& v) {
  const size_t dot = key.rfind('.');
  if (dot == std::string::npos) return json{{key, v}};
  return json{{key.substr(0, dot), json{{key.substr(dot + 1), v}}}};
}

std::string ps_text(uint64_t ps) { return std::to_string(ps) + " ps"; }

// A value of the parameter's JSON and the text param_value_text should give for it.
using Case = std::pair<json, std::string>;

template <typename Owner>
std::vector<Case> accepted(const model::Param<Owner>& p) {
  std::vector<Case> out;
  if (p.is_bool()) {
    out = {{false, "false"}, {true, "true"}};
  } else if (p.is_policy()) {
    for (const char* n : {"lru", "fifo", "random"}) out.push_back({n, n});
  } else if (p.is_time()) {
    for (uint64_t ps : {p.min, p.max}) out.push_back({ps_text(ps), model::format_param_time(ps)});
  } else if (!p.allowed.empty()) {
    for (uint64_t v : p.allowed) out.push_back({v, std::to_string(v)});
  } else {
    for (uint64_t v : {p.min, p.max}) out.push_back({v, std::to_string(v)});
  }
  return out;
}

// Values one step outside what the parameter accepts, and the text the message shows.
template <typename Owner>
std::vector<Case> refused(const model::Param<Owner>& p) {
  std::vector<Case> out;
  if (p.is_bool()) {
    out = {{1, "1"}, {"yes", "\"yes\""}};
  } else if (p.is_policy()) {
    out = {{"plru", "\"plru\""}};
  } else if (p.is_time()) {
    out.push_back({ps_text(p.max + 1), "\"" + ps_text(p.max + 1) + "\""});
    if (p.min > 0) out.push_back({ps_text(p.min - 1), "\"" + ps_text(p.min - 1) + "\""});
  } else if (!p.allowed.empty()) {
    out.push_back({p.allowed.front() + 1, std::to_string(p.allowed.front() + 1)});
    out.push_back({p.allowed.back() + 1, std::to_string(p.allowed.back() + 1)});
  } else {
    out.push_back({p.max + 1, std::to_string(p.max + 1)});
    if (p.min > 0) out.push_back({p.min - 1, std::to_string(p.min - 1)});
    if (p.pow2 && p.max >= 3) out.push_back({3, "3"});
  }
  return out;
}

std::string error_of(const json& doc) {
  try {
    read_scenario(doc);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

json smmu_doc(const std::string& key, const json& v) { return json{{"smmus", json::array({nest(key, v)})}}; }

json tbu_doc(const std::string& key, const json& v) {
  json tbu = nest(key, v);
  tbu["ports"] = json::array({0});
  return json{{"smmus", json::array({json{{"tbus", json::array({tbu})}}})}};
}

TEST(ScenarioParams, EverySmmuParameterRoundTripsIntoItsOwnField) {
  const auto& table = model::smmu_param_table();
  ASSERT_GE(table.size(), 40u);
  for (const model::SmmuParam& p : table) {
    for (const Case& c : accepted(p)) {
      SCOPED_TRACE(std::string(p.key) + " = " + c.first.dump());
      const json doc = smmu_doc(p.key, c.first);
      Scenario sc;
      ASSERT_NO_THROW(sc = read_scenario(doc)) << error_of(doc);
      model::SmmuParams& got = sc.smmus.at(0).params;
      EXPECT_EQ(model::param_value_text(p, got), c.second);
      // Every other parameter kept its default: the key reached this field only.
      for (const model::SmmuParam& q : table) {
        if (&q == &p) continue;
        EXPECT_EQ(model::param_value_text(q, got), model::param_default_text(q)) << q.key;
      }
    }
  }
}

TEST(ScenarioParams, EveryTbuParameterRoundTrips) {
  for (const model::TbuParam& p : model::tbu_param_table()) {
    for (const Case& c : accepted(p)) {
      SCOPED_TRACE(std::string(p.key) + " = " + c.first.dump());
      const json doc = tbu_doc(p.key, c.first);
      Scenario sc;
      ASSERT_NO_THROW(sc = read_scenario(doc)) << error_of(doc);
      ASSERT_EQ(sc.smmus.at(0).params.tbus.size(), 1u);
      model::TbuLayout& got = sc.smmus[0].params.tbus[0];
      const std::string key = p.key;
      // A main_tlb key gives the TBU a main TLB; none otherwise.
      EXPECT_EQ(got.main_tlb.has_value(), key.rfind("main_tlb.", 0) == 0);
      if (!got.main_tlb) got.main_tlb.emplace();
      EXPECT_EQ(model::param_value_text(p, got), c.second);
    }
  }
}

// Each refused value of each parameter of `table`, in the document `doc` builds, fails
// with "<path><key>: ..., got <value>".
template <typename Owner, typename Doc>
void expect_refused(const std::vector<model::Param<Owner>>& table, Doc doc, const std::string& path) {
  for (const model::Param<Owner>& p : table) {
    for (const Case& c : refused(p)) {
      SCOPED_TRACE(std::string(p.key) + " = " + c.first.dump());
      const std::string msg = error_of(doc(p.key, c.first));
      EXPECT_EQ(msg.rfind(path + p.key + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find("got " + c.second), std::string::npos) << msg;
    }
  }
}

TEST(ScenarioParams, OutOfRangeValuesAreRefusedNamingKeyAndValue) {
  expect_refused(model::smmu_param_table(), smmu_doc, "scenario.smmus[0].");
  expect_refused(model::tbu_param_table(), tbu_doc, "scenario.smmus[0].tbus[0].");
}

int run_cli(std::vector<std::string> args, std::string& out, std::string& err) {
  args.insert(args.begin(), "smmu-sim");
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::ostringstream o, e;
  const int rc = run_smmu_sim(static_cast<int>(args.size()), argv.data(), o, e);
  out = o.str();
  err = e.str();
  return rc;
}

// The model reads at most 64 commands per queue access; more used to be accepted and
// clamped without a word.
TEST(ScenarioParams, CommandFetchBatchIsOneToSixtyFour) {
  EXPECT_EQ(error_of(smmu_doc("timing.command_fetch_batch", 65536)),
            "scenario.smmus[0].timing.command_fetch_batch: expected an integer in [1, 64], got 65536");
  EXPECT_EQ(read_scenario(smmu_doc("timing.command_fetch_batch", 64)).smmus[0].params.timing.command_fetch_batch,
            64u);
  std::string out, err;
  EXPECT_EQ(run_cli({"-q", "--set", "smmus[0].timing.command_fetch_batch=65536"}, out, err), 2);
  EXPECT_EQ(err, "scenario.smmus[0].timing.command_fetch_batch: expected an integer in [1, 64], got 65536\n");
}

TEST(ScenarioParams, ListParametersPrintsTheTable) {
  std::string out, err;
  EXPECT_EQ(run_cli({"--list-parameters"}, out, err), 0);
  EXPECT_EQ(out, parameter_table_markdown());
  EXPECT_NE(out.find("| `smmus[].timing.command_fetch_batch` | unsigned | 1 .. 64 | 8 | commands |"),
            std::string::npos);
  EXPECT_NE(out.find("| `smmus[].tbus[].dti_latency` | time | 0 ns .. 1000 s | 8 ns |"), std::string::npos);
  // One row per parameter, after the header and its rule.
  const size_t rows = static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
  EXPECT_EQ(rows, 2 + model::smmu_param_table().size() + model::tbu_param_table().size());
}

}  // namespace
}  // namespace smmu::platform
