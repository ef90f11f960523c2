#include "sim/report/breakdown.h"

#include <algorithm>
#include <map>

#include "sim/map/parallel.h"
#include "sim/map/placement.h"

namespace archsim::report {

std::string roleColumnName(std::size_t role) {
  if (role >= exec::kRoles) return "writeback";
  return std::string(graph::roleName(graph::kAllRoles[role]));
}

double opIntensity(const exec::OpRecord& op, const spec::ChipSpec& chip, std::string* level) {
  const double flops = static_cast<double>(op.matrix_flops + op.vector_flops);
  const std::optional<std::size_t> main = map::modelLevel(chip);
  auto bytesAt = [&](std::size_t i) {
    return i < op.counters.level.size() ? op.counters.level[i].read + op.counters.level[i].written
                                        : 0;
  };
  std::optional<std::size_t> use;
  if (main && bytesAt(*main) > 0) {
    use = main;
  } else {
    for (std::size_t i = chip.memory.size(); i-- > 0;) {
      if (bytesAt(i) > 0) {
        use = i;
        break;
      }
    }
  }
  if (!use) return 0.0;
  if (level != nullptr) *level = chip.memory[*use].name;
  return flops / static_cast<double>(bytesAt(*use));
}

std::vector<TopOp> topOps(const run::SystemRun& run, std::size_t n) {
  std::vector<const exec::OpRecord*> ops;
  for (const exec::OpRecord& op : run.result().ops)
    ops.push_back(&op);
  std::stable_sort(ops.begin(), ops.end(), [](auto* a, auto* b) { return a->busy > b->busy; });
  std::vector<TopOp> out;
  for (std::size_t i = 0; i < std::min(n, ops.size()); ++i) {
    const exec::OpRecord& op = *ops[i];
    const double t = ticksToSeconds(op.busy);
    std::uint64_t bytes = op.counters.network_bytes;
    for (const auto& l : op.counters.level)
      bytes += l.read + l.written;
    out.push_back(
        {&op,
         (run.layout().stages.size() > 1 ? "s" + std::to_string(op.stage) + ":" : std::string()) +
             op.graph + ":" + op.name,
         t, t > 0 ? static_cast<double>(op.matrix_flops + op.vector_flops) / t : 0.0,
         t > 0 ? static_cast<double>(bytes) / t : 0.0});
  }
  return out;
}

Breakdown breakdown(const run::SystemRun& run) {
  Breakdown b;
  std::map<std::string, double> by_kind;
  for (std::size_t s = 0; s < run.layout().stages.size(); ++s) {
    for (const exec::OpRecord& op : run.chip(run.chipOfStage(s)).result().ops) {
      by_kind[std::string(graph::opKindName(op.kind))] += ticksToSeconds(op.busy);
    }
  }
  b.time_by_kind_s.assign(by_kind.begin(), by_kind.end());
  b.time_by_bound_s = run.timeByBound();

  for (std::size_t c = 0; c < run.simulatedChips(); ++c) {
    const exec::ChipRun& chip = run.chip(c);
    ChipUse use;
    use.chip = c;
    use.stage = run.stageOfChip(c);
    use.name = chip.group().empty() ? "chip0" : "chip" + std::to_string(chip.group().front());
    use.window_start = chip.result().measured_start;
    use.window_end = chip.result().measured_end;
    const double window = use.windowSeconds();
    for (const exec::ResourceTrack& t : chip.tracks()) {
      ResourceUse r{t.group, t.name, t.unit, t.capacity, t.bytes, 0.0, 0.0, t.own, t.activity};
      r.busy_s = ticksToSeconds(t.activity->total()) / static_cast<double>(t.activity->capacity());
      r.utilization = window > 0 ? r.busy_s / window : 0.0;
      use.resources.push_back(std::move(r));
    }
    b.chips.push_back(std::move(use));
  }

  const auto& r = run.result();
  const spec::ChipSpec& spec = run.system().chip;
  double levels_j = 0;
  std::vector<EnergyPart> memory;
  for (std::size_t i = 0; i < r.totals.level.size(); ++i) {
    const exec::LevelTraffic& t = r.totals.level[i];
    b.bytes_by_level_role.emplace_back(spec.memory.at(i).name, t.by_role);
    const double j = static_cast<double>(t.read + t.written) * spec.memory[i].energy_j_per_byte;
    levels_j += j;
    memory.push_back({"memory " + spec.memory[i].name, j});
  }
  b.energy.push_back({"compute", r.totals.compute_energy_j});
  b.energy.insert(b.energy.end(), memory.begin(), memory.end());
  b.energy.push_back({"links (collectives)", r.totals.network_energy_j});
  // What is left of the dynamic energy: activations and tokens between pipeline stages.
  const double between =
      r.dynamic_energy_j - r.totals.compute_energy_j - levels_j - r.totals.network_energy_j;
  if (run.layout().stages.size() > 1)
    b.energy.push_back({"links (between stages)", std::max(0.0, between)});
  b.energy.push_back({"static", r.static_energy_j});
  return b;
}

}  // namespace archsim::report
