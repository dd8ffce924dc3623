// SPDX-License-Identifier: Apache-2.0
// Strict scenario reading: typed getters, messages naming key path and value, unknown
// keys at any depth, --set overrides, times with units, file errors.
#include "platform/config/config_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <unistd.h>

namespace smmu::platform {
namespace {

using nlohmann::json;

// The ConfigError message fn throws, or "no exception".
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no exception";
}

#define EXPECT_MESSAGE(fn, text) EXPECT_EQ(error_of(fn), std::string(text))

TEST(ConfigReader, UintGetterAcceptsIntegersHexStringsAndDefaults) {
  const json j = json::parse(R"({"a": 5, "b": "0x8000_0000", "c": 1e3, "d": "42", "n": null})");
  ConfigReader r(j, "scenario");
  EXPECT_EQ(r.get_uint("a", 0), 5u);
  EXPECT_EQ(r.get_uint("b", 0), 0x80000000u);
  EXPECT_EQ(r.get_uint("c", 0), 1000u);
  EXPECT_EQ(r.get_uint("d", 0, 42, 42), 42u);
  EXPECT_EQ(r.get_uint("missing", 77), 77u);
  EXPECT_EQ(r.get_uint("n", 9), 9u);  // null means "use the default"
  EXPECT_NO_THROW(r.finish());
}

TEST(ConfigReader, UintGetterAcceptsSignedIntegersBuiltInCpp) {
  json j;
  j["sid"] = 257;  // stored as a signed integer, as JSON built in C++ is
  j["neg"] = -1;
  ConfigReader r(j, "scenario");
  EXPECT_EQ(r.get_uint("sid", 0), 257u);
  EXPECT_MESSAGE([&] { r.get_uint("neg", 0); },
                 "scenario.neg: expected a non-negative integer, got -1");
}

TEST(ConfigReader, UintGetterErrorsNameThePathAndValue) {
  const json j = json::parse(
      R"({"smmus": [{}, {"main_tlb": {"ways": "x", "sets": -1, "size": 3.5, "big": 9, "e": true,
          "h": "0x", "u": "1__0"}}]})");
  ConfigReader root(j, "scenario");
  ConfigReader tlb = root.get_array("smmus")[1].get_object("main_tlb");
  EXPECT_MESSAGE([&] { tlb.get_uint("ways", 4, 1); },
                 "scenario.smmus[1].main_tlb.ways: expected a positive integer, got \"x\"");
  EXPECT_MESSAGE([&] { tlb.get_uint("sets", 4); },
                 "scenario.smmus[1].main_tlb.sets: expected a non-negative integer, got -1");
  EXPECT_MESSAGE([&] { tlb.get_uint("size", 4); },
                 "scenario.smmus[1].main_tlb.size: expected a non-negative integer, got 3.5");
  EXPECT_MESSAGE([&] { tlb.get_uint("big", 4, 1, 8); },
                 "scenario.smmus[1].main_tlb.big: expected an integer in [1, 8], got 9");
  EXPECT_MESSAGE([&] { tlb.get_uint("big", 4, 10); },
                 "scenario.smmus[1].main_tlb.big: expected an integer >= 10, got 9");
  EXPECT_MESSAGE([&] { tlb.get_uint("e", 4); },
                 "scenario.smmus[1].main_tlb.e: expected a non-negative integer, got true");
  EXPECT_MESSAGE([&] { tlb.get_uint("h", 4); },
                 "scenario.smmus[1].main_tlb.h: expected a non-negative integer, got \"0x\"");
  EXPECT_MESSAGE([&] { tlb.get_uint("u", 4); },
                 "scenario.smmus[1].main_tlb.u: expected a non-negative integer, got \"1__0\"");
}

TEST(ConfigReader, UintGetterRejectsOverflow) {
  const json j = json::parse(R"({"a": "0x1_0000_0000_0000_0000", "b": 18446744073709551615})");
  ConfigReader r(j, "s");
  EXPECT_NE(error_of([&] { r.get_uint("a", 0); }).find("s.a: expected"), std::string::npos);
  EXPECT_EQ(r.get_uint("b", 0), 18446744073709551615u);
}

TEST(ConfigReader, IntGetter) {
  const json j = json::parse(R"({"a": -5, "b": "-0x10", "c": 7, "d": "z"})");
  ConfigReader r(j, "s");
  EXPECT_EQ(r.get_int("a", 0), -5);
  EXPECT_EQ(r.get_int("b", 0), -16);
  EXPECT_MESSAGE([&] { r.get_int("c", 0, -3, 3); }, "s.c: expected an integer in [-3, 3], got 7");
  EXPECT_MESSAGE([&] { r.get_int("d", 0); }, "s.d: expected an integer, got \"z\"");
}

TEST(ConfigReader, DoubleGetter) {
  const json j = json::parse(R"({"a": 0.25, "b": 3, "c": "0.5", "d": 2.5})");
  ConfigReader r(j, "s");
  EXPECT_DOUBLE_EQ(r.get_double("a", 0), 0.25);
  EXPECT_DOUBLE_EQ(r.get_double("b", 0), 3.0);
  EXPECT_DOUBLE_EQ(r.get_double("x", 1.5), 1.5);
  EXPECT_MESSAGE([&] { r.get_double("c", 0); }, "s.c: expected a number, got \"0.5\"");
  EXPECT_MESSAGE([&] { r.get_double("d", 0, 0, 1); }, "s.d: expected a number in [0, 1], got 2.5");
  EXPECT_MESSAGE([&] { r.get_double("d", 0, 3); }, "s.d: expected a number >= 3, got 2.5");
}

TEST(ConfigReader, BoolGetter) {
  const json j = json::parse(R"({"a": true, "b": false, "c": 1})");
  ConfigReader r(j, "s");
  EXPECT_TRUE(r.get_bool("a", false));
  EXPECT_FALSE(r.get_bool("b", true));
  EXPECT_TRUE(r.get_bool("x", true));
  EXPECT_MESSAGE([&] { r.get_bool("c", false); }, "s.c: expected true or false, got 1");
}

TEST(ConfigReader, StringGetterWithAllowedSet) {
  const json j = json::parse(R"({"policy": "lru", "bad": "mru", "num": 3})");
  ConfigReader r(j, "s.cache");
  EXPECT_EQ(r.get_string("policy", "fifo", {"lru", "fifo", "random"}), "lru");
  EXPECT_EQ(r.get_string("name", "dflt"), "dflt");
  EXPECT_MESSAGE([&] { r.get_string("bad", "lru", {"lru", "fifo", "random"}); },
                 "s.cache.bad: expected one of \"lru\", \"fifo\", \"random\", got \"mru\"");
  EXPECT_MESSAGE([&] { r.get_string("num", ""); }, "s.cache.num: expected a string, got 3");
}

TEST(ParseTime, UnitsAndSpacing) {
  EXPECT_EQ(parse_time_ps("10 ns"), 10000u);
  EXPECT_EQ(parse_time_ps("1.5us"), 1500000u);
  EXPECT_EQ(parse_time_ps("2 ms"), 2000000000u);
  EXPECT_EQ(parse_time_ps("500 ps"), 500u);
  EXPECT_EQ(parse_time_ps("1 s"), 1000000000000u);
  EXPECT_EQ(parse_time_ps(" 0.001ns "), 1u);
  EXPECT_EQ(parse_time_ps("0.1 us"), 100000u);
  EXPECT_EQ(parse_time_ps(".5 ns"), 500u);
  EXPECT_EQ(parse_time_ps("3. ns"), 3000u);
  EXPECT_EQ(parse_time_ps("2.500000 ns"), 2500u);
  EXPECT_EQ(parse_time_ps("7 \xC2\xB5s"), 7000000u);
  EXPECT_EQ(parse_time_ps("0 ns"), 0u);
}

TEST(ParseTime, RejectsMalformedTimes) {
  auto reason = [](const std::string& t) {
    try {
      parse_time_ps(t);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(reason("10"), "bad time \"10\": missing unit (ps, ns, us, ms or s)");
  EXPECT_EQ(reason("10 ks"), "bad time \"10 ks\": unknown unit \"ks\" (ps, ns, us, ms or s)");
  EXPECT_EQ(reason("-1 ns"), "bad time \"-1 ns\": negative");
  EXPECT_EQ(reason("0.5 ps"), "bad time \"0.5 ps\": not a whole number of picoseconds");
  EXPECT_EQ(reason("1.0000000000001 s"), "bad time \"1.0000000000001 s\": not a whole number of picoseconds");
  EXPECT_EQ(reason("ns"), "bad time \"ns\": expected a number followed by a unit");
  EXPECT_EQ(reason("1 ns x"), "bad time \"1 ns x\": unexpected text after the unit");
  EXPECT_EQ(reason("99999999999 s"), "bad time \"99999999999 s\": too large");
  EXPECT_EQ(reason(""), "bad time \"\": expected a number followed by a unit");
}

TEST(ConfigReader, TimeGetter) {
  const json j = json::parse(
      R"({"a": 10, "b": "1.5us", "c": 2.5, "d": "fast", "e": -1, "f": 0.0001, "g": "1 ns", "h": [1]})");
  ConfigReader r(j, "s.smmu");
  EXPECT_EQ(r.get_time_ps("a", 0), 10000u);
  EXPECT_EQ(r.get_time_ps("b", 0), 1500000u);
  EXPECT_EQ(r.get_time_ps("c", 0), 2500u);
  EXPECT_EQ(r.get_time_ps("x", 123), 123u);
  EXPECT_EQ(r.get_time("b", sc_core::SC_ZERO_TIME), sc_core::sc_time(1.5, sc_core::SC_US));
  EXPECT_EQ(r.get_time("x", sc_core::sc_time(3, sc_core::SC_NS)), sc_core::sc_time(3, sc_core::SC_NS));
  EXPECT_MESSAGE([&] { r.get_time_ps("d", 0); },
                 "s.smmu.d: bad time \"fast\": expected a number followed by a unit");
  EXPECT_MESSAGE([&] { r.get_time_ps("e", 0); }, "s.smmu.e: expected a non-negative time, got -1");
  EXPECT_MESSAGE([&] { r.get_time_ps("f", 0); },
                 "s.smmu.f: not a whole number of picoseconds, got 0.0001");
  EXPECT_MESSAGE([&] { r.get_time_ps("g", 0, 2000); }, "s.smmu.g: expected a time >= 2 ns, got \"1 ns\"");
  EXPECT_MESSAGE([&] { r.get_time("g", sc_core::SC_ZERO_TIME, 1500, 1800); },
                 "s.smmu.g: expected a time in [1.5 ns, 1.8 ns], got \"1 ns\"");
  EXPECT_NE(error_of([&] { r.get_time_ps("h", 0); }).find("s.smmu.h: expected a time"), std::string::npos);
}

TEST(ConfigReader, ObjectsAndArrays) {
  const json j = json::parse(
      R"({"smmus": [{"id": 1}, {"id": 2}], "mem": {"size": 4096}, "sids": [1, 2, "0x10"],
          "notarr": {"x": 1}, "notobj": 5, "mixed": [{"id": 3}, 4], "badsids": [1, -2]})");
  ConfigReader r(j, "scenario");
  auto smmus = r.get_array("smmus");
  ASSERT_EQ(smmus.size(), 2u);
  EXPECT_EQ(smmus[1].path(), "scenario.smmus[1]");
  EXPECT_EQ(smmus[1].get_uint("id", 0), 2u);
  EXPECT_EQ(r.get_object("mem").get_uint("size", 0), 4096u);
  EXPECT_EQ(r.get_object("absent").get_uint("size", 8), 8u);  // empty object: defaults
  EXPECT_EQ(r.get_object("absent").path(), "scenario.absent");
  EXPECT_TRUE(r.get_array("absent_list").empty());
  EXPECT_EQ(r.get_uint_array("sids"), (std::vector<uint64_t>{1, 2, 16}));
  EXPECT_MESSAGE([&] { r.get_array("notarr"); },
                 "scenario.notarr: expected an array of objects, got {\"x\":1}");
  EXPECT_MESSAGE([&] { r.get_object("notobj"); }, "scenario.notobj: expected an object, got 5");
  EXPECT_MESSAGE([&] { r.get_array("mixed"); }, "scenario.mixed[1]: expected an object, got 4");
  EXPECT_MESSAGE([&] { r.get_uint_array("badsids"); },
                 "scenario.badsids[1]: expected a non-negative integer, got -2");
}

TEST(ConfigReader, RootMustBeAnObject) {
  const json j = json::parse("[1]");
  EXPECT_MESSAGE([&] { ConfigReader r(j, "scenario"); }, "scenario: expected an object, got [1]");
}

TEST(ConfigReader, LongValuesAreShortenedInMessages) {
  const json j = {{"k", std::string(200, 'a')}};
  ConfigReader r(j, "s");
  const std::string msg = error_of([&] { r.get_uint("k", 0); });
  EXPECT_LT(msg.size(), 120u);
  EXPECT_NE(msg.find("..."), std::string::npos);
}

// Found by fuzz_scenario: a --set value that is not JSON is taken as a string, bytes and
// all; naming it in a message must not throw nlohmann's type_error 316 (smmu-sim exited
// 1 "[json.exception.type_error.316] invalid UTF-8 byte" instead of naming the key).
TEST(ConfigReader, InvalidUtf8InAValueIsNamedNotThrown) {
  json doc = json::object();
  apply_override(doc, "memory.size=4\xd1\xd1");
  ConfigReader r(doc, "scenario");
  EXPECT_MESSAGE([&] { r.get_object("memory").get_uint("size", 0); },
                 "scenario.memory.size: expected a non-negative integer, got \"4\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(ConfigReader, RequireAndFail) {
  const json j = json::parse(R"({"a": 1, "n": null})");
  ConfigReader r(j, "s");
  EXPECT_NO_THROW(r.require("a"));
  EXPECT_MESSAGE([&] { r.require("b"); }, "s.b: missing required key");
  EXPECT_MESSAGE([&] { r.require("n"); }, "s.n: missing required key");
  EXPECT_MESSAGE([&] { r.fail("a", "must be a power of two"); }, "s.a: must be a power of two");
  EXPECT_EQ(r.key_path("a"), "s.a");
  ConfigReader unnamed(j, "");
  EXPECT_EQ(unnamed.key_path("a"), "a");
}

TEST(ConfigReader, FinishNamesTheFirstUnreadKey) {
  const json j = json::parse(R"({"ways": 4, "wyas": 4, "sets": 8, "zz": 1})");
  ConfigReader r(j, "scenario.tlb");
  r.get_uint("ways", 0);
  r.get_uint("sets", 0);
  r.get_uint("entries", 0);  // asked but absent: listed as known
  EXPECT_MESSAGE([&] { r.finish(); }, "scenario.tlb.wyas: unknown key (known here: entries, sets, ways)");
  r.get_uint("wyas", 0);
  EXPECT_MESSAGE([&] { r.finish(); }, "scenario.tlb.zz: unknown key (known here: entries, sets, ways, wyas)");
}

TEST(ConfigReader, FinishDescendsIntoObjectsAndArrays) {
  const json j = json::parse(
      R"({"smmus": [{"main_tlb": {"ways": 4}}, {"main_tlb": {"ways": 4, "sest": 2}}],
          "memory": {"size": 1, "latency": {"read": 5, "wirte": 6}}})");
  {
    ConfigReader r(j, "scenario");
    for (const ConfigReader& s : r.get_array("smmus")) s.get_object("main_tlb").get_uint("ways", 0);
    const ConfigReader mem = r.get_object("memory");
    mem.get_uint("size", 0);
    mem.get_object("latency").get_uint("read", 0);
    mem.get_object("latency").get_uint("write", 0);
    // Depth first in key order: "memory" comes before "smmus".
    EXPECT_MESSAGE([&] { r.finish(); },
                   "scenario.memory.latency.wirte: unknown key (known here: read, write)");
  }
  {
    ConfigReader r(j, "scenario");
    for (const ConfigReader& s : r.get_array("smmus")) s.get_object("main_tlb").get_uint("ways", 0);
    r.raw("memory");  // consumed whole: not checked
    EXPECT_MESSAGE([&] { r.finish(); },
                   "scenario.smmus[1].main_tlb.sest: unknown key (known here: ways)");
  }
  {
    // An object handed out but never read from: every key in it is unknown.
    ConfigReader r(j, "scenario");
    r.get_array("smmus");
    r.raw("memory");
    EXPECT_MESSAGE([&] { r.finish(); }, "scenario.smmus[0].main_tlb: unknown key");
  }
}

TEST(ConfigReader, ReadersOfOneObjectShareWhatWasRead) {
  const json j = json::parse(R"({"tlb": {"ways": 4, "sets": 8}})");
  ConfigReader r(j, "s");
  r.get_object("tlb").get_uint("ways", 0);  // one consumer
  r.get_object("tlb").get_uint("sets", 0);  // another, through a new view
  EXPECT_NO_THROW(r.finish());
}

TEST(ApplyOverride, SetsNumbersBoolsStringsAndObjects) {
  json j = json::parse(R"({"smmus": [{"main_tlb": {"ways": 4}}, {}], "name": "x"})");
  apply_override(j, "smmus[0].main_tlb.ways=8");
  apply_override(j, "smmus[1].ats=true");
  apply_override(j, "name=two words");
  apply_override(j, "clock=\"2 ns\"");
  apply_override(j, "period=1.5");
  apply_override(j, "policy=lru");
  apply_override(j, "mem={\"size\": 4096}");
  apply_override(j, "list=[1,2]");
  apply_override(j, "empty=");
  apply_override(j, "eq=a=b");
  EXPECT_EQ(j["smmus"][0]["main_tlb"]["ways"], 8);
  EXPECT_EQ(j["smmus"][1]["ats"], true);
  EXPECT_EQ(j["name"], "two words");
  EXPECT_EQ(j["clock"], "2 ns");
  EXPECT_EQ(j["period"], 1.5);
  EXPECT_EQ(j["policy"], "lru");
  EXPECT_EQ(j["mem"]["size"], 4096);
  EXPECT_EQ(j["list"], json::parse("[1,2]"));
  EXPECT_EQ(j["empty"], "");
  EXPECT_EQ(j["eq"], "a=b");
}

TEST(ApplyOverride, CreatesPathsAndAppendsToArrays) {
  json j = json::object();
  apply_override(j, "a.b.c=1");
  apply_override(j, "list[0].x=2");
  apply_override(j, "list[1].x=3");
  apply_override(j, "grid[0][0]=5");
  EXPECT_EQ(j["a"]["b"]["c"], 1);
  ASSERT_EQ(j["list"].size(), 2u);
  EXPECT_EQ(j["list"][1]["x"], 3);
  EXPECT_EQ(j["grid"][0][0], 5);
  apply_override(j, "list[0]=7");  // replaces the element
  EXPECT_EQ(j["list"][0], 7);
}

TEST(ApplyOverride, BadSyntaxNamesTheOverride) {
  json j = json::parse(R"({"a": 1, "arr": [1], "obj": {"x": 1}})");
  const json before = j;
  EXPECT_MESSAGE([&] { apply_override(j, "abc"); }, "--set \"abc\": expected KEY=VALUE");
  EXPECT_MESSAGE([&] { apply_override(j, "=1"); }, "--set \"=1\": empty key");
  EXPECT_MESSAGE([&] { apply_override(j, "a..b=1"); },
                 "--set \"a..b=1\": empty name at position 2 of the key");
  EXPECT_MESSAGE([&] { apply_override(j, "arr[x]=1"); }, "--set \"arr[x]=1\": bad array index \"x\"");
  EXPECT_MESSAGE([&] { apply_override(j, "arr[-1]=1"); }, "--set \"arr[-1]=1\": bad array index \"-1\"");
  EXPECT_MESSAGE([&] { apply_override(j, "arr[0=1"); }, "--set \"arr[0=1\": missing ']'");
  EXPECT_MESSAGE([&] { apply_override(j, "arr[0]x=1"); }, "--set \"arr[0]x=1\": unexpected 'x' in the key");
  EXPECT_MESSAGE([&] { apply_override(j, "a b=1"); }, "--set \"a b=1\": space in the key");
  EXPECT_MESSAGE([&] { apply_override(j, "a.b=1"); }, "--set \"a.b=1\": a is not an object");
  EXPECT_MESSAGE([&] { apply_override(j, "obj[0]=1"); }, "--set \"obj[0]=1\": obj is not an array");
  EXPECT_MESSAGE([&] { apply_override(j, "arr[3]=1"); },
                 "--set \"arr[3]=1\": index 3 is past the end of arr (size 1)");
  EXPECT_MESSAGE([&] { apply_override(j, ".a=1"); }, "--set \".a=1\": empty name at position 0 of the key");
  EXPECT_EQ(j, before);
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/config_reader_test_XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadJsonFile, ReadsValidJsonWithComments) {
  TempFile f("// scenario\n{\n  \"a\": 1, /* inline */ \"b\": [true]\n}\n");
  const json j = load_json_file(f.path());
  EXPECT_EQ(j["a"], 1);
  EXPECT_EQ(j["b"][0], true);
}

TEST(LoadJsonFile, MissingFileNamesIt) {
  EXPECT_MESSAGE([] { load_json_file("/nonexistent/dir/s.json"); },
                 "/nonexistent/dir/s.json: cannot open (No such file or directory)");
  EXPECT_MESSAGE([] { load_json_file("/tmp"); }, "/tmp: cannot open (is a directory)");
}

TEST(LoadJsonFile, BadJsonGivesLineAndColumn) {
  TempFile f("{\n  \"a\": 1,\n  x\n}\n");
  const std::string msg = error_of([&] { load_json_file(f.path()); });
  EXPECT_EQ(msg.rfind(f.path() + ":3:3: invalid JSON: syntax error while parsing object key", 0), 0u)
      << msg;
  TempFile g("{\"a\": 1");
  const std::string msg2 = error_of([&] { load_json_file(g.path()); });
  EXPECT_EQ(msg2.rfind(g.path() + ":1:8: invalid JSON: ", 0), 0u) << msg2;
  EXPECT_NE(msg2.find("unexpected end of input"), std::string::npos) << msg2;
  TempFile empty("");
  EXPECT_EQ(error_of([&] { load_json_file(empty.path()); }).rfind(empty.path() + ":1:1: invalid JSON", 0), 0u);
}

// Found by fuzz_scenario: nlohmann reports a number too large for a double as
// out_of_range 406, not as a parse_error; smmu-sim exited 1 with the library's text.
TEST(LoadJsonFile, NumberOverflowIsInvalidJson) {
  TempFile f("{\"s\": 5e111111116}");
  EXPECT_MESSAGE([&] { load_json_file(f.path()); },
                 f.path() + ": invalid JSON: number overflow parsing '5e111111116'");
}

TEST(LoadJsonFile, DuplicateKeysAreNamedByPath) {
  TempFile f(R"({"smmus": [{"a": 1}, {"tlb": {"ways": 1, "ways": 2}}]})");
  EXPECT_MESSAGE([&] { load_json_file(f.path()); }, f.path() + ": duplicate key smmus[1].tlb.ways");
  TempFile g(R"({"x": [1, [2, 3], {"k": 1}], "y": {"k": 1}, "y": 2})");
  EXPECT_MESSAGE([&] { load_json_file(g.path()); }, g.path() + ": duplicate key y");
  TempFile h(R"({"x": [1, [2, 3], {"k": 1, "k": 2}]})");
  EXPECT_MESSAGE([&] { load_json_file(h.path()); }, h.path() + ": duplicate key x[2].k");
}

// Copying, comparing and printing JSON recurse once per level: 100 000 levels of [ or {
// would overflow the stack (in the message that prints the value). The parser refuses
// them, naming where and the limit.
TEST(LoadJsonFile, DeepNestingIsRefusedWithTheLimit) {
  const size_t deep = 100000;
  TempFile arrays(std::string(deep, '[') + std::string(deep, ']'));
  std::string prefix;  // the path of the 64 open arrays, shortened to 120 characters
  for (int i = 0; i < 39; ++i) prefix += "[0]";
  EXPECT_MESSAGE([&] { load_json_file(arrays.path()); },
                 arrays.path() + ": " + prefix + "...: nested deeper than 64 levels (the limit)");
  std::string objects;
  for (size_t i = 0; i < deep; ++i) objects += "{\"a\":";
  objects += "1" + std::string(deep, '}');
  TempFile o(objects);
  const std::string msg = error_of([&] { load_json_file(o.path()); });
  EXPECT_EQ(msg.rfind(o.path() + ": a.a.a.", 0), 0u) << msg;
  EXPECT_NE(msg.find(": nested deeper than 64 levels (the limit)"), std::string::npos) << msg;
  // Unterminated: still the depth, not a crash.
  TempFile open(std::string(deep, '['));
  EXPECT_NE(error_of([&] { load_json_file(open.path()); }).find("nested deeper than 64"), std::string::npos);
  // 64 levels are fine, 65 are not.
  TempFile ok("{\"x\": " + std::string(63, '[') + std::string(63, ']') + "}");
  EXPECT_EQ(load_json_file(ok.path())["x"].size(), 1u);
  TempFile over("{\"x\": " + std::string(64, '[') + std::string(64, ']') + "}");
  EXPECT_NE(error_of([&] { load_json_file(over.path()); }).find("x[0]"), std::string::npos);
}

TEST(ApplyOverride, DeepNestingIsRefusedWithTheLimit) {
  json doc = json::object();
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string msg = error_of([&] { apply_override(doc, "streams=" + deep); });
  EXPECT_EQ(msg.rfind("--set \"streams=[[[[", 0), 0u) << msg;
  EXPECT_LT(msg.size(), 400u);
  EXPECT_NE(msg.find("nested deeper than 64 levels (the limit)"), std::string::npos) << msg;
  EXPECT_EQ(doc, json::object());  // unchanged
  // The key's levels count: a.b holds the value two levels down.
  EXPECT_NO_THROW(apply_override(doc, "a.b=" + std::string(62, '[') + std::string(62, ']')));
  EXPECT_NE(error_of([&] { apply_override(doc, "a.b=" + std::string(63, '[') + std::string(63, ']')); })
                .find("nested deeper than 64"),
            std::string::npos);
  std::string key = "k";
  for (int i = 0; i < 70; ++i) key += ".k";
  EXPECT_NE(error_of([&] { apply_override(doc, key + "=1"); }).find("the key is nested deeper than 64"),
            std::string::npos);
}

}  // namespace
}  // namespace smmu::platform
