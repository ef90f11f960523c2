#include "sim/exec/step_reuse.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "sim/core/checked.h"
#include "sim/core/error.h"

namespace archsim::exec {
namespace {

std::uint64_t mix(std::uint64_t a, double wa, std::uint64_t b, double wb) {
  return roundToCount(static_cast<double>(a) * wa + static_cast<double>(b) * wb);
}

}  // namespace

OpCounters weighted(const OpCounters& a, double wa, const OpCounters& b, double wb) {
  OpCounters out(std::max(a.level.size(), b.level.size()));
  const LevelTraffic none;
  for (std::size_t i = 0; i < out.level.size(); ++i) {
    const LevelTraffic& x = i < a.level.size() ? a.level[i] : none;
    const LevelTraffic& y = i < b.level.size() ? b.level[i] : none;
    out.level[i].read = mix(x.read, wa, y.read, wb);
    out.level[i].written = mix(x.written, wa, y.written, wb);
    for (std::size_t r = 0; r <= kRoles; ++r)
      out.level[i].by_role[r] = mix(x.by_role[r], wa, y.by_role[r], wb);
  }
  for (std::size_t r = 0; r < kRoles; ++r) {
    out.hits[r] = mix(a.hits[r], wa, b.hits[r], wb);
    out.misses[r] = mix(a.misses[r], wa, b.misses[r], wb);
    out.hit_bytes[r] = mix(a.hit_bytes[r], wa, b.hit_bytes[r], wb);
    out.miss_bytes[r] = mix(a.miss_bytes[r], wa, b.miss_bytes[r], wb);
  }
  out.matrix_busy_ps = mix(a.matrix_busy_ps, wa, b.matrix_busy_ps, wb);
  out.vector_busy_ps = mix(a.vector_busy_ps, wa, b.vector_busy_ps, wb);
  out.convert_busy_ps = mix(a.convert_busy_ps, wa, b.convert_busy_ps, wb);
  out.feed_busy_ps = mix(a.feed_busy_ps, wa, b.feed_busy_ps, wb);
  out.pipeline_latency_ps = mix(a.pipeline_latency_ps, wa, b.pipeline_latency_ps, wb);
  out.tiles = mix(a.tiles, wa, b.tiles, wb);
  out.network_bytes = mix(a.network_bytes, wa, b.network_bytes, wb);
  out.energy_j = a.energy_j * wa + b.energy_j * wb;
  out.compute_energy_j = a.compute_energy_j * wa + b.compute_energy_j * wb;
  out.network_energy_j = a.network_energy_j * wa + b.network_energy_j * wb;
  return out;
}

SimSample weighted(const SimSample& a, double wa, const SimSample& b, double wb) {
  if (a.stats.size() != b.stats.size() || a.busy.size() != b.busy.size())
    ARCHSIM_PANIC("step samples from differently built simulations");
  SimSample out;
  out.now = mix(a.now, wa, b.now, wb);
  out.stats.reserve(a.stats.size());
  for (std::size_t i = 0; i < a.stats.size(); ++i) {
    if (a.stats[i].first != b.stats[i].first)
      ARCHSIM_PANIC("step samples disagree on stat " + a.stats[i].first);
    out.stats.emplace_back(a.stats[i].first, a.stats[i].second * wa + b.stats[i].second * wb);
  }
  out.busy.reserve(a.busy.size());
  for (std::size_t i = 0; i < a.busy.size(); ++i) {
    if (a.busy[i].first != b.busy[i].first)
      ARCHSIM_PANIC("step samples disagree on activity " + a.busy[i].first);
    out.busy.emplace_back(a.busy[i].first, mix(a.busy[i].second, wa, b.busy[i].second, wb));
  }
  return out;
}

std::vector<std::uint64_t> refineSamples(std::uint64_t lo, std::uint64_t hi, double tolerance,
                                         const std::function<Tick(std::uint64_t)>& sample,
                                         double& max_error) {
  std::set<std::uint64_t> points{lo, hi};
  // Intervals still to check, as (lo, hi) with both ends sampled.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> open{{lo, hi}};
  sample(lo);
  sample(hi);
  while (!open.empty()) {
    const auto [a, b] = open.back();
    open.pop_back();
    if (b - a < 2) continue;
    const std::uint64_t m = a + (b - a) / 2;
    const double ta = static_cast<double>(sample(a));
    const double tb = static_cast<double>(sample(b));
    const double tm = static_cast<double>(sample(m));
    points.insert(m);
    const double predicted =
        ta + (tb - ta) * static_cast<double>(m - a) / static_cast<double>(b - a);
    const double error = tm > 0 ? std::abs(predicted - tm) / tm : 0.0;
    if (error <= tolerance) {
      max_error = std::max(max_error, error);
      continue;
    }
    open.emplace_back(m, b);
    open.emplace_back(a, m);
  }
  return {points.begin(), points.end()};
}

}  // namespace archsim::exec
