#include "sim/spec/system_reader.h"

#include <map>

#include <fmt/format.h>

#include "sim/spec/chip_reader.h"

namespace archsim::spec {
namespace {

LinkSpec readLink(MapReader& r, const ChipSpec& chip) {
  LinkSpec link;
  const PortSpec* port = nullptr;
  if (const auto port_name = r.text("port", Need::kOptional)) {
    port = chip.port(*port_name);
    if (port == nullptr) {
      std::vector<std::string> names;
      for (const auto& p : chip.ports)
        names.push_back(p.name);
      r.error("port", fmt::format("chip '{}' has no port '{}'{}", chip.name, *port_name,
                                  didYouMean(*port_name, names)));
    } else {
      link.port = port->name;
    }
  }
  const Need without_port = r.has("port") ? Need::kOptional : Need::kRequired;
  if (port != nullptr && r.has("kind"))
    r.error("kind", "the kind comes from the chip port; remove it or drop 'port'");
  link.kind =
      r.choice<PortKind>("kind", kPortKindNames, port != nullptr ? Need::kOptional : without_port)
          .value_or(port ? port->kind : PortKind::kNvlink);
  link.links_per_chip = static_cast<std::uint32_t>(
      r.integer("links", without_port, 1, 100'000).value_or(port ? port->links : 0));
  link.link_bytes_per_s = r.quantity("link_bandwidth", Dimension::kBandwidth, without_port)
                              .value_or(port ? port->link_bytes_per_s : 0.0);
  link.latency_ps = r.ticks("latency", without_port).value_or(port ? port->latency_ps : 0);
  link.energy_j_per_byte =
      r.quantity("energy", Dimension::kEnergyPerByte, Need::kOptional, Bound::kNonNegative)
          .value_or(port ? port->energy_j_per_byte : 0.0);
  link.achievable_fraction = r.fraction("achievable_fraction", Need::kOptional).value_or(1.0);
  r.finish();
  return link;
}

LevelSpec readLevel(MapReader& r, const std::string& name, const ChipSpec& chip) {
  LevelSpec level;
  level.name = name;
  level.size =
      static_cast<std::uint32_t>(r.integer("size", Need::kRequired, 2, 1'000'000).value_or(0));
  level.topology = r.choice<TopologyKind>("topology", kTopologyNames, Need::kRequired)
                       .value_or(TopologyKind::kSwitch);
  const bool grid = level.topology == TopologyKind::kTorus || level.topology == TopologyKind::kMesh;
  if (const ConfigNode* dims = r.node("dims", grid ? Need::kRequired : Need::kOptional)) {
    if (!grid) {
      r.error("dims", "applies only to torus and mesh topologies");
    } else if (!dims->isSequence() || dims->children().size() < 2 || dims->children().size() > 3) {
      r.error("dims", "expected a list of 2 or 3 dimension sizes, e.g. [4, 4]");
    } else {
      std::uint64_t product = 1;
      for (std::size_t i = 0; i < dims->children().size(); ++i) {
        const auto d = readInteger(dims->children()[i], fmt::format("{}[{}]", r.keyPath("dims"), i),
                                   1, 100'000, r.diagnostics());
        level.dims.push_back(static_cast<std::uint32_t>(d.value_or(1)));
        product *= d.value_or(1);
      }
      if (level.size > 0 && product != level.size) {
        r.crossError({"dims", "size"},
                     fmt::format("dimensions multiply to {}, but size is {}", product, level.size));
      }
    }
  }
  if (auto link = r.child("link", Need::kRequired)) level.link = readLink(*link, chip);
  if (auto sw = r.child("switch", Need::kOptional)) {
    if (level.topology != TopologyKind::kSwitch)
      r.error("switch", "applies only to the switch topology");
    SwitchSpec s;
    s.bytes_per_s = sw->quantity("bandwidth", Dimension::kBandwidth, Need::kOptional)
                        .value_or(0.0);  // 0: non-blocking
    s.latency_ps = sw->ticks("latency", Need::kRequired).value_or(0);
    s.reduce_bytes_per_s =
        sw->quantity("reduce_bandwidth", Dimension::kBandwidth, Need::kOptional).value_or(0.0);
    sw->finish();
    level.switch_spec = s;
  }
  r.finish();
  return level;
}

}  // namespace

std::string_view topologyName(TopologyKind k) {
  return nameOf(kTopologyNames, k);
}

std::string_view allReduceName(AllReduceAlgorithm a) {
  return nameOf(kAllReduceNames, a);
}

std::uint64_t SystemSpec::chipCount() const {
  std::uint64_t n = 1;
  for (const auto& l : levels)
    n *= l.size;
  return n;
}

SystemSpec readSystem(const ConfigNode& node, Diagnostics& diags) {
  SystemSpec sys;
  MapReader r(node, "", diags);
  const DocumentHeader header = readHeader(r, "system");
  sys.name = header.name;
  sys.description = header.description;
  const std::size_t errors_before_chip = diags.size();
  if (const ConfigNode* chip = r.node("chip", Need::kRequired))
    sys.chip = readChip(*chip, "chip", diags);
  const bool chip_ok = diags.size() == errors_before_chip;

  if (auto levels = r.child("levels", Need::kOptional)) {
    for (const ConfigNode& entry : levels->entries()) {
      levels->checkName(entry, "network level");
      MapReader level = levels->entry(entry);
      sys.levels.push_back(readLevel(level, entry.key(), sys.chip));
    }
    // Links a chip spends on all levels together must exist on its ports.
    std::map<std::string, std::uint64_t> used;
    for (const auto& l : sys.levels) {
      if (!l.link.port.empty()) used[l.link.port] += l.link.links_per_chip;
    }
    for (const auto& [port_name, count] : used) {
      const PortSpec* port = sys.chip.port(port_name);
      if (chip_ok && port != nullptr && count > port->links) {
        levels->error(sys.levels.front().name,
                      fmt::format("levels use {} '{}' links per chip, but the chip has only {}",
                                  count, port_name, port->links));
      }
    }
    levels->finish();
  }
  if (auto c = r.child("collectives", Need::kOptional)) {
    sys.collectives.all_reduce =
        c->choice<AllReduceAlgorithm>("all_reduce", kAllReduceNames, Need::kOptional)
            .value_or(AllReduceAlgorithm::kAuto);
    sys.collectives.launch_latency_ps =
        c->ticks("launch_latency", Need::kOptional, Bound::kNonNegative).value_or(0);
    sys.collectives.step_latency_ps =
        c->ticks("step_latency", Need::kOptional, Bound::kNonNegative).value_or(0);
    sys.collectives.small_message_bytes =
        c->bytes("small_message", Need::kOptional).value_or(256 * 1024);
    sys.collectives.chunk_bytes = c->bytes("chunk", Need::kOptional).value_or(512 * 1024);
    c->finish();
  }
  if (const auto chips = r.integer("chips", Need::kOptional, 1, INT64_MAX)) {
    if (static_cast<std::uint64_t>(*chips) != sys.chipCount()) {
      r.crossError({"chips", "levels"},
                   fmt::format("says {} chips, but the level sizes multiply to {}", *chips,
                               sys.chipCount()));
    }
  }
  sys.sources = readSources(r, node);
  r.finish();
  return sys;
}

}  // namespace archsim::spec
