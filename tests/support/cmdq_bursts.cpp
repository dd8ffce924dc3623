// SPDX-License-Identifier: Apache-2.0
#include "support/cmdq_bursts.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace smmu::test {

namespace {

arch::Command tagged(unsigned cpu, unsigned seq) {
  arch::Command c(arch::Opcode::kTlbiNhAsid);
  c.set_asid(static_cast<uint16_t>(cpu << 8 | seq));
  return c;
}

}  // namespace

CmdqBurstRun run_cmdq_bursts(DriverSoc& soc, unsigned seed, const QueueOfCpu& queue_of,
                             unsigned rounds, unsigned max_batch) {
  const unsigned cpus = soc.config().cpus;
  CmdqBurstRun out;
  out.issued.assign(cpus, 0);
  bool ready = false;
  unsigned finished = 0;
  soc.cpu(0).add_program([&](driver::Os&) { ready = soc.bring_up(); });
  for (unsigned cpu = 0; cpu < cpus; ++cpu) {
    soc.cpu(cpu).add_program([&, cpu](driver::Os& os) {
      while (!ready) os.delay_ns(1000);
      std::mt19937 rng(seed * 100 + cpu);
      driver::CommandQueue& q = queue_of(cpu);
      for (unsigned round = 0; round < rounds; ++round) {
        if (round) os.delay_ns(rng() % 400);
        const unsigned n = rng() % (max_batch + 1);
        const bool sync = rng() % 4 != 0;
        std::vector<arch::Command> cmds;
        for (unsigned i = 0; i < n; ++i) cmds.push_back(tagged(cpu, out.issued[cpu] + i));
        CmdqBurst b{cpu, out.issued[cpu], n, 0};
        out.issued[cpu] += n;
        driver::SyncTicket t;
        if (q.issue(cmds.data(), cmds.size(), sync, &t) != driver::SmmuStatus::kOk) ++out.failures;
        if (sync) {
          if (q.wait(t) != driver::SmmuStatus::kOk) ++out.failures;
          b.consumed_after_wait = q.consumed_from(q.read_cons());
        }
        out.bursts.push_back(b);
      }
      ++finished;
    });
  }
  soc.run(sc_core::sc_time(20, sc_core::SC_MS));
  out.all_done = ready && finished == cpus;
  return out;
}

uint64_t check_cmdq_bursts(DriverSoc& soc, const CmdqBurstRun& run,
                           const std::vector<const driver::CommandQueue*>& queues,
                           const std::function<unsigned(unsigned cpu)>& queue_index) {
  const unsigned cpus = static_cast<unsigned>(run.issued.size());
  std::vector<unsigned> next(cpus, 0);
  std::map<std::pair<unsigned, unsigned>, uint64_t> pos;  // (cpu, seq) -> entry of its queue
  uint64_t found = 0;
  for (size_t i = 0; i < queues.size(); ++i) {
    const driver::CommandQueue& q = *queues[i];
    const uint64_t produced = q.produced();
    EXPECT_LT(produced, q.entries()) << "the ring must keep the whole history";
    if (produced >= q.entries()) return found;
    const std::vector<arch::Command> history = soc.queued_commands(q, 0, produced);
    for (uint64_t p = 0; p < history.size(); ++p) {
      const arch::Command& c = history[p];
      if (c.opcode() != arch::Opcode::kTlbiNhAsid) continue;
      const unsigned cpu = c.asid() >> 8, seq = c.asid() & 0xff;
      if (cpu >= cpus) continue;  // not a burst's (the driver's own)
      ++found;
      EXPECT_EQ(queue_index(cpu), i) << "CPU " << cpu << " on queue " << i;
      EXPECT_EQ(seq, next[cpu]) << "CPU " << cpu << " at entry " << p << " of queue " << i;
      next[cpu] = seq + 1;
      pos[{cpu, seq}] = p;
    }
  }
  for (unsigned cpu = 0; cpu < cpus; ++cpu) EXPECT_EQ(next[cpu], run.issued[cpu]) << "CPU " << cpu;
  for (const CmdqBurst& b : run.bursts) {
    if (!b.consumed_after_wait || !b.count) continue;
    const auto it = pos.find({b.cpu, b.first_seq + b.count - 1});
    if (it == pos.end()) continue;  // reported above
    EXPECT_GT(b.consumed_after_wait, it->second) << "CPU " << b.cpu << " burst at seq " << b.first_seq;
  }
  return found;
}

}  // namespace smmu::test
