#include "sim/report/run_record.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/atomic_file.h"
#include "sim/report/html_report.h"
#include "sim/report/run_report.h"
#include "sim/report/trace.h"
#include "sim/spec/units.h"

namespace archsim::report {
namespace {

std::string md(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

std::string share(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100 * part / whole) : "-";
}

}  // namespace

std::string summaryMarkdown(const run::SystemRun& run, const Breakdown& b,
                            const run::MetricIntervals* intervals) {
  const auto& r = run.result();
  const run::Metrics& m = r.metrics;
  const spec::ScenarioSpec& s = run.scenario();
  auto q = [](double v, spec::Dimension d) { return spec::formatQuantity(v, d); };
  std::string out = fmt::format("# {} on {}\n\n", s.name, run.system().name);
  out += fmt::format(
      "{}, {}, batch {} — plan {} on {} of {} chips ({}), {} of memory. Binding resource: "
      "**{}**.\n\n",
      md(s.model.name), spec::phaseName(s.phase), s.batch, run.layout().describe(), m.chips,
      run.system().chipCount(), md(run.system().chip.name),
      q(static_cast<double>(run.memoryBytes()), spec::Dimension::kSize), run.bindingResource());
  out += "| metric | value | 80% interval |\n|---|---:|---|\n";
  for (const run::MetricDef& def : run::headlineMetrics()) {
    if (!def.value(m)) continue;  // not defined for this phase
    out += fmt::format("| {} | {} | {} |\n", def.key, run::formatMetric(def, m),
                       run::formatInterval(def, intervals ? intervals->find(def.key) : nullptr));
  }
  out += intervals ? "\n" + intervals->note + "\n\n" : "\n";

  double total = 0;
  for (const auto& [k, t] : b.time_by_bound_s)
    total += t;
  out += "## Where the time went\n\n| bound | op time | share |\n|---|---:|---:|\n";
  for (const auto& [k, t] : b.time_by_bound_s)
    out += fmt::format("| {} | {} | {} |\n", k, q(t, spec::Dimension::kTime), share(t, total));
  out += "\n| op kind | op time | share |\n|---|---:|---:|\n";
  auto kinds = b.time_by_kind_s;
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& c) { return a.second > c.second; });
  for (const auto& [k, t] : kinds)
    out += fmt::format("| {} | {} | {} |\n", k, q(t, spec::Dimension::kTime), share(t, total));
  out += "\n| resource | busy | utilization |\n|---|---:|---:|\n";
  for (const ChipUse& c : b.chips) {
    for (const ResourceUse& u : c.resources) {
      if (!u.own || u.busy_s <= 0) continue;
      out += fmt::format("| {}{} | {} | {:.1f}% |\n",
                         b.chips.size() > 1 ? fmt::format("stage {} ", c.stage) : "", md(u.name),
                         q(u.busy_s, spec::Dimension::kTime), 100 * u.utilization);
    }
  }

  out +=
      "\n## Top ops by time\n\n| op | kind | time | bound | FLOP/s | bytes/s "
      "|\n|---|---|---:|---|---:|---:|\n";
  for (const TopOp& t : topOps(run, 10)) {
    out += fmt::format("| {} | {} | {} | {} | {:.3g} | {:.3g} |\n", md(t.label),
                       graph::opKindName(t.op->kind), q(t.time_s, spec::Dimension::kTime),
                       t.op->bound, t.flops_per_s, t.bytes_per_s);
  }
  if (!r.warnings.empty()) {
    out += "\n## Warnings\n\n";
    for (const std::string& w : r.warnings)
      out += "- " + md(w) + "\n";
  }
  out +=
      "\nFiles: `stats.json` (every figure), `report.html` (charts), `trace.json` (open in "
      "ui.perfetto.dev), "
      "`config.resolved.yaml` (`archsim run config.resolved.yaml` reproduces the run), "
      "`run.json`.\n";
  return out;
}

std::string runJson(const run::SystemRun& run, const RunInfo& info) {
  nlohmann::ordered_json j;
  j["command_line"] = info.command_line;
  j["archsim_version"] = info.version;
  j["git_hash"] =
      info.git_hash ? nlohmann::ordered_json(*info.git_hash) : nlohmann::ordered_json(nullptr);
  j["started_utc"] = info.started_utc;
  j["wall_s"] = info.wall_s;
  j["host"] = {{"name", info.host}, {"cores", info.cores}};
  j["system"] = run.system().name;
  j["scenario"] = run.scenario().name;
  j["files"] = {"stats.json", "config.resolved.yaml", "summary.md", "report.html", "trace.json"};
  return j.dump(2) + "\n";
}

std::vector<std::pair<std::string, std::string>> runRecordFiles(const run::SystemRun& run,
                                                                const RunInfo& info,
                                                                const std::string& resolved_yaml) {
  const Breakdown b = breakdown(run);
  std::vector<std::pair<std::string, std::string>> files;
  const run::MetricIntervals* intervals = info.intervals ? &*info.intervals : nullptr;
  files.emplace_back("stats.json", statsJson(run, intervals).dump(2) + "\n");
  files.emplace_back("config.resolved.yaml", resolved_yaml);
  files.emplace_back("summary.md", summaryMarkdown(run, b, intervals));
  files.emplace_back("report.html", reportHtml(run, b, intervals));
  files.emplace_back("trace.json", traceJson(run, b));
  files.emplace_back("run.json", runJson(run, info));
  return files;
}

void writeRunRecord(const std::filesystem::path& dir, const run::SystemRun& run,
                    const RunInfo& info, const std::string& resolved_yaml) {
  writeDirectoryAtomically(dir, runRecordFiles(run, info, resolved_yaml));
}

}  // namespace archsim::report
