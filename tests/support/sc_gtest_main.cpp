// libsystemc owns main() and calls sc_main(); the test binaries run GoogleTest from there.
#include <gtest/gtest.h>
#include <systemc>

#ifdef SMMU_LSAN_SUPPRESSIONS
// LeakSanitizer reads its options from here before main (LSAN_OPTIONS still wins).
extern "C" const char* __lsan_default_options() { return "suppressions=" SMMU_LSAN_SUPPRESSIONS; }
#endif

int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
