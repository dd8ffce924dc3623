// SPDX-License-Identifier: Apache-2.0
#include "platform/report/golden.h"

#include "platform/config/config_reader.h"
#include "platform/config/version.h"

namespace smmu::platform {

using nlohmann::json;

json Golden::expected() const {
  json r = report;
  r["scenario"] = scenario;
  return r;
}

json make_golden(const json& report_with_scenario) {
  json report = report_with_scenario;
  json scenario = report.contains("scenario") ? report["scenario"] : json::object();
  report.erase("scenario");
  report.erase("version");  // the golden's own, at the top
  return json{{"format", kGoldenFormat}, {"version", kVersion}, {"scenario", scenario},
              {"compare", json::array()}, {"ignore", json::array()}, {"report", report}};
}

namespace {

std::vector<std::string> patterns(const json& g, const std::string& path, const char* key) {
  std::vector<std::string> out;
  if (!g.contains(key)) return out;
  const json& a = g.at(key);
  if (!a.is_array()) throw ConfigError(path + ": " + key + ": expected an array of key patterns");
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string() || a[i].get<std::string>().empty())
      throw ConfigError(path + ": " + key + "[" + std::to_string(i) + "]: expected a key pattern (a string)");
    out.push_back(a[i].get<std::string>());
  }
  return out;
}

}  // namespace

Golden read_golden(const std::string& path) {
  json g;
  try {
    g = load_json_file(path);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("--expect: ") + e.what());
  }
  const std::string where = "--expect " + path;
  if (!g.is_object() || !g.contains("format") || g["format"] != kGoldenFormat)
    throw ConfigError(where + ": format: not a golden report (expected \"" + kGoldenFormat +
                      "\"; write one with --write-golden)");
  Golden out;
  if (!g.contains("report") || !g["report"].is_object()) throw ConfigError(where + ": report: expected an object");
  if (!g.contains("scenario") || !g["scenario"].is_object())
    throw ConfigError(where + ": scenario: expected an object");
  out.report = g["report"];
  out.scenario = g["scenario"];
  out.version = g.value("version", "");
  out.rules.only = patterns(g, where, "compare");
  out.rules.ignore = patterns(g, where, "ignore");
  return out;
}

}  // namespace smmu::platform
