// Chip: the simulated hardware of one chip, built from a ChipSpec inside a Simulation.
//
// Components (owned by the Simulation, registered under the chip's stat group):
//   matrix and vector UnitPools — one unit per matrix/vector unit of the spec;
//   one MemoryLevel per spec level: SRAM, cache and host levels serve through one BandwidthServer
//   at peak x achievable_fraction; DRAM through a ChannelGroup of its channels (per-channel
//   bandwidth x achievable_fraction, its interleave granule); caches also hold a TileCache.
// Lifecycle: construct -> (executor issues tile work) -> finalize with the Simulation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/bandwidth_server.h"
#include "sim/core/channel_group.h"
#include "sim/core/clock_domain.h"
#include "sim/core/simulation.h"
#include "sim/core/unit_pool.h"
#include "sim/hw/tile_cache.h"
#include "sim/spec/chip_spec.h"

namespace archsim::hw {

class MemoryLevel {
 public:
  MemoryLevel(Simulation& sim, const spec::MemoryLevelSpec& spec, std::size_t index,
              StatGroup& parent);

  const spec::MemoryLevelSpec& spec() const { return *spec_; }
  std::size_t index() const { return index_; }
  const std::string& name() const { return spec_->name; }
  bool isDram() const { return channels_ != nullptr; }
  bool isCache() const { return cache_ != nullptr; }
  TileCache* cache() { return cache_.get(); }

  /// Reserves the level for moving `bytes` at `address` (addresses matter only for DRAM
  /// interleaving); returns the tick the last byte arrives.
  Tick transfer(std::uint64_t address, std::uint64_t bytes);
  /// The bandwidth transfers actually get (peak x achievable fraction).
  double effectiveBandwidth() const;
  Tick latency() const { return spec_->latency_ps; }
  /// Busy time of the level's port (capacity 1) or channels (capacity: the channel count).
  const Activity& activity() const;
  /// Bytes moved through the level in the stats window.
  std::uint64_t bytesMoved() const;

 private:
  const spec::MemoryLevelSpec* spec_;
  std::size_t index_;
  BandwidthServer* port_ = nullptr;
  ChannelGroup* channels_ = nullptr;
  std::unique_ptr<TileCache> cache_;
};

class Chip {
 public:
  Chip(Simulation& sim, const spec::ChipSpec& spec, StatGroup& parent, const std::string& name);
  Chip(const Chip&) = delete;
  Chip& operator=(const Chip&) = delete;

  const spec::ChipSpec& spec() const { return spec_; }
  const std::string& name() const { return name_; }
  const ClockDomain& clock() const { return *clock_; }
  UnitPool& matrixUnits() { return *matrix_; }
  UnitPool& vectorUnits() { return *vector_; }
  std::vector<std::unique_ptr<MemoryLevel>>& levels() { return levels_; }
  MemoryLevel& level(std::size_t i) { return *levels_.at(i); }
  /// Cache levels in order near -> far.
  const std::vector<MemoryLevel*>& caches() const { return caches_; }
  /// The first DRAM level, or nullptr.
  MemoryLevel* dram() { return dram_; }
  StatGroup& stats() { return stats_; }

 private:
  const spec::ChipSpec& spec_;
  std::string name_;
  StatGroup& stats_;
  ClockDomain* clock_;
  UnitPool* matrix_;
  UnitPool* vector_;
  std::vector<std::unique_ptr<MemoryLevel>> levels_;
  std::vector<MemoryLevel*> caches_;
  MemoryLevel* dram_ = nullptr;
};

}  // namespace archsim::hw
