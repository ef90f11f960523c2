// Error bars from validation residuals, against their closed form.
#include "sim/validate/intervals.h"

#include <doctest/doctest.h>

using namespace archsim;

TEST_CASE("Intervals: P / (1 + e90) to P / (1 + e10) over the most similar cases") {
  std::vector<validate::Residual> rs;
  // Eleven generate-phase time cases on chip A: errors -0.5, -0.4, ..., +0.5.
  for (int i = 0; i <= 10; ++i)
    rs.push_back({"A", "generate", "e2e_s", -0.5 + 0.1 * i});
  // Three prefill time cases on A (too few on their own), rates on chip B only.
  for (int i = 0; i < 3; ++i)
    rs.push_back({"A", "prefill", "ttft_s", 1.0});
  for (int i = 0; i < 6; ++i)
    rs.push_back({"B", "generate", "output_tokens_per_s", 0.2});
  run::Metrics m;
  m.e2e_s = 2.0;
  m.ttft_s = 0.5;
  m.tpot_s = 0.01;
  m.output_tokens_per_s = 100.0;
  const run::MetricIntervals gen = validate::metricIntervals(rs, "A", spec::Phase::kGenerate, m);
  const run::MetricInterval* e2e = gen.find("e2e_s");
  REQUIRE(e2e != nullptr);
  // e10 = -0.4, e90 = +0.4 over the 11 generate cases of A (the prefill ones are another phase).
  CHECK(e2e->cases == 11);
  CHECK(e2e->low == doctest::Approx(2.0 / 1.4));
  CHECK(e2e->high == doctest::Approx(2.0 / 0.6));
  CHECK(e2e->basis == "A, generate, times");
  // Rates: A has none, so every chip's generate rates (B's six cases, all +20 %).
  const run::MetricInterval* rate = gen.find("output_tokens_per_s");
  REQUIRE(rate != nullptr);
  CHECK(rate->cases == 6);
  CHECK(rate->low == doctest::Approx(100.0 / 1.2));
  CHECK(rate->high == doctest::Approx(100.0 / 1.2));
  CHECK(rate->basis == "every chip, generate, rates");
  // No validation case measures energy: no interval.
  CHECK(gen.find("energy_per_token_j") == nullptr);
  // A prefill on A: three prefill cases are too few, so A's times of any phase (14 cases).
  const run::MetricIntervals pre = validate::metricIntervals(rs, "A", spec::Phase::kPrefill, m);
  REQUIRE(pre.find("ttft_s") != nullptr);
  CHECK(pre.find("ttft_s")->cases == 14);
  CHECK(pre.find("ttft_s")->basis == "A, times");
  // A chip with no validation data gets no interval, and the note says so.
  const run::MetricIntervals none = validate::metricIntervals(rs, "C", spec::Phase::kGenerate, m);
  CHECK(none.intervals.empty());
  CHECK(none.note.find("no validation data for C") != std::string::npos);
}
