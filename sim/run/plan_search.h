// The plan a run uses: an explicit plan checked against the system, or `auto` resolved by search.
#pragma once

#include "sim/map/parallel.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::run {

/// The layout `scenario` runs with on `system`. Throws ConfigError (at the plan's location) when
/// an explicit plan needs more chips than the system has, or no plan fits.
map::ParallelLayout resolvePlan(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario);

}  // namespace archsim::run
