#include "fuzz/fuzz_driver.h"

// libFuzzer's entry point for programs with their own main (compiler-rt, FuzzerDriver).
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,
                                   int (*user_cb)(const uint8_t* data, size_t size));

namespace smmu::fuzz {

int run_libfuzzer(int argc, char** argv, FuzzOne one) {
  return LLVMFuzzerRunDriver(&argc, &argv, one);
}

}  // namespace smmu::fuzz
