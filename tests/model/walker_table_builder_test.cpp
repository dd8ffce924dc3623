// SPDX-License-Identifier: Apache-2.0
// The table builder the walker tests rely on: allocator, page tables (blocks, pages,
// unmap, misuse, IPA-space tables), stream tables and CD tables, linear and 2-level.
#include <gtest/gtest.h>

#include <stdexcept>

#include "platform/software/table_builder.h"

namespace {

using namespace smmu;
using platform::CdTableBuilder;
using platform::PageAllocator;
using platform::PageTableBuilder;
using platform::SparseMemory;
using platform::Stage;
using platform::StreamTableBuilder;

arch::S1LeafAttrs s1_rw() {
  arch::S1LeafAttrs a;
  a.af = true;
  a.ap = 1;
  return a;
}

arch::S2LeafAttrs s2_rw() {
  arch::S2LeafAttrs a;
  a.af = true;
  a.s2ap = 3;
  return a;
}

TEST(PageAllocator, AlignsAndRunsOut) {
  PageAllocator a(0x1000, 0x10000);
  EXPECT_EQ(a.alloc(0x10, 8), 0x1000u);
  EXPECT_EQ(a.alloc(0x1000, 0x1000), 0x2000u);
  EXPECT_EQ(a.alloc(0x8, 0x4000), 0x4000u);
  EXPECT_EQ(a.used(), 0x3008u);
  EXPECT_THROW(a.alloc(0x10, 3), std::invalid_argument);
  EXPECT_THROW(a.alloc(0x10000, 8), std::runtime_error);
  EXPECT_EQ(a.alloc(0xc000, 0x1000), 0x5000u);  // exactly to the end
  EXPECT_THROW(a.alloc(8, 8), std::runtime_error);
}

TEST(PageTableBuilder, BlocksWhereAlignedElsePages) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  PageTableBuilder b(mem, alloc, arch::Granule{12}, 0, 1, Stage::kS1);
  // 1 GiB + 2 MiB + 4 KiB, all aligned: one level-1 block, one level-2 block, one page.
  b.map(0x40000000, 0x80000000, 0x40201000, s1_rw());
  EXPECT_EQ(arch::descriptor_type(b.read_entry(0x40000000, 1), 1), arch::DescriptorType::kBlock);
  EXPECT_EQ(arch::descriptor_type(b.read_entry(0x80000000, 2), 2), arch::DescriptorType::kBlock);
  EXPECT_EQ(arch::descriptor_type(b.read_entry(0x80200000, 3), 3), arch::DescriptorType::kPage);
  EXPECT_EQ(arch::descriptor_address(b.read_entry(0x80200000, 3), 12), 0xc0200000u);
  EXPECT_EQ(b.tables().size(), 4u);  // root, L1, L2 (for 0x80000000), L3
  // Without blocks, pages only.
  PageTableBuilder p(mem, alloc, arch::Granule{12}, 0, 1, Stage::kS1);
  p.map(0x200000, 0x400000, 0x200000, s1_rw(), false);
  EXPECT_EQ(arch::descriptor_type(p.read_entry(0x200000, 2), 2), arch::DescriptorType::kTable);
  EXPECT_EQ(arch::S1LeafAttrs::decode(p.read_entry(0x3ff000, 3)).af, true);
  EXPECT_EQ(arch::descriptor_address(p.read_entry(0x3ff000, 3), 12), 0x5ff000u);
}

TEST(PageTableBuilder, UnmapClearsLeavesAndRefusesToSplitBlocks) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  PageTableBuilder b(mem, alloc, arch::Granule{12}, 1, 1, Stage::kS1);
  b.map(0x200000, 0x200000, 0x200000, s1_rw());        // a block
  b.map(0x400000, 0x400000, 0x3000, s1_rw(), false);   // pages
  EXPECT_THROW(b.unmap(0x200000, 0x1000), std::invalid_argument);
  EXPECT_THROW(b.map(0x201000, 0x1000, 0x1000, s1_rw()), std::invalid_argument);
  b.unmap(0x401000, 0x1000);
  EXPECT_EQ(b.read_entry(0x401000, 3), 0u);
  EXPECT_NE(b.read_entry(0x402000, 3), 0u);
  b.unmap(0x0, 0x800000);  // holes skipped, block and pages cleared
  EXPECT_EQ(b.read_entry(0x200000, 2), 0u);
  EXPECT_EQ(b.read_entry(0x402000, 3), 0u);
}

TEST(PageTableBuilder, Misuse) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  EXPECT_THROW(PageTableBuilder(mem, alloc, arch::Granule{13}, 0, 1, Stage::kS1), std::invalid_argument);
  EXPECT_THROW(PageTableBuilder(mem, alloc, arch::Granule{16}, 0, 1, Stage::kS1), std::invalid_argument);
  EXPECT_THROW(PageTableBuilder(mem, alloc, arch::Granule{12}, 1, 2, Stage::kS1), std::invalid_argument);
  EXPECT_THROW(PageTableBuilder(mem, alloc, arch::Granule{12}, 1, 3, Stage::kS2), std::invalid_argument);
  PageTableBuilder s1(mem, alloc, arch::Granule{12}, 1, 1, Stage::kS1);
  EXPECT_THROW(s1.map(0x1000, 0x1000, 0x1000, s2_rw()), std::invalid_argument);
  EXPECT_THROW(s1.map(0x1800, 0x1000, 0x1000, s1_rw()), std::invalid_argument);
  EXPECT_THROW(s1.map(0x8000000000, 0x1000, 0x1000, s1_rw()), std::invalid_argument);  // > 39 bits
  EXPECT_THROW(s1.set_input_bits(40), std::invalid_argument);
  EXPECT_THROW(s1.read_entry(0x1000, 3), std::invalid_argument);  // no level-2 table yet
}

// Concatenated stage-2 roots are one aligned block of tables.
TEST(PageTableBuilder, ConcatenatedRoot) {
  SparseMemory mem;
  PageAllocator alloc(0x10001000, 0x1000000);
  PageTableBuilder b(mem, alloc, arch::Granule{12}, 2, 16, Stage::kS2);
  EXPECT_EQ(b.root() % 0x10000, 0u);
  EXPECT_EQ(b.input_bits(), 34u);
  b.map(0x3ffe00000, 0x1000, 0x1000, s2_rw());
  EXPECT_EQ(b.entry_address(0x3ffe00000, 2, false), b.root() + 0xfff8);
}

// A stage-1 tree in IPA space: descriptors hold IPAs, words land at ipa_to_pa(ipa).
TEST(PageTableBuilder, TablesInIpaSpace) {
  SparseMemory mem;
  PageAllocator guest(0x20000000, 0x100000);
  auto to_pa = [](uint64_t ipa) { return ipa + 0x100000000ull; };
  PageTableBuilder b(mem, guest, arch::Granule{12}, 0, 1, Stage::kS1, to_pa);
  b.map(0x1000, 0x5000, 0x1000, s1_rw(), false);
  EXPECT_EQ(b.root(), 0x20000000u);
  const uint64_t l0 = mem.read64(to_pa(b.root()));
  EXPECT_EQ(arch::descriptor_address(l0, 12), 0x20001000u);  // an IPA
  EXPECT_EQ(mem.read64(b.root()), 0u);                      // nothing at the IPA as a PA
  EXPECT_EQ(b.entry_pa(0x1000, 3), to_pa(b.entry_address(0x1000, 3)));
  for (const auto& [pa, v] : mem.words()) EXPECT_GE(pa, 0x100000000ull) << std::hex << pa << " " << v;
}

TEST(StreamTableBuilder, Linear) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  StreamTableBuilder st = StreamTableBuilder::linear(mem, alloc, 6);
  EXPECT_EQ(st.base() % (64 * 64), 0u);
  EXPECT_EQ(st.base_cfg(), 6u);
  EXPECT_EQ(st.base_reg(), st.base());
  EXPECT_EQ(st.ste_address(5), st.base() + 5 * 64);
  arch::Ste ste;
  ste.valid = true;
  ste.config = 6;
  ste.s2vmid = 0x77;
  ste.s2ttb = 0x12345000;
  st.write_ste(5, ste);
  EXPECT_EQ(mem.read64(st.base() + 5 * 64), ste.encode()[0]);
  arch::Ste back = st.read_ste(5);
  EXPECT_EQ(back.s2vmid, 0x77);
  EXPECT_EQ(back.s2ttb, 0x12345000u);
  EXPECT_THROW(st.ste_address(64), std::invalid_argument);
}

TEST(StreamTableBuilder, TwoLevelAllocatesLeavesOnDemand) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  StreamTableBuilder st = StreamTableBuilder::two_level(mem, alloc, 16, 8);
  EXPECT_EQ(st.base_cfg(), (1u << 16) | (8u << 6) | 16u);
  const uint64_t used = alloc.used();
  const uint64_t a = st.ste_address(0x1234);
  arch::L1StreamDescriptor d = arch::L1StreamDescriptor::decode(mem.read64(st.base() + 0x12 * 8));
  EXPECT_EQ(d.span, 9);
  EXPECT_EQ(d.l2ptr % (256 * 64), 0u);
  EXPECT_EQ(a, d.l2ptr + 0x34 * 64);
  EXPECT_EQ(st.ste_address(0x12ff), d.l2ptr + 0xff * 64);  // same leaf, no new allocation
  EXPECT_EQ(alloc.used() - used, 256u * 64 + (d.l2ptr - used - alloc.base()));
  EXPECT_EQ(mem.read64(st.base() + 0x13 * 8), 0u);  // untouched L1 entries stay invalid
  arch::Ste ste;
  ste.valid = true;
  ste.config = 4;
  st.write_ste(0x1234, ste);
  EXPECT_EQ(st.read_ste(0x1234).config, 4);
  EXPECT_THROW(StreamTableBuilder::two_level(mem, alloc, 16, 7), std::invalid_argument);
}

TEST(CdTableBuilder, LinearAndAttach) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  CdTableBuilder t = CdTableBuilder::linear(mem, alloc, 3);
  arch::Cd cd;
  cd.valid = true;
  cd.asid = 0x55;
  t.write_cd(7, cd);
  EXPECT_EQ(t.cd_address(7), t.base() + 7 * 64);
  EXPECT_EQ(t.read_cd(7).asid, 0x55);
  EXPECT_THROW(t.cd_address(8), std::invalid_argument);
  arch::Ste ste;
  t.attach(ste);
  EXPECT_EQ(ste.s1_context_ptr, t.base());
  EXPECT_EQ(ste.s1fmt, 0);
  EXPECT_EQ(ste.s1cdmax, 3);
}

TEST(CdTableBuilder, TwoLevelLeaves) {
  SparseMemory mem;
  PageAllocator alloc(0x10000000, 0x1000000);
  // S1FMT 2: 1024 CDs per leaf; 20-bit SSIDs -> 1024 L1 descriptors.
  CdTableBuilder t = CdTableBuilder::two_level(mem, alloc, 20, 2);
  const uint64_t a = t.cd_address(0x12345);
  arch::L1CdDescriptor d = arch::L1CdDescriptor::decode(mem.read64(t.base() + 0x48 * 8));
  EXPECT_TRUE(d.valid);
  EXPECT_EQ(d.l2ptr % 0x10000, 0u);
  EXPECT_EQ(a, d.l2ptr + 0x345 * 64);
  // S1FMT 1: 64 CDs per leaf (4 KiB).
  CdTableBuilder t1 = CdTableBuilder::two_level(mem, alloc, 8, 1);
  const uint64_t b = t1.cd_address(0xc5);
  d = arch::L1CdDescriptor::decode(mem.read64(t1.base() + 3 * 8));
  EXPECT_TRUE(d.valid);
  EXPECT_EQ(b, d.l2ptr + 5 * 64);
  arch::Ste ste;
  t1.attach(ste);
  EXPECT_EQ(ste.s1fmt, 1);
  EXPECT_EQ(ste.s1cdmax, 8);
  // A small S1CDMAX gets a small leaf (4 CDs), still 4 KiB aligned.
  CdTableBuilder small = CdTableBuilder::two_level(mem, alloc, 2, 2);
  const uint64_t before = alloc.used();
  const uint64_t c = small.cd_address(3);
  d = arch::L1CdDescriptor::decode(mem.read64(small.base()));
  EXPECT_EQ(d.l2ptr % 0x1000, 0u);
  EXPECT_EQ(c, d.l2ptr + 3 * 64);
  EXPECT_LE(alloc.used() - before, 0x1000u + 4 * 64);
  EXPECT_THROW(CdTableBuilder::two_level(mem, alloc, 0, 2), std::invalid_argument);
}

TEST(CdTableBuilder, NestedTableInIpaSpace) {
  SparseMemory mem;
  PageAllocator guest(0x20000000, 0x100000);
  auto to_pa = [](uint64_t ipa) { return ipa + 0x40000000; };
  CdTableBuilder t = CdTableBuilder::two_level(mem, guest, 10, 1, to_pa);
  arch::Cd cd;
  cd.valid = true;
  cd.asid = 9;
  t.write_cd(0x81, cd);
  arch::L1CdDescriptor d = arch::L1CdDescriptor::decode(mem.read64(to_pa(t.base() + 2 * 8)));
  EXPECT_TRUE(d.valid);
  EXPECT_LT(d.l2ptr, 0x20100000u);  // an IPA
  EXPECT_EQ(mem.read64(to_pa(d.l2ptr + 1 * 64)), cd.encode()[0]);
  EXPECT_EQ(t.read_cd(0x81).asid, 9);
}

}  // namespace
