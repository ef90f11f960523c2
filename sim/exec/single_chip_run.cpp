#include "sim/exec/single_chip_run.h"

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/exec/executor.h"

namespace archsim::exec {
namespace {
const spec::SystemSpec& oneChip(const spec::SystemSpec& system) {
  if (system.chipCount() != 1) {
    throw ConfigError(Location{"<command line>", 0, 0}, "",
                      fmt::format("system {} has {} chips; running multi-chip systems (parallel plans and "
                                  "collectives) is not implemented yet — run a single chip, e.g. '{}'",
                                  system.name, system.chipCount(), system.chip.name));
  }
  return system;
}
}  // namespace

SingleChipRun::SingleChipRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario)
    : SingleChipRun(system, std::make_unique<graph::Workload>(scenario)) {}

SingleChipRun::SingleChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload)
    : system_(oneChip(system)),
      sim_(workload->scenario().name),
      workload_(std::move(workload)),
      placement_(map::place(system.chip, *workload_)),
      chip_(std::make_unique<hw::Chip>(sim_, system.chip, sim_.stats(), "chip0")) {
  Executor executor(sim_, *chip_, *workload_, placement_);
  result_ = executor.run();
  for (const std::string& w : sim_.log().warnings()) result_.warnings.push_back(w);
}

}  // namespace archsim::exec
