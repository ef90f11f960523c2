// buildGraph(): the dataflow graph of one phase of a scenario.
//
// The op decomposition follows what serving engines launch (vLLM-style): fused QKV projection,
// RoPE, KV-cache write, attention (fused, or score/softmax/context when materialized), output
// projection, residual add, norms, gated or plain MLP (or router + experts + combine), final norm,
// LM head on the last position of each sequence, sampling. With `fusion: elementwise` the RoPE, KV
// write, activation and residual adds fold into the op that produces their input.
#pragma once

#include "sim/graph/graph.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::graph {

enum class GraphPhase { kPrefill, kDecode };
std::string_view graphPhaseName(GraphPhase p);

/// What one chip of a parallel plan runs (map/parallel.h makes these). The scenario passed with a
/// shard already describes one rank: its model has heads / tp, ffn / tp, vocab / tp (and experts /
/// ep) and its batch is the microbatch. The shard adds what a narrower model cannot say:
/// - tp > 1: a collective after each row-parallel projection — all-reduce after the attention
///   output projection and the MLP down projection (and after the vocab-parallel embedding), or,
///   with sequence_parallel, a reduce-scatter there and an all-gather before the next column-
///   parallel projection, with norms and residual adds on rows / tp; the vocab-parallel LM head
///   samples its slice and all-gathers the (value, index) candidates;
/// - ep > 1 (ep == tp): each rank holds experts / ep whole experts; the MoE block takes its 1/ep
///   share of the tokens, routes it, all-to-all dispatches it, runs its experts on the balanced
///   token counts of the global routing, all-to-all combines and all-gathers the result;
/// - a pipeline stage: layers [first_layer, end_layer), with or without the embedding and the head
///   (a stage without the embedding reads its input hidden state from the previous stage);
/// - kv_sequences: the sequences the KV cache holds (every microbatch's), of which the graph
///   attends to its batch.
struct Shard {
  std::uint32_t tp = 1;
  std::uint32_t ep = 1;
  bool sequence_parallel = false;
  std::uint64_t first_layer = 0;
  std::uint64_t end_layer = UINT64_MAX;  // exclusive; clipped to the model's layers
  bool embedding = true;
  bool head = true;
  std::uint64_t kv_sequences = 0;  // 0: the batch
  std::uint64_t experts = 0;       // the model's experts in all (0: the scenario model's)
};

/// Prefill: prompt_tokens per sequence, starting from an empty KV cache. Decode: one new token per
/// sequence attending to a symbolic KV length L (evaluate the graph's extents at effectiveKv(L)).
Graph buildGraph(const spec::ScenarioSpec& scenario, GraphPhase phase, const Shard& shard = {});

/// Rows of a tensor split `ways` ways by sequence parallelism: ceil(rows / ways).
std::uint64_t sequenceShare(std::uint64_t rows, std::uint64_t ways);

/// Tokens expert `e` receives when `tokens` tokens each pick top_k of `experts` experts: routing is
/// taken as perfectly balanced, floor(tokens x k / E) plus one for the first (tokens x k mod E).
std::uint64_t balancedExpertTokens(std::uint64_t tokens, std::uint64_t top_k, std::uint64_t experts,
                                   std::uint64_t e);

}  // namespace archsim::graph
