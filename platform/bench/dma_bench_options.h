// SPDX-License-Identifier: Apache-2.0
// smmu-dma-bench's command line and the points it runs (see smmu_dma_bench_main.cpp).
// Same conventions as cli.h: a bad value throws CliError naming the option, and the
// program prints it as one line and exits 2.
#pragma once

#include <string>
#include <vector>

#include "platform/bench/dma_bench.h"

namespace smmu::platform {

struct DmaBenchOptions {
  std::vector<unsigned> cpus{1, 2, 4, 8, 16, 32, 64};
  std::vector<driver::CmdqDesign> designs{driver::CmdqDesign::kCasLoop, driver::CmdqDesign::kFetchAdd};
  std::vector<driver::DmaInvPolicy> policies{driver::DmaInvPolicy::kStrict, driver::DmaInvPolicy::kLazy};
  std::vector<unsigned> queues{1, 8};
  DmaBenchParams params;  // cpus, design, policy and queues are set per point
  std::string json_path, csv_path;
  unsigned jobs = 1;
  bool help = false;
  bool version = false;  // --version: the caller prints it
};

// Throws CliError; on --help returns with help set (the caller prints the usage).
DmaBenchOptions parse_dma_bench_options(int argc, char** argv);
std::string dma_bench_usage();

// Every combination, CPU counts outermost, in the order given.
std::vector<DmaBenchParams> dma_bench_points(const DmaBenchOptions& o);

}  // namespace smmu::platform
