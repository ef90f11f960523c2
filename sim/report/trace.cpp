#include "sim/report/trace.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace archsim::report {
namespace {

using nlohmann::ordered_json;

double us(Tick t) {
  return static_cast<double>(t) / 1e6;
}

/// Lanes for slices that may overlap: each span goes to the lowest lane free at its start.
std::vector<std::size_t> assignLanes(const std::vector<const exec::OpSpan*>& spans) {
  std::vector<Tick> lane_end;
  std::vector<std::size_t> lane(spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    std::size_t l = 0;
    while (l < lane_end.size() && lane_end[l] > spans[i]->start)
      ++l;
    if (l == lane_end.size()) lane_end.push_back(0);
    lane_end[l] = spans[i]->end;
    lane[i] = l;
  }
  return lane;
}

}  // namespace

std::string traceJson(const run::SystemRun& run, const Breakdown& breakdown,
                      std::size_t max_slices) {
  ordered_json events = ordered_json::array();
  std::size_t written = 0, total = 0;
  double cutoff_us = -1;
  for (std::size_t c = 0; c < run.simulatedChips(); ++c)
    total += run.chip(c).result().spans.size();
  const std::size_t per_chip = run.simulatedChips() == 0 ? 0 : max_slices / run.simulatedChips();

  for (std::size_t c = 0; c < run.simulatedChips(); ++c) {
    const exec::ChipRun& chip = run.chip(c);
    const exec::RunResult& r = chip.result();
    const ChipUse& use = breakdown.chips.at(c);
    const int pid = static_cast<int>(c) + 1;
    const std::string pname =
        run.simulatedChips() > 1 || run.layout().chips() > 1
            ? fmt::format("stage {}: {} ({})", use.stage, use.name, run.system().chip.name)
            : fmt::format("{} ({})", use.name, run.system().chip.name);
    events.push_back(
        {{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"args", {{"name", pname}}}});
    events.push_back({{"ph", "M"},
                      {"name", "process_sort_index"},
                      {"pid", pid},
                      {"args", {{"sort_index", pid}}}});

    // Op slices by unit kind, earliest first, within this chip's share of the slice budget.
    std::vector<const exec::OpSpan*> spans;
    for (const exec::OpSpan& s : r.spans)
      spans.push_back(&s);
    std::stable_sort(spans.begin(), spans.end(),
                     [](auto* a, auto* b) { return a->start < b->start; });
    if (spans.size() > per_chip) {
      cutoff_us = std::max(cutoff_us, us(spans[per_chip]->start - use.window_start));
      spans.resize(per_chip);
    }
    const char* kGroups[] = {"matrix ops", "vector ops", "collectives"};
    int next_tid = 1;
    for (int g = 0; g < 3; ++g) {
      std::vector<const exec::OpSpan*> mine;
      for (const exec::OpSpan* s : spans) {
        const exec::OpRecord& op = r.ops[s->op];
        const int group = op.kind == graph::OpKind::kCollective ? 2 : (op.matrix ? 0 : 1);
        if (group == g) mine.push_back(s);
      }
      if (mine.empty()) continue;
      const std::vector<std::size_t> lanes = assignLanes(mine);
      const std::size_t lane_count = *std::max_element(lanes.begin(), lanes.end()) + 1;
      for (std::size_t l = 0; l < lane_count; ++l) {
        const std::string name = l == 0 ? kGroups[g] : fmt::format("{} ({})", kGroups[g], l + 1);
        events.push_back({{"ph", "M"},
                          {"name", "thread_name"},
                          {"pid", pid},
                          {"tid", next_tid + static_cast<int>(l)},
                          {"args", {{"name", name}}}});
        events.push_back({{"ph", "M"},
                          {"name", "thread_sort_index"},
                          {"pid", pid},
                          {"tid", next_tid + static_cast<int>(l)},
                          {"args", {{"sort_index", next_tid + static_cast<int>(l)}}}});
      }
      for (std::size_t i = 0; i < mine.size(); ++i) {
        const exec::OpSpan& s = *mine[i];
        const exec::OpRecord& op = r.ops[s.op];
        const double n = static_cast<double>(std::max<std::uint64_t>(1, op.executions));
        std::uint64_t bytes = 0;
        for (const auto& lv : op.counters.level)
          bytes += lv.read + lv.written;
        ordered_json args = {{"kind", graph::opKindName(op.kind)},
                             {"graph", op.graph},
                             {"layer", op.layer},
                             {"bound", op.bound},
                             {"flops", static_cast<double>(op.matrix_flops + op.vector_flops) / n},
                             {"bytes", static_cast<double>(bytes) / n},
                             {"network_bytes", static_cast<double>(op.counters.network_bytes) / n},
                             {"energy_j", op.counters.energy_j / n}};
        // Not simulated tile by tile: a layer replayed from its template or a decode step
        // interpolated from probed ones (exec/layer_reuse.h, exec/step_reuse.h).
        if (s.reused) args["reused"] = true;
        events.push_back({{"name", op.name},
                          {"cat", graph::opKindName(op.kind)},
                          {"ph", "X"},
                          {"pid", pid},
                          {"tid", next_tid + static_cast<int>(lanes[i])},
                          {"ts", us(s.start - use.window_start)},
                          {"dur", us(s.end - s.start)},
                          {"args", std::move(args)}});
        ++written;
      }
      next_tid += static_cast<int>(lane_count);
    }

    // Counter tracks: what each of the chip's resources had in use, per time bin.
    for (const ResourceUse& res : use.resources) {
      if (!res.own) continue;
      const Activity& a = *res.activity;
      const bool compute = res.group == "compute";
      const std::string name = compute ? res.name + " busy (%)"
                                       : fmt::format("{}{} bandwidth (GB/s)",
                                                     res.group == "link" ? "link " : "", res.name);
      const std::string key = compute ? "%" : "GB/s";
      const double per_bin = static_cast<double>(a.binTicks()) * a.capacity();
      auto counter = [&](Tick t, double v) {
        events.push_back(
            {{"name", name}, {"ph", "C"}, {"pid", pid}, {"ts", us(t)}, {"args", {{key, v}}}});
      };
      counter(0, 0.0);
      for (std::size_t b = 0; b < a.bins().size(); ++b) {
        const Tick t0 = a.origin() + b * a.binTicks();
        if (t0 < use.window_start || t0 >= use.window_end) continue;
        const double u = static_cast<double>(a.bins()[b]) / per_bin;
        counter(t0 - use.window_start, compute ? 100.0 * u : u * res.capacity / 1e9);
      }
      counter(use.window_end - use.window_start, 0.0);
    }
  }

  ordered_json other = {{"generator", "archsim"},
                        {"system", run.system().name},
                        {"scenario", run.scenario().name},
                        {"plan", run.layout().describe()},
                        {"time_unit", "microseconds from the start of each chip's measured window"},
                        {"slices", written},
                        {"op_executions", total}};
  if (written < total) {
    other["truncated"] = fmt::format(
        "{} of {} op executions written (the earliest, up to {:.3f} us); counter tracks cover the "
        "whole window",
        written, total, cutoff_us);
  }
  ordered_json j;
  j["displayTimeUnit"] = "ns";
  j["otherData"] = std::move(other);
  j["traceEvents"] = std::move(events);
  return j.dump() + "\n";
}

}  // namespace archsim::report
