// SPDX-License-Identifier: Apache-2.0
// smmu-sim: runs a scenario on the simulated SoC and reports it (see platform/run/smmu_sim.h).
#include <iostream>

#include <systemc>

#include "platform/run/smmu_sim.h"

int sc_main(int argc, char* argv[]) {
  return smmu::platform::run_smmu_sim(argc, argv, std::cout, std::cerr);
}
