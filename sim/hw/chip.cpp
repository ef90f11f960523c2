#include "sim/hw/chip.h"

#include "sim/core/error.h"

namespace archsim::hw {

MemoryLevel::MemoryLevel(Simulation& sim, const spec::MemoryLevelSpec& spec, std::size_t index,
                         StatGroup& parent)
    : spec_(&spec), index_(index) {
  if (spec.kind == spec::MemoryKind::kDram) {
    const spec::DramSpec& d = *spec.dram;
    channels_ = &sim.add<ChannelGroup>(
        spec.name, parent, d.channels, d.interleave_bytes,
        serverBytesPerSecond(d.channel_bytes_per_s * spec.achievable_fraction * d.dataShare()),
        spec.latency_ps);
  } else {
    port_ = &sim.add<BandwidthServer>(
        spec.name, parent, serverBytesPerSecond(spec.achievableBandwidth()), spec.latency_ps);
  }
  if (spec.kind == spec::MemoryKind::kCache) {
    cache_ = makeTileCache(spec.size_bytes, kCacheBlockBytes, spec.cache->policy);
  }
}

Tick MemoryLevel::transfer(std::uint64_t address, std::uint64_t bytes) {
  return channels_ != nullptr ? channels_->reserve(address, bytes) : port_->reserve(bytes);
}

double MemoryLevel::effectiveBandwidth() const {
  if (channels_ != nullptr) {
    return static_cast<double>(channels_->channelBytesPerSecond()) * channels_->channels();
  }
  return static_cast<double>(port_->bytesPerSecond());
}

const Activity& MemoryLevel::activity() const {
  return channels_ != nullptr ? channels_->activity() : port_->activity();
}

std::uint64_t MemoryLevel::bytesMoved() const {
  return channels_ != nullptr ? channels_->bytesMoved() : port_->bytes();
}

Chip::Chip(Simulation& sim, const spec::ChipSpec& spec, StatGroup& parent, const std::string& name)
    : spec_(spec), name_(name), stats_(parent.addGroup(name, spec.name)) {
  clock_ = &sim.addClock(name + ".clock", spec.clock_hz);
  matrix_ = &sim.add<UnitPool>("matrix_units", stats_, spec.matrix.units);
  vector_ = &sim.add<UnitPool>("vector_units", stats_, spec.vector.units);
  StatGroup& memory = stats_.addGroup("memory", "memory levels, near -> far");
  for (std::size_t i = 0; i < spec.memory.size(); ++i) {
    levels_.push_back(std::make_unique<MemoryLevel>(sim, spec.memory[i], i, memory));
    MemoryLevel* level = levels_.back().get();
    if (level->isCache()) caches_.push_back(level);
    if (level->isDram() && dram_ == nullptr) dram_ = level;
  }
}

}  // namespace archsim::hw
