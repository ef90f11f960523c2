// The machine-readable record of one run (stats.json) and its short human summary.
//
// stats.json is schema-versioned and deterministic: the same inputs give byte-identical files (no
// wall-clock time or host facts; those belong in run.json). Keys under "metrics" are stable.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sim/core/simulation.h"
#include "sim/exec/run_result.h"
#include "sim/graph/workload.h"
#include "sim/hw/chip.h"
#include "sim/map/placement.h"
#include "sim/spec/system_spec.h"

namespace archsim::report {

inline constexpr int kStatsSchemaVersion = 1;

struct RunContext {
  const spec::SystemSpec& system;
  const graph::Workload& workload;
  const map::Placement& placement;
  hw::Chip& chip;
  const Simulation& sim;
  const exec::RunResult& result;
};

nlohmann::ordered_json statsJson(const RunContext& run);
/// The metrics, where the time went (by bound and op kind) and the top ops.
void printRunSummary(const RunContext& run, std::ostream& out);

}  // namespace archsim::report
