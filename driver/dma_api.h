// SPDX-License-Identifier: Apache-2.0
// The DMA API of one paging domain, as a block or network driver uses it per I/O:
// map(pa, size) hands out an IOVA (iova_allocator.h) and maps it; unmap(dma, size)
// unmaps it and, once no SMMU can still translate it, gives the IOVA back.
//
//   strict  unmap invalidates on every SMMU (Domain::unmap) before it returns; the IOVA
//           is free again at once.
//   lazy    unmap clears the entries only (Domain::unmap_noflush) and queues the IOVA on
//           the CPU's flush queue (flush_queue.h), which invalidates the whole domain by
//           ASID or VMID when a ring fills or its timeout passes; the IOVA and the page
//           tables the unmap emptied are released after that flush. Until then a device
//           may still reach the old buffer through a TLB: the kernel's trade-off.
//           An unmap that unlinks page tables invalidates at once (the walk caches may
//           point at them); a domain with free_empty_tables = false (Linux's tables)
//           unlinks tables only when a whole table's span is unmapped.
//
// Records how long each invalidation took as the CPU saw it (strict: each unmap's;
// lazy: each flush's), per CPU, for latency distributions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "driver/domain.h"
#include "driver/flush_queue.h"
#include "driver/iova_allocator.h"
#include "driver/os.h"

namespace smmu::driver {

enum class DmaInvPolicy : uint8_t { kStrict, kLazy };
const char* to_string(DmaInvPolicy p);
// "strict" / "lazy"; false for anything else.
bool dma_inv_policy_from_string(const char* s, DmaInvPolicy& out);

struct DmaApiConfig {
  DmaInvPolicy policy = DmaInvPolicy::kStrict;
  IovaConfig iova;      // granule_shift must be the domain's
  FlushQueueConfig fq;  // lazy only
};

struct DmaApiStats {
  std::atomic<uint64_t> maps{0}, unmaps{0};
  std::atomic<uint64_t> map_failures{0};    // no IOVA space, or the page table refused
  std::atomic<uint64_t> inv_failures{0};    // strict unmaps whose invalidation failed
  std::atomic<uint64_t> leaked_iovas{0};    // not given back: an SMMU may still hold them
  std::atomic<uint64_t> walk_flushes{0};    // lazy unmaps that unlinked tables: invalidated at once
};

class DmaApi {
 public:
  // The domain must be a paging domain of that granule; it outlives the DmaApi.
  // Throws std::invalid_argument naming the bad field.
  DmaApi(Os& os, Domain& domain, const DmaApiConfig& cfg);
  // Drains the flush queue (lazy).
  ~DmaApi();
  DmaApi(const DmaApi&) = delete;
  DmaApi& operator=(const DmaApi&) = delete;

  // The device address of [pa, pa + size), or 0 when it could not be mapped.
  uint64_t map(uint64_t pa, uint64_t size, const IommuProt& prot = {});
  // Unmaps what map(pa, size) returned. Strict: kOk once every SMMU has invalidated.
  SmmuStatus unmap(uint64_t dma_addr, uint64_t size);
  // Lazy: runs the flush queue's timeout if it has passed (map and unmap do it too).
  void poll();
  // Lazy: flushes now and releases everything queued.
  void drain();
  // Lazy: forgets what is queued without flushing (FlushQueue::discard), so that the
  // destructor's drain issues no command once the simulation has stopped.
  void abandon();

  DmaInvPolicy policy() const { return cfg_.policy; }
  IovaAllocator& iova() { return iova_; }
  const IovaAllocator& iova() const { return iova_; }
  FlushQueue* flush_queue() { return fq_.get(); }  // lazy only
  const FlushQueue* flush_queue() const { return fq_.get(); }
  Domain& domain() { return domain_; }
  const DmaApiStats& stats() const { return stats_; }
  // Invalidation latencies in ns, every CPU's samples together (strict: unmaps; lazy:
  // flushes), in the order each CPU took them, CPU by CPU.
  std::vector<uint64_t> inv_latencies() const;
  // Forgets the samples so far (call when no CPU is using the DmaApi).
  void clear_latencies();

 private:
  void record(uint64_t ns);
  SmmuStatus flush_domain();  // the flush queue's flush
  void release(FlushEntry& e);

  Os& os_;
  Domain& domain_;
  DmaApiConfig cfg_;
  uint64_t granule_mask_;
  IovaAllocator iova_;
  std::unique_ptr<FlushQueue> fq_;
  std::vector<std::vector<uint64_t>> latencies_;  // per CPU
  DmaApiStats stats_;
};

}  // namespace smmu::driver
