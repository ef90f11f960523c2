// Topology: the chips of a system, the switches between them, and every link direction as a
// BandwidthServer, so concurrent traffic contends.
//
// A chip's coordinates are its digits in the level hierarchy (innermost level first). At each
// level, a chip connects to the chips that differ from it in that level's digit only ("rails": the
// same position in every member), as the level's topology says:
//   switch          — one switch per rail group; each chip has `links` x link bandwidth to it, the
//                     switch forwards at its own bandwidth (0: non-blocking) and adds its latency;
//   fully_connected, dragonfly — a direct link to every other member, the chip's links shared
//                     equally among them (dragonfly: the global links of a software-scheduled
//                     network);
//   ring            — links to the two neighbours (one when the level has two members);
//   torus, mesh     — links to the +-1 neighbours in each dimension (torus wraps around).
// Link bandwidths are at the level's achievable fraction. The adjacency (bandwidth per direction)
// is an Eigen sparse matrix; routes are shortest paths by hop count (ties to the lowest node id).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <Eigen/SparseCore>

#include "sim/core/bandwidth_server.h"
#include "sim/core/simulation.h"
#include "sim/spec/system_spec.h"

namespace archsim::hw {

using LinkId = std::uint32_t;
using NodeId = std::uint32_t;

class Topology {
 public:
  struct Link {
    NodeId from;
    NodeId to;
    std::size_t level;
    std::uint64_t bytes_per_s;  // at the achievable fraction
    Tick latency_ps;
    double energy_j_per_byte;
  };

  /// Describes every link; a link's BandwidthServer (a component of `sim`, with stats under
  /// parent/"links"/level) is created when traffic first uses it, so a 576-chip system costs only
  /// the links a run touches.
  Topology(Simulation& sim, const spec::SystemSpec& system, StatGroup& parent);
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  std::uint32_t chips() const { return chips_; }
  std::uint32_t nodes() const { return static_cast<std::uint32_t>(adjacency_.size()); }
  const std::vector<Link>& links() const { return links_; }
  const Link& link(LinkId id) const { return links_.at(id); }
  /// The link's server (created on first use).
  BandwidthServer& server(LinkId id);
  /// The link's server if traffic has used it, else nullptr.
  const BandwidthServer* usedServer(LinkId id) const { return servers_.at(id); }
  /// "c0-s1": the link's endpoints (chips c<i>, switches s<j>).
  std::string linkName(LinkId id) const {
    return nodeName(links_.at(id).from) + "-" + nodeName(links_.at(id).to);
  }
  /// Switch forwarding and in-network reduction servers that traffic has used, with their names.
  std::vector<const BandwidthServer*> usedSwitchServers() const;
  /// Per-direction bandwidth between nodes (0: no link), bytes/s at the achievable fraction.
  const Eigen::SparseMatrix<double>& bandwidth() const { return bandwidth_; }
  /// The links from `src` to `dst` (chips or switches), shortest by hops, cached.
  const std::vector<LinkId>& route(NodeId src, NodeId dst);
  /// Members of level `l` (its size).
  std::uint32_t levelSize(std::size_t l) const { return system_.levels.at(l).size; }
  /// The chip's digit at each level.
  std::vector<std::uint32_t> coordinates(std::uint32_t chip) const;
  /// The switch serving `chip` at `level`, if that level is a switch.
  std::optional<NodeId> switchOf(std::uint32_t chip, std::size_t level) const;
  /// Whether a switch node can reduce in the network.
  bool canReduce(NodeId node) const {
    return node >= chips_ && switches_.at(node - chips_).spec.reduce_bytes_per_s > 0;
  }
  /// A switch's in-network reduction server, if it can reduce.
  BandwidthServer* reducer(NodeId switch_node);
  /// Link energy of moving one byte from `src` to `dst` along the route.
  double energyPerByte(NodeId src, NodeId dst);
  /// The level at which two chips first differ (their lowest common level); -1 for the same chip.
  int commonLevel(std::uint32_t a, std::uint32_t b) const;

  /// Sends `bytes` from `src` to `dst` along the route, cut-through in chunks of `chunk` bytes:
  /// hop k may start once the first chunk has crossed hop k-1. Starts at `earliest` (>= now);
  /// returns the tick the last byte arrives.
  Tick send(NodeId src, NodeId dst, std::uint64_t bytes, Tick earliest, std::uint64_t chunk);

 private:
  void addLink(NodeId from, NodeId to, std::size_t level, double bytes_per_s, Tick latency,
               double energy);
  std::string nodeName(NodeId n) const;

  Simulation& sim_;
  const spec::SystemSpec& system_;
  std::uint32_t chips_;
  StatGroup& stats_;
  std::vector<StatGroup*> level_stats_;
  std::vector<std::vector<std::pair<NodeId, LinkId>>> adjacency_;  // sorted by neighbour
  std::vector<Link> links_;
  std::vector<BandwidthServer*> servers_;  // by link; null until first used
  Eigen::SparseMatrix<double> bandwidth_;
  std::map<std::pair<std::size_t, std::vector<std::uint32_t>>, NodeId> switch_of_group_;
  struct SwitchNode {
    std::size_t level;
    spec::SwitchSpec spec;
    BandwidthServer* forward = nullptr;  // the switch's own bandwidth (created on first use)
    BandwidthServer* reduce = nullptr;   // in-network reduction
  };
  std::vector<SwitchNode> switches_;  // by node - chips_
  BandwidthServer* forwarder(NodeId switch_node);
  std::map<std::uint64_t, std::vector<LinkId>> routes_;
};

}  // namespace archsim::hw
