// ChannelGroup: N interleaved memory channels (HBM pseudo-channels, DRAM channels).
//
// Addresses are interleaved across channels in `granule`-byte blocks: the block holding address a
// lives on channel (a / granule) mod N. A transfer of S bytes at address a touches the blocks that
// overlap [a, a + S); each touched channel c gets its share S_c and serializes it at the
// per-channel bandwidth B_ch, queued behind that channel's earlier work:
//   finish_c = max(now, busy_until_c) + ceil(S_c * 1e12 / B_ch)
//   finish   = max over touched c of finish_c + latency.
// On idle channels with a granule-aligned address this is latency + ceil(S / granule / N) granules'
// worth of bytes on the busiest channel / B_ch, so a transfer touching fewer channels than exist
// gets proportionally less bandwidth. Each call is O(N) with no allocation; transfer() schedules
// one event.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/activity.h"
#include "sim/core/callback.h"
#include "sim/core/component.h"
#include "sim/core/event_queue.h"
#include "sim/core/time.h"

namespace archsim {

class ChannelGroup final : public Component {
 public:
  /// channels > 0, granule_bytes > 0 and channel_bytes_per_s > 0 (Panic otherwise).
  ChannelGroup(Simulation& sim, std::string name, StatGroup& parent_stats, std::uint32_t channels,
               std::uint64_t granule_bytes, std::uint64_t channel_bytes_per_s, Tick latency_ps);

  /// Reserves the channels for a transfer of `bytes` at `address`; returns the tick the last byte
  /// arrives. Schedules nothing.
  Tick reserve(std::uint64_t address, std::uint64_t bytes);
  /// reserve() plus one event done(arg) at the returned tick.
  Tick transfer(std::uint64_t address, std::uint64_t bytes, Callback done, std::uint64_t arg = 0,
                Priority priority = Priority::kDefault);

  /// Bytes of [address, address + bytes) that land on each channel (size N). Pure; O(N).
  void stripe(std::uint64_t address, std::uint64_t bytes,
              std::vector<std::uint64_t>& per_channel) const;

  std::uint32_t channels() const { return static_cast<std::uint32_t>(busy_until_.size()); }
  std::uint64_t granuleBytes() const { return granule_bytes_; }
  std::uint64_t channelBytesPerSecond() const { return channel_bytes_per_s_; }
  Tick latency() const { return latency_ps_; }
  Tick channelBusyUntil(std::uint32_t channel) const { return busy_until_.at(channel); }
  Tick channelBusyTicks(std::uint32_t channel) const { return busy_ticks_.at(channel); }
  /// Bytes moved in the stats window, over all channels.
  std::uint64_t bytesMoved() const { return bytes_.count(); }
  /// Busy channel-time over time (capacity: the channel count).
  const Activity& activity() const { return activity_; }
  void activities(std::vector<std::pair<std::string, Activity*>>& out) override {
    out.emplace_back("busy", &activity_);
  }
  void resetStats() override;

 private:
  /// transferTicks(bytes) at the channel bandwidth, remembered: transfers repeat their sizes, and
  /// each size costs a division.
  Tick serializationTicks(std::uint64_t bytes);

  std::uint64_t granule_bytes_;
  std::uint64_t channel_bytes_per_s_;
  Tick latency_ps_;
  std::vector<Tick> busy_until_;
  std::vector<Tick> busy_ticks_;
  Counter& transfers_;
  Counter& bytes_;
  Activity activity_;
  struct Memo {
    std::uint64_t bytes = ~std::uint64_t{0};  // no transfer has this size
    Tick ticks = 0;
  };
  Memo memo_[64];  // direct-mapped by granules
};

}  // namespace archsim
