#include "sim/validate/validate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/atomic_file.h"
#include "sim/core/parallel_for.h"
#include "sim/exec/chip_run.h"
#include "sim/exec/collectives.h"
#include "sim/graph/microbench.h"
#include "sim/hw/topology.h"
#include "sim/map/parallel.h"
#include "sim/report/comparison.h"
#include "sim/report/html_report.h"
#include "sim/report/svg.h"
#include "sim/run/system_run.h"
#include "sim/spec/dtype.h"
#include "sim/spec/loader.h"
#include "sim/spec/reader.h"

namespace archsim::validate {
namespace {

using nlohmann::ordered_json;

std::string relativeRef(const Suite& suite, const std::string& ref) {
  if (!spec::Catalog::looksLikePath(ref)) return ref;
  const std::filesystem::path p(ref);
  return p.is_absolute() ? ref : (suite.file.parent_path() / p).string();
}

/// A microbenchmark's predicted metric.
double runMicrobench(const spec::Catalog& catalog, const spec::SystemSpec& system, const Case& c) {
  const Microbench& b = *c.microbench;
  const auto dtype = spec::parseDType(b.dtype);
  if (!dtype) throw ConfigError(c.location, "microbench.dtype", "unknown dtype '" + b.dtype + "'");
  if (b.op == "all_reduce" || b.op == "send_recv") {
    const std::uint64_t n = b.op == "send_recv" ? 2 : (b.chips ? b.chips : system.chipCount());
    if (n > system.chipCount()) {
      throw ConfigError(c.location, "microbench.chips",
                        fmt::format("{} ranks on a system of {} chips", n, system.chipCount()));
    }
    Simulation sim;
    hw::Topology topo(sim, system, sim.stats());
    exec::CollectiveEngine engine(sim, topo, system.collectives,
                                  exec::rankReduceBytesPerSecond(system.chip, *dtype));
    std::vector<std::uint32_t> group(n);
    for (std::uint32_t i = 0; i < n; ++i)
      group[i] = i;
    struct Done {
      Simulation& sim;
      Tick at = 0;
      void on() { at = sim.now(); }
    } done{sim};
    engine.start(
        {b.op == "all_reduce" ? exec::CollectiveKind::kAllReduce : exec::CollectiveKind::kSendRecv,
         group, b.bytes},
        Callback::to<&Done::on>(&done));
    sim.run();
    const double t = ticksToSeconds(done.at);
    if (c.metric == "op_time_s") return t;
    const double algbw = static_cast<double>(b.bytes) / t;
    return b.op == "all_reduce" ? algbw * 2.0 * static_cast<double>(n - 1) / static_cast<double>(n)
                                : algbw;
  }
  // A single-op graph on one chip, with the formats of the benchmark.
  spec::ScenarioSpec s = spec::loadScenario(catalog, "tiny-llama-prefill").spec;
  s.name = b.op;
  s.batch = 1;
  s.prompt_tokens = 1;
  const spec::TensorFormat f{*dtype, 0, spec::DType::kFp16};
  s.dtypes.activations = s.dtypes.weights = s.dtypes.kv = f;
  s.dtypes.compute = *dtype;
  double flops = 0, bytes = 0, elements = 0;
  auto build = [&]() -> graph::Graph {
    if (b.op == "gemm") {
      flops = 2.0 * static_cast<double>(b.m) * static_cast<double>(b.n) * static_cast<double>(b.k);
      return graph::gemmGraph(b.m, b.n, b.k, f);
    }
    if (b.op == "copy") {
      bytes = 2.0 * static_cast<double>(b.bytes);
      return graph::copyGraph(b.bytes);
    }
    if (b.op == "softmax") {
      elements = static_cast<double>(b.rows) * static_cast<double>(b.cols);
      return graph::softmaxGraph(b.rows, b.cols, f);
    }
    flops = 4.0 * static_cast<double>(b.batch * b.heads) * static_cast<double>(b.seq) *
            static_cast<double>(b.seq) * static_cast<double>(b.head_dim);
    return graph::attentionGraph(b.batch, b.heads, b.seq, b.head_dim, f);
  };
  graph::Graph g = build();
  const Tick overhead = roundToCount(b.op_overhead_s * 1e12);
  exec::ChipRun run(system, std::make_unique<graph::Workload>(graph::wholeModel(s), std::move(g)),
                    exec::ExecOptions{overhead});
  const double t = run.windowSeconds();
  if (c.metric == "op_time_s") return t;
  if (c.metric == "achieved_flops_per_s") return flops / t;
  if (c.metric == "achieved_bytes_per_s") return bytes / t;
  return elements / t;
}

/// A run's predicted metric.
double runMetric(const run::SystemRun& run, const spec::ScenarioSpec& s, const Case& c) {
  const std::string& key = c.metric;
  const run::Metrics& m = run.metrics();
  auto need = [&](std::optional<double> v) {
    if (!v) {
      throw ConfigError(
          c.location, "metric",
          fmt::format("metric '{}' is not defined for a {} run", key, spec::phaseName(s.phase)));
    }
    return *v;
  };
  if (key == "output_tokens_per_s_per_chip")
    return need(m.output_tokens_per_s) / static_cast<double>(m.chips);
  if (key == "total_tokens_per_s") {
    if (s.phase != spec::Phase::kGenerate) need(std::nullopt);
    return static_cast<double>((s.prompt_tokens + s.output_tokens) * s.batch) / m.e2e_s;
  }
  const run::MetricDef* def = run::findMetric(key);
  return need(def->value(m));
}

/// How a benchmark's request count changes a run's throughput (Case::requests): `requests`
/// requests queued at t = 0 on a system that holds `run`'s batch b at a time run as floor(n / b)
/// full waves and one wave of the remainder at its own batch, on the same plan (the engine does
/// not change). The factor is n x e2e(b) / (b x (waves x e2e(b) + e2e(rest))): the one-wave
/// throughput over all the requests' tokens in the whole run's time.
double wavesFactor(const spec::SystemSpec& system, const spec::ScenarioSpec& s,
                   const run::SystemRun& run, std::uint64_t requests, const Options& options) {
  const std::uint64_t batch = s.batch;
  const std::uint64_t waves = requests / batch;
  const std::uint64_t rest = requests % batch;
  const double full_s = run.metrics().e2e_s;
  double rest_s = 0.0;
  if (rest > 0) {
    spec::ScenarioSpec tail = s;
    tail.parallel = run.layout().plan;
    tail.parallel.pp_auto = false;
    // Replicas and microbatches split the last wave as they split a full one: the fullest sets
    // its time.
    const std::uint64_t lanes = std::uint64_t{tail.parallel.dp} * tail.parallel.microbatches;
    tail.batch = std::min(batch, (rest + lanes - 1) / lanes * lanes);
    rest_s = run::SystemRun(system, tail, nullptr, run::RunOptions{options.exact}).metrics().e2e_s;
  }
  return static_cast<double>(requests) * full_s /
         (static_cast<double>(batch) * (static_cast<double>(waves) * full_s + rest_s));
}

}  // namespace

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::string batchClass(std::uint64_t batch) {
  return batch == 1 ? "1" : "many";
}

std::uint64_t largestBatch(const spec::SystemSpec& system, spec::ScenarioSpec scenario,
                           std::uint64_t cap) {
  const spec::ChipSpec& chip = system.chip;  // less what the scenario's software keeps (map::fit)
  const std::uint64_t chips =
      scenario.parallel.automatic
          ? (scenario.parallel.max_chips ? scenario.parallel.max_chips : system.chipCount())
          : std::uint64_t{scenario.parallel.tp} * std::max<std::uint32_t>(1, scenario.parallel.pp);
  const std::uint32_t tp = scenario.parallel.automatic ? 1 : scenario.parallel.tp;
  auto fits = [&](std::uint64_t b) {
    scenario.batch = b;
    try {
      return map::fit(chip, scenario, std::nullopt, tp, chips).chips <= chips;
    } catch (const ConfigError&) {
      return false;
    }
  };
  if (!fits(1)) return 0;
  std::uint64_t lo = 1, hi = cap;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

namespace {

struct LoadedCase {
  spec::LoadedSystem system;
  std::optional<spec::LoadedScenario> scenario;
};

LoadedCase loadCase(const spec::Catalog& catalog, const Suite& suite, const Case& c,
                    const Options& options) {
  std::vector<std::string> system_sets, scenario_sets;
  std::vector<std::string> sets = c.sets;
  sets.insert(sets.end(), options.sets.begin(), options.sets.end());
  spec::routeAssignments(sets, system_sets, scenario_sets);
  LoadedCase out{spec::loadSystem(catalog, relativeRef(suite, c.system), system_sets), {}};
  const bool has_software = c.software != "default";
  if (c.scenario) {
    // The case's software stack replaces the scenario's (located at the case's `software:`).
    spec::ConfigNode scenario = *c.scenario;
    if (has_software) {
      scenario.set("software", spec::ConfigNode::makeScalar(c.software, c.software_location),
                   c.software_location);
    }
    out.scenario = spec::loadScenarioDocument(catalog, scenario, suite.file, scenario_sets);
  } else if (c.scenario_ref) {
    if (has_software)
      scenario_sets.insert(scenario_sets.begin(), "software=" + relativeRef(suite, c.software));
    out.scenario = spec::loadScenario(catalog, relativeRef(suite, *c.scenario_ref), scenario_sets);
  }
  return out;
}

}  // namespace

void checkSuite(const spec::Catalog& catalog, const Suite& suite, const Options& options) {
  spec::Diagnostics diags;
  for (std::size_t i = 0; i < suite.cases.size(); ++i) {
    const Case& c = suite.cases[i];
    try {
      loadCase(catalog, suite, c, options);
      if (c.microbench && !spec::parseDType(c.microbench->dtype)) {
        throw ConfigError(c.location, "microbench.dtype",
                          fmt::format("unknown dtype '{}'", c.microbench->dtype));
      }
    } catch (const ConfigError& e) {
      for (const Diagnostic& d : e.diagnostics()) {
        // Errors inside the case's own text keep their location; the rest (a preset that does
        // not exist, a bad --set) are reported at the case.
        const bool inside = d.location.file == suite.file.string();
        diags.error(
            inside ? d.location : c.location,
            fmt::format("cases[{}] ({}){}{}", i, c.id, d.key_path.empty() ? "" : ".", d.key_path),
            d.message);
      }
    }
  }
  diags.throwIfAny();
}

CaseResult runCase(const spec::Catalog& catalog, const Suite& suite, const Case& c,
                   const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r;
  r.id = c.id;
  r.metric = c.metric;
  r.measured = c.measured;
  std::map<std::string, std::string> groups = c.groups;
  groups.emplace("metric", c.metric);
  groups.emplace("software", c.software);
  try {
    const LoadedCase loaded = loadCase(catalog, suite, c, options);
    const spec::LoadedSystem& system = loaded.system;
    groups.emplace("hardware", system.spec.chip.name);
    if (c.microbench) {
      groups.emplace("phase", "microbench");
      r.predicted = runMicrobench(catalog, system.spec, c);
      r.message = c.microbench->op;
    } else {
      spec::ScenarioSpec s = loaded.scenario->spec;
      groups.emplace("phase", std::string(spec::phaseName(s.phase)));
      if (c.max_batch) {
        s.batch = largestBatch(system.spec, s, c.batch_cap);
        if (s.batch == 0) {
          throw ConfigError(c.location, "scenario.batch",
                            "batch: max — not even one sequence fits the plan's chips");
        }
      }
      if (c.requests) {
        if (s.phase != spec::Phase::kGenerate) {
          throw ConfigError(c.location, "requests",
                            fmt::format("requests (waves of a benchmark's request count) apply "
                                        "to a generate run, not a {} run",
                                        spec::phaseName(s.phase)));
        }
        s.batch = std::min(s.batch, *c.requests);  // fewer requests than the batch: one wave
      }
      groups.emplace("batch", batchClass(s.batch));
      const run::SystemRun run(system.spec, s, nullptr, run::RunOptions{options.exact});
      r.predicted = runMetric(run, s, c);
      r.message = fmt::format("{}, batch {}", run.layout().describe(), s.batch);
      if (c.requests) {
        *r.predicted *= wavesFactor(system.spec, s, run, *c.requests, options);
        const std::uint64_t waves = *c.requests / s.batch;
        r.message += fmt::format(", {} requests: {} wave{} + {}", *c.requests, waves,
                                 waves == 1 ? "" : "s", *c.requests % s.batch);
      }
    }
    r.error = *r.predicted / c.measured - 1.0;
    r.status = "ok";
  } catch (const ConfigError& e) {
    const Diagnostic& d = e.diagnostics().front();
    r.status = "failed";
    r.message = d.key_path.empty() ? d.message : fmt::format("key '{}': {}", d.key_path, d.message);
  } catch (const std::exception& e) {
    r.status = "failed";
    r.message = std::string("internal error: ") + e.what();
  }
  r.groups.assign(groups.begin(), groups.end());
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<CaseResult> runSuites(const spec::Catalog& catalog, const std::vector<Suite>& suites,
                                  const Options& options,
                                  const std::function<void(const CaseResult&)>& done) {
  std::vector<std::pair<const Suite*, const Case*>> todo;
  for (const Suite& s : suites) {
    for (const Case& c : s.cases)
      todo.emplace_back(&s, &c);
  }
  std::vector<CaseResult> results(todo.size());
  std::mutex lock;
  parallelFor(todo.size(), options.jobs, [&](std::size_t i) {
    results[i] = runCase(catalog, *todo[i].first, *todo[i].second, options);
    const std::lock_guard<std::mutex> guard(lock);
    if (done) done(results[i]);
  });
  return results;
}

std::vector<Summary> summarize(const std::vector<CaseResult>& results) {
  auto make = [](const std::string& label, const std::string& value,
                 const std::vector<const CaseResult*>& rs) {
    Summary s{label, value};
    std::vector<double> abs, signed_errors;
    for (const CaseResult* r : rs) {
      if (!r->error) {
        ++s.failed;
        continue;
      }
      abs.push_back(std::abs(*r->error));
      signed_errors.push_back(*r->error);
    }
    s.n = abs.size();
    s.median_abs = quantile(abs, 0.5);
    s.p90_abs = quantile(abs, 0.9);
    s.max_abs = abs.empty() ? 0.0 : *std::max_element(abs.begin(), abs.end());
    s.median_signed = quantile(signed_errors, 0.5);
    return s;
  };
  std::vector<const CaseResult*> all;
  std::map<std::string, std::map<std::string, std::vector<const CaseResult*>>> by;
  for (const CaseResult& r : results) {
    all.push_back(&r);
    for (const auto& [label, value] : r.groups)
      by[label][value].push_back(&r);
  }
  std::vector<Summary> out{make("all", "", all)};
  for (const auto& [label, values] : by) {
    for (const auto& [value, rs] : values)
      out.push_back(make(label, value, rs));
  }
  return out;
}

std::string textReport(const std::vector<CaseResult>& results) {
  std::string out =
      fmt::format("{:<52} {:>12} {:>12} {:>8}  {}\n", "case", "predicted", "measured", "error", "");
  for (const CaseResult& r : results) {
    const MetricKind* kind = findMetricKind(r.metric);
    auto fmtv = [&](double v) {
      return kind->dimension == spec::Dimension::kRate ? fmt::format("{:.4g}/s", v)
                                                       : spec::formatQuantity(v, kind->dimension);
    };
    if (r.error) {
      out += fmt::format("{:<52} {:>12} {:>12} {:>+7.1f}%  {}\n", r.id, fmtv(*r.predicted),
                         fmtv(r.measured), 100 * *r.error, r.message);
    } else {
      out += fmt::format("{:<52} {:>12} {:>12} {:>8}  failed: {}\n", r.id, "-", fmtv(r.measured),
                         "-", r.message);
    }
  }
  out += fmt::format("\n{:<12} {:<28} {:>4} {:>6} {:>8} {:>8} {:>8} {:>9}\n", "group", "value", "n",
                     "failed", "median", "p90", "max", "bias");
  for (const Summary& s : summarize(results)) {
    out += fmt::format("{:<12} {:<28} {:>4} {:>6} {:>7.1f}% {:>7.1f}% {:>7.1f}% {:>+8.1f}%\n",
                       s.label, s.value.substr(0, 28), s.n, s.failed, 100 * s.median_abs,
                       100 * s.p90_abs, 100 * s.max_abs, 100 * s.median_signed);
  }
  return out;
}

namespace {

std::string html(const std::vector<Suite>& suites, const std::vector<CaseResult>& results) {
  namespace svg = report::svg;
  std::string body = "<h1>archsim validation</h1>\n<p>";
  for (const Suite& s : suites)
    body += svg::escape(fmt::format("{} ({} cases): {}", s.name, s.cases.size(), s.description)) +
            "<br>";
  body += "</p>\n";
  // Predicted vs measured, normalized per metric so that every kind shares one log-log chart:
  // x = measured / (the metric's median measured), y likewise for the prediction.
  std::map<std::string, std::vector<double>> by_metric;
  for (const CaseResult& r : results)
    by_metric[r.metric].push_back(r.measured);
  std::map<std::string, double> scale;
  for (auto& [m, v] : by_metric)
    scale[m] = quantile(v, 0.5);
  std::map<std::string, svg::Series> series;
  double lo = 1e300, hi = 0;
  for (const CaseResult& r : results) {
    if (!r.predicted || *r.predicted <= 0) continue;
    svg::Series& s = series[r.metric];
    s.label = r.metric;
    s.line = false;
    const double x = r.measured / scale[r.metric], y = *r.predicted / scale[r.metric];
    s.points.emplace_back(x, y);
    s.tips.push_back(fmt::format("{}: {:+.1f}%", r.id, 100 * *r.error));
    lo = std::min({lo, x, y});
    hi = std::max({hi, x, y});
  }
  std::vector<svg::Series> all;
  std::size_t i = 0;
  for (auto& [m, s] : series) {
    s.color = svg::color(i++);
    all.push_back(std::move(s));
  }
  if (hi > 0) {
    lo /= 1.5;
    hi *= 1.5;
    for (const auto& [label, f, dashed] :
         {std::tuple{"1:1", 1.0, false}, {"+25%", 1.25, true}, {"-25%", 0.75, true}}) {
      svg::Series line;
      line.label = label;
      line.color = "#888";
      line.dashed = dashed;
      line.points = {{lo, lo * f}, {hi, hi * f}};
      all.push_back(std::move(line));
    }
    svg::Axis x{"measured (÷ the metric's median measured)", true, lo, hi};
    svg::Axis y{"predicted (same scale)", true, lo, hi};
    body += "<figure class=\"chart\">" + svg::xyChart("predicted vs measured", x, y, all) +
            "<figcaption>Each case, log-log, with the 1:1 line and ±25 % bands; one colour per "
            "metric.</figcaption></figure>\n";
  }
  // Error histogram: 10-point bins from -100 % to +100 % (clamped).
  std::vector<svg::Bar> bars;
  for (int b = -10; b < 10; ++b)
    bars.push_back({fmt::format("{:+d}% to {:+d}%", b * 10, b * 10 + 10), {0.0}});
  for (const CaseResult& r : results) {
    if (!r.error) continue;
    const int b = std::clamp(static_cast<int>(std::floor(*r.error * 10)), -10, 9);
    bars[static_cast<std::size_t>(b + 10)].parts[0] += 1;
  }
  body += "<figure class=\"chart\">" + svg::barChart("signed error", "cases", {"cases"}, bars) +
          "<figcaption>Cases by signed error (predicted / measured − 1), 10-point bins; the "
          "outer bins hold everything beyond ±90 %.</figcaption></figure>\n";
  body +=
      "<h2>Summary</h2>\n<table><tr><th>group</th><th>value</th><th>n</th><th>failed</th>"
      "<th>median |error|</th><th>p90</th><th>max</th><th>median signed</th></tr>\n";
  for (const Summary& s : summarize(results)) {
    body += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1f}%</td><td>{:.1f}%</td>"
        "<td>{:.1f}%</td><td>{:+.1f}%</td></tr>\n",
        svg::escape(s.label), svg::escape(s.value), s.n, s.failed, 100 * s.median_abs,
        100 * s.p90_abs, 100 * s.max_abs, 100 * s.median_signed);
  }
  body +=
      "</table>\n<h2>Cases</h2>\n<table><tr><th>case</th><th>metric</th><th>predicted</th>"
      "<th>measured</th><th>error</th><th>plan or failure</th></tr>\n";
  for (const CaseResult& r : results) {
    body += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4g}</td><td>{}</td><td>{}"
        "</td></tr>\n",
        svg::escape(r.id), svg::escape(r.metric),
        r.predicted ? fmt::format("{:.4g}", *r.predicted) : "-", r.measured,
        r.error ? fmt::format("{:+.1f}%", 100 * *r.error) : "-", svg::escape(r.message));
  }
  body += "</table>\n";
  return report::htmlPage("archsim validation", body);
}

}  // namespace

void writeValidation(const std::filesystem::path& out, const std::vector<Suite>& suites,
                     const std::vector<CaseResult>& results) {
  std::string csv = "id,metric,predicted,measured,error,status,message\n";
  ordered_json cases = ordered_json::array();
  for (const CaseResult& r : results) {
    csv += fmt::format(
        "{},{},{},{},{},{},{}\n", report::csvField(r.id), r.metric,
        r.predicted ? fmt::format("{:.9g}", *r.predicted) : "", fmt::format("{:.9g}", r.measured),
        r.error ? fmt::format("{:.6f}", *r.error) : "", r.status, report::csvField(r.message));
    ordered_json groups = ordered_json::object();
    for (const auto& [label, value] : r.groups)
      groups[label] = value;
    cases.push_back({{"id", r.id},
                     {"metric", r.metric},
                     {"predicted", r.predicted ? ordered_json(*r.predicted) : ordered_json()},
                     {"measured", r.measured},
                     {"error", r.error ? ordered_json(*r.error) : ordered_json()},
                     {"status", r.status},
                     {"message", r.message},
                     {"groups", groups}});
  }
  ordered_json summaries = ordered_json::array();
  for (const Summary& s : summarize(results)) {
    summaries.push_back({{"group", s.label},
                         {"value", s.value},
                         {"n", s.n},
                         {"failed", s.failed},
                         {"median_abs_error", s.median_abs},
                         {"p90_abs_error", s.p90_abs},
                         {"max_abs_error", s.max_abs},
                         {"median_signed_error", s.median_signed}});
  }
  ordered_json suites_json = ordered_json::array();
  for (const Suite& s : suites) {
    ordered_json left = ordered_json::array();
    for (const LeftOut& l : s.left_out)
      left.push_back({{"id", l.id}, {"reason", l.reason}});
    suites_json.push_back({{"name", s.name}, {"cases", s.cases.size()}, {"left_out", left}});
  }
  const ordered_json doc = {{"suites", suites_json}, {"summary", summaries}, {"cases", cases}};
  writeDirectoryAtomically(out, {{"validation.csv", csv},
                                 {"validation.json", doc.dump(2) + "\n"},
                                 {"validation.html", html(suites, results)}});
}

BaselineCheck compareToBaseline(const std::filesystem::path& baseline,
                                const std::vector<CaseResult>& results, double median_points,
                                double case_points) {
  std::ifstream in(baseline);
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!in || doc.is_discarded() || !doc.is_object() || !doc.contains("cases") ||
      !doc["cases"].is_array()) {
    throw ConfigError(Location{baseline.string(), 0, 0}, "",
                      "not a validation.json (archsim validate --out writes one)");
  }
  std::map<std::string, std::optional<double>> before;
  for (const nlohmann::json& c : doc["cases"]) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string()) continue;
    before[c["id"].get<std::string>()] = c.contains("error") && c["error"].is_number()
                                             ? std::optional(c["error"].get<double>())
                                             : std::nullopt;
  }
  BaselineCheck out;
  std::vector<double> was, now;
  std::set<std::string> seen;
  for (const CaseResult& r : results) {
    seen.insert(r.id);
    const auto it = before.find(r.id);
    if (it == before.end()) {
      out.notes.push_back(fmt::format("{}: new (not in the baseline)", r.id));
      continue;
    }
    if (!it->second) {
      if (r.error) out.notes.push_back(fmt::format("{}: runs now (failed in the baseline)", r.id));
      continue;
    }
    if (!r.error) {
      out.failures.push_back(fmt::format("{}: ran in the baseline ({:+.1f}%), fails now: {}", r.id,
                                         100 * *it->second, r.message));
      continue;
    }
    ++out.compared;
    was.push_back(std::abs(*it->second));
    now.push_back(std::abs(*r.error));
    if (std::abs(*r.error - *it->second) > case_points) {
      out.failures.push_back(
          fmt::format("{}: error {:+.1f}% -> {:+.1f}% (moved more than {:.0f} "
                      "points)",
                      r.id, 100 * *it->second, 100 * *r.error, 100 * case_points));
    }
  }
  std::size_t absent = 0;
  for (const auto& [id, e] : before)
    absent += !seen.count(id);
  if (absent > 0)
    out.notes.push_back(
        fmt::format("{} baseline cases were not run (a subset of the suites)", absent));
  out.median_before = quantile(was, 0.5);
  out.median_after = quantile(now, 0.5);
  if (out.median_after > out.median_before + median_points) {
    out.failures.push_back(
        fmt::format("median |error| {:.1f}% -> {:.1f}% (worse by more than "
                    "{:.0f} point)",
                    100 * out.median_before, 100 * out.median_after, 100 * median_points));
  }
  return out;
}

}  // namespace archsim::validate
