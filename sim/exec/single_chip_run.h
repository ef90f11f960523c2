// SingleChipRun: one scenario on a one-chip system — workload graphs, placement, the chip model on a
// fresh Simulation, and the executed result, kept alive together for reporting.
#pragma once

#include <memory>

#include "sim/core/simulation.h"
#include "sim/exec/run_result.h"
#include "sim/graph/workload.h"
#include "sim/hw/chip.h"
#include "sim/map/placement.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {

class SingleChipRun {
 public:
  /// Builds and runs. Throws ConfigError when the system has more than one chip, the model does not
  /// fit, or the chip cannot compute in the scenario's formats.
  SingleChipRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario);
  /// Same, for a workload built by the caller (a microbenchmark graph, say).
  SingleChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload);

  const spec::SystemSpec& system() const { return system_; }
  const graph::Workload& workload() const { return *workload_; }
  const map::Placement& placement() const { return placement_; }
  hw::Chip& chip() { return *chip_; }
  Simulation& sim() { return sim_; }
  const RunResult& result() const { return result_; }

 private:
  const spec::SystemSpec& system_;
  Simulation sim_;
  std::unique_ptr<graph::Workload> workload_;
  map::Placement placement_;
  std::unique_ptr<hw::Chip> chip_;
  RunResult result_;
};

}  // namespace archsim::exec
