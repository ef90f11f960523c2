#include "sim/run/metrics.h"

#include <array>

#include <fmt/format.h>

#include "sim/spec/units.h"

namespace archsim::run {
namespace {

std::string time(double s) {
  return spec::formatQuantity(s, spec::Dimension::kTime);
}
std::string tokensPerSecond(double v) {
  return v >= 1e4 ? fmt::format("{:.0f} tokens/s", v) : fmt::format("{:.4g} tokens/s", v);
}
std::string energy(double j) {
  return spec::formatQuantity(j, spec::Dimension::kEnergy);
}
std::string tokensPerJoule(double v) {
  return fmt::format("{:.4g} tokens/J", v);
}
std::string power(double w) {
  return spec::formatQuantity(w, spec::Dimension::kPower);
}
std::string count(double n) {
  return fmt::format("{:.0f}", n);
}
std::string size(double b) {
  return spec::formatQuantity(b, spec::Dimension::kSize);
}
std::string percent(double f) {
  return fmt::format("{:.1f}%", 100 * f);
}

constexpr std::array<MetricDef, 13> kMetrics{{
    {"ttft_s", "TTFT", "s", Better::kLower, false, [](const Metrics& m) { return m.ttft_s; }, time},
    {"tpot_s", "TPOT", "s", Better::kLower, false, [](const Metrics& m) { return m.tpot_s; }, time},
    {"e2e_s", "end-to-end time", "s", Better::kLower, false,
     [](const Metrics& m) { return std::optional<double>(m.e2e_s); }, time},
    {"output_tokens_per_s", "throughput", "tokens/s", Better::kHigher, false,
     [](const Metrics& m) { return m.output_tokens_per_s; }, tokensPerSecond},
    {"tokens_per_s_per_user", "tokens/s per user", "tokens/s", Better::kHigher, false,
     [](const Metrics& m) { return m.tokens_per_s_per_user; }, tokensPerSecond},
    {"energy_per_token_j", "energy per token", "J", Better::kLower, false,
     [](const Metrics& m) { return m.energy_per_token_j; }, energy},
    {"tokens_per_j", "tokens per joule", "tokens/J", Better::kHigher, false,
     [](const Metrics& m) { return m.tokens_per_j; }, tokensPerJoule},
    {"prompt_tokens_per_s", "prompt tokens/s", "tokens/s", Better::kHigher, false,
     [](const Metrics& m) { return m.prompt_tokens_per_s; }, tokensPerSecond},
    {"energy_per_prompt_token_j", "energy per prompt token", "J", Better::kLower, false,
     [](const Metrics& m) { return m.energy_per_prompt_token_j; }, energy},
    {"avg_power_w", "average power", "W", Better::kNeither, false,
     [](const Metrics& m) { return std::optional<double>(m.avg_power_w); }, power},
    {"chips", "chips", "", Better::kLower, true,
     [](const Metrics& m) { return std::optional<double>(static_cast<double>(m.chips)); }, count},
    {"memory_bytes", "total memory", "B", Better::kNeither, true,
     [](const Metrics& m) { return std::optional<double>(static_cast<double>(m.memory_bytes)); },
     size},
    {"matrix_utilization", "matrix units busy", "", Better::kNeither, false,
     [](const Metrics& m) { return std::optional<double>(m.matrix_utilization); }, percent},
}};

}  // namespace

Metrics computeMetrics(const spec::ScenarioSpec& s, const Timeline& t) {
  Metrics m;
  m.e2e_s = t.e2e_s;
  m.chips = t.chips;
  m.memory_bytes = t.memory_bytes;
  m.matrix_utilization = t.matrix_utilization;
  m.avg_power_w = t.e2e_s > 0 ? t.energy_j / t.e2e_s : 0.0;
  const std::uint64_t per_seq = t.tokens_per_sequence;
  const std::uint64_t tokens = per_seq * s.batch;
  switch (s.phase) {
    case spec::Phase::kPrefill:
      if (per_seq > 0) m.ttft_s = t.e2e_s;
      break;
    case spec::Phase::kDecode:
      m.tpot_s = t.e2e_s;
      break;
    case spec::Phase::kGenerate:
      m.ttft_s = t.ttft_s.value_or(0.0);
      if (s.output_tokens > 1)
        m.tpot_s = (t.e2e_s - *m.ttft_s) / static_cast<double>(s.output_tokens - 1);
      break;
  }
  if (s.phase == spec::Phase::kPrefill) {
    const double prompt = static_cast<double>(s.prompt_tokens) * static_cast<double>(s.batch);
    if (prompt > 0 && t.e2e_s > 0) {
      m.prompt_tokens_per_s = prompt / t.e2e_s;
      m.energy_per_prompt_token_j = t.energy_j / prompt;
    }
  } else if (tokens > 0 && t.e2e_s > 0) {
    m.output_tokens_per_s = static_cast<double>(tokens) / t.e2e_s;
    m.tokens_per_s_per_user = static_cast<double>(per_seq) / t.e2e_s;
    m.energy_per_token_j = t.energy_j / static_cast<double>(tokens);
    if (*m.energy_per_token_j > 0) m.tokens_per_j = 1.0 / *m.energy_per_token_j;
  }
  return m;
}

std::span<const MetricDef> headlineMetrics() {
  return kMetrics;
}

const MetricDef* findMetric(std::string_view key) {
  for (const MetricDef& m : kMetrics) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

std::string formatMetric(const MetricDef& m, const Metrics& metrics) {
  const std::optional<double> v = m.value(metrics);
  return v ? m.format(*v) : std::string("-");
}

std::string formatInterval(const MetricDef& m, const MetricInterval* interval) {
  if (interval == nullptr) return "";
  return fmt::format("{} - {} ({} cases)", m.format(interval->low), m.format(interval->high),
                     interval->cases);
}

}  // namespace archsim::run
