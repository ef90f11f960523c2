#include "sim/spec/loader.h"

#include <fmt/format.h>

#include "sim/spec/chip_reader.h"
#include "sim/spec/reader.h"
#include "sim/spec/suggest.h"
#include "sim/spec/system_reader.h"

namespace archsim::spec {
namespace fs = std::filesystem;
namespace {

const Location kCommandLine{"<command line>", 0, 0};

/// Replaces the system's `chip:` reference (preset name, path, or mapping with `base:`) by the full
/// chip mapping.
void inlineChip(const Catalog& catalog, ConfigNode& system, const fs::path& system_file) {
  ConfigNode* chip = system.find("chip");
  if (chip == nullptr) return;  // readSystem reports the missing key
  if (chip->isScalar()) {
    chip->assignValue(
        catalog.load(DocKind::kChip, chip->scalar(), chip->location(), system_file.parent_path()));
  } else if (chip->isMap()) {
    // An inline chip: either a full description or `base:` plus overrides. `kind` may be omitted.
    ConfigNode inline_chip = *chip;
    if (inline_chip.find("kind") == nullptr) {
      inline_chip.set("kind", ConfigNode::makeScalar("chip", chip->location()), chip->location());
    }
    chip->assignValue(catalog.resolveBase(DocKind::kChip, std::move(inline_chip), system_file));
  }
}

ConfigNode wrapChip(ConfigNode chip) {
  const Location where = chip.location();
  ConfigNode system = ConfigNode::makeMap(where);
  system.set("kind", ConfigNode::makeScalar("system", where), where);
  const ConfigNode* name = chip.find("name");
  system.set("name", name ? *name : ConfigNode::makeScalar("chip", where), where);
  system.set("description", ConfigNode::makeScalar("a single chip", where), where);
  system.set("chip", std::move(chip), where);
  return system;
}

}  // namespace

LoadedSystem loadSystemFile(const Catalog& catalog, const fs::path& file,
                            const std::vector<std::string>& assignments) {
  ConfigNode document = loadYamlFile(file);
  ConfigNode resolved;
  if (documentKind(document) == DocKind::kChip) {
    resolved = wrapChip(catalog.resolveBase(DocKind::kChip, std::move(document), file));
  } else {
    resolved = catalog.resolveBase(DocKind::kSystem, std::move(document), file);
    inlineChip(catalog, resolved, file);
  }
  Diagnostics diags;
  for (const std::string& assignment : assignments) {
    try {
      applyAssignment(resolved, assignment, Location{"--set " + assignment, 0, 0});
    } catch (const ConfigError& e) {
      diags.absorb(e);
    }
  }
  diags.throwIfAny();
  SystemSpec spec = readSystem(resolved, diags);
  diags.throwIfAny();
  return LoadedSystem{std::move(spec), std::move(resolved)};
}

LoadedSystem loadSystem(const Catalog& catalog, std::string_view ref,
                        const std::vector<std::string>& assignments) {
  if (Catalog::looksLikePath(ref)) {
    return loadSystemFile(catalog, catalog.resolve(DocKind::kSystem, ref, kCommandLine, {}),
                          assignments);
  }
  if (auto system = catalog.findPreset(DocKind::kSystem, ref))
    return loadSystemFile(catalog, *system, assignments);
  if (auto chip = catalog.findPreset(DocKind::kChip, ref))
    return loadSystemFile(catalog, *chip, assignments);
  std::vector<std::string> names = catalog.presetNames(DocKind::kSystem);
  const auto chips = catalog.presetNames(DocKind::kChip);
  names.insert(names.end(), chips.begin(), chips.end());
  throw ConfigError(kCommandLine, "",
                    fmt::format("'{}' is neither a file nor a system or chip preset{}", ref,
                                didYouMean(ref, names)));
}

std::string checkFile(const Catalog& catalog, const std::string& path) {
  ConfigNode document = loadYamlFile(path);
  if (documentKind(document) == DocKind::kChip) {
    const ConfigNode resolved = catalog.resolveBase(DocKind::kChip, std::move(document), path);
    Diagnostics diags;
    const ChipSpec chip = readChip(resolved, "", diags);
    diags.throwIfAny();
    return fmt::format("chip {}", chip.name);
  }
  const LoadedSystem system = loadSystemFile(catalog, path, {});
  return fmt::format("system {} ({} x {})", system.spec.name, system.spec.chipCount(),
                     system.spec.chip.name);
}

}  // namespace archsim::spec
