#include "sim/spec/loader.h"

#include <fmt/format.h>

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

bool isJson(std::string_view ref) { return ref.size() > 5 && ref.substr(ref.size() - 5) == ".json"; }

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
    ref->assignValue(kind == DocKind::kModel ? loadModelRef(catalog, ref->scalar(), ref->location(), dir)
                                             : catalog.load(kind, ref->scalar(), ref->location(), dir));
  } else if (ref->isMap()) {
    // Inline: a full description, or `base:` plus overrides. `kind` may be omitted.
    ConfigNode inline_doc = *ref;
    if (inline_doc.find("kind") == nullptr) {
      inline_doc.set("kind", ConfigNode::makeScalar(std::string(docKindName(kind)), ref->location()),
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

/// Applies the --set assignments that replace the reference key itself (`model=llama2-13b`) when
/// `references` is true, or all the others (`model.layers=2`) when it is false. References go
/// first, so the later ones address the document they name.
void applyAssignments(ConfigNode& resolved, const std::vector<std::string>& assignments,
                      std::string_view reference_key, bool references) {
  Diagnostics diags;
  for (const std::string& assignment : assignments) {
    const bool is_reference = assignment.rfind(std::string(reference_key) + "=", 0) == 0;
    if (is_reference != references) continue;
    try {
      applyAssignment(resolved, assignment, Location{"--set " + assignment, 0, 0});
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
  throw ConfigError(kCommandLine, "",
                    fmt::format("'{}' is neither a file nor {}{}", ref, what, didYouMean(ref, names)));
}

LoadedScenario loadScenarioFile(const Catalog& catalog, const fs::path& file,
                                const std::vector<std::string>& assignments) {
  ConfigNode resolved = catalog.resolveBase(DocKind::kScenario, loadYamlFile(file), file);
  applyAssignments(resolved, assignments, "model", true);
  inlineReference(catalog, resolved, "model", DocKind::kModel, file);
  applyAssignments(resolved, assignments, "model", false);
  Diagnostics diags;
  ScenarioSpec spec = readScenario(resolved, diags);
  diags.throwIfAny();
  return LoadedScenario{std::move(spec), std::move(resolved), diags.warnings()};
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
    applyAssignments(resolved, assignments, "chip", true);
    inlineReference(catalog, resolved, "chip", DocKind::kChip, file);
  }
  applyAssignments(resolved, assignments, "chip", false);
  Diagnostics diags;
  SystemSpec spec = readSystem(resolved, diags);
  diags.throwIfAny();
  return LoadedSystem{std::move(spec), std::move(resolved), diags.warnings()};
}

LoadedSystem loadSystem(const Catalog& catalog, std::string_view ref,
                        const std::vector<std::string>& assignments) {
  if (Catalog::looksLikePath(ref)) {
    return loadSystemFile(catalog, catalog.resolve(DocKind::kSystem, ref, kCommandLine, {}), assignments);
  }
  if (auto system = catalog.findPreset(DocKind::kSystem, ref)) return loadSystemFile(catalog, *system, assignments);
  if (auto chip = catalog.findPreset(DocKind::kChip, ref)) return loadSystemFile(catalog, *chip, assignments);
  unknownPreset(catalog, ref, {DocKind::kSystem, DocKind::kChip}, "a system or chip preset");
}

LoadedScenario loadScenario(const Catalog& catalog, std::string_view ref,
                            const std::vector<std::string>& assignments) {
  if (Catalog::looksLikePath(ref)) {
    return loadScenarioFile(catalog, catalog.resolve(DocKind::kScenario, ref, kCommandLine, {}), assignments);
  }
  if (auto scenario = catalog.findPreset(DocKind::kScenario, ref)) {
    return loadScenarioFile(catalog, *scenario, assignments);
  }
  unknownPreset(catalog, ref, {DocKind::kScenario}, "a scenario preset");
}

CheckResult checkFile(const Catalog& catalog, const std::string& path) {
  Diagnostics diags;
  if (isJson(path)) {
    const ModelSpec model = readModel(importHfConfig(path), "", diags);
    diags.throwIfAny();
    return {fmt::format("model {} (Hugging Face config)", model.name), diags.warnings()};
  }
  ConfigNode document = loadYamlFile(path);
  switch (documentKind(document)) {
    case DocKind::kChip: {
      const ConfigNode resolved = catalog.resolveBase(DocKind::kChip, std::move(document), path);
      const ChipSpec chip = readChip(resolved, "", diags);
      diags.throwIfAny();
      return {fmt::format("chip {}", chip.name), diags.warnings()};
    }
    case DocKind::kSystem: {
      const LoadedSystem system = loadSystemFile(catalog, path, {});
      return {fmt::format("system {} ({} x {})", system.spec.name, system.spec.chipCount(), system.spec.chip.name),
              system.warnings};
    }
    case DocKind::kModel: {
      const ConfigNode resolved = catalog.resolveBase(DocKind::kModel, std::move(document), path);
      const ModelSpec model = readModel(resolved, "", diags);
      diags.throwIfAny();
      return {fmt::format("model {}", model.name), diags.warnings()};
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
