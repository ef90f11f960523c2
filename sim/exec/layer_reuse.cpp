#include "sim/exec/layer_reuse.h"

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace archsim::exec {
namespace {

// Signatures are compared, never shown: values go in as raw bytes (fast; formatting them as text
// took a sixth of a serving pass's simulation).
template <class T>
requires std::is_integral_v<T> || std::is_enum_v<T>
void put(std::string& s, T v) {
  const auto x = static_cast<std::uint64_t>(v);
  s.append(reinterpret_cast<const char*>(&x), sizeof x);
}

void put(std::string& s, std::string_view text) {
  put(s, text.size());
  s.append(text);
}

void extent(std::string& s, graph::Extent e) {
  put(s, e.fixed);
  put(s, e.per_kv);
}

void use(std::string& s, const graph::Graph& g, const graph::TensorUse& u,
         const map::Placement& placement) {
  const graph::Tensor& t = g.tensor(u.tensor);
  const map::TensorHome& home = placement.home(placement.stable(g, u.tensor));
  put(s, t.role);
  put(s, home.level);
  put(s, t.format.str());
  put(s, t.shape.size());
  for (std::int64_t d : t.shape)
    put(s, d);
  extent(s, u.bytes);
}

/// What determines an op's timing, apart from the state it starts in.
void signature(std::string& s, const graph::Graph& g, const graph::Op& op,
               const map::Placement& placement) {
  put(s, op.kind);
  put(s, op.compute);
  put(s, op.fused.size());
  extent(s, op.matrix_flops);
  extent(s, op.vector_flops);
  put(s, op.matmul.has_value());
  if (op.matmul) {
    extent(s, op.matmul->batch);
    extent(s, op.matmul->m);
    extent(s, op.matmul->n);
    extent(s, op.matmul->k);
  }
  put(s, op.attention.has_value());
  if (op.attention) {
    const graph::AttentionGeometry& a = *op.attention;
    for (std::uint64_t v : {a.sequences, a.kv_heads, a.group, a.head_dim, a.query_rows,
                            std::uint64_t{a.decode}, std::uint64_t{a.causal}, a.window, a.prior})
      put(s, v);
  }
  put(s, op.collective.has_value());
  if (op.collective) {
    put(s, op.collective->kind);
    extent(s, op.collective->bytes);
  }
  put(s, op.reads.size());
  for (const graph::TensorUse& u : op.reads)
    use(s, g, u, placement);
  put(s, op.writes.size());
  for (const graph::TensorUse& u : op.writes)
    use(s, g, u, placement);
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
