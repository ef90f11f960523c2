#include "sim/sweep/sweep_run.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sim/core/atomic_file.h"
#include "sim/core/parallel_for.h"
#include "sim/report/comparison.h"
#include "sim/report/html_report.h"
#include "sim/report/svg.h"
#include "sim/run/system_run.h"
#include "sim/serve/serve_run.h"
#include "sim/serve/serving_spec.h"
#include "sim/spec/loader.h"
#include "sim/spec/units.h"

namespace archsim::sweep {
namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const Location kCommandLine{"<command line>", 0, 0};

/// A reference written in the sweep file is relative to it.
std::string relativeTo(const SweepSpec& spec, const std::string& ref) {
  if (!spec::Catalog::looksLikePath(ref) || fs::path(ref).is_absolute()) return ref;
  return (spec.file.parent_path() / ref).string();
}

std::string number(const std::optional<double>& v) {
  return v ? fmt::format("{:.6g}", *v) : "";
}

std::vector<std::string> keyColumns(const SweepSpec& spec) {
  std::vector<std::string> keys;
  for (const Axis& a : spec.axes) {
    for (const AxisKey& k : a.keys)
      keys.push_back(k.key);
  }
  return keys;
}

/// Chart x value of an axis value: its number in the base unit ("64 MiB" -> 67108864), if any.
std::optional<double> numeric(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    std::string unit = text.substr(used);
    unit.erase(0, unit.find_first_not_of(' '));
    if (unit.empty()) return v;
    return spec::parseQuantity(text).value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string resultsHtml(const SweepSpec& spec, const std::vector<PointResult>& results) {
  std::string body = fmt::format(
      "<h1>Sweep {}</h1>\n<p>{}</p>\n<p>{} points on {} running {}.</p>\n",
      report::svg::escape(spec.name), report::svg::escape(spec.description), results.size(),
      report::svg::escape(spec.system), report::svg::escape(spec.scenario));
  const auto keys = keyColumns(spec);
  std::size_t column = 0;
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    const Axis& axis = spec.axes[a];
    const std::size_t x_column = column;
    column += axis.keys.size();
    for (const std::string& metric : spec.plot) {
      // One line per combination of the other axes' values (one line for a zip).
      std::map<std::string, report::svg::Series> lines;
      std::vector<std::string> order;
      bool all_positive = true;
      double lo = INFINITY, hi = 0;
      for (const PointResult& r : results) {
        if (!r.ok) continue;
        const auto x = numeric(r.values.at(x_column));
        std::optional<double> y;
        for (const auto& [n, v] : r.metrics)
          if (n == metric) y = v;
        for (const auto& [n, v] : r.derived)
          if (n == metric) y = v;
        if (!x || !y) continue;
        std::string label;
        if (!spec.zip) {
          for (std::size_t k = 0, col = 0; k < spec.axes.size(); ++k) {
            for (std::size_t j = 0; j < spec.axes[k].keys.size(); ++j, ++col) {
              if (k == a) continue;
              if (!label.empty()) label += ", ";
              label += keys[col] + "=" + r.values[col];
            }
          }
        }
        if (label.empty()) label = metric;
        if (!lines.count(label)) order.push_back(label);
        report::svg::Series& s = lines[label];
        s.label = label;
        s.points.emplace_back(*x, *y);
        all_positive = all_positive && *x > 0;
        lo = std::min(lo, *x);
        hi = std::max(hi, *x);
      }
      if (lines.empty()) continue;
      std::vector<report::svg::Series> series;
      for (std::size_t i = 0; i < order.size() && i < 10; ++i) {
        report::svg::Series s = lines[order[i]];
        s.color = report::svg::color(i);
        std::sort(s.points.begin(), s.points.end());
        series.push_back(std::move(s));
      }
      report::svg::Axis xa{axis.keys.front().key + " (base SI unit)"};
      xa.log = all_positive && hi / lo >= 100;
      report::svg::Axis ya{metric};
      body += "<figure class=\"chart\">" +
              report::svg::xyChart(fmt::format("{} vs {}", metric, axis.name()), xa, ya, series) +
              "<figcaption>" +
              report::svg::escape(
                  fmt::format("{} against {}; one line per value of the other axes{}.", metric,
                              axis.name(), order.size() > 10 ? " (first 10 shown)" : "")) +
              "</figcaption></figure>\n";
    }
  }
  body += "<p>The rows are in results.csv and results.json.</p>\n";
  return report::htmlPage("archsim sweep " + spec.name, body);
}

json manifest(const SweepSpec& spec, const Shard& shard, std::size_t total) {
  return {{"sweep", spec.name},
          {"fingerprint", spec.fingerprint},
          {"points", total},
          {"shard", fmt::format("{}/{}", shard.k, shard.n)},
          {"sweep_yaml", spec.yaml}};
}

}  // namespace

PointResult runPoint(const spec::Catalog& catalog, const SweepSpec& spec, const Point& point) {
  PointResult r;
  r.index = point.index;
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    for (const AxisKey& k : spec.axes[a].keys)
      r.values.push_back(k.values.at(point.at[a]));
  }
  for (const std::string& m : metricNames(spec.serving))
    r.metrics.emplace_back(m, std::nullopt);
  for (const Derived& d : spec.derived)
    r.derived.emplace_back(d.name, std::nullopt);
  try {
    if (spec.serving) {  // a serving run: its headline metrics
      std::vector<std::string> system_sets, serving_sets;
      serve::splitServingAssignments(assignments(spec, point), system_sets, serving_sets);
      const spec::LoadedSystem system =
          spec::loadSystem(catalog, relativeTo(spec, spec.system), system_sets);
      r.skipped = system.skipped;
      serve::LoadedServing loaded =
          serve::loadServing(catalog, relativeTo(spec, spec.scenario), serving_sets);
      const serve::ServeOutcome o = serve::serveOnSystem(system.spec, loaded.spec, false);
      const auto table = serve::servingHeadline(o.metrics);
      for (std::size_t i = 0; i < table.size(); ++i)
        r.metrics[i].second = table[i].second;
      for (std::size_t i = 0; i < spec.derived.size(); ++i)
        r.derived[i].second = evaluate(spec.derived[i].expression, r.metrics);
      r.plan = o.context.plan;
      r.ok = true;
      return r;
    }
    std::vector<std::string> system_sets, scenario_sets;
    spec::routeAssignments(assignments(spec, point), system_sets, scenario_sets);
    const spec::LoadedSystem system =
        spec::loadSystem(catalog, relativeTo(spec, spec.system), system_sets);
    const spec::LoadedScenario scenario =
        spec::loadScenario(catalog, relativeTo(spec, spec.scenario), scenario_sets);
    r.skipped = system.skipped;
    r.skipped.insert(r.skipped.end(), scenario.skipped.begin(), scenario.skipped.end());
    const run::SystemRun run(system.spec, scenario.spec);
    const std::span<const run::MetricDef> table = run::headlineMetrics();
    for (std::size_t i = 0; i < table.size(); ++i)
      r.metrics[i].second = table[i].value(run.metrics());
    for (std::size_t i = 0; i < spec.derived.size(); ++i)
      r.derived[i].second = evaluate(spec.derived[i].expression, r.metrics);
    r.binding_resource = run.bindingResource();
    r.plan = run.layout().describe();
    r.ok = true;
  } catch (const ConfigError& e) {
    // Without the file location: rows must not depend on where the repository lives.
    const Diagnostic& d = e.diagnostics().front();
    r.error = d.key_path.empty() ? d.message : fmt::format("key '{}': {}", d.key_path, d.message);
  } catch (const std::exception& e) {
    r.error = std::string("internal error: ") + e.what();
  }
  return r;
}

ordered_json pointJson(const PointResult& r) {
  ordered_json metrics = ordered_json::object();
  for (const auto& [n, v] : r.metrics)
    metrics[n] = v ? ordered_json(*v) : ordered_json(nullptr);
  ordered_json derived = ordered_json::object();
  for (const auto& [n, v] : r.derived)
    derived[n] = v ? ordered_json(*v) : ordered_json(nullptr);
  ordered_json out = {{"index", r.index},
                      {"values", r.values},
                      {"status", r.ok ? "ok" : "failed"},
                      {"error", r.error},
                      {"metrics", metrics},
                      {"derived", derived},
                      {"binding_resource", r.binding_resource},
                      {"plan", r.plan}};
  if (!r.skipped.empty()) out["skipped"] = r.skipped;
  return out;
}

PointResult pointFromJson(const ordered_json& j) {
  PointResult r;
  r.index = j.at("index").get<std::size_t>();
  r.values = j.at("values").get<std::vector<std::string>>();
  r.ok = j.at("status") == "ok";
  r.error = j.at("error").get<std::string>();
  if (j.contains("skipped")) r.skipped = j.at("skipped").get<std::vector<std::string>>();
  for (const auto& [m, v] : j.at("metrics").items())
    r.metrics.emplace_back(m, v.is_null() ? std::nullopt : std::optional<double>(v.get<double>()));
  for (const auto& [n, v] : j.at("derived").items()) {
    r.derived.emplace_back(n, v.is_null() ? std::nullopt : std::optional<double>(v.get<double>()));
  }
  r.binding_resource = j.at("binding_resource").get<std::string>();
  r.plan = j.at("plan").get<std::string>();
  return r;
}

Shard parseShard(const std::string& text) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    const Shard s{std::stoul(text.substr(0, slash)), std::stoul(text.substr(slash + 1))};
    if (s.n == 0 || s.k == 0 || s.k > s.n) throw std::invalid_argument("range");
    return s;
  } catch (const std::exception&) {
    throw ConfigError(Location{"--shard " + text, 0, 0}, "--shard",
                      "expected K/N with 1 <= K <= N (the K-th of N disjoint slices), e.g. 2/4");
  }
}

std::vector<Point> ownedPoints(const SweepSpec& spec, const Shard& shard) {
  std::vector<Point> out;
  for (const Point& p : points(spec)) {
    if (p.index % shard.n == shard.k - 1) out.push_back(p);
  }
  return out;
}

void prepareOutput(const SweepSpec& spec, const SweepOptions& options) {
  const fs::path manifest_file = options.out / "manifest.json";
  try {
    claimOutputDirectory(options.out);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + options.out.string(), 0, 0}, "", e.what());
  }
  std::error_code ec;
  if (options.resume && fs::exists(manifest_file)) {
    std::ifstream in(manifest_file);
    const json old = json::parse(in, nullptr, false);
    if (old.is_discarded() || old.value("fingerprint", "") != spec.fingerprint) {
      throw ConfigError(
          Location{"--resume " + options.out.string(), 0, 0}, "",
          "the folder holds results of a different sweep (or a changed sweep file); run without "
          "--resume to start over");
    }
  } else if (!options.resume) {
    // Starting over replaces this sweep's earlier points; another sweep's only with --force.
    std::ifstream in(manifest_file);
    const json old = in ? json::parse(in, nullptr, false) : json();
    if (in && !options.force &&
        (old.is_discarded() || old.value("fingerprint", "") != spec.fingerprint)) {
      throw ConfigError(Location{"--out " + options.out.string(), 0, 0}, "",
                        "holds the results of a different sweep (or of a changed sweep file); "
                        "pass --force to replace them, --resume to continue the same sweep, or "
                        "choose another --out");
    }
    fs::remove_all(options.out / "points", ec);
  }
  fs::create_directories(options.out / "points", ec);
  if (ec)
    throw ConfigError(Location{"--out " + options.out.string(), 0, 0}, "",
                      "cannot create the folder: " + ec.message());
  writeFileAtomically(manifest_file,
                      manifest(spec, options.shard, points(spec).size()).dump(2) + "\n");
}

void savePoint(const fs::path& out, const PointResult& r) {
  writeFileAtomically(out / "points" / fmt::format("{:06}.json", r.index),
                      pointJson(r).dump(2) + "\n");
}

std::vector<PointResult> loadPoints(const fs::path& out, std::vector<fs::path>* unreadable) {
  std::vector<PointResult> results;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(out / "points", ec)) {
    if (entry.path().extension() != ".json") continue;  // temp files of an interrupted write
    std::ifstream in(entry.path());
    const ordered_json j =
        ordered_json::parse(in, nullptr, false);  // keeps the derived columns' order
    try {
      if (j.is_discarded()) throw std::invalid_argument("not JSON");
      results.push_back(pointFromJson(j));
    } catch (const std::exception&) {  // a corrupt or hand-edited point: not a result
      if (unreadable != nullptr) unreadable->push_back(entry.path());
    }
  }
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  if (unreadable != nullptr) std::sort(unreadable->begin(), unreadable->end());
  return results;
}

std::vector<PointResult> resumedPoints(const fs::path& out, const std::vector<Point>& owned) {
  std::set<std::size_t> indices;
  for (const Point& p : owned)
    indices.insert(p.index);
  std::vector<PointResult> kept;
  for (PointResult& r : loadPoints(out)) {
    if (indices.count(r.index)) kept.push_back(std::move(r));
  }
  return kept;
}

std::string resultsCsv(const SweepSpec& spec, const std::vector<PointResult>& results) {
  std::string csv = "index";
  for (const std::string& k : keyColumns(spec))
    csv += "," + report::csvField(k);
  csv += ",status";
  for (const std::string& m : metricNames(spec.serving))
    csv += "," + m;
  for (const Derived& d : spec.derived)
    csv += "," + report::csvField(d.name);
  csv += ",binding_resource,plan,error\n";
  for (const PointResult& r : results) {
    csv += std::to_string(r.index);
    for (const std::string& v : r.values)
      csv += "," + report::csvField(v);
    csv += r.ok ? ",ok" : ",failed";
    for (const auto& [n, v] : r.metrics)
      csv += "," + number(v);
    for (const auto& [n, v] : r.derived)
      csv += "," + number(v);
    csv += "," + report::csvField(r.binding_resource) + "," + report::csvField(r.plan) + "," +
           report::csvField(r.error) + "\n";
  }
  return csv;
}

void writeResults(const fs::path& out, const SweepSpec& spec, std::vector<PointResult> results) {
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  ordered_json rows = ordered_json::array();
  const auto keys = keyColumns(spec);
  for (const PointResult& r : results) {
    ordered_json row = pointJson(r);
    ordered_json named = ordered_json::object();
    for (std::size_t i = 0; i < keys.size() && i < r.values.size(); ++i)
      named[keys[i]] = r.values[i];
    row["values"] = std::move(named);
    rows.push_back(std::move(row));
  }
  writeFileAtomically(out / "results.csv", resultsCsv(spec, results));
  writeFileAtomically(
      out / "results.json",
      ordered_json{{"sweep", spec.name}, {"fingerprint", spec.fingerprint}, {"rows", rows}}.dump(
          2) +
          "\n");
  writeFileAtomically(out / "results.html", resultsHtml(spec, results));
}

std::vector<PointResult> runSweep(const spec::Catalog& catalog, const SweepSpec& spec,
                                  const SweepOptions& options,
                                  const std::function<void(const PointResult&)>& done) {
  prepareOutput(spec, options);
  const std::vector<Point> owned = ownedPoints(spec, options.shard);
  std::set<std::size_t> finished;
  std::vector<PointResult> results;
  if (options.resume) {
    for (PointResult& r : resumedPoints(options.out, owned)) {
      finished.insert(r.index);
      results.push_back(std::move(r));
    }
  }
  std::vector<Point> todo;
  for (const Point& p : owned) {
    if (!finished.count(p.index)) todo.push_back(p);
  }
  std::mutex lock;
  parallelFor(todo.size(), options.jobs, [&](std::size_t i) {
    PointResult r = runPoint(catalog, spec, todo[i]);
    savePoint(options.out, r);
    const std::lock_guard<std::mutex> guard(lock);
    if (done) done(r);
    results.push_back(std::move(r));
  });
  writeResults(options.out, spec, results);
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  return results;
}

std::size_t merge(const std::vector<fs::path>& dirs, const fs::path& out) {
  struct Manifest {
    std::string sweep, fingerprint, yaml;
    std::size_t points = 0;
    fs::path file;
  };
  std::optional<Manifest> first;
  std::map<std::size_t, PointResult> all;
  for (const fs::path& dir : dirs) {
    const fs::path file = dir / "manifest.json";
    std::ifstream in(file);
    const json m = json::parse(in, nullptr, false);
    if (!in || m.is_discarded() || !m.is_object()) {
      throw ConfigError(Location{dir.string(), 0, 0}, "",
                        "not a sweep output folder (no readable manifest.json)");
    }
    // Each field of the expected type, or an error naming it (a hand-edited or foreign file).
    auto text = [&](const char* key) {
      const auto it = m.find(key);
      if (it == m.end() || !it->is_string())
        throw ConfigError(Location{file.string(), 0, 0}, key,
                          fmt::format("expected the text '{}' (written by archsim sweep)", key));
      return it->get<std::string>();
    };
    Manifest here{text("sweep"), text("fingerprint"), text("sweep_yaml"), 0, file};
    if (const auto it = m.find("points"); it != m.end() && it->is_number_unsigned()) {
      here.points = it->get<std::size_t>();
    } else {
      throw ConfigError(Location{file.string(), 0, 0}, "points",
                        "expected the point count (written by archsim sweep)");
    }
    if (first && here.fingerprint != first->fingerprint) {
      throw ConfigError(
          Location{dir.string(), 0, 0}, "",
          fmt::format(
              "holds sweep '{}' ({}), not '{}' ({}): shards of different sweep files do not "
              "merge",
              here.sweep, here.fingerprint, first->sweep, first->fingerprint));
    }
    if (!first) first = here;
    std::vector<fs::path> unreadable;
    for (PointResult& r : loadPoints(dir, &unreadable))
      all[r.index] = std::move(r);
    if (!unreadable.empty()) {
      throw ConfigError(Location{unreadable.front().string(), 0, 0}, "",
                        "not a sweep point result (corrupt or edited); run that shard again");
    }
  }
  if (!first) throw ConfigError(kCommandLine, "", "merge needs at least one folder");
  // The sweep itself, from the manifest (the file may live elsewhere on the shards' machines).
  SweepSpec spec = parseSweep(first->yaml, first->file.string() + "#sweep_yaml");
  const std::size_t total = first->points;
  if (all.size() != total) {
    std::string missing;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < total && shown < 10; ++i) {
      if (!all.count(i)) {
        if (!missing.empty()) missing += ", ";
        missing += std::to_string(i);
        ++shown;
      }
    }
    throw ConfigError(
        kCommandLine, "",
        fmt::format(
            "the folders hold {} of the sweep's {} points (missing: {}{}); run the missing shards "
            "or merge every shard folder",
            all.size(), total, missing, all.size() + shown < total ? ", ..." : ""));
  }
  std::vector<PointResult> results;
  for (auto& [i, r] : all)
    results.push_back(std::move(r));
  SweepOptions options;
  options.out = out;
  prepareOutput(spec, options);
  for (const PointResult& r : results)
    savePoint(out, r);
  writeResults(out, spec, results);
  return results.size();
}

}  // namespace archsim::sweep
