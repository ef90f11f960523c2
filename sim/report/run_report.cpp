#include "sim/report/run_report.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/breakdown.h"
#include "sim/spec/units.h"

namespace archsim::report {
namespace {

using nlohmann::ordered_json;

ordered_json optional(const std::optional<double>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json levels(const exec::OpCounters& c, const spec::ChipSpec& chip) {
  ordered_json j = ordered_json::object();
  for (std::size_t i = 0; i < c.level.size(); ++i) {
    if (c.level[i].read == 0 && c.level[i].written == 0) continue;
    j[chip.memory.at(i).name] = {{"read_bytes", c.level[i].read},
                                 {"written_bytes", c.level[i].written}};
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
        {"hit_rate", static_cast<double>(c.hit_bytes[r]) /
                         static_cast<double>(c.hit_bytes[r] + c.miss_bytes[r])}};
  }
  return j;
}

std::uint64_t bytesOf(const exec::OpCounters& c) {
  std::uint64_t b = 0;
  for (const auto& l : c.level)
    b += l.read + l.written;
  return b;
}

std::string seconds(double s) {
  return spec::formatQuantity(s, spec::Dimension::kTime);
}

ordered_json parallelJson(const run::SystemRun& run) {
  const map::ParallelLayout& layout = run.layout();
  const spec::ParallelPlan& plan = layout.plan;
  ordered_json stages = ordered_json::array();
  for (std::size_t s = 0; s < layout.stages.size(); ++s) {
    const map::StageLayers& st = layout.stages[s];
    const exec::ChipRun& chip = run.chip(run.chipOfStage(s));
    const std::vector<std::uint32_t> chips = layout.stageChips(s);
    Tick step_total = 0;
    for (Tick t : chip.result().step_ticks)
      step_total += t;
    stages.push_back({{"stage", s},
                      {"layers", {st.first_layer, st.end_layer}},
                      {"embedding", st.embedding},
                      {"head", st.head},
                      {"chips", chips},
                      {"simulated_as_stage", run.stageOfChip(run.chipOfStage(s))},
                      {"time_per_microbatch_s", ticksToSeconds(step_total)},
                      {"placement", chip.placement().decisions()}});
  }
  ordered_json j = {{"tp", plan.tp},
                    {"pp", plan.pp},
                    {"ep", plan.ep},
                    {"dp", plan.dp},
                    {"microbatches", plan.microbatches},
                    {"sequence_parallel", plan.sequence_parallel},
                    {"automatic", run.scenario().parallel.automatic},
                    {"chips", layout.chips()},
                    {"system_chips", run.system().chipCount()},
                    {"memory_bytes", run.memoryBytes()},
                    {"stages", std::move(stages)}};
  if (layout.chips() > 1 || plan.microbatches > 1) {
    const exec::PipelineResult& p = run.pipeline();
    j["pipeline"] = {
        {"p2p_bytes", p.p2p_bytes}, {"p2p_energy_j", p.p2p_energy_j}, {"events", p.events}};
  }
  return j;
}

ordered_json breakdownJson(const run::SystemRun& run) {
  const Breakdown b = breakdown(run);
  ordered_json j;
  j["scope"] =
      "op times: one microbatch on one rank of each pipeline stage; bytes and energy: every chip "
      "of the "
      "plan; utilization: each simulated chip over its measured window";
  ordered_json kinds = ordered_json::object();
  for (const auto& [k, t] : b.time_by_kind_s)
    kinds[k] = t;
  j["time_by_op_kind_s"] = std::move(kinds);
  ordered_json bounds = ordered_json::object();
  for (const auto& [k, t] : b.time_by_bound_s)
    bounds[k] = t;
  j["time_by_bound_s"] = std::move(bounds);
  ordered_json chips = ordered_json::array();
  for (const ChipUse& c : b.chips) {
    ordered_json resources = ordered_json::array();
    for (const ResourceUse& r : c.resources) {
      resources.push_back({{"group", r.group},
                           {"name", r.name},
                           {"own", r.own},
                           {"capacity", r.capacity},
                           {"capacity_unit", r.unit},
                           {"bytes", r.bytes},
                           {"busy_s", r.busy_s},
                           {"utilization", r.utilization}});
    }
    chips.push_back({{"chip", c.name},
                     {"stage", c.stage},
                     {"window_s", c.windowSeconds()},
                     {"resources", std::move(resources)}});
  }
  j["time_by_resource"] = std::move(chips);
  ordered_json levels = ordered_json::object();
  for (const auto& [level, roles] : b.bytes_by_level_role) {
    ordered_json by = ordered_json::object();
    for (std::size_t r = 0; r < roles.size(); ++r)
      by[roleColumnName(r)] = roles[r];
    levels[level] = std::move(by);
  }
  j["bytes_by_level_and_role"] = std::move(levels);
  ordered_json rates = ordered_json::object();
  const exec::OpCounters& t = run.result().totals;
  for (graph::TensorRole role : graph::kAllRoles) {
    const std::size_t r = exec::roleIndex(role);
    if (t.hit_bytes[r] + t.miss_bytes[r] == 0) continue;
    rates[std::string(graph::roleName(role))] =
        static_cast<double>(t.hit_bytes[r]) / static_cast<double>(t.hit_bytes[r] + t.miss_bytes[r]);
  }
  j["cache_hit_rate_by_role"] = std::move(rates);
  ordered_json energy = ordered_json::object();
  for (const EnergyPart& e : b.energy)
    energy[e.component] = e.joules;
  j["energy_by_component_j"] = std::move(energy);
  return j;
}

}  // namespace

ordered_json statsJson(const run::SystemRun& run, const run::MetricIntervals* intervals) {
  const auto& r = run.result();
  const spec::ScenarioSpec& s = run.scenario();
  const spec::ChipSpec& chip0 = run.system().chip;
  const bool staged = run.layout().stages.size() > 1;
  ordered_json j;
  j["schema_version"] = kStatsSchemaVersion;
  j["system"] = run.system().name;
  j["chip"] = run.system().chip.name;
  j["scenario"] = s.name;
  j["model"] = s.model.name;
  j["phase"] = spec::phaseName(s.phase);
  j["batch"] = s.batch;
  const run::Metrics& m = r.metrics;
  ordered_json metrics = ordered_json::object();
  for (const run::MetricDef& def : run::headlineMetrics()) {
    const std::optional<double> v = def.value(m);
    metrics[def.key] =
        v && def.integer ? ordered_json(static_cast<std::uint64_t>(*v)) : optional(v);
  }
  j["metrics"] = std::move(metrics);
  if (intervals != nullptr) {
    ordered_json by_metric = ordered_json::object();
    for (const run::MetricInterval& i : intervals->intervals) {
      by_metric[i.metric] = {
          {"low", i.low}, {"high", i.high}, {"cases", i.cases}, {"basis", i.basis}};
    }
    j["metrics_interval"] = {{"note", intervals->note}, {"intervals", std::move(by_metric)}};
  }
  ordered_json by_bound = ordered_json::object();
  for (const auto& [bound, t] : run.timeByBound())
    by_bound[bound] = t;
  j["bottleneck"] = {{"binding_resource", run.bindingResource()},
                     {"time_by_bound_s", std::move(by_bound)}};
  j["parallel"] = parallelJson(run);
  j["breakdown"] = breakdownJson(run);
  std::uint64_t simulated = 0, reused = 0, probes = 0, layers_simulated = 0, layers_replayed = 0;
  double max_error = 0;
  for (std::size_t c = 0; c < run.simulatedChips(); ++c) {
    const exec::RunResult& cr = run.chip(c).result();
    simulated += cr.steps_simulated;
    reused += cr.steps_reused;
    probes += cr.probe_steps;
    max_error = std::max(max_error, cr.max_interpolation_error);
    layers_simulated += cr.layers_simulated;
    layers_replayed += cr.layers_replayed;
  }
  j["execution"] = {
      {"style", spec::executionStyleName(run.system().chip.execution.style)},
      {"matrix_dtype", r.matrix_dtype},
      {"vector_dtype", r.vector_dtype},
      {"measured_steps", r.measured_steps},
      {"step_reuse",
       {{"scope", "over the simulated chips: one per distinct pipeline stage"},
        {"steps_simulated", simulated},
        {"steps_reused", reused},
        {"probe_steps", probes},
        {"max_interpolation_error", max_error}}},
      {"layer_reuse",
       {{"scope", "layer executions of the simulated steps, over the simulated chips"},
        {"layers_simulated", layers_simulated},
        {"layers_replayed", layers_replayed}}}};
  j["placement"] = run.chip(0).placement().decisions();
  j["totals"] = {{"scope", run.layout().chips() > 1 ? "every chip of the plan" : "the chip"},
                 {"bytes_by_level", levels(r.totals, chip0)},
                 {"cache", cacheJson(r.totals)},
                 {"matrix_busy_s", ticksToSeconds(r.totals.matrix_busy_ps)},
                 {"vector_busy_s", ticksToSeconds(r.totals.vector_busy_ps)},
                 {"weight_convert_busy_s", ticksToSeconds(r.totals.convert_busy_ps)},
                 {"weight_feed_busy_s", ticksToSeconds(r.totals.feed_busy_ps)},
                 {"pipeline_latency_s", ticksToSeconds(r.totals.pipeline_latency_ps)},
                 {"tiles", r.totals.tiles},
                 {"network_bytes", r.totals.network_bytes}};
  j["energy"] = {{"dynamic_j", r.dynamic_energy_j},
                 {"static_j", r.static_energy_j},
                 {"total_j", r.dynamic_energy_j + r.static_energy_j}};
  ordered_json ops = ordered_json::array();
  for (const exec::OpRecord& op : r.ops) {
    const double t = ticksToSeconds(op.busy);
    const double flops = static_cast<double>(op.matrix_flops + op.vector_flops);
    const std::uint64_t bytes = bytesOf(op.counters);
    ordered_json o;
    if (staged) o["stage"] = op.stage;
    o.update(ordered_json{{"graph", op.graph},
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
                          {"bytes_by_level", levels(op.counters, chip0)},
                          {"cache", cacheJson(op.counters)},
                          {"tiles", op.counters.tiles},
                          {"network_bytes", op.counters.network_bytes},
                          {"energy_j", op.counters.energy_j}});
    ops.push_back(std::move(o));
  }
  j["ops"] = std::move(ops);
  if (run.simulatedChips() == 1) {
    j["resources"] = run.chip(0).sim().stats().toJson();
  } else {
    ordered_json res = ordered_json::object();
    for (std::size_t c = 0; c < run.simulatedChips(); ++c) {
      res[fmt::format("stage{}", run.stageOfChip(c))] = run.chip(c).sim().stats().toJson();
    }
    j["resources"] = std::move(res);
  }
  j["warnings"] = r.warnings;
  return j;
}

void printRunSummary(const run::SystemRun& run, std::ostream& out,
                     const run::MetricIntervals* intervals) {
  const auto& r = run.result();
  const spec::ScenarioSpec& s = run.scenario();
  const run::Metrics& m = r.metrics;
  const map::ParallelLayout& layout = run.layout();
  out << fmt::format("run {} on {} ({} execution, matrix {}, {} measured step{})\n", s.name,
                     run.system().name, spec::executionStyleName(run.system().chip.execution.style),
                     r.matrix_dtype, r.measured_steps, r.measured_steps == 1 ? "" : "s");
  if (run.system().chipCount() > 1 || layout.chips() > 1) {
    out << fmt::format(
        "  plan {}{}: {} of {} chips, {} of memory\n", layout.describe(),
        s.parallel.automatic ? " (auto)" : "", layout.chips(), run.system().chipCount(),
        spec::formatQuantity(static_cast<double>(run.memoryBytes()), spec::Dimension::kSize));
  }
  if (layout.stages.size() > 8) {
    std::uint64_t fewest = UINT64_MAX, most = 0;
    for (const map::StageLayers& st : layout.stages) {
      fewest = std::min(fewest, st.end_layer - st.first_layer);
      most = std::max(most, st.end_layer - st.first_layer);
    }
    out << fmt::format(
        "  {} stages of {}-{} layers (the embedding on stage 0, the head on stage {}); {} chips "
        "simulated\n",
        layout.stages.size(), fewest, most, layout.stages.size() - 1, run.simulatedChips());
  } else if (layout.stages.size() > 1) {
    for (std::size_t i = 0; i < layout.stages.size(); ++i) {
      const map::StageLayers& st = layout.stages[i];
      out << fmt::format("  stage {}: layers {}-{}{}{}, chips {}-{}\n", i, st.first_layer,
                         st.end_layer, st.embedding ? " + embedding" : "", st.head ? " + head" : "",
                         layout.stageChips(i).front(), layout.stageChips(i).back());
    }
  }
  for (const std::string& d : run.chip(0).placement().decisions())
    out << "  " << d << '\n';
  out << "metrics:\n";
  // The metrics this phase defines (stats.json keeps the others as null).
  for (const run::MetricDef& def : run::headlineMetrics()) {
    if (!def.value(m)) continue;
    const run::MetricInterval* i = intervals ? intervals->find(def.key) : nullptr;
    out << fmt::format("  {:<25} {}{}\n", def.key, run::formatMetric(def, m),
                       i ? fmt::format("   [80%: {}]", run::formatInterval(def, i)) : "");
  }
  if (intervals != nullptr) out << "  (" << intervals->note << ")\n";
  out << fmt::format("binding resource: {}\n", run.bindingResource());

  const auto by_bound = run.timeByBound();
  double total = 0;
  for (const auto& [bound, t] : by_bound)
    total += t;
  out << "op time by bound:";
  for (const auto& [bound, t] : by_bound)
    out << fmt::format("  {} {:.1f}%", bound, total > 0 ? 100 * t / total : 0.0);
  out << '\n';
  out << "top ops by time:\n";
  for (const TopOp& t : topOps(run, 5)) {
    out << fmt::format("  {:<24} {:<14} {:>10} {:>8}  {:.3g} FLOP/s, {:.3g} B/s\n", t.label,
                       graph::opKindName(t.op->kind), seconds(t.time_s), t.op->bound, t.flops_per_s,
                       t.bytes_per_s);
  }
}

}  // namespace archsim::report
