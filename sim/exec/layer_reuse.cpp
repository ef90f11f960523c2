#include "sim/exec/layer_reuse.h"

#include <fmt/format.h>

namespace archsim::exec {
namespace {

void extent(std::string& s, graph::Extent e) {
  s += fmt::format("{}+{}L,", e.fixed, e.per_kv);
}

void use(std::string& s, const graph::Graph& g, const graph::TensorUse& u,
         const map::Placement& placement) {
  const graph::Tensor& t = g.tensor(u.tensor);
  const map::TensorHome& home = placement.home(placement.stable(g, u.tensor));
  s += fmt::format("{}@{}:{}[", static_cast<int>(t.role), home.level, t.format.str());
  for (std::int64_t d : t.shape)
    s += fmt::format("{},", d);
  s += "]";
  extent(s, u.bytes);
}

/// What determines an op's timing, apart from the state it starts in.
void signature(std::string& s, const graph::Graph& g, const graph::Op& op,
               const map::Placement& placement) {
  s += fmt::format("{}/{}/{}|", static_cast<int>(op.kind), static_cast<int>(op.compute),
                   op.fused.size());
  extent(s, op.matrix_flops);
  extent(s, op.vector_flops);
  if (op.matmul) {
    extent(s, op.matmul->batch);
    extent(s, op.matmul->m);
    extent(s, op.matmul->n);
    extent(s, op.matmul->k);
  }
  if (op.attention) {
    const graph::AttentionGeometry& a = *op.attention;
    s += fmt::format("att{},{},{},{},{},{},{},{},{}|", a.sequences, a.kv_heads, a.group, a.head_dim,
                     a.query_rows, a.decode, a.causal, a.window, a.prior);
  }
  if (op.collective) {
    s += fmt::format("coll{}|", static_cast<int>(op.collective->kind));
    extent(s, op.collective->bytes);
  }
  s += "r:";
  for (const graph::TensorUse& u : op.reads)
    use(s, g, u, placement);
  s += "w:";
  for (const graph::TensorUse& u : op.writes)
    use(s, g, u, placement);
  s += ";";
}

}  // namespace

std::vector<LayerRange> layerRanges(const graph::Graph& g, const std::vector<graph::OpId>& order,
                                    const map::Placement& placement) {
  std::vector<LayerRange> out;
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const graph::Op& op = g.op(order[pos]);
    if (op.layer < 0) continue;
    if (out.empty() || out.back().layer != op.layer) {
      for (const LayerRange& r : out) {
        if (r.layer == op.layer) return {};  // the layer's ops are split: no reuse
      }
      out.push_back({op.layer, pos, pos, ""});
    }
    if (out.back().end != pos) return {};  // an op of another part inside the layer
    out.back().end = pos + 1;
    signature(out.back().signature, g, op, placement);
  }
  return out;
}

}  // namespace archsim::exec
