#include "sim/exec/chip_run.h"

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/exec/executor.h"

namespace archsim::exec {
namespace {
const spec::SystemSpec& oneChip(const spec::SystemSpec& system) {
  if (system.chipCount() != 1) {
    ARCHSIM_PANIC(fmt::format(
        "a one-chip run on system {} of {} chips (multi-chip runs go through SystemRun)",
        system.name, system.chipCount()));
  }
  return system;
}
}  // namespace

ChipRun::ChipRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario)
    : ChipRun(oneChip(system), std::make_unique<graph::Workload>(scenario)) {}

ChipRun::ChipRun(const spec::SystemSpec& system, std::unique_ptr<graph::Workload> workload,
                 std::vector<std::uint32_t> group, ProgressSink* progress, std::size_t index,
                 std::size_t count)
    : system_(system),
      sim_(workload->scenario().name),
      workload_(std::move(workload)),
      placement_(map::place(system.chip, *workload_)),
      chip_(std::make_unique<hw::Chip>(
          sim_, system.chip, sim_.stats(),
          group.empty() ? std::string("chip0") : fmt::format("chip{}", group.front()))),
      group_(std::move(group)) {
  Executor executor(sim_, *chip_, *workload_, placement_);
  executor.setProgress(progress, index, count);
  if (group_.size() > 1) {
    topology_ = std::make_unique<hw::Topology>(sim_, system, sim_.stats());
    collectives_ = std::make_unique<CollectiveEngine>(sim_, *topology_, system.collectives);
    executor.setCollectives(*collectives_, group_);
  }
  result_ = executor.run();
  for (const std::string& w : sim_.log().warnings())
    result_.warnings.push_back(w);
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
