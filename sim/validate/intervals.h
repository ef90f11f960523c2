// Error bars for a run's headline metrics, from the committed validation residuals
// (reports/validation/baseline/validation.json, written by `archsim validate` over the public
// suites).
//
// For a metric predicted as P, with the residuals e = predicted / measured - 1 of the most similar
// validation cases, the interval is [P / (1 + e90), P / (1 + e10)] (e10, e90: the 10th and 90th
// percentiles): the range real hardware measured when archsim predicted P on such cases. Similar,
// in order of preference with at least kMinCases cases: the same chip, phase and kind of metric
// (times: TTFT, TPOT, end-to-end; rates: throughputs); the same chip and kind; the same kind on any
// chip in the same phase; the same kind anywhere. A chip with no validation case gets no interval
// and the note says so; so do metrics no case measures (energy, power).
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
  std::string metric;  // validation metric key
  double error = 0.0;
};

/// The residuals of a validation.json (cases that ran); std::nullopt when the file is absent or
/// unreadable.
std::optional<std::vector<Residual>> loadResiduals(const std::filesystem::path& validation_json);

/// Intervals for `metrics` of a run on `chip` in `phase`.
run::MetricIntervals metricIntervals(const std::vector<Residual>& residuals,
                                     const std::string& chip, spec::Phase phase,
                                     const run::Metrics& metrics);

}  // namespace archsim::validate
