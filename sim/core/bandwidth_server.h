// BandwidthServer: one pipelined port of fixed bandwidth and latency (a link direction, an SRAM
// port).
//
// Timing contract: a transfer of S bytes reserved at time t starts serializing at
//   start = max(t, busy_until)
// occupies the server for transferTicks(S, bandwidth) = ceil(S * 1e12 / bandwidth) ticks, and its
// last byte arrives `latency` later:
//   finish = start + ceil(S * 1e12 / B) + latency.
// busy_until advances to start + serialization only: latency is pipelined, so back-to-back
// transfers overlap their latencies and serialize only their bytes. Closed form, no per-beat
// events; transfer() schedules exactly one completion event.
#pragma once

#include <cstdint>
#include <string>

#include "sim/core/activity.h"
#include "sim/core/callback.h"
#include "sim/core/component.h"
#include "sim/core/event_queue.h"
#include "sim/core/time.h"

namespace archsim {

/// The rate a BandwidthServer (or a group of them) takes for a physical bandwidth: rounded to whole
/// bytes per second, and at least 1 so that a server is never built with zero bandwidth.
std::uint64_t serverBytesPerSecond(double bytes_per_s);

class BandwidthServer final : public Component {
 public:
  /// bytes_per_s must be > 0 (Panic otherwise).
  BandwidthServer(Simulation& sim, std::string name, StatGroup& parent_stats,
                  std::uint64_t bytes_per_s, Tick latency_ps);

  /// Reserves the server for `bytes` from now (queued behind earlier reservations) and returns the
  /// tick the last byte arrives. Schedules nothing.
  Tick reserve(std::uint64_t bytes);
  /// Like reserve(), but the bytes cannot start before `earliest` (>= now): a hop of a cut-through
  /// route whose first byte arrives later.
  Tick reserveAt(Tick earliest, std::uint64_t bytes);
  /// reserve() plus one event done(arg) at the returned tick.
  Tick transfer(std::uint64_t bytes, Callback done, std::uint64_t arg = 0,
                Priority priority = Priority::kDefault);

  std::uint64_t bytesPerSecond() const { return bytes_per_s_; }
  Tick latency() const { return latency_ps_; }
  Tick busyUntil() const { return busy_until_; }
  /// Busy (serializing) ticks so far, including reservations that extend past now().
  Tick busyTicks() const { return busy_ticks_.count(); }
  /// Bytes moved in the stats window.
  std::uint64_t bytes() const { return bytes_.count(); }
  /// Serialization intervals over time (the stats window).
  const Activity& activity() const { return activity_; }
  void activities(std::vector<std::pair<std::string, Activity*>>& out) override {
    out.emplace_back("busy", &activity_);
  }
  void resetStats() override;

 private:
  std::uint64_t bytes_per_s_;
  Tick latency_ps_;
  Tick busy_until_ = 0;
  Counter& transfers_;
  Counter& bytes_;
  Counter& busy_ticks_;
  Counter& wait_ticks_;
  Activity activity_;
};

}  // namespace archsim
