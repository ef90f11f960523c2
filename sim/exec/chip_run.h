// ChipRun: one chip's share of a scenario — its workload graphs, placement, the chip model on a
// fresh Simulation, and the executed result, kept alive together for reporting. On a multi-chip
// plan it is the representative of a tensor-parallel group: its collective ops run on the whole
// system's topology in the same Simulation, over the group's chips.
#pragma once

#include <memory>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/exec/collectives.h"
#include "sim/exec/run_result.h"
#include "sim/graph/workload.h"
#include "sim/hw/chip.h"
#include "sim/hw/topology.h"
#include "sim/map/placement.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {

class ChipRun {
 public:
  /// Builds and runs a scenario on a one-chip system. Throws ConfigError when the system has more
  /// than one chip, the model does not fit, or the chip cannot compute in the scenario's formats.
  ChipRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario);
  /// Same, for a workload built by the caller (a microbenchmark graph, or one rank's shard). With a
  /// `group` of two or more chips, collective ops run over them on the system's topology.
  ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
          std::vector<std::uint32_t> group = {});

  const spec::SystemSpec& system() const { return system_; }
  const graph::Workload& workload() const { return *workload_; }
  const map::Placement& placement() const { return placement_; }
  hw::Chip& chip() { return *chip_; }
  Simulation& sim() { return sim_; }
  const Simulation& sim() const { return sim_; }
  const RunResult& result() const { return result_; }
  const std::vector<std::uint32_t>& group() const { return group_; }

 private:
  const spec::SystemSpec& system_;
  Simulation sim_;
  std::unique_ptr<graph::Workload> workload_;
  map::Placement placement_;
  std::unique_ptr<hw::Chip> chip_;
  std::vector<std::uint32_t> group_;
  std::unique_ptr<hw::Topology> topology_;
  std::unique_ptr<CollectiveEngine> collectives_;
  RunResult result_;
};

}  // namespace archsim::exec
