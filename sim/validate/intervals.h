// Error bars for a run's headline metrics, from the committed validation residuals
// (reports/validation/baseline/validation.json, written by `archsim validate` over the public
// suites).
//
// Every residual (predicted / measured - 1) is taken as the error e of a time: a rate's residual
// e_r becomes 1 / (1 + e_r) - 1, since a batch-1 throughput and a latency are one measurement seen
// two ways. With e10 and e90 the 10th and 90th percentiles over the most similar cases, a time
// predicted as T has the interval [T / (1 + e90), T / (1 + e10)] and a rate R has
// [R (1 + e10), R (1 + e90)]: the range real hardware measured when archsim predicted such values.
// Similar, in order of preference with at least kMinCases cases: the same chip, phase and batch
// class (one sequence or many); any chip at that phase and batch class (the batch regime decides
// what bounds a run more than the chip does); the same chip and phase; the same chip; any chip at
// that phase; every case. A chip with no validation case gets no interval and the note says so; so
// do metrics no case measures (energy, power).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/run/metrics.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::validate {

inline constexpr std::size_t kMinCases = 5;

struct Residual {
  std::string hardware;
  std::string phase;
  std::string batch;   // batchClass(): "1" or "many" ("" when unknown)
  std::string metric;  // validation metric key
  double error = 0.0;
};

/// The residuals of a validation.json (cases that ran); std::nullopt when the file is absent or
/// unreadable.
std::optional<std::vector<Residual>> loadResiduals(const std::filesystem::path& validation_json);

/// Intervals for `metrics` of a run on `chip` in `phase` at `batch`.
run::MetricIntervals metricIntervals(const std::vector<Residual>& residuals,
                                     const std::string& chip, spec::Phase phase,
                                     std::uint64_t batch, const run::Metrics& metrics);

}  // namespace archsim::validate
