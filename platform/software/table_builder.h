// SPDX-License-Identifier: Apache-2.0
// Builders of the in-memory structures the SMMU reads: translation tables (stage 1 and
// stage 2, every granule, blocks, concatenated stage-2 start tables, stage-1 tables that
// live in IPA space), stream tables (linear, 2-level) and CD tables (linear, 2-level).
// They write through an abstract memory, so tests, scenarios and tools can share them.
// No SystemC.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/descriptor.h"
#include "rtl_model/arch/ste.h"

namespace smmu::platform {

// Where the builders write: 64-bit little-endian words at physical addresses.
class MemoryWriter {
 public:
  virtual ~MemoryWriter() = default;
  virtual void write64(uint64_t pa, uint64_t v) = 0;
  virtual uint64_t read64(uint64_t pa) = 0;
};

// A sparse memory of 64-bit words (unwritten words read as zero): the backing store of
// unit tests and offline tools. Addresses must be 8-byte aligned.
class SparseMemory : public MemoryWriter {
 public:
  void write64(uint64_t pa, uint64_t v) override;
  uint64_t read64(uint64_t pa) override;
  const std::map<uint64_t, uint64_t>& words() const { return words_; }
  std::size_t writes() const { return writes_; }

 private:
  std::map<uint64_t, uint64_t> words_;
  std::size_t writes_ = 0;
};

// A bump allocator over [base, base + size). Throws std::invalid_argument for a bad
// alignment (not a power of two) and std::runtime_error when the region is exhausted.
class PageAllocator {
 public:
  PageAllocator(uint64_t base, uint64_t size);
  uint64_t alloc(uint64_t size, uint64_t align);
  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  uint64_t used() const { return next_ - base_; }

 private:
  uint64_t base_, size_, next_;
};

enum class Stage { kS1 = 1, kS2 = 2 };

// Builds one translation table tree. Addresses handed out by the allocator, stored in
// table descriptors and returned by root() are in the builder's "table space": physical
// addresses, or IPAs for a stage-1 tree of a nested stream. In that case ipa_to_pa
// gives the physical address of each word the builder writes or reads (descriptors
// still hold IPAs, as the architecture wants).
class PageTableBuilder {
 public:
  using Translate = std::function<uint64_t(uint64_t)>;

  // concat_tables (stage 2 only): start-level tables concatenated (1, 2, 4, 8, 16).
  // Throws std::invalid_argument on a bad granule, level or concatenation.
  PageTableBuilder(MemoryWriter& mem, PageAllocator& alloc, arch::Granule granule,
                   int start_level, unsigned concat_tables = 1, Stage stage = Stage::kS1,
                   Translate ipa_to_pa = {});

  // Bits of the input address the tree resolves. By default the largest the start level
  // allows (level_shift(start) + bits_per_level + log2(concat)), and map() rejects inputs
  // above it; set the regime's input size to build a TTB1 tree, whose VAs have their
  // upper bits set (they are then ignored, as the walker ignores them).
  void set_input_bits(unsigned bits);
  unsigned input_bits() const { return input_bits_; }

  // Maps [iova, iova + size) to [pa, pa + size). All three must be granule aligned.
  // With use_blocks, blocks are used wherever alignment and the level allow. Creates
  // intermediate tables on demand. Throws std::invalid_argument on misuse (wrong stage's
  // attributes, misalignment, an input above input_bits, a range inside an existing
  // block that would need splitting).
  void map(uint64_t iova, uint64_t pa, uint64_t size, const arch::S1LeafAttrs& attrs,
           bool use_blocks = true);
  void map(uint64_t iova, uint64_t pa, uint64_t size, const arch::S2LeafAttrs& attrs,
           bool use_blocks = true);
  // Clears the leaves of [iova, iova + size) (tables stay). Unmapped holes are skipped;
  // a block only partly covered throws std::invalid_argument.
  void unmap(uint64_t iova, uint64_t size);

  // Start-level table (table space). For stage 2 with concatenation: the first table.
  uint64_t root() const { return root_; }
  arch::Granule granule() const { return granule_; }
  int start_level() const { return start_level_; }
  Stage stage() const { return stage_; }
  // Every table allocated so far (table space), the root first.
  const std::vector<uint64_t>& tables() const { return tables_; }

  // Table-space address of the entry that translates iova at `level`, creating the
  // tables down to that level when create is set (throws std::invalid_argument when the
  // walk there is blocked by a leaf, or the table is missing and create is false).
  uint64_t entry_address(uint64_t iova, int level, bool create = true);
  // Physical address of that entry (after ipa_to_pa).
  uint64_t entry_pa(uint64_t iova, int level, bool create = true);
  // Raw access to the entry, for tests that need odd descriptors.
  void write_entry(uint64_t iova, int level, uint64_t desc);
  uint64_t read_entry(uint64_t iova, int level);
  // Sets the stage-1 hierarchical attributes of the table descriptor at `level` on the
  // way to iova (the table below must exist).
  void set_table_attrs(uint64_t iova, int level, const arch::S1TableAttrs& attrs);

 private:
  uint64_t to_pa(uint64_t table_addr) const { return ipa_to_pa_ ? ipa_to_pa_(table_addr) : table_addr; }
  uint64_t new_table(uint64_t bytes);
  unsigned index_bits(int level) const;
  uint64_t index(uint64_t iova, int level) const;
  uint64_t input_of(uint64_t iova) const;
  void map_any(uint64_t iova, uint64_t pa, uint64_t size, uint64_t leaf_attrs, bool use_blocks);

  MemoryWriter& mem_;
  PageAllocator& alloc_;
  arch::Granule granule_;
  int start_level_;
  unsigned concat_;
  Stage stage_;
  Translate ipa_to_pa_;
  unsigned input_bits_;
  bool explicit_input_bits_ = false;
  uint64_t root_ = 0;
  std::vector<uint64_t> tables_;
};

// A stream table, linear or 2-level, as STRTAB_BASE / STRTAB_BASE_CFG describe it.
class StreamTableBuilder {
 public:
  // Linear table of 2^log2size STEs.
  static StreamTableBuilder linear(MemoryWriter& mem, PageAllocator& alloc, unsigned log2size);
  // 2-level: the level-1 table has 2^(log2size - split) descriptors; each level-2 table
  // (allocated on demand) holds 2^split STEs, with SPAN = split + 1.
  static StreamTableBuilder two_level(MemoryWriter& mem, PageAllocator& alloc, unsigned log2size,
                                      unsigned split = 8);

  uint64_t base() const { return base_; }
  bool is_two_level() const { return two_level_; }
  unsigned log2size() const { return log2size_; }
  unsigned split() const { return split_; }
  // STRTAB_BASE_CFG: FMT[17:16], SPLIT[10:6], LOG2SIZE[5:0].
  uint64_t base_cfg() const;
  // STRTAB_BASE: ADDR[51:6] (RA left clear).
  uint64_t base_reg() const { return arch::address_bits(base_, 51, 6); }

  // Address of the STE of sid (allocating its level-2 table when needed).
  uint64_t ste_address(uint32_t sid);
  void write_ste(uint32_t sid, const arch::Ste& ste);
  arch::Ste read_ste(uint32_t sid);

 private:
  StreamTableBuilder(MemoryWriter& mem, PageAllocator& alloc) : mem_(&mem), alloc_(&alloc) {}
  MemoryWriter* mem_;
  PageAllocator* alloc_;
  bool two_level_ = false;
  unsigned log2size_ = 0, split_ = 0;
  uint64_t base_ = 0;
};

// A CD table, linear or 2-level, as STE.S1ContextPtr / S1FMT / S1CDMAX describe it.
// Level-2 leaves hold 2^leaf_bits CDs (S1FMT 1: 64 CDs = 4 KiB, S1FMT 2: 1024 CDs =
// 64 KiB), or 2^S1CDMAX when that is smaller. With ipa_to_pa (nested STEs) the table
// addresses are IPAs and words are written at ipa_to_pa(ipa).
class CdTableBuilder {
 public:
  using Translate = std::function<uint64_t(uint64_t)>;
  static CdTableBuilder linear(MemoryWriter& mem, PageAllocator& alloc, unsigned s1cdmax,
                               Translate ipa_to_pa = {});
  static CdTableBuilder two_level(MemoryWriter& mem, PageAllocator& alloc, unsigned s1cdmax,
                                  uint8_t s1fmt = 2, Translate ipa_to_pa = {});

  uint64_t base() const { return base_; }
  uint8_t s1fmt() const { return s1fmt_; }
  unsigned s1cdmax() const { return s1cdmax_; }
  // Sets S1ContextPtr, S1FMT and S1CDMAX of an STE to this table.
  void attach(arch::Ste& ste) const;

  // Table-space address of the CD of ssid (allocating its leaf when needed).
  uint64_t cd_address(uint32_t ssid);
  void write_cd(uint32_t ssid, const arch::Cd& cd);
  arch::Cd read_cd(uint32_t ssid);

 private:
  CdTableBuilder(MemoryWriter& mem, PageAllocator& alloc, Translate t)
      : mem_(&mem), alloc_(&alloc), ipa_to_pa_(std::move(t)) {}
  uint64_t to_pa(uint64_t a) const { return ipa_to_pa_ ? ipa_to_pa_(a) : a; }
  unsigned leaf_bits() const;
  MemoryWriter* mem_;
  PageAllocator* alloc_;
  Translate ipa_to_pa_;
  uint8_t s1fmt_ = 0;
  unsigned s1cdmax_ = 0;
  uint64_t base_ = 0;
};

// The simplest translating stream, for platforms and benches that program the SMMU
// from sc_main: a linear stream table of 2^log2_sids STEs whose STE `sid` points to one
// CD (AArch64, 4 KiB granule, 48-bit VA and output, ASID asid, faults recorded and
// aborted) whose tables map each (va, pa) 4 KiB page read/write at any EL. Returns what
// software writes to SMMU_STRTAB_BASE and SMMU_STRTAB_BASE_CFG (then CR0.SMMUEN).
struct Stage1StreamRegs {
  uint64_t strtab_base = 0;
  uint32_t strtab_base_cfg = 0;
};
Stage1StreamRegs build_stage1_stream(MemoryWriter& mem, PageAllocator& alloc, uint32_t sid,
                                     const std::vector<std::pair<uint64_t, uint64_t>>& pages,
                                     uint16_t asid = 1, unsigned log2_sids = 4);

}  // namespace smmu::platform
