// SPDX-License-Identifier: Apache-2.0
// Command encodings and the reserved-bit check against reference/smmuv3-formats.md.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "rtl_model/arch/command.h"
#include "tests/unit/arch_field_check.h"

namespace smmu::arch {
namespace {

using test::bits;
using test::check_fields;
using test::FieldCase;
using test::Words;

#define CMD_FIELD(name, word, hi, lo, setter, getter)                                       \
  FieldCase<Command> {                                                                      \
    name, word, hi, lo, false, [](Command& c, uint64_t v) { c.setter(v); },                 \
        [](const Command& c) { return static_cast<uint64_t>(c.getter()); }                  \
  }
#define CMD_ADDR(name, word, hi, lo, setter, getter)                                        \
  FieldCase<Command> {                                                                      \
    name, word, hi, lo, true, [](Command& c, uint64_t v) { c.setter(v); },                  \
        [](const Command& c) { return static_cast<uint64_t>(c.getter()); }                  \
  }

// Checks the cases on a command of opcode op (dw0[7:0] = op, all else zero).
void check_command_fields(Opcode op, const std::vector<FieldCase<Command>>& cases) {
  SCOPED_TRACE(to_string(op));
  const uint8_t o = static_cast<uint8_t>(op);
  check_fields<Command, 2>(
      cases, Command(op), [](const Command& c) { return c.dw; },
      [](const Words<2>& w) { return Command::from_words(w[0], w[1]); },
      Words<2>{~uint64_t{0xff} | o, ~uint64_t{0}});
}

TEST(ArchCommand, OpcodeValues) {
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kPrefetchConfig), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kPrefetchAddr), 0x02);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kCfgiSte), 0x03);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kCfgiSteRange), 0x04);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kCfgiCd), 0x05);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kCfgiCdAll), 0x06);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiNhAll), 0x10);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiNhAsid), 0x11);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiNhVa), 0x12);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiNhVaa), 0x13);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiEl2All), 0x20);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiEl2Asid), 0x21);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiEl2Va), 0x22);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiEl2Vaa), 0x23);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiS12Vmall), 0x28);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiS2Ipa), 0x2a);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kTlbiNsnhAll), 0x30);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kAtcInv), 0x40);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kPriResp), 0x41);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kResume), 0x44);
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kSync), 0x46);
}

// Opcode, name and the bits the sheet gives each command (opcode bits excluded).
struct OpcodeLayout {
  Opcode op;
  const char* name;
  uint64_t dw0, dw1;
};

constexpr uint64_t kSsv = bits(11, 11), kSsid = bits(31, 12), kSid = bits(63, 32);
constexpr uint64_t kNumScale = bits(16, 12) | bits(24, 20);
constexpr uint64_t kVmid = bits(47, 32), kAsid = bits(63, 48);
constexpr uint64_t kVaDw1 = bits(0, 0) | bits(9, 8) | bits(11, 10) | bits(63, 12);

const std::vector<OpcodeLayout>& layouts() {
  static const std::vector<OpcodeLayout> l = {
      {Opcode::kPrefetchConfig, "PREFETCH_CONFIG", kSsv | kSsid | kSid, 0},
      {Opcode::kPrefetchAddr, "PREFETCH_ADDR", kSsv | kSsid | kSid, bits(4, 0) | bits(63, 12)},
      {Opcode::kCfgiSte, "CFGI_STE", kSid, bits(0, 0)},
      {Opcode::kCfgiSteRange, "CFGI_STE_RANGE", kSid, bits(4, 0)},
      {Opcode::kCfgiCd, "CFGI_CD", kSsid | kSid, bits(0, 0)},
      {Opcode::kCfgiCdAll, "CFGI_CD_ALL", kSid, 0},
      {Opcode::kTlbiNhAll, "TLBI_NH_ALL", kVmid, 0},
      {Opcode::kTlbiNhAsid, "TLBI_NH_ASID", kVmid | kAsid, 0},
      {Opcode::kTlbiNhVa, "TLBI_NH_VA", kNumScale | kVmid | kAsid, kVaDw1},
      {Opcode::kTlbiNhVaa, "TLBI_NH_VAA", kNumScale | kVmid, kVaDw1},
      {Opcode::kTlbiEl2All, "TLBI_EL2_ALL", 0, 0},
      {Opcode::kTlbiEl2Asid, "TLBI_EL2_ASID", kAsid, 0},
      {Opcode::kTlbiEl2Va, "TLBI_EL2_VA", kNumScale | kAsid, kVaDw1},
      {Opcode::kTlbiEl2Vaa, "TLBI_EL2_VAA", kNumScale, kVaDw1},
      {Opcode::kTlbiS12Vmall, "TLBI_S12_VMALL", kVmid, 0},
      {Opcode::kTlbiS2Ipa, "TLBI_S2_IPA", kNumScale | kVmid,
       bits(0, 0) | bits(9, 8) | bits(11, 10) | bits(51, 12)},
      {Opcode::kTlbiNsnhAll, "TLBI_NSNH_ALL", 0, 0},
      {Opcode::kAtcInv, "ATC_INV", kSsv | bits(9, 9) | kSsid | kSid, bits(5, 0) | bits(63, 12)},
      {Opcode::kPriResp, "PRI_RESP", kSsv | kSsid | kSid, bits(8, 0) | bits(13, 12)},
      {Opcode::kResume, "RESUME", bits(13, 12) | kSid, bits(15, 0)},
      {Opcode::kStallTerm, "STALL_TERM", kSid, 0},  // from the architecture
      {Opcode::kSync, "CMD_SYNC", bits(13, 12) | bits(23, 22) | bits(27, 24) | bits(63, 32),
       bits(51, 2)},
  };
  return l;
}

TEST(ArchCommand, NamesAndKnownOpcodes) {
  std::set<uint8_t> known;
  for (const auto& l : layouts()) {
    EXPECT_EQ(std::string(to_string(l.op)), l.name);
    known.insert(static_cast<uint8_t>(l.op));
  }
  EXPECT_EQ(known.size(), 22u);
  for (unsigned op = 0; op < 256; ++op)
    EXPECT_EQ(opcode_known(static_cast<uint8_t>(op)), known.count(op) == 1) << std::hex << op;
  EXPECT_EQ(std::string(to_string(static_cast<Opcode>(0x7f))), "UNKNOWN");
}

TEST(ArchCommand, DefinedBitsPerOpcode) {
  for (const auto& l : layouts()) {
    SCOPED_TRACE(l.name);
    const auto d = command_defined_bits(l.op);
    EXPECT_EQ(d[0], l.dw0 | 0xff);
    EXPECT_EQ(d[1], l.dw1);
  }
  EXPECT_EQ(command_defined_bits(static_cast<Opcode>(0x50)), (std::array<uint64_t, 2>{0, 0}));
}

TEST(ArchCommand, ReservedBitsExhaustive) {
  for (const auto& l : layouts()) {
    SCOPED_TRACE(l.name);
    const uint64_t op = static_cast<uint8_t>(l.op);
    // Every defined field at all ones is legal.
    EXPECT_TRUE(command_reserved_bits_clear(Command::from_words(op | l.dw0, l.dw1)));
    EXPECT_TRUE(command_reserved_bits_clear(Command(l.op)));
    // Any one other bit (the opcode byte aside) is RES0.
    for (unsigned b = 8; b < 64; ++b) {
      const uint64_t m = uint64_t{1} << b;
      if (l.dw0 & m) continue;
      EXPECT_FALSE(command_reserved_bits_clear(Command::from_words(op | l.dw0 | m, l.dw1)))
          << "dw0 bit " << b;
    }
    for (unsigned b = 0; b < 64; ++b) {
      const uint64_t m = uint64_t{1} << b;
      if (l.dw1 & m) continue;
      EXPECT_FALSE(command_reserved_bits_clear(Command::from_words(op | l.dw0, l.dw1 | m)))
          << "dw1 bit " << b;
    }
  }
}

TEST(ArchCommand, ReservedBitsOnBuiltCommands) {
  // Configuration invalidation.
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kCfgiSte).set_sid(0x1234).set_leaf(true)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kCfgiSte).set_sid(1).set_ssid(2)));
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kCfgiCd).set_sid(1).set_ssid(2)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kCfgiCdAll).set_sid(1).set_leaf(true)));
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kCfgiSteRange).set_range(kCfgiAllRange)));
  // TLB invalidation: NUM/SCALE only for the by-address forms.
  EXPECT_TRUE(command_reserved_bits_clear(
      Command(Opcode::kTlbiNhVa).set_vmid(3).set_asid(4).set_num(1).set_scale(2).set_addr(0x1000)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiNhAsid).set_asid(4).set_num(1)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiNhAll).set_scale(1)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiNhVaa).set_asid(1)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiEl2Vaa).set_vmid(1)));
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kTlbiEl2Va).set_asid(1).set_tg(1)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiEl2All).set_leaf(true)));
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kTlbiS2Ipa).set_ipa(0xf'ffff'f000'0000)));
  EXPECT_FALSE(command_reserved_bits_clear(
      Command(Opcode::kTlbiS2Ipa).set_addr(uint64_t{1} << 52)));  // above IPA[51:12]
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiS12Vmall).set_asid(1)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kTlbiNsnhAll).set_vmid(1)));
  // ATS and PRI.
  EXPECT_TRUE(command_reserved_bits_clear(
      Command(Opcode::kAtcInv).set_sid(7).set_ssv(true).set_ssid(9).set_global(true).set_size(52)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kAtcInv).set_tg(1).set_size(2)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kPrefetchAddr).set_size(0)
                                               .set_global(true)));
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kPriResp).set_grpid(0x1ff).set_resp(2)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kPriResp).set_stag(0x200)));
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kResume).set_resp(1).set_stag(0xffff)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kResume).set_ssv(true)));
  // CMD_SYNC: MSIADDR stops at bit 51.
  EXPECT_TRUE(command_reserved_bits_clear(Command(Opcode::kSync).set_cs(SyncCs::kIrq)
                                              .set_msiaddr(0xf'ffff'ffff'fffc)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kSync).set_addr(uint64_t{1} << 52)));
  EXPECT_FALSE(command_reserved_bits_clear(Command(Opcode::kSync).set_ssv(true)));
  // Unknown opcodes are never "clear".
  EXPECT_FALSE(command_reserved_bits_clear(Command::from_words(0x00, 0)));
  EXPECT_FALSE(command_reserved_bits_clear(Command::from_words(0x47, 0)));
}

TEST(ArchCommand, PrefetchAndCfgiFields) {
  check_command_fields(Opcode::kPrefetchConfig,
                       {CMD_FIELD("SSV", 0, 11, 11, set_ssv, ssv),
                        CMD_FIELD("SSID", 0, 31, 12, set_ssid, ssid),
                        CMD_FIELD("SID", 0, 63, 32, set_sid, sid)});
  check_command_fields(Opcode::kPrefetchAddr,
                       {CMD_FIELD("SIZE", 1, 4, 0, set_size, size),
                        CMD_ADDR("ADDR", 1, 63, 12, set_addr, addr)});
  check_command_fields(Opcode::kCfgiSte, {CMD_FIELD("LEAF", 1, 0, 0, set_leaf, leaf)});
  check_command_fields(Opcode::kCfgiSteRange, {CMD_FIELD("RANGE", 1, 4, 0, set_range, range)});
}

TEST(ArchCommand, TlbiFields) {
  check_command_fields(Opcode::kTlbiNhVa,
                       {CMD_FIELD("NUM", 0, 16, 12, set_num, num),
                        CMD_FIELD("SCALE", 0, 24, 20, set_scale, scale),
                        CMD_FIELD("VMID", 0, 47, 32, set_vmid, vmid),
                        CMD_FIELD("ASID", 0, 63, 48, set_asid, asid),
                        CMD_FIELD("LEAF", 1, 0, 0, set_leaf, leaf),
                        CMD_FIELD("TTL", 1, 9, 8, set_ttl, ttl),
                        CMD_FIELD("TG", 1, 11, 10, set_tg, tg),
                        CMD_ADDR("ADDR", 1, 63, 12, set_addr, addr)});
  check_command_fields(Opcode::kTlbiS2Ipa, {CMD_ADDR("IPA", 1, 51, 12, set_ipa, ipa)});
}

TEST(ArchCommand, AtsPriResumeFields) {
  check_command_fields(Opcode::kAtcInv,
                       {CMD_FIELD("SSV", 0, 11, 11, set_ssv, ssv),
                        CMD_FIELD("GLOBAL", 0, 9, 9, set_global, global),
                        CMD_FIELD("SSID", 0, 31, 12, set_ssid, ssid),
                        CMD_FIELD("SID", 0, 63, 32, set_sid, sid),
                        CMD_FIELD("SIZE", 1, 5, 0, set_size, size),
                        CMD_ADDR("ADDR", 1, 63, 12, set_addr, addr)});
  check_command_fields(Opcode::kPriResp,
                       {CMD_FIELD("GRPID", 1, 8, 0, set_grpid, grpid),
                        CMD_FIELD("RESP", 1, 13, 12, set_resp, resp)});
  check_command_fields(Opcode::kResume,
                       {CMD_FIELD("RESP", 0, 13, 12, set_resp, resp),
                        CMD_FIELD("SID", 0, 63, 32, set_sid, sid),
                        CMD_FIELD("STAG", 1, 15, 0, set_stag, stag)});
}

TEST(ArchCommand, SyncFields) {
  check_command_fields(Opcode::kSync,
                       {CMD_FIELD("CS", 0, 13, 12, set_cs, cs),
                        CMD_FIELD("MSH", 0, 23, 22, set_msh, msh),
                        CMD_FIELD("MSIATTR", 0, 27, 24, set_msiattr, msiattr),
                        CMD_FIELD("MSIDATA", 0, 63, 32, set_msidata, msidata),
                        CMD_ADDR("MSIADDR", 1, 51, 2, set_msiaddr, msiaddr)});
}

TEST(ArchCommand, LinuxStyleCommands) {
  // CMD_SYNC completed by an MSI to its own queue slot: CS 1, MSH inner shareable,
  // MSIATTR outer/inner write-back, MSIDATA 0.
  const Command sync = Command(Opcode::kSync)
                           .set_cs(SyncCs::kIrq)
                           .set_msh(3)
                           .set_msiattr(0xf)
                           .set_msidata(0)
                           .set_msiaddr(0x8000'0040);
  EXPECT_EQ(sync.dw[0], 0x0fc0'1046u);
  EXPECT_EQ(sync.dw[1], 0x8000'0040u);
  EXPECT_EQ(Command(Opcode::kSync).set_cs(SyncCs::kSev).dw[0], 0x2046u);

  // Range TLBI, 4K pages, 33 pages: (addr 0, SCALE 0, NUM 0), (addr 0x1000, SCALE 5, NUM 0).
  const Command first = Command(Opcode::kTlbiNhVa).set_asid(0x1e20).set_vmid(0).set_tg(1)
                            .set_ttl(3).set_leaf(true).set_num(0).set_scale(0).set_addr(0);
  EXPECT_EQ(first.dw[0], (uint64_t{0x1e20} << 48) | 0x12);
  EXPECT_EQ(first.dw[1], 0x701u);
  const Command second = Command(first).set_scale(5).set_addr(0x1000);
  EXPECT_EQ(second.dw[0], (uint64_t{0x1e20} << 48) | (5u << 20) | 0x12);
  EXPECT_EQ(second.dw[1], 0x1701u);
  EXPECT_EQ(second.scale(), 5u);
  EXPECT_EQ(second.num(), 0u);

  // ATC_INV of pages [8, 11]: SIZE 2 at page 8; pages [7, 10]: SIZE 4 at page 0.
  const Command atc = Command(Opcode::kAtcInv).set_sid(0x42).set_addr(8 << 12).set_size(2);
  EXPECT_EQ(atc.dw[0], (uint64_t{0x42} << 32) | 0x40);
  EXPECT_EQ(atc.dw[1], 0x8002u);
  EXPECT_EQ(Command(Opcode::kAtcInv).set_addr(0).set_size(4).dw[1], 0x4u);
  EXPECT_EQ(Command(Opcode::kAtcInv).set_size(kAtcInvSizeAll).size(), 52u);

  // The address setters drop the bits below the field.
  EXPECT_EQ(Command(Opcode::kTlbiNhVa).set_addr(0x1234'5fff).addr(), 0x1234'5000u);
  EXPECT_EQ(Command(Opcode::kSync).set_msiaddr(0x1003).msiaddr(), 0x1000u);
  // Setting a field twice replaces it.
  EXPECT_EQ(Command(Opcode::kCfgiSte).set_sid(0xffff'ffff).set_sid(5).sid(), 5u);
}

TEST(ArchCommand, RespAndSizeFollowTheOpcode) {
  // RESUME keeps RESP in dw0, PRI_RESP in dw1; CMD_SYNC.CS shares RESUME's position.
  const Command r = Command(Opcode::kResume).set_resp(static_cast<uint8_t>(ResumeResp::kAbort));
  EXPECT_EQ(r.dw[0], 0x2044u);
  EXPECT_EQ(r.dw[1], 0u);
  const Command p = Command(Opcode::kPriResp).set_resp(static_cast<uint8_t>(PriResp::kSuccess));
  EXPECT_EQ(p.dw[0], 0x41u);
  EXPECT_EQ(p.dw[1], 0x2000u);
  // SIZE is six bits for ATC_INV and five for PREFETCH_ADDR.
  EXPECT_EQ(Command(Opcode::kAtcInv).set_size(0x3f).dw[1], 0x3fu);
  EXPECT_EQ(Command(Opcode::kPrefetchAddr).set_size(0x3f).dw[1], 0x1fu);
  EXPECT_EQ(Command::from_words(0x02, 0x3f).size(), 0x1fu);
  EXPECT_EQ(Command::from_words(0x40, 0x3f).size(), 0x3fu);
}

TEST(ArchCommand, WordsRoundTrip) {
  const Command c = Command::from_words(0x0123'4567'89ab'cd12, 0xfedc'ba98'7654'3210);
  EXPECT_EQ(c.opcode(), Opcode::kTlbiNhVa);
  EXPECT_EQ(c.raw_opcode(), 0x12);
  EXPECT_EQ(c.asid(), 0x0123u);
  EXPECT_EQ(c.vmid(), 0x4567u);
  EXPECT_EQ(c.sid(), 0x0123'4567u);
  EXPECT_EQ(c.addr(), 0xfedc'ba98'7654'3000u);
  EXPECT_EQ(c.tg(), 0u);
  EXPECT_EQ(c.ttl(), 2u);
  EXPECT_FALSE(c.leaf());
  EXPECT_EQ(Command::from_words(c.dw[0], c.dw[1]), c);
  EXPECT_NE(Command(c).set_leaf(true), c);
}

}  // namespace
}  // namespace smmu::arch
