// buildGraph(): the dataflow graph of one phase of a scenario.
//
// The op decomposition follows what serving engines launch (vLLM-style): fused QKV projection, RoPE,
// KV-cache write, attention (fused, or score/softmax/context when materialized), output projection,
// residual add, norms, gated or plain MLP (or router + experts + combine), final norm, LM head on
// the last position of each sequence, sampling. With `fusion: elementwise` the RoPE, KV write,
// activation and residual adds fold into the op that produces their input.
#pragma once

#include "sim/graph/graph.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::graph {

enum class GraphPhase { kPrefill, kDecode };
std::string_view graphPhaseName(GraphPhase p);

/// Prefill: prompt_tokens per sequence, starting from an empty KV cache. Decode: one new token per
/// sequence attending to a symbolic KV length L (evaluate the graph's extents at effectiveKv(L)).
Graph buildGraph(const spec::ScenarioSpec& scenario, GraphPhase phase);

/// Tokens expert `e` receives when `tokens` tokens each pick top_k of `experts` experts: routing is
/// taken as perfectly balanced, floor(tokens x k / E) plus one for the first (tokens x k mod E).
std::uint64_t balancedExpertTokens(std::uint64_t tokens, std::uint64_t top_k, std::uint64_t experts,
                                   std::uint64_t e);

}  // namespace archsim::graph
