#include "sim/app/app.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/app/describe.h"
#include "sim/core/error.h"
#include "sim/spec/catalog.h"
#include "sim/spec/loader.h"

namespace archsim::app {
namespace fs = std::filesystem;
namespace {

void printDiagnostics(const ConfigError& e, std::ostream& err) {
  for (const Diagnostic& d : e.diagnostics())
    err << d.str() << '\n';
  if (e.diagnostics().size() > 1) err << e.diagnostics().size() << " errors\n";
}

int check(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
          std::ostream& err) {
  int status = 0;
  for (const std::string& file : files) {
    try {
      const std::string summary = spec::checkFile(catalog, file);
      out << "ok: " << file << ": " << summary << '\n';
    } catch (const ConfigError& e) {
      printDiagnostics(e, err);
      status = 2;
    }
  }
  return status;
}

}  // namespace

std::vector<fs::path> presetRoots(const std::optional<std::string>& flag, const Context& context) {
  std::vector<fs::path> roots;
  if (flag) roots.emplace_back(*flag);
  if (context.presets_env && !context.presets_env->empty())
    roots.emplace_back(*context.presets_env);
  if (!context.executable.empty()) {
    const fs::path dir = context.executable.parent_path();
    roots.push_back(dir / "..");
    roots.push_back(dir / ".." / "share" / "archsim");
  }
  roots.emplace_back(fs::path(ARCHSIM_SOURCE_DIR));
  return roots;
}

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        const Context& context) {
  CLI::App app{
      "archsim: a discrete-event simulator of AI accelerators running transformer workloads",
      "archsim"};
  app.set_version_flag("--version", std::string("archsim ") + ARCHSIM_VERSION);
  app.require_subcommand(1);
  std::optional<std::string> presets_dir;
  app.add_option("--presets", presets_dir,
                 "folder with configs/ and workloads/ presets, searched first");

  std::vector<std::string> check_files;
  CLI::App* check_cmd =
      app.add_subcommand("check", "validate chip and system files; exit 2 listing every error");
  check_cmd->add_option("files", check_files, "chip or system YAML files")->required();

  std::string describe_ref;
  std::vector<std::string> describe_sets;
  bool describe_json = false;
  CLI::App* describe_cmd = app.add_subcommand(
      "describe", "peak throughput, memory levels, roofline knees and links of a system or chip");
  describe_cmd->add_option("system", describe_ref, "system or chip: a preset name or a YAML file")
      ->required();
  describe_cmd->add_option("--set", describe_sets,
                           "override a key: path.to.key=value (repeatable)");
  describe_cmd->add_flag("--json", describe_json, "print JSON to stdout instead of text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }

  try {
    const spec::Catalog catalog(presetRoots(presets_dir, context));
    if (check_cmd->parsed()) return check(catalog, check_files, out, err);
    if (describe_cmd->parsed()) {
      const spec::LoadedSystem system = spec::loadSystem(catalog, describe_ref, describe_sets);
      if (describe_json) {
        out << describeJson(system.spec).dump(2) << '\n';
      } else {
        describeText(system.spec, out);
      }
      return 0;
    }
  } catch (const ConfigError& e) {
    printDiagnostics(e, err);
    return 2;
  } catch (const Panic& e) {
    err << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    err << "internal error: " << e.what() << '\n';
    return 1;
  }
  return 1;
}

}  // namespace archsim::app
