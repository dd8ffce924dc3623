// SPDX-License-Identifier: Apache-2.0
// io-pgtable: the VMSAv8-64 translation tables of one domain as the driver builds them
// (stage 1 or stage 2; 4K, 16K or 64K granule; blocks where alignment allows), in DMA
// memory through the Os, for the SMMU's walker to read.
//
// Geometry. The start level is the one whose table resolves the top bits of an
// ias-wide input: levels = ceil((ias - granule_shift) / bits_per_level), start = 4 -
// levels. Stage 2 then concatenates start tables (at most 16, the start table being
// aligned to its whole size) in two cases:
//   - Linux's rule: the start level is 0 and its table would have at most 16 entries;
//     the walk starts at level 1 instead, over that many concatenated tables (one
//     descriptor read fewer per walk; this is also what makes 16K with a 48-bit IPA
//     possible, since S2SL0 cannot name level 0 for 16K);
//   - when S2SL0 cannot name the start level for this output size (level 0 with 4K
//     needs oas >= 44, level 1 with 16K needs oas >= 42, with 64K oas >= 44): the walk
//     starts one level lower if at most 16 tables resolve the rest, else the
//     configuration is rejected.
// Stage-2 ias may not exceed oas (the SMMU rejects an IPA wider than its output size).
//
// Partial unmaps split blocks: unmapping part of a block replaces it with a next-level
// table (built and made visible before it is linked) that maps the rest of the block
// with the same attributes, recursively at the range's edges. Linux refused this in some
// versions; we do it so any granule-aligned range can be unmapped. The old block's TLB
// entries cover the whole block, so the gather gets the whole block at block size.
//
// Tables that become empty (free_empty_tables; else only tables the unmap covers
// entirely) are unlinked and handed to the Gather: the walk cache may
// still point at them, so the caller frees them (free_gathered_tables) only after the
// TLB invalidation the gather describes has completed.
//
// map() and unmap() are all-or-nothing: a first pass reads the tables and counts the
// new tables the operation needs (and finds overlaps), the tables are allocated, and
// only then is anything written. Out of memory or an overlap leaves the tables as they
// were.
//
// Concurrency: callers serialize map/unmap/iova_to_phys on one table (the domain lock).
// Every descriptor access goes through Os::read64/write64 (64-bit, single-copy atomic).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "driver/os.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/descriptor.h"
#include "rtl_model/arch/ste.h"

namespace smmu::driver {

enum class PgtableStage : uint8_t { kS1 = 1, kS2 = 2 };

struct IoPgtableConfig {
  PgtableStage stage = PgtableStage::kS1;
  unsigned granule_shift = 12;  // 12 (4K), 14 (16K), 16 (64K)
  unsigned ias = 48;            // input bits: 25..48 (stage 2 with 64K: up to 52)
  unsigned oas = 48;            // output bits: 32, 36, 40, 42, 44, 48, 52 (52: 64K only)
  bool ng = false;              // stage 1: leaves are ASID-tagged (nG = 1)
  // false: as Linux's io-pgtable, a table is unlinked only when an unmap covers all of
  // its span, never because its last entry went (lazy DMA unmaps need this: a table
  // unlinked without invalidating would leave the walk cache pointing at it, hiding
  // later maps through a new table).
  bool free_empty_tables = true;
};

// Memory type of a mapping (MAIR index for stage 1, MemAttr for stage 2).
enum class MemType : uint8_t { kNormal, kNonCacheable, kDevice };

struct IommuProt {
  bool read = true;
  bool write = true;
  bool exec = false;
  bool priv = false;  // stage 1: privileged access only (AP[1] = 0); ignored by stage 2
  MemType mem = MemType::kNormal;
};

// Stage-1 MAIR as the tables use it (Linux's indexes): 0 non-cacheable, 1 write-back
// cacheable, 2 Device-nGnRE, 3 inner non-cacheable / outer write-back.
constexpr uint64_t kS1Mair = 0xf4'04'ff'44;

struct FreedTable {
  uint64_t pa = 0;
  size_t size = 0;
};

// What an unmap changed, for the TLB invalidation that must follow, and the tables to
// free once it has completed. Several unmaps may share one gather (the range grows to
// cover them all: invalidating more than needed is safe).
struct Gather {
  uint64_t start = ~uint64_t{0};  // [start, end): input range to invalidate
  uint64_t end = 0;
  unsigned leaf_shift = 0;      // log2 of the smallest leaf removed (the TLBI granule)
  unsigned max_leaf_shift = 0;  // log2 of the largest; != leaf_shift: mixed sizes (no TTL hint)
  bool leaf = true;             // false: table descriptors were removed (walk cache too)
  std::vector<FreedTable> freelist;

  bool empty() const { return start >= end && freelist.empty(); }
  uint64_t size() const { return start < end ? end - start : 0; }
  uint64_t granule() const { return uint64_t{1} << leaf_shift; }
  void add_leaf(uint64_t iova, unsigned shift);
};

// Frees the gathered tables (after the invalidation has completed) and empties the list.
void free_gathered_tables(Os& os, Gather& gather);

enum class PgtableStatus : uint8_t { kOk, kInvalidArgument, kNoMemory, kAlreadyMapped };
const char* to_string(PgtableStatus s);

struct UnmapResult {
  PgtableStatus status = PgtableStatus::kOk;
  uint64_t unmapped = 0;  // bytes that were mapped in the range and no longer are
};

// A leaf found by lookup().
struct PgtableLeaf {
  uint64_t pa = 0;     // output address of the looked-up iova
  int level = 3;
  unsigned shift = 12;  // log2 of the block or page
  uint64_t desc = 0;
};

class IoPgtable {
 public:
  // Throws std::invalid_argument naming the bad field; nullptr when the start table
  // cannot be allocated.
  static std::unique_ptr<IoPgtable> create(Os& os, const IoPgtableConfig& cfg);
  // Frees every table: the caller has detached the table from all devices and
  // invalidated the TLBs first.
  ~IoPgtable();
  IoPgtable(const IoPgtable&) = delete;
  IoPgtable& operator=(const IoPgtable&) = delete;

  // Maps [iova, iova + size) to [pa, pa + size); all granule aligned, inside ias / oas,
  // read or write allowed. Uses the largest blocks alignment allows. kAlreadyMapped when
  // any part is mapped; kNoMemory when tables cannot be allocated. Nothing changes
  // unless kOk.
  PgtableStatus map(uint64_t iova, uint64_t pa, uint64_t size, const IommuProt& prot);

  // Unmaps whatever is mapped in [iova, iova + size) (granule aligned; holes are fine),
  // splitting blocks that the range covers in part, and records in `gather` what to
  // invalidate and which tables to free after. kNoMemory (nothing changed) when a split
  // cannot allocate its tables.
  UnmapResult unmap(uint64_t iova, uint64_t size, Gather& gather);

  std::optional<uint64_t> iova_to_phys(uint64_t iova) const;
  std::optional<PgtableLeaf> lookup(uint64_t iova) const;

  // The translation fields of the CD (stage 1: TTB0, T0SZ, TG0, IRGN0/ORGN0/SH0, IPS,
  // MAIR, AA64, EPD0 = 0, EPD1 = 1) or of the STE (stage 2: S2TTB, S2T0SZ, S2SL0, S2TG,
  // S2PS, S2IR0/S2OR0/S2SH0, S2AA64). Walks are write-back cacheable, inner shareable.
  // Other fields (V, ASID, VMID, Config, ...) are the caller's. Throws std::logic_error
  // for the wrong stage.
  void fill_cd(arch::Cd& cd) const;
  void fill_ste(arch::Ste& ste) const;

  const IoPgtableConfig& config() const { return cfg_; }
  int start_level() const { return start_level_; }
  unsigned concat_tables() const { return concat_; }
  uint64_t root() const { return root_; }
  size_t root_bytes() const { return root_bytes_; }
  // Block and page sizes this table can map (bit n: 2^n bytes).
  uint64_t pgsize_bitmap() const;
  size_t table_count() const { return tables_.size(); }  // start table included

 private:
  struct TableInfo {
    int level = 0;
    size_t bytes = 0;
    unsigned valid = 0;  // valid descriptors in the table
  };
  struct MapPass;
  struct UnmapPass;

  IoPgtable(Os& os, const IoPgtableConfig& cfg);

  unsigned level_shift(int level) const { return granule_.level_shift(level); }
  uint64_t index(uint64_t iova, int level) const;
  bool leaf_allowed(int level) const { return level == 3 || granule_.block_allowed(level); }
  uint64_t encode_address(uint64_t pa) const;
  uint64_t decode_address(uint64_t desc) const;
  uint64_t table_descriptor(uint64_t table) const;
  uint64_t leaf_attributes(const IommuProt& prot) const;
  uint64_t leaf_descriptor(uint64_t pa, int level, uint64_t attrs) const;

  bool alloc_tables(size_t n, std::vector<uint64_t>& pool);
  uint64_t take_table(std::vector<uint64_t>& pool, int level);
  void set_entry(uint64_t table, uint64_t slot, uint64_t old_desc, uint64_t desc);

  PgtableStatus map_level(uint64_t table, int level, uint64_t iova, uint64_t pa, uint64_t size,
                          MapPass& pass);
  void unmap_level(uint64_t table, int level, uint64_t iova, uint64_t size, UnmapPass& pass);
  // Tables a split of the level-`level` block holding [iova, iova + size) needs.
  size_t split_tables_needed(int level, uint64_t iova, uint64_t size) const;
  uint64_t build_split(uint64_t block_desc, int level, uint64_t block_base, uint64_t iova,
                       uint64_t size, std::vector<uint64_t>& pool);
  void free_tree(uint64_t table, int level);

  Os& os_;
  IoPgtableConfig cfg_;
  arch::Granule granule_;
  bool oa52_ = false;
  int start_level_ = 0;
  unsigned start_index_bits_ = 0;  // index bits of the (concatenated) start table
  unsigned concat_ = 1;
  uint64_t root_ = 0;
  size_t root_bytes_ = 0;
  std::unordered_map<uint64_t, TableInfo> tables_;  // by physical address
};

}  // namespace smmu::driver
