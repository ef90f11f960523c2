// Activity: how busy a resource was over time, in a bounded number of equal bins.
//
// A resource of `capacity` parallel servers (1 for a port or a link, N for N channels or units)
// reports each busy interval [start, end) of one server. Bin i covers
//   [origin + i * bin_ticks, origin + (i + 1) * bin_ticks)
// and holds the busy server-ticks that fall in it, split exactly by overlap; its utilization is
//   busy(i) / (bin_ticks * capacity).
// The bin width starts at kFirstBinTicks and doubles (adjacent bins merge, sums preserved) whenever
// an interval would end past kMaxBins bins, so memory stays bounded (kMaxBins words) whatever the
// run length, and the sum over bins always equals the total busy server-ticks. O(bins touched) per
// interval; intervals much shorter than a bin touch one or two.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace archsim {

class Activity {
 public:
  static constexpr std::size_t kMaxBins = 512;
  static constexpr Tick kFirstBinTicks = 1000;  // 1 ns

  explicit Activity(std::uint32_t capacity = 1) : capacity_(capacity == 0 ? 1 : capacity) {}

  /// One server busy over [start, end); time before the origin is dropped.
  void add(Tick start, Tick end);
  /// `busy` server-ticks spread evenly over [start, end) (work replayed rather than simulated:
  /// its total is exact, its shape within the interval is not known). `busy` may exceed the
  /// interval when several servers were busy.
  void addSpread(Tick start, Tick end, Tick busy);
  /// Forgets everything and restarts at `origin` (a new stats window).
  void reset(Tick origin);

  std::uint32_t capacity() const { return capacity_; }
  Tick origin() const { return origin_; }
  Tick binTicks() const { return bin_ticks_; }
  /// Busy server-ticks per bin, from the origin; trailing idle bins are absent.
  const std::vector<Tick>& bins() const { return bins_; }
  /// Busy server-ticks in total.
  Tick total() const { return total_; }
  /// Busy server-ticks within [from, to), splitting bins at the edges pro rata.
  double busyBetween(Tick from, Tick to) const;

 private:
  void coarsen();
  /// The bin holding tick offset x: x / bin_ticks_, as (x >> shift) / 1000 — the same floor, with
  /// a shift and a division by a constant instead of a 64-bit division (this runs per transfer).
  std::uint64_t binOf(Tick x) const { return (x >> bin_shift_) / kFirstBinTicks; }

  std::uint32_t capacity_;
  Tick origin_ = 0;
  Tick bin_ticks_ = kFirstBinTicks;  // kFirstBinTicks << bin_shift_
  unsigned bin_shift_ = 0;
  std::vector<Tick> bins_;
  Tick total_ = 0;
};

}  // namespace archsim
