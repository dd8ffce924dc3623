// libsystemc owns main() and calls sc_main(); the test binaries run GoogleTest from there.
#include <gtest/gtest.h>
#include <systemc>

#ifdef SMMU_SANITIZE
// LeakSanitizer crashes at exit on SystemC's guard-protected thread stacks; the
// AddressSanitizer and UBSan checks stay on.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
