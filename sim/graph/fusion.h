// The elementwise fusion pass: folds RoPE, KV-cache writes, activations and residual adds into the
// op that produces their input, as fused-epilogue kernels do. An op marked `own_kernel` (a gated
// MLP activation on a stack that runs it separately) stays a kernel of its own.
#pragma once

#include <vector>

#include "sim/graph/op.h"
#include "sim/graph/tensor.h"

namespace archsim::graph {

/// Merges every elementwise op (isElementwiseKind) into the latest op that produced one of its
/// activation inputs: the producer takes over its FLOPs, its other inputs and its outputs, and the
/// intermediate tensors between them are no longer written or read. FLOPs are unchanged; bytes
/// moved drop by the intermediates. An op whose latest producer is a collective is not fused (a
/// collective runs on the links; the op after it stays a kernel). Op ids are renumbered in program
/// order.
void fuseElementwise(std::vector<Op>& ops, const std::vector<Tensor>& tensors);

}  // namespace archsim::graph
