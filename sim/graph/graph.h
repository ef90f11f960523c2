// Graph: a transformer phase (a prefill, or one decode step at symbolic KV length) as a Boost.Graph
// directed acyclic graph. Vertex = op (vertex index == OpId, in program order); edge = a tensor
// produced by one op and read by another. Weights, the KV cache and the token ids are graph inputs:
// they appear in ops' reads but have no producing vertex.
//
// Deterministic: vertices are stored in creation order (vecS), and the topological order is
// computed once at construction and cached.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "sim/graph/op.h"
#include "sim/graph/tensor.h"

namespace archsim::graph {

struct TensorEdge {
  TensorId tensor = 0;
};

using Dag = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                  boost::no_property, TensorEdge>;

class Graph {
 public:
  /// Builds the DAG from the ops' reads and writes. `kv_window` caps the effective KV length
  /// (sliding-window attention); 0 means no cap. Panics if the ops form a cycle (a builder bug).
  Graph(std::string name, std::vector<Tensor> tensors, std::vector<Op> ops,
        std::uint64_t kv_window);

  const std::string& name() const { return name_; }
  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const Op& op(OpId id) const { return ops_.at(id); }
  const Tensor& tensor(TensorId id) const { return tensors_.at(id); }
  std::optional<TensorId> findTensor(const std::string& name) const;
  const Dag& dag() const { return dag_; }
  /// Ops in a dependency-respecting order (cached; stable across runs).
  const std::vector<OpId>& topologicalOrder() const { return topo_; }
  /// Ops that consume what `id` produces.
  std::vector<OpId> successors(OpId id) const;
  std::uint64_t kvWindow() const { return kv_window_; }
  /// The KV length attention actually spans at a step with `kv_length` keys.
  std::uint64_t effectiveKv(std::uint64_t kv_length) const {
    return kv_window_ == 0 || kv_length < kv_window_ ? kv_length : kv_window_;
  }

 private:
  std::string name_;
  std::vector<Tensor> tensors_;
  std::vector<Op> ops_;
  std::uint64_t kv_window_;
  Dag dag_;
  std::vector<OpId> topo_;
};

/// Per op (by id): whether it runs inside an earlier op's kernel when the stack runs a MoE
/// layer's expert ops of a kind as one grouped kernel (SoftwareSpec::moe_kernels): every expert
/// op but the first, in topological order, of its layer and kind (its place in its expert's
/// chain: gate/up, activation, down).
std::vector<bool> groupedExpertOps(const Graph& g);

}  // namespace archsim::graph
