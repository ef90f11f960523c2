#include "sim/sweep/sweep_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/run/metrics.h"
#include "sim/serve/serve_report.h"
#include "sim/serve/serving_spec.h"
#include "sim/spec/reader.h"
#include "sim/spec/suggest.h"
#include "sim/spec/units.h"

namespace archsim::sweep {
namespace {

using spec::ConfigNode;
using spec::MapReader;
using spec::Need;

/// "64 MiB" -> (64, "MiB"); "8" -> (8, ""). Throws std::invalid_argument without a leading number.
std::pair<double, std::string> splitNumber(const std::string& text) {
  std::size_t used = 0;
  const double v = std::stod(text, &used);
  std::string unit = text.substr(used);
  unit.erase(0, unit.find_first_not_of(' '));
  return {v, unit};
}

bool integral(const std::string& text) {
  return text.find_first_of(".eE") == std::string::npos;
}

std::vector<std::string> rangeValues(MapReader& r, spec::Diagnostics& diags) {
  const auto from = r.text("from", Need::kRequired);
  const auto to = r.text("to", Need::kRequired);
  const auto steps = r.integer("steps", Need::kRequired, 2, 100000);
  const bool log =
      r.choice<bool>("scale", {{"linear", false}, {"log", true}}, Need::kOptional).value_or(false);
  r.finish();
  if (!from || !to || !steps) return {};
  std::pair<double, std::string> a, b;
  try {
    a = splitNumber(*from);
    b = splitNumber(*to);
  } catch (const std::exception&) {
    r.error("from",
            fmt::format("range ends must be numbers with an optional unit, got '{}' and '{}'",
                        *from, *to));
    return {};
  }
  if (a.second != b.second) {
    r.error("to",
            fmt::format("range ends have different units ('{}' and '{}')", a.second, b.second));
    return {};
  }
  if (!a.second.empty()) {
    try {
      spec::parseQuantity("1 " + a.second);
    } catch (const spec::UnitError& e) {
      r.error("from", e.what());
      return {};
    }
  }
  if (log && (a.first <= 0 || b.first <= 0)) {
    r.error("scale", "a log range needs positive ends");
    return {};
  }
  (void)diags;
  const bool ints = integral(*from) && integral(*to);
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < *steps; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(*steps - 1);
    double v = log ? a.first * std::pow(b.first / a.first, t) : a.first + (b.first - a.first) * t;
    // llround is unspecified past 2^63: such values are written as reals (and refused later).
    std::string text = ints && std::abs(v) < 9.2e18
                           ? fmt::format("{}", static_cast<std::int64_t>(std::llround(v)))
                           : fmt::format("{:.6g}", v);
    if (!a.second.empty()) text += " " + a.second;
    if (out.empty() || out.back() != text)
      out.push_back(text);  // integer rounding may repeat a value
  }
  return out;
}

std::optional<AxisKey> readKey(const ConfigNode& node, const std::string& path,
                               spec::Diagnostics& diags) {
  MapReader r(node, path, diags);
  AxisKey k;
  const auto key = r.text("key", Need::kRequired);
  const ConfigNode* values = r.node("values", Need::kOptional);
  const bool has_range = r.has("range");
  if (values != nullptr && has_range) r.error("range", "give values or a range, not both");
  if (values == nullptr && !has_range)
    r.error("values", "an axis needs values (a list) or a range");
  if (values != nullptr) {
    if (!values->isSequence() || values->children().empty()) {
      r.error("values", "expected a non-empty list of values");
    } else {
      for (const ConfigNode& v : values->children()) {
        if (!v.isScalar()) {
          diags.error(v.location(), r.keyPath("values"),
                      "each value must be a single value (as for --set)");
          continue;
        }
        k.values.push_back(v.scalar());
      }
    }
  } else if (auto range = r.child("range", Need::kOptional)) {
    k.values = rangeValues(*range, diags);
  }
  r.finish();
  if (!key) return std::nullopt;
  k.key = *key;
  return k;
}

// Expressions: expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
// factor := number | name | '(' expr ')' | '-' factor.
class Parser {
 public:
  Parser(const std::string& text,
         const std::vector<std::pair<std::string, std::optional<double>>>* names)
      : s_(text), names_(names) {}
  std::optional<double> parse() {
    const auto v = expr();
    skip();
    if (i_ != s_.size()) fail("unexpected '" + s_.substr(i_, 1) + "'");
    return v;
  }
  std::vector<std::string> used;

 private:
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::invalid_argument(fmt::format("in '{}' at {}: {}", s_, i_ + 1, what));
  }
  std::optional<double> expr() {
    auto v = term();
    for (;;) {
      skip();
      if (i_ >= s_.size() || (s_[i_] != '+' && s_[i_] != '-')) return v;
      const char op = s_[i_++];
      const auto w = term();
      if (!v || !w)
        v = std::nullopt;
      else
        v = op == '+' ? *v + *w : *v - *w;
    }
  }
  std::optional<double> term() {
    auto v = factor();
    for (;;) {
      skip();
      if (i_ >= s_.size() || (s_[i_] != '*' && s_[i_] != '/')) return v;
      const char op = s_[i_++];
      const auto w = factor();
      if (!v || !w || (op == '/' && *w == 0))
        v = std::nullopt;
      else
        v = op == '*' ? *v * *w : *v / *w;
    }
  }
  std::optional<double> factor() {
    skip();
    if (i_ >= s_.size()) fail("expected a number, a name or '('");
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      const auto v = expr();
      skip();
      if (i_ >= s_.size() || s_[i_] != ')') fail("expected ')'");
      ++i_;
      return v;
    }
    if (c == '-') {
      ++i_;
      const auto v = factor();
      return v ? std::optional<double>(-*v) : std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      // from_chars, not stod: "1e999" must be a reported error, not std::out_of_range escaping.
      double v = 0;
      const auto [end, ec] = std::from_chars(s_.data() + i_, s_.data() + s_.size(), v);
      if (ec != std::errc() || !std::isfinite(v)) {
        throw std::invalid_argument(
            fmt::format("'{}' is not a finite number",
                        s_.substr(i_, static_cast<std::size_t>(end - s_.data()) - i_)));
      }
      i_ = static_cast<std::size_t>(end - s_.data());
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
        ++i_;
      const std::string name = s_.substr(start, i_ - start);
      used.push_back(name);
      if (names_ == nullptr) return 1.0;
      for (const auto& [n, v] : *names_) {
        if (n == name) return v;
      }
      return std::nullopt;
    }
    fail(fmt::format("unexpected '{}'", c));
  }
  const std::string& s_;
  const std::vector<std::pair<std::string, std::optional<double>>>* names_;
  std::size_t i_ = 0;
};

}  // namespace

std::string Axis::name() const {
  std::string n;
  for (const AxisKey& k : keys) {
    if (!n.empty()) n += "+";
    n += k.key;
  }
  return n;
}

std::optional<double> evaluate(
    const std::string& expression,
    const std::vector<std::pair<std::string, std::optional<double>>>& names) {
  Parser p(expression, &names);
  return p.parse();
}

std::vector<std::string> expressionNames(const std::string& expression) {
  Parser p(expression, nullptr);
  p.parse();
  return p.used;
}

std::vector<std::string> metricNames(bool serving) {
  if (serving) return serve::servingMetricNames();
  std::vector<std::string> names;
  for (const run::MetricDef& m : run::headlineMetrics())
    names.emplace_back(m.key);
  return names;
}

namespace {
SweepSpec sweepFromDocument(const ConfigNode& doc, const std::filesystem::path& file);
}  // namespace

SweepSpec loadSweep(const std::filesystem::path& file) {
  return sweepFromDocument(spec::loadYamlFile(file), file);
}

SweepSpec parseSweep(const std::string& text, const std::filesystem::path& file) {
  return sweepFromDocument(spec::parseYaml(text, file.string()), file);
}

namespace {
SweepSpec sweepFromDocument(const ConfigNode& doc, const std::filesystem::path& file) {
  spec::Diagnostics diags;
  MapReader r(doc, "", diags);
  SweepSpec s;
  s.file = file;
  const spec::DocumentHeader header = spec::readHeader(r, "sweep");
  s.name = header.name;
  s.description = header.description;
  s.system = r.text("system", Need::kRequired).value_or("");
  s.scenario = r.text("scenario", Need::kRequired).value_or("");
  s.sets = r.textList("set", Need::kOptional).value_or(std::vector<std::string>{});
  // A serving file (kind: serving) in place of the scenario: every point is a serving run.
  if (spec::Catalog::looksLikePath(s.scenario)) {
    const std::filesystem::path p = std::filesystem::path(s.scenario).is_absolute()
                                        ? std::filesystem::path(s.scenario)
                                        : file.parent_path() / s.scenario;
    try {
      s.serving = serve::isServingFile(p);
    } catch (const ConfigError& e) {
      diags.absorb(e);
    }
  }
  const std::vector<std::string> known = metricNames(s.serving);
  s.zip = r.choice<bool>("combine", {{"product", false}, {"zip", true}}, Need::kOptional)
              .value_or(false);
  s.plot = r.textList("plot", Need::kOptional)
               .value_or(
                   s.serving
                       ? std::vector<std::string>{"ttft_p90_s", "tpot_p90_s", "output_tokens_per_s"}
                       : std::vector<std::string>{"tokens_per_s_per_user", "prompt_tokens_per_s"});
  if (const ConfigNode* axes = r.node("axes", Need::kRequired)) {
    if (!axes->isSequence() || axes->children().empty()) {
      r.error("axes", "expected a non-empty list of axes");
    } else {
      for (std::size_t i = 0; i < axes->children().size(); ++i) {
        const ConfigNode& item = axes->children()[i];
        const std::string path = fmt::format("axes[{}]", i);
        Axis axis;
        if (item.isMap() && item.find("zip") != nullptr) {
          MapReader z(item, path, diags);
          const ConfigNode* list = z.node("zip", Need::kRequired);
          z.finish();
          if (list == nullptr || !list->isSequence() || list->children().size() < 2) {
            diags.error(item.location(), path + ".zip",
                        "expected a list of two or more {key, values} entries");
            continue;
          }
          for (std::size_t j = 0; j < list->children().size(); ++j) {
            if (auto k = readKey(list->children()[j], fmt::format("{}.zip[{}]", path, j), diags))
              axis.keys.push_back(*k);
          }
          for (const AxisKey& k : axis.keys) {
            if (k.values.size() != axis.keys.front().values.size()) {
              diags.error(item.location(), path + ".zip",
                          fmt::format("zipped keys need equally many values ({} has {}, {} has {})",
                                      axis.keys.front().key, axis.keys.front().values.size(), k.key,
                                      k.values.size()));
              break;
            }
          }
        } else if (auto k = readKey(item, path, diags)) {
          axis.keys.push_back(*k);
        }
        if (!axis.keys.empty() && axis.size() > 0) s.axes.push_back(std::move(axis));
      }
    }
  }
  if (s.zip) {
    for (const Axis& a : s.axes) {
      if (a.size() != s.axes.front().size()) {
        r.error("combine",
                fmt::format("combine: zip needs axes of equal length ({} has {} values, {} has {})",
                            s.axes.front().name(), s.axes.front().size(), a.name(), a.size()));
        break;
      }
    }
  }
  if (!s.zip && !s.axes.empty()) {
    // Checked before any point is formed: a product of a few large axes can reach 10^10 points.
    std::uint64_t count = 1;
    bool overflow = false;
    for (const Axis& a : s.axes)
      overflow = overflow || __builtin_mul_overflow(count, a.size(), &count);
    if (overflow || count > kMaxPoints) {
      r.error("axes",
              fmt::format("the axes multiply to {} points; a sweep has at most {} "
                          "(README \"Limits\"): use fewer values",
                          overflow ? std::string("more than 2^64") : fmt::format("{}", count),
                          kMaxPoints));
    }
  }
  if (auto derived = r.child("derived", Need::kOptional)) {
    for (const ConfigNode& e : derived->entries()) {
      if (!e.isScalar()) {
        diags.error(e.location(), "derived." + e.key(), "expected an expression over metric names");
        continue;
      }
      try {
        for (const std::string& n : expressionNames(e.scalar())) {
          if (std::find(known.begin(), known.end(), n) == known.end()) {
            diags.error(e.location(), "derived." + e.key(),
                        fmt::format("unknown metric '{}'{}", n, spec::didYouMean(n, known)));
          }
        }
      } catch (const std::invalid_argument& ex) {
        diags.error(e.location(), "derived." + e.key(), ex.what());
      }
      s.derived.push_back({e.key(), e.scalar()});
    }
  }
  std::vector<std::string> plottable = known;
  for (const Derived& d : s.derived)
    plottable.push_back(d.name);
  for (const std::string& p : s.plot) {
    if (std::find(plottable.begin(), plottable.end(), p) == plottable.end()) {
      r.error("plot", fmt::format("unknown metric '{}'{}", p, spec::didYouMean(p, plottable)));
    }
  }
  r.finish();
  diags.throwIfAny();
  // The fingerprint: the resolved document's YAML (FNV-1a).
  s.yaml = spec::toYaml(doc);
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s.yaml)
    h = (h ^ c) * 1099511628211ULL;
  s.fingerprint = fmt::format("{:016x}", h);
  return s;
}
}  // namespace

std::vector<Point> points(const SweepSpec& spec) {
  std::vector<Point> out;
  if (spec.axes.empty()) return out;
  if (spec.zip) {
    for (std::size_t i = 0; i < spec.axes.front().size(); ++i)
      out.push_back({i, std::vector<std::size_t>(spec.axes.size(), i)});
    return out;
  }
  std::vector<std::size_t> at(spec.axes.size(), 0);
  for (std::size_t index = 0;; ++index) {
    out.push_back({index, at});
    std::size_t a = spec.axes.size();
    while (a-- > 0) {
      if (++at[a] < spec.axes[a].size()) break;
      at[a] = 0;
      if (a == 0) return out;
    }
  }
}

std::vector<std::string> assignments(const SweepSpec& spec, const Point& point) {
  std::vector<std::string> out = spec.sets;
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    for (const AxisKey& k : spec.axes[a].keys)
      out.push_back(k.key + "=" + k.values.at(point.at[a]));
  }
  return out;
}

}  // namespace archsim::sweep
