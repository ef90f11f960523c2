#include "sim/hw/roofline.h"

#include <algorithm>

#include "sim/core/error.h"

namespace archsim::hw {

std::vector<Knee> rooflineKnees(const spec::ChipSpec& chip) {
  std::vector<Knee> knees;
  for (const auto& [dtype, peak] : chip.matrix.peak_ops_per_s) {
    for (const auto& level : chip.memory) {
      const double bw = level.bandwidth_bytes_per_s;
      knees.push_back({dtype, level.name, peak, bw, peak / bw, peak / level.achievableBandwidth()});
    }
  }
  return knees;
}

double rooflineSeconds(const spec::ChipSpec& chip, spec::DType dtype, double ops,
                       const std::string& level, double bytes) {
  const auto peak = chip.matrix.peak(dtype);
  const spec::MemoryLevelSpec* mem = chip.level(level);
  if (!peak || mem == nullptr) ARCHSIM_PANIC("roofline asked for a dtype or level the chip lacks");
  return std::max(ops / *peak, bytes / mem->bandwidth_bytes_per_s);
}

}  // namespace archsim::hw
