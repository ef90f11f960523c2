// Error bars from validation residuals, against their closed form.
#include "sim/validate/intervals.h"

#include <doctest/doctest.h>

using namespace archsim;

TEST_CASE("Intervals: times T / (1 + e90) to T / (1 + e10), rates R (1 + e10) to R (1 + e90)") {
  std::vector<validate::Residual> rs;
  // Eleven batch-1 generate time cases on chip A: errors -0.5, -0.4, ..., +0.5.
  for (int i = 0; i <= 10; ++i)
    rs.push_back({"A", "generate", "1", "e2e_s", -0.5 + 0.1 * i});
  // Three prefill cases on A (too few on their own); six batched rate cases on B, all +25 %
  // (as times: 1 / 1.25 - 1 = -20 %).
  for (int i = 0; i < 3; ++i)
    rs.push_back({"A", "prefill", "1", "ttft_s", 1.0});
  for (int i = 0; i < 6; ++i)
    rs.push_back({"B", "generate", "many", "output_tokens_per_s", 0.25});
  run::Metrics m;
  m.e2e_s = 2.0;
  m.ttft_s = 0.5;
  m.tpot_s = 0.01;
  m.output_tokens_per_s = 100.0;
  const run::MetricIntervals gen = validate::metricIntervals(rs, "A", spec::Phase::kGenerate, 1, m);
  const run::MetricInterval* e2e = gen.find("e2e_s");
  REQUIRE(e2e != nullptr);
  // e10 = -0.4, e90 = +0.4 over A's 11 batch-1 generate cases.
  CHECK(e2e->cases == 11);
  CHECK(e2e->low == doctest::Approx(2.0 / 1.4));
  CHECK(e2e->high == doctest::Approx(2.0 / 0.6));
  CHECK(e2e->basis == "A, generate, batch 1");
  // The rate from the same residuals: a time 40 % long is a rate 1 / 1.4 of the truth.
  const run::MetricInterval* rate = gen.find("output_tokens_per_s");
  REQUIRE(rate != nullptr);
  CHECK(rate->low == doctest::Approx(100.0 * 0.6));
  CHECK(rate->high == doctest::Approx(100.0 * 1.4));
  // No validation case measures energy: no interval.
  CHECK(gen.find("energy_per_token_j") == nullptr);
  // A prefill on A: three prefill cases are too few, so A's cases of any phase (14).
  const run::MetricIntervals pre = validate::metricIntervals(rs, "A", spec::Phase::kPrefill, 1, m);
  REQUIRE(pre.find("ttft_s") != nullptr);
  CHECK(pre.find("ttft_s")->cases == 14);
  CHECK(pre.find("ttft_s")->basis == "A");
  // Batched on B: its six rate cases as times (-20 %): a time T is T / 0.8 exactly.
  const run::MetricIntervals b = validate::metricIntervals(rs, "B", spec::Phase::kGenerate, 64, m);
  REQUIRE(b.find("e2e_s") != nullptr);
  CHECK(b.find("e2e_s")->low == doctest::Approx(2.0 / 0.8));
  CHECK(b.find("e2e_s")->basis == "B, generate, batched");
  CHECK(b.find("output_tokens_per_s")->high == doctest::Approx(100.0 * 0.8));
  // A chip with no validation data gets no interval, and the note says so.
  const run::MetricIntervals none =
      validate::metricIntervals(rs, "C", spec::Phase::kGenerate, 1, m);
  CHECK(none.intervals.empty());
  CHECK(none.note.find("no validation data for C") != std::string::npos);
}
