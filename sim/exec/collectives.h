// Collectives on the topology: all-reduce, all-gather, reduce-scatter, all-to-all, send/recv.
//
// A collective starts after the library's launch latency; it is then a sequence of algorithm steps:
// in each step every rank sends over its route (link servers reserved, cut-through in chunks), and
// the next step begins when the slowest transfer of the step has arrived, after the library's
// per-step latency. One event per step. Ranks move in lockstep, which is exact on a symmetric idle
// system and lets concurrent collectives contend on shared links. Algorithms (S the per-rank
// buffer, n ranks; "one hop apart": every pair joined by a direct link or one shared switch):
//   all-reduce  ring: 2(n-1) steps of S/n to the next rank;  recursive_doubling: log2 n steps of S
//               with rank ^ 2^k;  one_shot: every rank sends S to every other (one step);
//               two_shot: a reduce-scatter then an all-gather through the switch, S/n per pair
//               each; in_switch: every rank sends S up, the switch reduces (its reduce bandwidth),
//               and multicasts S back (NVLink SHARP);  auto: one_shot when one hop apart, else
//               recursive doubling, up to the small-message size; above it in_switch where the
//               ranks' switch reduces, else hierarchical across nodes, else ring.
//               hierarchical (ranks in G nodes of g): a ring inside every node and a ring across
//               nodes among the ranks of the same position (the rails, S/g each), pipelined in
//               chunks as NCCL does, so both run at once: one step of 2(g-1)/g S to the next rank
//               in the node and 2(G-1)/G S/g to the next node, charged 2(g-1) + 2(G-1) step
//               latencies.
//   all-gather, reduce-scatter: up to the small-message size and one hop apart, direct (one step,
//   S/n to every other rank); else ring, n-1 steps of S/n.  all-to-all: one step, S/n to each
//   other rank.  send/recv: ranks[0] -> ranks[1], S.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/core/callback.h"
#include "sim/core/simulation.h"
#include "sim/graph/op.h"
#include "sim/hw/topology.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {

using graph::CollectiveKind;

/// The rate a chip's vector units add `element` data into a buffer (one add per element).
double rankReduceBytesPerSecond(const spec::ChipSpec& chip, spec::DType element);

struct CollectiveRequest {
  CollectiveKind kind = CollectiveKind::kAllReduce;
  std::vector<std::uint32_t> ranks;  // chip ids, in ring order
  std::uint64_t bytes = 0;           // see the header comment for each kind
};

/// What a started collective will move: the algorithm, bytes put on links by all ranks (each hop
/// of a route counted once per message), and the link energy.
struct CollectiveCost {
  std::string_view algorithm;
  std::uint64_t bytes_sent = 0;
  double energy_j = 0.0;
};

class CollectiveEngine {
 public:
  /// `reduce_bytes_per_s`: how fast a rank adds received data into its buffer (its vector units;
  /// 0: never binding). A rank reduces what arrives as it arrives, so a step ends no earlier than
  /// its reductions take from the step's start.
  CollectiveEngine(Simulation& sim, hw::Topology& topology, const spec::CollectiveSpec& spec,
                   double reduce_bytes_per_s = 0.0);

  /// Starts `request` now; calls done(arg) when every rank has finished.
  CollectiveCost start(const CollectiveRequest& request, Callback done, std::uint64_t arg = 0);

 private:
  struct Send {
    std::uint32_t src;
    std::uint32_t dst;
    std::uint64_t bytes;
  };
  struct Step {
    std::vector<Send> sends;
    hw::NodeId reduce_switch = 0;  // in_switch: the switch that reduces (0: none)
    std::uint64_t reduce_bytes = 0;
    std::uint64_t rank_reduce_bytes = 0;  // each rank adds this much received data into its buffer
    std::uint32_t latency_steps = 1;  // algorithm steps this step stands for (step latency each)
  };
  struct Running {
    std::vector<Step> steps;
    std::size_t next = 0;
    Callback done;
    std::uint64_t arg = 0;
    bool active = false;
  };

  std::string_view plan(const CollectiveRequest& r, std::vector<Step>& steps);
  std::optional<hw::NodeId> sharedReducingSwitch(const std::vector<std::uint32_t>& ranks,
                                                 bool need_reducer) const;
  /// Whether every two of `ranks` share a direct link of their own (a full mesh, no switch).
  bool directlyLinked(const std::vector<std::uint32_t>& ranks) const;
  /// The ranks grouped by their innermost topology group (node), when every group holds the same
  /// number of them and there are at least two groups of two or more.
  std::optional<std::vector<std::vector<std::uint32_t>>> nodeGroups(
      const std::vector<std::uint32_t>& ranks) const;
  void onStep(std::uint64_t id);

  Simulation& sim_;
  hw::Topology& topology_;
  spec::CollectiveSpec spec_;
  double reduce_bytes_per_s_ = 0.0;
  std::vector<Running> running_;
  std::vector<std::uint64_t> free_;
};

}  // namespace archsim::exec
