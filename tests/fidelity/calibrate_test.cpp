// Calibration recovers a parameter it knows: "measurements" produced by archsim itself with a chip
// whose HBM achievable fraction is 0.8 are fitted from a start of 0.95, and the fit lands within
// 1 % of 0.8 with a small standard error. A parameter that only one case moves is refused.
#include "sim/validate/calibrate.h"

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path =
        std::filesystem::temp_directory_path() /
        fmt::format("archsim-calibrate-{}-{}", ::getpid(), reinterpret_cast<std::uintptr_t>(this));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return path / name;
  }
};

constexpr double kTrueFraction = 0.8;

/// Decode steps and a copy on an H100 (memory-bound: the HBM fraction moves every case), with
/// "measured" values from archsim at the true fraction.
std::string syntheticSuite(const spec::Catalog& catalog, const TempDir& dir) {
  const std::vector<std::string> cases = {
      "{id: decode-7b, system: h100-sxm5, scenario: llama2-7b-decode, metric: tpot_s, "
      "measured: 1 s, group: {source: a}}",
      "{id: decode-7b-b16, system: h100-sxm5, scenario: llama2-7b-decode, set: [batch=16], "
      "metric: tpot_s, measured: 1 s, group: {source: b}}",
      "{id: decode-tiny, system: h100-sxm5, scenario: tiny-llama-decode, metric: tpot_s, "
      "measured: 1 s, group: {source: c}}",
      "{id: copy, system: h100-sxm5, microbench: {op: copy, bytes: 1 GiB}, "
      "metric: achieved_bytes_per_s, measured: 1 TB/s, group: {source: d}}"};
  std::string draft = "kind: validation\nname: synthetic\ncases:\n";
  for (const std::string& c : cases)
    draft += "  - " + c + "\n";
  const validate::Suite suite = validate::loadSuite(dir.write("draft.yaml", draft));
  // The "measurements": archsim at the true fraction.
  std::string text = "kind: validation\nname: synthetic\ncases:\n";
  validate::Options truth;
  truth.sets = {fmt::format("chip.memory.hbm.achievable_fraction={}", kTrueFraction)};
  for (std::size_t i = 0; i < suite.cases.size(); ++i) {
    const validate::CaseResult r = validate::runCase(catalog, suite, suite.cases[i], truth);
    REQUIRE(r.predicted);
    const bool time = r.metric == "tpot_s";
    std::string c = cases[i];
    const std::string was = time ? "measured: 1 s" : "measured: 1 TB/s";
    c.replace(c.find(was), was.size(),
              fmt::format("measured: {:.12g} {}", *r.predicted, time ? "s" : "B/s"));
    text += "  - " + c + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("calibrate recovers a known HBM achievable fraction within 1 %") {
  const spec::Catalog catalog = test::presetCatalog();
  const TempDir dir;
  dir.write("synthetic.yaml", syntheticSuite(catalog, dir));
  const auto file = dir.write("fit.yaml",
                              "kind: calibration\nname: synthetic-hbm\nsuites: [synthetic.yaml]\n"
                              "parameters:\n"
                              "  - {key: chip.memory.hbm.achievable_fraction, min: 0.5, max: 1.0, "
                              "start: 0.95}\n");
  const validate::Calibration cal = validate::loadCalibration(catalog, file);
  validate::FitOptions options;
  options.jobs = 2;
  options.folds = 2;
  const validate::FitResult fit = validate::calibrate(catalog, cal, options);
  REQUIRE(fit.parameters.size() == 1);
  MESSAGE(validate::calibrationReport(cal, fit));
  CHECK(fit.parameters[0].value == doctest::Approx(kTrueFraction).epsilon(0.01));
  CHECK(fit.parameters[0].standard_error < 0.01);
  CHECK(fit.cost_after < 1e-4 * fit.cost_before);
  // It stops on convergence (the cost no longer falls, or the value no longer moves), not at the
  // iteration cap.
  MESSAGE("iterations: " << fit.iterations);
  CHECK(fit.iterations < options.max_iterations);
  CHECK(validate::summarize(fit.after).front().median_abs < 0.01);
  // Each held-out fold is predicted by the others' fit: the same true value.
  REQUIRE(fit.folds.size() == 2);
  for (const validate::FoldResult& f : fit.folds)
    CHECK(f.fitted[0].value == doctest::Approx(kTrueFraction).epsilon(0.01));
  // fitted.yaml carries the value and a sources entry that cites the fit.
  validate::writeCalibration(dir.path / "out", cal, fit);
  std::ifstream in(dir.path / "out" / "fitted.yaml");
  const std::string y((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(y.find("chip.memory.hbm.achievable_fraction=0.8") != std::string::npos);
  CHECK(y.find("fit: archsim calibrate synthetic-hbm over synthetic (4 cases)") !=
        std::string::npos);
}

TEST_CASE("calibrate refuses a parameter that moves only one case, and bad parameter files") {
  const spec::Catalog catalog = test::presetCatalog();
  const TempDir dir;
  dir.write("synthetic.yaml", syntheticSuite(catalog, dir));
  // Only the copy case gets the parameter: a per-case knob.
  const auto one = dir.write(
      "one.yaml",
      "kind: calibration\nname: one\nsuites: [synthetic.yaml]\nparameters:\n"
      "  - {key: chip.memory.hbm.achievable_fraction, min: 0.5, max: 1.0, cases: {source: d}}\n");
  const validate::Calibration cal = validate::loadCalibration(catalog, one);
  try {
    validate::calibrate(catalog, cal, {});
    FAIL("a one-case parameter was fitted");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().message.find("moves 1 of the 4 selected cases") !=
          std::string::npos);
    CHECK(e.diagnostics().front().location.line == 5);
  }
  // Reversed bounds and a key no configuration has: located errors.
  const auto bad =
      dir.write("bad.yaml",
                "kind: calibration\nname: bad\nsuites: [synthetic.yaml]\nparameters:\n"
                "  - {key: chip.memory.hbm.achievable_fraction, min: 1.0, max: 0.5}\n"
                "  - {key: chip.memory.hbm.achievable_fractoin, min: 0.5, max: 1.0}\n");
  try {
    validate::loadCalibration(catalog, bad);
    FAIL("a broken calibration file was accepted");
  } catch (const ConfigError& e) {
    REQUIRE(e.diagnostics().size() >= 1);
    CHECK(e.diagnostics()[0].message.find("bounds reversed") != std::string::npos);
    CHECK(e.diagnostics()[0].location.line == 5);
  }
  const auto typo =
      dir.write("typo.yaml",
                "kind: calibration\nname: typo\nsuites: [synthetic.yaml]\nparameters:\n"
                "  - {key: chip.memory.hbm.achievable_fractoin, min: 0.5, max: 1.0}\n");
  try {
    validate::loadCalibration(catalog, typo);
    FAIL("an unknown parameter key was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().key_path == "chip.memory.hbm.achievable_fractoin");
    CHECK(e.diagnostics().front().message.find("did you mean 'achievable_fraction'") !=
          std::string::npos);
    CHECK(e.diagnostics().front().location.line == 5);
  }
}

TEST_CASE("a run case's software stack replaces its scenario's, and calibrate fits its overhead") {
  const spec::Catalog catalog = test::presetCatalog();
  const TempDir dir;
  const std::vector<std::string> cases = {
      "{id: d1, system: h100-sxm5, scenario: llama2-7b-decode, software: vllm, metric: tpot_s, "
      "measured: 1 s, group: {source: a}}",
      "{id: d16, system: h100-sxm5, scenario: {base: llama2-7b-decode, batch: 16}, software: vllm, "
      "metric: tpot_s, measured: 1 s, group: {source: b}}",
      "{id: tiny, system: h100-sxm5, scenario: tiny-llama-decode, software: vllm, metric: tpot_s, "
      "measured: 1 s, group: {source: c}}"};
  std::string draft = "kind: validation\nname: stack\ncases:\n";
  for (const std::string& c : cases)
    draft += "  - " + c + "\n";
  const validate::Suite suite = validate::loadSuite(dir.write("draft.yaml", draft));
  // The case runs on vllm: its prediction is the scenario's run with software=vllm, for a preset
  // scenario and an inline one alike.
  for (std::size_t i : {std::size_t{0}, std::size_t{1}}) {
    const validate::CaseResult r = validate::runCase(catalog, suite, suite.cases[i], {});
    REQUIRE(r.predicted);
    const spec::ScenarioSpec s =
        spec::loadScenario(catalog, "llama2-7b-decode",
                           {"software=vllm", i == 0 ? "batch=1" : "batch=16"})
            .spec;
    const run::SystemRun direct(spec::loadSystem(catalog, "h100-sxm5").spec, s);
    CHECK(*r.predicted == doctest::Approx(*direct.metrics().tpot_s).epsilon(1e-12));
  }
  // "Measurements" at a step overhead of 700 us; the fit starts at 100 us, in us.
  std::string text = "kind: validation\nname: stack\ncases:\n";
  validate::Options truth;
  truth.sets = {"software.step_overhead=700 us"};
  for (std::size_t i = 0; i < suite.cases.size(); ++i) {
    const validate::CaseResult r = validate::runCase(catalog, suite, suite.cases[i], truth);
    REQUIRE(r.predicted);
    std::string c = cases[i];
    c.replace(c.find("measured: 1 s"), 13, fmt::format("measured: {:.12g} s", *r.predicted));
    text += "  - " + c + "\n";
  }
  dir.write("stack.yaml", text);
  const auto file = dir.write("fit.yaml",
                              "kind: calibration\nname: stack\nsuites: [stack.yaml]\nparameters:\n"
                              "  - {key: scenario.software.step_overhead, unit: us, min: 0, "
                              "max: 5000, start: 100, cases: {software: vllm}}\n");
  const validate::Calibration cal = validate::loadCalibration(catalog, file);
  const validate::FitResult fit = validate::calibrate(catalog, cal, {});
  REQUIRE(fit.parameters.size() == 1);
  CHECK(fit.parameters[0].value == doctest::Approx(700).epsilon(0.01));
  CHECK(fit.parameters[0].unit == "us");
  validate::writeCalibration(dir.path / "out", cal, fit);
  std::ifstream in(dir.path / "out" / "fitted.yaml");
  const std::string y((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(y.find("scenario.software.step_overhead=700") != std::string::npos);
}

TEST_CASE("a case's request count runs as whole waves of the batch plus the remainder's wave") {
  const spec::Catalog catalog = test::presetCatalog();
  const TempDir dir;
  const auto scenario = dir.write("gen.yaml",
                                  "kind: scenario\nname: gen\nmodel: tiny-llama\nphase: generate\n"
                                  "prompt_tokens: 32\noutput_tokens: 8\nbatch: 4\n");
  const std::string draft =
      "kind: validation\nname: waves\ncases:\n"
      "  - {id: one, system: h100-sxm5, scenario: gen.yaml, metric: output_tokens_per_s, "
      "measured: 1 tokens/s}\n"
      "  - {id: ten, system: h100-sxm5, scenario: gen.yaml, requests: 10, "
      "metric: total_tokens_per_s, measured: 1 tokens/s}\n"
      "  - {id: three, system: h100-sxm5, scenario: gen.yaml, requests: 3, "
      "metric: output_tokens_per_s, measured: 1 tokens/s}\n";
  const validate::Suite suite = validate::loadSuite(dir.write("waves.yaml", draft));
  const spec::SystemSpec system = spec::loadSystem(catalog, "h100-sxm5").spec;
  auto e2e = [&](int batch) {
    const spec::ScenarioSpec s =
        spec::loadScenario(catalog, scenario.string(), {fmt::format("batch={}", batch)}).spec;
    return run::SystemRun(system, s).metrics().e2e_s;
  };
  const double e4 = e2e(4), e2 = e2e(2), e3 = e2e(3);
  REQUIRE(e2 < e4);
  // No request count: one wave of the batch, 4 x 8 tokens.
  const validate::CaseResult one = validate::runCase(catalog, suite, suite.cases[0], {});
  REQUIRE(one.predicted);
  CHECK(*one.predicted == doctest::Approx(4.0 * 8.0 / e4).epsilon(1e-12));
  // 10 requests at batch 4: two full waves and a wave of 2, every request's 32 + 8 tokens.
  const validate::CaseResult ten = validate::runCase(catalog, suite, suite.cases[1], {});
  REQUIRE(ten.predicted);
  CHECK(*ten.predicted == doctest::Approx(10.0 * 40.0 / (2.0 * e4 + e2)).epsilon(1e-12));
  CHECK(ten.message.find("10 requests: 2 waves + 2") != std::string::npos);
  // Fewer requests than the batch: one wave of them.
  const validate::CaseResult three = validate::runCase(catalog, suite, suite.cases[2], {});
  REQUIRE(three.predicted);
  CHECK(*three.predicted == doctest::Approx(3.0 * 8.0 / e3).epsilon(1e-12));
  // A request count with a latency metric is refused when the suite is read, at its key.
  try {
    validate::loadSuite(dir.write("bad.yaml",
                                  "kind: validation\nname: bad\ncases:\n"
                                  "  - {id: t, system: h100-sxm5, scenario: gen.yaml, "
                                  "requests: 10, metric: tpot_s, measured: 1 ms}\n"));
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().key_path == "cases[0].requests");
    CHECK(e.diagnostics().front().message.find("throughput metrics") != std::string::npos);
  }
}
