// Single-op graphs for calibration and closed-form tests: the shapes published microbenchmarks
// time (a GEMM, a device copy, a softmax, a fused attention forward).
#pragma once

#include <cstdint>

#include "sim/graph/graph.h"
#include "sim/spec/tensor_format.h"

namespace archsim::graph {

/// C[m, n] = A[m, k] x B[k, n]; B is a weight, A and C activations.
Graph gemmGraph(std::uint64_t m, std::uint64_t n, std::uint64_t k,
                const spec::TensorFormat& format);

/// dst = src, `bytes` bytes (a device-to-device copy on the vector units).
Graph copyGraph(std::uint64_t bytes);

/// Fused (flash) attention forward, bidirectional: O = softmax(Q K^T) V over `seq` tokens, `heads`
/// heads of `head_dim`, `batch` sequences (K and V are activations, as in a training forward pass).
Graph attentionGraph(std::uint64_t batch, std::uint64_t heads, std::uint64_t seq,
                     std::uint64_t head_dim, const spec::TensorFormat& format);

/// Row-wise softmax of [rows, cols].
Graph softmaxGraph(std::uint64_t rows, std::uint64_t cols, const spec::TensorFormat& format);

}  // namespace archsim::graph
