// Tensors of a transformer dataflow graph.
//
// A tensor has a stable identity — its name, e.g. "L3.wqkv" or "L3.k_cache" — that is the same in
// every graph of a workload (the prefill graph and the decode graph), so later layers can see reuse
// of weights and KV cache across ops, layers and decode steps. Shapes may contain kKvDim, the KV
// length of the step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/graph/extent.h"
#include "sim/spec/tensor_format.h"

namespace archsim::graph {

using TensorId = std::uint32_t;

enum class TensorRole { kWeight, kActivation, kKv, kOutput };
inline constexpr TensorRole kAllRoles[] = {TensorRole::kWeight, TensorRole::kActivation,
                                           TensorRole::kKv, TensorRole::kOutput};
std::string_view roleName(TensorRole r);

/// A shape dimension equal to the step's KV length.
inline constexpr std::int64_t kKvDim = -1;

struct Tensor {
  TensorId id = 0;
  std::string name;
  TensorRole role = TensorRole::kActivation;
  int layer = -1;   // -1: not in a layer (embeddings, LM head)
  int expert = -1;  // MoE expert, or -1
  std::vector<std::int64_t> shape;
  spec::TensorFormat format;
  Extent elements;
  Extent bytes;  // storage, including block scales

  /// "[1, 8, L, 128]"
  std::string shapeString() const;
};

/// One read or write of (part of) a tensor by an op.
struct TensorUse {
  TensorId tensor = 0;
  Extent bytes;
};

}  // namespace archsim::graph
