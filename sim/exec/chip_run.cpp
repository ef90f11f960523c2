#include "sim/exec/chip_run.h"

#include <fmt/format.h>

namespace archsim::exec {
ChipRun::ChipRun(const spec::SystemSpec& system, const map::StageShape& shape,
                 ProgressSink* progress, std::size_t index, std::size_t count, bool exact,
                 bool timed_warmup)
    : ChipRun(system, std::make_unique<graph::Workload>(shape.shard), shape.placement,
              shape.software, shape.group,
              ExecOptions{.op_overhead_ps = shape.software.op_overhead_ps,
                          .exact = exact,
                          .timed_warmup = timed_warmup,
                          .per_head_decode_attention =
                              shape.software.decode_attention == spec::DecodeAttention::kPerHead,
                          .vector_decode_attention = shape.software.decode_attention_units ==
                                                     spec::DecodeAttentionUnits::kVector,
                          .matrix_efficiency = shape.software.matrix_efficiency,
                          .grouped_moe = shape.software.moe_kernels == spec::MoeKernels::kGrouped},
              progress, index, count) {}

ChipRun::ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
                 const ExecOptions& options)
    : ChipRun(system, std::move(workload), {}, {}, {}, options, nullptr, 0, 1) {}

ChipRun::ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
                 const spec::PlacementPolicy& policy, const spec::SoftwareSpec& software,
                 std::vector<std::uint32_t> group, const ExecOptions& options,
                 ProgressSink* progress, std::size_t index, std::size_t count)
    : system_(system),
      sim_(workload->shard().name),
      workload_(std::move(workload)),
      placement_(map::place(system.chip, *workload_, policy, software)),
      chip_(std::make_unique<hw::Chip>(
          sim_, system.chip, sim_.stats(),
          group.empty() ? std::string("chip0") : fmt::format("chip{}", group.front()))),
      group_(std::move(group)) {
  Executor executor(sim_, *chip_, *workload_, placement_, options);
  executor.setProgress(progress, index, count);
  if (group_.size() > 1) {
    topology_ = std::make_unique<hw::Topology>(sim_, system, sim_.stats());
    collectives_ = std::make_unique<CollectiveEngine>(
        sim_, *topology_, system.collectives,
        rankReduceBytesPerSecond(system.chip, workload_->shard().dtypes.activations.dtype));
    executor.setCollectives(*collectives_, group_);
  }
  if (!options.exact) {
    executor.setStepProbe(
        [this, options](std::size_t run, std::uint64_t kv) { return probeStep(run, kv, options); });
  }
  result_ = executor.run();
  for (const std::string& w : sim_.log().warnings())
    result_.warnings.push_back(w);
}

StepSample ChipRun::probeStep(std::size_t run, std::uint64_t kv, const ExecOptions& options) const {
  // The same chip, links and collective group on a fresh simulation: what a step in sequence
  // sees, without the run's history.
  Simulation sim(sim_.name());
  hw::Chip chip(sim, system_.chip, sim.stats(), chip_->name());
  Executor executor(sim, chip, *workload_, placement_, options);
  std::unique_ptr<hw::Topology> topology;
  std::unique_ptr<CollectiveEngine> collectives;
  if (group_.size() > 1) {
    topology = std::make_unique<hw::Topology>(sim, system_, sim.stats());
    collectives = std::make_unique<CollectiveEngine>(
        sim, *topology, system_.collectives,
        rankReduceBytesPerSecond(system_.chip, workload_->shard().dtypes.activations.dtype));
    executor.setCollectives(*collectives, group_);
  }
  return executor.sampleStep(run, kv);
}

double ResourceTrack::busySeconds() const {
  return ticksToSeconds(activity->total()) / static_cast<double>(activity->capacity());
}

double ChipRun::windowSeconds() const {
  return ticksToSeconds(result_.measured_end - result_.measured_start);
}

double ChipRun::matrixUtilization() const {
  const double window = windowSeconds();
  return window > 0 ? tracks().front().busySeconds() / window : 0.0;
}

std::vector<ResourceTrack> ChipRun::tracks() const {
  std::vector<ResourceTrack> out;
  const spec::ChipSpec& c = system_.chip;
  out.push_back({"compute", "matrix units", "units", static_cast<double>(c.matrix.units), 0, true,
                 &chip_->matrixUnits().computing()});
  out.push_back({"compute", "vector units", "units", static_cast<double>(c.vector.units), 0, true,
                 &chip_->vectorUnits().computing()});
  for (const auto& level : chip_->levels()) {
    out.push_back({"memory", level->name(), "B/s", level->effectiveBandwidth(), level->bytesMoved(),
                   true, &level->activity()});
  }
  if (topology_) {
    const std::uint32_t me = group_.empty() ? 0 : group_.front();
    for (hw::LinkId id = 0; id < topology_->links().size(); ++id) {
      const BandwidthServer* server = topology_->usedServer(id);
      if (server == nullptr) continue;
      const hw::Topology::Link& l = topology_->link(id);
      out.push_back({"link", topology_->linkName(id), "B/s", static_cast<double>(l.bytes_per_s),
                     server->bytes(), l.from == me || l.to == me, &server->activity()});
    }
    for (const BandwidthServer* server : topology_->usedSwitchServers()) {
      out.push_back({"link", server->name(), "B/s", static_cast<double>(server->bytesPerSecond()),
                     server->bytes(), false, &server->activity()});
    }
  }
  return out;
}

}  // namespace archsim::exec
