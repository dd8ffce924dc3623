// SPDX-License-Identifier: Apache-2.0
// The generic report printer, the JSON report writer and hit-rate computation.
#include "platform/report/report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace smmu::platform {
namespace {

using nlohmann::json;

TEST(Report, PrintsAlignedSectionsAndNumberedArrays) {
  json r = json::parse(R"({
    "run": {"simulated_ns": 1234, "scenario": "demo"},
    "smmu0": {"main_tlb": {"hits": 3, "misses": 1}, "latency": {"mean": 12.3456, "p50": 12}},
    "smmus": [{"id": 0}, {"id": 1}],
    "sids": [1, 2, 3],
    "ok": true,
    "none": null,
    "empty": {}
  })");
  add_hit_rates(r);
  std::ostringstream os;
  print_report(r, os);
  const std::string expected =
      "empty  -\n"
      "none   -\n"
      "ok     true\n"
      "sids   [1, 2, 3]\n"
      "run:\n"
      "  scenario      demo\n"
      "  simulated_ns  1234\n"
      "smmu0:\n"
      "  latency:\n"
      "    mean  12.346\n"
      "    p50       12\n"
      "  main_tlb:\n"
      "    hit_rate  75.00%\n"
      "    hits           3\n"
      "    misses         1\n"
      "smmus[0]:\n"
      "  id  0\n"
      "smmus[1]:\n"
      "  id  1\n";
  EXPECT_EQ(os.str(), expected);
}

TEST(Report, NestedArraysAndMixedArrays) {
  const json r = json::parse(R"({"grid": [[{"a": 1}], 5], "top": [{"x": {"y": 2}}]})");
  std::ostringstream os;
  print_report(r, os);
  EXPECT_EQ(os.str(),
            "grid[0][0]:\n"
            "  a  1\n"
            "grid[1]  5\n"
            "top[0]:\n"
            "  x:\n"
            "    y  2\n");
}

TEST(Report, StringArraysPrintOneLineEach) {
  const json r = json::parse(R"({"log": ["F_TRANSLATION sid=0x1", "C_BAD_STE sid=0x2"], "n": [1, 2]})");
  std::ostringstream os;
  print_report(r, os);
  EXPECT_EQ(os.str(),
            "n  [1, 2]\n"
            "log[0]  F_TRANSLATION sid=0x1\n"
            "log[1]  C_BAD_STE sid=0x2\n");
}

TEST(Report, NonObjectReport) {
  std::ostringstream os;
  print_report(json(42), os);
  EXPECT_EQ(os.str(), "report  42\n");
}

TEST(Report, FormatsValues) {
  EXPECT_EQ(format_report_value("n", json(42)), "42");
  EXPECT_EQ(format_report_value("n", json(-5)), "-5");
  EXPECT_EQ(format_report_value("n", json(18446744073709551615ull)), "18446744073709551615");
  EXPECT_EQ(format_report_value("mean", json(12.3456)), "12.346");
  EXPECT_EQ(format_report_value("mean", json(2.0)), "2.000");
  EXPECT_EQ(format_report_value("mean", json(0.0)), "0.000");
  EXPECT_EQ(format_report_value("tiny", json(0.0001234)), "1.234e-04");
  EXPECT_EQ(format_report_value("huge", json(1.5e13)), "1.500e+13");
  EXPECT_EQ(format_report_value("hit_rate", json(0.5)), "50.00%");
  EXPECT_EQ(format_report_value("hit_rate", json(1)), "100.00%");
  EXPECT_EQ(format_report_value("hit_rate", json(nullptr)), "-");
  EXPECT_EQ(format_report_value("rate", json(0.5)), "0.500");  // only a "_rate" suffix
  EXPECT_EQ(format_report_value("s", json("text")), "text");
  EXPECT_EQ(format_report_value("b", json(false)), "false");
  EXPECT_EQ(format_report_value("l", json::array()), "-");
  EXPECT_EQ(format_report_value("l", json::parse("[0.5, \"x\"]")), "[0.500, x]");
}

TEST(Report, AddHitRatesAtAnyDepth) {
  json r = json::parse(R"({
    "smmus": [{"tlb": {"hits": 0, "misses": 0}}, {"tlb": {"hits": 1, "misses": 3}}],
    "cfg": {"hits": 9, "misses": 1, "inner": {"hits": 2, "misses": 2}},
    "only_hits": {"hits": 5},
    "text": {"hits": "many", "misses": 1}
  })");
  add_hit_rates(r);
  EXPECT_TRUE(r["smmus"][0]["tlb"]["hit_rate"].is_null());
  EXPECT_TRUE(r["smmus"][0]["tlb"].contains("hit_rate"));
  EXPECT_DOUBLE_EQ(r["smmus"][1]["tlb"]["hit_rate"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(r["cfg"]["hit_rate"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(r["cfg"]["inner"]["hit_rate"].get<double>(), 0.5);
  EXPECT_FALSE(r["only_hits"].contains("hit_rate"));
  EXPECT_FALSE(r["text"].contains("hit_rate"));
  // Idempotent: a second pass recomputes the same values.
  const json once = r;
  add_hit_rates(r);
  EXPECT_EQ(r, once);
}

TEST(Report, WritesPrettyJson) {
  const std::string path = testing::TempDir() + "report_test_out.json";
  const json r = json::parse(R"({"a": {"b": 1}, "c": [1.5]})");
  write_json_report(r, path);
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  EXPECT_EQ(buf.str(), "{\n  \"a\": {\n    \"b\": 1\n  },\n  \"c\": [\n    1.5\n  ]\n}\n");
  EXPECT_EQ(json::parse(buf.str()), r);
  std::remove(path.c_str());
}

TEST(Report, UnwritablePathIsNamed) {
  try {
    write_json_report(json::object(), "/nonexistent/dir/r.json");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot write JSON report /nonexistent/dir/r.json: No such file or directory");
  }
}

}  // namespace
}  // namespace smmu::platform
