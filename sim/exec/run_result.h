// What one simulated run produces: per-op records (aggregated over the steps each op ran in),
// totals, energy, and the headline metrics with their stable keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/exec/counters.h"
#include "sim/graph/op.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::exec {

struct OpRecord {
  std::size_t stage = 0;  // the pipeline stage whose simulated chip ran it
  std::string graph;      // "prefill" or "decode"
  std::string name;
  graph::OpKind kind = graph::OpKind::kMatmul;
  int layer = -1;
  bool matrix = false;  // ran on matrix units
  std::uint64_t executions = 0;
  Tick first_start = 0;
  Tick last_end = 0;
  Tick busy = 0;  // summed durations (first activity — a weight prefetch or the start — to the end)
  std::uint64_t matrix_flops = 0;  // useful (graph) FLOPs, summed over executions
  std::uint64_t vector_flops = 0;
  OpCounters counters;
  std::string bound;  // "compute", a memory level's name, or "latency"
};

/// One execution of an op on the simulated chip: RunResult::ops[op] ran over [start, end).
struct OpSpan {
  std::uint32_t op;
  Tick start;
  Tick end;
};

/// The stable `metrics` keys of stats.json (SI units; nullopt where the phase has no such figure).
struct Metrics {
  std::optional<double> ttft_s;
  std::optional<double> tpot_s;
  double e2e_s = 0.0;
  std::optional<double> output_tokens_per_s;
  std::optional<double> tokens_per_s_per_user;
  std::optional<double> energy_per_token_j;
  double avg_power_w = 0.0;
  std::uint64_t chips = 1;
};

/// The metrics of a run of `scenario` that took `e2e_s` (a decode scenario: one step), produced
/// `per_seq` tokens per sequence, reached the first token at `ttft_s` (generate) and spent
/// `energy_j` on `chips` chips.
Metrics phaseMetrics(const spec::ScenarioSpec& scenario, std::uint64_t per_seq, double e2e_s,
                     double ttft_s, double energy_j, std::uint64_t chips);

struct RunResult {
  std::vector<OpRecord> ops;
  OpCounters totals;
  Tick measured_start = 0;
  Tick measured_end = 0;
  std::uint64_t measured_steps = 0;
  std::vector<Tick> step_ticks;  // duration of each measured step, in order
  /// Every measured execution of every op, in completion order (a chip's own run; a composed
  /// multi-chip result leaves it empty — each simulated chip keeps its own).
  std::vector<OpSpan> spans;
  double dynamic_energy_j = 0.0;
  double static_energy_j = 0.0;
  std::string matrix_dtype;
  std::string vector_dtype;
  Metrics metrics;
  std::vector<std::string> warnings;
};

}  // namespace archsim::exec
