#include "sim/serve/requests.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numbers>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/error.h"

namespace archsim::serve {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

std::uint64_t sampleLength(const LengthSpec& s, Rng& rng) {
  switch (s.kind) {
    case LengthKind::kFixed:
      return s.value;
    case LengthKind::kUniform:
      return rng.between(s.min, s.max);
    case LengthKind::kLognormal: {
      const double x = std::exp(std::log(s.median) + s.sigma * rng.normal());
      const auto n = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(x)));
      return s.max > 1 ? std::min(n, s.max) : n;  // a cap (truncation), as traces are cut
    }
  }
  return 1;
}

/// Seconds to ticks, rounded to the nearest picosecond.
Tick ticksOf(double seconds) {
  return roundTicks(seconds * static_cast<double>(kTicksPerSecond));
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (std::uint64_t& s : s_)
    s = splitmix64(seed);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  // The top 53 bits, offset by half a step: (0, 1), symmetric, never 0 or 1.
  return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double r = std::sqrt(-2.0 * std::log(uniform()));
  const double theta = 2.0 * std::numbers::pi * uniform();
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

double Rng::gamma(double shape) {
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0, v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

std::uint64_t Rng::between(std::uint64_t lo, std::uint64_t hi) {
  if (hi <= lo) return lo;
  const std::uint64_t span = hi - lo + 1;
  if (span == 0) return next();  // the whole 64-bit range
  // Rejection keeps it exactly uniform.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  std::uint64_t x = next();
  while (x >= limit)
    x = next();
  return lo + x % span;
}

std::vector<Request> generate(const StreamSpec& spec) {
  const Location where{"<request stream>", 0, 0};
  if (spec.count == 0 && spec.duration_ps == 0)
    throw ConfigError(where, "requests", "give a request count or a duration");
  if (!(spec.arrivals.rate_per_s > 0) || !std::isfinite(spec.arrivals.rate_per_s))
    throw ConfigError(where, "requests.rate", "the arrival rate must be positive");
  if (spec.arrivals.kind == ArrivalKind::kGamma && !(spec.arrivals.cv > 0))
    throw ConfigError(where, "requests.cv", "the coefficient of variation must be positive");
  Rng rng(spec.seed);
  const double mean_gap = 1.0 / spec.arrivals.rate_per_s;
  const double shape = 1.0 / (spec.arrivals.cv * spec.arrivals.cv);
  std::vector<Request> out;
  double t = 0.0;
  for (std::uint64_t i = 0; spec.count == 0 || i < spec.count; ++i) {
    switch (spec.arrivals.kind) {
      case ArrivalKind::kPoisson:
        t += -std::log(rng.uniform()) * mean_gap;
        break;
      case ArrivalKind::kGamma:
        t += rng.gamma(shape) * mean_gap / shape;
        break;
      case ArrivalKind::kFixed:
        t = mean_gap * static_cast<double>(i + 1);  // no drift from summing
        break;
    }
    const Tick at = ticksOf(t);
    if (spec.duration_ps > 0 && at > spec.duration_ps) break;
    Request r;
    r.id = i;
    r.arrival_ps = at;
    r.prompt_tokens = sampleLength(spec.prompt, rng);
    r.output_tokens = sampleLength(spec.output, rng);
    out.push_back(r);
  }
  return out;
}

namespace {

/// One trace field as a number, or a located error.
double number(const std::string& text, const Location& at, const std::string& key) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw ConfigError(at, key, fmt::format("'{}' is not a number", text));
  }
}

std::uint64_t tokens(double v, const Location& at, const std::string& key) {
  if (v < 1 || v != std::floor(v) || v > 1e12)
    throw ConfigError(at, key, fmt::format("{} is not a positive whole number of tokens", v));
  return static_cast<std::uint64_t>(v);
}

void append(std::vector<Request>& out, double arrival_s, double prompt, double output,
            const Location& at) {
  if (arrival_s < 0)
    throw ConfigError(at, "arrival_s", fmt::format("arrival time {} s is negative", arrival_s));
  const Tick t = ticksOf(arrival_s);
  if (!out.empty() && t < out.back().arrival_ps) {
    throw ConfigError(at, "arrival_s",
                      fmt::format("arrivals are not sorted: {} s comes after {} s", arrival_s,
                                  ticksToSeconds(out.back().arrival_ps)));
  }
  Request r;
  r.id = out.size();
  r.arrival_ps = t;
  r.prompt_tokens = tokens(prompt, at, "prompt_tokens");
  r.output_tokens = tokens(output, at, "output_tokens");
  out.push_back(r);
}

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    const auto b = field.find_first_not_of(" \t\r");
    const auto e = field.find_last_not_of(" \t\r");
    fields.push_back(b == std::string::npos ? "" : field.substr(b, e - b + 1));
  }
  return fields;
}

/// Seconds since 1970-01-01 of "YYYY-MM-DD HH:MM:SS[.fraction]" (UTC, proleptic Gregorian; days
/// from the civil date by Howard Hinnant's algorithm), or nullopt when `text` is not one.
std::optional<double> dateTimeSeconds(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, used = 0;
  double s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%lf%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
      static_cast<std::size_t>(used) != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s >= 61) {
    return std::nullopt;
  }
  y -= mo <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const double days = static_cast<double>(era) * 146097.0 + doe - 719468.0;
  return days * 86400.0 + h * 3600.0 + mi * 60.0 + s;
}

std::vector<Request> readCsv(std::istream& in, const std::string& path) {
  std::string line;
  int number_of_line = 1;
  if (!std::getline(in, line)) throw ConfigError(Location{path, 0, 0}, "", "the trace is empty");
  const std::vector<std::string> header = splitCsv(line);
  int col[3] = {-1, -1, -1};
  const char* names[3] = {"arrival_s", "prompt_tokens", "output_tokens"};
  // The Azure LLM inference traces' columns: a wall-clock TIMESTAMP (arrivals count from the
  // first request), ContextTokens and GeneratedTokens.
  const char* azure[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
  const bool is_azure = std::find(header.begin(), header.end(), "arrival_s") == header.end() &&
                        std::find(header.begin(), header.end(), azure[0]) != header.end();
  if (is_azure) std::copy(std::begin(azure), std::end(azure), std::begin(names));
  for (int k = 0; k < 3; ++k) {
    const auto it = std::find(header.begin(), header.end(), names[k]);
    if (it == header.end()) {
      throw ConfigError(Location{path, 1, 0}, names[k],
                        fmt::format("the header has no '{}' column (it needs arrival_s, "
                                    "prompt_tokens and output_tokens, or the Azure trace's "
                                    "TIMESTAMP, ContextTokens and GeneratedTokens)",
                                    names[k]));
    }
    col[k] = static_cast<int>(it - header.begin());
  }
  std::vector<Request> out;
  std::optional<double> start;  // Azure: the first TIMESTAMP
  while (std::getline(in, line)) {
    ++number_of_line;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Location at{path, number_of_line, 0};
    const std::vector<std::string> f = splitCsv(line);
    double v[3] = {0, 0, 0};
    for (int k = 0; k < 3; ++k) {
      if (static_cast<std::size_t>(col[k]) >= f.size())
        throw ConfigError(at, names[k], "the line has no value in this column");
      const std::string& text = f[static_cast<std::size_t>(col[k])];
      if (is_azure && k == 0) {
        const auto t = dateTimeSeconds(text);
        if (!t) {
          throw ConfigError(
              at, names[k],
              fmt::format("'{}' is not a date and time (YYYY-MM-DD HH:MM:SS.ffff)", text));
        }
        if (!start) start = *t;
        v[k] = *t - *start;
      } else {
        v[k] = number(text, at, names[k]);
      }
    }
    append(out, v[0], v[1], v[2], at);
  }
  return out;
}

std::vector<Request> readJsonl(std::istream& in, const std::string& path) {
  std::vector<Request> out;
  std::string line;
  int number_of_line = 0;
  while (std::getline(in, line)) {
    ++number_of_line;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Location at{path, number_of_line, 0};
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw ConfigError(at, "", "not a JSON object on one line");
    double v[3] = {0, 0, 0};
    const char* names[3] = {"arrival_s", "prompt_tokens", "output_tokens"};
    for (int k = 0; k < 3; ++k) {
      if (!j.contains(names[k])) throw ConfigError(at, names[k], "required key is missing");
      if (!j[names[k]].is_number()) throw ConfigError(at, names[k], "not a number");
      v[k] = j[names[k]].get<double>();
    }
    append(out, v[0], v[1], v[2], at);
  }
  return out;
}

}  // namespace

std::vector<Request> readTrace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(Location{path, 0, 0}, "", "cannot read the trace file");
  const auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  std::vector<Request> out;
  if (ends(".csv")) {
    out = readCsv(in, path);
  } else if (ends(".jsonl")) {
    out = readJsonl(in, path);
  } else {
    throw ConfigError(Location{path, 0, 0}, "trace", "a trace is a .csv or a .jsonl file");
  }
  if (out.empty()) throw ConfigError(Location{path, 0, 0}, "", "the trace holds no request");
  return out;
}

}  // namespace archsim::serve
