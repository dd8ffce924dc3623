// fuzz_guest: bytes -> a guest program (tests/fuzz/guest_program.h) against one SMMU
// testbench, elaborated once per process; every input starts from GuestProgram::reset().
#include <systemc>

#include "fuzz/fuzz_driver.h"
#include "fuzz/guest_program.h"

namespace {

// Process-lifetime objects in globals: LeakSanitizer does not find roots on sc_main's
// stack under libsystemc (it reported the testbench's members as leaked).
smmu::test::SmmuTestbench* g_bench = nullptr;
smmu::fuzz::GuestProgram* g_program = nullptr;

int fuzz_one(const uint8_t* data, size_t size) {
  g_program->reset();
  g_program->run(data, size);
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  g_bench = new smmu::test::SmmuTestbench(smmu::fuzz::fuzz_smmu_params(), /*ports=*/2,
                                          smmu::test::SmmuTestbench::default_memory(),
                                          /*with_dmi_master=*/true,
                                          smmu::fuzz::fuzz_endpoints());
  g_program = new smmu::fuzz::GuestProgram(*g_bench);
  return smmu::fuzz::run_libfuzzer(argc, argv, fuzz_one);
}
