#include "sim/core/bandwidth_server.h"

#include <algorithm>
#include <cmath>

#include "sim/core/error.h"
#include "sim/core/simulation.h"

namespace archsim {

std::uint64_t serverBytesPerSecond(double bytes_per_s) {
  const std::uint64_t r = roundToCount(bytes_per_s);  // saturates, never wraps
  return r == 0 ? 1 : r;
}

BandwidthServer::BandwidthServer(Simulation& sim, std::string name, StatGroup& parent_stats,
                                 std::uint64_t bytes_per_s, Tick latency_ps)
    : Component(sim, std::move(name), parent_stats),
      bytes_per_s_(bytes_per_s),
      latency_ps_(latency_ps),
      transfers_(stats().addCounter("transfers", "1", "transfers served")),
      bytes_(stats().addCounter("bytes", "B", "bytes moved")),
      busy_ticks_(stats().addCounter("busy_ps", "ps", "time spent serializing bytes")),
      wait_ticks_(
          stats().addCounter("wait_ps", "ps", "time transfers waited behind earlier ones")) {
  if (bytes_per_s_ == 0)
    ARCHSIM_PANIC("bandwidth server '" + this->name() + "' has zero bandwidth");
  stats().addFormula("bandwidth", "B/s", "configured bandwidth",
                     [this] { return static_cast<double>(bytes_per_s_); });
  stats().addFormula("utilization", "1", "busy time / simulated time (stats window)", [this] {
    const Tick t = std::max(now(), busy_until_) - statsStart();
    return t == 0 ? 0.0 : static_cast<double>(busy_ticks_.count()) / static_cast<double>(t);
  });
}

Tick BandwidthServer::reserve(std::uint64_t bytes) {
  return reserveAt(now(), bytes);
}

Tick BandwidthServer::reserveAt(Tick earliest, std::uint64_t bytes) {
  const Tick ready = std::max(now(), earliest);
  const Tick start = std::max(ready, busy_until_);
  const Tick serialization = transferTicks(bytes, bytes_per_s_);
  busy_until_ = addTicks(start, serialization);
  activity_.add(start, busy_until_);
  transfers_.add();
  bytes_.add(bytes);
  busy_ticks_.add(serialization);
  wait_ticks_.add(start - ready);
  return addTicks(busy_until_, latency_ps_);
}

void BandwidthServer::resetStats() {
  activity_.reset(now());
}

Tick BandwidthServer::transfer(std::uint64_t bytes, Callback done, std::uint64_t arg,
                               Priority priority) {
  const Tick finish = reserve(bytes);
  sim().schedule(finish, done, arg, priority);
  return finish;
}

}  // namespace archsim
