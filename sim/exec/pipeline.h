// Pipeline composition: microbatches flowing through the stages of a pipeline-parallel plan.
//
// Each stage is a FIFO server whose service time for a microbatch at step k is what its simulated
// representative chip took for that step (exec/chip_run.h). When a stage finishes a microbatch,
// each of its tensor-parallel ranks sends its activations to the same rank of the next stage over
// the system topology (link servers, so transfers contend); the next stage may start that
// microbatch when every rank's copy has arrived. When the last stage finishes step k of a
// microbatch, its new tokens go back to the first stage, which may then start step k + 1 of that
// microbatch. Stages pick work in arrival order. On idle links, p stages, m microbatches and one
// step of equal stage time t with transfer time x between stages take the textbook (m + p - 1) t +
// (p - 1) x.
//
// The host: before the first stage takes step k of a microbatch, the serving loop's host thread
// spends `host_step` on it (scheduling, input preparation, sampling the previous step's tokens —
// spec::SoftwareSpec::step_overhead). One host thread per replica serves microbatches in arrival
// order, so with one stage and one microbatch every step costs host_step + t; with several
// microbatches the host overlaps the device's work on the others.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/core/time.h"
#include "sim/hw/topology.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {

struct PipelineInput {
  std::vector<std::vector<Tick>> stage_steps;  // [stage][step]: time of one microbatch
  std::vector<std::vector<std::uint32_t>>
      stage_chips;                            // [stage]: the chips of its tensor-parallel group
  std::vector<std::uint64_t> boundary_bytes;  // [step]: what each rank sends to the next stage
  std::uint64_t token_bytes = 0;              // per microbatch, last stage -> first, between steps
  std::uint32_t microbatches = 1;
  Tick host_step = 0;  // host time before each step of each microbatch (0: no host server)
};

struct PipelineResult {
  std::vector<std::vector<Tick>> finish;  // [step][microbatch]: when the last stage finished it
  Tick end = 0;
  std::uint64_t p2p_bytes = 0;  // put on links between stages, all ranks
  double p2p_energy_j = 0.0;
  std::vector<Tick> stage_busy;  // [stage]: summed service time
  Tick host_busy = 0;            // the host thread's summed step overhead
  std::uint64_t events = 0;
};

/// Runs the composition on a fresh Simulation over `system`'s topology.
PipelineResult runPipeline(const spec::SystemSpec& system, const PipelineInput& input);

}  // namespace archsim::exec
