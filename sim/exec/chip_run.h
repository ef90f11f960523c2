// ChipRun: one chip's share of a run — the workload of its stage shape (map/stage.h), its
// placement, the chip model on a fresh Simulation, and the executed result, kept alive together
// for reporting. On a multi-chip plan it is the representative of a tensor-parallel group: its
// collective ops run on the whole system's topology in the same Simulation, over the group's chips.
//
// Contract: built from a StageShape (or, for microbenchmarks, a given workload); it never reads the
// user's scenario. Its RunResult is the chip's timeline and counters; metrics come from run/.
#pragma once

#include <memory>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/exec/collectives.h"
#include "sim/exec/executor.h"
#include "sim/exec/progress.h"
#include "sim/exec/run_result.h"
#include "sim/graph/workload.h"
#include "sim/hw/chip.h"
#include "sim/hw/topology.h"
#include "sim/map/placement.h"
#include "sim/map/stage.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {

/// A resource of the simulated chip (or its links) whose busy time was recorded over the run.
struct ResourceTrack {
  std::string group;        // "compute", "memory" or "link"
  std::string name;         // "matrix units", a memory level's name, a link "c0-s0"
  std::string unit;         // what `capacity` counts: "units" or "B/s"
  double capacity = 0;      // units, or bytes/s at the achievable fraction (100% utilization)
  std::uint64_t bytes = 0;  // moved in the measured window (memory levels and links)
  bool own = true;  // the simulated chip's own resource (its links: from or to it); false for the
                    // rest of its tensor-parallel group's links and switch servers
  const Activity* activity = nullptr;

  /// Busy time at full capacity: busy server-time / servers.
  double busySeconds() const;
};

class ChipRun {
 public:
  /// Builds and runs one stage shape: its shard's workload, placed under its policy; with a group
  /// of two or more chips, collective ops run over them on the system's topology. Throws
  /// ConfigError when the shard does not fit the chip or the chip cannot compute in its formats.
  /// `progress` (optional) hears from it as simulated chip `index` of `count`.
  /// `exact`: simulate every decode step (no step reuse); `timed_warmup`: see ExecOptions.
  ChipRun(const spec::SystemSpec& system, const map::StageShape& shape,
          ProgressSink* progress = nullptr, std::size_t index = 0, std::size_t count = 1,
          bool exact = false, bool timed_warmup = false);
  /// A workload built by the caller (a microbenchmark graph) on one chip, default placement.
  ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
          const ExecOptions& options = {});

  const spec::SystemSpec& system() const { return system_; }
  const graph::Workload& workload() const { return *workload_; }
  const map::Placement& placement() const { return placement_; }
  hw::Chip& chip() { return *chip_; }
  Simulation& sim() { return sim_; }
  const Simulation& sim() const { return sim_; }
  const RunResult& result() const { return result_; }
  const std::vector<std::uint32_t>& group() const { return group_; }
  /// The chip's compute units (computing), memory levels and the links its collectives used.
  std::vector<ResourceTrack> tracks() const;
  /// The measured window in seconds, and the fraction of it the matrix units spent computing.
  double windowSeconds() const;
  double matrixUtilization() const;
  /// The system topology its collectives ran on (absent without a collective group).
  const hw::Topology* topology() const { return topology_.get(); }

 private:
  ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
          const spec::PlacementPolicy& policy, const spec::SoftwareSpec& software,
          std::vector<std::uint32_t> group, const ExecOptions& options, ProgressSink* progress,
          std::size_t index, std::size_t count);
  /// One decode step of run `run` at KV length `kv`, warm, on a fresh copy of this chip.
  StepSample probeStep(std::size_t run, std::uint64_t kv, const ExecOptions& options) const;

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
