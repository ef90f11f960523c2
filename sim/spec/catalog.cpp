#include "sim/spec/catalog.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sim/spec/suggest.h"

namespace archsim::spec {
namespace fs = std::filesystem;

namespace {

constexpr NameTable<DocKind, 5> kDocKindFolders{{{"configs/chips", DocKind::kChip},
                                                 {"configs/systems", DocKind::kSystem},
                                                 {"configs/software", DocKind::kSoftware},
                                                 {"workloads/models", DocKind::kModel},
                                                 {"workloads/scenarios", DocKind::kScenario}}};

}  // namespace

std::string_view docKindName(DocKind k) {
  return nameOf(kDocKindNames, k);
}

std::string_view docKindFolder(DocKind k) {
  return nameOf(kDocKindFolders, k);
}

std::string docKindPlural(DocKind k) {
  const std::string name(docKindName(k));
  return k == DocKind::kSoftware ? name : name + "s";
}

Catalog::Catalog(std::vector<fs::path> roots) {
  for (auto& root : roots) {
    std::error_code ec;
    fs::path normal = fs::weakly_canonical(root, ec);
    roots_.push_back(ec ? root.lexically_normal() : normal);
  }
}

std::optional<fs::path> Catalog::findPreset(DocKind kind, std::string_view name) const {
  if (name.empty() || looksLikePath(name)) return std::nullopt;
  for (const auto& root : roots_) {
    const fs::path candidate = root / docKindFolder(kind) / (std::string(name) + ".yaml");
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

std::vector<std::string> Catalog::presetNames(DocKind kind) const {
  std::set<std::string> names;
  for (const auto& root : roots_) {
    std::error_code ec;
    const fs::path dir = root / docKindFolder(kind);
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".yaml") names.insert(entry.path().stem().string());
    }
  }
  return {names.begin(), names.end()};
}

bool Catalog::looksLikePath(std::string_view ref) {
  const auto ends_with = [&](std::string_view suffix) {
    return ref.size() >= suffix.size() && ref.substr(ref.size() - suffix.size()) == suffix;
  };
  return ref.find('/') != std::string_view::npos || ends_with(".yaml") || ends_with(".yml") ||
         ends_with(".json");
}

fs::path Catalog::resolve(DocKind kind, std::string_view ref, const Location& where,
                          const fs::path& relative_to) const {
  if (looksLikePath(ref)) {
    fs::path p(ref);
    if (p.is_relative() && !relative_to.empty()) p = relative_to / p;
    std::error_code ec;
    if (!fs::exists(p, ec))
      throw ConfigError(where, "", fmt::format("file '{}' does not exist", p.string()));
    return p;
  }
  if (auto preset = findPreset(kind, ref)) return *preset;
  for (DocKind other : kAllDocKinds) {
    if (other != kind && findPreset(other, ref)) {
      throw ConfigError(where, "",
                        fmt::format("'{}' is a {} preset, but a {} is expected here", ref,
                                    docKindName(other), docKindName(kind)));
    }
  }
  throw ConfigError(where, "",
                    fmt::format("unknown {} preset '{}'{}", docKindName(kind), ref,
                                didYouMean(ref, presetNames(kind))));
}

DocKind documentKind(const ConfigNode& document) {
  if (!document.isMap()) {
    throw ConfigError(
        document.location(), "",
        fmt::format("expected a mapping at the top level, got {}", document.kindName()));
  }
  const auto names = namesOf(kDocKindNames);
  std::string choices;
  for (std::size_t i = 0; i < names.size(); ++i)
    choices += std::string(i == 0                  ? ""
                           : i + 1 == names.size() ? " or "
                                                   : ", ") +
               std::string(names[i]);
  const ConfigNode* kind = document.find("kind");
  if (kind == nullptr) {
    throw ConfigError(document.location(), "kind", "required key is missing (" + choices + ")");
  }
  if (kind->isScalar()) {
    if (const auto k = valueOf(kDocKindNames, kind->scalar())) return *k;
  }
  const std::string value = kind->isScalar() ? kind->scalar() : std::string(kind->kindName());
  throw ConfigError(
      kind->location(), "kind",
      fmt::format("unknown document kind '{}' ({}){}", value, choices, didYouMean(value, names)));
}

ConfigNode Catalog::load(DocKind kind, std::string_view ref, const Location& where,
                         const fs::path& relative_to) const {
  return loadFile(kind, resolve(kind, ref, where, relative_to));
}

ConfigNode Catalog::loadFile(DocKind kind, const fs::path& file) const {
  std::vector<fs::path> chain;
  return loadChained(kind, file, chain);
}

ConfigNode Catalog::resolveBase(DocKind kind, ConfigNode document, const fs::path& file) const {
  std::vector<fs::path> chain;
  std::error_code ec;
  if (!file.empty()) chain.push_back(fs::weakly_canonical(file, ec));
  return resolveChained(kind, std::move(document), file, chain);
}

ConfigNode Catalog::loadChained(DocKind kind, const fs::path& file,
                                std::vector<fs::path>& chain) const {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(file, ec);
  ConfigNode document = loadYamlFile(file);
  chain.push_back(canonical);
  return resolveChained(kind, std::move(document), file, chain);
}

ConfigNode Catalog::resolveChained(DocKind kind, ConfigNode document, const fs::path& file,
                                   std::vector<fs::path>& chain) const {
  const DocKind actual = documentKind(document);
  if (actual != kind) {
    throw ConfigError(document.find("kind")->location(), "kind",
                      fmt::format("expected a {} description here, but this file is a {}",
                                  docKindName(kind), docKindName(actual)));
  }
  const ConfigNode* base = document.find("base");
  if (base == nullptr) return document;
  if (!base->isScalar() || base->scalar().empty()) {
    throw ConfigError(base->location(), "base", "expected the name of a preset or a file path");
  }
  const Location where = base->location();
  const fs::path base_file = resolve(kind, base->scalar(), where, file.parent_path());
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(base_file, ec);
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::string cycle;
    for (const auto& p : chain)
      cycle += p.filename().string() + " -> ";
    throw ConfigError(where, "base",
                      fmt::format("cyclic base: {}{}", cycle, canonical.filename().string()));
  }
  if (chain.size() >= kMaxBaseDepth) {
    throw ConfigError(
        where, "base",
        fmt::format("a chain of more than {} bases (README \"Limits\")", kMaxBaseDepth));
  }
  // A device or FIFO may never end; a folder has no text.
  if (!fs::is_regular_file(base_file, ec)) {
    throw ConfigError(where, "base",
                      fmt::format("'{}' is not a regular file (a folder, device, FIFO or socket)",
                                  base_file.string()));
  }
  ConfigNode merged = loadChained(kind, base_file, chain);
  chain.pop_back();
  document.erase("base");
  document.stampLayer(merged.maxLayer() + 1);
  mergeInto(merged, document);
  return merged;
}

}  // namespace archsim::spec
