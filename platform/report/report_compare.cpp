// SPDX-License-Identifier: Apache-2.0
#include "platform/report/report_compare.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace smmu::platform {

namespace {

using nlohmann::json;

void flatten(const json& j, const std::string& path, std::vector<std::pair<std::string, json>>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_array() && !j.empty()) {
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    out.emplace_back(path, j);
  }
}

// A path's parts: names and "[i]" indexes.
std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '.') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else if (c == '[') {
      if (!cur.empty()) parts.push_back(cur);
      cur = "[";
    } else if (c == ']') {
      cur += ']';
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& key) {
  for (const std::string& p : patterns)
    if (key_matches(p, key)) return true;
  return false;
}

bool selected(const CompareRules& r, const std::string& key) {
  if (!r.only.empty() && !matches_any(r.only, key)) return false;
  return !matches_any(r.ignore, key);
}

}  // namespace

std::vector<std::pair<std::string, json>> flatten_report(const json& j) {
  std::vector<std::pair<std::string, json>> out;
  flatten(j, "", out);
  return out;
}

const json* find_report_value(const json& j, const std::string& path) {
  const json* cur = &j;
  for (const std::string& part : split_path(path)) {
    if (part.front() == '[') {
      const std::string digits = part.substr(1, part.size() - 2);
      if (!cur->is_array() || digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
        return nullptr;
      const size_t i = std::stoul(digits);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      if (!cur->is_object() || !cur->contains(part)) return nullptr;
      cur = &(*cur)[part];
    }
  }
  return cur;
}

bool key_matches(const std::string& pattern, const std::string& key) {
  const std::vector<std::string> p = split_path(pattern), k = split_path(key);
  if (p.empty() || p.size() > k.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "*" || (p[i] == "[*]" && k[i].front() == '[')) continue;
    if (p[i] != k[i]) return false;
  }
  return true;
}

std::vector<ReportDifference> compare_reports(const json& before, const json& after, const CompareRules& rules) {
  const auto a = flatten_report(before), b = flatten_report(after);
  std::map<std::string, const json*> in_after;
  for (const auto& [k, v] : b) in_after[k] = &v;
  std::map<std::string, bool> seen;
  std::vector<ReportDifference> out;
  for (const auto& [k, v] : a) {
    seen[k] = true;
    if (!selected(rules, k)) continue;
    const auto it = in_after.find(k);
    if (it == in_after.end()) {
      out.push_back({k, v, std::nullopt});
    } else if (*it->second != v) {
      out.push_back({k, v, *it->second});
    }
  }
  for (const auto& [k, v] : b)
    if (!seen.count(k) && selected(rules, k)) out.push_back({k, std::nullopt, v});
  return out;
}

std::string format_difference(const ReportDifference& d, bool relative) {
  auto text = [](const std::optional<json>& v) { return v ? v->dump() : std::string("(absent)"); };
  std::string s = d.key + ": " + text(d.before) + " -> " + text(d.after);
  if (relative && d.before && d.after && d.before->is_number() && d.after->is_number()) {
    const double a = d.before->get<double>(), b = d.after->get<double>();
    if (a != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " (%+.1f%%)", (b - a) / std::fabs(a) * 100.0);
      s += buf;
    }
  }
  return s;
}

}  // namespace smmu::platform
