// SPDX-License-Identifier: Apache-2.0
// format_event: the fields each event type has, with the architectural names.
#include "driver/event_format.h"

#include <gtest/gtest.h>

namespace smmu::driver {
namespace {

using arch::EventClass;
using arch::EventId;
using arch::EventRecord;

EventRecord record(EventId id, uint32_t sid) {
  EventRecord e;
  e.id = id;
  e.sid = sid;
  return e;
}

TEST(EventFormat, TranslationFaultAtStageOneNamesTheAccess) {
  EventRecord e = record(EventId::kTranslation, 5);
  e.ssv = true;
  e.ssid = 3;
  e.input_addr = 0x40001000;
  e.rnw = true;
  e.class_ = EventClass::kInputAddress;
  EXPECT_EQ(format_event(e), "F_TRANSLATION sid=0x5 ssid=0x3 addr=0x40001000 read data unpriv stage=1 class=IN");
}

TEST(EventFormat, StageTwoFaultsGiveTheIpaAndWalksTheTableAccess) {
  EventRecord e = record(EventId::kPermission, 2);
  e.input_addr = 0x80000040;
  e.pnu = e.ind = true;
  e.s2 = true;
  e.class_ = EventClass::kInputAddress;
  e.ipa = 0x80000000;
  EXPECT_EQ(format_event(e),
            "F_PERMISSION sid=0x2 addr=0x80000040 write instr priv stage=2 class=IN ipa=0x80000000");
  EventRecord w = record(EventId::kAccess, 9);
  w.input_addr = 0x1000;
  w.rnw = true;
  w.s2 = true;
  w.class_ = EventClass::kTableWalk;
  w.tt_read = true;
  w.ipa = 0x7000;
  w.stall = true;
  w.stag = 0x2a;
  EXPECT_EQ(format_event(w),
            "F_ACCESS sid=0x9 addr=0x1000 read data unpriv stage=2 class=TTD tt=read ipa=0x7000 stall stag=0x2a");
}

TEST(EventFormat, ConfigurationErrorsNameTheStreamOnly) {
  EventRecord e = record(EventId::kBadStreamId, 0x11170);
  e.input_addr = 0x1234;  // not a field of C_BAD_STREAMID
  EXPECT_EQ(format_event(e), "C_BAD_STREAMID sid=0x11170");
  EXPECT_EQ(format_event(record(EventId::kBadSte, 7)), "C_BAD_STE sid=0x7");
  EventRecord cd = record(EventId::kBadCd, 1);
  cd.ssv = true;
  cd.ssid = 0;
  EXPECT_EQ(format_event(cd), "C_BAD_CD sid=0x1 ssid=0x0");
}

TEST(EventFormat, FetchAbortsGiveTheFetchAddress) {
  EventRecord e = record(EventId::kSteFetch, 4);
  e.fetch_addr = 0xf000'0040;
  EXPECT_EQ(format_event(e), "F_STE_FETCH sid=0x4 fetch=0xf0000040");
  EventRecord w = record(EventId::kWalkEabt, 4);
  w.input_addr = 0x2000;
  w.class_ = EventClass::kTableWalk;
  w.fetch_addr = 0xf100'0008;
  EXPECT_EQ(format_event(w),
            "F_WALK_EABT sid=0x4 addr=0x2000 write data unpriv stage=1 class=TTD tt=write fetch=0xf1000008");
}

TEST(EventFormat, UnknownTypeShowsItsNumber) {
  EventRecord e;
  e.id = static_cast<EventId>(0x7e);
  e.sid = 1;
  EXPECT_EQ(format_event(e), "UNKNOWN(0x7e) sid=0x1");
}

}  // namespace
}  // namespace smmu::driver
