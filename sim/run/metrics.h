// Headline metrics: computed once per run from the user's scenario and the run's timeline, and the
// one table (key, label, unit, direction, formatter) that every output reads — stats.json, the
// summary, summary.md, report.html, comparisons, sweeps and regression manifests.
//
// Contract: SystemRun (run/system_run.h) calls computeMetrics() exactly once; nothing below this
// layer computes a metric. A metric the phase does not define is absent (nullopt), shown as "-".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/spec/scenario_spec.h"

namespace archsim::run {

/// The stable `metrics` keys of stats.json (SI units).
struct Metrics {
  std::optional<double> ttft_s;
  std::optional<double> tpot_s;
  double e2e_s = 0.0;
  std::optional<double> output_tokens_per_s;
  std::optional<double> tokens_per_s_per_user;
  std::optional<double> energy_per_token_j;
  std::optional<double> tokens_per_j;
  // A prefill run's rates are per prompt token: its one output token per sequence says nothing.
  std::optional<double> prompt_tokens_per_s;  // prompt tokens of the batch / e2e
  std::optional<double> energy_per_prompt_token_j;
  double avg_power_w = 0.0;
  std::uint64_t chips = 1;
  std::uint64_t memory_bytes = 0;   // DRAM and weight-holding SRAM of the plan's chips
  double matrix_utilization = 0.0;  // first simulated chip: matrix units computing / window
};

/// What a run measured, in seconds and joules.
struct Timeline {
  double e2e_s = 0.0;                     // decode: one step; otherwise the whole run
  std::optional<double> ttft_s;           // generate: when the first token was out
  std::uint64_t tokens_per_sequence = 0;  // generated (0 for an encoder)
  double energy_j = 0.0;                  // every chip, dynamic and static
  std::uint64_t chips = 1;
  std::uint64_t memory_bytes = 0;
  double matrix_utilization = 0.0;
};

/// How far a headline metric may be from what real hardware would measure: the range the
/// prediction maps to under the 10th-90th percentile of validation residuals of similar cases
/// (validate/intervals.h). Absent for metrics with no validation data.
struct MetricInterval {
  std::string metric;  // a headline metric key
  double low = 0.0, high = 0.0;
  std::size_t cases = 0;  // validation cases it rests on
  std::string basis;      // which cases: "H100-SXM5-80GB, generate, times"
};
struct MetricIntervals {
  std::string note;  // what the intervals are, or why there are none
  std::vector<MetricInterval> intervals;
  const MetricInterval* find(std::string_view metric) const {
    for (const MetricInterval& i : intervals)
      if (i.metric == metric) return &i;
    return nullptr;
  }
};

/// The metrics of `scenario` (its phase and batch) over `timeline`.
Metrics computeMetrics(const spec::ScenarioSpec& scenario, const Timeline& timeline);

enum class Better { kHigher, kLower, kNeither };

struct MetricDef {
  std::string_view key;    // stats.json, CSV and sweep column name
  std::string_view label;  // table row
  std::string_view unit;   // SI unit of the value ("" for plain counts and fractions)
  Better better;
  bool integer;  // a count (chips, bytes): written as an integer
  std::optional<double> (*value)(const Metrics&);
  std::string (*format)(double);  // for people: "8.577 ms", "116.6 tokens/s"
};

/// Every headline metric, in output order.
std::span<const MetricDef> headlineMetrics();
/// The metric named `key`, or nullptr.
const MetricDef* findMetric(std::string_view key);
/// An interval for people: "7.1 ms - 9.8 ms (23 cases)", or "" without one.
std::string formatInterval(const MetricDef& m, const MetricInterval* interval);
/// `m` of `metrics` for people, "-" when absent.
std::string formatMetric(const MetricDef& m, const Metrics& metrics);

}  // namespace archsim::run
