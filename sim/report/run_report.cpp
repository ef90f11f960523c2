#include "sim/report/run_report.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/spec/units.h"

namespace archsim::report {
namespace {

using nlohmann::ordered_json;

ordered_json optional(const std::optional<double>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

ordered_json levels(const exec::OpCounters& c, hw::Chip& chip) {
  ordered_json j = ordered_json::object();
  for (std::size_t i = 0; i < c.level.size(); ++i) {
    if (c.level[i].read == 0 && c.level[i].written == 0) continue;
    j[chip.level(i).name()] = {{"read_bytes", c.level[i].read}, {"written_bytes", c.level[i].written}};
  }
  return j;
}

ordered_json cacheJson(const exec::OpCounters& c) {
  ordered_json j = ordered_json::object();
  for (graph::TensorRole role : graph::kAllRoles) {
    const std::size_t r = exec::roleIndex(role);
    if (c.hits[r] + c.misses[r] == 0) continue;
    j[std::string(graph::roleName(role))] = {
        {"hits", c.hits[r]},
        {"misses", c.misses[r]},
        {"hit_bytes", c.hit_bytes[r]},
        {"miss_bytes", c.miss_bytes[r]},
        {"hit_rate", static_cast<double>(c.hit_bytes[r]) / static_cast<double>(c.hit_bytes[r] + c.miss_bytes[r])}};
  }
  return j;
}

std::uint64_t bytesOf(const exec::OpCounters& c) {
  std::uint64_t b = 0;
  for (const auto& l : c.level) b += l.read + l.written;
  return b;
}

std::string seconds(double s) { return spec::formatQuantity(s, spec::Dimension::kTime); }

}  // namespace

ordered_json statsJson(const RunContext& run) {
  const exec::RunResult& r = run.result;
  const spec::ScenarioSpec& s = run.workload.scenario();
  ordered_json j;
  j["schema_version"] = kStatsSchemaVersion;
  j["system"] = run.system.name;
  j["chip"] = run.system.chip.name;
  j["scenario"] = s.name;
  j["model"] = s.model.name;
  j["phase"] = spec::phaseName(s.phase);
  j["batch"] = s.batch;
  const exec::Metrics& m = r.metrics;
  j["metrics"] = {{"ttft_s", optional(m.ttft_s)},
                  {"tpot_s", optional(m.tpot_s)},
                  {"e2e_s", m.e2e_s},
                  {"output_tokens_per_s", optional(m.output_tokens_per_s)},
                  {"tokens_per_s_per_user", optional(m.tokens_per_s_per_user)},
                  {"energy_per_token_j", optional(m.energy_per_token_j)},
                  {"avg_power_w", m.avg_power_w},
                  {"chips", m.chips}};
  j["execution"] = {{"style", spec::executionStyleName(run.chip.spec().execution.style)},
                    {"matrix_dtype", r.matrix_dtype},
                    {"vector_dtype", r.vector_dtype},
                    {"measured_steps", r.measured_steps}};
  j["placement"] = run.placement.decisions();
  j["totals"] = {{"bytes_by_level", levels(r.totals, run.chip)},
                 {"cache", cacheJson(r.totals)},
                 {"matrix_busy_s", ticksToSeconds(r.totals.matrix_busy_ps)},
                 {"vector_busy_s", ticksToSeconds(r.totals.vector_busy_ps)},
                 {"tiles", r.totals.tiles}};
  j["energy"] = {{"dynamic_j", r.dynamic_energy_j},
                 {"static_j", r.static_energy_j},
                 {"total_j", r.dynamic_energy_j + r.static_energy_j}};
  ordered_json ops = ordered_json::array();
  for (const exec::OpRecord& op : r.ops) {
    const double t = ticksToSeconds(op.busy);
    const double flops = static_cast<double>(op.matrix_flops + op.vector_flops);
    const std::uint64_t bytes = bytesOf(op.counters);
    ops.push_back({{"graph", op.graph},
                   {"name", op.name},
                   {"kind", graph::opKindName(op.kind)},
                   {"layer", op.layer},
                   {"executions", op.executions},
                   {"start_s", ticksToSeconds(op.first_start - r.measured_start)},
                   {"end_s", ticksToSeconds(op.last_end - r.measured_start)},
                   {"time_s", t},
                   {"bound", op.bound},
                   {"matrix_flops", op.matrix_flops},
                   {"vector_flops", op.vector_flops},
                   {"achieved_flops_per_s", t > 0 ? flops / t : 0.0},
                   {"bytes", bytes},
                   {"achieved_bytes_per_s", t > 0 ? static_cast<double>(bytes) / t : 0.0},
                   {"bytes_by_level", levels(op.counters, run.chip)},
                   {"cache", cacheJson(op.counters)},
                   {"tiles", op.counters.tiles},
                   {"energy_j", op.counters.energy_j}});
  }
  j["ops"] = std::move(ops);
  j["resources"] = run.sim.stats().toJson();
  j["warnings"] = r.warnings;
  return j;
}

void printRunSummary(const RunContext& run, std::ostream& out) {
  const exec::RunResult& r = run.result;
  const spec::ScenarioSpec& s = run.workload.scenario();
  const exec::Metrics& m = r.metrics;
  out << fmt::format("run {} on {} ({} execution, matrix {}, {} measured step{})\n", s.name, run.system.name,
                     spec::executionStyleName(run.chip.spec().execution.style), r.matrix_dtype, r.measured_steps,
                     r.measured_steps == 1 ? "" : "s");
  for (const std::string& d : run.placement.decisions()) out << "  " << d << '\n';
  auto line = [&](const char* key, const std::optional<double>& v, const std::string& text) {
    out << fmt::format("  {:<22} {}\n", key, v ? text : std::string("-"));
  };
  out << "metrics:\n";
  line("ttft_s", m.ttft_s, m.ttft_s ? seconds(*m.ttft_s) : "");
  line("tpot_s", m.tpot_s, m.tpot_s ? seconds(*m.tpot_s) : "");
  line("e2e_s", m.e2e_s, seconds(m.e2e_s));
  line("output_tokens_per_s", m.output_tokens_per_s,
       m.output_tokens_per_s ? fmt::format("{:.4g} tokens/s", *m.output_tokens_per_s) : "");
  line("tokens_per_s_per_user", m.tokens_per_s_per_user,
       m.tokens_per_s_per_user ? fmt::format("{:.4g} tokens/s", *m.tokens_per_s_per_user) : "");
  line("energy_per_token_j", m.energy_per_token_j,
       m.energy_per_token_j ? spec::formatQuantity(*m.energy_per_token_j, spec::Dimension::kEnergy) : "");
  line("avg_power_w", m.avg_power_w, spec::formatQuantity(m.avg_power_w, spec::Dimension::kPower));
  out << fmt::format("  {:<22} {}\n", "chips", m.chips);

  std::map<std::string, double> by_bound;
  double total = 0;
  for (const exec::OpRecord& op : r.ops) {
    by_bound[op.bound] += ticksToSeconds(op.busy);
    total += ticksToSeconds(op.busy);
  }
  out << "op time by bound:";
  for (const auto& [bound, t] : by_bound) out << fmt::format("  {} {:.1f}%", bound, total > 0 ? 100 * t / total : 0.0);
  out << '\n';
  std::vector<const exec::OpRecord*> top;
  for (const exec::OpRecord& op : r.ops) top.push_back(&op);
  std::stable_sort(top.begin(), top.end(), [](auto* a, auto* b) { return a->busy > b->busy; });
  out << "top ops by time:\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(5, top.size()); ++i) {
    const exec::OpRecord& op = *top[i];
    const double t = ticksToSeconds(op.busy);
    out << fmt::format("  {:<24} {:<14} {:>10} {:>8}  {:.3g} FLOP/s, {:.3g} B/s\n", op.graph + ":" + op.name,
                       graph::opKindName(op.kind), seconds(t), op.bound,
                       t > 0 ? static_cast<double>(op.matrix_flops + op.vector_flops) / t : 0.0,
                       t > 0 ? static_cast<double>(bytesOf(op.counters)) / t : 0.0);
  }
}

}  // namespace archsim::report
