// Graphviz output of a graph: the first layer expanded op by op, the other layers collapsed into
// one node, so a 126-layer model stays readable.
#pragma once

#include <ostream>

#include "sim/graph/graph.h"

namespace archsim::graph {

/// Writes `g` in DOT. `kv_length` evaluates KV-dependent FLOPs for the labels.
void writeDot(const Graph& g, std::uint64_t kv_length, std::ostream& out);

}  // namespace archsim::graph
