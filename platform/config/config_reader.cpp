// SPDX-License-Identifier: Apache-2.0
#include "platform/config/config_reader.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace smmu::platform {

using nlohmann::json;

namespace {

// Text cut to at most `max` characters ("..." at the end), so a message stays one line.
std::string shorten(const std::string& s, size_t max) {
  return s.size() > max ? s.substr(0, max - 3) + "..." : s;
}

// A value as it appears in the file, shortened so a message stays one readable line.
std::string describe(const json& v) {
  // Replace, not throw: a --set value that is not JSON is kept as a string with whatever
  // bytes it had, and invalid UTF-8 must still give the message naming the key.
  return shorten(v.dump(-1, ' ', false, json::error_handler_t::replace), 60);
}

std::string format_double(double d) {
  std::ostringstream os;
  os.precision(15);
  os << d;
  return os.str();
}

// "1500 ps" -> "1.5 ns": bounds in messages read like the inputs.
std::string format_time(uint64_t ps) {
  std::string s = std::to_string(ps / 1000);
  if (uint64_t frac = ps % 1000) {
    std::string f = std::to_string(frac);
    f.insert(0, 3 - f.size(), '0');
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s + " ns";
}

std::string uint_expectation(uint64_t min, uint64_t max) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (max == kMax) {
    if (min == 0) return "a non-negative integer";
    if (min == 1) return "a positive integer";
    return "an integer >= " + std::to_string(min);
  }
  return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}


[[noreturn]] void bad_value(const std::string& where, const std::string& expected, const json& v) {
  throw ConfigError(where + ": expected " + expected + ", got " + describe(v));
}

uint64_t to_uint(const json& v, const std::string& where, uint64_t min, uint64_t max) {
  const std::string expected = uint_expectation(min, max);
  uint64_t out = 0;
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());  // a signed integer built in C++
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    // 2^64 is exactly representable; anything at or above it does not fit.
    if (!(d >= 0.0 && d < 18446744073709551616.0) || std::floor(d) != d)
      bad_value(where, expected, v);
    out = static_cast<uint64_t>(d);
  } else if (v.is_string()) {
    if (!parse_uint_text(v.get<std::string>(), out)) bad_value(where, expected, v);
  } else {
    bad_value(where, expected, v);  // negative integers, bools, objects, ...
  }
  if (out < min || out > max) bad_value(where, expected, v);
  return out;
}

int64_t to_int(const json& v, const std::string& where, int64_t min, int64_t max) {
  const bool unbounded = min == std::numeric_limits<int64_t>::min() &&
                         max == std::numeric_limits<int64_t>::max();
  const std::string expected =
      unbounded ? "an integer"
                : "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  int64_t out = 0;
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    out = v.get<int64_t>();
  } else if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      bad_value(where, expected, v);
    out = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::floor(d) != d)
      bad_value(where, expected, v);
    out = static_cast<int64_t>(d);
  } else if (v.is_string()) {
    std::string s = v.get<std::string>();
    const bool neg = !s.empty() && s[0] == '-';
    uint64_t mag = 0;
    if (!parse_uint_text(neg ? s.substr(1) : s, mag)) bad_value(where, expected, v);
    const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (neg ? 1 : 0);
    if (mag > limit) bad_value(where, expected, v);
    out = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  } else {
    bad_value(where, expected, v);
  }
  if (out < min || out > max) bad_value(where, expected, v);
  return out;
}

}  // namespace

// Decimal or 0x-hex digits, '_' allowed between digits. False when malformed or too big.
bool parse_uint_text(const std::string& text, uint64_t& out) {
  size_t i = 0;
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i >= text.size()) return false;
  uint64_t v = 0;
  bool prev_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      if (!prev_digit || i + 1 == text.size()) return false;
      prev_digit = false;
      continue;
    }
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return false;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base) return false;
    v = v * base + d;
    prev_digit = true;
  }
  out = v;
  return true;
}

// --- time parsing

uint64_t parse_time_ps(const std::string& text) {
  auto fail = [&text](const std::string& why) -> uint64_t {
    throw std::invalid_argument("bad time \"" + text + "\": " + why);
  };
  size_t i = 0;
  const size_t n = text.size();
  auto skip_spaces = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_spaces();
  if (i < n && text[i] == '-') return fail("negative");
  if (i < n && text[i] == '+') ++i;
  unsigned __int128 int_part = 0;
  size_t digits = 0;
  for (; i < n && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits) {
    int_part = int_part * 10 + static_cast<unsigned>(text[i] - '0');
    if (int_part > std::numeric_limits<uint64_t>::max()) return fail("too large");
  }
  std::string frac;
  if (i < n && text[i] == '.') {
    for (++i; i < n && std::isdigit(static_cast<unsigned char>(text[i])); ++i) frac += text[i];
  }
  if (digits == 0 && frac.empty()) return fail("expected a number followed by a unit");
  skip_spaces();
  const std::string unit = text.substr(i, text.find_first_of(" \t\r\n", i) - i);
  i += unit.size();
  skip_spaces();
  if (i != n) return fail("unexpected text after the unit");
  uint64_t unit_ps;
  if (unit == "ps")
    unit_ps = 1;
  else if (unit == "ns")
    unit_ps = 1000;
  else if (unit == "us" || unit == "\xC2\xB5s")  // also "µs"
    unit_ps = 1000000;
  else if (unit == "ms")
    unit_ps = 1000000000;
  else if (unit == "s")
    unit_ps = 1000000000000;
  else if (unit.empty())
    return fail("missing unit (ps, ns, us, ms or s)");
  else
    return fail("unknown unit \"" + unit + "\" (ps, ns, us, ms or s)");

  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  // A unit is at most 10^12 ps, so more than 12 significant fraction digits cannot be a
  // whole number of picoseconds.
  if (frac.size() > 12) return fail("not a whole number of picoseconds");
  unsigned __int128 frac_num = 0, frac_den = 1;
  for (char c : frac) {
    frac_num = frac_num * 10 + static_cast<unsigned>(c - '0');
    frac_den *= 10;
  }
  if ((frac_num * unit_ps) % frac_den != 0) return fail("not a whole number of picoseconds");
  const unsigned __int128 total = int_part * unit_ps + frac_num * unit_ps / frac_den;
  if (total > std::numeric_limits<uint64_t>::max()) return fail("too large");
  return static_cast<uint64_t>(total);
}

// --- ConfigReader

struct ConfigReader::State {
  const json* obj;
  std::string path;
  std::set<std::string> asked;  // keys consumers asked for, present or not
  std::vector<std::shared_ptr<State>> children;
};

namespace {
const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}
}  // namespace

ConfigReader::ConfigReader(const json& obj, std::string path)
    : state_(std::make_shared<State>(State{&obj, std::move(path), {}, {}})) {
  if (!obj.is_object())
    throw ConfigError((state_->path.empty() ? std::string("configuration") : state_->path) +
                      ": expected an object, got " + describe(obj));
}

ConfigReader::ConfigReader(std::shared_ptr<State> state) : state_(std::move(state)) {}

const std::string& ConfigReader::path() const { return state_->path; }

std::string ConfigReader::key_path(const std::string& key) const {
  return state_->path.empty() ? key : state_->path + "." + key;
}

const json* ConfigReader::lookup(const std::string& key) const {
  state_->asked.insert(key);
  auto it = state_->obj->find(key);
  if (it == state_->obj->end() || it->is_null()) return nullptr;
  return &*it;
}

// One reader per JSON object, so two consumers of the same object share what was read.
ConfigReader ConfigReader::child(const json& obj, std::string path) const {
  for (const auto& c : state_->children)
    if (c->obj == &obj) return ConfigReader(c);
  if (!obj.is_object()) throw ConfigError(path + ": expected an object, got " + describe(obj));
  auto s = std::make_shared<State>(State{&obj, std::move(path), {}, {}});
  state_->children.push_back(s);
  return ConfigReader(s);
}

bool ConfigReader::has(const std::string& key) const { return lookup(key) != nullptr; }

void ConfigReader::require(const std::string& key) const {
  if (!lookup(key)) fail(key, "missing required key");
}

void ConfigReader::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(key_path(key) + ": " + message);
}

uint64_t ConfigReader::get_uint(const std::string& key, uint64_t def, uint64_t min,
                                uint64_t max) const {
  const json* v = lookup(key);
  return v ? to_uint(*v, key_path(key), min, max) : def;
}

int64_t ConfigReader::get_int(const std::string& key, int64_t def, int64_t min,
                              int64_t max) const {
  const json* v = lookup(key);
  return v ? to_int(*v, key_path(key), min, max) : def;
}

double ConfigReader::get_double(const std::string& key, double def, double min,
                                double max) const {
  const json* v = lookup(key);
  if (!v) return def;
  std::string expected = "a number";
  if (std::isfinite(min) && std::isfinite(max))
    expected += " in [" + format_double(min) + ", " + format_double(max) + "]";
  else if (std::isfinite(min))
    expected += " >= " + format_double(min);
  else if (std::isfinite(max))
    expected += " <= " + format_double(max);
  if (!v->is_number()) bad_value(key_path(key), expected, *v);
  const double d = v->get<double>();
  if (!(d >= min && d <= max)) bad_value(key_path(key), expected, *v);
  return d;
}

bool ConfigReader::get_bool(const std::string& key, bool def) const {
  const json* v = lookup(key);
  if (!v) return def;
  if (!v->is_boolean()) bad_value(key_path(key), "true or false", *v);
  return v->get<bool>();
}

std::string ConfigReader::get_string(const std::string& key, const std::string& def,
                                     const std::vector<std::string>& allowed) const {
  const json* v = lookup(key);
  if (!v) return def;
  std::string expected = "a string";
  if (!allowed.empty()) {
    expected = "one of ";
    for (size_t i = 0; i < allowed.size(); ++i)
      expected += (i ? ", \"" : "\"") + allowed[i] + "\"";
  }
  if (!v->is_string()) bad_value(key_path(key), expected, *v);
  std::string s = v->get<std::string>();
  if (!allowed.empty()) {
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == s;
    if (!ok) bad_value(key_path(key), expected, *v);
  }
  return s;
}

uint64_t ConfigReader::get_time_ps(const std::string& key, uint64_t def_ps, uint64_t min_ps,
                                   uint64_t max_ps) const {
  const json* v = lookup(key);
  if (!v) return def_ps;
  const std::string where = key_path(key);
  const std::string expected = "a time such as \"10 ns\", \"1.5us\" or a number of ns";
  uint64_t ps = 0;
  if (v->is_number_unsigned()) {
    const uint64_t ns = v->get<uint64_t>();
    if (ns > std::numeric_limits<uint64_t>::max() / 1000) bad_value(where, expected, *v);
    ps = ns * 1000;
  } else if (v->is_number()) {  // negative integers and floats
    const double p = v->get<double>() * 1000.0;
    const double whole = std::round(p);
    if (!(p >= 0.0 && p < 18446744073709551616.0))
      throw ConfigError(where + ": expected a non-negative time, got " + describe(*v));
    if (std::fabs(p - whole) > 1e-6 * std::max(1.0, whole))
      throw ConfigError(where + ": not a whole number of picoseconds, got " + describe(*v));
    ps = static_cast<uint64_t>(whole);
  } else if (v->is_string()) {
    try {
      ps = parse_time_ps(v->get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ": " + e.what());
    }
  } else {
    bad_value(where, expected, *v);
  }
  if (ps < min_ps || ps > max_ps) {
    std::string range = max_ps == std::numeric_limits<uint64_t>::max()
                            ? ">= " + format_time(min_ps)
                            : "in [" + format_time(min_ps) + ", " + format_time(max_ps) + "]";
    bad_value(where, "a time " + range, *v);
  }
  return ps;
}

sc_core::sc_time ConfigReader::get_time(const std::string& key, const sc_core::sc_time& def,
                                        uint64_t min_ps, uint64_t max_ps) const {
  if (!has(key)) return def;
  return sc_core::sc_time(static_cast<double>(get_time_ps(key, 0, min_ps, max_ps)),
                          sc_core::SC_PS);
}

ConfigReader ConfigReader::get_object(const std::string& key) const {
  const json* v = lookup(key);
  if (v) return child(*v, key_path(key));
  // Absent: a private empty object, so that nothing is shared with other absent keys.
  return ConfigReader(std::make_shared<State>(State{&empty_object(), key_path(key), {}, {}}));
}

std::vector<ConfigReader> ConfigReader::get_array(const std::string& key) const {
  const json* v = lookup(key);
  std::vector<ConfigReader> out;
  if (!v) return out;
  if (!v->is_array()) bad_value(key_path(key), "an array of objects", *v);
  for (size_t i = 0; i < v->size(); ++i)
    out.push_back(child((*v)[i], key_path(key) + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<uint64_t> ConfigReader::get_uint_array(const std::string& key, uint64_t min,
                                                   uint64_t max) const {
  const json* v = lookup(key);
  std::vector<uint64_t> out;
  if (!v) return out;
  if (!v->is_array()) bad_value(key_path(key), "an array of integers", *v);
  for (size_t i = 0; i < v->size(); ++i)
    out.push_back(to_uint((*v)[i], key_path(key) + "[" + std::to_string(i) + "]", min, max));
  return out;
}

const json* ConfigReader::raw(const std::string& key) const { return lookup(key); }

void ConfigReader::finish() const { finish_state(*state_); }

void ConfigReader::finish_state(const State& s) {
  // This level first, then the children in key order, so the report is deterministic.
  for (auto it = s.obj->begin(); it != s.obj->end(); ++it) {
    if (s.asked.count(it.key())) continue;
    std::string msg = (s.path.empty() ? it.key() : s.path + "." + it.key()) + ": unknown key";
    if (!s.asked.empty()) {
      const char* sep = " (known here: ";
      for (const auto& k : s.asked) {
        msg += sep + k;
        sep = ", ";
      }
      msg += ")";
    }
    throw ConfigError(msg);
  }
  auto finish_child = [&s](const json& v) {
    for (const auto& c : s.children)
      if (c->obj == &v) finish_state(*c);
  };
  for (const json& v : *s.obj) {
    if (v.is_object()) finish_child(v);
    if (v.is_array())
      for (const json& e : v) finish_child(e);
  }
}

// --- overrides

namespace {

struct PathStep {
  bool is_index;
  std::string name;
  size_t index;
};

// Tracks where the parser is, to name duplicate keys and too deep nesting by their path.
// base_depth: the containers around the parsed text (an override's key path).
class ParseCheck {
 public:
  explicit ParseCheck(std::string who, size_t base_depth = 0) : who_(std::move(who)), base_depth_(base_depth) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back({event == json::parse_event_t::object_start, {}, {}, 0});
        if (base_depth_ + frames_.size() > kMaxJsonDepth)
          throw ConfigError(who_ + ": " + short_path() + ": nested deeper than " +
                            std::to_string(kMaxJsonDepth) + " levels (the limit)");
        break;
      case json::parse_event_t::key: {
        Frame& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second)
          throw ConfigError(who_ + ": duplicate key " + current_path());
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string key;
    size_t index;
  };

  void element_done() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  // The path of the first `count` open containers' current elements (all by default).
  std::string current_path(size_t count = SIZE_MAX) const {
    std::string s;
    for (size_t i = 0; i < std::min(count, frames_.size()); ++i) {
      const Frame& f = frames_[i];
      if (f.is_object)
        s += (s.empty() ? "" : ".") + f.key;
      else
        s += "[" + std::to_string(f.index) + "]";
    }
    return s;
  }

  // The path of the container being opened, shortened to keep the message one line.
  std::string short_path() const {
    const std::string s = current_path(frames_.size() - 1);
    return s.empty() ? "the top level" : shorten(s, 120);
  }

  std::string who_;
  size_t base_depth_;
  std::vector<Frame> frames_;
};

std::string describe_steps(const std::vector<PathStep>& steps, size_t count) {
  std::string s;
  for (size_t i = 0; i < count; ++i) {
    if (steps[i].is_index)
      s += "[" + std::to_string(steps[i].index) + "]";
    else
      s += (s.empty() ? "" : ".") + steps[i].name;
  }
  return s;
}

}  // namespace

void apply_override(json& target, const std::string& assignment) {
  // A huge value (a deeply nested one) is named by its start.
  const std::string who = "--set \"" + shorten(assignment, 80) + "\"";
  auto fail = [&who](const std::string& why) { throw ConfigError(who + ": " + why); };

  const size_t eq = assignment.find('=');
  if (eq == std::string::npos) fail("expected KEY=VALUE");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  if (key.empty()) fail("empty key");

  std::vector<PathStep> steps;
  size_t i = 0;
  while (true) {
    const size_t start = i;
    while (i < key.size() && key[i] != '.' && key[i] != '[' && key[i] != ']') {
      if (std::isspace(static_cast<unsigned char>(key[i]))) fail("space in the key");
      ++i;
    }
    if (i == start) fail("empty name at position " + std::to_string(start) + " of the key");
    steps.push_back({false, key.substr(start, i - start), 0});
    while (i < key.size() && key[i] == '[') {
      const size_t close = key.find(']', i);
      if (close == std::string::npos) fail("missing ']'");
      const std::string digits = key.substr(i + 1, close - i - 1);
      uint64_t index = 0;
      bool ok = !digits.empty() && digits.size() <= 9;
      for (char c : digits) ok = ok && std::isdigit(static_cast<unsigned char>(c));
      if (ok) index = std::stoull(digits);
      if (!ok) fail("bad array index \"" + digits + "\"");
      steps.push_back({true, "", static_cast<size_t>(index)});
      i = close + 1;
    }
    if (i == key.size()) break;
    if (key[i] != '.') fail("unexpected '" + std::string(1, key[i]) + "' in the key");
    ++i;
  }

  // The key's steps are containers around the value: together within kMaxJsonDepth.
  if (steps.size() > kMaxJsonDepth)
    fail("the key is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (the limit)");
  json value = json::parse(text, ParseCheck(who, steps.size()), /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;

  // Work on a copy so that a failing override leaves the document unchanged.
  json root = target;
  json* node = &root;
  for (size_t s = 0; s < steps.size(); ++s) {
    const PathStep& step = steps[s];
    const std::string here = s == 0 ? "the top level" : describe_steps(steps, s);
    if (!step.is_index) {
      if (node->is_null()) *node = json::object();
      if (!node->is_object()) fail(here + " is not an object");
      node = &(*node)[step.name];
    } else {
      if (node->is_null()) *node = json::array();
      if (!node->is_array()) fail(here + " is not an array");
      if (step.index > node->size())
        fail("index " + std::to_string(step.index) + " is past the end of " + here + " (size " +
             std::to_string(node->size()) + ")");
      if (step.index == node->size()) node->push_back(nullptr);
      node = &(*node)[step.index];
    }
  }
  *node = std::move(value);
  target = std::move(root);
}

// --- files

json load_json_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": cannot open (is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read (" + std::strerror(errno) + ")");
  const std::string content = buf.str();

  try {
    return json::parse(content, ParseCheck(path), /*allow_exceptions=*/true,
                       /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    // Line and column of the character the parser stopped at (1-based).
    const size_t at = std::min<size_t>(e.byte ? e.byte - 1 : 0, content.size());
    size_t line = 1, line_start = 0;
    for (size_t k = 0; k < at; ++k)
      if (content[k] == '\n') {
        ++line;
        line_start = k + 1;
      }
    std::string detail = e.what();
    const size_t p = detail.find("parse error");
    const size_t colon = p == std::string::npos ? p : detail.find(": ", p);
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
    throw ConfigError(path + ":" + std::to_string(line) + ":" + std::to_string(at - line_start + 1) +
                      ": invalid JSON: " + detail);
  } catch (const json::out_of_range& e) {
    // A number too large for a double (406) comes without a position.
    std::string detail = e.what();
    const size_t end_of_id = detail.find("] ");
    if (end_of_id != std::string::npos) detail = detail.substr(end_of_id + 2);
    throw ConfigError(path + ": invalid JSON: " + detail);
  }
}

}  // namespace smmu::platform
