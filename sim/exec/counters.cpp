#include "sim/exec/counters.h"

namespace archsim::exec {

void OpCounters::add(const OpCounters& o, std::uint64_t times) {
  if (level.size() < o.level.size()) level.resize(o.level.size());
  for (std::size_t i = 0; i < o.level.size(); ++i) {
    level[i].read += times * o.level[i].read;
    level[i].written += times * o.level[i].written;
    for (std::size_t r = 0; r <= kRoles; ++r)
      level[i].by_role[r] += times * o.level[i].by_role[r];
  }
  for (std::size_t r = 0; r < kRoles; ++r) {
    hits[r] += times * o.hits[r];
    misses[r] += times * o.misses[r];
    hit_bytes[r] += times * o.hit_bytes[r];
    miss_bytes[r] += times * o.miss_bytes[r];
  }
  matrix_busy_ps += times * o.matrix_busy_ps;
  vector_busy_ps += times * o.vector_busy_ps;
  convert_busy_ps += times * o.convert_busy_ps;
  feed_busy_ps += times * o.feed_busy_ps;
  pipeline_latency_ps += times * o.pipeline_latency_ps;
  tiles += times * o.tiles;
  network_bytes += times * o.network_bytes;
  energy_j += static_cast<double>(times) * o.energy_j;
  compute_energy_j += static_cast<double>(times) * o.compute_energy_j;
  network_energy_j += static_cast<double>(times) * o.network_energy_j;
}

}  // namespace archsim::exec
