// SPDX-License-Identifier: Apache-2.0
#include "support/smmu_sim_cli.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "platform/run/smmu_sim.h"

namespace smmu::test {

int run_cli(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> storage{"smmu-sim"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::ostringstream o, e;
  const int rc = platform::run_smmu_sim(static_cast<int>(storage.size()), argv.data(), o, e);
  out = o.str();
  err = e.str();
  return rc;
}

namespace {
// body() in a forked child (its own SystemC kernel): its return value as the exit status,
// -1 when the child did not exit normally (a crash), -2 when it could not fork.
template <typename Body>
int in_child(Body body) {
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  if (pid < 0) return -2;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}
}  // namespace

int run_cli_in_child(const std::vector<std::string>& args) {
  return in_child([&] {
    std::string out, err;
    const int rc = run_cli(args, out, err);
    std::cerr << err;
    std::cerr.flush();
    return rc;
  });
}

int run_cli_in_child_to(const std::vector<std::string>& args, const std::string& out_path) {
  return in_child([&] {
    std::string out, err;
    const int rc = run_cli(args, out, err);
    std::ofstream(out_path) << out << err;
    return rc;
  });
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

}  // namespace smmu::test
