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

Tick MemorySystem::dramTransfer(std::uint64_t address, std::uint64_t bytes, bool write,
                                std::size_t role, OpCounters& counters) {
  hw::MemoryLevel* dram = chip_.dram();
  if (dram == nullptr) ARCHSIM_PANIC("a DRAM-homed tensor on a chip without DRAM");
  charge(dram->index(), bytes, write, role, counters);
  return dram->transfer(address, bytes);
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

  const std::size_t role = roleIndex(home.role);
  std::vector<std::uint64_t>& hit_bytes = hit_bytes_;
  hit_bytes.assign(caches.size(), 0);
  std::uint64_t writeback = 0;
  Tick ready = 0;
  std::uint64_t run_start = 0;
  std::uint64_t run_bytes = 0;
  auto flushRun = [&] {
    if (run_bytes > 0) {
      ready =
          std::max(ready, dramTransfer(home.address + run_start, run_bytes, false, role, counters));
    }
    run_bytes = 0;
  };
  const std::uint64_t end = offset + bytes;
  for (std::uint64_t block = offset / kBlockBytes; block * kBlockBytes < end; ++block) {
    const std::uint64_t lo = std::max(offset, block * kBlockBytes);
    const std::uint64_t hi = std::min(end, (block + 1) * kBlockBytes);
    const hw::TileKey key{tensor, static_cast<std::uint32_t>(block)};
    bool served = false;
    for (std::size_t c = 0; c < caches.size(); ++c) {
      const hw::TileCache::Access a = caches[c]->cache()->access(key, hi - lo, kBlockBytes, false);
      writeback += a.writeback_bytes;
      if (a.hit) {
        hit_bytes[c] += hi - lo;
        served = true;
        break;
      }
    }
    if (served) {
      ++counters.hits[role];
      counters.hit_bytes[role] += hi - lo;
      flushRun();
    } else {
      ++counters.misses[role];
      counters.miss_bytes[role] += hi - lo;
      if (run_bytes == 0) run_start = lo;
      run_bytes += hi - lo;
    }
  }
  flushRun();
  for (std::size_t c = 0; c < caches.size(); ++c) {
    if (hit_bytes[c] == 0) continue;
    charge(caches[c]->index(), hit_bytes[c], false, role, counters);
    ready = std::max(ready, caches[c]->transfer(0, hit_bytes[c]));
  }
  if (writeback > 0) writeBack(writeback, counters);
  return ready;
}

std::uint64_t MemorySystem::touch(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes,
                                  bool write) {
  const map::TensorHome& home = placement_.home(tensor);
  const auto& caches = chip_.caches();
  if (bytes == 0 || !chip_.level(home.level).isDram() || caches.empty()) return 0;
  std::uint64_t writeback = 0;
  const std::uint64_t end = offset + bytes;
  for (std::uint64_t block = offset / kBlockBytes; block * kBlockBytes < end; ++block) {
    const std::uint64_t size =
        std::min(end, (block + 1) * kBlockBytes) - std::max(offset, block * kBlockBytes);
    const hw::TileKey key{tensor, static_cast<std::uint32_t>(block)};
    if (write) {
      writeback += caches.front()->cache()->access(key, size, kBlockBytes, true).writeback_bytes;
      continue;
    }
    for (hw::MemoryLevel* cache : caches) {
      const hw::TileCache::Access a = cache->cache()->access(key, size, kBlockBytes, false);
      writeback += a.writeback_bytes;
      if (a.hit) break;
    }
  }
  return writeback;
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
  std::uint64_t writeback = 0;
  const std::uint64_t end = offset + bytes;
  for (std::uint64_t block = offset / kBlockBytes; block * kBlockBytes < end; ++block) {
    const std::uint64_t lo = std::max(offset, block * kBlockBytes);
    const std::uint64_t hi = std::min(end, (block + 1) * kBlockBytes);
    writeback += nearest.cache()
                     ->access(hw::TileKey{tensor, static_cast<std::uint32_t>(block)}, hi - lo,
                              kBlockBytes, true)
                     .writeback_bytes;
  }
  charge(nearest.index(), bytes, true, roleIndex(home.role), counters);
  const Tick ready = nearest.transfer(0, bytes);
  if (writeback > 0) writeBack(writeback, counters);
  return ready;
}

}  // namespace archsim::exec
