// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/log.h"

#include <algorithm>
#include <cstring>

namespace smmu::model::log {
namespace detail {
bool g_any_module_level = false;
}

namespace {
struct Levels {
  int base = -1;  // the global verbosity before the first module level raised it
  std::vector<std::pair<std::string, int>> modules;
};
Levels& levels() {
  static Levels l;
  return l;
}

// "a.b" covers "a.b" and "a.b.c", not "a.bc".
bool covers(const std::string& prefix, const char* name) {
  const size_t n = prefix.size();
  return std::strncmp(name, prefix.c_str(), n) == 0 && (name[n] == '\0' || name[n] == '.');
}
}  // namespace

void set_module_level(const std::string& prefix, int verbosity) {
  Levels& l = levels();
  if (l.base < 0) l.base = sc_core::sc_report_handler::get_verbosity_level();
  const auto same = std::find_if(l.modules.begin(), l.modules.end(), [&](const auto& m) { return m.first == prefix; });
  if (same != l.modules.end()) same->second = verbosity;
  else l.modules.emplace_back(prefix, verbosity);
  int highest = l.base;
  for (const auto& m : l.modules) highest = std::max(highest, m.second);
  if (sc_core::sc_report_handler::get_verbosity_level() < highest)
    sc_core::sc_report_handler::set_verbosity_level(highest);
  detail::g_any_module_level = true;
}

void clear_module_levels() {
  Levels& l = levels();
  if (l.base >= 0) sc_core::sc_report_handler::set_verbosity_level(l.base);
  l = Levels{};
  detail::g_any_module_level = false;
}

int level_of(const char* name) {
  const Levels& l = levels();
  size_t best = 0;
  int level = l.base >= 0 ? l.base : sc_core::sc_report_handler::get_verbosity_level();
  for (const auto& m : l.modules)
    if (m.first.size() >= best && covers(m.first, name)) {
      best = m.first.size();
      level = m.second;
    }
  return level;
}

}  // namespace smmu::model::log
