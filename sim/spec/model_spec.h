// ModelSpec: a validated transformer architecture — sizes and the options real models differ in.
//
// `family` sets the defaults (llama: RMSNorm, SwiGLU, RoPE, no biases; gpt: LayerNorm, GELU,
// learned positions, biases, tied embeddings; bert: a post-LayerNorm encoder with token types and a
// pooler). Every default can be overridden, and a `moe:` block turns the MLP into a mixture of
// experts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/spec/names.h"

namespace archsim::spec {

enum class ModelFamily { kLlama, kGpt, kBert };
enum class NormKind { kRmsNorm, kLayerNorm };
/// swiglu: gated MLP (gate and up projections, SiLU); gelu / relu: two-matmul MLP.
enum class Activation { kSwiGlu, kGelu, kRelu };
enum class PositionKind { kRope, kLearned };

inline constexpr NameTable<ModelFamily, 3> kModelFamilyNames{
    {{"llama", ModelFamily::kLlama}, {"gpt", ModelFamily::kGpt}, {"bert", ModelFamily::kBert}}};
inline constexpr NameTable<NormKind, 2> kNormNames{
    {{"rmsnorm", NormKind::kRmsNorm}, {"layernorm", NormKind::kLayerNorm}}};
inline constexpr NameTable<Activation, 3> kActivationNames{
    {{"swiglu", Activation::kSwiGlu}, {"gelu", Activation::kGelu}, {"relu", Activation::kRelu}}};
inline constexpr NameTable<PositionKind, 2> kPositionNames{
    {{"rope", PositionKind::kRope}, {"learned", PositionKind::kLearned}}};

std::string_view familyName(ModelFamily f);
std::string_view normName(NormKind n);
std::string_view activationName(Activation a);
std::string_view positionName(PositionKind p);

struct MoeSpec {
  std::uint64_t experts = 0;
  std::uint64_t top_k = 0;
};

struct ModelSpec {
  std::string name;
  std::string description;
  ModelFamily family = ModelFamily::kLlama;
  std::uint64_t hidden = 0;
  std::uint64_t layers = 0;
  std::uint64_t heads = 0;
  std::uint64_t kv_heads = 0;
  std::uint64_t head_dim = 0;
  std::uint64_t ffn = 0;  // MLP intermediate size (per expert for MoE)
  std::uint64_t vocab = 0;
  std::uint64_t max_positions =
      0;  // learned position table rows (without the offset); 0 if unbounded
  NormKind norm = NormKind::kRmsNorm;
  bool post_norm = false;  // BERT: LayerNorm after each residual add instead of before each block
  Activation activation = Activation::kSwiGlu;
  PositionKind positions = PositionKind::kRope;
  std::uint64_t position_offset = 0;  // OPT keeps 2 extra rows in its position table
  std::uint64_t rotary_dim =
      0;  // dims of each head RoPE rotates (GPT-J: 64); = head_dim by default
  std::uint64_t type_vocab = 0;  // BERT token-type embeddings
  bool pooler = false;           // BERT pooler (dense + tanh on the first token)
  bool attention_bias = false;
  bool mlp_bias = false;
  bool lm_head_bias = false;
  bool tied_embeddings = false;
  bool parallel_residual = false;    // GPT-J: attention and MLP read the same normed input
  std::uint64_t sliding_window = 0;  // attention span in tokens; 0 = full context
  std::optional<MoeSpec> moe;
  std::vector<std::pair<std::string, std::vector<std::string>>> sources;

  bool isEncoder() const { return family == ModelFamily::kBert; }
  bool gatedMlp() const { return activation == Activation::kSwiGlu; }
  std::uint64_t qDim() const { return heads * head_dim; }
  std::uint64_t kvDim() const { return kv_heads * head_dim; }
};

}  // namespace archsim::spec
