// The plans `parallel: auto` chooses from: every tp x pp x dp (x ep for mixture-of-experts
// models) whose every stage fits one chip, each with an analytic lower bound on its time.
//
// Contract: planSpace() is pure analysis (no simulation): it builds one one-layer workload per
// (tp, ep, replica batch) to measure footprints and per-pass costs, partitions the layers by bytes
// (map/parallel.h) and bounds each plan. run/plan_search.h simulates the candidates in order of
// their bound and stops when no unsimulated candidate can beat the best simulated one, so the
// bound must never exceed what the simulator can produce:
//   a stage pass on one chip takes at least  ops x launch                          (kernel chips)
//                                           + max(bytes / bandwidth, matrix FLOPs / matrix peak,
//                                                 vector FLOPs / vector peak)
//                                           + collectives x (library launch + one step latency
//                                                            + the fastest link's latency)
//                                           + (n - 1) / n x collective bytes / the chip's links
//   and at least ops x the host's dispatch per op + launch (the host dispatches the ops one after
//   another, ahead of the device; the last starts after every dispatch),
// where bytes are the weights and KV cache the pass reads — at most the cache's size of them can
// come from a cache, the rest crosses the level that holds them at its achievable bandwidth —,
// peaks are at their achievable fractions, and (n - 1) / n of a collective's buffer is the least a
// rank of n must send by any algorithm, at every level's links together (a dataflow chip may
// overlap collectives with compute: the larger of the two). Across stages (one microbatch each,
// m per replica):
//   prefill: sum_s t_s + (m - 1) max_s t_s      (the last microbatch's first token)
//   decode:  max(sum_s t_s, m max_s t_s)         (one sequence's time between tokens)
//   generate: prefill + (output - 1) x decode at the mean KV length.
// Pipeline hops only add time, so they are left out of the bound.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/map/parallel.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::map {

struct PlanOption {
  ParallelLayout layout;
  std::vector<std::uint64_t> stage_bytes;  // per chip of each stage
  double bound_s = 0.0;  // lower bound on the run's time (prefill, decode step or generation)
};

struct PlanSpace {
  std::string level;              // the memory level that must hold each stage
  std::uint64_t level_bytes = 0;  // its capacity per chip
  std::vector<PlanOption> options;
  /// What did not fit, for messages: "tp 1: no depth fits", "tp 2 x dp 4: 12 chips > 8".
  std::vector<std::string> rejected;
};

/// Every plan of at most `max_chips` chips of `chip` that holds `scenario`. Pipeline depths: the
/// fewest stages that hold a replica, and twice that when it fits (for pipelined throughput);
/// data parallelism: every divisor of the batch; microbatches: the most that divide a replica's
/// sequences up to the pipeline depth.
PlanSpace planSpace(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                    std::uint64_t max_chips);

/// The lower bound of planSpace() for one layout.
double planBound(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                 const ParallelLayout& layout);

}  // namespace archsim::map
