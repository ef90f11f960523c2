#include "sim/graph/shard.h"

namespace archsim::graph {

ModelSlice ModelSlice::of(const spec::ModelSpec& model, std::uint32_t tp, std::uint32_t ep) {
  ModelSlice s;
  s.heads = model.heads / tp;
  s.kv_heads = model.kv_heads >= tp ? model.kv_heads / tp : 1;
  s.vocab = (model.vocab + tp - 1) / tp;
  s.ffn = model.ffn;
  if (model.moe) {
    s.model_experts = model.moe->experts;
    s.experts = ep > 1 ? model.moe->experts / ep : model.moe->experts;  // whole experts
    if (ep <= 1) s.ffn = model.ffn / tp;
  } else {
    s.ffn = model.ffn / tp;
  }
  return s;
}

std::uint64_t Shard::streamRows(std::uint64_t rows) const {
  return sequenceParallel() ? sequenceShare(rows, tp) : rows;
}

std::uint64_t Shard::boundaryBytes(std::uint64_t tokens) const {
  const std::uint64_t chunk_rows =
      phase == spec::Phase::kDecode ? chunk_sequences * chunk_tokens : 0;
  return dtypes.activations.bytes(streamRows(sequences * tokens + chunk_rows) * model.hidden);
}

Shard wholeModel(const spec::ScenarioSpec& s) {
  Shard shard;
  shard.name = s.name;
  shard.model = s.model;
  shard.slice = ModelSlice::of(s.model, 1, 1);
  shard.end_layer = s.model.layers;
  shard.sequences = s.batch;
  shard.kv_sequences = s.batch;
  shard.phase = s.phase;
  shard.prompt_tokens = s.prompt_tokens;
  shard.output_tokens = s.output_tokens;
  shard.kv_length = s.kv_length;
  if (s.phase == spec::Phase::kDecode) {
    shard.chunk_sequences = s.chunk_sequences;
    shard.chunk_tokens = s.chunk_tokens;
    shard.chunk_prior_kv = s.chunk_prior_kv;
  }
  shard.dtypes = s.dtypes;
  shard.attention = s.attention;
  shard.fusion = s.fusion;
  shard.fuse_gated_activation = s.software.gated_activation == spec::GatedActivation::kFused;
  shard.max_tokens_per_pass = s.software.max_tokens_per_pass;
  return shard;
}

std::uint64_t sequenceShare(std::uint64_t rows, std::uint64_t ways) {
  return (rows + ways - 1) / ways;
}

}  // namespace archsim::graph
