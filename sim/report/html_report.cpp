#include "sim/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sim/hw/roofline.h"
#include "sim/report/svg.h"
#include "sim/spec/units.h"

namespace archsim::report {
namespace {

using svg::escape;

std::string figure(const std::string& chart, const std::string& caption) {
  return "<figure class=\"chart\">" + chart + "<figcaption>" + escape(caption) +
         "</figcaption></figure>\n";
}

std::string quantity(double v, spec::Dimension d) {
  return spec::formatQuantity(v, d);
}

std::string category(graph::OpKind k) {
  switch (k) {
    case graph::OpKind::kMatmul:
    case graph::OpKind::kLmHead:
      return "weight matmuls";
    case graph::OpKind::kAttention:
    case graph::OpKind::kAttentionScore:
    case graph::OpKind::kAttentionContext:
    case graph::OpKind::kSoftmax:
      return "attention";
    default:
      return "vector ops";
  }
}

std::string rooflineChart(const run::SystemRun& run, std::size_t c) {
  const spec::ChipSpec& chip = run.system().chip;
  const exec::RunResult& r = run.chip(c).result();
  const auto dtype = spec::parseDType(r.matrix_dtype);
  const double peak = dtype && chip.matrix.peak(*dtype) ? *chip.matrix.peak(*dtype) : 0.0;
  // Ops by category.
  std::map<std::string, svg::Series> points;
  double lo = 1.0, hi = 10.0;
  for (const exec::OpRecord& op : r.ops) {
    if (op.kind == graph::OpKind::kCollective || op.busy == 0) continue;
    std::string level;
    const double ai = opIntensity(op, chip, &level);
    const double flops = static_cast<double>(op.matrix_flops + op.vector_flops);
    if (ai <= 0 || flops <= 0) continue;
    const double achieved = flops / ticksToSeconds(op.busy);
    svg::Series& s = points[category(op.kind)];
    s.points.emplace_back(ai, achieved);
    s.tips.push_back(fmt::format("{}:{} ({}) — {:.3g} FLOP/B against {}, {}, bound {}", op.graph,
                                 op.name, graph::opKindName(op.kind), ai, level,
                                 spec::formatQuantity(achieved, spec::Dimension::kThroughput),
                                 op.bound));
    lo = std::min(lo, ai);
    hi = std::max(hi, ai);
  }
  std::vector<svg::Series> series;
  std::size_t k = 0;
  for (const spec::MemoryLevelSpec& level : chip.memory) {
    const double bw = level.achievableBandwidth();
    if (peak <= 0 || bw <= 0) continue;
    const double knee = peak / bw;
    hi = std::max(hi, knee * 10);
    lo = std::min(lo, knee / 100);
  }
  lo = std::pow(10.0, std::floor(std::log10(lo)));
  hi = std::pow(10.0, std::ceil(std::log10(hi)));
  for (const spec::MemoryLevelSpec& level : chip.memory) {
    const double bw = level.achievableBandwidth();
    if (peak <= 0 || bw <= 0) continue;
    const double knee = peak / bw;
    svg::Series s{fmt::format("{} {} (knee {:.3g})", level.name,
                              quantity(bw, spec::Dimension::kBandwidth), knee),
                  "#555555",
                  {},
                  true,
                  true,
                  {}};
    s.color = k == 0 ? "#999999" : (k == 1 ? "#666666" : "#222222");
    s.points = {{lo, lo * bw}, {knee, peak}, {hi, peak}};
    if (knee >= hi) s.points = {{lo, lo * bw}, {hi, hi * bw}};
    series.push_back(std::move(s));
    ++k;
  }
  if (peak > 0) {
    series.push_back({fmt::format("{} peak {}", r.matrix_dtype,
                                  spec::formatQuantity(peak, spec::Dimension::kThroughput)),
                      "#000000",
                      {{lo, peak}, {hi, peak}},
                      true,
                      false,
                      {}});
  }
  std::size_t i = 0;
  for (auto& [name, s] : points) {
    s.label = name;
    s.color = svg::color(i++);
    s.line = false;
    series.push_back(std::move(s));
  }
  svg::Axis x{"arithmetic intensity (FLOP per byte of main-memory traffic)", true, lo, hi};
  svg::Axis y{"achieved (FLOP/s)", true};
  if (peak > 0) y.hi = std::pow(10.0, std::ceil(std::log10(peak * 2)));
  const std::string title = run.simulatedChips() > 1 ? fmt::format("Roofline — {} (stage {})",
                                                                   chip.name, run.stageOfChip(c))
                                                     : fmt::format("Roofline — {}", chip.name);
  return svg::xyChart(title, x, y, series, 820, 460);
}

std::string utilizationChart(const ChipUse& use, bool multi) {
  std::vector<svg::Series> series;
  const double window = use.windowSeconds();
  const auto [unit, scale] = timeUnit(window);
  std::size_t i = 0, links = 0;
  for (const ResourceUse& r : use.resources) {
    if (!r.own || r.busy_s <= 0) continue;
    if (r.group == "link" && ++links > 4) continue;
    svg::Series s{r.group == "compute" ? r.name + " computing" : r.name,
                  svg::color(i++),
                  {},
                  true,
                  false,
                  {}};
    const Activity& a = *r.activity;
    const double per_bin = static_cast<double>(a.binTicks()) * a.capacity();
    for (std::size_t b = 0; b < a.bins().size(); ++b) {
      const Tick t0 = a.origin() + b * a.binTicks();
      if (t0 < use.window_start || t0 >= use.window_end) continue;
      const double mid = ticksToSeconds(t0 - use.window_start) + ticksToSeconds(a.binTicks()) / 2;
      s.points.emplace_back(std::min(mid, window), static_cast<double>(a.bins()[b]) / per_bin);
    }
    series.push_back(std::move(s));
  }
  svg::Axis x{fmt::format("time in the measured window ({})", unit), false, 0.0, window};
  x.scale = scale;
  svg::Axis y{"utilization (busy fraction of capacity)", false, 0.0, 1.0};
  y.percent = true;
  const std::string title =
      multi ? fmt::format("Utilization over time — {} (stage {})", use.name, use.stage)
            : "Utilization over time";
  return svg::xyChart(title, x, y, series, 820, 380);
}

}  // namespace

std::pair<std::string, double> timeUnit(double most_seconds) {
  if (most_seconds >= 1.0) return {"s", 1.0};
  if (most_seconds >= 1e-3) return {"ms", 1e3};
  return {"us", 1e6};
}

std::string htmlPage(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" +
         escape(title) +
         "</title>\n<style>\n"
         "body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222222}\n"
         "table{border-collapse:collapse;margin:8px 0 16px 0}\n"
         "td,th{border:1px solid #cccccc;padding:3px 8px;text-align:right}\n"
         "th{background:#f2f2f2}td.l,th.l{text-align:left}\n"
         "figure.chart{margin:12px 0 24px "
         "0}figcaption{color:#555555;font-size:13px;max-width:820px}\n"
         "code{background:#f4f4f4;padding:1px 3px}\n"
         "</style>\n</head>\n<body>\n" +
         body + "</body>\n</html>\n";
}

std::string reportHtml(const run::SystemRun& run, const Breakdown& b,
                       const run::MetricIntervals* intervals) {
  const auto& r = run.result();
  const run::Metrics& m = r.metrics;
  const spec::ScenarioSpec& s = run.scenario();
  std::string body;
  body += fmt::format("<h1>{} on {}</h1>\n", escape(s.name), escape(run.system().name));
  body += fmt::format(
      "<p>{} ({}), phase {}, batch {} — {} chips of {} ({}), plan {}. Binding resource: "
      "<b>{}</b>.</p>\n",
      escape(s.model.name), escape(s.description), spec::phaseName(s.phase), s.batch, m.chips,
      escape(run.system().chip.name), escape(run.system().name), escape(run.layout().describe()),
      escape(run.bindingResource()));
  body += "<table>\n<tr><th class=\"l\">metric</th><th>value</th><th>80% interval</th></tr>\n";
  for (const run::MetricDef& def : run::headlineMetrics()) {
    if (!def.value(m)) continue;  // not defined for this phase
    body += fmt::format(
        "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>\n", escape(def.key),
        escape(run::formatMetric(def, m)),
        escape(run::formatInterval(def, intervals ? intervals->find(def.key) : nullptr)));
  }
  body += "</table>\n";
  if (intervals != nullptr) body += "<p>" + escape(intervals->note) + "</p>\n";

  body += "<h2>Roofline</h2>\n";
  for (std::size_t c = 0; c < run.simulatedChips() && c < 4; ++c) {
    body += figure(
        rooflineChart(run, c),
        "Each op (aggregated over its executions) at its arithmetic intensity against main-memory "
        "traffic and the FLOP/s it achieved; dashed lines: each memory level's achievable "
        "bandwidth "
        "up to the matrix peak. Points left of a level's knee cannot reach peak when streaming "
        "from it.");
  }

  body += "<h2>Where the time went</h2>\n";
  double most = 0;
  for (const auto& [k, t] : b.time_by_kind_s)
    most = std::max(most, t);
  const auto [unit, scale] = timeUnit(most);
  std::vector<svg::Bar> kinds;
  for (const auto& [k, t] : b.time_by_kind_s)
    kinds.push_back({k, {t}});
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& c) { return a.parts[0] > c.parts[0]; });
  body += figure(
      svg::barChart("Time by op kind", fmt::format("op time ({})", unit), {"time"}, kinds, scale),
      "Summed op time (first activity to end) by kind, one microbatch on one rank of each stage.");
  std::vector<svg::Bar> bounds;
  for (const auto& [k, t] : b.time_by_bound_s)
    bounds.push_back({k, {t}});
  std::stable_sort(bounds.begin(), bounds.end(),
                   [](const auto& a, const auto& c) { return a.parts[0] > c.parts[0]; });
  body += figure(
      svg::barChart("Time by binding resource", fmt::format("op time ({})", unit), {"time"}, bounds,
                    scale),
      "Op time by the resource that bound each op: compute, a memory level (its bandwidth), the "
      "network (collectives) or latency (no resource above half use).");
  std::vector<svg::Bar> resources;
  for (const ChipUse& c : b.chips) {
    for (const ResourceUse& u : c.resources) {
      if (!u.own) continue;
      const std::string label =
          b.chips.size() > 1 ? fmt::format("s{} {}", c.stage, u.name) : u.name;
      resources.push_back({label, {u.utilization}});
    }
  }
  body +=
      figure(svg::barChart("Utilization by resource", "busy fraction of the measured window (%)",
                           {"busy"}, resources, 100.0),
             "Compute units computing, memory levels and links serializing bytes, as a share of "
             "the measured "
             "window at full capacity.");

  body += "<h2>Memory traffic</h2>\n";
  std::vector<std::string> roles;
  for (std::size_t i = 0; i <= exec::kRoles; ++i)
    roles.push_back(roleColumnName(i));
  std::vector<svg::Bar> traffic;
  for (const auto& [level, by] : b.bytes_by_level_role) {
    svg::Bar bar{level, {}};
    for (std::uint64_t v : by)
      bar.parts.push_back(static_cast<double>(v));
    traffic.push_back(std::move(bar));
  }
  body += figure(
      svg::barChart("Traffic by memory level and tensor role", "bytes moved (B)", roles, traffic),
      "Bytes read and written at each level by the role of the tensor moved, every chip of the "
      "plan; "
      "writeback: dirty cache blocks written back.");

  body += "<h2>Utilization over time</h2>\n";
  for (std::size_t c = 0; c < b.chips.size() && c < 4; ++c) {
    body += figure(
        utilizationChart(b.chips[c], b.chips.size() > 1),
        "Busy fraction per time bin of compute units, each memory level and the chip's links.");
  }

  body += "<h2>Energy</h2>\n";
  std::vector<svg::Bar> energy;
  double total = 0;
  for (const EnergyPart& e : b.energy) {
    energy.push_back({e.component, {e.joules}});
    total += e.joules;
  }
  body += figure(
      svg::barChart("Energy by component", "energy (J)", {"energy"}, energy),
      fmt::format(
          "Dynamic energy by component and static energy over the run, every chip: {} in total.",
          quantity(total, spec::Dimension::kEnergy)));

  body +=
      "<h2>Top ops by time</h2>\n<table>\n<tr><th class=\"l\">op</th><th "
      "class=\"l\">kind</th><th>time</th>"
      "<th class=\"l\">bound</th><th>FLOP/s</th><th>bytes/s</th><th>executions</th></tr>\n";
  for (const TopOp& t : topOps(run, 15)) {
    body += fmt::format(
        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td>"
        "<td>{:.3g}</td><td>{:.3g}</td><td>{}</td></tr>\n",
        escape(t.label), graph::opKindName(t.op->kind), quantity(t.time_s, spec::Dimension::kTime),
        escape(t.op->bound), t.flops_per_s, t.bytes_per_s, t.op->executions);
  }
  body += "</table>\n";
  if (!r.warnings.empty()) {
    body += "<h2>Warnings</h2>\n<ul>\n";
    for (const std::string& w : r.warnings)
      body += "<li>" + escape(w) + "</li>\n";
    body += "</ul>\n";
  }
  body += "<p>Generated by archsim. The same inputs give the same page.</p>\n";
  return htmlPage(fmt::format("archsim: {} on {}", s.name, run.system().name), body);
}

}  // namespace archsim::report
