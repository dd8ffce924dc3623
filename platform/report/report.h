// SPDX-License-Identifier: Apache-2.0
// Prints a run's report (a JSON object: the statistics sim_report.cpp gathers plus run
// facts) as aligned text, and writes it as a JSON file. Knows nothing of the SMMU: the
// layout follows the JSON's shape.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace smmu::platform {

// Text layout:
//  - a nested object is a section: its key and ':' on a line, its content indented 2;
//  - an array holding objects or arrays gives numbered subsections "key[0]", "key[1]";
//    one holding strings (a log) numbered lines, one string each; an array of other
//    plain values prints inline: [1, 2, 3];
//  - within a section the plain values come first, keys padded to one width and numbers
//    right-aligned in one column, then the subsections, all in key order;
//  - integers print as they are, other numbers with 3 decimals (scientific when below
//    0.001 or at least 1e12 in magnitude), a number whose key ends in "_rate" as a
//    percentage with 2 decimals ("95.50%"), null and empty objects/arrays as "-".
void print_report(const nlohmann::json& report, std::ostream& os);

// The text print_report shows for one plain value under that key.
std::string format_report_value(const std::string& key, const nlohmann::json& value);

// Writes the report pretty-printed (2-space indent) with a final newline. Throws
// std::runtime_error "cannot write JSON report <path>: <reason>" on failure.
void write_json_report(const nlohmann::json& report, const std::string& path);

// Adds "hit_rate" = hits / (hits + misses) to every object, at any depth, holding the
// numbers "hits" and "misses" (null when both are 0: no lookups, no rate).
void add_hit_rates(nlohmann::json& report);

}  // namespace smmu::platform
