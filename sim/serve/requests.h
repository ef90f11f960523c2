// Request streams for serving simulations: when requests arrive and how long their prompts and
// outputs are, generated from a seeded process or read from a trace.
//
// Arrival processes (rate λ requests a second): `poisson` (exponential gaps, mean 1/λ), `gamma`
// (gamma-distributed gaps of mean 1/λ and coefficient of variation cv: shape 1/cv², cv > 1 is
// burstier than Poisson, cv = 1 is Poisson) and `fixed` (a gap of exactly 1/λ). Lengths: `fixed`,
// `uniform` over [min, max] (integers) or `lognormal` (median and σ of the log; rounded, at least
// 1). A stream stops after `count` requests or at `duration`, whichever comes first.
//
// Determinism: one xoshiro256** generator seeded through splitmix64 draws, in order, each request's
// gap, prompt length and output length; the samplers are written here (not <random>'s
// distributions, whose algorithms differ between standard libraries), so a seed gives the same
// stream on every platform.
//
// Traces: CSV with a header naming `arrival_s`, `prompt_tokens` and `output_tokens` (any order,
// other columns ignored), or JSONL with those keys on every line. Arrival times are seconds from
// the trace's start, non-negative and sorted; lengths positive integers. A bad line is a
// ConfigError naming the file, the line and the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/time.h"

namespace archsim::serve {

struct Request {
  std::uint64_t id = 0;
  Tick arrival_ps = 0;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t output_tokens = 0;
};

enum class ArrivalKind { kPoisson, kGamma, kFixed };

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::kPoisson;
  double rate_per_s = 1.0;  // > 0
  double cv = 1.0;          // gamma only: coefficient of variation of the gaps, > 0
};

enum class LengthKind { kFixed, kUniform, kLognormal };

struct LengthSpec {
  LengthKind kind = LengthKind::kFixed;
  std::uint64_t value = 1;           // fixed
  std::uint64_t min = 1, max = 1;    // uniform, inclusive; lognormal: a cap when above 1
  double median = 1.0, sigma = 0.0;  // lognormal
};

struct StreamSpec {
  ArrivalSpec arrivals;
  LengthSpec prompt;
  LengthSpec output;
  std::uint64_t seed = 0;
  std::uint64_t count = 0;  // 0: no count limit (then duration must be set)
  Tick duration_ps = 0;     // 0: no time limit (then count must be set)
};

/// The stream's requests in arrival order, ids 0, 1, ... The first arrives one gap after 0.
/// A spec with neither a count nor a duration, or a rate or cv that is not positive, is a
/// ConfigError (the serving reader checks these first and names the key).
std::vector<Request> generate(const StreamSpec& spec);

/// A trace file's requests (CSV or JSONL, by the extension `.csv` / `.jsonl`).
std::vector<Request> readTrace(const std::string& path);

/// xoshiro256** seeded by splitmix64: the stream's only source of randomness.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  /// Uniform on (0, 1): never 0, so logarithms stay finite.
  double uniform();
  /// Standard normal (Box-Muller, both values used in turn).
  double normal();
  /// Gamma of shape k and scale 1 (Marsaglia-Tsang; k < 1 by boosting k + 1 with U^(1/k)).
  double gamma(double shape);
  /// An integer uniform on [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi);

 private:
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace archsim::serve
