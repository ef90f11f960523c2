#include "sim/graph/dot.h"

#include <set>
#include <utility>

#include <fmt/format.h>

#include "sim/spec/units.h"

namespace archsim::graph {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void writeDot(const Graph& g, std::uint64_t kv_length, std::ostream& out) {
  const std::uint64_t kv = g.effectiveKv(kv_length);
  int last_layer = -1;
  for (const Op& op : g.ops())
    last_layer = std::max(last_layer, op.layer);
  // Ops of layers >= 1 collapse into one node, "collapsed".
  auto node = [&](OpId id) {
    const Op& op = g.op(id);
    return op.layer >= 1 ? std::string("collapsed") : fmt::format("op{}", id);
  };
  out << "digraph \"" << escape(g.name()) << "\" {\n";
  out << "  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  for (const Op& op : g.ops()) {
    if (op.layer >= 1) continue;
    const double flops = static_cast<double>(op.flops().at(kv));
    const double bytes = static_cast<double>(op.bytesRead().at(kv) + op.bytesWritten().at(kv));
    std::string label = fmt::format("{}\\n{}", escape(op.name), opKindName(op.kind));
    if (!op.fused.empty()) label += fmt::format(" (+{} fused)", op.fused.size());
    label += fmt::format("\\n{}, {}\\n{:.3g} FLOP/B", spec::formatSi(flops, "FLOP"),
                         spec::formatQuantity(bytes, spec::Dimension::kSize),
                         bytes > 0 ? flops / bytes : 0.0);
    out << fmt::format("  op{} [label=\"{}\"];\n", op.id, label);
  }
  if (last_layer >= 1) {
    out << fmt::format(
        "  collapsed [shape=box3d, label=\"layers 1..{}\\n({} more layers like layer 0)\"];\n",
        last_layer, last_layer);
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (auto [it, end] = boost::edges(g.dag()); it != end; ++it) {
    const auto from = node(static_cast<OpId>(boost::source(*it, g.dag())));
    const auto to = node(static_cast<OpId>(boost::target(*it, g.dag())));
    if (from == to || !seen.insert({from, to}).second) continue;
    const std::string& tensor = g.tensor(g.dag()[*it].tensor).name;
    out << fmt::format("  {} -> {} [label=\"{}\", fontsize=8];\n", from, to,
                       from == "collapsed" || to == "collapsed" ? std::string() : escape(tensor));
  }
  out << "}\n";
}

}  // namespace archsim::graph
