#include "sim/spec/chip_reader.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace archsim::spec {
namespace {

constexpr double kAgreementTolerance = 0.01;  // stated totals must match their parts within 1 %

bool agree(double a, double b) {
  return std::abs(a - b) <= kAgreementTolerance * std::max(std::abs(a), std::abs(b));
}

std::string pct(double a, double b) {
  return fmt::format("{:.2f}%", 100.0 * std::abs(a - b) / std::max(a, b));
}

/// Rejects a key that is only meaningful for other memory kinds, with a message saying so.
void onlyFor(MapReader& r, std::string_view key, std::string_view kinds) {
  if (r.has(key)) r.error(key, fmt::format("applies only to memory levels of kind {}", kinds));
}

ComputeSpec readCompute(MapReader& r, double clock_hz, bool matrix, Diagnostics& diags) {
  ComputeSpec c;
  c.units =
      static_cast<std::uint32_t>(r.integer("units", Need::kRequired, 1, 100'000'000).value_or(0));
  c.peak_ops_per_s = readDTypeTable(r, "peak", Dimension::kThroughput, Need::kOptional);
  // macs_per_cycle (per unit) is the microarchitectural way to state the same figure.
  if (auto macs = r.child("macs_per_cycle", Need::kOptional)) {
    for (const ConfigNode& entry : macs->entries()) {
      const std::string path = macs->keyPath(entry.key());
      const auto t = parseDType(entry.key());
      if (!t) {
        diags.error(entry.keyLocation(), path,
                    "unknown dtype" + didYouMean(entry.key(), dtypeNames()));
        continue;
      }
      const auto per_cycle = readNumber(entry, path, 0.0, 1e12, diags);
      if (!per_cycle || c.units == 0 || clock_hz <= 0) continue;
      const double derived = *per_cycle * 2.0 * c.units * clock_hz;
      const auto stated = c.peak(*t);
      if (stated && !agree(*stated, derived)) {
        diags.error(
            entry.location(), path,
            fmt::format(
                "{} MACs/cycle x {} units x 2 x clock = {} disagrees with peak.{} = {} (by {})",
                *per_cycle, c.units, formatQuantity(derived, Dimension::kThroughput), entry.key(),
                formatQuantity(*stated, Dimension::kThroughput), pct(*stated, derived)));
      } else if (!stated) {
        c.peak_ops_per_s[*t] = derived;
      }
    }
  }
  if (c.peak_ops_per_s.empty() && r.has("units")) {
    diags.error(r.location(), r.keyPath("peak"),
                "required key is missing (give peak or macs_per_cycle per dtype)");
  }
  c.sparsity_speedup = r.number("sparsity_speedup", Need::kOptional, 1.0, 16.0).value_or(1.0);
  const ConfigNode* achievable = r.node("achievable_fraction", Need::kOptional);
  if (achievable != nullptr && achievable->isMap()) {
    // Per input format: {default: 0.94, fp8: 0.75}; a format must be one the units compute in.
    auto table = r.child("achievable_fraction", Need::kRequired);
    c.achievable_fraction = table->fraction("default", Need::kOptional).value_or(1.0);
    std::vector<std::string> formats{"default"};
    for (const auto& [t, peak] : c.peak_ops_per_s)
      formats.emplace_back(dtypeName(t));
    for (const ConfigNode& entry : table->entries()) {
      if (entry.key() == "default") continue;
      const auto t = parseDType(entry.key());
      if (!t || !c.peak(*t)) {
        diags.error(entry.keyLocation(), table->keyPath(entry.key()),
                    fmt::format("not a format these units have a peak for (one of {}){}",
                                fmt::join(formats, ", "), didYouMean(entry.key(), formats)));
        continue;
      }
      if (const auto f = table->fraction(entry.key(), Need::kRequired))
        c.achievable_by_dtype[*t] = *f;
    }
    table->finish();
  } else {
    c.achievable_fraction = r.fraction("achievable_fraction", Need::kOptional).value_or(1.0);
  }
  if (matrix) {
    c.weight_feed_bytes_per_s =
        r.quantity("weight_feed", Dimension::kBandwidth, Need::kOptional).value_or(0.0);
    c.sparse_peak_ops_per_s =
        readDTypeTable(r, "sparse_peak", Dimension::kThroughput, Need::kOptional);
    if (const ConfigNode* table = r.node("sparse_peak", Need::kOptional);
        table != nullptr && table->isMap()) {
      for (const ConfigNode& entry : table->children()) {
        const auto t = parseDType(entry.key());
        if (!t || !c.sparse_peak_ops_per_s.contains(*t)) continue;
        const double sparse = c.sparse_peak_ops_per_s.at(*t);
        if (const auto dense = c.peak(*t); dense && sparse < *dense) {
          diags.error(entry.location(), r.keyPath("sparse_peak." + entry.key()),
                      fmt::format("{} is below the dense peak {} (a sparse peak counts skipped "
                                  "zeros, so it is at least the dense one)",
                                  formatQuantity(sparse, Dimension::kThroughput),
                                  formatQuantity(*dense, Dimension::kThroughput)));
        }
      }
    }
    if (r.has("conversions_per_cycle"))
      r.error("conversions_per_cycle", "applies only to compute.vector");
  } else {
    for (std::string_view key : {"weight_feed", "sparse_peak"}) {
      if (r.has(key)) r.error(key, "applies only to compute.matrix");
    }
    c.conversions_per_cycle =
        r.number("conversions_per_cycle", Need::kOptional, 0.0, 1e6).value_or(0.0);
  }
  c.bytes_in_flight = r.bytes("bytes_in_flight", Need::kOptional).value_or(0);
  if (auto array = r.child("array", Need::kOptional)) {
    c.array_rows = static_cast<std::uint32_t>(
        array->integer("rows", Need::kRequired, 1, 1'000'000).value_or(0));
    c.array_cols = static_cast<std::uint32_t>(
        array->integer("cols", Need::kRequired, 1, 1'000'000).value_or(0));
    c.array_cell = static_cast<std::uint32_t>(
        array->integer("cell", Need::kOptional, 1, 1'000'000).value_or(1));
    if (c.array_rows % c.array_cell != 0 || c.array_cols % c.array_cell != 0) {
      array->crossError({"cell", "rows", "cols"},
                        fmt::format("cell {} does not divide the {} x {} array", c.array_cell,
                                    c.array_rows, c.array_cols));
    }
    array->finish();
  }
  r.finish();
  return c;
}

MemoryLevelSpec readMemoryLevel(MapReader& r, const std::string& name) {
  MemoryLevelSpec m;
  m.name = name;
  m.kind =
      r.choice<MemoryKind>("kind", kMemoryKindNames, Need::kRequired).value_or(MemoryKind::kSram);
  const bool kind_ok = r.has("kind");
  m.size_bytes = r.bytes("size", Need::kRequired).value_or(0);
  m.instances = static_cast<std::uint32_t>(
      r.integer("instances", Need::kOptional, 1, 100'000'000).value_or(1));
  m.latency_ps = r.ticks("latency", Need::kRequired).value_or(0);
  m.achievable_fraction = r.fraction("achievable_fraction", Need::kOptional).value_or(1.0);
  m.energy_j_per_byte =
      r.quantity("energy", Dimension::kEnergyPerByte, Need::kOptional, Bound::kNonNegative)
          .value_or(0.0);
  auto bandwidth =
      r.quantity("bandwidth", Dimension::kBandwidth,
                 kind_ok && m.kind == MemoryKind::kDram ? Need::kOptional : Need::kRequired);
  m.bandwidth_bytes_per_s = bandwidth.value_or(0.0);

  if (m.kind == MemoryKind::kSram) {
    m.banks =
        static_cast<std::uint32_t>(r.integer("banks", Need::kOptional, 1, 100'000'000).value_or(0));
  } else {
    onlyFor(r, "banks", "sram");
  }

  if (m.kind == MemoryKind::kCache) {
    CacheSpec c;
    c.line_bytes = r.bytes("line", Need::kRequired).value_or(0);
    if (c.line_bytes > m.size_bytes && m.size_bytes > 0)
      r.crossError({"line", "size"}, "line is larger than the cache size");
    c.policy = r.choice<ReplacementPolicy>("policy", kReplacementPolicyNames, Need::kOptional)
                   .value_or(ReplacementPolicy::kLru);
    c.associativity = static_cast<std::uint32_t>(
        r.integer("associativity", Need::kOptional, 0, 1 << 20).value_or(0));
    if (c.associativity > 0 && c.line_bytes > 0 && m.size_bytes / c.line_bytes < c.associativity) {
      r.crossError({"associativity", "size", "line"},
                   "associativity exceeds the number of lines in the cache");
    }
    m.cache = c;
  } else {
    onlyFor(r, "line", "cache");
    onlyFor(r, "policy", "cache");
    onlyFor(r, "associativity", "cache");
  }

  if (m.kind == MemoryKind::kDram) {
    DramSpec d;
    d.technology = r.text("technology", Need::kRequired).value_or("");
    d.stacks =
        static_cast<std::uint32_t>(r.integer("stacks", Need::kOptional, 1, 1024).value_or(0));
    d.channels =
        static_cast<std::uint32_t>(r.integer("channels", Need::kRequired, 1, 65536).value_or(0));
    d.interleave_bytes = r.bytes("interleave", Need::kOptional).value_or(256);
    d.ecc = r.choice<Ecc>("ecc", kEccNames, Need::kOptional).value_or(Ecc::kNone);
    const auto channel_bw = r.quantity("channel_bandwidth", Dimension::kBandwidth, Need::kOptional);
    const auto pin_rate = r.quantity("pin_rate", Dimension::kBandwidth, Need::kOptional);
    const auto pins = r.integer("pins_per_channel", Need::kOptional, 1, 4096);
    if (pin_rate.has_value() != pins.has_value()) {
      r.error(pin_rate ? "pins_per_channel" : "pin_rate",
              "pin_rate and pins_per_channel go together");
    }
    if (d.stacks > 0 && d.channels > 0 && d.channels % d.stacks != 0) {
      r.crossError(
          {"channels", "stacks"},
          fmt::format("{} channels do not divide evenly over {} stacks", d.channels, d.stacks));
    }
    std::optional<double> per_channel = channel_bw;
    if (pin_rate && pins) {
      const double from_pins = *pin_rate * static_cast<double>(*pins);
      if (per_channel && !agree(*per_channel, from_pins)) {
        r.crossError(
            {"channel_bandwidth", "pins_per_channel", "pin_rate"},
            fmt::format(
                "channel_bandwidth {} disagrees with pins_per_channel x pin_rate = {} (by {})",
                formatQuantity(*per_channel, Dimension::kBandwidth),
                formatQuantity(from_pins, Dimension::kBandwidth), pct(*per_channel, from_pins)));
      }
      per_channel = per_channel.value_or(from_pins);
    }
    // The total and the per-channel form may both be given; when one was stated more recently
    // (a --set, or a file over its base) it wins and the other follows from it, so
    // `--set chip.memory.hbm.bandwidth=4.8TB/s` scales the channels and `channels=40` halves the
    // total. Stated together, they must agree.
    const int total_layer = r.newestLayer({"bandwidth"});
    const int channel_layer =
        r.newestLayer({"channels", "channel_bandwidth", "pin_rate", "pins_per_channel"});
    if (per_channel && bandwidth && d.channels > 0 && total_layer > channel_layer) {
      per_channel = *bandwidth / d.channels;
    }
    if (per_channel && d.channels > 0) {
      d.channel_bytes_per_s = *per_channel;
      const double total = *per_channel * d.channels;
      if (bandwidth && channel_layer > total_layer) bandwidth = total;
      if (bandwidth && !agree(*bandwidth, total)) {
        r.crossError(
            {"bandwidth", "channels", "channel_bandwidth", "pin_rate", "pins_per_channel"},
            fmt::format(
                "bandwidth {} disagrees with channels x channel_bandwidth = {} x {} = {} (by {})",
                formatQuantity(*bandwidth, Dimension::kBandwidth), d.channels,
                formatQuantity(*per_channel, Dimension::kBandwidth),
                formatQuantity(total, Dimension::kBandwidth), pct(*bandwidth, total)));
      }
      m.bandwidth_bytes_per_s = bandwidth.value_or(total);
    } else if (bandwidth && d.channels > 0) {
      d.channel_bytes_per_s = *bandwidth / d.channels;
    } else if (!bandwidth && r.has("channels")) {
      r.error("bandwidth",
              "required key is missing (give bandwidth, channel_bandwidth or pin_rate)");
    }
    m.dram = d;
  } else {
    for (std::string_view key : {"technology", "stacks", "channels", "interleave",
                                 "channel_bandwidth", "pin_rate", "pins_per_channel", "ecc"}) {
      onlyFor(r, key, "dram");
    }
  }
  r.finish();
  return m;
}

PortSpec readPort(MapReader& r, const std::string& name) {
  PortSpec p;
  p.name = name;
  p.kind = r.choice<PortKind>("kind", kPortKindNames, Need::kRequired).value_or(PortKind::kNvlink);
  p.links = static_cast<std::uint32_t>(r.integer("links", Need::kRequired, 1, 100'000).value_or(0));
  p.link_bytes_per_s =
      r.quantity("link_bandwidth", Dimension::kBandwidth, Need::kRequired).value_or(0.0);
  p.latency_ps = r.ticks("latency", Need::kRequired).value_or(0);
  p.energy_j_per_byte =
      r.quantity("energy", Dimension::kEnergyPerByte, Need::kOptional, Bound::kNonNegative)
          .value_or(0.0);
  if (const auto aggregate =
          r.quantity("aggregate_bandwidth", Dimension::kBandwidth, Need::kOptional)) {
    // The newer statement wins, as for DRAM bandwidth; stated together they must agree.
    const int aggregate_layer = r.newestLayer({"aggregate_bandwidth"});
    const int link_layer = r.newestLayer({"links", "link_bandwidth"});
    if (p.links > 0 && aggregate_layer > link_layer)
      p.link_bytes_per_s = *aggregate / (2.0 * p.links);
    const double derived = 2.0 * p.links * p.link_bytes_per_s;
    if (p.links > 0 && p.link_bytes_per_s > 0 && !agree(*aggregate, derived)) {
      r.crossError(
          {"aggregate_bandwidth", "links", "link_bandwidth"},
          fmt::format("aggregate_bandwidth {} disagrees with 2 directions x links x link_bandwidth "
                      "= 2 x {} x {} = {} (by {})",
                      formatQuantity(*aggregate, Dimension::kBandwidth), p.links,
                      formatQuantity(p.link_bytes_per_s, Dimension::kBandwidth),
                      formatQuantity(derived, Dimension::kBandwidth), pct(*aggregate, derived)));
    }
  }
  r.finish();
  return p;
}

int memoryRank(MemoryKind k) {
  switch (k) {
    case MemoryKind::kSram:
    case MemoryKind::kCache:
      return 0;
    case MemoryKind::kDram:
      return 1;
    case MemoryKind::kHost:
      return 2;
  }
  return 0;
}

}  // namespace

std::map<DType, double> readDTypeTable(MapReader& parent, std::string_view key, Dimension dimension,
                                       Need need) {
  std::map<DType, double> out;
  auto table = parent.child(key, need);
  if (!table) return out;
  for (const ConfigNode& entry : table->entries()) {
    const std::string path = table->keyPath(entry.key());
    const auto t = parseDType(entry.key());
    if (!t) {
      const auto names = dtypeNames();
      parent.diagnostics().error(entry.keyLocation(), path,
                                 fmt::format("unknown dtype (one of {}){}", fmt::join(names, ", "),
                                             didYouMean(entry.key(), names)));
      continue;
    }
    if (const auto v = table->quantity(entry.key(), dimension, Need::kRequired)) out[*t] = *v;
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> readSources(
    MapReader& parent, const ConfigNode& document) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  auto sources = parent.child("sources", Need::kOptional);
  if (!sources) return out;
  for (const ConfigNode& entry : sources->entries()) {
    const ConfigNode* figure = document.findPath(entry.key());
    if (figure == nullptr || entry.key() == "sources" || entry.key().rfind("sources.", 0) == 0) {
      // Suggest from the deepest part of the path that exists.
      const auto dot = entry.key().rfind('.');
      const ConfigNode* parent_node =
          dot == std::string::npos ? &document : document.findPath(entry.key().substr(0, dot));
      std::vector<std::string> siblings;
      if (parent_node != nullptr) {
        for (const auto& c : parent_node->children()) {
          siblings.push_back(dot == std::string::npos ? c.key()
                                                      : entry.key().substr(0, dot + 1) + c.key());
        }
      }
      // A source written in this very file must name a figure; one inherited from a base that an
      // override has since removed (say, launch_overhead when the style becomes dataflow) is
      // only reported.
      const std::string message =
          "names no figure in this description" + didYouMean(entry.key(), siblings);
      if (entry.layer() < document.maxLayer()) {
        parent.diagnostics().warn(entry.keyLocation(), sources->keyPath(entry.key()),
                                  message + " (inherited, and removed by an override)");
      } else {
        parent.diagnostics().error(entry.keyLocation(), sources->keyPath(entry.key()), message);
      }
    }
    if (auto list = sources->textList(entry.key(), Need::kRequired)) {
      if (list->empty()) sources->error(entry.key(), "list at least one source");
      out.emplace_back(entry.key(), std::move(*list));
    }
  }
  sources->finish();
  return out;
}

ChipSpec readChip(const ConfigNode& node, const std::string& path, Diagnostics& diags) {
  ChipSpec chip;
  MapReader r(node, path, diags);
  const DocumentHeader header = readHeader(r, "chip");
  chip.name = header.name;
  chip.description = header.description;
  chip.clock_hz = r.quantity("clock", Dimension::kFrequency, Need::kRequired).value_or(0.0);
  if (chip.clock_hz > 1e12) r.error("clock", "must be at most 1 THz");

  if (auto compute = r.child("compute", Need::kRequired)) {
    if (auto matrix = compute->child("matrix", Need::kRequired))
      chip.matrix = readCompute(*matrix, chip.clock_hz, true, diags);
    if (auto vector = compute->child("vector", Need::kRequired))
      chip.vector = readCompute(*vector, chip.clock_hz, false, diags);
    compute->finish();
  }

  if (auto memory = r.child("memory", Need::kRequired)) {
    for (const ConfigNode& entry : memory->entries()) {
      memory->checkName(entry, "memory level");
      MapReader level = memory->entry(entry);
      chip.memory.push_back(readMemoryLevel(level, entry.key()));
    }
    if (memory->entries().empty()) r.error("memory", "a chip needs at least one memory level");
    const bool holds_data = std::any_of(chip.memory.begin(), chip.memory.end(), [](const auto& m) {
      return m.kind == MemoryKind::kSram || m.kind == MemoryKind::kDram;
    });
    if (!memory->entries().empty() && !holds_data) {
      r.error("memory",
              "a chip needs an sram or a dram level to hold weights (caches only keep copies)");
    }
    for (std::size_t i = 1; i < chip.memory.size(); ++i) {
      if (memoryRank(chip.memory[i].kind) < memoryRank(chip.memory[i - 1].kind)) {
        memory->error(
            chip.memory[i].name,
            fmt::format("memory levels go near -> far: a {} level cannot follow the {} level '{}'",
                        memoryKindName(chip.memory[i].kind),
                        memoryKindName(chip.memory[i - 1].kind), chip.memory[i - 1].name));
      }
    }
    memory->finish();
  }

  if (auto ports = r.child("interconnect", Need::kOptional)) {
    for (const ConfigNode& entry : ports->entries()) {
      ports->checkName(entry, "port");
      MapReader port = ports->entry(entry);
      chip.ports.push_back(readPort(port, entry.key()));
    }
    ports->finish();
  }

  if (auto exec = r.child("execution", Need::kRequired)) {
    chip.execution.style =
        exec->choice<ExecutionStyle>("style", kExecutionStyleNames, Need::kRequired)
            .value_or(ExecutionStyle::kKernel);
    if (chip.execution.style == ExecutionStyle::kKernel) {
      chip.execution.launch_overhead_ps =
          exec->ticks("launch_overhead", Need::kRequired, Bound::kNonNegative).value_or(0);
    } else if (exec->has("launch_overhead")) {
      exec->error("launch_overhead",
                  "applies only to style 'kernel' (dataflow chips are statically scheduled)");
    }
    const auto mapping = exec->choice<Mapping>("mapping", kMappingNames, Need::kOptional);
    chip.execution.mapping = mapping.value_or(Mapping::kTiled);
    // An unknown mapping is reported above; its fabric is read, not judged against the default.
    const bool known = !exec->has("mapping") || mapping.has_value();
    const bool spatial = chip.execution.mapping == Mapping::kSpatial;
    if (known && spatial && chip.execution.style != ExecutionStyle::kDataflow)
      exec->crossError({"mapping", "style"}, "spatial mapping needs style 'dataflow'");
    if (known && spatial && !exec->has("fabric")) {
      exec->error("mapping",
                  "spatial mapping needs the cores' mesh: execution.fabric {hop_latency, "
                  "link_bandwidth}");
    }
    if (known && !spatial && exec->has("fabric")) {
      exec->error("fabric", "applies only to mapping 'spatial' (the cores' on-chip mesh)");
    } else if (auto fabric = exec->child("fabric", Need::kOptional)) {
      chip.execution.fabric.hop_ps = fabric->ticks("hop_latency", Need::kRequired).value_or(0);
      chip.execution.fabric.link_bytes_per_s =
          fabric->quantity("link_bandwidth", Dimension::kBandwidth, Need::kRequired).value_or(0.0);
      fabric->finish();
    }
    chip.execution.operand_transit_cycles = static_cast<std::uint32_t>(
        exec->integer("operand_transit_cycles", Need::kOptional, 0, 1'000'000).value_or(0));
    exec->finish();
  }

  if (auto power = r.child("power", Need::kRequired)) {
    chip.power.tdp_w = power->quantity("tdp", Dimension::kPower, Need::kRequired).value_or(0.0);
    chip.power.static_w =
        power->quantity("static", Dimension::kPower, Need::kRequired, Bound::kNonNegative)
            .value_or(0.0);
    if (chip.power.static_w > chip.power.tdp_w && chip.power.tdp_w > 0) {
      power->crossError({"static", "tdp"},
                        fmt::format("static power {} exceeds the TDP {}",
                                    formatQuantity(chip.power.static_w, Dimension::kPower),
                                    formatQuantity(chip.power.tdp_w, Dimension::kPower)));
    }
    chip.power.unit_active_w =
        power->quantity("unit_active", Dimension::kPower, Need::kOptional, Bound::kNonNegative)
            .value_or(0.0);
    chip.power.energy_j_per_op =
        readDTypeTable(*power, "energy_per_op", Dimension::kEnergyPerOp, Need::kOptional);
    for (const auto& [t, e] : chip.power.energy_j_per_op) {
      if (!chip.matrix.peak(t) && !chip.vector.peak(t)) {
        power->error(
            "energy_per_op",
            fmt::format("gives energy for {}, which the chip does not compute in", dtypeName(t)));
      }
    }
    power->finish();
  }

  chip.area_m2 = r.quantity("area", Dimension::kArea, Need::kOptional);
  chip.cost_usd = r.number("cost_usd", Need::kOptional, 0.0, 1e12);
  chip.sources = readSources(r, node);
  r.finish();
  return chip;
}

}  // namespace archsim::spec
