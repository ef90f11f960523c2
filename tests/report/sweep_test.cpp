// Sweeps (points, ranges, zip, derived columns, robustness, resume, shards and merge), regression
// checks against baselines, and archsim diff.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <doctest/doctest.h>

#include "sim/core/error.h"
#include "sim/sweep/regress.h"
#include "sim/sweep/sweep_run.h"
#include "support.h"
#include "support/cli.h"

using namespace archsim;
namespace fs = std::filesystem;

namespace {
fs::path data(const std::string& name) {
  return test::sourceDir() / "tests" / "data" / "sweep" / name;
}
using test::slurp;
/// The directories the tests here made, removed when the test program ends.
struct Made {
  std::vector<fs::path> dirs;
  ~Made() {
    for (const fs::path& d : dirs) {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  }
};
Made& made() {
  static Made m;
  return m;
}
fs::path temp(const std::string& tag) {
  made().dirs.push_back(test::freshDir("archsim-" + tag));
  return made().dirs.back();
}
fs::path writeSweep(const std::string& name, const std::string& yaml) {
  const fs::path p = temp("sweepfile") / (name + ".yaml");
  fs::create_directories(p.parent_path());
  std::ofstream(p) << yaml;
  return p;
}
}  // namespace

TEST_CASE(
    "A sweep's points: the product with the last axis fastest, log ranges rounded for integers") {
  const sweep::SweepSpec s = sweep::loadSweep(data("small.yaml"));
  REQUIRE(s.axes.size() == 3);
  CHECK(s.axes[1].keys[0].values == std::vector<std::string>{"1", "2", "4", "8"});  // 1 x 2^(i)
  const auto pts = sweep::points(s);
  REQUIRE(pts.size() == 2 * 4 * 2);
  CHECK(pts[1].at == std::vector<std::size_t>{0, 0, 1});
  CHECK(pts[2].at == std::vector<std::size_t>{0, 1, 0});
  CHECK(sweep::assignments(s, pts[15]) ==
        std::vector<std::string>{"chip.memory.hbm.bandwidth=~", "chip.memory.hbm.stacks=~",
                                 "chip.memory.hbm.channels=80", "batch=8", "model.layers=0"});
  // Linear ranges with units, and zip.
  const sweep::SweepSpec z = sweep::loadSweep(writeSweep("zip", R"(kind: sweep
name: z
system: h100-sxm5
scenario: tiny-llama-decode
combine: zip
axes:
  - {key: chip.memory.sram.size, range: {from: 10 MiB, to: 40 MiB, steps: 4}}
  - zip:
      - {key: batch, values: [1, 2, 3, 4]}
      - {key: kv_length, values: [16, 32, 64, 128]}
)"));
  CHECK(z.axes[0].keys[0].values ==
        std::vector<std::string>{"10 MiB", "20 MiB", "30 MiB", "40 MiB"});
  const auto zp = sweep::points(z);
  REQUIRE(zp.size() == 4);
  CHECK(sweep::assignments(z, zp[2]) ==
        std::vector<std::string>{"chip.memory.sram.size=30 MiB", "batch=3", "kv_length=64"});
}

TEST_CASE("Derived columns evaluate + - * / and parentheses; a missing operand gives no value") {
  const std::vector<std::pair<std::string, std::optional<double>>> m{
      {"a", 6.0}, {"b", 3.0}, {"n", std::nullopt}};
  CHECK(*sweep::evaluate("a / b", m) == 2.0);
  CHECK(*sweep::evaluate("(a + b) * 2 - -1", m) == 19.0);
  CHECK(*sweep::evaluate("1 / a * 3", m) == doctest::Approx(0.5));
  CHECK_FALSE(sweep::evaluate("a / n", m).has_value());
  CHECK_FALSE(sweep::evaluate("a / (b - 3)", m).has_value());  // division by zero
  CHECK_THROWS_AS(sweep::expressionNames("a +"), std::invalid_argument);
  CHECK(sweep::expressionNames("tpot_s * chips") == std::vector<std::string>{"tpot_s", "chips"});
}

TEST_CASE("Bad sweep files: every problem located, with did-you-mean") {
  try {
    sweep::loadSweep(writeSweep("bad", R"(kind: sweep
name: bad
system: h100-sxm5
scenario: tiny-llama-decode
combine: zipp
axes:
  - {key: batch, values: [1, 2], range: {from: 1, to: 2, steps: 2}}
  - {key: kv_length, range: {from: 1 MiB, to: 2 GB, steps: 3}}
  - zip:
      - {key: batch, values: [1, 2]}
      - {key: kv_length, values: [1]}
derived: {x: "tpot_z * 2"}
plot: [tokens_per_s_per_usr]
)"));
    FAIL("no error");
  } catch (const ConfigError& e) {
    std::string all;
    for (const Diagnostic& d : e.diagnostics())
      all += d.str() + "\n";
    CAPTURE(all);
    CHECK(all.find("bad.yaml:5:10: error: key 'combine'") != std::string::npos);
    CHECK(all.find("give values or a range, not both") != std::string::npos);
    CHECK(all.find("range ends have different units") != std::string::npos);
    CHECK(all.find("zipped keys need equally many values") != std::string::npos);
    CHECK(all.find("unknown metric 'tpot_z'; did you mean 'tpot_s'?") != std::string::npos);
    CHECK(
        all.find("unknown metric 'tokens_per_s_per_usr'; did you mean 'tokens_per_s_per_user'?") !=
        std::string::npos);
  }
}

TEST_CASE(
    "A sweep runs every point; a failing point keeps its error in its row; -j does not change the "
    "results") {
  const sweep::SweepSpec s = sweep::loadSweep(data("small.yaml"));
  const spec::Catalog catalog = test::presetCatalog();
  const fs::path one = temp("sweep1"), two = temp("sweep2");
  const auto a = sweep::runSweep(catalog, s, {one, 1, false, {}});
  const auto b = sweep::runSweep(catalog, s, {two, 2, false, {}});
  REQUIRE(a.size() == 16);
  std::size_t failed = 0;
  for (const auto& r : a) {
    if (r.ok) continue;
    ++failed;
    CHECK(r.values.back() == "0");  // model.layers=0 is not a model
    CHECK(r.error.find("key 'model.layers'") != std::string::npos);
  }
  CHECK(failed == 8);
  CHECK(slurp(one / "results.csv") == slurp(two / "results.csv"));
  CHECK(slurp(one / "results.html") == slurp(two / "results.html"));
  // Halving the channels doubles the HBM-bound time? Not for tiny-llama: it lives in L2. The
  // derived column is tpot / 2 exactly, and tokens/s per chip equals tokens/s on one chip.
  for (const auto& r : a) {
    if (!r.ok) continue;
    CHECK(*r.derived[1].second == doctest::Approx(*r.metrics[1].second / 2));
    CHECK(*r.derived[0].second == doctest::Approx(*r.metrics[3].second));
  }
  const std::string csv = slurp(one / "results.csv");
  CHECK(csv.rfind("index,chip.memory.hbm.channels,batch,model.layers,status,ttft_s,tpot_s", 0) ==
        0);
  fs::remove_all(two);

  // Resume: finished points are skipped; a lost point is redone; the results are the same bytes.
  fs::remove(one / "points" / "000005.json");
  fs::remove(one / "results.csv");
  std::size_t ran = 0;
  sweep::runSweep(catalog, s, {one, 2, true, {}}, [&](const sweep::PointResult&) { ++ran; });
  CHECK(ran == 1);
  CHECK(slurp(one / "results.csv") == csv);

  // Shards 1/3, 2/3, 3/3 merge to exactly the local result; a foreign shard is refused.
  std::vector<fs::path> shards;
  for (std::size_t k = 1; k <= 3; ++k) {
    shards.push_back(temp("shard" + std::to_string(k)));
    const auto part = sweep::runSweep(catalog, s, {shards.back(), 2, false, {k, 3}});
    for (const auto& r : part)
      CHECK(r.index % 3 == k - 1);
  }
  const fs::path merged = temp("merged");
  CHECK(sweep::merge(shards, merged) == 16);
  CHECK(slurp(merged / "results.csv") == csv);
  CHECK(slurp(merged / "results.json") == slurp(one / "results.json"));
  CHECK_THROWS_AS(sweep::merge({shards[0], shards[1]}, temp("partial")),
                  ConfigError);  // points missing
  const sweep::SweepSpec other = sweep::loadSweep(writeSweep("other", R"(kind: sweep
name: other
system: h100-sxm5
scenario: tiny-llama-decode
axes: [{key: batch, values: [1, 2]}]
)"));
  const fs::path foreign = temp("foreign");
  sweep::runSweep(catalog, other, {foreign, 1, false, {}});
  try {
    sweep::merge({shards[0], foreign}, temp("mixed"));
    FAIL("merged shards of different sweeps");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().message.find("shards of different sweep files do not merge") !=
          std::string::npos);
  }
  CHECK_THROWS_AS(sweep::runSweep(catalog, other, {one, 1, true, {}}),
                  ConfigError);  // resume into another sweep
  CHECK_THROWS_AS(sweep::parseShard("4/3"), ConfigError);
  CHECK_THROWS_AS(sweep::parseShard("x"), ConfigError);
  for (const fs::path& p : shards)
    fs::remove_all(p);
  fs::remove_all(one);
  fs::remove_all(merged);
  fs::remove_all(foreign);
}

TEST_CASE(
    "regress passes on the committed baselines and fails naming the metric when HBM loses 10%") {
  const auto ok = test::runCli({"regress", data("perturb.yaml").string(), "--jobs", "1"});
  CHECK(ok.code == 0);
  CHECK(ok.out.find("all within tolerance") != std::string::npos);
  // HBM achievable bandwidth 0.867 -> 0.78 (-10%): the HBM-bound decode slows down.
  const auto bad = test::runCli({"regress", data("perturb.yaml").string(), "--set",
                                 "chip.memory.hbm.achievable_fraction=0.78"});
  CHECK(bad.code == 1);
  CAPTURE(bad.out);
  std::istringstream lines(bad.out);
  bool tpot_drift = false, chips_ok = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("tpot_s") != std::string::npos && line.find("DRIFT") != std::string::npos)
      tpot_drift = true;
    if (line.find(" chips ") != std::string::npos && line.find(" ok ") != std::string::npos)
      chips_ok = true;
  }
  CHECK(tpot_drift);
  CHECK(chips_ok);
  CHECK(bad.out.find("FAILED") != std::string::npos);
}

TEST_CASE("regress: a missing baseline fails; --update writes it and says so; then it passes") {
  const fs::path dir = temp("regress");
  fs::create_directories(dir);
  std::ofstream(dir / "m.yaml") << R"(kind: regress
name: m
baselines: base
tolerance: {relative: 0.01}
entries:
  - {name: tiny, system: h100-sxm5, scenario: tiny-llama-decode, metrics: {tpot_s: {relative: 0.001}, chips: {absolute: 0}}}
)";
  const auto missing = test::runCli({"regress", (dir / "m.yaml").string()});
  CHECK(missing.code == 1);
  CHECK(missing.out.find("no baseline") != std::string::npos);
  const auto update = test::runCli({"regress", (dir / "m.yaml").string(), "--update"});
  CHECK(update.code == 0);
  CHECK(update.out.find("new baseline") != std::string::npos);
  CHECK(fs::exists(dir / "base" / "tiny.json"));
  CHECK(test::runCli({"regress", (dir / "m.yaml").string()}).code == 0);
  const auto unchanged = test::runCli({"regress", (dir / "m.yaml").string(), "--update"});
  CHECK(unchanged.out.find("updated 0 of 2") != std::string::npos);
  std::ofstream(dir / "typo.yaml")
      << "kind: regress\nname: t\nentries:\n  - {name: a, system: h100-sxm5, scenario: "
         "tiny-llama-decode, metrics: [tpot]}\n";
  const auto typo = test::runCli({"regress", (dir / "typo.yaml").string()});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("unknown metric 'tpot'; did you mean 'tpot_s'?") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE(
    "regress --set: an override inventing a memory level fails its entry; ?= skips it there") {
  const fs::path dir = temp("regress-where");
  fs::create_directories(dir);
  std::ofstream(dir / "m.yaml") << R"(kind: regress
name: m
baselines: base
entries:
  - {name: h100, system: h100-sxm5, scenario: tiny-llama-decode, metrics: [tpot_s]}
  - {name: groq, system: groqchip, scenario: tiny-llama-decode, metrics: [tpot_s]}
)";
  const std::string manifest = (dir / "m.yaml").string();
  REQUIRE(test::runCli({"regress", manifest, "--update"}).code == 0);
  const auto invented =
      test::runCli({"regress", manifest, "--set", "chip.memory.hbm.latency=400 ns"});
  CHECK(invented.code == 1);
  CHECK(invented.out.find("run failed  key 'chip.memory.hbm': chip GroqChip1 has no memory "
                          "level 'hbm'") != std::string::npos);
  // Only where the chip has HBM: the H100 entry runs with it, GroqChip's without (and says so).
  const auto where =
      test::runCli({"regress", manifest, "--set", "chip.memory.hbm.latency?=400 ns"});
  CHECK(where.out.find("run failed") == std::string::npos);
  CHECK(where.out.find("skipped chip.memory.hbm.latency?=400 ns") != std::string::npos);
  std::istringstream lines(where.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("groq ", 0) == 0) CHECK(line.find(" ok ") != std::string::npos);
    if (line.rfind("h100 ", 0) == 0) CHECK(line.find("skipped") == std::string::npos);
  }
}

TEST_CASE("archsim diff compares two runs metric by metric") {
  const fs::path dir = temp("diff");
  REQUIRE(
      test::runCli({"run", "h100-sxm5", "llama2-7b-decode", "--out", (dir / "a").string(), "-q"})
          .code == 0);
  REQUIRE(test::runCli({"run", "h100-sxm5", "llama2-7b-decode", "--set",
                        "chip.memory.hbm.achievable_fraction=0.78", "--out", (dir / "b").string(),
                        "-q"})
              .code == 0);
  const auto d = test::runCli({"diff", (dir / "a").string(), (dir / "b" / "stats.json").string()});
  REQUIRE(d.code == 0);
  CAPTURE(d.out);
  CHECK(d.out.find("metrics.tpot_s") != std::string::npos);
  CHECK(d.out.find("metrics.chips                                           1              1") !=
        std::string::npos);
  const auto same = test::runCli({"diff", (dir / "a").string(), (dir / "a").string()});
  CHECK(same.out.find("\n0 of ") != std::string::npos);
  CHECK(test::runCli({"diff", (dir / "a").string(), (dir / "nothing").string()}).code == 2);
  fs::remove_all(dir);
}
