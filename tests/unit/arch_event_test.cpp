// SPDX-License-Identifier: Apache-2.0
// Event records against reference/smmuv3-formats.md.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rtl_model/arch/event.h"
#include "tests/unit/arch_field_check.h"

namespace smmu::arch {
namespace {

using test::bits;
using test::check_fields;
using test::field_union;
using test::FieldCase;
using test::Words;

#define EVT_FIELD(word, hi, lo, member)                                                     \
  FieldCase<EventRecord> {                                                                  \
    #member, word, hi, lo, false, [](EventRecord& e, uint64_t v) { e.member = v; },         \
        [](const EventRecord& e) { return static_cast<uint64_t>(e.member); }                \
  }
#define EVT_ADDR(word, hi, lo, member)                                                      \
  FieldCase<EventRecord> {                                                                  \
    #member, word, hi, lo, true, [](EventRecord& e, uint64_t v) { e.member = v; },          \
        [](const EventRecord& e) { return static_cast<uint64_t>(e.member); }                \
  }

// Fields common to every event, checked on a record of this id.
std::vector<FieldCase<EventRecord>> common_cases() {
  return {
      EVT_FIELD(0, 11, 11, ssv),
      EVT_FIELD(0, 31, 12, ssid),
      EVT_FIELD(0, 63, 32, sid),
      EVT_FIELD(1, 15, 0, stag),
      EVT_FIELD(1, 31, 31, stall),
      EVT_FIELD(1, 33, 33, pnu),
      EVT_FIELD(1, 34, 34, ind),
      EVT_FIELD(1, 35, 35, rnw),
      EVT_FIELD(1, 39, 39, s2),
      FieldCase<EventRecord>{"class", 1, 41, 40, false,
                             [](EventRecord& e, uint64_t v) { e.class_ = static_cast<EventClass>(v); },
                             [](const EventRecord& e) { return static_cast<uint64_t>(e.class_); }},
      EVT_FIELD(1, 44, 44, tt_read),
      EVT_FIELD(2, 63, 0, input_addr),
  };
}

void check_event_fields(EventId id, std::vector<FieldCase<EventRecord>> cases) {
  SCOPED_TRACE(to_string(id));
  EventRecord base;
  base.id = id;
  const uint8_t i = static_cast<uint8_t>(id);
  check_fields<EventRecord, 4>(
      cases, base, [](const EventRecord& e) { return e.encode(); },
      [](const Words<4>& w) { return EventRecord::decode(w); },
      Words<4>{~uint64_t{0xff} | i, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}});
}

const std::vector<std::pair<EventId, const char*>>& all_events() {
  static const std::vector<std::pair<EventId, const char*>> e = {
      {EventId::kUut, "F_UUT"},
      {EventId::kBadStreamId, "C_BAD_STREAMID"},
      {EventId::kSteFetch, "F_STE_FETCH"},
      {EventId::kBadSte, "C_BAD_STE"},
      {EventId::kBadAtsTreq, "F_BAD_ATS_TREQ"},
      {EventId::kStreamDisabled, "F_STREAM_DISABLED"},
      {EventId::kTranslForbidden, "F_TRANSL_FORBIDDEN"},
      {EventId::kBadSubstreamId, "C_BAD_SUBSTREAMID"},
      {EventId::kCdFetch, "F_CD_FETCH"},
      {EventId::kBadCd, "C_BAD_CD"},
      {EventId::kWalkEabt, "F_WALK_EABT"},
      {EventId::kTranslation, "F_TRANSLATION"},
      {EventId::kAddrSize, "F_ADDR_SIZE"},
      {EventId::kAccess, "F_ACCESS"},
      {EventId::kPermission, "F_PERMISSION"},
      {EventId::kTlbConflict, "F_TLB_CONFLICT"},
      {EventId::kCfgConflict, "F_CFG_CONFLICT"},
      {EventId::kPageRequest, "E_PAGE_REQUEST"},
      {EventId::kVmsFetch, "F_VMS_FETCH"},
  };
  return e;
}

TEST(ArchEvent, IdValues) {
  const std::vector<std::pair<EventId, unsigned>> want = {
      {EventId::kUut, 0x01},          {EventId::kBadStreamId, 0x02},
      {EventId::kSteFetch, 0x03},     {EventId::kBadSte, 0x04},
      {EventId::kBadAtsTreq, 0x05},   {EventId::kStreamDisabled, 0x06},
      {EventId::kTranslForbidden, 0x07}, {EventId::kBadSubstreamId, 0x08},
      {EventId::kCdFetch, 0x09},      {EventId::kBadCd, 0x0a},
      {EventId::kWalkEabt, 0x0b},     {EventId::kTranslation, 0x10},
      {EventId::kAddrSize, 0x11},     {EventId::kAccess, 0x12},
      {EventId::kPermission, 0x13},   {EventId::kTlbConflict, 0x20},
      {EventId::kCfgConflict, 0x21},  {EventId::kPageRequest, 0x24},
      {EventId::kVmsFetch, 0x25},
  };
  for (const auto& [id, v] : want) EXPECT_EQ(static_cast<unsigned>(id), v) << to_string(id);
}

TEST(ArchEvent, NamesAndKnownIds) {
  std::set<unsigned> known;
  for (const auto& [id, name] : all_events()) {
    EXPECT_EQ(std::string(to_string(id)), name);
    known.insert(static_cast<uint8_t>(id));
  }
  EXPECT_EQ(known.size(), 19u);
  for (unsigned i = 0; i < 256; ++i)
    EXPECT_EQ(event_id_known(static_cast<uint8_t>(i)), known.count(i) == 1) << std::hex << i;
  EXPECT_EQ(std::string(to_string(static_cast<EventId>(0x0c))), "UNKNOWN");
}

TEST(ArchEvent, FetchEvents) {
  const std::set<EventId> fetch = {EventId::kSteFetch, EventId::kCdFetch, EventId::kWalkEabt,
                                   EventId::kVmsFetch};
  for (const auto& [id, name] : all_events())
    EXPECT_EQ(event_has_fetch_addr(id), fetch.count(id) == 1) << name;
}

TEST(ArchEvent, IdField) {
  for (const auto& [id, name] : all_events()) {
    EventRecord e;
    e.id = id;
    const EventWords w = e.encode();
    EXPECT_EQ(w, (EventWords{static_cast<uint8_t>(id), 0, 0, 0})) << name;
    EXPECT_EQ(EventRecord::decode(w).id, id) << name;
  }
  // Unknown ids survive a round trip.
  EXPECT_EQ(EventRecord::decode(EventWords{0xff, 0, 0, 0}).id, static_cast<EventId>(0xff));
}

TEST(ArchEvent, FieldsOfATranslationFault) {
  auto cases = common_cases();
  cases.push_back(EVT_ADDR(3, 51, 12, ipa));
  check_event_fields(EventId::kTranslation, cases);
  check_event_fields(EventId::kPermission, cases);
  check_event_fields(EventId::kBadSte, cases);
}

TEST(ArchEvent, FieldsOfAFetchFault) {
  auto cases = common_cases();
  cases.push_back(EVT_ADDR(3, 51, 3, fetch_addr));
  for (EventId id : {EventId::kSteFetch, EventId::kCdFetch, EventId::kWalkEabt, EventId::kVmsFetch})
    check_event_fields(id, cases);
}

TEST(ArchEvent, Dw3FollowsTheId) {
  EventRecord e;
  e.ipa = 0x1234'5678'9abc;
  e.fetch_addr = 0xfedc'ba98'7658;
  e.id = EventId::kTranslation;
  EXPECT_EQ(e.encode()[3], 0x1234'5678'9000u);  // IPA [51:12]; fetch_addr not written
  e.id = EventId::kWalkEabt;
  EXPECT_EQ(e.encode()[3], 0xfedc'ba98'7658u);  // fetch address [51:3]; IPA not written
  // Decode fills only the one the id selects.
  const EventWords w = {static_cast<uint8_t>(EventId::kCdFetch), 0, 0, 0x8'0000'0048};
  const EventRecord f = EventRecord::decode(w);
  EXPECT_EQ(f.fetch_addr, 0x8'0000'0048u);
  EXPECT_EQ(f.ipa, 0u);
  const EventWords t = {static_cast<uint8_t>(EventId::kAddrSize), 0, 0, 0x8'0000'0048};
  const EventRecord g = EventRecord::decode(t);
  EXPECT_EQ(g.ipa, 0x8'0000'0000u);
  EXPECT_EQ(g.fetch_addr, 0u);
}

TEST(ArchEvent, NamedBits) {
  auto cases = common_cases();
  cases.push_back(EVT_ADDR(3, 51, 12, ipa));
  const Words<4> all = {~uint64_t{0xff} | 0x10, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}};
  Words<4> named = field_union<EventRecord, 4>(cases);
  named[0] |= 0x10;  // ID, as decoded
  EXPECT_EQ(EventRecord::decode(all).encode(), named);
}

TEST(ArchEvent, StageTwoFaultDuringAWalk) {
  // A nested walk's stage-2 translation fault on a stage-1 descriptor read of SID 0x42.
  EventRecord e;
  e.id = EventId::kTranslation;
  e.sid = 0x42;
  e.ssv = true;
  e.ssid = 3;
  e.s2 = true;
  e.class_ = EventClass::kTableWalk;
  e.rnw = true;
  e.tt_read = true;
  e.input_addr = 0x80'8060'4567;
  e.ipa = 0x4000'3000;
  const EventWords w = e.encode();
  EXPECT_EQ(w[0], (uint64_t{0x42} << 32) | (3u << 12) | (1u << 11) | 0x10);
  EXPECT_EQ(w[1], (uint64_t{1} << 44) | (uint64_t{1} << 40) | (uint64_t{1} << 39) |
                      (uint64_t{1} << 35));
  EXPECT_EQ(w[2], 0x80'8060'4567u);
  EXPECT_EQ(w[3], 0x4000'3000u);
  const EventRecord d = EventRecord::decode(w);
  EXPECT_EQ(d.class_, EventClass::kTableWalk);
  EXPECT_EQ(d.encode(), w);
}

}  // namespace
}  // namespace smmu::arch
