#include "sim/hw/topology.h"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "sim/core/error.h"

namespace archsim::hw {
namespace {

/// Neighbour member indices of `member` at a level (excluding itself).
std::vector<std::uint32_t> neighbours(const spec::LevelSpec& level, std::uint32_t member) {
  std::vector<std::uint32_t> out;
  const std::uint32_t s = level.size;
  switch (level.topology) {
    case spec::TopologyKind::kSwitch:
      break;  // through the switch node
    case spec::TopologyKind::kFullyConnected:
    case spec::TopologyKind::kDragonfly:
      for (std::uint32_t v = 0; v < s; ++v) {
        if (v != member) out.push_back(v);
      }
      break;
    case spec::TopologyKind::kRing:
      out.push_back((member + 1) % s);
      if (s > 2) out.push_back((member + s - 1) % s);
      break;
    case spec::TopologyKind::kTorus:
    case spec::TopologyKind::kMesh: {
      // Member index -> coordinates, innermost dimension first.
      std::vector<std::uint32_t> coord;
      std::uint32_t rest = member;
      for (std::uint32_t d : level.dims) {
        coord.push_back(rest % d);
        rest /= d;
      }
      const bool wrap = level.topology == spec::TopologyKind::kTorus;
      std::uint32_t stride = 1;
      for (std::size_t i = 0; i < level.dims.size(); ++i) {
        const std::uint32_t d = level.dims[i];
        for (int step : {1, -1}) {
          if (d < 2 || (d == 2 && step == -1)) continue;
          const int c = static_cast<int>(coord[i]) + step;
          if (!wrap && (c < 0 || c >= static_cast<int>(d))) continue;
          const std::uint32_t nc =
              static_cast<std::uint32_t>((c + static_cast<int>(d)) % static_cast<int>(d));
          out.push_back(member - coord[i] * stride + nc * stride);
        }
        stride *= d;
      }
      break;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// How many neighbours a member has in the full (unclipped) shape: the chip's links are shared
/// among them.
double linkShares(const spec::LevelSpec& level) {
  switch (level.topology) {
    case spec::TopologyKind::kSwitch:
      return 1.0;
    case spec::TopologyKind::kFullyConnected:
    case spec::TopologyKind::kDragonfly:
      return level.size - 1.0;
    case spec::TopologyKind::kRing:
      return level.size > 2 ? 2.0 : 1.0;
    case spec::TopologyKind::kTorus:
    case spec::TopologyKind::kMesh: {
      double n = 0;
      for (std::uint32_t d : level.dims)
        n += d > 2 ? 2 : d == 2 ? 1 : 0;
      return std::max(1.0, n);
    }
  }
  return 1.0;
}

}  // namespace

Topology::Topology(Simulation& sim, const spec::SystemSpec& system, StatGroup& parent)
    : sim_(sim),
      system_(system),
      chips_(static_cast<std::uint32_t>(system.chipCount())),
      stats_(parent.addGroup("links", "chip-to-chip links, one server per direction")) {
  adjacency_.resize(chips_);
  for (std::size_t l = 0; l < system.levels.size(); ++l) {
    const spec::LevelSpec& level = system.levels[l];
    level_stats_.push_back(
        &stats_.addGroup(level.name, std::string(spec::topologyName(level.topology))));
    const spec::LinkSpec& link = level.link;
    const double per_chip = link.links_per_chip * link.link_bytes_per_s * link.achievable_fraction;
    for (std::uint32_t c = 0; c < chips_; ++c) {
      const std::vector<std::uint32_t> coord = coordinates(c);
      std::uint32_t stride = 1;
      for (std::size_t i = 0; i < l; ++i)
        stride *= system.levels[i].size;
      const std::uint32_t member = coord[l];
      if (level.topology == spec::TopologyKind::kSwitch) {
        std::vector<std::uint32_t> group = coord;
        group[l] = 0;
        auto [it, added] = switch_of_group_.emplace(std::make_pair(l, group),
                                                    static_cast<NodeId>(adjacency_.size()));
        if (added) {
          adjacency_.emplace_back();
          switches_.push_back({l, level.switch_spec.value_or(spec::SwitchSpec{})});
        }
        const NodeId sw_node = it->second;
        const Tick switch_latency = level.switch_spec ? level.switch_spec->latency_ps : 0;
        addLink(c, sw_node, l, per_chip, link.latency_ps, link.energy_j_per_byte);
        addLink(sw_node, c, l, per_chip, link.latency_ps + switch_latency, link.energy_j_per_byte);
        continue;
      }
      const double share = per_chip / linkShares(level);
      for (std::uint32_t v : neighbours(level, member)) {
        addLink(c, c - member * stride + v * stride, l, share, link.latency_ps,
                link.energy_j_per_byte);
      }
    }
  }
  for (auto& adj : adjacency_)
    std::sort(adj.begin(), adj.end());
  std::vector<Eigen::Triplet<double>> triplets;
  for (const Link& link : links_) {
    triplets.emplace_back(static_cast<int>(link.from), static_cast<int>(link.to),
                          static_cast<double>(link.bytes_per_s));
  }
  bandwidth_.resize(static_cast<int>(nodes()), static_cast<int>(nodes()));
  bandwidth_.setFromTriplets(triplets.begin(), triplets.end(),
                             [](double a, double b) { return a + b; });
}

void Topology::addLink(NodeId from, NodeId to, std::size_t level, double bytes_per_s, Tick latency,
                       double energy) {
  const auto id = static_cast<LinkId>(links_.size());
  links_.push_back({from, to, level, serverBytesPerSecond(bytes_per_s), latency, energy});
  servers_.push_back(nullptr);
  if (adjacency_.size() <= std::max(from, to)) adjacency_.resize(std::max(from, to) + 1);
  adjacency_[from].emplace_back(to, id);
}

std::string Topology::nodeName(NodeId n) const {
  return n < chips_ ? fmt::format("c{}", n) : fmt::format("s{}", n - chips_);
}

BandwidthServer& Topology::server(LinkId id) {
  if (servers_.at(id) == nullptr) {
    const Link& l = links_[id];
    servers_[id] = &sim_.add<BandwidthServer>(nodeName(l.from) + "-" + nodeName(l.to),
                                              *level_stats_[l.level], l.bytes_per_s, l.latency_ps);
  }
  return *servers_[id];
}

std::vector<const BandwidthServer*> Topology::usedSwitchServers() const {
  std::vector<const BandwidthServer*> out;
  for (const SwitchNode& sw : switches_) {
    if (sw.forward != nullptr) out.push_back(sw.forward);
    if (sw.reduce != nullptr) out.push_back(sw.reduce);
  }
  return out;
}

BandwidthServer* Topology::forwarder(NodeId switch_node) {
  SwitchNode& sw = switches_.at(switch_node - chips_);
  if (sw.spec.bytes_per_s <= 0) return nullptr;
  if (sw.forward == nullptr) {
    sw.forward =
        &sim_.add<BandwidthServer>(nodeName(switch_node) + "_forward", *level_stats_[sw.level],
                                   serverBytesPerSecond(sw.spec.bytes_per_s), 0);
  }
  return sw.forward;
}

double Topology::energyPerByte(NodeId src, NodeId dst) {
  double e = 0.0;
  for (LinkId id : route(src, dst))
    e += links_[id].energy_j_per_byte;
  return e;
}

std::vector<std::uint32_t> Topology::coordinates(std::uint32_t chip) const {
  std::vector<std::uint32_t> out;
  for (const spec::LevelSpec& level : system_.levels) {
    out.push_back(chip % level.size);
    chip /= level.size;
  }
  return out;
}

std::optional<NodeId> Topology::switchOf(std::uint32_t chip, std::size_t level) const {
  std::vector<std::uint32_t> group = coordinates(chip);
  if (level >= group.size()) return std::nullopt;
  group[level] = 0;
  const auto it = switch_of_group_.find({level, group});
  if (it == switch_of_group_.end()) return std::nullopt;
  return it->second;
}

BandwidthServer* Topology::reducer(NodeId switch_node) {
  if (switch_node < chips_) return nullptr;
  SwitchNode& sw = switches_.at(switch_node - chips_);
  if (sw.spec.reduce_bytes_per_s <= 0) return nullptr;
  if (sw.reduce == nullptr) {
    sw.reduce =
        &sim_.add<BandwidthServer>(nodeName(switch_node) + "_reduce", *level_stats_[sw.level],
                                   serverBytesPerSecond(sw.spec.reduce_bytes_per_s), 0);
  }
  return sw.reduce;
}

int Topology::commonLevel(std::uint32_t a, std::uint32_t b) const {
  const auto ca = coordinates(a), cb = coordinates(b);
  for (int l = static_cast<int>(ca.size()) - 1; l >= 0; --l) {
    if (ca[static_cast<std::size_t>(l)] != cb[static_cast<std::size_t>(l)]) return l;
  }
  return -1;
}

const std::vector<LinkId>& Topology::route(NodeId src, NodeId dst) {
  const std::uint64_t key = static_cast<std::uint64_t>(src) * nodes() + dst;
  if (const auto it = routes_.find(key); it != routes_.end()) return it->second;
  // Breadth-first search; neighbours in node order, so ties go to the lowest node id.
  std::vector<LinkId> via(nodes(), 0);
  std::vector<bool> seen(nodes(), false);
  std::deque<NodeId> queue{src};
  seen[src] = true;
  while (!queue.empty() && !seen[dst]) {
    const NodeId n = queue.front();
    queue.pop_front();
    for (const auto& [next, link] : adjacency_[n]) {
      if (seen[next]) continue;
      seen[next] = true;
      via[next] = link;
      queue.push_back(next);
    }
  }
  if (!seen[dst]) ARCHSIM_PANIC(fmt::format("no route from node {} to node {}", src, dst));
  std::vector<LinkId> path;
  for (NodeId n = dst; n != src; n = links_[via[n]].from)
    path.push_back(via[n]);
  std::reverse(path.begin(), path.end());
  return routes_.emplace(key, std::move(path)).first->second;
}

Tick Topology::send(NodeId src, NodeId dst, std::uint64_t bytes, Tick earliest,
                    std::uint64_t chunk) {
  Tick start = std::max(earliest, sim_.now());
  if (src == dst || bytes == 0) return start;
  const std::uint64_t piece = std::max<std::uint64_t>(1, std::min(chunk, bytes));
  Tick done = start;
  for (LinkId id : route(src, dst)) {
    BandwidthServer& hop = server(id);
    // The whole message occupies the hop; the next hop can start when the first chunk is across.
    const Tick hop_start = std::max(start, hop.busyUntil());
    const Tick piece_ticks = transferTicks(piece, hop.bytesPerSecond());
    // The last byte cannot leave this hop before it arrived from the previous one.
    done = std::max(hop.reserveAt(start, bytes), done + piece_ticks + hop.latency());
    start = hop_start + piece_ticks + hop.latency();
    // A route through a blocking switch also crosses the switch's own forwarding bandwidth.
    if (links_[id].to >= chips_) {
      if (BandwidthServer* fwd = forwarder(links_[id].to))
        done = std::max(done, fwd->reserveAt(start, bytes));
    }
  }
  return done;
}

}  // namespace archsim::hw
