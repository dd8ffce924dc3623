// SPDX-License-Identifier: Apache-2.0
// fuzz_guest: bytes -> a guest program (tests/fuzz/guest_program.h) against one SMMU
// testbench, elaborated once per process; every input starts from GuestProgram::reset().
#include <systemc>

#include "fuzz/fuzz_driver.h"
#include "fuzz/guest_program.h"

namespace {

// Process-lifetime objects, reachable from globals for LeakSanitizer.
smmu::test::SmmuTestbench* g_bench = nullptr;
smmu::fuzz::GuestProgram* g_program = nullptr;

}  // namespace

namespace smmu::fuzz {

// The reset runs after each program (and once before the first), so that a program
// which leaves the SMMU in a state software cannot reset is the input reported.
int fuzz_one(const uint8_t* data, size_t size) {
  g_program->run(data, size);
  g_program->reset();
  return 0;
}

void init_target() {
  g_bench = new smmu::test::SmmuTestbench(smmu::fuzz::fuzz_smmu_params(), /*ports=*/2,
                                          smmu::fuzz::fuzz_memory(),
                                          /*with_dmi_master=*/true,
                                          smmu::fuzz::fuzz_endpoints());
  g_program = new smmu::fuzz::GuestProgram(*g_bench);
  g_program->reset();
}

}  // namespace smmu::fuzz
