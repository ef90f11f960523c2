// Workload: the graphs a scenario runs and the steps it runs them for.
//
// prefill: the prefill graph once. decode: the decode graph once at kv_length. generate: the
// prefill graph once (it yields the first output token), then the decode graph at KV lengths
// prompt + 1 ... prompt + output - 1. A decode graph is built once and evaluated per step; totals
// over steps are closed-form sums of its affine extents, so long generations cost no more to
// describe than short ones.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "sim/graph/builder.h"
#include "sim/graph/graph.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::graph {

struct Run {
  GraphPhase phase;
  const Graph* graph;
  std::uint64_t kv_first;  // KV length of the first step (decode); the prompt length (prefill)
  std::uint64_t kv_last;   // inclusive
  std::uint64_t steps() const { return kv_last - kv_first + 1; }
};

class Workload {
 public:
  /// What one chip of a plan computes (graph/shard.h).
  explicit Workload(Shard shard);
  /// The whole scenario on one chip.
  explicit Workload(const spec::ScenarioSpec& scenario);
  /// A workload of one given graph, run once as a prefill-like pass (microbenchmarks: one GEMM, one
  /// copy). `shard` supplies the formats and KV sizing.
  Workload(Shard shard, Graph graph);
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  const std::vector<Run>& runs() const { return runs_; }
  const Graph* prefillGraph() const { return prefill_ ? &*prefill_ : nullptr; }
  const Graph* decodeGraph() const { return decode_ ? &*decode_ : nullptr; }
  const Shard& shard() const { return shard_; }
  const spec::ModelSpec& model() const { return shard_.model; }
  /// Tokens generated per sequence (an encoder generates none).
  std::uint64_t outputTokensPerSequence() const;
  /// KV entries per sequence after the last step.
  std::uint64_t finalKvLength() const;
  /// The KV entries the caches hold, summed over sequences, and the entries they are laid out for
  /// (every sequence at finalKvLength()): equal but for a serving pass with prompt chunks, whose
  /// decode tokens hold their KV length and chunks their prior + chunk entries, while every row
  /// is laid out at the longest of them.
  std::pair<std::uint64_t, std::uint64_t> kvEntries() const;

 private:
  Shard shard_;
  std::optional<Graph> prefill_;
  std::optional<Graph> decode_;
  std::vector<Run> runs_;
};

/// sum over steps L = first..last of e.at(g.effectiveKv(L)), exactly.
std::uint64_t sumOverSteps(const Graph& g, Extent e, std::uint64_t first, std::uint64_t last);
/// The same over one run.
std::uint64_t sumOverRun(const Run& run, Extent e);

/// KV-cache bytes one token of one sequence adds: 2 x layers x bytes(kv_heads x head_dim).
std::uint64_t kvBytesPerToken(const spec::ModelSpec& model, const spec::TensorFormat& kv_format);

}  // namespace archsim::graph
