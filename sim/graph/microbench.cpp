#include "sim/graph/microbench.h"

#include <utility>

#include "sim/graph/flop_conventions.h"

namespace archsim::graph {
namespace {

Tensor makeTensor(TensorId id, std::string name, TensorRole role, std::vector<std::int64_t> shape,
                  const spec::TensorFormat& f, std::uint64_t elements) {
  Tensor t;
  t.id = id;
  t.name = std::move(name);
  t.role = role;
  t.shape = std::move(shape);
  t.format = f;
  t.elements = Extent::constant(elements);
  t.bytes = Extent::constant(f.bytes(elements));
  return t;
}

std::int64_t i64(std::uint64_t x) {
  return static_cast<std::int64_t>(x);
}

}  // namespace

Graph gemmGraph(std::uint64_t m, std::uint64_t n, std::uint64_t k, const spec::TensorFormat& f) {
  std::vector<Tensor> tensors{
      makeTensor(0, "A", TensorRole::kActivation, {i64(m), i64(k)}, f, m * k),
      makeTensor(1, "B", TensorRole::kWeight, {i64(k), i64(n)}, f, k * n),
      makeTensor(2, "C", TensorRole::kActivation, {i64(m), i64(n)}, f, m * n)};
  Op op;
  op.kind = OpKind::kMatmul;
  op.name = "gemm";
  op.compute = f.dtype;
  op.matmul = MatmulShape{Extent::constant(1), Extent::constant(m), Extent::constant(n),
                          Extent::constant(k)};
  op.matrix_flops = Extent::constant(2 * m * n * k);
  op.reads = {{0, tensors[0].bytes}, {1, tensors[1].bytes}};
  op.writes = {{2, tensors[2].bytes}};
  return Graph("gemm", std::move(tensors), {std::move(op)}, 0);
}

Graph copyGraph(std::uint64_t bytes) {
  const spec::TensorFormat byte_format{spec::DType::kInt8, 0, spec::DType::kFp16};
  std::vector<Tensor> tensors{
      makeTensor(0, "src", TensorRole::kActivation, {1, i64(bytes)}, byte_format, bytes),
      makeTensor(1, "dst", TensorRole::kActivation, {1, i64(bytes)}, byte_format, bytes)};
  // One row per 64 KiB so the copy spreads over the units like a grid-stride kernel.
  const std::uint64_t rows = (bytes + 65535) / 65536;
  tensors[0].shape = {i64(rows), i64(bytes / rows)};
  tensors[1].shape = tensors[0].shape;
  Op op;
  op.kind = OpKind::kElementwise;
  op.name = "copy";
  op.reads = {{0, tensors[0].bytes}};
  op.writes = {{1, tensors[1].bytes}};
  return Graph("copy", std::move(tensors), {std::move(op)}, 0);
}

Graph attentionGraph(std::uint64_t batch, std::uint64_t heads, std::uint64_t seq,
                     std::uint64_t head_dim, const spec::TensorFormat& f) {
  const std::uint64_t rows = batch * seq;
  const std::uint64_t width = heads * head_dim;
  std::vector<Tensor> tensors;
  for (const char* name : {"Q", "K", "V", "O"}) {
    tensors.push_back(makeTensor(static_cast<TensorId>(tensors.size()), name,
                                 TensorRole::kActivation, {i64(rows), i64(width)}, f,
                                 rows * width));
  }
  Op op;
  op.kind = OpKind::kAttention;
  op.name = "attention";
  op.compute = f.dtype;
  const std::uint64_t pairs = batch * heads * seq * seq;
  op.matmul = MatmulShape{Extent::constant(batch * heads), Extent::constant(seq),
                          Extent::constant(seq), Extent::constant(head_dim)};
  op.attention = AttentionGeometry{batch, heads, 1, head_dim, seq, false, false, 0};
  op.matrix_flops = Extent::constant(4 * pairs * head_dim);
  op.vector_flops = Extent::constant(flops::kSoftmax * pairs);
  op.reads = {{0, tensors[0].bytes}, {1, tensors[1].bytes}, {2, tensors[2].bytes}};
  op.writes = {{3, tensors[3].bytes}};
  return Graph("attention", std::move(tensors), {std::move(op)}, 0);
}

Graph softmaxGraph(std::uint64_t rows, std::uint64_t cols, const spec::TensorFormat& f) {
  std::vector<Tensor> tensors{
      makeTensor(0, "x", TensorRole::kActivation, {i64(rows), i64(cols)}, f, rows * cols),
      makeTensor(1, "y", TensorRole::kActivation, {i64(rows), i64(cols)}, f, rows * cols)};
  Op op;
  op.kind = OpKind::kSoftmax;
  op.name = "softmax";
  op.vector_flops = Extent::constant(flops::kSoftmax * rows * cols);
  op.reads = {{0, tensors[0].bytes}};
  op.writes = {{1, tensors[1].bytes}};
  return Graph("softmax", std::move(tensors), {std::move(op)}, 0);
}

}  // namespace archsim::graph
