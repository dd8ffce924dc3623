// SPDX-License-Identifier: Apache-2.0
#include "fuzz/fuzz_driver.h"

#include <cstdio>

// libFuzzer's entry point for programs with their own main (compiler-rt, FuzzerDriver).
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,
                                   int (*user_cb)(const uint8_t* data, size_t size));

int main(int argc, char** argv) {
  smmu::fuzz::init_target();
  return LLVMFuzzerRunDriver(&argc, &argv, smmu::fuzz::fuzz_one);
}

// libsystemc needs the symbol; main() above never calls it.
extern "C" int sc_main(int, char*[]) {
  std::fputs("fuzz target: sc_main is not used\n", stderr);
  return 1;
}
