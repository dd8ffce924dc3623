// SPDX-License-Identifier: Apache-2.0
// Runs functions in forked child processes, the benchmarks' way around SystemC's one
// simulation per process: each child computes its text (a point's JSON) and sends it
// back through a pipe, then leaves with _exit (no SystemC or static teardown). Results
// come back in the order of the functions, whatever the number run at once, so a
// program's output is the same on every run.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace smmu::platform {

struct ChildOutcome {
  std::string text;   // what the function returned
  std::string error;  // empty when the child ran and reported; else why not
  bool ok() const { return error.empty(); }
};

// jobs >= 1: children running at once. An exception in a function becomes its error.
std::vector<ChildOutcome> run_in_children(const std::vector<std::function<std::string()>>& fns,
                                          unsigned jobs = 1);

}  // namespace smmu::platform
