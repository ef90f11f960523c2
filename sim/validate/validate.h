// `archsim validate`: runs a suite's cases (threads, like sweeps), compares each prediction with
// its measurement and summarizes the errors over all cases and per group.
//
// Error of a case: predicted / measured - 1 (signed; + means archsim predicts more: slower for a
// time, faster for a rate). Summaries: n, median |error|, p90 |error|, max |error|, median signed
// error, over every case that ran, and per value of each group label (the case's own `group`
// labels plus hardware = the system's chip, phase, metric and software).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/spec/catalog.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"
#include "sim/validate/suite.h"

namespace archsim::validate {

struct CaseResult {
  double wall_s = 0.0;  // how long the case took to run (terminal only: not in the files)
  std::string id;
  std::string metric;
  std::optional<double> predicted;  // base SI unit of the metric
  double measured = 0.0;
  std::optional<double> error;  // predicted / measured - 1
  std::string status;           // "ok" or "failed"
  std::string message;          // why it failed; the plan and batch when it ran
  std::vector<std::pair<std::string, std::string>> groups;  // label, value (sorted by label)
  double weight = 1.0;
};

struct Summary {
  std::string label;  // "all", or "hardware", "phase", ...
  std::string value;  // "" for all, else the label's value
  std::size_t n = 0;
  std::size_t failed = 0;
  double median_abs = 0, p90_abs = 0, max_abs = 0, median_signed = 0;
};

struct Options {
  unsigned jobs = 1;
  std::vector<std::string> sets;  // applied to every case (routed to system or scenario)
  bool exact = false;
};

/// Loads every case's system and scenario (with its and `options`' --set overrides) and checks
/// microbenchmark formats, so that a broken suite fails before anything runs. Throws ConfigError
/// listing every problem at its case (file, line, key): a missing preset or file, a typo in an
/// inline scenario, an override of an unknown key.
void checkSuite(const spec::Catalog& catalog, const Suite& suite, const Options& options);

/// Runs one case. Never throws for the case's own failures (they are in the result).
CaseResult runCase(const spec::Catalog& catalog, const Suite& suite, const Case& c,
                   const Options& options);
/// Runs every case of `suites`, `jobs` at a time, in case order; `done` hears each result as it
/// finishes (under a lock).
std::vector<CaseResult> runSuites(const spec::Catalog& catalog, const std::vector<Suite>& suites,
                                  const Options& options,
                                  const std::function<void(const CaseResult&)>& done = {});

/// The q-quantile of `v` (linear between order statistics); 0 for an empty `v`.
double quantile(std::vector<double> v, double q);

/// "1" for a single sequence, "many" for a batch: residuals of the two behave differently (launch
/// and latency bound vs bandwidth and compute bound), so error bars keep them apart.
std::string batchClass(std::uint64_t batch);

/// The summary over all results, then per group label and value (label order, then value order).
std::vector<Summary> summarize(const std::vector<CaseResult>& results);

/// The largest batch in [1, cap] whose weights, KV cache and activations fit the scenario's plan's
/// chips in what the scenario's software stack leaves of their memory; 0 when none.
std::uint64_t largestBatch(const spec::SystemSpec& system, spec::ScenarioSpec scenario,
                           std::uint64_t cap);

/// What changed against a committed validation.json: failures when the median |error| over the
/// cases both ran grew by more than `median_points` (0.01 = one point), a case's error moved by
/// more than `case_points`, or a case that ran there fails here; notes for cases new or gone.
struct BaselineCheck {
  std::vector<std::string> failures;
  std::vector<std::string> notes;
  double median_before = 0, median_after = 0;
  std::size_t compared = 0;
};
/// Throws ConfigError when the baseline cannot be read.
BaselineCheck compareToBaseline(const std::filesystem::path& baseline,
                                const std::vector<CaseResult>& results, double median_points = 0.01,
                                double case_points = 0.05);

/// validation.csv, validation.json and validation.html into `out` (atomically, as one record).
void writeValidation(const std::filesystem::path& out, const std::vector<Suite>& suites,
                     const std::vector<CaseResult>& results);
/// The terminal table: a line per case, then the summaries.
std::string textReport(const std::vector<CaseResult>& results);

}  // namespace archsim::validate
