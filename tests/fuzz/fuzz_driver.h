// SPDX-License-Identifier: Apache-2.0
// The fuzz targets' main(). libsystemc defines main() too (it calls sc_main through
// sc_elab_and_sim); ours takes precedence, builds what the target needs (SystemC
// modules included: the kernel is elaborated once, at the first sc_start) and runs
// libFuzzer with LLVMFuzzerRunDriver on the main thread, so an input may advance
// simulated time with sc_start(). Not going through sc_elab_and_sim matters for
// LeakSanitizer: the argv copy and the objects sc_main owns there were reported as
// leaked by every input's leak check (LSan found no roots on that part of the stack).
#pragma once

#include <cstddef>
#include <cstdint>

namespace smmu::fuzz {

// Defined by each target: called once before the first input.
void init_target();
// Defined by each target: runs one input; 0, or -1 to keep it out of the corpus.
int fuzz_one(const uint8_t* data, size_t size);

}  // namespace smmu::fuzz
