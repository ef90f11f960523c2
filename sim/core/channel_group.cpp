#include "sim/core/channel_group.h"

#include <algorithm>
#include <utility>

#include "sim/core/error.h"
#include "sim/core/simulation.h"

namespace archsim {
namespace {

/// Channels [0, n) of `busy`/`ticks` each serialize `serialization` more from max(t, busy):
/// returns the lowest and highest start. Separate arrays and no branch, so it vectorizes; built
/// also for AVX2 and AVX-512 (chosen at load time), which have the 64-bit compares it needs.
__attribute__((target_clones("avx512f", "avx2", "default"))) std::pair<Tick, Tick> occupyRun(
    Tick* __restrict busy, Tick* __restrict ticks, std::uint64_t n, Tick t, Tick serialization) {
  Tick lowest = kMaxTick, highest = 0;
  for (std::uint64_t c = 0; c < n; ++c) {
    const Tick start = std::max(t, busy[c]);
    busy[c] = start + serialization;
    ticks[c] += serialization;
    lowest = std::min(lowest, start);
    highest = std::max(highest, start);
  }
  return {lowest, highest};
}

}  // namespace

ChannelGroup::ChannelGroup(Simulation& sim, std::string name, StatGroup& parent_stats,
                           std::uint32_t channels, std::uint64_t granule_bytes,
                           std::uint64_t channel_bytes_per_s, Tick latency_ps)
    : Component(sim, std::move(name), parent_stats),
      granule_bytes_(granule_bytes),
      channel_bytes_per_s_(channel_bytes_per_s),
      latency_ps_(latency_ps),
      busy_until_(channels, 0),
      busy_ticks_(channels, 0),
      transfers_(stats().addCounter("transfers", "1", "transfers served")),
      bytes_(stats().addCounter("bytes", "B", "bytes moved over all channels")),
      activity_(channels) {
  if (channels == 0 || granule_bytes_ == 0 || channel_bytes_per_s_ == 0) {
    ARCHSIM_PANIC("channel group '" + this->name() + "' needs channels, granule and bandwidth > 0");
  }
  stats().addFormula("bandwidth", "B/s", "configured bandwidth over all channels", [this] {
    return static_cast<double>(channel_bytes_per_s_) * static_cast<double>(busy_until_.size());
  });
  stats().addFormula(
      "utilization", "1", "mean channel busy time / simulated time (stats window)", [this] {
        const Tick end =
            std::max(now(), *std::max_element(busy_until_.begin(), busy_until_.end())) -
            statsStart();
        if (end == 0) return 0.0;
        double busy = 0;
        for (Tick b : busy_ticks_)
          busy += static_cast<double>(b);
        return busy / (static_cast<double>(end) * static_cast<double>(busy_ticks_.size()));
      });
  stats().addFormula(
      "max_channel_utilization", "1", "busiest channel's busy time / simulated time", [this] {
        const Tick end =
            std::max(now(), *std::max_element(busy_until_.begin(), busy_until_.end())) -
            statsStart();
        return end == 0 ? 0.0
                        : static_cast<double>(
                              *std::max_element(busy_ticks_.begin(), busy_ticks_.end())) /
                              static_cast<double>(end);
      });
}

void ChannelGroup::resetStats() {
  std::fill(busy_ticks_.begin(), busy_ticks_.end(), 0);
  activity_.reset(now());
}

void ChannelGroup::stripe(std::uint64_t address, std::uint64_t bytes,
                          std::vector<std::uint64_t>& per_channel) const {
  const std::uint64_t n = busy_until_.size();
  per_channel.assign(n, 0);
  if (bytes == 0) return;
  const std::uint64_t first_block = address / granule_bytes_;
  const std::uint64_t last_block = (address + bytes - 1) / granule_bytes_;
  const std::uint64_t blocks = last_block - first_block + 1;
  const std::uint64_t first_channel = first_block % n;
  // Whole blocks, dealt round-robin from the first block's channel.
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::uint64_t count = blocks / n + (k < blocks % n ? 1 : 0);
    per_channel[(first_channel + k) % n] = count * granule_bytes_;
  }
  // Trim the parts of the first and last blocks outside the transfer.
  per_channel[first_channel] -= address - first_block * granule_bytes_;
  per_channel[last_block % n] -= (last_block + 1) * granule_bytes_ - (address + bytes);
}

Tick ChannelGroup::serializationTicks(std::uint64_t bytes) {
  Memo& m = memo_[(bytes / granule_bytes_) % std::size(memo_)];
  if (m.bytes != bytes) m = Memo{bytes, transferTicks(bytes, channel_bytes_per_s_)};
  return m.ticks;
}

Tick ChannelGroup::reserve(std::uint64_t address, std::uint64_t bytes) {
  const Tick t = now();
  Tick last = t;
  transfers_.add();
  bytes_.add(bytes);
  if (bytes == 0) return addTicks(last, latency_ps_);
  const std::uint64_t n = busy_until_.size();
  const std::uint64_t first_block = address / granule_bytes_;
  const std::uint64_t last_block = (address + bytes - 1) / granule_bytes_;
  const std::uint64_t blocks = last_block - first_block + 1;
  const std::uint64_t head_trim = address - first_block * granule_bytes_;
  const std::uint64_t tail_trim = (last_block + 1) * granule_bytes_ - (address + bytes);
  // The channels' busy time is recorded once per transfer, spread over the window its channels
  // were busy in (exact in total; the shape within that short window is not kept): recording
  // every channel's interval costs more than the rest of the transfer.
  Tick first_start = kMaxTick;
  Tick busy_total = 0;
  auto occupy = [&](std::uint64_t c, Tick serialization) {
    const Tick start = std::max(t, busy_until_[c]);
    busy_until_[c] = addTicks(start, serialization);
    first_start = std::min(first_start, start);
    busy_total += serialization;
    busy_ticks_[c] += serialization;
    last = std::max(last, busy_until_[c]);
  };
  if (blocks <= n) {
    // Each touched channel gets one granule (less at the ends): O(blocks).
    for (std::uint64_t b = 0; b < blocks; ++b) {
      std::uint64_t part = granule_bytes_;
      if (b == 0) part -= head_trim;
      if (b == blocks - 1) part -= tail_trim;
      occupy((first_block + b) % n, serializationTicks(part));
    }
    activity_.addSpread(first_start, last, busy_total);
    return addTicks(last, latency_ps_);
  }
  // Every channel gets q or q + 1 granules (q + 1 for the `extra` channels from the first block's
  // on, cyclically); only the first and last block's channels are trimmed. The channels split
  // into at most seven runs of one serialization each — cut at the first channel, where the
  // q + 1 run ends, and around the two trimmed channels — so the loop over a run carries no
  // per-channel branch.
  const std::uint64_t q = blocks / n;
  const std::uint64_t extra = blocks % n;
  const Tick ticks_q = serializationTicks(q * granule_bytes_);
  const Tick ticks_q1 = serializationTicks((q + 1) * granule_bytes_);
  const std::uint64_t first_channel = first_block % n;
  const std::uint64_t last_channel = last_block % n;
  std::uint64_t cuts[] = {0,
                          n,
                          first_channel,
                          first_channel + 1,
                          (first_channel + extra) % n,
                          last_channel,
                          last_channel + 1};
  std::sort(std::begin(cuts), std::end(cuts));
  Tick* busy = busy_until_.data();
  Tick* ticks = busy_ticks_.data();
  for (std::size_t i = 0; i + 1 < std::size(cuts); ++i) {
    const std::uint64_t from = cuts[i], to = cuts[i + 1];
    if (from == to) continue;
    const bool more = (from + n - first_channel) % n < extra;  // this run has q + 1 granules
    Tick serialization = more ? ticks_q1 : ticks_q;
    if (from == first_channel || from == last_channel) {  // a single trimmed channel
      const std::uint64_t trim =
          (from == first_channel ? head_trim : 0) + (from == last_channel ? tail_trim : 0);
      serialization = serializationTicks((q + (more ? 1 : 0)) * granule_bytes_ - trim);
    }
    const auto [lowest_start, highest_start] =
        occupyRun(busy + from, ticks + from, to - from, t, serialization);
    first_start = std::min(first_start, lowest_start);
    last = std::max(last, highest_start + serialization);
    busy_total += serialization * (to - from);
  }
  activity_.addSpread(first_start, last, busy_total);
  return addTicks(last, latency_ps_);
}

Tick ChannelGroup::transfer(std::uint64_t address, std::uint64_t bytes, Callback done,
                            std::uint64_t arg, Priority priority) {
  const Tick finish = reserve(address, bytes);
  sim().schedule(finish, done, arg, priority);
  return finish;
}

}  // namespace archsim
