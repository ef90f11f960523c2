// buildGraph(): the dataflow graph of one phase of a scenario.
//
// The op decomposition follows what serving engines launch (vLLM-style): fused QKV projection,
// RoPE, KV-cache write, attention (fused, or score/softmax/context when materialized), output
// projection, residual add, norms, gated or plain MLP (or router + experts + combine), final norm,
// LM head on the last position of each sequence, sampling. With `fusion: elementwise` the RoPE, KV
// write, activation and residual adds fold into the op that produces their input.
#pragma once

#include "sim/graph/graph.h"
#include "sim/graph/shard.h"

namespace archsim::graph {

enum class GraphPhase { kPrefill, kDecode };
std::string_view graphPhaseName(GraphPhase p);

/// The graph of one pass of `shard` (graph/shard.h): its slice of the model, its layers, its
/// sequences. Prefill: prompt_tokens per sequence, starting from an empty KV cache. Decode: one new
/// token per sequence attending to a symbolic KV length L (evaluate the graph's extents at
/// effectiveKv(L)). What a shard adds to a one-chip graph:
/// - tp > 1: a collective after each row-parallel projection — all-reduce after the attention
///   output projection and the MLP down projection (and after the vocab-parallel embedding), or,
///   with sequence parallelism, a reduce-scatter there and an all-gather before the next column-
///   parallel projection, with norms and residual adds on rows / tp; the vocab-parallel LM head
///   samples its slice and all-gathers the (value, index) candidates;
/// - ep > 1 (ep == tp): each rank holds experts / ep whole experts; the MoE block takes its 1/ep
///   share of the tokens, routes it, all-to-all dispatches it, runs its experts on the balanced
///   token counts of the global routing, all-to-all combines and all-gathers the result;
/// - a pipeline stage: layers [first_layer, end_layer), with or without the embedding and the head
///   (a stage without the embedding reads its input hidden state from the previous stage);
/// - kv_sequences: the sequences the KV cache holds (every microbatch's), of which the graph
///   attends to its own.
Graph buildGraph(const Shard& shard, GraphPhase phase);

/// Tokens expert `e` receives when `tokens` tokens each pick top_k of `experts` experts: routing is
/// taken as perfectly balanced, floor(tokens x k / E) plus one for the first (tokens x k mod E).
std::uint64_t balancedExpertTokens(std::uint64_t tokens, std::uint64_t top_k, std::uint64_t experts,
                                   std::uint64_t e);

}  // namespace archsim::graph
