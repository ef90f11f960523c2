#include "sim/run/system_run.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/map/placement.h"
#include "sim/run/plan_search.h"
#include "sim/spec/units.h"

namespace archsim::run {
namespace {

constexpr std::size_t kDecodeRounds = 3;  // decode: rounds of the step; the last is steady state

}  // namespace

SystemRun::SystemRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                     exec::ProgressSink* progress, const RunOptions& options)
    : system_(system), scenario_(scenario) {
  PlanRun plan = planRun(system, scenario, progress, options);
  if (plan.simulated) {
    s_ = plan.simulated->release();  // the search already simulated this very run
    return;
  }
  s_.shape = map::shapeRun(scenario, plan.layout);
  simulate(progress, options);
  compose();
}

SystemRun::SystemRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                     const map::ParallelLayout& layout, exec::ProgressSink* progress,
                     const RunOptions& options)
    : system_(system), scenario_(scenario) {
  s_.shape = map::shapeRun(scenario, layout);
  simulate(progress, options);
  compose();
}

void SystemRun::simulate(exec::ProgressSink* progress, const RunOptions& options) {
  const map::ParallelLayout& layout = s_.shape.layout;
  for (const map::StageShape& shape : s_.shape.shapes) {
    try {
      s_.chips.push_back(std::make_unique<exec::ChipRun>(system_, shape, progress, s_.chips.size(),
                                                         s_.shape.shapes.size(), options.exact,
                                                         options.timed_warmup));
    } catch (const ConfigError& e) {
      if (layout.chips() == 1 && system_.chipCount() == 1) throw;
      const map::StageLayers& st = shape.layers;
      const std::string where =
          layout.stages.size() > 1
              ? fmt::format("stage {} (layers {}-{}) of plan {}", shape.stages.front(),
                            st.first_layer, st.end_layer, layout.describe())
              : fmt::format("plan {}", layout.describe());
      throw ConfigError(
          layout.plan.location, "parallel",
          fmt::format("{}: {} ('parallel: auto' or 'archsim fit' finds a plan that fits)", where,
                      e.diagnostics().front().message));
    }
  }
}

void SystemRun::compose() {
  const map::ParallelLayout& layout = s_.shape.layout;
  const spec::ParallelPlan& plan = layout.plan;
  const std::size_t pp = layout.stages.size();
  const std::uint64_t m = plan.microbatches, tp = plan.tp, dp = plan.dp;
  const bool decode_only = scenario_.phase == spec::Phase::kDecode;
  const std::size_t rounds = decode_only ? kDecodeRounds : 1;

  // Per step of every stage: its time and the bytes it hands the next stage.
  exec::PipelineInput in;
  in.microbatches = static_cast<std::uint32_t>(m);
  in.token_bytes = s_.shape.token_bytes;
  in.host_step = hostStepTicks();
  for (std::size_t s = 0; s < pp; ++s) {
    const map::StageShape& shape = s_.shape.ofStage(s);
    const exec::ChipRun& chip = *s_.chips[chipOfStage(s)];
    const std::vector<Tick>& steps = chip.result().step_ticks;
    std::vector<Tick> all;
    for (std::size_t r = 0; r < rounds; ++r)
      all.insert(all.end(), steps.begin(), steps.end());
    in.stage_steps.push_back(std::move(all));
    in.stage_chips.push_back(layout.stageChips(s));
    if (s == 0) {
      for (std::size_t r = 0; r < rounds; ++r) {
        for (const graph::Run& run : chip.workload().runs()) {
          for (std::uint64_t k = 0; k < run.steps(); ++k)
            in.boundary_bytes.push_back(shape.boundaryBytes(run.phase));
        }
      }
    }
    if (in.stage_steps.back().size() != in.boundary_bytes.size()) {
      ARCHSIM_PANIC("stage " + std::to_string(s) + " measured a different number of steps");
    }
  }
  try {
    s_.pipeline = exec::runPipeline(system_, in);
  } catch (const TimeOverflow&) {
    Tick longest = 0;
    for (const auto& steps : in.stage_steps)
      for (Tick t : steps)
        longest = std::max(longest, t);
    throw ConfigError(
        Location{"scenario '" + scenario_.name + "'", 0, 0}, "software",
        fmt::format("the run's simulated time passes 2^64 ps (about 213 days): {} steps of up to "
                    "{} s on the device plus {} s of host time per step (software '{}')",
                    in.boundary_bytes.size(), ticksToSeconds(longest), ticksToSeconds(in.host_step),
                    scenario_.software.name));
  }
  const exec::PipelineResult& p = s_.pipeline;

  Result& out = s_.result;
  const exec::RunResult& first = s_.chips.front()->result();
  out.matrix_dtype = first.matrix_dtype;
  out.vector_dtype = first.vector_dtype;
  out.measured_steps = first.measured_steps;
  out.totals = exec::OpCounters(first.totals.level.size());
  double dynamic = 0.0;
  for (std::size_t s = 0; s < pp; ++s) {
    const exec::RunResult& r = s_.chips[chipOfStage(s)]->result();
    out.totals.add(r.totals, tp * m * dp);
    dynamic += r.dynamic_energy_j * static_cast<double>(tp * m * dp);
  }
  for (std::size_t c = 0; c < s_.chips.size(); ++c) {
    const exec::RunResult& r = s_.chips[c]->result();
    for (exec::OpRecord op : r.ops) {
      op.stage = stageOfChip(c);
      op.first_start -= r.measured_start;
      op.last_end -= r.measured_start;
      out.ops.push_back(std::move(op));
    }
    for (const std::string& w : r.warnings) {
      if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end())
        out.warnings.push_back(w);
    }
  }

  // The timeline.
  Timeline t;
  Tick e2e = p.end;
  if (decode_only) {
    e2e = p.finish[rounds - 1][0] - p.finish[rounds - 2][0];
  } else if (scenario_.phase == spec::Phase::kGenerate) {
    t.ttft_s = ticksToSeconds(*std::max_element(p.finish[0].begin(), p.finish[0].end()));
  }
  out.measured_start = 0;
  out.measured_end = e2e;
  t.e2e_s = ticksToSeconds(e2e);
  t.chips = layout.chips();
  out.dynamic_energy_j =
      dynamic + p.p2p_energy_j / static_cast<double>(rounds) * static_cast<double>(dp);
  out.static_energy_j = system_.chip.power.static_w * static_cast<double>(t.chips) * t.e2e_s;
  t.energy_j = out.dynamic_energy_j + out.static_energy_j;
  t.tokens_per_sequence = s_.chips.front()->workload().outputTokensPerSequence();
  t.memory_bytes = memoryBytes();
  t.matrix_utilization = s_.chips.front()->matrixUtilization();
  out.metrics = computeMetrics(scenario_, t);

  const double per_chip_w = out.metrics.avg_power_w / static_cast<double>(t.chips);
  if (per_chip_w > system_.chip.power.tdp_w) {
    out.warnings.push_back(
        fmt::format("average power per chip {} exceeds {}'s TDP of {}",
                    spec::formatQuantity(per_chip_w, spec::Dimension::kPower), system_.chip.name,
                    spec::formatQuantity(system_.chip.power.tdp_w, spec::Dimension::kPower)));
  }
}

Tick SystemRun::hostStepTicks() const {
  const spec::SoftwareSpec& sw = scenario_.software;
  const std::uint64_t sequences = s_.chips.front()->workload().shard().sequences;
  return addTicks(sw.step_overhead_ps, saturatingMul(sw.step_overhead_per_sequence_ps, sequences));
}

std::map<std::string, double> SystemRun::opTimeByBound() const {
  std::map<std::string, double> by;
  for (std::size_t s = 0; s < layout().stages.size(); ++s) {
    for (const exec::OpRecord& op : chip(chipOfStage(s)).result().ops)
      by[op.bound] += ticksToSeconds(op.busy);
  }
  return by;
}

std::vector<std::pair<std::string, double>> SystemRun::timeByBound() const {
  std::map<std::string, double> by = opTimeByBound();
  // The gaps before each op execution (kernel launch, and the wait for the host's dispatch when
  // it is behind): their own bound.
  for (std::size_t s = 0; s < layout().stages.size(); ++s) {
    for (const exec::OpRecord& op : chip(chipOfStage(s)).result().ops) {
      if (op.gap > 0) by["launch"] += ticksToSeconds(op.gap);
    }
  }
  // The software stack's host time per step (one microbatch's passes).
  const Tick host = hostStepTicks();
  if (host > 0) {
    by["overhead"] +=
        ticksToSeconds(host) * static_cast<double>(chip(chipOfStage(0)).result().step_ticks.size());
  }
  return {by.begin(), by.end()};
}

std::string SystemRun::bindingResource() const {
  std::string best;
  double most = -1.0;
  for (const auto& [bound, t] : opTimeByBound()) {  // the gaps are not resources
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
  const auto main = c.mainMemoryIndex();
  const auto sram = map::persistentSram(c);
  for (std::size_t i = 0; i < c.memory.size(); ++i) {
    if (main == i || sram == i) per_chip += c.memory[i].size_bytes;
  }
  return per_chip * layout().chips();
}

}  // namespace archsim::run
