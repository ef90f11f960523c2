#include "sim/exec/system_run.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/graph/builder.h"
#include "sim/spec/units.h"

namespace archsim::exec {
namespace {

constexpr std::size_t kDecodeRounds =
    3;  // decode: rounds of the step; the last interval is steady state
constexpr std::uint64_t kTokenIdBytes = 4;

/// How many stages differ (by layer count and embedding/head): the chips a run simulates.
std::size_t distinctStages(const map::ParallelLayout& layout) {
  std::set<std::tuple<std::uint64_t, bool, bool>> distinct;
  for (const map::StageLayers& st : layout.stages)
    distinct.emplace(st.end_layer - st.first_layer, st.embedding, st.head);
  return distinct.size();
}

}  // namespace

SystemRun::SystemRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                     ProgressSink* progress)
    : system_(system), scenario_(scenario), layout_(map::layoutFor(scenario, system)) {
  const spec::ScenarioSpec rank = map::rankScenario(scenario_, layout_);
  const bool multi = layout_.chips() > 1;
  std::map<std::tuple<std::uint64_t, bool, bool>, std::size_t> distinct;
  for (std::size_t s = 0; s < layout_.stages.size(); ++s) {
    const map::StageLayers& st = layout_.stages[s];
    const auto key = std::make_tuple(st.end_layer - st.first_layer, st.embedding, st.head);
    if (const auto it = distinct.find(key); it != distinct.end()) {
      stage_chip_.push_back(it->second);
      continue;
    }
    auto workload = std::make_unique<graph::Workload>(rank, map::stageShard(scenario_, layout_, s));
    std::vector<std::uint32_t> group;
    if (layout_.plan.tp > 1) group = layout_.stageChips(s);
    try {
      chips_.push_back(std::make_unique<ChipRun>(system_, std::move(workload), std::move(group),
                                                 progress, chips_.size(), distinctStages(layout_)));
    } catch (const ConfigError& e) {
      if (!multi && system_.chipCount() == 1) throw;
      const std::string where = layout_.stages.size() > 1
                                    ? fmt::format("stage {} (layers {}-{}) of plan {}", s,
                                                  st.first_layer, st.end_layer, layout_.describe())
                                    : fmt::format("plan {}", layout_.describe());
      throw ConfigError(
          layout_.plan.location, "parallel",
          fmt::format(
              "{}: {} ('parallel: auto' or 'archsim fit' finds the smallest plan that fits)", where,
              e.diagnostics().front().message));
    }
    distinct.emplace(key, chips_.size() - 1);
    stage_chip_.push_back(chips_.size() - 1);
    chip_stage_.push_back(s);
  }
  if (!multi) {
    result_ = chips_.front()->result();
    return;
  }
  compose();
}

void SystemRun::compose() {
  const spec::ParallelPlan& plan = layout_.plan;
  const std::size_t pp = layout_.stages.size();
  const std::uint64_t m = plan.microbatches, tp = plan.tp, dp = plan.dp;
  const bool decode_only = scenario_.phase == spec::Phase::kDecode;
  const std::size_t rounds = decode_only ? kDecodeRounds : 1;

  // What one rank sends to the next stage per microbatch, at each step.
  std::vector<std::uint64_t> boundary;
  for (const graph::Run& run : chip(0).workload().runs()) {
    std::uint64_t rows = layout_.micro_batch *
                         (run.phase == graph::GraphPhase::kPrefill ? scenario_.prompt_tokens : 1);
    if (plan.sequence_parallel && tp > 1) rows = graph::sequenceShare(rows, tp);
    for (std::uint64_t k = 0; k < run.steps(); ++k) {
      boundary.push_back(scenario_.dtypes.activations.bytes(rows * scenario_.model.hidden));
    }
  }
  PipelineInput in;
  in.microbatches = static_cast<std::uint32_t>(m);
  in.token_bytes = layout_.micro_batch * kTokenIdBytes;
  for (std::size_t r = 0; r < rounds; ++r)
    in.boundary_bytes.insert(in.boundary_bytes.end(), boundary.begin(), boundary.end());
  for (std::size_t s = 0; s < pp; ++s) {
    const std::vector<Tick>& steps = chip(stage_chip_[s]).result().step_ticks;
    if (steps.size() != boundary.size())
      ARCHSIM_PANIC("a stage measured a different number of steps");
    std::vector<Tick> all;
    for (std::size_t r = 0; r < rounds; ++r)
      all.insert(all.end(), steps.begin(), steps.end());
    in.stage_steps.push_back(std::move(all));
    in.stage_chips.push_back(layout_.stageChips(s));
  }
  pipeline_ = runPipeline(system_, in);
  const PipelineResult& p = *pipeline_;

  RunResult& out = result_;
  const RunResult& first = chip(0).result();
  out.matrix_dtype = first.matrix_dtype;
  out.vector_dtype = first.vector_dtype;
  out.totals = OpCounters(first.totals.level.size());
  double dynamic = 0.0;
  for (std::size_t s = 0; s < pp; ++s) {
    const RunResult& r = chip(stage_chip_[s]).result();
    out.totals.add(r.totals, tp * m * dp);
    dynamic += r.dynamic_energy_j * static_cast<double>(tp * m * dp);
  }
  for (std::size_t c = 0; c < chips_.size(); ++c) {
    for (OpRecord op : chip(c).result().ops) {
      op.stage = chip_stage_[c];
      out.ops.push_back(std::move(op));
    }
    for (const std::string& w : chip(c).result().warnings) {
      if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end())
        out.warnings.push_back(w);
    }
  }

  // Times.
  const std::uint64_t steps = boundary.size();
  Tick e2e = p.end;
  std::optional<Tick> ttft;
  if (decode_only) {
    e2e = p.finish[rounds - 1][0] - p.finish[rounds - 2][0];
  } else if (scenario_.phase == spec::Phase::kGenerate) {
    ttft = *std::max_element(p.finish[0].begin(), p.finish[0].end());
  }
  out.measured_start = 0;
  out.measured_end = e2e;
  out.measured_steps = steps;
  const double seconds = ticksToSeconds(e2e);
  const std::uint64_t chips = layout_.chips();
  out.dynamic_energy_j =
      dynamic + p.p2p_energy_j / static_cast<double>(rounds) * static_cast<double>(dp);
  out.static_energy_j = system_.chip.power.static_w * static_cast<double>(chips) * seconds;
  const double energy = out.dynamic_energy_j + out.static_energy_j;

  out.metrics = phaseMetrics(scenario_, chip(0).workload().outputTokensPerSequence(), seconds,
                             ticksToSeconds(ttft.value_or(0)), energy, chips);
  const Metrics& mt = out.metrics;
  const double per_chip_w = mt.avg_power_w / static_cast<double>(chips);
  if (per_chip_w > system_.chip.power.tdp_w) {
    out.warnings.push_back(
        fmt::format("average power per chip {} exceeds {}'s TDP of {}",
                    spec::formatQuantity(per_chip_w, spec::Dimension::kPower), system_.chip.name,
                    spec::formatQuantity(system_.chip.power.tdp_w, spec::Dimension::kPower)));
  }
}

std::vector<std::pair<std::string, double>> SystemRun::timeByBound() const {
  std::map<std::string, double> by;
  for (std::size_t s = 0; s < stage_chip_.size(); ++s) {
    for (const OpRecord& op : chip(stage_chip_[s]).result().ops)
      by[op.bound] += ticksToSeconds(op.busy);
  }
  return {by.begin(), by.end()};
}

std::string SystemRun::bindingResource() const {
  std::string best;
  double most = -1.0;
  for (const auto& [bound, t] : timeByBound()) {
    if (t > most) {
      most = t;
      best = bound;
    }
  }
  return best;
}

std::uint64_t SystemRun::memoryBytes() const {
  const spec::ChipSpec& c = system_.chip;
  std::uint64_t per_chip = 0;
  const auto sram = map::persistentSram(c);
  for (std::size_t i = 0; i < c.memory.size(); ++i) {
    if (&c.memory[i] == c.mainMemory() || (sram && *sram == i)) per_chip += c.memory[i].size_bytes;
  }
  return per_chip * layout_.chips();
}

}  // namespace archsim::exec
