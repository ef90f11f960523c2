#include "sim/exec/counters.h"

namespace archsim::exec {

void OpCounters::add(const OpCounters& o) {
  if (level.size() < o.level.size()) level.resize(o.level.size());
  for (std::size_t i = 0; i < o.level.size(); ++i) {
    level[i].read += o.level[i].read;
    level[i].written += o.level[i].written;
  }
  for (std::size_t r = 0; r < kRoles; ++r) {
    hits[r] += o.hits[r];
    misses[r] += o.misses[r];
    hit_bytes[r] += o.hit_bytes[r];
    miss_bytes[r] += o.miss_bytes[r];
  }
  matrix_busy_ps += o.matrix_busy_ps;
  vector_busy_ps += o.vector_busy_ps;
  tiles += o.tiles;
  energy_j += o.energy_j;
}

}  // namespace archsim::exec
