#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/app/app.h"
#include "support.h"

using namespace archsim;

namespace {
struct Result {
  int code;
  std::string out;
  std::string err;
};

Result run(std::vector<std::string> args) {
  args.insert(args.begin(), "archsim");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  app::Context context;  // presets come from the source tree
  const int code = app::run(static_cast<int>(argv.size()), argv.data(), out, err, context);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("--version and --help succeed; usage errors exit 2") {
  CHECK(run({"--version"}).code == 0);
  CHECK(run({"--version"}).out.find("archsim 0.1.0") != std::string::npos);
  const Result help = run({"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("describe") != std::string::npos);
  CHECK(run({"describe", "--help"}).code == 0);
  CHECK(run({"check", "--help"}).code == 0);
  CHECK(run({}).code == 2);
  CHECK(run({"frobnicate"}).code == 2);
  CHECK(run({"describe"}).code == 2);
  CHECK(run({"describe", "dgx-h100", "--bogus"}).code == 2);
}

TEST_CASE("describe H100: the bf16 knee against HBM is 989.4 TFLOPS / 3.35 TB/s = 295.3 FLOP/B") {
  const Result r = run({"describe", "h100-sxm5"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("bf16") != std::string::npos);
  CHECK(r.out.find("295.3 [340.6]") != std::string::npos);  // peak [achievable 86.7 %]
  const Result jp = run({"describe", "--json", "h100-sxm5"});
  REQUIRE(jp.code == 0);
  const auto doc = nlohmann::json::parse(jp.out);
  bool found = false;
  for (const auto& k : doc["chip"]["knees"]) {
    if (k["dtype"] == "bf16" && k["level"] == "hbm") {
      CHECK(k["ops_per_byte"].get<double>() == doctest::Approx(989.4e12 / 3.35e12));
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("describe GroqChip shows no HBM level; DGX-H100 shows 8 chips and system totals") {
  const Result groq = run({"describe", "groqchip"});
  REQUIRE(groq.code == 0);
  CHECK(groq.out.find("no HBM/DRAM level") != std::string::npos);
  CHECK(groq.out.find("hbm") == std::string::npos);
  CHECK(groq.out.find("220 MiB") != std::string::npos);
  const Result dgx = run({"describe", "dgx-h100"});
  REQUIRE(dgx.code == 0);
  CHECK(dgx.out.find("8 x H100-SXM5-80GB") != std::string::npos);
  CHECK(dgx.out.find("640 GB") != std::string::npos);        // 8 x 80 GB of HBM
  CHECK(dgx.out.find("7.915 PFLOPS") != std::string::npos);  // 8 x 989.4 TFLOPS
}

TEST_CASE("describe with a bad --set or an unknown preset exits 2 with a located message") {
  const Result typo = run({"describe", "dgx-h100", "--set", "chip.memory.hbm.chanels=40"});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("--set chip.memory.hbm.chanels=40: error: key 'chip.memory.hbm.chanels': "
                      "unknown key; did you "
                      "mean 'channels'?") != std::string::npos);
  const Result unknown = run({"describe", "dgx-h1000"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("did you mean 'dgx-h100'?") != std::string::npos);
  CHECK(unknown.out.empty());
}

TEST_CASE("check exits 0 on valid files and 2 listing every error of every bad file") {
  const std::string chips = (test::sourceDir() / "configs/chips").string();
  CHECK(run({"check", chips + "/h100-sxm5.yaml", chips + "/groqchip.yaml"}).code == 0);
  const std::string bad = (test::sourceDir() / "tests/bad_inputs").string();
  const Result r =
      run({"check", chips + "/h100-sxm5.yaml", bad + "/chip-typo-key.yaml", bad + "/empty.yaml"});
  CHECK(r.code == 2);
  CHECK(r.out.find("ok: ") != std::string::npos);
  CHECK(r.err.find("chip-typo-key.yaml:") != std::string::npos);
  CHECK(r.err.find("empty.yaml:") != std::string::npos);
  CHECK(run({"check", bad + "/does-not-exist.yaml"}).code == 2);
}
