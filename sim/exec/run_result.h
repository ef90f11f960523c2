// What one simulated chip produces: per-op records (aggregated over the steps each op ran in),
// totals, dynamic energy and the timeline of its steps. Metrics are not computed here: the run
// layer derives them once from the user's scenario and the composed timeline (run/metrics.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/exec/counters.h"
#include "sim/graph/op.h"

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
  /// Summed gaps before its executions (kernel style): the device's launch latency, and the wait
  /// for the host to dispatch it when the host is behind.
  Tick gap = 0;
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
  bool reused = false;  // a step interpolated from probed ones (exec/step_reuse.h)
};

struct RunResult {
  std::vector<OpRecord> ops;
  OpCounters totals;
  Tick measured_start = 0;
  Tick measured_end = 0;
  Tick first_token_end = 0;  // when the prefill pass ended (0 without one)
  std::uint64_t measured_steps = 0;
  std::vector<Tick> step_ticks;          // duration of each measured step, in order
  std::uint64_t steps_simulated = 0;     // measured steps simulated tile by tile
  std::uint64_t steps_reused = 0;        // ... interpolated from probed steps
  std::uint64_t probe_steps = 0;         // steps the probes simulated (each after a warm-up step)
  double max_interpolation_error = 0.0;  // at a probed midpoint, relative
  std::uint64_t layers_simulated = 0;    // layer executions of the measured, simulated steps
  std::uint64_t layers_replayed = 0;     // ... replayed from a template layer (layer_reuse.h)
  std::uint64_t spans_total = 0;         // spans below holds the first kMaxSpans of them
  /// Every measured execution of every op, in completion order (a chip's own run; a composed
  /// multi-chip result leaves it empty — each simulated chip keeps its own).
  std::vector<OpSpan> spans;
  /// Ops of untimed warm-up steps whose cache accesses were left out, their effect provably
  /// overwritten by the ops after them (Executor::warmCaches; not in stats.json).
  std::uint64_t warmup_ops_skipped = 0;
  double dynamic_energy_j = 0.0;  // compute, memory and the links of its collectives
  std::string matrix_dtype;
  std::string vector_dtype;
  std::vector<std::string> warnings;
};

}  // namespace archsim::exec
