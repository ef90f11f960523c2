#include "sim/validate/intervals.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/validate/validate.h"

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
  if (m == "output_tokens_per_s" || m == "tokens_per_s_per_user" || m == "prompt_tokens_per_s")
    return Kind::kRate;
  return Kind::kNone;
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
    // Text fields of another type read as absent (the file may have been edited by hand).
    auto text = [](const nlohmann::json& o, const char* key) {
      const auto it = o.find(key);
      return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const nlohmann::json& g = c["groups"];
    out.push_back({text(g, "hardware"), text(g, "phase"), text(g, "batch"), text(c, "metric"),
                   c["error"].get<double>()});
  }
  return out;
}

run::MetricIntervals metricIntervals(const std::vector<Residual>& residuals,
                                     const std::string& chip, spec::Phase phase,
                                     std::uint64_t batch, const run::Metrics& metrics) {
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
  // Every residual as the error of a time (a rate r off by e is a time 1/r off by 1/(1+e) - 1):
  // a batch-1 throughput and a batch-1 latency are the same measurement seen two ways.
  auto asTime = [](const Residual& r) {
    return kindOfValidationMetric(r.metric) == Kind::kRate ? 1.0 / (1.0 + r.error) - 1.0 : r.error;
  };
  const std::string batch_class = batchClass(batch);
  const std::string batch_name = batch == 1 ? "batch 1" : "batched";
  struct Level {
    bool same_chip, same_phase, same_batch;
    std::string basis;
  };
  const Level levels[] = {
      {true, true, true, fmt::format("{}, {}, {}", chip, phase_name, batch_name)},
      {false, true, true, fmt::format("every chip, {}, {}", phase_name, batch_name)},
      {true, true, false, fmt::format("{}, {}", chip, phase_name)},
      {true, false, false, chip},
      {false, true, false, fmt::format("every chip, {}", phase_name)},
      {false, false, false, "every chip"}};
  std::vector<double> errors;
  const Level* used = nullptr;
  for (const Level& level : levels) {
    errors.clear();
    for (const Residual& r : residuals) {
      if (kindOfValidationMetric(r.metric) == Kind::kNone) continue;
      if (level.same_chip && r.hardware != chip) continue;
      if (level.same_phase && r.phase != phase_name) continue;
      if (level.same_batch && r.batch != batch_class) continue;
      errors.push_back(asTime(r));
    }
    if (errors.size() >= kMinCases) {
      used = &level;
      break;
    }
  }
  if (used == nullptr) return out;
  const double e10 = quantile(errors, 0.1), e90 = quantile(errors, 0.9);
  for (const run::MetricDef& def : run::headlineMetrics()) {
    const Kind kind = kindOfHeadline(def.key);
    const std::optional<double> value = def.value(metrics);
    if (kind == Kind::kNone || !value) continue;
    // A time T predicted with time errors e is really T / (1 + e); a rate, R x (1 + e).
    const double low = kind == Kind::kTime ? *value / (1 + e90) : *value * (1 + e10);
    const double high = kind == Kind::kTime ? *value / (1 + e10) : *value * (1 + e90);
    out.intervals.push_back({std::string(def.key), low, high, errors.size(), used->basis});
  }
  return out;
}

}  // namespace archsim::validate
