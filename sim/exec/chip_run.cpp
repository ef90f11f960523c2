#include "sim/exec/chip_run.h"

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/exec/executor.h"

namespace archsim::exec {
namespace {
const spec::SystemSpec& oneChip(const spec::SystemSpec& system) {
  if (system.chipCount() != 1) {
    ARCHSIM_PANIC(fmt::format("a one-chip run on system {} of {} chips (multi-chip runs go through SystemRun)",
                              system.name, system.chipCount()));
  }
  return system;
}
}  // namespace

ChipRun::ChipRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario)
    : ChipRun(oneChip(system), std::make_unique<graph::Workload>(scenario)) {}

ChipRun::ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
                 std::vector<std::uint32_t> group)
    : system_(system),
      sim_(workload->scenario().name),
      workload_(std::move(workload)),
      placement_(map::place(system.chip, *workload_)),
      chip_(std::make_unique<hw::Chip>(sim_, system.chip, sim_.stats(),
                                       group.empty() ? std::string("chip0") : fmt::format("chip{}", group.front()))),
      group_(std::move(group)) {
  Executor executor(sim_, *chip_, *workload_, placement_);
  if (group_.size() > 1) {
    topology_ = std::make_unique<hw::Topology>(sim_, system, sim_.stats());
    collectives_ = std::make_unique<CollectiveEngine>(sim_, *topology_, system.collectives);
    executor.setCollectives(*collectives_, group_);
  }
  result_ = executor.run();
  for (const std::string& w : sim_.log().warnings()) result_.warnings.push_back(w);
}

}  // namespace archsim::exec
