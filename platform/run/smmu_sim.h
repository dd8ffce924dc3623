// SPDX-License-Identifier: Apache-2.0
// The smmu-sim program as a library function, so that tests can run it in-process:
// parse the command line, load the scenario (or the built-in one) and apply --set
// overrides, build the SoC, run it, print the report and write the requested files.
#pragma once

#include <ostream>

namespace smmu::platform {

// Exit status: 0 on success (or --help / --print-default-scenario; with --expect, the run
// matched); 2 on bad input (an unknown or malformed option, an unreadable or invalid
// scenario or golden, an unknown key or bad value, an output file that cannot be
// created, a model rejecting its parameters), reported as one line on err; 3 when
// --expect found differences (printed on out); 1 on any other failure. Starts the SystemC kernel, so
// it can run once per process.
int run_smmu_sim(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace smmu::platform
