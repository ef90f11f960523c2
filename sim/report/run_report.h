// The machine-readable record of one run (stats.json) and its short human summary.
//
// stats.json is schema-versioned and deterministic: the same inputs give byte-identical files (no
// wall-clock time or host facts; those belong in run.json). Keys under "metrics" are stable.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sim/run/system_run.h"

namespace archsim::report {

inline constexpr int kStatsSchemaVersion = 1;

/// The record of a run (one chip or a parallel plan on a system).
/// With `intervals` (archsim run: validate/intervals.h), a `metrics_interval` section.
nlohmann::ordered_json statsJson(const run::SystemRun& run,
                                 const run::MetricIntervals* intervals = nullptr);
/// The metrics, the plan, where the time went (by bound and op kind) and the top ops.
void printRunSummary(const run::SystemRun& run, std::ostream& out,
                     const run::MetricIntervals* intervals = nullptr);

}  // namespace archsim::report
