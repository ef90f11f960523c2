// Property: over every chip preset x {prefill, decode} x small models, no op finishes sooner than
// its roofline bound — its FLOPs at the peak of the format it computes in, and its bytes at the
// peak bandwidth of each level it touched — and no run is shorter than its critical path: the
// longest dependency path of the ops' compute bounds (weight traffic may legitimately be prefetched
// off the path), nor than any memory level's total traffic at its peak bandwidth.
#include <map>

#include <doctest/doctest.h>

#include "sim/exec/chip_run.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;

namespace {

double computeBound(const exec::OpRecord& op, const spec::ChipSpec& chip,
                    spec::DType matrix_dtype) {
  double fastest_vector = 0;
  for (const auto& [t, peak] : chip.vector.peak_ops_per_s)
    fastest_vector = std::max(fastest_vector, peak);
  return std::max(
             static_cast<double>(op.matrix_flops) / chip.matrix.peak(matrix_dtype).value_or(1e30),
             static_cast<double>(op.vector_flops) / fastest_vector) /
         static_cast<double>(op.executions);
}

double opBound(const exec::OpRecord& op, const spec::ChipSpec& chip, spec::DType matrix_dtype) {
  double bound = computeBound(op, chip, matrix_dtype) * static_cast<double>(op.executions);
  for (std::size_t i = 0; i < op.counters.level.size(); ++i) {
    const double bytes =
        static_cast<double>(op.counters.level[i].read + op.counters.level[i].written);
    bound = std::max(bound, bytes / chip.memory[i].bandwidth_bytes_per_s);
  }
  return bound / static_cast<double>(op.executions);  // per execution
}

}  // namespace

TEST_CASE(
    "No op beats its roofline bound and no run beats its critical path, on every chip preset") {
  const spec::Catalog catalog = test::presetCatalog();
  int runs = 0;
  for (const std::string& chip : catalog.presetNames(spec::DocKind::kChip)) {
    const spec::LoadedSystem sys = spec::loadSystem(catalog, chip);
    for (const char* model : {"tiny-llama", "gpt2"}) {
      for (const char* scenario : {"tiny-llama-decode", "tiny-llama-prefill"}) {
        CAPTURE(chip);
        CAPTURE(std::string(model));
        CAPTURE(std::string(scenario));
        const spec::ScenarioSpec s =
            spec::loadScenario(catalog, scenario,
                               {std::string("model=") + model, "dtypes.compute=bf16"})
                .spec;
        std::unique_ptr<exec::ChipRun> run;
        try {
          run = std::make_unique<exec::ChipRun>(sys.spec, map::oneChipStage(s));
        } catch (const ConfigError& e) {
          // A model that does not fit, or formats the chip lacks: not a run to check.
          MESSAGE("skipped: " << std::string(e.what()));
          continue;
        }
        ++runs;
        const exec::RunResult& r = run->result();
        const spec::DType dtype = *spec::parseDType(r.matrix_dtype);
        // Per op, and the longest path through the graph of per-op bounds.
        const graph::Graph& g = *run->workload().runs().back().graph;
        std::map<std::string, double> bound_of;
        std::vector<double> level_bytes(sys.spec.chip.memory.size(), 0.0);
        for (const exec::OpRecord& op : r.ops) {
          const double bound = opBound(op, sys.spec.chip, dtype);
          const double took = ticksToSeconds(op.busy) / static_cast<double>(op.executions);
          CAPTURE(op.name);
          CHECK(took >= bound * (1 - 1e-9));
          bound_of[op.name] = computeBound(op, sys.spec.chip, dtype);
          for (std::size_t i = 0; i < level_bytes.size(); ++i) {
            level_bytes[i] +=
                static_cast<double>(op.counters.level[i].read + op.counters.level[i].written);
          }
        }
        for (std::size_t i = 0; i < level_bytes.size(); ++i) {
          CHECK(run->windowSeconds() >=
                level_bytes[i] / sys.spec.chip.memory[i].bandwidth_bytes_per_s * (1 - 1e-9));
        }
        std::vector<double> finish(g.ops().size(), 0.0);
        double critical = 0;
        for (graph::OpId id : g.topologicalOrder()) {
          double start = 0;
          for (auto [it, end] = boost::in_edges(id, g.dag()); it != end; ++it) {
            start = std::max(start, finish[boost::source(*it, g.dag())]);
          }
          finish[id] = start + bound_of[g.op(id).name];
          critical = std::max(critical, finish[id]);
        }
        CHECK(run->windowSeconds() >=
              critical * static_cast<double>(r.measured_steps) * (1 - 1e-9));
      }
    }
  }
  CHECK(runs >= 30);
}

TEST_CASE(
    "No op of a multi-chip run beats its roofline or its link bound, on every system preset") {
  // GPT-2 (12 heads) at tp 4 x pp 2 on every system: each simulated chip's ops against its chip's
  // roofline, and each collective against the chip's link capacity: every byte it is charged
  // crossed one of its outgoing or incoming links (in-switch reduction counts the way up and the
  // way down).
  const spec::Catalog catalog = test::presetCatalog();
  int checked = 0;
  for (const std::string& name : catalog.presetNames(spec::DocKind::kSystem)) {
    CAPTURE(name);
    const spec::LoadedSystem sys = spec::loadSystem(catalog, name);
    const std::uint64_t pp = sys.spec.chipCount() >= 8 ? 2 : 1;
    const spec::ScenarioSpec s =
        spec::loadScenario(catalog, "gpt2-decode",
                           {"parallel.tp=4", "parallel.pp=" + std::to_string(pp)})
            .spec;
    const run::SystemRun run(sys.spec, s);
    Simulation probe;
    hw::Topology topo(probe, sys.spec, probe.stats());
    double inject = 0.0;
    for (const hw::Topology::Link& l : topo.links()) {
      if (l.from == 0) inject += static_cast<double>(l.bytes_per_s);
    }
    const spec::DType dtype = *spec::parseDType(run.result().matrix_dtype);
    for (std::size_t c = 0; c < run.simulatedChips(); ++c) {
      for (const exec::OpRecord& op : run.chip(c).result().ops) {
        CAPTURE(op.name);
        const double took = ticksToSeconds(op.busy) / static_cast<double>(op.executions);
        CHECK(took >= opBound(op, sys.spec.chip, dtype) * (1 - 1e-9));
        if (op.kind == graph::OpKind::kCollective) {
          CHECK(took >= static_cast<double>(op.counters.network_bytes) /
                            static_cast<double>(op.executions) / (2 * inject) * (1 - 1e-9));
        }
        ++checked;
      }
    }
  }
  CHECK(checked > 500);
}
