// Ops of a transformer dataflow graph: what each computes and which bytes it touches.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/graph/extent.h"
#include "sim/graph/tensor.h"
#include "sim/spec/dtype.h"

namespace archsim::graph {

using OpId = std::uint32_t;

enum class OpKind {
  kEmbedding,         // token (and position/type) embedding gather
  kNorm,              // RMSNorm or LayerNorm
  kMatmul,            // a weight matmul (projections, MLP, pooler)
  kRope,              // rotary position embedding on q and k
  kKvWrite,           // append this step's k and v to the cache
  kAttention,         // fused (flash-style) attention: scores, softmax and context in one op
  kAttentionScore,    // materialized: Q K^T
  kSoftmax,           // materialized: softmax over the scores
  kAttentionContext,  // materialized: P V
  kActivation,        // SiLU x up, GELU, ReLU, tanh
  kElementwise,       // residual adds
  kRouter,            // MoE gating matmul
  kTopK,              // MoE softmax + top-k selection
  kExpertMatmul,      // one expert's projection
  kMoeCombine,        // weighted sum of the experts' outputs
  kLmHead,            // final projection to the vocabulary
  kSampling,          // choose the next token
  kCollective,        // communication among the chips of a parallel group (all-reduce, ...)
};
std::string_view opKindName(OpKind k);
/// True for the kinds the fusion pass folds into their producer.
bool isElementwiseKind(OpKind k);

/// Collective communication patterns (exec/collectives.h gives the algorithms and their costs).
enum class CollectiveKind { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv };
std::string_view collectiveName(CollectiveKind k);

/// A collective op's call: `bytes` is the per-rank buffer as the algorithms define it — all-reduce
/// and reduce-scatter: the input; all-gather: the gathered output; all-to-all: what one rank sends.
struct CollectiveCall {
  CollectiveKind kind = CollectiveKind::kAllReduce;
  Extent bytes;
};

/// C[m, n] = A[m, k] x B[k, n], `batch` independent instances (attention heads, say).
struct MatmulShape {
  Extent batch = Extent::constant(1);
  Extent m;
  Extent n;
  Extent k;
};

struct Op {
  OpId id = 0;
  OpKind kind = OpKind::kMatmul;
  std::string name;
  int layer = -1;
  int expert = -1;
  spec::DType compute = spec::DType::kBf16;
  std::optional<MatmulShape> matmul;         // for matmul-like ops (weights and attention)
  std::optional<CollectiveCall> collective;  // for kCollective: runs on the links, not the units
  Extent matrix_flops;                       // on matrix units
  Extent vector_flops;                       // on vector units
  std::vector<TensorUse> reads;
  std::vector<TensorUse> writes;
  std::vector<std::string> fused;  // names of elementwise ops folded into this one

  Extent bytesRead() const;
  Extent bytesWritten() const;
  Extent flops() const { return matrix_flops + vector_flops; }
};

}  // namespace archsim::graph
