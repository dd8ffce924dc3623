// SPDX-License-Identifier: Apache-2.0
// Strict reading of JSON scenario files: typed getters with defaults and bounds, errors
// that name the full key path and the bad value, detection of keys nobody read
// (misspellings), and --set style overrides.
//
// Usage: wrap the loaded document in a ConfigReader, let each consumer read its keys
// (child readers for nested objects and arrays), then call finish() on the root: it
// throws for the first key, at any depth, that was present but never read.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

namespace smmu::platform {

// Bad scenario input. The message starts with the full key path (or the file name), e.g.
//   scenario.smmus[1].main_tlb.ways: expected a positive integer, got "x"
// smmu-sim prints it as one line and exits 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The deepest nesting of arrays and objects a scenario may have (the scenario format
// itself needs 6). Deeper documents are refused while parsing: copying, comparing and
// printing a JSON value recurse once per level, so 100 000 levels would overflow the
// stack.
constexpr unsigned kMaxJsonDepth = 64;

// Parses a time: "10 ns", "1.5us", "2 ms", "500 ps", "1 s" (decimal digits with an
// optional fraction, optional spaces, a unit among ps ns us ms s). Returns picoseconds;
// throws std::invalid_argument (with a reason) when malformed, negative, not a whole
// number of picoseconds, or too large for 64 bits.
uint64_t parse_time_ps(const std::string& text);

// A view of one JSON object of the configuration, with its path for messages.
// Copies share state (what has been read), so it is cheap to pass around. The viewed
// json must outlive the reader.
//
// Getters return the default when the key is absent or null; a present key with a bad
// type or value throws ConfigError "<path>.<key>: expected ..., got <value>".
class ConfigReader {
 public:
  // Throws ConfigError "<path>: expected an object, got ..." if obj is not an object.
  ConfigReader(const nlohmann::json& obj, std::string path);

  const std::string& path() const;
  // "<path>.<key>", the name used in messages.
  std::string key_path(const std::string& key) const;

  // True when the key is present and not null. Counts as reading it.
  bool has(const std::string& key) const;
  // Throws ConfigError "<path>.<key>: missing required key" when absent or null.
  void require(const std::string& key) const;

  // Unsigned integers: JSON integers, integral floats (1e6), or strings holding decimal
  // or 0x-hex digits, '_' allowed between digits ("0x8000_0000").
  uint64_t get_uint(const std::string& key, uint64_t def, uint64_t min = 0,
                    uint64_t max = std::numeric_limits<uint64_t>::max()) const;
  int64_t get_int(const std::string& key, int64_t def,
                  int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max()) const;
  double get_double(const std::string& key, double def,
                    double min = -std::numeric_limits<double>::infinity(),
                    double max = std::numeric_limits<double>::infinity()) const;
  bool get_bool(const std::string& key, bool def) const;
  // With a non-empty allowed set, the value must be one of it.
  std::string get_string(const std::string& key, const std::string& def,
                         const std::vector<std::string>& allowed = {}) const;

  // Times: a JSON number is nanoseconds (fractions allowed down to 1 ps: 1.5 = 1500 ps);
  // a string carries its unit (see parse_time_ps). Returned in picoseconds, or as an
  // sc_time built from them (exact at the default 1 ps resolution).
  uint64_t get_time_ps(const std::string& key, uint64_t def_ps, uint64_t min_ps = 0,
                       uint64_t max_ps = std::numeric_limits<uint64_t>::max()) const;
  sc_core::sc_time get_time(const std::string& key, const sc_core::sc_time& def,
                            uint64_t min_ps = 0,
                            uint64_t max_ps = std::numeric_limits<uint64_t>::max()) const;

  // A nested object; an empty one (all defaults) when absent or null.
  ConfigReader get_object(const std::string& key) const;
  // An array of objects, each a reader with path "<path>.<key>[i]"; empty when absent.
  std::vector<ConfigReader> get_array(const std::string& key) const;
  // An array of unsigned integers (each as get_uint, bounds apply to every element).
  std::vector<uint64_t> get_uint_array(const std::string& key, uint64_t min = 0,
                                       uint64_t max = std::numeric_limits<uint64_t>::max()) const;
  // The raw value for consumers with their own format (nullptr when absent); the whole
  // subtree counts as read.
  const nlohmann::json* raw(const std::string& key) const;

  // Throws ConfigError "<path>.<key>: unknown key (known here: a, b, c)" for the first
  // key that is present but was never read: this level's keys in alphabetical order,
  // then the same through the child readers handed out (objects and array elements), in
  // key order. "Known" lists the keys the consumer asked for at that level.
  void finish() const;

  // For consumers' own semantic checks: throws ConfigError "<path>.<key>: <message>".
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  struct State;
  explicit ConfigReader(std::shared_ptr<State> state);
  // The value of key (marking it read) or nullptr when absent or null.
  const nlohmann::json* lookup(const std::string& key) const;
  ConfigReader child(const nlohmann::json& obj, std::string path) const;
  static void finish_state(const State& state);

  std::shared_ptr<State> state_;
};

// Applies one "--set" override "a.b[2].c=value" to root. The value is parsed as JSON
// when it parses (number, bool, null, object, array, quoted string), else taken as a
// plain string ("10 ns", "lru"). Missing object keys are created; an array index may
// address an element or append one (index == size). Throws ConfigError naming the
// override on bad syntax, a path through a non-object/non-array, an index past the end,
// or a key and value nested deeper than kMaxJsonDepth together.
void apply_override(nlohmann::json& root, const std::string& assignment);

// Reads a JSON file (comments // and /* */ allowed). Throws ConfigError
// "<path>: cannot open (<reason>)", "<path>:<line>:<column>: invalid JSON: <detail>",
// "<path>: duplicate key <key path>" (nlohmann would silently keep the last), or
// "<path>: <key path>: nested deeper than 64 levels (the limit)".
nlohmann::json load_json_file(const std::string& path);

// Decimal or 0x-hex digits, '_' allowed between digits ("0x8000_0000"). False when
// malformed or above 2^64 - 1.
bool parse_uint_text(const std::string& text, uint64_t& out);

}  // namespace smmu::platform
