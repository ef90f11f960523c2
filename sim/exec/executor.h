// Executor: runs a workload's graphs on one chip, tile by tile, on the event kernel.
//
// Each tile task is issued on a free unit of its kind at the current tick: it reserves its operand
// reads through the MemorySystem (caches, DRAM channels or resident SRAM — contention with every
// other in-flight tile emerges there), computes for ceil(MACs / (MACs/cycle x achievable)) cycles
// (vector work at the vector units' rate), overlapping fetch and compute over its K chunks:
//   done = t0 + max(fetch + compute / chunks, fetch / chunks + compute),
// reserves its writes, and schedules one completion event, which frees the unit for the next tile.
// Execution styles (from the chip):
//   kernel   — ops in topological order, each after the previous one ends plus the launch
//              overhead (and the scenario's software op overhead); a barrier per op;
//   dataflow — ops start when their producers finish, no launch cost; ready ops share the units;
//              with streamed weights, the next weight op's weights are prefetched when an op
//              starts.
// Steps run back to back (a decode step starts when the previous token is out). A decode-only
// workload first runs one warm-up step (caches in steady state; in exact runs on kernel chips an
// untimed pass over its cache accesses, warmCaches()), then resets stats and measures one step. The
// executor reads the workload (its shard) and the options, never the user's scenario.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/exec/collectives.h"
#include "sim/exec/layer_reuse.h"
#include "sim/exec/memory_system.h"
#include "sim/exec/progress.h"
#include "sim/exec/run_result.h"
#include "sim/exec/step_reuse.h"
#include "sim/graph/workload.h"
#include "sim/hw/chip.h"
#include "sim/map/op_tiling.h"
#include "sim/map/placement.h"

namespace archsim::exec {

/// What the software stack adds to the chip's own costs, and how exactly to simulate.
struct ExecOptions {
  /// Host time to dispatch each op (eager frameworks, engines enqueued op by op); 0: compiled or
  /// graph-captured. The host dispatches a pass's ops one after another from its start, ahead of
  /// the device: an op starts once it is dispatched and its predecessor has ended, plus the
  /// chip's launch latency.
  Tick op_overhead_ps = 0;
  bool exact = false;             // simulate every decode step (no step reuse, exec/step_reuse.h)
  double reuse_tolerance = 1e-3;  // step reuse: largest interpolation error at a probed step
  /// Exact runs warm the caches up with an untimed pass over a step's accesses where their order
  /// does not depend on time (Executor::warmCaches); true simulates the warm-up step in time.
  bool timed_warmup = false;
  /// The stack's decode attention reads a KV head's cache once per query head of its group.
  bool per_head_decode_attention = false;
  /// The stack's decode attention computes on the vector units (fp32 FMAs, KV converted).
  bool vector_decode_attention = false;
  /// The stack's share of the chip's achievable matrix rate (SoftwareSpec::matrix_efficiency).
  double matrix_efficiency = 1.0;
  /// The stack runs a MoE layer's expert GEMMs of a kind as one kernel (SoftwareSpec::moe_kernels):
  /// an expert op after the layer's first of its kind launches with it, without a gap of its own.
  bool grouped_moe = false;
};

/// Generations with at least this many decode steps reuse steps (unless exact).
inline constexpr std::uint64_t kMinReusedSteps = 16;
/// Simulated-work budget (README "Limits"), in units of one tile or one cache block a tile touches
/// (Executor::checkWorkBudget): per op, and over a run (projected from a generation's first step).
/// At ~10^7 units a second the op limit is about half a minute and the run limit about an hour;
/// the largest validation case needs 2.8e7 per op and 1.1e8 per run.
inline constexpr std::uint64_t kMaxWorkPerOp = std::uint64_t{1} << 28;
inline constexpr std::uint64_t kMaxWorkPerRun = std::uint64_t{1} << 35;
/// Op execution spans kept per chip (for traces, which show the earliest ones); the rest are
/// counted.
inline constexpr std::size_t kMaxSpans = 100'000;

class Executor {
 public:
  /// Throws ConfigError when the chip cannot compute in the workload's formats.
  Executor(Simulation& sim, hw::Chip& chip, const graph::Workload& workload,
           const map::Placement& placement, const ExecOptions& options = {});
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Collective ops run on `engine` over `group` (the chip's tensor-parallel group, this chip
  /// first in ring order or not — the group is symmetric). Without it, a collective op panics.
  void setCollectives(CollectiveEngine& engine, std::vector<std::uint32_t> group);

  /// Reports progress to `sink` (every few ops) while running; `chip`/`chips` place this chip
  /// among the run's simulated chips.
  void setProgress(ProgressSink* sink, std::size_t chip, std::size_t chips);

  /// Runs the workload. A run whose simulated time would pass the end of the Tick range is a
  /// ConfigError naming the op in flight and its slowest resource.
  RunResult run();

  /// Decode steps of long generations are interpolated from steps `probe` measures (see
  /// exec/step_reuse.h), unless the options say exact.
  void setStepProbe(StepProbe probe);
  /// For a probe: a warm-up step of run `run` at KV length `kv`, then the measured step, on this
  /// executor's fresh simulation.
  StepSample sampleStep(std::size_t run, std::uint64_t kv);

 private:
  RunResult runAll();
  /// Where run-time limit errors are located: the simulated chip.
  Location where() const;
  std::string timeOverflowMessage() const;
  void checkWorkBudget(graph::OpId op, std::uint64_t tiles);
  struct OpState {
    std::unique_ptr<map::OpPlan> plan;
    std::uint64_t next = 0;         // next tile to issue
    std::uint64_t outstanding = 0;  // issued, not done
    std::uint32_t pending = 0;      // producers not yet done (dataflow)
    bool started = false;
    bool done = false;
    Tick start = 0;
    Tick end = 0;
    Tick first_activity = kMaxTick;  // the earlier of its start and its weight prefetch
    Tick gap = 0;  // kernel style: from its predecessor's end (or the pass's start) to its start
    OpCounters counters;
    std::vector<Tick> prefetched;  // per tile: when its prefetched weights are on chip
    std::vector<Tick> slice_done;  // serial split-K: per output tile, when its last slice ended
  };

  /// Sets up the state of a step of run `run` at `kv_length` (no event yet).
  void beginStep(std::size_t run, std::uint64_t kv_length, bool measured);
  void runStep(std::size_t run, std::uint64_t kv_length, bool measured);
  /// Brings the caches to the state a step of run `run` at `kv_length` leaves them in, without
  /// timing it; false (nothing done) when that state depends on the step's timing.
  bool warmCaches(std::size_t run, std::uint64_t kv_length);
  /// The position in the step's order from which an untimed warm-up may make its accesses (0:
  /// from the first op): where the last ops move several times the cache's capacity, on a chip
  /// whose one cache is LRU and empty.
  std::size_t warmupStart() const;
  /// Makes the cache accesses of ops order_[from..] in order, as issuing them would; with
  /// from > 0, on empty caches, returns false as soon as it cannot prove that they leave the
  /// caches as all the step's ops would (then clear them and start from 0).
  bool touchFrom(std::size_t from);
  /// Decode steps kv_lo..kv_hi of run `run`, interpolated from probed steps and replayed.
  void reuseSteps(std::size_t run, std::uint64_t kv_lo, std::uint64_t kv_hi);
  Tick opOverhead() const;
  /// The device's launch latency between consecutive kernels (0 on dataflow chips).
  Tick launchOverhead() const;
  /// Kernel style: when the host has dispatched `op` (the pass's host clock advances by the
  /// stack's op overhead per launched op), and the delay from now to its start.
  Tick dispatchDelay(graph::OpId op);
  /// When split-K slice `task` of op state `st`, whose own work ends at `done`, has added its
  /// partial sums into its output tile: after the slice before it, plus the fix-up.
  Tick fixUp(OpState& st, const map::TileTask& task, Tick done);
  void startOp(std::uint64_t op);  // event target (arg = op id)
  void onTileDone(std::uint64_t arg);
  void onPassDone(std::uint64_t arg);  // a two-pass tile finished its first pass
  void startCollective(graph::OpId op);
  void onCollectiveDone(std::uint64_t op);
  void issue();
  void issueTile(graph::OpId op, std::uint64_t tile);
  void finishOp(graph::OpId op);
  void prefetchAfter(graph::OpId op);
  map::OpPlan& plan(graph::OpId op);
  Tick computeTicks(const map::TileTask& task) const;
  /// One matrix unit's time converting a tile's weights to its format (0 when they are in it).
  Tick convertTicks(const map::TileTask& task) const;
  /// One matrix unit's time taking in a tile's weights at its share of the weight feed.
  Tick feedTicks(const map::TileTask& task) const;
  /// How long op `op` ends after its last tile: the pipeline it ran through draining.
  Tick drainTicks(graph::OpId op) const;
  void onDrained(std::uint64_t op);  // event target: an op's pipeline drained
  /// Reads, computes and writes one pass of a tile issued at `t0`, its K chunks flowing through
  /// fetch, `convert`, `feed` and `compute`; returns when it is done.
  Tick runPass(OpState& st, const map::TileTask& task, Tick t0, Tick compute,
               bool skip_staged_weights, std::uint64_t tile, bool write, Tick convert, Tick feed);
  void record(graph::OpId op, bool reused = false);
  /// Charges a unit's active power for `held` ticks (a tile on it, computing or waiting).
  void chargeHeld(OpState& st, Tick held);
  /// Kernel style: at the start of a layer, makes it the template or replays the layers that
  /// repeat the template (exec/layer_reuse.h); true when it replayed and moved on.
  bool atLayerStart(std::size_t layer);
  /// Op `op`'s tiles in order, each touching the caches with its reads then its writes, as issuing
  /// them would, without time or traffic; returns the dirty bytes their evictions write back.
  std::uint64_t touchOp(graph::OpId op);
  /// Calls access(range, write) for op `op`'s cache accesses in that order (reads from a staged
  /// copy and empty ranges left out); stops and returns false at the first call that does.
  template <class Access>
  bool forEachAccess(graph::OpId op, Access&& access);
  /// Calls f(stable id, use) for each read and write of `o` whose tensor lives in DRAM.
  template <class F>
  void forEachDramUse(const graph::Op& o, F&& f) const;
  /// After replaying layers first..last of template `tmpl`: their effect on the caches' contents.
  void leaveCachesAfter(const LayerRange& tmpl, std::size_t first, std::size_t last);
  RunResult finish();

  Simulation& sim_;
  hw::Chip& chip_;
  const graph::Workload& workload_;
  const map::Placement& placement_;
  ExecOptions options_;
  MemorySystem memory_;
  spec::DType matrix_dtype_;
  spec::DType vector_dtype_;
  double matrix_macs_per_cycle_ = 0;  // per unit, at the achievable fraction
  double vector_flops_per_tick_ = 0;
  double fp32_flops_per_tick_ = 0;   // vector units at fp32 (attention softmax)
  double conversions_per_tick_ = 0;  // per vector unit (0: conversions cost fp32 FLOPs)
  double matrix_j_per_mac_ = 0;
  bool convert_weights_ = false;       // weights are stored in a format the matrix units lack
  double convert_flops_per_tick_ = 0;  // per matrix unit, on the vector units
  double feed_bytes_per_tick_ = 0;     // per matrix unit; 0: no separate weight feed limit
  double matrix_element_bytes_ = 2;
  double vector_j_per_flop_ = 0;
  bool dataflow_ = false;
  std::vector<std::string> warnings_;
  CollectiveEngine* collectives_ = nullptr;
  std::vector<std::uint32_t> group_;

  // The step being simulated.
  const graph::Graph* graph_ = nullptr;
  std::size_t run_ = 0;
  std::unique_ptr<map::PlanContext> ctx_;
  map::MatmulMemo matmul_memo_;  // weight matmuls' tilings, across steps
  // Where split-K slices hand on their partial sums (map::splitKFixupLevel).
  std::size_t fixup_level_ = 0;
  std::vector<OpState> ops_;
  std::vector<graph::OpId> order_;     // topological order
  std::vector<std::size_t> position_;  // op -> index in order_
  std::vector<bool> grouped_;      // op -> runs in an earlier op's grouped MoE kernel (no launch)
  std::size_t next_in_order_ = 0;  // kernel style: the next op to launch
  Tick host_clock_ = 0;            // kernel style: when the host has dispatched the ops so far
  Tick last_end_ = 0;              // kernel style: when the op before the next one ended
  // Layer reuse (kernel style): the current graph's layers, which layer starts at each position
  // (-1: none), and the template layer being simulated with the state at its start.
  std::map<const graph::Graph*, std::vector<LayerRange>> layer_cache_;
  const std::vector<LayerRange>* layers_ = nullptr;
  std::vector<int> layer_at_;
  int template_layer_ = -1;
  SimSample template_start_;
  std::uint64_t pending_writeback_ = 0;   // evicted by replayed layers, written back at the next op
  std::uint64_t work_estimated_ = 0;      // over the run, for the work budget
  std::uint64_t warmup_ops_skipped_ = 0;  // RunResult::warmup_ops_skipped
  std::vector<graph::OpId> active_;  // started ops with tiles left to issue, in topological order
  std::uint32_t free_[2] = {0, 0};   // free matrix / vector units
  bool measured_ = false;
  map::TileTask scratch_;

  // Results.
  std::vector<std::vector<OpRecord>> records_;  // per run, per op
  struct RawSpan {
    std::size_t run;
    graph::OpId op;
    Tick start;
    Tick end;
    bool reused;
  };
  void addSpan(const RawSpan& span);
  std::vector<RawSpan> spans_;  // measured executions in completion order, the first kMaxSpans
  std::uint64_t spans_total_ = 0;
  StepProbe probe_;
  ReuseStats reuse_;
  Tick measured_start_ = 0;
  std::uint64_t measured_steps_ = 0;
  std::vector<Tick> step_ticks_;
  Tick prefill_end_ = 0;  // when the prefill pass (the first token) ended
  bool measuring_started_ = false;
  ProgressSink* progress_ = nullptr;
  Progress progress_state_;
};

}  // namespace archsim::exec
