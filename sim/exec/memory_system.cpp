#include "sim/exec/memory_system.h"

#include <algorithm>

#include "sim/core/error.h"

namespace archsim::exec {

MemorySystem::MemorySystem(hw::Chip& chip, const map::Placement& placement)
    : chip_(chip), placement_(placement) {}

void MemorySystem::charge(std::size_t level, std::uint64_t bytes, bool write, std::size_t role,
                          OpCounters& counters) {
  LevelTraffic& t = counters.level[level];
  (write ? t.written : t.read) += bytes;
  t.by_role[role] += bytes;
  counters.energy_j += static_cast<double>(bytes) * chip_.level(level).spec().energy_j_per_byte;
}

Tick MemorySystem::readStaged(std::size_t level, map::StableId tensor, std::uint64_t bytes,
                              OpCounters& counters) {
  charge(level, bytes, false, roleIndex(placement_.home(tensor).role), counters);
  return chip_.level(level).transfer(0, bytes);
}

Tick MemorySystem::dramTransfer(std::uint64_t address, std::uint64_t bytes, bool write,
                                std::size_t role, OpCounters& counters) {
  hw::MemoryLevel* dram = chip_.dram();
  if (dram == nullptr) ARCHSIM_PANIC("a DRAM-homed tensor on a chip without DRAM");
  charge(dram->index(), bytes, write, role, counters);
  return dram->transfer(address, bytes);
}

std::uint64_t MemorySystem::lookup(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes,
                                   std::size_t role, OpCounters* counters) {
  const auto& caches = chip_.caches();
  hit_bytes_.assign(caches.size(), 0);
  pending_.assign(1, Segment{offset, offset + bytes, 0});
  std::uint64_t writeback = 0;
  for (std::size_t c = 0; c < caches.size() && !pending_.empty(); ++c) {
    missed_.clear();
    for (const Segment& seg : pending_) {
      runs_.clear();
      writeback += caches[c]->cache()->accessRange(tensor, seg.lo, seg.hi - seg.lo, false, runs_);
      std::uint64_t lo = seg.lo;
      for (const hw::TileCache::Run& run : runs_) {
        if (run.hit) {
          hit_bytes_[c] += run.bytes;
          if (counters != nullptr) {
            counters->hits[role] += run.blocks;
            counters->hit_bytes[role] += run.bytes;
          }
        } else {
          missed_.push_back(Segment{lo, lo + run.bytes, run.blocks});
        }
        lo += run.bytes;
      }
    }
    std::swap(pending_, missed_);
  }
  return writeback;
}

Tick MemorySystem::read(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes,
                        OpCounters& counters) {
  if (bytes == 0) return chip_.level(0).latency();
  const map::TensorHome& home = placement_.home(tensor);
  hw::MemoryLevel& level = chip_.level(home.level);
  if (!level.isDram()) {
    charge(level.index(), bytes, false, roleIndex(home.role), counters);
    return level.transfer(home.address + offset, bytes);
  }
  const auto& caches = chip_.caches();
  if (caches.empty())
    return dramTransfer(home.address + offset, bytes, false, roleIndex(home.role), counters);

  // Every cache in turn, nearest first, looks up what the nearer ones missed; what all missed
  // comes from DRAM, one transfer per run of consecutive missed blocks.
  const std::size_t role = roleIndex(home.role);
  const std::uint64_t writeback = lookup(tensor, offset, bytes, role, &counters);
  Tick ready = 0;
  for (const Segment& miss : pending_) {
    counters.misses[role] += miss.blocks;
    counters.miss_bytes[role] += miss.hi - miss.lo;
    ready = std::max(
        ready, dramTransfer(home.address + miss.lo, miss.hi - miss.lo, false, role, counters));
  }
  for (std::size_t c = 0; c < caches.size(); ++c) {
    if (hit_bytes_[c] == 0) continue;
    charge(caches[c]->index(), hit_bytes_[c], false, role, counters);
    ready = std::max(ready, caches[c]->transfer(0, hit_bytes_[c]));
  }
  if (writeback > 0) writeBack(writeback, counters);
  return ready;
}

std::uint64_t MemorySystem::touch(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes,
                                  bool write) {
  const map::TensorHome& home = placement_.home(tensor);
  const auto& caches = chip_.caches();
  if (bytes == 0 || !chip_.level(home.level).isDram() || caches.empty()) return 0;
  if (write) {
    runs_.clear();
    return caches.front()->cache()->accessRange(tensor, offset, bytes, true, runs_);
  }
  return lookup(tensor, offset, bytes, roleIndex(home.role), nullptr);
}

Tick MemorySystem::writeBack(std::uint64_t bytes, OpCounters& counters) {
  const Tick done = dramTransfer(writeback_cursor_, bytes, true, kWritebackRole, counters);
  writeback_cursor_ += bytes;
  return done;
}

void MemorySystem::clearCaches() {
  for (hw::MemoryLevel* cache : chip_.caches())
    cache->cache()->clear();
}

Tick MemorySystem::write(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes,
                         OpCounters& counters) {
  if (bytes == 0) return chip_.level(0).latency();
  const map::TensorHome& home = placement_.home(tensor);
  hw::MemoryLevel& level = chip_.level(home.level);
  if (!level.isDram()) {
    charge(level.index(), bytes, true, roleIndex(home.role), counters);
    return level.transfer(home.address + offset, bytes);
  }
  const auto& caches = chip_.caches();
  if (caches.empty())
    return dramTransfer(home.address + offset, bytes, true, roleIndex(home.role), counters);
  hw::MemoryLevel& nearest = *caches.front();
  runs_.clear();
  const std::uint64_t writeback = nearest.cache()->accessRange(tensor, offset, bytes, true, runs_);
  charge(nearest.index(), bytes, true, roleIndex(home.role), counters);
  const Tick ready = nearest.transfer(0, bytes);
  if (writeback > 0) writeBack(writeback, counters);
  return ready;
}

}  // namespace archsim::exec
