// Starts libFuzzer from sc_main (libsystemc owns main()). The callback runs on the
// main thread between sc_start() calls, so an input may advance simulated time with
// sc_start(); the kernel stays elaborated for the whole process.
#pragma once

#include <cstddef>
#include <cstdint>

namespace smmu::fuzz {

using FuzzOne = int (*)(const uint8_t* data, size_t size);

// Runs libFuzzer with the command line (corpus dirs, -runs=, -max_total_time=, ...);
// returns its exit status (non-zero after a crash it reports).
int run_libfuzzer(int argc, char** argv, FuzzOne one);

}  // namespace smmu::fuzz
