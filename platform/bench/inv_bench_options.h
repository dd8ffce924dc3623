// SPDX-License-Identifier: Apache-2.0
// smmu-inv-bench's command line and the points it runs (see smmu_inv_bench_main.cpp).
// Same conventions as cli.h: a bad value throws CliError naming the option, and the
// program prints it as one line and exits 2.
#pragma once

#include <string>
#include <vector>

#include "platform/bench/inv_scaling.h"

namespace smmu::platform {

struct InvBenchOptions {
  std::vector<unsigned> smmus{1, 2, 4, 8};
  // TBU counts per SMMU (--tbus); empty: the SMMU's default layout (one TBU).
  std::vector<unsigned> tbus;
  InvScalingParams params;  // params.tbus and params.dti_latency are set per point
  std::string json_path;
  bool help = false;
};

// One measurement: an SMMU count, a TBU count (0: the default layout) and a mode.
struct InvBenchPoint {
  unsigned smmus = 1;
  unsigned tbus = 0;
  bool all_then_wait = false;
};

// Throws CliError; on --help returns with help set (the caller prints the usage).
InvBenchOptions parse_inv_bench_options(int argc, char** argv);
std::string inv_bench_usage();

// Every SMMU count, every TBU count, both modes; with --tbus, one SMMU runs only
// per_smmu_wait (with one SMMU both modes issue the same commands).
std::vector<InvBenchPoint> inv_bench_points(const InvBenchOptions& o);

}  // namespace smmu::platform
