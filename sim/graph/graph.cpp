#include "sim/graph/graph.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include <boost/graph/topological_sort.hpp>
#include <fmt/format.h>

#include "sim/core/error.h"

namespace archsim::graph {

std::string_view roleName(TensorRole r) {
  switch (r) {
    case TensorRole::kWeight:
      return "weight";
    case TensorRole::kActivation:
      return "activation";
    case TensorRole::kKv:
      return "kv";
    case TensorRole::kOutput:
      return "output";
  }
  return "?";
}

std::string Tensor::shapeString() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += shape[i] == kKvDim ? std::string("L") : std::to_string(shape[i]);
  }
  return s + "]";
}

std::uint64_t causalPairs(std::uint64_t q0, std::uint64_t q1, std::uint64_t window) {
  auto upTo = [&](std::uint64_t q) {  // sum over i < q of min(i + 1, window)
    if (window == 0 || q <= window) return q * (q + 1) / 2;
    return window * (window + 1) / 2 + (q - window) * window;
  };
  return upTo(q1) - upTo(q0);
}

std::uint64_t AttentionGeometry::pairs(std::uint64_t q0, std::uint64_t q1, std::uint64_t kv) const {
  if (decode || !causal) return (q1 - q0) * span(kv);
  return causalPairs(prior + q0, prior + q1, window);
}

std::string_view collectiveName(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::kAllReduce:
      return "all_reduce";
    case CollectiveKind::kAllGather:
      return "all_gather";
    case CollectiveKind::kReduceScatter:
      return "reduce_scatter";
    case CollectiveKind::kAllToAll:
      return "all_to_all";
    case CollectiveKind::kSendRecv:
      return "send_recv";
  }
  return "?";
}

std::string_view opKindName(OpKind k) {
  switch (k) {
    case OpKind::kEmbedding:
      return "embedding";
    case OpKind::kNorm:
      return "norm";
    case OpKind::kMatmul:
      return "matmul";
    case OpKind::kRope:
      return "rope";
    case OpKind::kKvWrite:
      return "kv_write";
    case OpKind::kAttention:
      return "attention";
    case OpKind::kAttentionScore:
      return "attention_score";
    case OpKind::kSoftmax:
      return "softmax";
    case OpKind::kAttentionContext:
      return "attention_context";
    case OpKind::kActivation:
      return "activation";
    case OpKind::kElementwise:
      return "elementwise";
    case OpKind::kRouter:
      return "router";
    case OpKind::kTopK:
      return "topk";
    case OpKind::kExpertMatmul:
      return "expert_matmul";
    case OpKind::kMoeCombine:
      return "moe_combine";
    case OpKind::kLmHead:
      return "lm_head";
    case OpKind::kSampling:
      return "sampling";
    case OpKind::kCollective:
      return "collective";
  }
  return "?";
}

bool isElementwiseKind(OpKind k) {
  return k == OpKind::kRope || k == OpKind::kKvWrite || k == OpKind::kActivation ||
         k == OpKind::kElementwise;
}

bool isWeightMatmulKind(OpKind k) {
  return k == OpKind::kMatmul || k == OpKind::kRouter || k == OpKind::kExpertMatmul ||
         k == OpKind::kLmHead;
}

Extent Op::bytesRead() const {
  Extent total;
  for (const auto& u : reads)
    total += u.bytes;
  return total;
}

Extent Op::bytesWritten() const {
  Extent total;
  for (const auto& u : writes)
    total += u.bytes;
  return total;
}

Graph::Graph(std::string name, std::vector<Tensor> tensors, std::vector<Op> ops,
             std::uint64_t kv_window)
    : name_(std::move(name)),
      tensors_(std::move(tensors)),
      ops_(std::move(ops)),
      kv_window_(kv_window),
      dag_(ops_.size()) {
  // The latest writer of each tensor produces what later readers see (the KV cache is written by
  // the step itself before attention reads it). Writers of parts of one tensor (a serving pass's
  // decode and chunk attention, each its rows of the output) run in program order, so the
  // readers after the latest one see every part.
  std::vector<std::optional<OpId>> writer(tensors_.size());
  for (const Op& op : ops_) {
    for (const TensorUse& r : op.reads) {
      if (r.tensor >= tensors_.size())
        ARCHSIM_PANIC(fmt::format("op {} reads unknown tensor {}", op.name, r.tensor));
      if (writer[r.tensor]) boost::add_edge(*writer[r.tensor], op.id, TensorEdge{r.tensor}, dag_);
    }
    for (const TensorUse& w : op.writes) {
      if (writer[w.tensor] && *writer[w.tensor] != op.id)
        boost::add_edge(*writer[w.tensor], op.id, TensorEdge{w.tensor}, dag_);
      writer[w.tensor] = op.id;
    }
  }
  std::vector<Dag::vertex_descriptor> reversed;
  try {
    boost::topological_sort(dag_, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    ARCHSIM_PANIC("graph '" + name_ + "' has a cycle");
  }
  topo_.assign(reversed.rbegin(), reversed.rend());
}

std::optional<TensorId> Graph::findTensor(const std::string& name) const {
  for (const Tensor& t : tensors_) {
    if (t.name == name) return t.id;
  }
  return std::nullopt;
}

std::vector<OpId> Graph::successors(OpId id) const {
  std::vector<OpId> out;
  for (auto [it, end] = boost::out_edges(id, dag_); it != end; ++it) {
    out.push_back(static_cast<OpId>(boost::target(*it, dag_)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<bool> groupedExpertOps(const Graph& g) {
  // An expert op's kind: its position in its expert's chain (gate/up, activation, down), as the
  // builder makes every expert's ops alike.
  std::vector<bool> grouped(g.ops().size(), false);
  std::map<std::pair<int, int>, int> position;  // (layer, expert) -> expert ops seen
  std::set<std::pair<int, int>> launched;       // (layer, position) of a kernel launched
  for (OpId id : g.topologicalOrder()) {
    const Op& o = g.op(id);
    if (o.expert < 0) continue;
    const int kind = position[{o.layer, o.expert}]++;
    grouped[id] = !launched.emplace(o.layer, kind).second;
  }
  return grouped;
}

}  // namespace archsim::graph
