#include "sim/spec/model_reader.h"

#include <fmt/format.h>

#include "sim/spec/chip_reader.h"

namespace archsim::spec {
namespace {

constexpr std::int64_t kMaxLayers = 16384;
constexpr std::int64_t kMaxDim = 1LL << 24;  // 16 M: larger than any real hidden size or vocabulary

std::uint64_t dim(MapReader& r, std::string_view key, Need need, std::uint64_t fallback,
                  std::int64_t min = 1) {
  return static_cast<std::uint64_t>(
      r.integer(key, need, min, kMaxDim).value_or(static_cast<std::int64_t>(fallback)));
}

}  // namespace

std::string_view familyName(ModelFamily f) {
  return nameOf(kModelFamilyNames, f);
}
std::string_view normName(NormKind n) {
  return nameOf(kNormNames, n);
}
std::string_view activationName(Activation a) {
  return nameOf(kActivationNames, a);
}
std::string_view positionName(PositionKind p) {
  return nameOf(kPositionNames, p);
}

ModelSpec readModel(const ConfigNode& node, const std::string& path, Diagnostics& diags) {
  ModelSpec m;
  MapReader r(node, path, diags);
  const DocumentHeader header = readHeader(r, "model");
  m.name = header.name;
  m.description = header.description;
  m.family = r.choice<ModelFamily>("family", kModelFamilyNames, Need::kRequired)
                 .value_or(ModelFamily::kLlama);
  const bool llama = m.family == ModelFamily::kLlama;
  const bool bert = m.family == ModelFamily::kBert;

  m.hidden = dim(r, "hidden", Need::kRequired, 0);
  // Layers are bounded by what a run can hold (about 12 KB of graph and plan per layer): 16384 is
  // a hundred times the deepest published model (README "Limits").
  m.layers =
      static_cast<std::uint64_t>(r.integer("layers", Need::kRequired, 1, kMaxLayers).value_or(0));
  m.heads = dim(r, "heads", Need::kRequired, 0);
  m.kv_heads = dim(r, "kv_heads", Need::kOptional, m.heads);
  m.ffn = dim(r, "ffn", Need::kRequired, 0);
  m.vocab = dim(r, "vocab", Need::kRequired, 0);
  if (m.heads > 0 && m.kv_heads > 0 && m.heads % m.kv_heads != 0) {
    r.crossError(
        {"kv_heads", "heads"},
        fmt::format("{} kv_heads do not divide {} heads (grouped-query attention shares each "
                    "KV head among a whole number of query heads)",
                    m.kv_heads, m.heads));
  }
  if (r.has("head_dim")) {
    m.head_dim = dim(r, "head_dim", Need::kRequired, 0);
  } else if (m.heads > 0 && m.hidden > 0) {
    if (m.hidden % m.heads != 0) {
      r.crossError(
          {"heads", "hidden"},
          fmt::format("{} heads do not divide hidden {}; give head_dim explicitly if the model's "
                      "heads are not hidden / heads wide",
                      m.heads, m.hidden));
    }
    m.head_dim = m.hidden / m.heads;
  }

  m.norm = r.choice<NormKind>("norm", kNormNames, Need::kOptional)
               .value_or(llama ? NormKind::kRmsNorm : NormKind::kLayerNorm);
  m.post_norm = r.boolean("post_norm", Need::kOptional).value_or(bert);
  m.activation = r.choice<Activation>("activation", kActivationNames, Need::kOptional)
                     .value_or(llama ? Activation::kSwiGlu : Activation::kGelu);
  m.positions = r.choice<PositionKind>("positions", kPositionNames, Need::kOptional)
                    .value_or(llama ? PositionKind::kRope : PositionKind::kLearned);
  m.max_positions =
      dim(r, "max_positions",
          m.positions == PositionKind::kLearned ? Need::kRequired : Need::kOptional, 0);
  m.position_offset = dim(r, "position_offset", Need::kOptional, 0, 0);
  if (m.position_offset > 0 && m.positions != PositionKind::kLearned) {
    r.error("position_offset", "applies only to learned positions");
  }
  m.rotary_dim = dim(r, "rotary_dim", Need::kOptional, m.head_dim);
  if (r.has("rotary_dim")) {
    if (m.positions != PositionKind::kRope) r.error("rotary_dim", "applies only to rope positions");
    if (m.rotary_dim > m.head_dim || m.rotary_dim % 2 != 0) {
      r.crossError({"rotary_dim", "head_dim"},
                   fmt::format("rotary_dim {} must be even and at most head_dim {}", m.rotary_dim,
                               m.head_dim));
    }
  }
  m.type_vocab = dim(r, "type_vocab", Need::kOptional, 0, 0);
  m.pooler = r.boolean("pooler", Need::kOptional).value_or(bert);
  m.attention_bias = r.boolean("attention_bias", Need::kOptional).value_or(!llama);
  m.mlp_bias = r.boolean("mlp_bias", Need::kOptional).value_or(!llama);
  m.lm_head_bias = r.boolean("lm_head_bias", Need::kOptional).value_or(false);
  m.tied_embeddings =
      r.boolean("tied_embeddings", Need::kOptional).value_or(m.family == ModelFamily::kGpt);
  m.parallel_residual = r.boolean("parallel_residual", Need::kOptional).value_or(false);
  m.sliding_window = dim(r, "sliding_window", Need::kOptional, 0);
  if (bert && (r.has("lm_head_bias") || r.has("tied_embeddings"))) {
    r.error(r.has("lm_head_bias") ? "lm_head_bias" : "tied_embeddings",
            "an encoder model has no LM head");
  }

  if (auto moe = r.child("moe", Need::kOptional)) {
    MoeSpec s;
    s.experts = static_cast<std::uint64_t>(
        moe->integer("experts", Need::kRequired, 2, 1 << 16).value_or(0));
    s.top_k =
        static_cast<std::uint64_t>(moe->integer("top_k", Need::kRequired, 1, 1 << 16).value_or(0));
    if (s.experts > 0 && s.top_k > s.experts) {
      moe->crossError({"top_k", "experts"},
                      fmt::format("top_k {} exceeds the number of experts {}", s.top_k, s.experts));
    }
    if (bert) r.error("moe", "encoder models with experts are not supported");
    moe->finish();
    m.moe = s;
  }
  m.sources = readSources(r, node);
  r.finish();
  return m;
}

}  // namespace archsim::spec
