// SPDX-License-Identifier: Apache-2.0
// Report comparison (platform/report/report_compare.h): flattening, key patterns, differences
// in order, and their text.
#include <gtest/gtest.h>

#include "platform/report/report_compare.h"

using namespace smmu::platform;
using nlohmann::json;

TEST(ReportCompare, FlattensToPathsAsSetNamesThem) {
  const json j = {{"a", {{"b", 1}, {"c", json::array({2, json{{"d", "x"}}})}}}, {"e", json::object()}};
  const auto flat = flatten_report(j);
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[0].first, "a.b");
  EXPECT_EQ(flat[1].first, "a.c[0]");
  EXPECT_EQ(flat[2].first, "a.c[1].d");
  EXPECT_EQ(flat[3].first, "e");
  EXPECT_EQ(flat[3].second, json::object());
}

TEST(ReportCompare, PatternsCoverAKeyAndWhatIsBelowIt) {
  EXPECT_TRUE(key_matches("smmus[0].tlb", "smmus[0].tlb.hits"));
  EXPECT_TRUE(key_matches("smmus[0].tlb", "smmus[0].tlb"));
  EXPECT_FALSE(key_matches("smmus[0].tlb", "smmus[0].tlbx"));
  EXPECT_FALSE(key_matches("smmus[0].tlb.hits", "smmus[0].tlb"));
  EXPECT_TRUE(key_matches("devices[*].faults", "devices[3].faults"));
  EXPECT_FALSE(key_matches("devices[*].faults", "devices.x.faults"));
  EXPECT_TRUE(key_matches("smmus[0].*.hit_rate", "smmus[0].walk_cache.hit_rate"));
  EXPECT_FALSE(key_matches("", "a"));
}

TEST(ReportCompare, ListsChangedMissingAndNewKeysInOrder) {
  const json a = {{"x", 1}, {"y", {{"p", 2.5}, {"q", "s"}}}, {"z", 3}};
  const json b = {{"x", 1}, {"y", {{"p", 3.0}}}, {"z", 3}, {"w", true}};
  const auto d = compare_reports(a, b);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(format_difference(d[0]), "y.p: 2.5 -> 3.0");
  EXPECT_EQ(format_difference(d[1]), "y.q: \"s\" -> (absent)");
  EXPECT_EQ(format_difference(d[2]), "w: (absent) -> true");
  EXPECT_EQ(format_difference(d[0], true), "y.p: 2.5 -> 3.0 (+20.0%)");
  // Integers and floats of one value are equal.
  EXPECT_TRUE(compare_reports(json{{"n", 936}}, json{{"n", 936.0}}).empty());
}

TEST(ReportCompare, FindsAValueByItsPath) {
  const json j = {{"a", {{"b", json::array({1, json{{"c", 7}}})}}}};
  ASSERT_NE(find_report_value(j, "a.b[1].c"), nullptr);
  EXPECT_EQ(*find_report_value(j, "a.b[1].c"), 7);
  EXPECT_EQ(*find_report_value(j, "a.b[0]"), 1);
  EXPECT_EQ(find_report_value(j, "a.b[2]"), nullptr);
  EXPECT_EQ(find_report_value(j, "a.x"), nullptr);
  EXPECT_EQ(find_report_value(j, "a.b.c"), nullptr);
  EXPECT_EQ(find_report_value(j, "a.b[x]"), nullptr);
}

TEST(ReportCompare, RulesChooseTheKeys) {
  const json a = {{"x", 1}, {"y", {{"p", 2}, {"q", 3}}}};
  const json b = {{"x", 2}, {"y", {{"p", 5}, {"q", 4}}}};
  CompareRules only;
  only.only = {"y.p"};
  ASSERT_EQ(compare_reports(a, b, only).size(), 1u);
  CompareRules ignore;
  ignore.ignore = {"y"};
  const auto d = compare_reports(a, b, ignore);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].key, "x");
}
