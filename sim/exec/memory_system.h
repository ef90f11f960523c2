// MemorySystem: moves byte ranges of tensors between their home level and the units.
//
// A tensor homed in a persistent SRAM is read and written through that SRAM's port. A tensor homed
// in DRAM goes through the chip's caches, near -> far, in 64 KiB blocks keyed (tensor, block): a
// hit is served at the hitting cache's bandwidth; a miss allocates the block in every cache
// (inclusive) and is fetched from DRAM, contiguous missing blocks in one channel-group transfer at
// the tensor's address. Writes allocate in the nearest cache (dirty); evicted dirty blocks are
// written back to DRAM. Each call returns the tick its last byte arrives and adds bytes, hits,
// misses and energy to the caller's counters. Reservations are made at the current tick.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/exec/counters.h"
#include "sim/hw/chip.h"
#include "sim/hw/tile_cache.h"
#include "sim/map/placement.h"

namespace archsim::exec {

class MemorySystem {
 public:
  static constexpr std::uint64_t kBlockBytes = hw::kCacheBlockBytes;

  MemorySystem(hw::Chip& chip, const map::Placement& placement);

  Tick read(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes, OpCounters& counters);
  Tick write(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes, OpCounters& counters);
  /// Reads `bytes` of `tensor` from a copy staged at memory level `level` (an SRAM the op's
  /// earlier tiles filled), not from its home.
  Tick readStaged(std::size_t level, map::StableId tensor, std::uint64_t bytes,
                  OpCounters& counters);
  /// What read() or write() does to the caches' contents, without time, traffic or counters: for
  /// work that is replayed rather than simulated (exec/layer_reuse.h). Returns the dirty bytes
  /// the evictions it caused would write back (see writeBack()).
  std::uint64_t touch(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes, bool write);
  /// Writes `bytes` of evicted dirty blocks back to DRAM now, charged to `counters`.
  Tick writeBack(std::uint64_t bytes, OpCounters& counters);
  /// The next write-back goes to the start of the write-back area again. The measured steps start
  /// there, so where their write-backs land does not depend on what a warm-up (timed, untimed or
  /// from its last ops only) wrote back before them.
  void restartWriteBacks() { writeback_cursor_ = 0; }
  /// Empties every cache (no write-backs).
  void clearCaches();

 private:
  Tick dramTransfer(std::uint64_t address, std::uint64_t bytes, bool write, std::size_t role,
                    OpCounters& counters);
  /// Counts `bytes` moved at `level` for a tensor of `role` (kWritebackRole: write-back traffic).
  void charge(std::size_t level, std::uint64_t bytes, bool write, std::size_t role,
              OpCounters& counters);

  /// Bytes [lo, hi) of a tensor, in `blocks` cache blocks.
  struct Segment {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::uint64_t blocks = 0;
  };
  /// Looks bytes [offset, offset + bytes) of `tensor` up in every cache, nearest first (each
  /// cache sees what the nearer ones missed, and allocates it): leaves in hit_bytes_ what each
  /// served and in pending_ the runs that all missed; counts hits in `counters` when given.
  /// Returns the dirty bytes evicted.
  std::uint64_t lookup(map::StableId tensor, std::uint64_t offset, std::uint64_t bytes,
                       std::size_t role, OpCounters* counters);

  hw::Chip& chip_;
  const map::Placement& placement_;
  std::uint64_t writeback_cursor_ = 0;  // spreads write-backs over the DRAM channels
  // Scratch for lookup(), kept to avoid allocating per access.
  std::vector<std::uint64_t> hit_bytes_;  // per cache level
  std::vector<Segment> pending_;
  std::vector<Segment> missed_;
  std::vector<hw::TileCache::Run> runs_;
};

}  // namespace archsim::exec
