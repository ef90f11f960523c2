#include "sim/core/activity.h"

#include <algorithm>

namespace archsim {

void Activity::reset(Tick origin) {
  origin_ = origin;
  bin_ticks_ = kFirstBinTicks;
  bin_shift_ = 0;
  bins_.clear();
  total_ = 0;
}

void Activity::coarsen() {
  const std::size_t merged = (bins_.size() + 1) / 2;
  for (std::size_t i = 0; i < merged; ++i) {
    const Tick hi = 2 * i + 1 < bins_.size() ? bins_[2 * i + 1] : 0;
    bins_[i] = bins_[2 * i] + hi;
  }
  bins_.resize(merged);
  bin_ticks_ *= 2;
  ++bin_shift_;
}

void Activity::add(Tick start, Tick end) {
  start = std::max(start, origin_);
  if (end <= start) return;
  const Tick from = start - origin_;
  const Tick to = end - origin_;
  while (binOf(to - 1) >= kMaxBins)  // not to > bin_ticks_ * kMaxBins: that can wrap
    coarsen();
  const std::size_t last = static_cast<std::size_t>(binOf(to - 1));
  if (bins_.size() <= last) bins_.resize(last + 1, 0);
  for (std::size_t b = static_cast<std::size_t>(binOf(from)); b <= last; ++b) {
    const Tick lo = std::max<Tick>(from, b * bin_ticks_);
    const Tick hi = std::min<Tick>(to, mulTicks(b + 1, bin_ticks_));  // saturating: no wrap
    bins_[b] += hi - lo;
  }
  total_ += to - from;
}

void Activity::addSpread(Tick start, Tick end, Tick busy) {
  start = std::max(start, origin_);
  if (end <= start || busy == 0) return;
  const Tick from = start - origin_;
  const Tick to = end - origin_;
  while (binOf(to - 1) >= kMaxBins)  // not to > bin_ticks_ * kMaxBins: that can wrap
    coarsen();
  const std::size_t first = static_cast<std::size_t>(binOf(from));
  const std::size_t last = static_cast<std::size_t>(binOf(to - 1));
  if (bins_.size() <= last) bins_.resize(last + 1, 0);
  // Pro rata by overlap; the last bin takes what rounding left, so the total is exact.
  Tick given = 0;
  for (std::size_t b = first; b <= last; ++b) {
    const Tick lo = std::max<Tick>(from, b * bin_ticks_);
    const Tick hi = std::min<Tick>(to, mulTicks(b + 1, bin_ticks_));  // saturating: no wrap
    const Tick share = b == last ? busy - given : mulDivCeil(busy, hi - lo, to - from);
    const Tick part = std::min(share, busy - given);
    bins_[b] += part;
    given += part;
  }
  total_ += busy;
}

double Activity::busyBetween(Tick from, Tick to) const {
  from = std::max(from, origin_);
  if (to <= from) return 0.0;
  double sum = 0.0;
  for (std::size_t b = 0; b < bins_.size(); ++b) {
    const Tick lo = origin_ + b * bin_ticks_;
    const Tick hi = addTicks(lo, bin_ticks_);
    const Tick a = std::max(lo, from);
    const Tick z = std::min(hi, to);
    if (z <= a) continue;
    sum += static_cast<double>(bins_[b]) * static_cast<double>(z - a) /
           static_cast<double>(bin_ticks_);
  }
  return sum;
}

}  // namespace archsim
