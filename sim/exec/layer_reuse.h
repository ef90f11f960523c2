// Layer reuse: a transformer's layers repeat, and on a kernel-style chip (ops one after another,
// a barrier between them) a layer is a contiguous stretch of time whose work depends only on what
// it computes, where its tensors live and the state the layer before leaves. So the executor
// simulates the first two layers of every run of identical layers in a step, then replays the
// second — its op records, stats and busy time (Simulation::replay) — for the rest. `exact`
// (ExecOptions) turns it off.
//
// Identical means equal signatures: every op in order with its kind, formats, FLOPs, matmul and
// attention shapes, collective call, and every tensor use with its role, shape, bytes and home
// level. Dataflow chips overlap ops across layers and are always simulated op by op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/map/placement.h"

namespace archsim::exec {

struct LayerRange {
  int layer = -1;
  std::size_t begin = 0;  // positions in the op order, [begin, end)
  std::size_t end = 0;
  std::string signature;
};

/// The layers of `g` in `order`, each a contiguous range of positions; empty when some layer's
/// ops are not contiguous in `order` (then nothing is reused).
std::vector<LayerRange> layerRanges(const graph::Graph& g, const std::vector<graph::OpId>& order,
                                    const map::Placement& placement);

}  // namespace archsim::exec
