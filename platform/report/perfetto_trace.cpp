// SPDX-License-Identifier: Apache-2.0
#include "platform/report/perfetto_trace.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "platform/soc/soc.h"
#include "rtl_model/arch/command.h"

namespace smmu::platform {

namespace {

uint64_t to_ps(const sc_core::sc_time& t) {
  static const sc_core::sc_time one_ps(1, sc_core::SC_PS);
  return static_cast<uint64_t>(t / one_ps + 0.5);
}

// Microseconds, exactly: the picoseconds as a decimal fraction.
std::string us(uint64_t ps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%06" PRIu64, ps / 1000000, ps % 1000000);
  return buf;
}

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

const char* opcode_name(uint8_t op) {
  return arch::opcode_known(op) ? arch::to_string(static_cast<arch::Opcode>(op)) : "unknown command";
}

// Writes events one per line, comma separated.
class EventWriter {
 public:
  explicit EventWriter(std::ostream& out) : out_(out) {}
  void event(const std::string& body) {
    out_ << (first_ ? "\n" : ",\n") << '{' << body << '}';
    first_ = false;
  }
  void slice(const std::string& name, const char* cat, uint64_t start, uint64_t end, unsigned pid, unsigned tid,
             const std::string& args) {
    event("\"name\":" + json_string(name) + ",\"cat\":\"" + cat + "\",\"ph\":\"X\",\"ts\":" + us(start) +
          ",\"dur\":" + us(end > start ? end - start : 0) + ",\"pid\":" + std::to_string(pid) +
          ",\"tid\":" + std::to_string(tid) + (args.empty() ? "" : ",\"args\":{" + args + "}"));
  }
  void meta(const char* what, unsigned pid, int tid, const std::string& value_key, const std::string& value) {
    event(std::string("\"name\":\"") + what + "\",\"ph\":\"M\",\"ts\":0,\"pid\":" + std::to_string(pid) +
          (tid >= 0 ? ",\"tid\":" + std::to_string(tid) : ",\"tid\":0") + ",\"args\":{\"" + value_key +
          "\":" + value + "}");
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

// SMMU i's view: forwards to the trace with the SMMU's index.
class TransactionTrace::SmmuRecorder final : public model::StepRecorder {
 public:
  SmmuRecorder(TransactionTrace& t, unsigned smmu) : t_(t), smmu_(smmu) {}
  void begin(const char* name, const sc_core::sc_time& at) override { t_.step_begin(name, at); }
  void end(const sc_core::sc_time& at) override { t_.step_end(at); }
  void prod_written(unsigned q, uint32_t prod, unsigned, const sc_core::sc_time& at) override {
    t_.prod_written(smmu_, q, prod, at);
  }
  void command_batch(unsigned q, unsigned commands, const sc_core::sc_time& start,
                     const sc_core::sc_time& fetched, const sc_core::sc_time& end) override {
    t_.batch(smmu_, q, commands, start, fetched, end);
  }
  void command(unsigned q, uint32_t cons, unsigned log2size, uint8_t opcode, bool ok,
               const sc_core::sc_time& start, const sc_core::sc_time& end) override {
    t_.command(smmu_, q, cons, log2size, opcode, ok, start, end);
  }

 private:
  TransactionTrace& t_;
  unsigned smmu_;
};

TransactionTrace::TransactionTrace(size_t limit) : limit_(limit) {}
TransactionTrace::~TransactionTrace() = default;

model::StepRecorder& TransactionTrace::recorder(unsigned smmu) {
  while (recorders_.size() <= smmu)
    recorders_.push_back(std::make_unique<SmmuRecorder>(*this, static_cast<unsigned>(recorders_.size())));
  return *recorders_[smmu];
}

void TransactionTrace::begin_transaction() {
  // Past the limit nothing is collected: the model's hooks cost one test each.
  collecting_ = txs_.size() < limit_;
  pending_.clear();
  open_.clear();
  top_cursor_ = 0;
}

void TransactionTrace::step_begin(const char* name, const sc_core::sc_time& at) {
  if (!collecting_) return;
  // Not before its parent's start nor before its previous sibling's end.
  uint64_t start = to_ps(at);
  if (open_.empty())
    start = std::max(start, top_cursor_);
  else
    start = std::max(start, std::max(pending_[open_.back().index].start_ps, open_.back().cursor));
  open_.push_back(Open{pending_.size(), start});
  pending_.push_back(Step{name, start, start, static_cast<uint16_t>(open_.size())});
}

void TransactionTrace::step_end(const sc_core::sc_time& at) {
  if (!collecting_ || open_.empty()) return;
  const Open o = open_.back();
  open_.pop_back();
  Step& s = pending_[o.index];
  // Covers its children even when the model moved its own end back.
  s.end_ps = std::max({to_ps(at), s.start_ps, o.cursor});
  if (open_.empty())
    top_cursor_ = std::max(top_cursor_, s.end_ps);
  else
    open_.back().cursor = std::max(open_.back().cursor, s.end_ps);
}

void TransactionTrace::record(const TransactionRecord& r) {
  const bool had_steps = collecting_;
  collecting_ = false;
  if (txs_.size() >= limit_) {
    ++dropped_;
    return;
  }
  const uint64_t start = to_ps(r.start);
  const uint64_t end = std::max(start, to_ps(r.end));
  Tx tx{start, end, r.address, r.sid, static_cast<uint32_t>(r.traffic), r.ats_device,
        static_cast<uint16_t>(r.smmu), static_cast<uint16_t>(r.port), r.write, r.ok, r.ats_request,
        steps_.size(), 0};
  if (had_steps) {
    // Steps still open (none on a well-formed path) end with the transaction.
    for (Step& s : pending_) {
      s.start_ps = std::clamp(s.start_ps, start, end);
      s.end_ps = std::clamp(s.end_ps, start, end);
      if (s.end_ps < s.start_ps) s.end_ps = s.start_ps;
      steps_.push_back(s);
    }
    for (const Open& o : open_) steps_[tx.first_step + o.index].end_ps = end;
    tx.steps = pending_.size();
  }
  pending_.clear();
  open_.clear();
  txs_.push_back(tx);
}

void TransactionTrace::cpu_work(unsigned cpu, const std::string& what, bool begin, const sc_core::sc_time& at) {
  if (current_activity_.size() <= cpu) current_activity_.resize(cpu + 1, -1);
  if (begin) {
    current_activity_[cpu] = static_cast<int>(activities_.size());
    activities_.push_back(Activity{cpu, what, to_ps(at), to_ps(at), true});
    return;
  }
  const int a = current_activity_[cpu];
  if (a < 0) return;
  Activity& act = activities_[static_cast<size_t>(a)];
  act.end_ps = std::max(act.start_ps, to_ps(at));
  act.open = false;
  current_activity_[cpu] = -1;
}

std::deque<TransactionTrace::Publish>& TransactionTrace::publishes(unsigned smmu, unsigned q) {
  if (publishes_.size() <= smmu) publishes_.resize(smmu + 1);
  if (publishes_[smmu].size() <= q) publishes_[smmu].resize(q + 1);
  return publishes_[smmu][q];
}

void TransactionTrace::prod_written(unsigned smmu, unsigned q, uint32_t prod, const sc_core::sc_time& at) {
  const int cpu = current_cpu ? current_cpu() : -1;
  const int activity =
      cpu >= 0 && static_cast<size_t>(cpu) < current_activity_.size() ? current_activity_[static_cast<size_t>(cpu)] : -1;
  std::deque<Publish>& p = publishes(smmu, q);
  if (p.size() >= 65536) p.pop_front();  // a queue nobody consumes: keep the newest
  p.push_back(Publish{prod, activity, to_ps(at)});
}

void TransactionTrace::command(unsigned smmu, unsigned q, uint32_t cons, unsigned log2size, uint8_t opcode,
                               bool ok, const sc_core::sc_time& start, const sc_core::sc_time& end) {
  // The PROD write that published it: the first (in order) that reaches past it.
  const uint32_t mask = (uint32_t{2} << log2size) - 1;
  std::deque<Publish>& p = publishes(smmu, q);
  while (!p.empty()) {
    const uint32_t ahead = (p.front().prod - cons) & mask;
    if (ahead != 0 && ahead <= (uint32_t{1} << log2size)) break;
    p.pop_front();  // published only what came before this command
  }
  if (cmds_.size() >= limit_) {
    ++commands_dropped_;
    return;
  }
  const int activity = p.empty() ? -1 : p.front().activity;
  const uint64_t publish_ps = p.empty() ? 0 : p.front().at_ps;
  cmds_.push_back(Cmd{static_cast<uint16_t>(smmu), static_cast<uint16_t>(q), opcode, ok, cons & mask,
                      to_ps(start), std::max(to_ps(start), to_ps(end)), activity, publish_ps});
}

void TransactionTrace::batch(unsigned smmu, unsigned q, unsigned commands, const sc_core::sc_time& start,
                             const sc_core::sc_time& fetched, const sc_core::sc_time& end) {
  if (batches_.size() >= limit_) return;
  const uint64_t s = to_ps(start);
  const uint64_t e = std::max(s, to_ps(end));
  batches_.push_back(Batch{static_cast<uint16_t>(smmu), static_cast<uint16_t>(q), commands, s,
                           std::clamp(to_ps(fetched), s, e), e});
}

void TransactionTrace::write(std::ostream& out, const Scenario& scenario) const {
  const unsigned cpu_pid = static_cast<unsigned>(scenario.smmus.size());
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  EventWriter w(out);
  for (unsigned i = 0; i < scenario.smmus.size(); ++i) {
    w.meta("process_name", i, -1, "name", json_string("smmu" + std::to_string(i)));
    w.meta("process_sort_index", i, -1, "sort_index", std::to_string(i));
    w.meta("thread_name", i, 0, "name", json_string("command engine"));
    w.meta("thread_sort_index", i, 0, "sort_index", "0");
  }

  // Lanes: each device's transactions by start (longer first at equal starts), each on
  // the first lane free at its start.
  std::map<std::pair<unsigned, unsigned>, std::vector<size_t>> by_device;
  for (size_t i = 0; i < txs_.size(); ++i) by_device[{txs_[i].smmu, txs_[i].port}].push_back(i);
  std::vector<unsigned> tid_of(txs_.size(), 0);
  std::vector<unsigned> next_tid(scenario.smmus.size() + 1, 1);
  for (auto& [dev, list] : by_device) {
    std::stable_sort(list.begin(), list.end(), [this](size_t a, size_t b) {
      return txs_[a].start_ps != txs_[b].start_ps ? txs_[a].start_ps < txs_[b].start_ps
                                                  : txs_[a].end_ps > txs_[b].end_ps;
    });
    std::vector<uint64_t> lane_end;
    std::vector<size_t> lane_of(list.size());
    for (size_t k = 0; k < list.size(); ++k) {
      const Tx& t = txs_[list[k]];
      size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] > t.start_ps) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(0);
      lane_end[lane] = t.end_ps;
      lane_of[k] = lane;
    }
    const unsigned smmu = dev.first;
    if (smmu >= next_tid.size()) next_tid.resize(smmu + 1, 1);
    const unsigned first_tid = next_tid[smmu];
    next_tid[smmu] += static_cast<unsigned>(lane_end.size());
    for (size_t k = 0; k < list.size(); ++k) tid_of[list[k]] = first_tid + static_cast<unsigned>(lane_of[k]);
    // What the device is, from the scenario.
    std::string what;
    for (size_t k = 0; k < scenario.traffic.size(); ++k)
      if (scenario.traffic[k].smmu == smmu && scenario.traffic[k].port == dev.second)
        what += (what.empty() ? "" : ", ") + std::string("traffic[") + std::to_string(k) + "]";
    for (size_t j = 0; j < scenario.ats_devices.size(); ++j)
      if (scenario.ats_devices[j].smmu == smmu && scenario.ats_devices[j].port == dev.second)
        what += (what.empty() ? "" : ", ") + std::string("ats_devices[") + std::to_string(j) + "]";
    for (size_t lane = 0; lane < lane_end.size(); ++lane) {
      const unsigned tid = first_tid + static_cast<unsigned>(lane);
      std::string name = "smmu" + std::to_string(smmu) + "_port" + std::to_string(dev.second) + " lane " +
                         std::to_string(lane);
      if (!what.empty()) name += " (" + what + ")";
      w.meta("thread_name", smmu, static_cast<int>(tid), "name", json_string(name));
      w.meta("thread_sort_index", smmu, static_cast<int>(tid), "sort_index", std::to_string(tid));
    }
  }

  for (size_t i = 0; i < txs_.size(); ++i) {
    const Tx& t = txs_[i];
    std::string name = t.ats_request ? "ATS translation request" : t.write ? "write" : "read";
    if (!t.ok) name += t.ats_request ? " failed" : " fault";
    std::string args = "\"addr\":\"" + hex(t.address) + "\",\"sid\":" + std::to_string(t.sid);
    args += t.ats_device >= 0 ? ",\"ats_device\":" + std::to_string(t.ats_device) : ",\"traffic\":" + std::to_string(t.traffic);
    char lat[32];
    std::snprintf(lat, sizeof lat, "%.3f", static_cast<double>(t.end_ps - t.start_ps) / 1000.0);
    args += std::string(",\"latency_ns\":") + lat;
    w.slice(name, t.ats_request ? "ats" : "dma", t.start_ps, t.end_ps, t.smmu, tid_of[i], args);
    for (size_t k = 0; k < t.steps; ++k) {
      const Step& s = steps_[t.first_step + k];
      w.slice(s.name, "step", s.start_ps, s.end_ps, t.smmu, tid_of[i], "\"depth\":" + std::to_string(s.depth));
    }
  }

  // The command engine: batches, their fetch and commands.
  for (const Batch& b : batches_) {
    w.slice("batch", "cmdq", b.start_ps, b.end_ps, b.smmu, 0,
            "\"queue\":" + std::to_string(b.queue) + ",\"commands\":" + std::to_string(b.commands));
    w.slice("fetch", "cmdq", b.start_ps, b.fetched_ps, b.smmu, 0, "");
  }
  for (const Cmd& c : cmds_)
    w.slice(opcode_name(c.opcode), "cmd", c.start_ps, c.end_ps, c.smmu, 0,
            "\"queue\":" + std::to_string(c.queue) + ",\"cons\":" + std::to_string(c.cons) +
                (c.ok ? "" : ",\"error\":true"));

  // The CPUs' driver work, and a flow from it to every command it published.
  if (!activities_.empty()) {
    w.meta("process_name", cpu_pid, -1, "name", json_string("CPUs"));
    w.meta("process_sort_index", cpu_pid, -1, "sort_index", std::to_string(cpu_pid));
    std::vector<bool> named;
    for (const Activity& a : activities_) {
      if (named.size() <= a.cpu) named.resize(a.cpu + 1, false);
      if (!named[a.cpu]) {
        w.meta("thread_name", cpu_pid, static_cast<int>(a.cpu), "name", json_string("cpu" + std::to_string(a.cpu)));
        named[a.cpu] = true;
      }
      w.slice(a.name, "driver", a.start_ps, a.end_ps, cpu_pid, a.cpu, a.open ? "\"unfinished\":true" : "");
    }
    for (size_t i = 0; i < cmds_.size(); ++i) {
      const Cmd& c = cmds_[i];
      if (c.activity < 0) continue;
      const Activity& a = activities_[static_cast<size_t>(c.activity)];
      const std::string id = std::to_string(i + 1);
      const uint64_t from = std::clamp(c.publish_ps, a.start_ps, a.end_ps);
      w.event(std::string("\"name\":\"") + opcode_name(c.opcode) + "\",\"cat\":\"publish\",\"ph\":\"s\",\"id\":" +
              id + ",\"ts\":" + us(from) + ",\"pid\":" + std::to_string(cpu_pid) + ",\"tid\":" + std::to_string(a.cpu));
      w.event(std::string("\"name\":\"") + opcode_name(c.opcode) + "\",\"cat\":\"publish\",\"ph\":\"f\",\"bp\":\"e\",\"id\":" +
              id + ",\"ts\":" + us(c.start_ps) + ",\"pid\":" + std::to_string(c.smmu) + ",\"tid\":0");
    }
  }
  out << "\n],\"otherData\":{\"generator\":\"smmu-sim\",\"events_recorded\":" << txs_.size()
      << ",\"events_dropped\":" << dropped_ << ",\"event_limit\":" << limit_
      << ",\"commands_recorded\":" << cmds_.size() << ",\"commands_dropped\":" << commands_dropped_
      << ",\"note\":" << json_string("only the first " + std::to_string(limit_) + " DMA transactions (--trace-limit) are recorded")
      << "}}\n";
}

nlohmann::json TransactionTrace::to_json(const Scenario& scenario) const {
  std::ostringstream s;
  write(s, scenario);
  return nlohmann::json::parse(s.str());
}

void TransactionTrace::write(const std::string& path, const Scenario& scenario) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write trace " + path + ": " + std::strerror(errno));
  write(out, scenario);
  out.close();
  if (!out) throw std::runtime_error("cannot write trace " + path + ": write failed");
}

}  // namespace smmu::platform
