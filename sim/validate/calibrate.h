// `archsim calibrate`: fits a few global parameters (dotted keys of a chip, system or scenario, as
// --set takes them) to a validation suite by nonlinear least squares on log errors.
//
//   kind: calibration
//   name: h100-hbm
//   suites: [../validation/microbench.yaml]          # relative to this file
//   cases: {hardware: H100-SXM5-80GB}                 # only cases with these labels (optional)
//   parameters:
//     - key: chip.memory.hbm.achievable_fraction
//       min: 0.5
//       max: 1.0
//       start: 0.867                                  # optional: the middle of [min, max]
//       unit: us                                      # optional: of min, max, start and the
//                                                     # value set (for keys that take a unit)
//       cases: {hardware: H100-SXM5-80GB}             # applied to these cases only (optional)
//   objective: {weights: trust}                       # or none (default)
//
// Objective: sum over cases of (w_i x ln(predicted_i / measured_i))^2, with w_i = 1, or by the
// case's `trust` label (official and peer-reviewed sources 1, vendor blogs 0.7, third parties 0.5).
// Method: Levenberg–Marquardt with a forward-difference Jacobian (each column one run of the
// selected cases with one parameter nudged), parameters kept inside their bounds by projection.
// Standard errors from the residual variance and (J^T J)^-1 at the optimum. A parameter that moves
// fewer than two cases is refused: it would be a per-case knob.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/spec/catalog.h"
#include "sim/validate/validate.h"

namespace archsim::validate {

struct Parameter {
  std::string key;
  std::string unit;  // appended to the value set ("" for plain numbers)
  double min = 0, max = 0;
  std::optional<double> start;
  std::map<std::string, std::string> cases;  // labels a case must carry to get the parameter
  Location location;
};

struct Calibration {
  std::string name;
  std::string description;
  std::filesystem::path file;
  std::vector<Suite> suites;
  std::map<std::string, std::string> cases;  // case filter (labels)
  std::vector<Parameter> parameters;
  bool trust_weights = false;
};

/// Reads a calibration file and its suites. Throws ConfigError: unknown keys, reversed or empty
/// bounds, a start outside them, a parameter key that no case's configuration has.
Calibration loadCalibration(const spec::Catalog& catalog, const std::filesystem::path& file);

struct FitOptions {
  unsigned jobs = 1;
  std::size_t max_iterations = 30;
  std::size_t folds = 0;  // K-fold cross-validation grouped by the cases' `source` label
};

struct FittedParameter {
  std::string key;
  std::string unit;
  double value = 0;
  double standard_error = 0;
  double start = 0;
  bool at_bound = false;
};

struct FoldResult {
  std::vector<std::string> held_out_sources;
  std::vector<FittedParameter> fitted;
  Summary held_out;  // the held-out cases' errors under the fold's fit
};

struct FitResult {
  std::vector<FittedParameter> parameters;
  std::vector<CaseResult> before, after;
  double cost_before = 0, cost_after = 0;  // the objective
  std::size_t iterations = 0;
  std::size_t evaluations = 0;  // suite runs
  std::vector<FoldResult> folds;
};

/// Fits the parameters. Throws ConfigError when a parameter moves fewer than two cases or no case
/// is selected.
FitResult calibrate(const spec::Catalog& catalog, const Calibration& calibration,
                    const FitOptions& options);

/// The terminal report: fitted values with standard errors, before/after summaries, folds.
std::string calibrationReport(const Calibration& calibration, const FitResult& fit);

/// fitted.yaml into `out` (atomically): each parameter's value, standard error and bounds, the
/// --set lines that apply them, and a `sources` entry per key citing the suites and the fit (to
/// copy into the preset the key belongs to), plus the before/after summaries.
void writeCalibration(const std::filesystem::path& out, const Calibration& calibration,
                      const FitResult& fit);

}  // namespace archsim::validate
