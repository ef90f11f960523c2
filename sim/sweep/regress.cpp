#include "sim/sweep/regress.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "sim/core/atomic_file.h"
#include "sim/core/parallel_for.h"
#include "sim/spec/reader.h"
#include "sim/spec/suggest.h"
#include "sim/sweep/sweep_run.h"

namespace archsim::sweep {
namespace fs = std::filesystem;
using spec::ConfigNode;
using spec::MapReader;
using spec::Need;

namespace {

std::optional<Tolerance> readTolerance(MapReader& r) {
  Tolerance t;
  const auto rel = r.number("relative", Need::kOptional, 0, 1e9);
  const auto abs = r.number("absolute", Need::kOptional, 0, 1e300);
  r.finish();
  if (!rel && !abs) {
    r.error("relative", "a tolerance needs relative and/or absolute");
    return std::nullopt;
  }
  t.relative = rel.value_or(0);
  t.absolute = abs.value_or(0);
  return t;
}

std::string toleranceText(const Tolerance& t) {
  std::string s;
  if (t.relative > 0) s += fmt::format("±{:g}%", t.relative * 100);
  if (t.absolute > 0) s += fmt::format("{}±{:g}", s.empty() ? "" : " or ", t.absolute);
  return s.empty() ? "exact" : s;
}

fs::path baselineFile(const RegressManifest& m, const std::string& entry) {
  return m.baselines / (safeFileName(entry) + ".json");
}

}  // namespace

RegressManifest loadRegress(const fs::path& file) {
  const ConfigNode doc = spec::loadYamlFile(file);
  spec::Diagnostics diags;
  MapReader r(doc, "", diags);
  RegressManifest m;
  m.file = file;
  m.name = spec::readHeader(r, "regress").name;
  m.baselines = (file.parent_path() / r.text("baselines", Need::kOptional).value_or("baselines"))
                    .lexically_normal();
  Tolerance fallback{0.001, 0};
  if (auto t = r.child("tolerance", Need::kOptional)) {
    if (auto parsed = readTolerance(*t)) fallback = *parsed;
  }
  const std::vector<std::string> known = metricNames();
  if (const ConfigNode* entries = r.node("entries", Need::kRequired)) {
    if (!entries->isSequence() || entries->children().empty())
      r.error("entries", "expected a non-empty list");
    for (std::size_t i = 0; entries->isSequence() && i < entries->children().size(); ++i) {
      MapReader e(entries->children()[i], fmt::format("entries[{}]", i), diags);
      RegressEntry entry;
      entry.name = e.text("name", Need::kRequired).value_or("");
      entry.system = e.text("system", Need::kRequired).value_or("");
      entry.scenario = e.text("scenario", Need::kRequired).value_or("");
      entry.sets = e.textList("set", Need::kOptional).value_or(std::vector<std::string>{});
      if (const ConfigNode* metrics = e.node("metrics", Need::kRequired)) {
        auto add = [&](const std::string& name, const Location& where, Tolerance t) {
          if (std::find(known.begin(), known.end(), name) == known.end()) {
            diags.error(where, e.keyPath("metrics"),
                        fmt::format("unknown metric '{}'{}", name, spec::didYouMean(name, known)));
          }
          entry.metrics.push_back({name, t});
        };
        if (metrics->isSequence()) {
          for (const ConfigNode& n : metrics->children())
            add(n.scalar(), n.location(), fallback);
        } else if (auto map = e.child("metrics", Need::kOptional)) {
          for (const ConfigNode& n : map->entries()) {
            MapReader t = map->entry(n);
            add(n.key(), n.keyLocation(), readTolerance(t).value_or(fallback));
          }
        } else {
          e.error("metrics",
                  "expected a list of metric names or a map of metric: {relative, absolute}");
        }
      }
      e.finish();
      for (const RegressEntry& other : m.entries) {
        if (other.name == entry.name)
          e.error("name", fmt::format("duplicate entry name '{}'", entry.name));
      }
      m.entries.push_back(std::move(entry));
    }
  }
  r.finish();
  diags.throwIfAny();
  return m;
}

std::vector<RegressRow> regress(const spec::Catalog& catalog, const RegressManifest& manifest,
                                const RegressOptions& options, bool& failed) {
  // Run every entry (in parallel), as a one-point sweep.
  std::vector<PointResult> results(manifest.entries.size());
  parallelFor(manifest.entries.size(), options.jobs, [&](std::size_t i) {
    const RegressEntry& e = manifest.entries[i];
    SweepSpec spec;
    spec.name = e.name;
    spec.system = e.system;
    spec.scenario = e.scenario;
    spec.sets = e.sets;
    spec.sets.insert(spec.sets.end(), options.sets.begin(), options.sets.end());
    spec.file = manifest.file;
    results[i] = runPoint(catalog, spec, Point{});
  });

  failed = false;
  std::vector<RegressRow> rows;
  for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
    const RegressEntry& e = manifest.entries[i];
    const PointResult& r = results[i];
    auto value = [&](const std::string& name) -> std::optional<double> {
      for (const auto& [n, v] : r.metrics)
        if (n == name) return v;
      return std::nullopt;
    };
    if (!r.ok) {
      rows.push_back({e.name, "-", std::nullopt, std::nullopt, "run failed", r.error});
      failed = true;
      continue;
    }
    nlohmann::json base;
    const fs::path file = baselineFile(manifest, e.name);
    {
      std::ifstream in(file);
      if (in) base = nlohmann::json::parse(in, nullptr, false);
    }
    const bool have = base.is_object() && base.contains("metrics");
    if (options.update) {
      nlohmann::ordered_json out = {
          {"entry", e.name}, {"system", e.system}, {"scenario", e.scenario}, {"set", e.sets}};
      nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
      for (const WatchedMetric& w : e.metrics) {
        const auto now = value(w.name);
        metrics[w.name] =
            now ? nlohmann::ordered_json(std::strtod(fmt::format("{:.9g}", *now).c_str(), nullptr))
                : nlohmann::ordered_json(nullptr);
        std::optional<double> old;
        if (have && base["metrics"].contains(w.name) && base["metrics"][w.name].is_number())
          old = base["metrics"][w.name].get<double>();
        const bool same =
            old && now && std::strtod(fmt::format("{:.9g}", *now).c_str(), nullptr) == *old;
        rows.push_back(
            {e.name, w.name, old, now, same ? "unchanged" : "updated", have ? "" : "new baseline"});
      }
      out["metrics"] = std::move(metrics);
      std::error_code ec;
      fs::create_directories(manifest.baselines, ec);
      writeFileAtomically(file, out.dump(2) + "\n");
      continue;
    }
    for (const WatchedMetric& w : e.metrics) {
      const auto now = value(w.name);
      if (!have || !base["metrics"].contains(w.name)) {
        rows.push_back({e.name, w.name, std::nullopt, now, "no baseline",
                        fmt::format("missing {} (run with --update to create it)", file.string())});
        failed = true;
        continue;
      }
      const nlohmann::json& b = base["metrics"][w.name];
      const std::optional<double> old =
          b.is_number() ? std::optional<double>(b.get<double>()) : std::nullopt;
      bool ok;
      if (!old || !now) {
        ok = !old && !now;
      } else {
        const double d = std::fabs(*now - *old);
        ok = d <= w.tolerance.absolute || d <= w.tolerance.relative * std::fabs(*old);
      }
      if (!ok) failed = true;
      std::string note = toleranceText(w.tolerance);
      if (&w == &e.metrics.front() && !r.skipped.empty())  // once an entry
        note += fmt::format("; skipped {}", fmt::join(r.skipped, ", "));
      rows.push_back({e.name, w.name, old, now, ok ? "ok" : "DRIFT", note});
    }
  }
  return rows;
}

std::string regressTable(const std::vector<RegressRow>& rows) {
  auto num = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.6g}", *v) : std::string("-");
  };
  std::vector<std::vector<std::string>> cells{
      {"entry", "metric", "baseline", "now", "delta", "status", "tolerance/note"}};
  for (const RegressRow& r : rows) {
    std::string delta = "-";
    if (r.baseline && r.now && *r.baseline != 0)
      delta = fmt::format("{:+.3f}%", 100 * (*r.now - *r.baseline) / std::fabs(*r.baseline));
    cells.push_back({r.entry, r.metric, num(r.baseline), num(r.now), delta, r.status, r.note});
  }
  std::vector<std::size_t> w(cells.front().size(), 0);
  for (const auto& row : cells) {
    for (std::size_t c = 0; c < row.size(); ++c)
      w[c] = std::max(w[c], row[c].size());
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::size_t width = c + 1 == row.size() ? 0 : w[c];
      if (c > 0) line += "  ";
      line += c >= 2 && c <= 4 ? fmt::format("{:>{}}", row[c], width)
                               : fmt::format("{:<{}}", row[c], width);
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace archsim::sweep
