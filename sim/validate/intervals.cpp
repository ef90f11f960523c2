#include "sim/validate/intervals.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace archsim::validate {
namespace {

enum class Kind { kTime, kRate, kNone };

Kind kindOfValidationMetric(const std::string& m) {
  if (m == "ttft_s" || m == "tpot_s" || m == "e2e_s") return Kind::kTime;
  if (m == "output_tokens_per_s" || m == "output_tokens_per_s_per_chip" ||
      m == "total_tokens_per_s" || m == "tokens_per_s_per_user")
    return Kind::kRate;
  return Kind::kNone;  // microbenchmarks and power
}

Kind kindOfHeadline(std::string_view m) {
  if (m == "ttft_s" || m == "tpot_s" || m == "e2e_s") return Kind::kTime;
  if (m == "output_tokens_per_s" || m == "tokens_per_s_per_user") return Kind::kRate;
  return Kind::kNone;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

std::optional<std::vector<Residual>> loadResiduals(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("cases") || !doc["cases"].is_array())
    return std::nullopt;
  std::vector<Residual> out;
  for (const nlohmann::json& c : doc["cases"]) {
    if (!c.is_object() || !c.contains("error") || !c["error"].is_number() ||
        !c.contains("groups") || !c["groups"].is_object())
      continue;
    const nlohmann::json& g = c["groups"];
    out.push_back({g.value("hardware", ""), g.value("phase", ""), c.value("metric", ""),
                   c["error"].get<double>()});
  }
  return out;
}

run::MetricIntervals metricIntervals(const std::vector<Residual>& residuals,
                                     const std::string& chip, spec::Phase phase,
                                     const run::Metrics& metrics) {
  run::MetricIntervals out;
  const std::string phase_name(spec::phaseName(phase));
  const bool chip_known = std::any_of(residuals.begin(), residuals.end(),
                                      [&](const Residual& r) { return r.hardware == chip; });
  if (!chip_known) {
    out.note = fmt::format(
        "no validation data for {}: no interval (the public suites measure "
        "other chips)",
        chip);
    return out;
  }
  out.note =
      "80% intervals from the 10th-90th percentile of validation residuals of similar "
      "cases (reports/validation/baseline/validation.json); energy and power have no measurements";
  for (const run::MetricDef& def : run::headlineMetrics()) {
    const Kind kind = kindOfHeadline(def.key);
    const std::optional<double> value = def.value(metrics);
    if (kind == Kind::kNone || !value) continue;
    const std::string kind_name = kind == Kind::kTime ? "times" : "rates";
    struct Level {
      bool same_chip, same_phase;
      std::string basis;
    };
    const Level levels[] = {{true, true, fmt::format("{}, {}, {}", chip, phase_name, kind_name)},
                            {true, false, fmt::format("{}, {}", chip, kind_name)},
                            {false, true, fmt::format("every chip, {}, {}", phase_name, kind_name)},
                            {false, false, fmt::format("every chip, {}", kind_name)}};
    for (const Level& level : levels) {
      std::vector<double> errors;
      for (const Residual& r : residuals) {
        if (kindOfValidationMetric(r.metric) != kind) continue;
        if (level.same_chip && r.hardware != chip) continue;
        if (level.same_phase && r.phase != phase_name) continue;
        errors.push_back(r.error);
      }
      if (errors.size() < kMinCases) continue;
      const double e10 = percentile(errors, 0.1), e90 = percentile(errors, 0.9);
      out.intervals.push_back({std::string(def.key), *value / (1 + e90), *value / (1 + e10),
                               errors.size(), level.basis});
      break;
    }
  }
  return out;
}

}  // namespace archsim::validate
