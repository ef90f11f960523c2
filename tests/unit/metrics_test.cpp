// Headline metrics from a run's timeline, against their closed forms.
#include "sim/run/metrics.h"

#include <doctest/doctest.h>

using namespace archsim;

namespace {
spec::ScenarioSpec scenario(spec::Phase phase, std::uint64_t batch, std::uint64_t prompt,
                            std::uint64_t output) {
  spec::ScenarioSpec s;
  s.phase = phase;
  s.batch = batch;
  s.prompt_tokens = prompt;
  s.output_tokens = output;
  return s;
}
}  // namespace

TEST_CASE("Metrics: a prefill is measured per prompt token, not per output token") {
  // Batch 2 of 2,048-token prompts in 40 ms using 20 J: 4,096 prompt tokens.
  run::Timeline t;
  t.e2e_s = 0.040;
  t.ttft_s = 0.040;
  t.tokens_per_sequence = 1;  // a decoder's prefill yields the first token
  t.energy_j = 20.0;
  const run::Metrics m = run::computeMetrics(scenario(spec::Phase::kPrefill, 2, 2048, 0), t);
  REQUIRE(m.prompt_tokens_per_s);
  CHECK(*m.prompt_tokens_per_s == doctest::Approx(4096 / 0.040));
  REQUIRE(m.energy_per_prompt_token_j);
  CHECK(*m.energy_per_prompt_token_j == doctest::Approx(20.0 / 4096));
  CHECK(*m.ttft_s == doctest::Approx(0.040));
  CHECK(m.avg_power_w == doctest::Approx(500.0));
  // The one output token per sequence defines no throughput, energy per token or tokens/J.
  CHECK_FALSE(m.output_tokens_per_s);
  CHECK_FALSE(m.tokens_per_s_per_user);
  CHECK_FALSE(m.energy_per_token_j);
  CHECK_FALSE(m.tokens_per_j);
  CHECK_FALSE(m.tpot_s);
}

TEST_CASE("Metrics: an encoder (no output token) still has prompt-token rates") {
  run::Timeline t;
  t.e2e_s = 0.002;
  t.tokens_per_sequence = 0;
  t.energy_j = 0.5;
  const run::Metrics m = run::computeMetrics(scenario(spec::Phase::kPrefill, 8, 512, 0), t);
  CHECK_FALSE(m.ttft_s);
  REQUIRE(m.prompt_tokens_per_s);
  CHECK(*m.prompt_tokens_per_s == doctest::Approx(8 * 512 / 0.002));
  CHECK(*m.energy_per_prompt_token_j == doctest::Approx(0.5 / 4096));
}

TEST_CASE("Metrics: generate and decode rates are per output token; no prompt-token rates") {
  run::Timeline t;
  t.e2e_s = 1.0 + 127 * 0.01;  // TTFT 1 s, then 127 steps of 10 ms
  t.ttft_s = 1.0;
  t.tokens_per_sequence = 128;
  t.energy_j = 100.0;
  const run::Metrics g = run::computeMetrics(scenario(spec::Phase::kGenerate, 4, 1024, 128), t);
  CHECK(*g.tpot_s == doctest::Approx(0.01));
  CHECK(*g.output_tokens_per_s == doctest::Approx(512 / 2.27));
  CHECK(*g.tokens_per_s_per_user == doctest::Approx(128 / 2.27));
  CHECK(*g.energy_per_token_j == doctest::Approx(100.0 / 512));
  CHECK(*g.tokens_per_j == doctest::Approx(5.12));
  CHECK_FALSE(g.prompt_tokens_per_s);
  CHECK_FALSE(g.energy_per_prompt_token_j);

  run::Timeline d;
  d.e2e_s = 0.008;
  d.tokens_per_sequence = 1;
  d.energy_j = 4.0;
  const run::Metrics s = run::computeMetrics(scenario(spec::Phase::kDecode, 16, 0, 0), d);
  CHECK(*s.tpot_s == doctest::Approx(0.008));
  CHECK(*s.output_tokens_per_s == doctest::Approx(2000.0));
  CHECK(*s.energy_per_token_j == doctest::Approx(0.25));
  CHECK_FALSE(s.prompt_tokens_per_s);
}

TEST_CASE("Metrics: rates print with four significant digits, whole tokens from 10,000 up") {
  const run::MetricDef& rate = *run::findMetric("prompt_tokens_per_s");
  run::Metrics m;
  m.prompt_tokens_per_s = 59312.4;
  CHECK(run::formatMetric(rate, m) == "59312 tokens/s");
  m.prompt_tokens_per_s = 28.96;
  CHECK(run::formatMetric(rate, m) == "28.96 tokens/s");
  CHECK(run::findMetric("energy_per_prompt_token_j")->better == run::Better::kLower);
}
