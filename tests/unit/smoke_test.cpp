// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <systemc>
TEST(Smoke, KernelRuns) {
  sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_NS));
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::sc_time(10, sc_core::SC_NS));
}
