// Shard: everything the graph layer needs to describe what one chip computes — the whole model and
// this rank's slice of it, the layers it holds, the sequences in its graph and in its KV cache, the
// passes it runs (prefill, decode steps) and the number formats. map/ builds one per distinct
// pipeline stage (map/stage.h); a one-chip run is wholeModel(scenario). Nothing below map reads the
// user's scenario: a Shard says it all.
#pragma once

#include <cstdint>
#include <string>

#include "sim/spec/model_spec.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::graph {

/// One tensor-parallel rank's part of a model (Megatron-style): heads / tp, KV heads / tp (at
/// least one, replicated when tp exceeds them), ffn / tp — or, with ep > 1, experts / ep whole
/// experts and the full ffn — and the vocabulary slice ceil(vocab / tp).
struct ModelSlice {
  std::uint64_t heads = 0;
  std::uint64_t kv_heads = 0;
  std::uint64_t ffn = 0;
  std::uint64_t vocab = 0;
  std::uint64_t experts = 0;        // experts this rank holds (0: a dense model)
  std::uint64_t model_experts = 0;  // experts in the whole model (0: a dense model)

  static ModelSlice of(const spec::ModelSpec& model, std::uint32_t tp, std::uint32_t ep);
  bool operator==(const ModelSlice&) const = default;
};

struct Shard {
  std::string name;       // the run's label (the scenario's name)
  spec::ModelSpec model;  // the whole model
  ModelSlice slice;       // this rank's part of it
  std::uint32_t tp = 1;
  std::uint32_t ep = 1;
  bool sequence_parallel = false;
  std::uint64_t first_layer = 0;
  std::uint64_t end_layer = 0;  // exclusive
  bool embedding = true;
  bool head = true;
  std::uint64_t sequences = 1;     // in the graph: one microbatch
  std::uint64_t kv_sequences = 1;  // the KV cache holds (every microbatch of the stage)
  // The passes: `prefill` runs prompt_tokens per sequence; `decode` one step at kv_length;
  // `generate` a prefill then decode steps at KV lengths prompt + 1 ... prompt + output - 1.
  spec::Phase phase = spec::Phase::kDecode;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t output_tokens = 0;
  std::uint64_t kv_length = 0;
  /// A serving iteration's prefill chunks in a decode pass (phase decode only): `chunk_sequences`
  /// chunks of `chunk_tokens` prompt tokens each, whose sequences already hold `chunk_prior_kv`
  /// KV entries (chunked prefill), in the same forward pass as the `sequences` decode tokens
  /// (which may then be 0). 0 chunks: a plain decode step.
  std::uint64_t chunk_sequences = 0;
  std::uint64_t chunk_tokens = 0;
  std::uint64_t chunk_prior_kv = 0;
  spec::ScenarioDTypes dtypes;
  spec::AttentionImpl attention = spec::AttentionImpl::kFused;
  spec::FusionLevel fusion = spec::FusionLevel::kElementwise;
  /// With elementwise fusion: the gated MLP's activation joins the gate/up GEMM (false: the
  /// stack runs it as a kernel of its own, SoftwareSpec::gated_activation).
  bool fuse_gated_activation = true;
  /// The stack's token budget per forward pass (SoftwareSpec::max_tokens_per_pass; 0: none).
  std::uint64_t max_tokens_per_pass = 0;

  std::uint64_t layers() const { return end_layer - first_layer; }
  bool sequenceParallel() const { return sequence_parallel && tp > 1; }
  /// Rows of the residual stream on this rank in a pass of `rows` token rows (sequence
  /// parallelism keeps ceil(rows / tp)).
  std::uint64_t streamRows(std::uint64_t rows) const;
  /// Bytes of the hidden state one rank hands the next pipeline stage per microbatch in a pass
  /// with `tokens` new tokens per sequence.
  std::uint64_t boundaryBytes(std::uint64_t tokens) const;
};

/// The whole scenario on one chip: every layer, the embedding and the head, tp = ep = 1.
Shard wholeModel(const spec::ScenarioSpec& scenario);

/// Rows of a tensor split `ways` ways by sequence parallelism: ceil(rows / ways).
std::uint64_t sequenceShare(std::uint64_t rows, std::uint64_t ways);

}  // namespace archsim::graph
