// Request streams: a fixed rate lands on its closed form; Poisson and gamma gaps have the mean and
// coefficient of variation asked for; lengths follow their distributions; a seed gives one stream;
// traces read back what they hold, and bad lines are located errors.
#include "sim/serve/requests.h"

#include <cmath>
#include <fstream>

#include <doctest/doctest.h>

#include "sim/core/error.h"
#include "support.h"

using namespace archsim;
using namespace archsim::serve;

namespace {

StreamSpec stream(ArrivalKind kind, double rate, std::uint64_t count, double cv = 1.0) {
  StreamSpec s;
  s.arrivals = {kind, rate, cv};
  s.prompt = {LengthKind::kFixed, 128};
  s.output = {LengthKind::kFixed, 64};
  s.seed = 7;
  s.count = count;
  return s;
}

/// Mean and coefficient of variation of the gaps between arrivals, in seconds.
std::pair<double, double> gapStats(const std::vector<Request>& r) {
  double sum = 0, sq = 0;
  Tick last = 0;
  for (const Request& x : r) {
    const double g = ticksToSeconds(x.arrival_ps - last);
    sum += g;
    sq += g * g;
    last = x.arrival_ps;
  }
  const double n = static_cast<double>(r.size());
  const double mean = sum / n;
  return {mean, std::sqrt(sq / n - mean * mean) / mean};
}

}  // namespace

TEST_CASE("A fixed rate puts request i at (i + 1) / rate, exactly, and stops at the duration") {
  StreamSpec s = stream(ArrivalKind::kFixed, 4.0, 0);
  s.duration_ps = 2 * kTicksPerSecond;  // 2 s at 4 a second: 8 requests, the last at 2 s
  const std::vector<Request> r = generate(s);
  REQUIRE(r.size() == 8);
  for (std::size_t i = 0; i < r.size(); ++i) {
    CHECK(r[i].id == i);
    CHECK(r[i].arrival_ps == (i + 1) * 250'000'000'000ULL);
    CHECK(r[i].prompt_tokens == 128);
    CHECK(r[i].output_tokens == 64);
  }
}

TEST_CASE("Poisson and gamma gaps have the mean and the burstiness asked for") {
  // 200,000 gaps: the sample mean and CV are within 1 % of 1/rate and the target CV (the
  // standard error of the mean is CV / sqrt(n) = 0.2 %).
  const auto [pm, pcv] = gapStats(generate(stream(ArrivalKind::kPoisson, 10.0, 200'000)));
  CHECK(pm == doctest::Approx(0.1).epsilon(0.01));
  CHECK(pcv == doctest::Approx(1.0).epsilon(0.01));
  const auto [gm, gcv] = gapStats(generate(stream(ArrivalKind::kGamma, 10.0, 200'000, 3.0)));
  CHECK(gm == doctest::Approx(0.1).epsilon(0.02));
  CHECK(gcv == doctest::Approx(3.0).epsilon(0.02));
  const auto [sm, scv] = gapStats(generate(stream(ArrivalKind::kGamma, 10.0, 200'000, 0.5)));
  CHECK(sm == doctest::Approx(0.1).epsilon(0.01));
  CHECK(scv == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("Lengths: uniform stays in its bounds with the right mean; lognormal has its median") {
  StreamSpec s = stream(ArrivalKind::kPoisson, 1.0, 100'000);
  s.prompt = {LengthKind::kUniform, 0, 100, 300};
  s.output.kind = LengthKind::kLognormal;
  s.output.median = 200;
  s.output.sigma = 0.8;
  const std::vector<Request> r = generate(s);
  double sum = 0;
  std::vector<std::uint64_t> out;
  for (const Request& x : r) {
    CHECK(x.prompt_tokens >= 100);
    CHECK(x.prompt_tokens <= 300);
    sum += static_cast<double>(x.prompt_tokens);
    out.push_back(x.output_tokens);
  }
  CHECK(sum / static_cast<double>(r.size()) == doctest::Approx(200).epsilon(0.005));
  std::nth_element(out.begin(), out.begin() + out.size() / 2, out.end());
  CHECK(static_cast<double>(out[out.size() / 2]) == doctest::Approx(200).epsilon(0.02));
}

TEST_CASE("One seed, one stream; another seed, another") {
  StreamSpec s = stream(ArrivalKind::kGamma, 5.0, 1000, 2.0);
  s.output.kind = LengthKind::kLognormal;
  s.output.median = 100;
  s.output.sigma = 1.0;
  const auto a = generate(s), b = generate(s);
  s.seed = 8;
  const auto c = generate(s);
  bool same = true, differ = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    same = same && a[i].arrival_ps == b[i].arrival_ps && a[i].output_tokens == b[i].output_tokens;
    differ = differ || a[i].arrival_ps != c[i].arrival_ps;
  }
  CHECK(same);
  CHECK(differ);
  // The generator is pinned: the first draws of seed 0 do not change between builds.
  Rng rng(0);
  CHECK(rng.next() == 0x99ec5f36cb75f2b4ULL);
}

TEST_CASE("A stream without a count or a duration, or with a zero rate, is a located error") {
  StreamSpec s = stream(ArrivalKind::kPoisson, 1.0, 0);
  CHECK_THROWS_AS(generate(s), ConfigError);
  s = stream(ArrivalKind::kPoisson, 0.0, 10);
  CHECK_THROWS_AS(generate(s), ConfigError);
}

TEST_CASE("Traces: CSV and JSONL read back; negative, unsorted and bad lines name file and line") {
  const auto dir = test::freshDir("archsim-trace");
  auto write = [&](const std::string& name, const std::string& text) {
    const auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  };
  const auto csv = readTrace(
      write("ok.csv", "prompt_tokens,arrival_s,output_tokens,note\n512,0.0,20,a\n64,0.25,300,b\n"));
  REQUIRE(csv.size() == 2);
  CHECK(csv[1].arrival_ps == 250'000'000'000ULL);
  CHECK(csv[1].prompt_tokens == 64);
  CHECK(csv[1].output_tokens == 300);
  const auto jsonl =
      readTrace(write("ok.jsonl",
                      "{\"arrival_s\": 0.5, \"prompt_tokens\": 10, \"output_tokens\": 5}\n\n"
                      "{\"arrival_s\": 1.5, \"prompt_tokens\": 20, \"output_tokens\": 6}\n"));
  REQUIRE(jsonl.size() == 2);
  CHECK(jsonl[0].arrival_ps == 500'000'000'000ULL);

  auto error = [&](const std::string& name, const std::string& text) {
    try {
      readTrace(write(name, text));
    } catch (const ConfigError& e) {
      return e.diagnostics().front();
    }
    FAIL("no error for " << name);
    return Diagnostic{};
  };
  const Diagnostic negative =
      error("neg.csv", "arrival_s,prompt_tokens,output_tokens\n1.0,5,5\n-2,5,5\n");
  CHECK(negative.location.line == 3);
  CHECK(negative.key_path == "arrival_s");
  CHECK(negative.message.find("negative") != std::string::npos);
  const Diagnostic unsorted =
      error("unsorted.jsonl",
            "{\"arrival_s\": 2, \"prompt_tokens\": 1, \"output_tokens\": 1}\n"
            "{\"arrival_s\": 1, \"prompt_tokens\": 1, \"output_tokens\": 1}\n");
  CHECK(unsorted.location.line == 2);
  CHECK(unsorted.message.find("not sorted") != std::string::npos);
  const Diagnostic zero = error("zero.csv", "arrival_s,prompt_tokens,output_tokens\n0,0,5\n");
  CHECK(zero.key_path == "prompt_tokens");
  const Diagnostic header = error("header.csv", "time,prompt_tokens,output_tokens\n0,1,1\n");
  CHECK(header.location.line == 1);
  CHECK(header.key_path == "arrival_s");
  const Diagnostic text = error("text.csv", "arrival_s,prompt_tokens,output_tokens\nsoon,1,1\n");
  CHECK(text.message.find("not a number") != std::string::npos);
  CHECK(error("trace.txt", "").key_path == "trace");
  std::filesystem::remove_all(dir);
}

TEST_CASE("Azure-format traces: arrivals count from the first TIMESTAMP, across midnight") {
  const std::filesystem::path dir = test::freshDir("archsim-azure");
  const std::filesystem::path csv = dir / "azure.csv";
  std::ofstream(csv) << "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                        "2023-11-16 23:59:59.5000000,1020,129\n"
                        "2023-11-17 00:00:01.2500000,17,3\n";
  const std::vector<Request> r = readTrace(csv.string());
  REQUIRE(r.size() == 2);
  CHECK(r[0].arrival_ps == 0);
  CHECK(r[1].arrival_ps == 1'750'000'000'000ULL);  // 1.75 s later, the next day
  CHECK(r[0].prompt_tokens == 1020);
  CHECK(r[1].output_tokens == 3);
  std::ofstream(csv) << "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-01 00:00:00,5,5\n";
  try {
    readTrace(csv.string());
    FAIL("a month 13 was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().location.line == 2);
    CHECK(e.diagnostics().front().key_path == "TIMESTAMP");
  }
  std::filesystem::remove_all(dir);
}
