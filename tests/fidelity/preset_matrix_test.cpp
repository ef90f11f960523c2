// Every preset scenario on every preset system either runs on the chips its plan names, or fails
// with a located error that says what does not fit. (Release only: the whole matrix re-runs big
// workloads, so the sanitizer pass skips it.)
#include <chrono>
#include <regex>

#include <doctest/doctest.h>

#include "sim/map/placement.h"
#include "sim/map/stage.h"
#include "sim/run/plan_search.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

/// A generation is simulated with at most this many output tokens: capacity is checked at the
/// scenario's full length first; the decode steps beyond add time, not new behavior.
constexpr std::uint64_t kOutputTokens = 8;

}  // namespace

TEST_CASE(
    "Every preset scenario on every preset system runs on its plan's chips or says what does not "
    "fit") {
  const spec::Catalog catalog = presetCatalog();
  const std::regex capacity(
      "holds|needs [0-9.]+ [kMGT]?B|needs [0-9]+ stages|has no HBM|the plan needs [0-9]+ chips|"
      "no pipeline depth",
      std::regex::extended);
  int ran = 0, refused = 0;
  for (const std::string& sys_name : catalog.presetNames(spec::DocKind::kSystem)) {
    const spec::SystemSpec system = spec::loadSystem(catalog, sys_name).spec;
    for (const std::string& sc_name : catalog.presetNames(spec::DocKind::kScenario)) {
      CAPTURE(sys_name);
      CAPTURE(sc_name);
      const spec::ScenarioSpec full = spec::loadScenario(catalog, sc_name).spec;
      // Capacity at the full length: the plan (a searched one: its candidates that fit, found
      // analytically), and every stage placed on its chip.
      try {
        std::vector<map::ParallelLayout> layouts;
        if (full.parallel.automatic) {
          const map::PlanSpace space = map::planSpace(system, full, system.chipCount());
          if (space.options.empty()) (void)run::searchPlan(system, full);  // throws: what is left
          for (const map::PlanOption& o : space.options)
            layouts.push_back(o.layout);
        } else {
          layouts.push_back(run::resolvePlan(system, full));
        }
        for (const map::ParallelLayout& layout : layouts) {
          for (const map::StageShape& shape : map::shapeRun(full, layout).shapes)
            map::place(system.chip, graph::Workload(shape.shard), shape.placement);
        }
      } catch (const ConfigError& e) {
        const std::string message = e.diagnostics().front().message;
        CAPTURE(message);
        CHECK(std::regex_search(message, capacity));
        ++refused;
        continue;
      }
      spec::ScenarioSpec s = full;
      if (s.phase == spec::Phase::kGenerate)
        s.output_tokens = std::min(s.output_tokens, kOutputTokens);
      const auto start = std::chrono::steady_clock::now();
      const run::SystemRun r(system, s);
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (wall > 5) MESSAGE(sys_name << " " << sc_name << ": " << wall << " s");
      ++ran;
      CHECK(r.metrics().chips == r.layout().chips());
      if (!full.parallel.automatic && !full.parallel.pp_auto)
        CHECK(r.layout().chips() == full.parallel.chips());
      CHECK(r.metrics().e2e_s > 0);
    }
  }
  MESSAGE(ran << " pairs ran, " << refused << " refused for capacity");
  CHECK(ran >= 100);
}
