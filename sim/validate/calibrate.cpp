#include "sim/validate/calibrate.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "sim/core/atomic_file.h"
#include "sim/core/parallel_for.h"
#include "sim/spec/reader.h"

namespace archsim::validate {
namespace {

using spec::ConfigNode;
using spec::MapReader;
using spec::Need;

/// The case's labels as runCase() adds them (its own groups plus metric and software; hardware
/// and phase need the loaded case and are matched by the caller).
bool matches(const std::map<std::string, std::string>& want, const CaseResult& r) {
  for (const auto& entry : want) {  // not a structured binding: clang 14 cannot capture one
    const auto it = std::find_if(r.groups.begin(), r.groups.end(),
                                 [&](const auto& g) { return g.first == entry.first; });
    if (it == r.groups.end() || it->second != entry.second) return false;
  }
  return true;
}

double trustWeight(const std::string& trust) {
  std::string t = trust;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t.find("third-party") != std::string::npos) return 0.5;
  if (t.find("blog") != std::string::npos || t.find("preliminary") != std::string::npos) return 0.7;
  return 1.0;
}

std::string formatValue(double v) {
  return fmt::format("{:.6g}", v);
}

/// The value with the parameter's unit, as --set takes it ("300 us", or "0.94").
std::string withUnit(double v, const std::string& unit) {
  return unit.empty() ? formatValue(v) : formatValue(v) + " " + unit;
}

/// The selected cases of every suite, flattened, with the suite each came from.
struct Selected {
  const Suite* suite;
  const Case* c;
  double weight;
  std::vector<std::size_t> params;  // parameters applied to this case
};

class Problem {
 public:
  Problem(const spec::Catalog& catalog, const Calibration& cal, unsigned jobs)
      : catalog_(catalog), cal_(cal), jobs_(jobs) {}

  /// Runs the cases at `theta` and returns their results (case order).
  std::vector<CaseResult> run(const std::vector<Selected>& cases, const Eigen::VectorXd& theta) {
    ++evaluations_;
    std::vector<CaseResult> out(cases.size());
    parallelFor(cases.size(), jobs_, [&](std::size_t i) {
      Options o;
      for (std::size_t p : cases[i].params)
        o.sets.push_back(cal_.parameters[p].key + "=" +
                         withUnit(theta[Eigen::Index(p)], cal_.parameters[p].unit));
      out[i] = runCase(catalog_, *cases[i].suite, *cases[i].c, o);
    });
    return out;
  }

  /// Weighted log residuals; a case that fails at this point costs ln(10) (ten times off).
  static Eigen::VectorXd residuals(const std::vector<Selected>& cases,
                                   const std::vector<CaseResult>& results) {
    Eigen::VectorXd r(static_cast<Eigen::Index>(cases.size()));
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const double e = results[i].predicted && *results[i].predicted > 0
                           ? std::log(*results[i].predicted / results[i].measured)
                           : std::log(10.0);
      r[Eigen::Index(i)] = cases[i].weight * e;
    }
    return r;
  }

  std::size_t evaluations() const { return evaluations_; }

 private:
  const spec::Catalog& catalog_;
  const Calibration& cal_;
  unsigned jobs_;
  std::size_t evaluations_ = 0;
};

struct Fit {
  Eigen::VectorXd theta;
  Eigen::MatrixXd jacobian;
  Eigen::VectorXd residuals;
  std::size_t iterations = 0;
};

Eigen::VectorXd clampTo(const Calibration& cal, Eigen::VectorXd x) {
  for (std::size_t p = 0; p < cal.parameters.size(); ++p) {
    const auto i = static_cast<Eigen::Index>(p);
    x[i] = std::clamp(x[i], cal.parameters[p].min, cal.parameters[p].max);
  }
  return x;
}

Eigen::MatrixXd jacobianAt(Problem& problem, const Calibration& cal,
                           const std::vector<Selected>& cases, const Eigen::VectorXd& theta,
                           const Eigen::VectorXd& r0) {
  const auto n = static_cast<Eigen::Index>(cases.size());
  const auto p = static_cast<Eigen::Index>(cal.parameters.size());
  Eigen::MatrixXd j(n, p);
  for (Eigen::Index k = 0; k < p; ++k) {
    const Parameter& par = cal.parameters[static_cast<std::size_t>(k)];
    double h = 1e-3 * (par.max - par.min);
    Eigen::VectorXd t = theta;
    if (t[k] + h > par.max) h = -h;  // step inward at the upper bound
    t[k] += h;
    // Only the cases the parameter applies to move: run those.
    std::vector<Selected> moved;
    std::vector<Eigen::Index> rows;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& ps = cases[i].params;
      if (std::find(ps.begin(), ps.end(), static_cast<std::size_t>(k)) == ps.end()) continue;
      moved.push_back(cases[i]);
      rows.push_back(static_cast<Eigen::Index>(i));
    }
    j.col(k).setZero();
    const Eigen::VectorXd r = Problem::residuals(moved, problem.run(moved, t));
    for (std::size_t m = 0; m < rows.size(); ++m)
      j(rows[m], k) = (r[Eigen::Index(m)] - r0[rows[m]]) / h;
  }
  return j;
}

Fit levenbergMarquardt(Problem& problem, const Calibration& cal, const std::vector<Selected>& cases,
                       Eigen::VectorXd theta, std::size_t max_iterations, bool check_cases) {
  Fit f;
  f.theta = theta;
  f.residuals = Problem::residuals(cases, problem.run(cases, theta));
  double cost = f.residuals.squaredNorm();
  double lambda = 1e-3;
  f.jacobian = jacobianAt(problem, cal, cases, theta, f.residuals);
  if (check_cases) {
    spec::Diagnostics diags;
    for (std::size_t k = 0; k < cal.parameters.size(); ++k) {
      std::size_t moved = 0;
      for (Eigen::Index i = 0; i < f.jacobian.rows(); ++i)
        moved += std::abs(f.jacobian(i, Eigen::Index(k))) > 1e-9;
      if (moved < 2) {
        diags.error(cal.parameters[k].location, cal.parameters[k].key,
                    fmt::format("moves {} of the {} selected cases: a parameter must be global "
                                "(moving at least two cases), never a knob for one case",
                                moved, cases.size()));
      }
    }
    diags.throwIfAny();
  }
  for (std::size_t it = 0; it < max_iterations; ++it) {
    f.iterations = it + 1;
    const Eigen::MatrixXd jtj = f.jacobian.transpose() * f.jacobian;
    const Eigen::VectorXd g = f.jacobian.transpose() * f.residuals;
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      Eigen::MatrixXd a = jtj;
      a.diagonal() += lambda * jtj.diagonal().cwiseMax(1e-12);
      const Eigen::VectorXd step = a.ldlt().solve(-g);
      const Eigen::VectorXd next = clampTo(cal, f.theta + step);
      if ((next - f.theta).norm() == 0) break;
      const Eigen::VectorXd r = Problem::residuals(cases, problem.run(cases, next));
      if (r.squaredNorm() < cost) {
        const double gain = cost - r.squaredNorm();
        // Converged when the cost stops falling (relative gain below 1e-6) or no parameter moved
        // by a tenth of its finite-difference step (1e-4 of its range): simulated times come in
        // whole ticks and tiles, so the objective is flat below that and further steps only
        // chase its steps (a 1e-10 rule ran one-parameter fits for over half an hour).
        bool moved = false;
        for (std::size_t p = 0; p < cal.parameters.size(); ++p) {
          const auto i = static_cast<Eigen::Index>(p);
          const Parameter& par = cal.parameters[p];
          moved |= std::abs(next[i] - f.theta[i]) >= 1e-4 * (par.max - par.min);
        }
        f.theta = next;
        f.residuals = r;
        cost = r.squaredNorm();
        lambda = std::max(lambda / 3, 1e-9);
        improved = true;
        if (gain < 1e-6 * std::max(cost, 1e-30) || !moved) return f;
      } else {
        lambda *= 4;
      }
    }
    if (!improved) break;
    f.jacobian = jacobianAt(problem, cal, cases, f.theta, f.residuals);
  }
  return f;
}

}  // namespace

Calibration loadCalibration(const spec::Catalog& catalog, const std::filesystem::path& file) {
  const ConfigNode doc = spec::loadYamlFile(file);
  spec::Diagnostics diags;
  MapReader r(doc, "", diags);
  Calibration cal;
  cal.file = file;
  const spec::DocumentHeader header = spec::readHeader(r, "calibration");
  cal.name = header.name;
  cal.description = header.description;
  const auto suites = r.textList("suites", Need::kRequired);
  cal.cases = readLabels(r, "cases", diags);
  if (const ConfigNode* params = r.node("parameters", Need::kRequired)) {
    if (!params->isSequence() || params->children().empty()) {
      r.error("parameters", "expected a non-empty list of {key, min, max}");
    } else {
      for (std::size_t i = 0; i < params->children().size(); ++i) {
        MapReader p(params->children()[i], fmt::format("parameters[{}]", i), diags);
        Parameter par;
        par.location = params->children()[i].location();
        par.key = p.text("key", Need::kRequired).value_or("");
        const auto lo = p.number("min", Need::kRequired, -1e300, 1e300);
        const auto hi = p.number("max", Need::kRequired, -1e300, 1e300);
        par.start = p.number("start", Need::kOptional, -1e300, 1e300);
        par.cases = readLabels(p, "cases", diags);
        par.unit = p.text("unit", Need::kOptional).value_or("");
        if (lo && hi && !(*lo < *hi)) {
          p.error("max", fmt::format("bounds reversed or empty: min {} is not below max {}",
                                     formatValue(*lo), formatValue(*hi)));
        }
        if (lo && hi && par.start && (*par.start < *lo || *par.start > *hi))
          p.error("start", "start lies outside [min, max]");
        p.finish();
        par.min = lo.value_or(0);
        par.max = hi.value_or(1);
        cal.parameters.push_back(std::move(par));
      }
    }
  }
  if (auto objective = r.child("objective", Need::kOptional)) {
    cal.trust_weights =
        objective->choice<bool>("weights", {{"none", false}, {"trust", true}}, Need::kOptional)
            .value_or(false);
    objective->finish();
  }
  r.finish();
  diags.throwIfAny();
  for (const std::string& s : *suites) {
    const std::filesystem::path p(s);
    cal.suites.push_back(loadSuite(p.is_absolute() ? p : file.parent_path() / p));
  }
  if (cal.suites.empty()) {
    r.error("suites", "expected at least one suite");
    diags.throwIfAny();
  }
  // Every parameter must name a key the configurations have: set it on the first case.
  const Suite& first = cal.suites.front();
  const Suite probe{first.name, first.description, first.file, {first.cases.front()}, {}};
  for (const Parameter& par : cal.parameters) {
    Options o;
    o.sets = {par.key + "=" + withUnit(par.start.value_or(0.5 * (par.min + par.max)), par.unit)};
    try {
      checkSuite(catalog, probe, o);
    } catch (const ConfigError& e) {
      diags.error(par.location, par.key,
                  fmt::format("cannot be set on case {}: {}", probe.cases.front().id,
                              e.diagnostics().front().message));
    }
  }
  diags.throwIfAny();
  return cal;
}

FitResult calibrate(const spec::Catalog& catalog, const Calibration& cal,
                    const FitOptions& options) {
  Problem problem(catalog, cal, options.jobs);
  // Select the cases: run every case once at the start values to learn its labels (hardware and
  // phase come from the loaded configuration).
  std::vector<Selected> all;
  for (const Suite& suite : cal.suites) {
    for (const Case& c : suite.cases)
      all.push_back({&suite, &c, cal.trust_weights ? trustWeight(c.trust) : 1.0, {}});
  }
  Eigen::VectorXd start(static_cast<Eigen::Index>(cal.parameters.size()));
  for (std::size_t p = 0; p < cal.parameters.size(); ++p) {
    const Parameter& par = cal.parameters[p];
    start[Eigen::Index(p)] = par.start.value_or(0.5 * (par.min + par.max));
  }
  // Labels first (without parameters), then which parameters each selected case gets.
  std::vector<CaseResult> probe(all.size());
  parallelFor(all.size(), options.jobs, [&](std::size_t i) {
    probe[i] = runCase(catalog, *all[i].suite, *all[i].c, Options{});
  });
  std::vector<Selected> cases;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!matches(cal.cases, probe[i]) || probe[i].status != "ok") continue;
    Selected s = all[i];
    for (std::size_t p = 0; p < cal.parameters.size(); ++p) {
      if (matches(cal.parameters[p].cases, probe[i])) s.params.push_back(p);
    }
    cases.push_back(std::move(s));
  }
  if (cases.empty()) {
    throw ConfigError(Location{cal.file.string(), 0, 0}, "cases",
                      "no case of the suites matches the filter and runs");
  }
  FitResult out;
  out.before = problem.run(cases, start);
  out.cost_before = Problem::residuals(cases, out.before).squaredNorm();
  const Fit f = levenbergMarquardt(problem, cal, cases, start, options.max_iterations, true);
  out.after = problem.run(cases, f.theta);
  out.cost_after = f.residuals.squaredNorm();
  out.iterations = f.iterations;
  // Standard errors: s^2 (J^T J)^-1 with s^2 the residual variance.
  const auto n = static_cast<double>(cases.size());
  const auto p = static_cast<double>(cal.parameters.size());
  const double s2 = n > p ? out.cost_after / (n - p) : 0.0;
  const Eigen::MatrixXd jtj = f.jacobian.transpose() * f.jacobian;
  const Eigen::MatrixXd cov = s2 * jtj.completeOrthogonalDecomposition().pseudoInverse();
  for (std::size_t k = 0; k < cal.parameters.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    const Parameter& par = cal.parameters[k];
    out.parameters.push_back({par.key, par.unit, f.theta[i], std::sqrt(std::max(0.0, cov(i, i))),
                              start[i], f.theta[i] <= par.min || f.theta[i] >= par.max});
  }
  // K-fold cross-validation grouped by source: fit on the other folds, score the held-out one.
  if (options.folds >= 2) {
    std::set<std::string> sources;
    auto sourceOf = [&](std::size_t i) {
      for (const auto& [label, value] : out.before[i].groups)
        if (label == "source") return value;
      return out.before[i].id;
    };
    for (std::size_t i = 0; i < cases.size(); ++i)
      sources.insert(sourceOf(i));
    const std::vector<std::string> order(sources.begin(), sources.end());
    const std::size_t k = std::min(options.folds, order.size());
    for (std::size_t fold = 0; fold < k; ++fold) {
      FoldResult fr;
      std::set<std::string> held;
      for (std::size_t s = fold; s < order.size(); s += k)
        held.insert(order[s]);
      fr.held_out_sources.assign(held.begin(), held.end());
      std::vector<Selected> train, test;
      for (std::size_t i = 0; i < cases.size(); ++i)
        (held.count(sourceOf(i)) ? test : train).push_back(cases[i]);
      if (train.size() < 2 || test.empty()) continue;
      const Fit ff = levenbergMarquardt(problem, cal, train, start, options.max_iterations, false);
      for (std::size_t q = 0; q < cal.parameters.size(); ++q)
        fr.fitted.push_back({cal.parameters[q].key, cal.parameters[q].unit,
                             ff.theta[Eigen::Index(q)], 0, 0, false});
      const std::vector<CaseResult> held_results = problem.run(test, ff.theta);
      fr.held_out = summarize(held_results).front();
      out.folds.push_back(std::move(fr));
    }
  }
  out.evaluations = problem.evaluations();
  return out;
}

std::string calibrationReport(const Calibration& cal, const FitResult& fit) {
  std::string out = fmt::format(
      "calibration {}: {} cases, {} parameters, {} iterations, {} suite "
      "runs\n\n",
      cal.name, fit.before.size(), fit.parameters.size(), fit.iterations, fit.evaluations);
  out += fmt::format("{:<44} {:>12} {:>12} {:>12}\n", "parameter", "start", "fitted", "std error");
  for (const FittedParameter& p : fit.parameters) {
    out += fmt::format("{:<44} {:>12} {:>12} {:>12}{}\n", p.key, withUnit(p.start, p.unit),
                       withUnit(p.value, p.unit), withUnit(p.standard_error, p.unit),
                       p.at_bound ? "  (at a bound)" : "");
  }
  const Summary b = summarize(fit.before).front(), a = summarize(fit.after).front();
  out += fmt::format("\n{:<8} {:>4} {:>8} {:>8} {:>8} {:>8} {:>12}\n", "", "n", "median", "p90",
                     "max", "bias", "objective");
  for (const auto& [label, s, cost] :
       {std::tuple{"before", b, fit.cost_before}, {"after", a, fit.cost_after}}) {
    out += fmt::format("{:<8} {:>4} {:>7.1f}% {:>7.1f}% {:>7.1f}% {:>+7.1f}% {:>12.5g}\n", label,
                       s.n, 100 * s.median_abs, 100 * s.p90_abs, 100 * s.max_abs,
                       100 * s.median_signed, cost);
  }
  // Cases that ran at the start but not at the fitted values (they cost ln 10 each in the fit).
  std::size_t failed = 0;
  for (const CaseResult& r : fit.after) {
    if (r.status == "ok") continue;
    if (failed++ == 0) out += "\nfailed at the fitted values:\n";
    if (failed <= 10) out += fmt::format("  {}: {}\n", r.id, r.message);
  }
  if (failed > 10) out += fmt::format("  ... and {} more\n", failed - 10);
  if (!fit.folds.empty()) {
    out += "\ncross-validation (held-out sources):\n";
    for (const FoldResult& f : fit.folds) {
      std::string values;
      for (const FittedParameter& p : f.fitted)
        values += fmt::format(" {}={}", p.key, withUnit(p.value, p.unit));
      std::string held;
      for (const std::string& s : f.held_out_sources)
        held += (held.empty() ? "" : ",") + s;
      out +=
          fmt::format("  held out {:<30} n {:>3}  median {:>5.1f}%  p90 {:>5.1f}% |{}\n", held,
                      f.held_out.n, 100 * f.held_out.median_abs, 100 * f.held_out.p90_abs, values);
    }
  }
  return out;
}

void writeCalibration(const std::filesystem::path& out, const Calibration& cal,
                      const FitResult& fit) {
  std::string suites;
  for (const Suite& s : cal.suites)
    suites += (suites.empty() ? "" : ", ") + s.name;
  const Summary b = summarize(fit.before).front(), a = summarize(fit.after).front();
  std::string y = fmt::format(
      "# Fitted by `archsim calibrate {}` over the suites {} ({} cases).\n"
      "# Apply with the set lines (--set), or copy a value and its sources entry into the preset.\n"
      "kind: calibration_result\nname: {}\nparameters:\n",
      cal.file.filename().string(), suites, fit.before.size(), cal.name);
  for (const FittedParameter& p : fit.parameters) {
    y += fmt::format(
        "  - {{key: {}, value: {}, standard_error: {}, start: {}, unit: \"{}\", at_bound: {}}}\n",
        p.key, formatValue(p.value), formatValue(p.standard_error), formatValue(p.start), p.unit,
        p.at_bound ? "true" : "false");
  }
  y += "set:\n";
  for (const FittedParameter& p : fit.parameters)
    y += fmt::format("  - \"{}={}\"\n", p.key, withUnit(p.value, p.unit));
  y += "sources:\n";
  for (const FittedParameter& p : fit.parameters) {
    y += fmt::format(
        "  {}: [\"fit: archsim calibrate {} over {} ({} cases): {} +- {} (median |error| {:.1f}% "
        "-> {:.1f}%)\"]\n",
        p.key, cal.name, suites, fit.before.size(), withUnit(p.value, p.unit),
        withUnit(p.standard_error, p.unit), 100 * b.median_abs, 100 * a.median_abs);
  }
  y += fmt::format(
      "summary:\n  before: {{n: {}, median_abs_error: {:.6f}, p90_abs_error: {:.6f}, "
      "median_signed_error: {:.6f}}}\n  after: {{n: {}, median_abs_error: {:.6f}, "
      "p90_abs_error: {:.6f}, median_signed_error: {:.6f}}}\n",
      b.n, b.median_abs, b.p90_abs, b.median_signed, a.n, a.median_abs, a.p90_abs, a.median_signed);
  writeDirectoryAtomically(out, {{"fitted.yaml", y}});
}

}  // namespace archsim::validate
