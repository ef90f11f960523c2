#include "sim/spec/loader.h"

#include <algorithm>
#include <span>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/spec/chip_reader.h"
#include "sim/spec/hf_import.h"
#include "sim/spec/model_reader.h"
#include "sim/spec/reader.h"
#include "sim/spec/scenario_reader.h"
#include "sim/spec/suggest.h"
#include "sim/spec/system_reader.h"

namespace archsim::spec {
namespace fs = std::filesystem;
namespace {

const Location kCommandLine{"<command line>", 0, 0};

bool isJson(std::string_view ref) {
  return ref.size() > 5 && ref.substr(ref.size() - 5) == ".json";
}

/// Loads a model document: a Hugging Face config.json, or a YAML model (preset or path).
ConfigNode loadModelRef(const Catalog& catalog, std::string_view ref, const Location& where,
                        const fs::path& relative_to) {
  if (isJson(ref)) return importHfConfig(catalog.resolve(DocKind::kModel, ref, where, relative_to));
  return catalog.load(DocKind::kModel, ref, where, relative_to);
}

/// Replaces `parent[key]` — a preset name, a path, or an inline mapping with optional `base:` — by
/// the full document of `kind` it refers to. The system's `chip:` and the scenario's `model:`.
void inlineReference(const Catalog& catalog, ConfigNode& parent, std::string_view key, DocKind kind,
                     const fs::path& file) {
  ConfigNode* ref = parent.find(key);
  if (ref == nullptr) return;  // the reader reports the missing key
  if (ref->isScalar()) {
    // A path written in the file is relative to the file; one given with --set, to the working dir.
    const bool from_command_line = ref->layer() == kCommandLineLayer;
    const fs::path dir = from_command_line ? fs::path() : file.parent_path();
    ref->assignValue(kind == DocKind::kModel
                         ? loadModelRef(catalog, ref->scalar(), ref->location(), dir)
                         : catalog.load(kind, ref->scalar(), ref->location(), dir));
  } else if (ref->isMap()) {
    // Inline: a full description, or `base:` plus overrides. `kind` may be omitted.
    ConfigNode inline_doc = *ref;
    if (inline_doc.find("kind") == nullptr) {
      inline_doc.set("kind",
                     ConfigNode::makeScalar(std::string(docKindName(kind)), ref->location()),
                     ref->location());
    }
    ref->assignValue(catalog.resolveBase(kind, std::move(inline_doc), file));
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

/// A map whose entries are things of the chip or the system (a memory level, a port, a system
/// level), not settings: a --set that would create one key by key invents a half-described thing.
struct NamedCollection {
  std::string_view path;  // "chip.memory"
  std::string_view what;  // "memory level"
};
constexpr NamedCollection kSystemCollections[] = {
    {"chip.memory", "memory level"}, {"chip.interconnect", "port"}, {"levels", "system level"}};

/// Refuses an assignment that would create an entry of a named collection by setting a key inside
/// it ("chip.memory.hbm.achievable_fraction=0.78" on a chip without HBM).
void refuseImplicitEntry(const ConfigNode& resolved, const AssignmentParts& parts,
                         std::span<const NamedCollection> collections, const Location& where) {
  const std::optional<std::string> missing = firstMissingMap(resolved, parts.path);
  if (!missing) return;
  for (const NamedCollection& c : collections) {
    const std::string prefix = std::string(c.path) + ".";
    if (missing->size() <= prefix.size() || missing->compare(0, prefix.size(), prefix) != 0 ||
        missing->find('.', prefix.size()) != std::string::npos)
      continue;
    const std::string entry = missing->substr(prefix.size());
    std::vector<std::string> have;
    const ConfigNode* map = resolved.findPath(c.path);
    if (map != nullptr && map->isMap()) {
      for (const ConfigNode& child : map->children())
        have.push_back(child.key());
    }
    auto nameOf = [](const ConfigNode* doc) {
      const ConfigNode* name = doc != nullptr && doc->isMap() ? doc->find("name") : nullptr;
      return name != nullptr && name->isScalar() ? name->scalar() : std::string();
    };
    const std::string owner = c.path.starts_with("chip.") ? "chip " + nameOf(resolved.find("chip"))
                                                          : "system " + nameOf(&resolved);
    const std::string has = have.empty() ? "" : fmt::format(" (it has {})", fmt::join(have, ", "));
    const std::string hint = didYouMean(entry, have);
    if (!hint.empty()) {  // a misspelt level: the name is the fix
      throw ConfigError(where, *missing,
                        fmt::format("{} has no {} '{}'{}{}", owner, c.what, entry, has, hint));
    }
    throw ConfigError(
        where, *missing,
        fmt::format("{} has no {} '{}'{}, and a --set does not create one key by key: give it "
                    "whole (--set '{}={{...}}'), or write {}?={} to set it only where it exists",
                    owner, c.what, entry, has, *missing, parts.path, parts.value));
  }
}

/// Applies the --set assignments that replace a reference key itself (`model=llama2-13b`) when
/// `references` is true, or all the others (`model.layers=2`) when it is false. References go
/// first, so the later ones address the document they name. A conditional assignment (`?=`) whose
/// parent is absent is skipped with a warning in `warnings`.
void applyAssignments(ConfigNode& resolved, const std::vector<std::string>& assignments,
                      std::initializer_list<std::string_view> reference_keys, bool references,
                      std::span<const NamedCollection> collections, Diagnostics& warnings,
                      std::vector<std::string>& skipped) {
  Diagnostics diags;
  for (const std::string& assignment : assignments) {
    const bool is_reference = std::any_of(
        reference_keys.begin(), reference_keys.end(),
        [&](std::string_view key) { return assignment.rfind(std::string(key) + "=", 0) == 0; });
    if (is_reference != references) continue;
    const Location where{"--set " + assignment, 0, 0};
    try {
      const std::optional<AssignmentParts> parts = splitAssignment(assignment);
      if (parts && !parts->conditional) refuseImplicitEntry(resolved, *parts, collections, where);
      if (!applyAssignment(resolved, assignment, where)) {
        skipped.push_back(assignment);
        warnings.warn(where, parts->path,
                      fmt::format("skipped: there is no '{}' here",
                                  firstMissingMap(resolved, parts->path).value_or(parts->path)));
      }
    } catch (const ConfigError& e) {
      diags.absorb(e);
    }
  }
  diags.throwIfAny();
}

[[noreturn]] void unknownPreset(const Catalog& catalog, std::string_view ref,
                                std::initializer_list<DocKind> kinds, std::string_view what) {
  std::vector<std::string> names;
  for (DocKind k : kinds) {
    const auto more = catalog.presetNames(k);
    names.insert(names.end(), more.begin(), more.end());
  }
  std::string hint = didYouMean(ref, names);
  if (hint.empty()) {
    // A family name short of its variant ('h100' for 'h100-sxm5', 'h100-pcie'): the presets it
    // begins.
    std::vector<std::string> family;
    for (const std::string& n : names) {
      if (n.size() > ref.size() && n.compare(0, ref.size(), ref) == 0 && n[ref.size()] == '-')
        family.push_back("'" + n + "'");
    }
    std::sort(family.begin(), family.end());
    if (!family.empty() && family.size() <= 4)
      hint = fmt::format("; did you mean {}?", fmt::join(family, " or "));
  }
  throw ConfigError(kCommandLine, "",
                    fmt::format("'{}' is neither a file nor {}{}", ref, what, hint));
}

LoadedScenario loadScenarioFile(const Catalog& catalog, const fs::path& file,
                                const std::vector<std::string>& assignments) {
  return loadScenarioDocument(catalog, loadYamlFile(file), file, assignments);
}

LoadedSystem loadSystemDocument(const Catalog& catalog, ConfigNode document, const fs::path& file,
                                const std::vector<std::string>& assignments) {
  Diagnostics diags;  // warnings of skipped assignments, then the reader's
  std::vector<std::string> skipped;
  ConfigNode resolved;
  if (documentKind(document) == DocKind::kChip) {
    resolved = wrapChip(catalog.resolveBase(DocKind::kChip, std::move(document), file));
  } else {
    resolved = catalog.resolveBase(DocKind::kSystem, std::move(document), file);
    applyAssignments(resolved, assignments, {"chip"}, true, kSystemCollections, diags, skipped);
    inlineReference(catalog, resolved, "chip", DocKind::kChip, file);
  }
  applyAssignments(resolved, assignments, {"chip"}, false, kSystemCollections, diags, skipped);
  SystemSpec spec = readSystem(resolved, diags);
  diags.throwIfAny();
  return LoadedSystem{std::move(spec), std::move(resolved), diags.warnings(), std::move(skipped)};
}

/// The `system` or `scenario` mapping of a run file.
ConfigNode runPart(const ConfigNode& document, std::string_view key, std::string_view kind) {
  const ConfigNode* part = document.find(key);
  if (part == nullptr)
    throw ConfigError(document.location(), std::string(key), "required key is missing");
  if (!part->isMap()) {
    throw ConfigError(
        part->location(), std::string(key),
        fmt::format("expected a mapping (a full {} description), got {}", kind, part->kindName()));
  }
  ConfigNode out = *part;
  if (out.find("kind") == nullptr)
    out.set("kind", ConfigNode::makeScalar(std::string(kind), part->location()), part->location());
  return out;
}

}  // namespace

LoadedScenario loadScenarioDocument(const Catalog& catalog, ConfigNode document,
                                    const fs::path& file,
                                    const std::vector<std::string>& assignments) {
  Diagnostics diags;  // warnings of skipped assignments, then the reader's
  std::vector<std::string> skipped;
  ConfigNode resolved = catalog.resolveBase(DocKind::kScenario, std::move(document), file);
  applyAssignments(resolved, assignments, {"model", "software"}, true, {}, diags, skipped);
  inlineReference(catalog, resolved, "model", DocKind::kModel, file);
  inlineReference(catalog, resolved, "software", DocKind::kSoftware, file);
  applyAssignments(resolved, assignments, {"model", "software"}, false, {}, diags, skipped);
  ScenarioSpec spec = readScenario(resolved, diags);
  diags.throwIfAny();
  return LoadedScenario{std::move(spec), std::move(resolved), diags.warnings(), std::move(skipped)};
}

bool isRunFile(const fs::path& file) {
  std::error_code ec;
  if (isJson(file.string()) || !fs::is_regular_file(file, ec)) return false;
  const ConfigNode document = loadYamlFile(file);
  const ConfigNode* kind = document.isMap() ? document.find("kind") : nullptr;
  return kind != nullptr && kind->isScalar() && kind->scalar() == "run";
}

LoadedRun loadRunFile(const Catalog& catalog, const fs::path& file,
                      const std::vector<std::string>& system_assignments,
                      const std::vector<std::string>& scenario_assignments) {
  const ConfigNode document = loadYamlFile(file);
  Diagnostics diags;
  const std::vector<std::string> keys{"kind", "system", "scenario"};
  for (const ConfigNode& child : document.children()) {
    if (std::find(keys.begin(), keys.end(), child.key()) == keys.end()) {
      diags.error(child.keyLocation(), child.key(),
                  fmt::format("unknown key in a run file (it has kind, system and scenario){}",
                              didYouMean(child.key(), keys)));
    }
  }
  diags.throwIfAny();
  LoadedSystem system =
      loadSystemDocument(catalog, runPart(document, "system", "system"), file, system_assignments);
  LoadedScenario scenario = loadScenarioDocument(catalog, runPart(document, "scenario", "scenario"),
                                                 file, scenario_assignments);
  return LoadedRun{std::move(system), std::move(scenario)};
}

std::string runFileYaml(const LoadedSystem& system, const LoadedScenario& scenario) {
  const Location here{"<resolved>", 0, 0};
  ConfigNode run = ConfigNode::makeMap(here);
  run.set("kind", ConfigNode::makeScalar("run", here), here);
  run.set("system", system.resolved, here);
  run.set("scenario", scenario.resolved, here);
  return "# The system and scenario of an archsim run after bases, references and --set "
         "overrides.\n"
         "# `archsim run THIS_FILE` reproduces the run.\n" +
         toYaml(run) + "\n";
}

LoadedSystem loadSystemFile(const Catalog& catalog, const fs::path& file,
                            const std::vector<std::string>& assignments) {
  return loadSystemDocument(catalog, loadYamlFile(file), file, assignments);
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
  unknownPreset(catalog, ref, {DocKind::kSystem, DocKind::kChip}, "a system or chip preset");
}

LoadedScenario loadScenario(const Catalog& catalog, std::string_view ref,
                            const std::vector<std::string>& assignments) {
  if (Catalog::looksLikePath(ref)) {
    return loadScenarioFile(catalog, catalog.resolve(DocKind::kScenario, ref, kCommandLine, {}),
                            assignments);
  }
  if (auto scenario = catalog.findPreset(DocKind::kScenario, ref)) {
    return loadScenarioFile(catalog, *scenario, assignments);
  }
  unknownPreset(catalog, ref, {DocKind::kScenario}, "a scenario preset");
}

namespace {
const std::vector<std::string> kSystemKeys{"chip", "levels", "chips", "collectives"};
}  // namespace

bool isSystemKey(std::string_view key) {
  return std::find(kSystemKeys.begin(), kSystemKeys.end(), key) != kSystemKeys.end();
}

void routeAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                      std::vector<std::string>& scenario) {
  static const std::vector<std::string> kScenarioKeys{
      "model",  "phase",     "batch",  "prompt_tokens", "output_tokens", "kv_length",
      "dtypes", "attention", "fusion", "parallel",      "placement",     "software"};
  for (const std::string& set : sets) {
    if (set.find('=') == std::string::npos) {
      throw ConfigError(Location{"--set " + set, 0, 0}, set,
                        "expected key=value (e.g. --set chip.memory.hbm.channels=40)");
    }
    const std::string key = set.substr(0, set.find_first_of(".?="));
    if (key == "system" || key == "scenario") {
      (key == "system" ? system : scenario).push_back(set.substr(key.size() + 1));
    } else if (isSystemKey(key)) {
      system.push_back(set);
    } else if (std::find(kScenarioKeys.begin(), kScenarioKeys.end(), key) != kScenarioKeys.end()) {
      scenario.push_back(set);
    } else {
      // The chip's own keys live under chip. in a system.
      static const std::vector<std::string> kChipKeys{"clock",        "compute",   "memory",
                                                      "interconnect", "execution", "power"};
      if (std::find(kChipKeys.begin(), kChipKeys.end(), key) != kChipKeys.end()) {
        throw ConfigError(Location{"--set " + set, 0, 0}, key,
                          fmt::format("'{}' is a key of the chip: write --set chip.{}", key, set));
      }
      std::vector<std::string> all = kSystemKeys;
      all.insert(all.end(), kScenarioKeys.begin(), kScenarioKeys.end());
      std::string hint = didYouMean(key, all);
      if (hint.empty()) {  // a shortened key: kv_len for kv_length
        for (const std::string& k : all) {
          if (k.size() > key.size() && k.compare(0, key.size(), key) == 0) {
            hint = fmt::format("; did you mean '{}'?", k);
            break;
          }
        }
      }
      throw ConfigError(
          Location{"--set " + set, 0, 0}, key,
          "not a key of the system or the scenario (prefix it with system. or scenario.)" + hint);
    }
  }
}

CheckResult checkFile(const Catalog& catalog, const std::string& path) {
  Diagnostics diags;
  if (isJson(path)) {
    const ModelSpec model = readModel(importHfConfig(path), "", diags);
    diags.throwIfAny();
    return {fmt::format("model {} (Hugging Face config)", model.name), diags.warnings()};
  }
  ConfigNode document = loadYamlFile(path);
  if (const ConfigNode* kind = document.isMap() ? document.find("kind") : nullptr;
      kind != nullptr && kind->isScalar() && kind->scalar() == "run") {
    const LoadedRun run = loadRunFile(catalog, path, {}, {});
    std::vector<Diagnostic> warnings = run.system.warnings;
    warnings.insert(warnings.end(), run.scenario.warnings.begin(), run.scenario.warnings.end());
    return {fmt::format("run {} on {}", run.scenario.spec.name, run.system.spec.name), warnings};
  }
  switch (documentKind(document)) {
    case DocKind::kChip: {
      const ConfigNode resolved = catalog.resolveBase(DocKind::kChip, std::move(document), path);
      const ChipSpec chip = readChip(resolved, "", diags);
      diags.throwIfAny();
      return {fmt::format("chip {}", chip.name), diags.warnings()};
    }
    case DocKind::kSystem: {
      const LoadedSystem system = loadSystemFile(catalog, path, {});
      return {fmt::format("system {} ({} x {})", system.spec.name, system.spec.chipCount(),
                          system.spec.chip.name),
              system.warnings};
    }
    case DocKind::kModel: {
      const ConfigNode resolved = catalog.resolveBase(DocKind::kModel, std::move(document), path);
      const ModelSpec model = readModel(resolved, "", diags);
      diags.throwIfAny();
      return {fmt::format("model {}", model.name), diags.warnings()};
    }
    case DocKind::kSoftware: {
      const ConfigNode resolved =
          catalog.resolveBase(DocKind::kSoftware, std::move(document), path);
      const SoftwareSpec software = readSoftware(resolved, "", diags);
      diags.throwIfAny();
      return {fmt::format("software {}", software.name), diags.warnings()};
    }
    case DocKind::kScenario: {
      const LoadedScenario scenario = loadScenarioFile(catalog, path, {});
      return {fmt::format("scenario {} ({} {})", scenario.spec.name, scenario.spec.model.name,
                          phaseName(scenario.spec.phase)),
              scenario.warnings};
    }
  }
  return {};
}

}  // namespace archsim::spec
