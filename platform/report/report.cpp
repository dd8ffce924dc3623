// SPDX-License-Identifier: Apache-2.0
#include "platform/report/report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace smmu::platform {

using nlohmann::json;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_empty_container(const json& v) { return (v.is_object() || v.is_array()) && v.empty(); }

// Arrays holding objects, arrays or strings (lines of a log) get numbered entries;
// others print inline.
bool is_compound(const json& v) {
  if (is_empty_container(v)) return false;
  if (v.is_object()) return true;
  if (!v.is_array()) return false;
  return std::any_of(v.begin(), v.end(),
                     [](const json& e) { return e.is_object() || e.is_array() || e.is_string(); });
}

std::string format_number(double d, const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, d);
  return buf;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  const double mag = std::fabs(d);
  if (d != 0.0 && (mag < 1e-3 || mag >= 1e12)) return format_number(d, "%.3e");
  return format_number(d, "%.3f");
}

struct Line {
  std::string key;
  std::string value;
  bool numeric;
};

void print_lines(const std::vector<Line>& lines, int indent, std::ostream& os) {
  size_t key_w = 0, num_w = 0;
  for (const Line& l : lines) {
    key_w = std::max(key_w, l.key.size());
    if (l.numeric) num_w = std::max(num_w, l.value.size());
  }
  for (const Line& l : lines) {
    os << std::string(static_cast<size_t>(indent), ' ') << l.key
       << std::string(key_w - l.key.size() + 2, ' ');
    if (l.numeric) os << std::string(num_w - l.value.size(), ' ');
    os << l.value << '\n';
  }
}

void print_node(const std::string& name, const json& v, int indent, std::ostream& os);

// Latency histograms are for the JSON report and plots: the text says how many bins.
bool is_histogram(const std::string& key, const json& v) { return key == "histogram" && v.is_array(); }

// The content of one section: plain values aligned, then subsections.
void print_body(const json& obj, int indent, std::ostream& os) {
  std::vector<Line> lines;
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (is_histogram(it.key(), it.value()))
      lines.push_back({it.key(), std::to_string(it.value().size()) + " bins (JSON report)", false});
    else if (!is_compound(it.value()))
      lines.push_back({it.key(), format_report_value(it.key(), it.value()),
                       it.value().is_number()});
  print_lines(lines, indent, os);
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (is_compound(it.value()) && !is_histogram(it.key(), it.value())) print_node(it.key(), it.value(), indent, os);
}

void print_node(const std::string& name, const json& v, int indent, std::ostream& os) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    os << pad << name << ":\n";
    print_body(v, indent + 2, os);
  } else if (is_compound(v)) {
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string sub = name + "[" + std::to_string(i) + "]";
      if (is_compound(v[i]))
        print_node(sub, v[i], indent, os);
      else
        print_lines({{sub, format_report_value(name, v[i]), v[i].is_number()}}, indent, os);
    }
  } else {
    print_lines({{name, format_report_value(name, v), v.is_number()}}, indent, os);
  }
}

}  // namespace

std::string format_report_value(const std::string& key, const json& v) {
  if (v.is_null() || is_empty_container(v)) return "-";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() && ends_with(key, "_rate")) return format_number(v.get<double>() * 100.0, "%.2f%%");
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) return format_float(v.get<double>());
  if (v.is_array()) {  // plain values only (compound arrays become subsections)
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_report_value(key, v[i]);
    return s + "]";
  }
  return v.dump();
}

void print_report(const json& report, std::ostream& os) {
  if (report.is_object())
    print_body(report, 0, os);
  else
    print_node("report", report, 0, os);
}

void write_json_report(const json& report, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write JSON report " + path + ": " + std::strerror(errno));
  out << report.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write JSON report " + path + ": write failed");
}

void add_hit_rates(json& report) {
  if (report.is_object()) {
    auto hits = report.find("hits");
    auto misses = report.find("misses");
    if (hits != report.end() && misses != report.end() && hits->is_number() &&
        misses->is_number()) {
      const double h = hits->get<double>();
      const double total = h + misses->get<double>();
      report["hit_rate"] = total > 0 ? json(h / total) : json(nullptr);
    }
  }
  if (report.is_object() || report.is_array())
    for (auto it = report.begin(); it != report.end(); ++it) add_hit_rates(*it);
}

}  // namespace smmu::platform
