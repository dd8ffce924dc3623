// SPDX-License-Identifier: Apache-2.0
// Comparing two smmu-sim reports key by key: what `smmu-sim --expect` and
// `smmu-report-diff` print. A report is flattened to its scalar leaves, each named by
// its path as --set names scenario keys ("devices[0].latency_ns.p99"); two leaves
// differ unless their JSON values are equal (exact: simulated times and counts are
// deterministic, so a golden is held to the nanosecond).
//
// Rules choose the keys: `only` (empty: every key) and `ignore` are patterns matched
// against paths: a pattern names a key and everything below it ("smmus[0].tlb" covers
// "smmus[0].tlb.hits"), and "*" stands for any one name or index ("devices[*].faults",
// "smmus[0].*.hit_rate").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace smmu::platform {

struct CompareRules {
  std::vector<std::string> only;
  std::vector<std::string> ignore;
};

struct ReportDifference {
  std::string key;
  std::optional<nlohmann::json> before, after;  // absent on that side when nullopt
};

// Every scalar leaf (and empty array or object) of j, by path, in document order.
std::vector<std::pair<std::string, nlohmann::json>> flatten_report(const nlohmann::json& j);

// The value at `path` ("smmus[0].main_tlb.hits"), or nullptr when there is none.
const nlohmann::json* find_report_value(const nlohmann::json& j, const std::string& path);

// Whether `pattern` covers `key` (see the top of the file).
bool key_matches(const std::string& pattern, const std::string& key);

// The keys where before and after differ, in before's order, then keys only in after.
std::vector<ReportDifference> compare_reports(const nlohmann::json& before, const nlohmann::json& after,
                                              const CompareRules& rules = {});

// "key: before -> after", with " (+12.5%)" after numbers when relative is set and
// before is a non-zero number.
std::string format_difference(const ReportDifference& d, bool relative = false);

}  // namespace smmu::platform
