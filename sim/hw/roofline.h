// Roofline figures of a chip: peak compute per dtype against the bandwidth of each memory level.
//
// The knee (ridge point) of level L for dtype t is peak(t) / bandwidth(L) in operations per byte:
// an op whose arithmetic intensity is below the knee cannot reach peak compute when its operands
// stream from L.
#pragma once

#include <string>
#include <vector>

#include "sim/spec/chip_spec.h"

namespace archsim::hw {

struct Knee {
  spec::DType dtype;
  std::string level;
  double peak_ops_per_s;
  double bandwidth_bytes_per_s;    // peak
  double ops_per_byte;             // against peak bandwidth
  double ops_per_byte_achievable;  // against peak x achievable_fraction
};

/// One knee per (matrix-unit dtype, memory level), dtypes in enum order, levels near -> far.
std::vector<Knee> rooflineKnees(const spec::ChipSpec& chip);

/// Lower bound on the time of an op: max(ops / peak(dtype), bytes / peak bandwidth(level)), in
/// seconds.
double rooflineSeconds(const spec::ChipSpec& chip, spec::DType dtype, double ops,
                       const std::string& level, double bytes);

}  // namespace archsim::hw
