// SPDX-License-Identifier: Apache-2.0
// Running smmu-sim's program function from tests: in this process (one SystemC kernel
// per process) or in a forked child.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace smmu::test {

// run_smmu_sim with argv = {"smmu-sim", args...}; its stdout and stderr into out and err.
int run_cli(const std::vector<std::string>& args, std::string& out, std::string& err);
// run_cli in a child process (its own kernel), its stderr passed on: the exit status,
// -1 when the child did not exit normally (a crash), -2 when it could not fork.
int run_cli_in_child(const std::vector<std::string>& args);
// run_cli in a child process, its printed report and stderr written to out_path.
int run_cli_in_child_to(const std::vector<std::string>& args, const std::string& out_path);
// A JSON file (a failed expectation when it cannot be opened).
nlohmann::json read_json(const std::string& path);

}  // namespace smmu::test
