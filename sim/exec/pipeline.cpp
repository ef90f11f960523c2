#include "sim/exec/pipeline.h"

#include <algorithm>

#include "sim/core/error.h"

namespace archsim::exec {
namespace {

// Event argument: stage (16 bits), microbatch (16 bits), step (32 bits).
std::uint64_t pack(std::uint64_t stage, std::uint64_t micro, std::uint64_t step) {
  return (step << 32) | (micro << 16) | stage;
}

class Pipeline {
 public:
  Pipeline(const spec::SystemSpec& system, const PipelineInput& in)
      : in_(in),
        chunk_(system.collectives.chunk_bytes),
        sim_("pipeline"),
        topology_(sim_, system, sim_.stats()),
        queues_(in.stage_chips.size()),
        busy_(in.stage_chips.size(), false) {
    result_.finish.assign(steps(), std::vector<Tick>(in.microbatches, 0));
    result_.stage_busy.assign(stages(), 0);
  }

  PipelineResult run() {
    if (steps() == 0) return result_;
    for (std::uint64_t j = 0; j < in_.microbatches; ++j)
      sim_.schedule(0, Callback::to<&Pipeline::toHost>(this), pack(0, j, 0));
    result_.events = sim_.run();
    result_.end = sim_.now();
    return result_;
  }

 private:
  std::size_t stages() const { return in_.stage_chips.size(); }
  std::size_t steps() const { return in_.stage_steps.empty() ? 0 : in_.stage_steps.front().size(); }

  /// A microbatch's step k is ready to be scheduled: it queues for the host thread (or goes
  /// straight to the first stage when the software has no step overhead).
  void toHost(std::uint64_t arg) {
    if (in_.host_step == 0) {
      arrive(arg);
      return;
    }
    host_queue_.push_back(arg);
    tryHost();
  }

  void tryHost() {
    if (host_busy_ || host_queue_.empty()) return;
    const std::uint64_t arg = host_queue_.front();
    host_queue_.pop_front();
    host_busy_ = true;
    result_.host_busy += in_.host_step;
    sim_.scheduleIn(in_.host_step, Callback::to<&Pipeline::hostDone>(this), arg);
  }

  void hostDone(std::uint64_t arg) {
    host_busy_ = false;
    arrive(arg);
    tryHost();
  }

  void arrive(std::uint64_t arg) {
    const std::uint64_t s = arg & 0xffff;
    queues_[s].push_back(arg);
    tryStart(s);
  }

  void tryStart(std::uint64_t s) {
    if (busy_[s] || queues_[s].empty()) return;
    const std::uint64_t arg = queues_[s].front();
    queues_[s].pop_front();
    busy_[s] = true;
    const Tick t = in_.stage_steps[s][arg >> 32];
    result_.stage_busy[s] += t;
    sim_.scheduleIn(t, Callback::to<&Pipeline::done>(this), arg);
  }

  /// All ranks of stage `from` send `bytes` to the same rank of stage `to`; returns when the last
  /// lands.
  Tick transfer(std::size_t from, std::size_t to, std::uint64_t bytes, bool all_ranks) {
    Tick arrival = sim_.now();
    const std::size_t ranks = all_ranks ? in_.stage_chips[from].size() : 1;
    for (std::size_t r = 0; r < ranks; ++r) {
      const std::uint32_t src = in_.stage_chips[from][r], dst = in_.stage_chips[to][r];
      arrival = std::max(arrival, topology_.send(src, dst, bytes, sim_.now(), chunk_));
      result_.p2p_bytes += src == dst ? 0 : bytes;
      result_.p2p_energy_j += static_cast<double>(bytes) * topology_.energyPerByte(src, dst);
    }
    return arrival;
  }

  void done(std::uint64_t arg) {
    const std::uint64_t s = arg & 0xffff, j = (arg >> 16) & 0xffff, k = arg >> 32;
    busy_[s] = false;
    if (s + 1 < stages()) {
      const Tick at = transfer(s, s + 1, in_.boundary_bytes[k], true);
      sim_.schedule(at, Callback::to<&Pipeline::arrive>(this), pack(s + 1, j, k));
    } else {
      result_.finish[k][j] = sim_.now();
      if (k + 1 < steps()) {
        // The new tokens go back to the first stage (one message: every rank there needs them, and
        // its group shares them in its next embedding all-reduce).
        const Tick at = stages() > 1 ? transfer(s, 0, in_.token_bytes, false) : sim_.now();
        sim_.schedule(at, Callback::to<&Pipeline::toHost>(this), pack(0, j, k + 1));
      }
    }
    tryStart(s);
  }

  const PipelineInput& in_;
  std::uint64_t chunk_;
  Simulation sim_;
  hw::Topology topology_;
  std::vector<std::deque<std::uint64_t>> queues_;
  std::vector<bool> busy_;
  std::deque<std::uint64_t> host_queue_;
  bool host_busy_ = false;
  PipelineResult result_;
};

}  // namespace

PipelineResult runPipeline(const spec::SystemSpec& system, const PipelineInput& input) {
  if (input.stage_chips.empty() || input.stage_steps.size() != input.stage_chips.size()) {
    ARCHSIM_PANIC("a pipeline needs one step list and one chip group per stage");
  }
  if (input.microbatches == 0 || input.microbatches > 0xffff || input.stage_chips.size() > 0xffff) {
    ARCHSIM_PANIC("pipeline too large to pack its events");
  }
  return Pipeline(system, input).run();
}

}  // namespace archsim::exec
