// `archsim describe`: what a system is made of and where its roofline knees lie.
#pragma once

#include <ostream>

#include <nlohmann/json_fwd.hpp>

#include "sim/spec/system_spec.h"

namespace archsim::app {

/// Human-readable description: per chip, peak throughput per dtype, each memory level, the roofline
/// knee against each level, ports; then the system's levels and totals.
void describeText(const spec::SystemSpec& system, std::ostream& out);
/// The same figures as JSON, in base SI units.
nlohmann::ordered_json describeJson(const spec::SystemSpec& system);

}  // namespace archsim::app
