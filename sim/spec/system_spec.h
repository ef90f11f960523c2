// SystemSpec: a validated multi-chip system — one chip type times a hierarchy of levels.
//
// Levels go innermost first: a DGX-H100 is one level (8 chips on an NVSwitch); a GroqRack is a node
// of 8 fully connected chips, then 8 such nodes. The chip count is the product of the level sizes;
// a system with no levels is a single chip.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/time.h"
#include "sim/spec/chip_spec.h"
#include "sim/spec/names.h"

namespace archsim::spec {

enum class TopologyKind { kSwitch, kRing, kFullyConnected, kTorus, kMesh, kDragonfly };
inline constexpr NameTable<TopologyKind, 6> kTopologyNames{
    {{"switch", TopologyKind::kSwitch},
     {"ring", TopologyKind::kRing},
     {"fully_connected", TopologyKind::kFullyConnected},
     {"torus", TopologyKind::kTorus},
     {"mesh", TopologyKind::kMesh},
     {"dragonfly", TopologyKind::kDragonfly}}};
std::string_view topologyName(TopologyKind k);

/// The links each chip uses at one level.
struct LinkSpec {
  std::string port;  // chip port providing the links; empty for a system-provided NIC
  PortKind kind = PortKind::kNvlink;
  std::uint32_t links_per_chip = 0;
  double link_bytes_per_s = 0.0;  // per link, per direction
  Tick latency_ps = 0;
  double energy_j_per_byte = 0.0;
  /// Fraction of the link bandwidth that collectives achieve (protocol overhead; calibrated).
  double achievable_fraction = 1.0;

  double bytesPerSecondPerDirection() const { return link_bytes_per_s * links_per_chip; }
};

struct SwitchSpec {
  double bytes_per_s = 0.0;  // aggregate switching bandwidth; 0 = non-blocking
  Tick latency_ps = 0;
  /// In-network reduction throughput (NVLink SHARP); 0 = the switch cannot reduce.
  double reduce_bytes_per_s = 0.0;
};

enum class AllReduceAlgorithm {
  kAuto,
  kRing,
  kRecursiveDoubling,
  kOneShot,
  kTwoShot,
  kInSwitch,
  kHierarchical
};
inline constexpr NameTable<AllReduceAlgorithm, 7> kAllReduceNames{
    {{"auto", AllReduceAlgorithm::kAuto},
     {"ring", AllReduceAlgorithm::kRing},
     {"recursive_doubling", AllReduceAlgorithm::kRecursiveDoubling},
     {"one_shot", AllReduceAlgorithm::kOneShot},
     {"two_shot", AllReduceAlgorithm::kTwoShot},
     {"in_switch", AllReduceAlgorithm::kInSwitch},
     {"hierarchical", AllReduceAlgorithm::kHierarchical}}};
std::string_view allReduceName(AllReduceAlgorithm a);

/// How the system's communication library runs collectives (calibrated knobs).
struct CollectiveSpec {
  AllReduceAlgorithm all_reduce = AllReduceAlgorithm::kAuto;
  /// Software time once per collective (launch and synchronization of the communication kernel).
  Tick launch_latency_ps = 0;
  /// Software time per algorithm step (the protocol's flag handshake).
  Tick step_latency_ps = 0;
  /// `auto`: messages up to this size use a latency-optimal algorithm.
  std::uint64_t small_message_bytes = 256 * 1024;
  /// Messages are cut into chunks of at most this size and pipelined along multi-hop routes (NCCL:
  /// a 4 MiB buffer in 8 slices).
  std::uint64_t chunk_bytes = 512 * 1024;
};

struct LevelSpec {
  std::string name;
  std::uint32_t size = 0;  // members at this level (chips, or groups of the level below)
  TopologyKind topology = TopologyKind::kSwitch;
  std::vector<std::uint32_t> dims;  // torus / mesh shape; product == size
  LinkSpec link;
  std::optional<SwitchSpec> switch_spec;
};

struct SystemSpec {
  std::string name;
  std::string description;
  ChipSpec chip;
  std::vector<LevelSpec> levels;  // innermost first
  CollectiveSpec collectives;
  std::vector<std::pair<std::string, std::vector<std::string>>> sources;

  std::uint64_t chipCount() const;
};

}  // namespace archsim::spec
