#include "sim/graph/fusion.h"

#include <algorithm>
#include <optional>

namespace archsim::graph {
namespace {

void addRead(Op& op, const TensorUse& use) {
  for (TensorUse& r : op.reads) {
    if (r.tensor == use.tensor) {
      // Reading two parts of one tensor: the fused kernel reads the larger span once.
      if (use.bytes.fixed + use.bytes.per_kv > r.bytes.fixed + r.bytes.per_kv) r.bytes = use.bytes;
      return;
    }
  }
  op.reads.push_back(use);
}

}  // namespace

void fuseElementwise(std::vector<Op>& ops, const std::vector<Tensor>& tensors) {
  std::vector<std::optional<std::size_t>> producer(tensors.size());
  std::vector<bool> alive(ops.size(), true);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    Op& x = ops[i];
    std::optional<std::size_t> target;
    if (isElementwiseKind(x.kind) && !x.own_kernel) {
      for (const TensorUse& r : x.reads) {
        if (tensors[r.tensor].role == TensorRole::kActivation && producer[r.tensor]) {
          target = std::max(target.value_or(0), *producer[r.tensor]);
        }
      }
    }
    // A collective runs on the links: an elementwise op after it stays a kernel of its own.
    if (target && ops[*target].kind == OpKind::kCollective) target.reset();
    if (!target) {
      for (const TensorUse& w : x.writes)
        producer[w.tensor] = i;
      continue;
    }
    Op& p = ops[*target];
    for (const TensorUse& r : x.reads) {
      if (producer[r.tensor] != target) addRead(p, r);
    }
    for (const TensorUse& w : x.writes) {
      p.writes.push_back(w);
      producer[w.tensor] = *target;
    }
    p.vector_flops += x.vector_flops;
    if (x.attention && !p.attention) p.attention = x.attention;  // it now writes the KV cache
    p.fused.push_back(x.name);
    for (const std::string& inner : x.fused)
      p.fused.push_back(inner);
    alive[i] = false;
  }

  // Intermediates a fused op both writes and would be the only one to see are never materialized.
  std::vector<std::size_t> readers(tensors.size(), 0);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!alive[i]) continue;
    for (const TensorUse& r : ops[i].reads)
      ++readers[r.tensor];
  }
  std::vector<Op> kept;
  kept.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!alive[i]) continue;
    Op& op = ops[i];
    if (!op.fused.empty()) {
      std::erase_if(op.writes, [&](const TensorUse& w) {
        return tensors[w.tensor].role == TensorRole::kActivation && readers[w.tensor] == 0;
      });
    }
    op.id = static_cast<OpId>(kept.size());
    kept.push_back(std::move(op));
  }
  ops = std::move(kept);
}

}  // namespace archsim::graph
