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
/// True for the kinds that multiply activations by a weight matrix (matmul, router, expert
/// matmul, LM head).
bool isWeightMatmulKind(OpKind k);

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

/// Attention's geometry on this rank, for tiling: the (sequence, KV head, query block, key range)
/// blocks the work splits into. Set on attention ops (fused, score, softmax, context) and on every
/// op that writes the KV cache (the KV write, or the op it was fused into).
struct AttentionGeometry {
  std::uint64_t sequences = 0;  // in this graph
  std::uint64_t kv_heads = 0;   // on this rank
  std::uint64_t group = 1;      // query heads per KV head
  std::uint64_t head_dim = 0;
  std::uint64_t query_rows = 0;  // new tokens per sequence in this pass (1 in a decode step)
  bool decode = false;           // keys span the step's KV length (else the pass's own rows)
  bool causal = true;            // decoders; an encoder attends to every key
  std::uint64_t window = 0;      // sliding-window span in tokens (0: none)
  /// Prefill of a chunk (chunked prefill): KV entries each sequence holds before this pass's rows;
  /// its queries attend to them too (causally after them). 0 for a whole prompt and in decode.
  std::uint64_t prior = 0;

  std::uint64_t heads() const { return kv_heads * group; }
  /// Keys a query can attend to at effective KV length `kv`.
  std::uint64_t span(std::uint64_t kv) const { return decode ? kv : prior + query_rows; }
  /// (query, key) pairs of queries [q0, q1) of one sequence and head at effective KV length `kv`
  /// (query i of a chunk sees the prior entries and itself: causalPairs over prior + i).
  std::uint64_t pairs(std::uint64_t q0, std::uint64_t q1, std::uint64_t kv) const;
  bool operator==(const AttentionGeometry&) const = default;
};

/// (query, key) pairs for queries [q0, q1) attending causally to every earlier position, capped
/// at `window` keys each (0: no cap).
std::uint64_t causalPairs(std::uint64_t q0, std::uint64_t q1, std::uint64_t window);

struct Op {
  OpId id = 0;
  OpKind kind = OpKind::kMatmul;
  std::string name;
  int layer = -1;
  int expert = -1;
  spec::DType compute = spec::DType::kBf16;
  std::optional<MatmulShape> matmul;           // for matmul-like ops (weights and attention)
  std::optional<CollectiveCall> collective;    // for kCollective: runs on the links, not the units
  std::optional<AttentionGeometry> attention;  // attention ops and KV-cache writers
  Extent matrix_flops;                         // on matrix units
  Extent vector_flops;                         // on vector units
  std::vector<TensorUse> reads;
  std::vector<TensorUse> writes;
  std::vector<std::string> fused;  // names of elementwise ops folded into this one
  bool own_kernel = false;         // an elementwise op the fusion pass leaves as its own kernel

  Extent bytesRead() const;
  Extent bytesWritten() const;
  Extent flops() const { return matrix_flops + vector_flops; }
};

}  // namespace archsim::graph
