// SPDX-License-Identifier: Apache-2.0
// libsystemc owns main() and calls sc_main(); the test binaries run GoogleTest from there.
#include <gtest/gtest.h>
#include <systemc>

#ifdef SMMU_LSAN_SUPPRESSIONS
// LeakSanitizer reads its options from here before main (LSAN_OPTIONS still wins).
// use_stacks=0: at exit LeakSanitizer's tracer takes a SystemC coroutine stack for the
// main thread's and crashes on its guard pages ("Tracer caught signal 11", in about half
// the runs on this project's machines); stacks are not needed as roots then (the
// simulation is over), and the whole suite passes with no leak reported.
extern "C" const char* __lsan_default_options() {
  return "suppressions=" SMMU_LSAN_SUPPRESSIONS ":use_stacks=0";
}
#endif

int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
