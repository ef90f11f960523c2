#include "sim/app/commands.h"

#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/app/describe.h"
#include "sim/core/atomic_file.h"
#include "sim/graph/dot.h"
#include "sim/graph/summary.h"
#include "sim/exec/system_run.h"
#include "sim/map/parallel.h"
#include "sim/spec/units.h"
#include "sim/report/run_report.h"
#include "sim/spec/loader.h"
#include "sim/spec/suggest.h"

namespace archsim::app {

void printWarnings(const std::vector<Diagnostic>& warnings, std::ostream& err) {
  for (const Diagnostic& d : warnings) err << d.str("warning") << '\n';
}

int runCheck(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
             std::ostream& err) {
  int status = 0;
  for (const std::string& file : files) {
    try {
      const spec::CheckResult result = spec::checkFile(catalog, file);
      printWarnings(result.warnings, err);
      out << "ok: " << file << ": " << result.summary << '\n';
    } catch (const ConfigError& e) {
      for (const Diagnostic& d : e.diagnostics()) err << d.str() << '\n';
      status = 2;
    }
  }
  return status;
}

int runDescribe(const spec::Catalog& catalog, const DescribeOptions& options, std::ostream& out,
                std::ostream& err) {
  const spec::LoadedSystem system = spec::loadSystem(catalog, options.system, options.sets);
  printWarnings(system.warnings, err);
  if (options.json) {
    out << describeJson(system.spec).dump(2) << '\n';
  } else {
    describeText(system.spec, out);
  }
  return 0;
}

int runGraph(const spec::Catalog& catalog, const GraphOptions& options, std::ostream& out, std::ostream& err) {
  const spec::LoadedScenario loaded = spec::loadScenario(catalog, options.scenario, options.sets);
  printWarnings(loaded.warnings, err);
  const graph::Workload workload(loaded.spec);
  const graph::WorkloadSummary summary = graph::summarize(workload);
  if (options.dot_file) {
    // The graph that runs most: decode when there is one, else prefill.
    const graph::Run& run = workload.runs().back();
    std::ostringstream dot;
    graph::writeDot(*run.graph, run.kv_last, dot);
    try {
      writeFileAtomically(*options.dot_file, dot.str());
    } catch (const OutputError& e) {
      throw ConfigError(Location{"--dot " + *options.dot_file, 0, 0}, "", e.what());
    }
  }
  if (options.json) {
    out << graph::summaryJson(workload, summary).dump(2) << '\n';
  } else {
    graph::printSummary(workload, summary, out);
    if (options.dot_file) out << "wrote " << *options.dot_file << '\n';
  }
  return 0;
}

namespace {
struct Pair {
  spec::LoadedSystem system;
  spec::LoadedScenario scenario;
};
/// Loads a system and a scenario with --set assignments routed to each; prints their warnings.
Pair loadPair(const spec::Catalog& catalog, const std::string& system, const std::string& scenario,
              const std::vector<std::string>& sets, std::ostream& err) {
  std::vector<std::string> system_sets;
  std::vector<std::string> scenario_sets;
  routeAssignments(sets, system_sets, scenario_sets);
  Pair p{spec::loadSystem(catalog, system, system_sets), spec::loadScenario(catalog, scenario, scenario_sets)};
  printWarnings(p.system.warnings, err);
  printWarnings(p.scenario.warnings, err);
  return p;
}
}  // namespace

/// Writes stats.json into `dir` (created), atomically; a failure is an input error naming --out.
void writeStats(const std::filesystem::path& dir, const std::string& stats) {
  try {
    std::filesystem::create_directories(dir);
    writeFileAtomically(dir / "stats.json", stats);
  } catch (const std::filesystem::filesystem_error& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
}

int runFit(const spec::Catalog& catalog, const FitOptions& options, std::ostream& out, std::ostream& err) {
  const Pair loaded = loadPair(catalog, options.system, options.scenario, options.sets, err);
  const spec::LoadedSystem& system = loaded.system;
  const spec::LoadedScenario& scenario = loaded.scenario;
  const spec::SystemSpec& sys = system.spec;
  const spec::ScenarioSpec& sc = scenario.spec;
  // Among equally small plans, tensor parallelism stays inside the innermost level (8 for a bare chip).
  const std::uint32_t node = sys.levels.empty() ? 8 : sys.levels.front().size;
  const map::FitResult fit = map::fit(sys.chip, sc, options.level, node);
  const map::ParallelLayout& layout = fit.layout;
  std::uint64_t fewest = UINT64_MAX, most = 0, peak = 0;
  for (std::size_t i = 0; i < layout.stages.size(); ++i) {
    const map::StageLayers& st = layout.stages[i];
    fewest = std::min(fewest, st.end_layer - st.first_layer);
    most = std::max(most, st.end_layer - st.first_layer);
    peak = std::max(peak, fit.stage_bytes[i]);
  }
  const std::uint64_t have = sys.chipCount();
  if (options.json) {
    nlohmann::ordered_json j;
    j["system"] = sys.name;
    j["chip"] = sys.chip.name;
    j["scenario"] = sc.name;
    j["model"] = sc.model.name;
    j["level"] = fit.level;
    j["level_bytes_per_chip"] = fit.level_bytes;
    j["model_bytes_on_one_chip"] = fit.model_bytes;
    j["chips"] = fit.chips;
    j["plan"] = {{"tp", layout.plan.tp}, {"pp", layout.plan.pp}, {"dp", 1}};
    nlohmann::ordered_json stages = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < layout.stages.size(); ++i) {
      const map::StageLayers& st = layout.stages[i];
      stages.push_back({{"layers", {st.first_layer, st.end_layer}},
                        {"embedding", st.embedding},
                        {"head", st.head},
                        {"bytes_per_chip", fit.stage_bytes[i]}});
    }
    j["stages"] = std::move(stages);
    nlohmann::ordered_json tried = nlohmann::ordered_json::object();
    for (const auto& [tp, chips] : fit.candidates) tried[fmt::format("tp{}", tp)] = chips == 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(chips);
    j["chips_by_tp"] = std::move(tried);
    j["system_chips"] = have;
    j["fits_system"] = fit.chips <= have;
    out << j.dump(2) << '\n';
    return 0;
  }
  auto size = [](std::uint64_t b) { return spec::formatQuantity(static_cast<double>(b), spec::Dimension::kSize); };
  out << fmt::format("fit {} ({}) on {}: memory level {}, {} per chip\n", sc.name, sc.model.name, sys.chip.name,
                     fit.level, size(fit.level_bytes));
  out << fmt::format("  the whole model on one chip needs {} (weights, KV cache for batch {} x {} tokens, "
                     "activations)\n",
                     size(fit.model_bytes), sc.batch, std::max<std::uint64_t>(1, graph::Workload(sc).finalKvLength()));
  out << fmt::format("  fewest chips: {} — plan tp {} x pp {}", fit.chips, layout.plan.tp, layout.plan.pp);
  if (layout.plan.pp > 1) {
    out << fmt::format(" (stages of {}{} layers; the embedding on the first, the head on the last)",
                       fewest == most ? "" : fmt::format("{}-", fewest), most);
  }
  out << '\n';
  out << fmt::format("  fullest chip: {:.1f} MB of {:.1f} MB ({:.1f}%)\n", static_cast<double>(peak) / 1e6,
                     static_cast<double>(fit.level_bytes) / 1e6,
                     100.0 * static_cast<double>(peak) / static_cast<double>(fit.level_bytes));
  out << "  chips by tensor-parallel degree:";
  for (const auto& [tp, chips] : fit.candidates) out << fmt::format(" tp{} {}", tp, chips == 0 ? "-" : std::to_string(chips));
  out << '\n';
  if (have > 1 || !sys.levels.empty()) {
    out << fmt::format("  system {} has {} chips: {}\n", sys.name, have,
                       fit.chips <= have ? "enough" : fmt::format("too few (it needs {} more)", fit.chips - have));
  }
  return 0;
}

void routeAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                      std::vector<std::string>& scenario) {
  static const std::vector<std::string> kSystemKeys{"chip", "levels", "chips"};
  static const std::vector<std::string> kScenarioKeys{"model",  "phase",     "batch",    "prompt_tokens",
                                                      "output_tokens", "kv_length", "dtypes", "attention",
                                                      "fusion", "parallel",  "placement", "software"};
  for (const std::string& set : sets) {
    const std::string key = set.substr(0, set.find_first_of(".="));
    if (key == "system" || key == "scenario") {
      (key == "system" ? system : scenario).push_back(set.substr(key.size() + 1));
    } else if (std::find(kSystemKeys.begin(), kSystemKeys.end(), key) != kSystemKeys.end()) {
      system.push_back(set);
    } else if (std::find(kScenarioKeys.begin(), kScenarioKeys.end(), key) != kScenarioKeys.end()) {
      scenario.push_back(set);
    } else {
      std::vector<std::string> all = kSystemKeys;
      all.insert(all.end(), kScenarioKeys.begin(), kScenarioKeys.end());
      throw ConfigError(Location{"--set " + set, 0, 0}, key,
                        "not a key of the system or the scenario (prefix it with system. or scenario.)" +
                            spec::didYouMean(key, all));
    }
  }
}

int runRun(const spec::Catalog& catalog, const RunOptions& options, std::ostream& out, std::ostream& err) {
  const Pair loaded = loadPair(catalog, options.system, options.scenario, options.sets, err);
  const spec::LoadedSystem& system = loaded.system;
  const spec::LoadedScenario& scenario = loaded.scenario;
  exec::SystemRun run(system.spec, scenario.spec);
  for (const std::string& w : run.result().warnings) err << "warning: " << w << '\n';
  const std::string stats = report::statsJson(run).dump(2) + "\n";
  const std::filesystem::path dir =
      options.out_dir ? std::filesystem::path(*options.out_dir)
                      : std::filesystem::path("reports") / (scenario.spec.name + "-on-" + system.spec.name);
  writeStats(dir, stats);
  if (options.json) {
    out << stats;
  } else {
    report::printRunSummary(run, out);
    out << "wrote " << (dir / "stats.json").string() << '\n';
  }
  return 0;
}

std::vector<std::string> canonicalComparison() {
  return {"dgx-h100:llama2-70b-w8-decode-tp8", "groq-576:llama2-70b-w8-decode-auto", "h100-sxm5:gpt2-w8-decode",
          "groqchip:gpt2-w8-decode"};
}

int runCompare(const spec::Catalog& catalog, const CompareOptions& options, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> pairs = options.pairs.empty() ? canonicalComparison() : options.pairs;
  // Load everything first: a bad pair fails before anything runs.
  std::vector<Pair> loaded;
  for (const std::string& pair : pairs) {
    const auto colon = pair.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) {
      throw ConfigError(Location{"<command line>", 0, 0}, "",
                        fmt::format("expected SYSTEM:SCENARIO (e.g. dgx-h100:llama2-70b-decode), got '{}'", pair));
    }
    loaded.push_back(loadPair(catalog, pair.substr(0, colon), pair.substr(colon + 1), options.sets, err));
  }
  const std::filesystem::path root = options.out_dir ? std::filesystem::path(*options.out_dir)
                                                     : std::filesystem::path("reports") / "compare";
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  std::string table = fmt::format("{:<15} {:<28} {:>5} {:>11} {:>14} {:>12} {:>13}  {}\n", "system", "scenario", "chips",
                                  "memory", "tokens/s/user", "tpot", "energy/token", "binding resource");
  for (const Pair& p : loaded) {
    const exec::SystemRun run(p.system.spec, p.scenario.spec);
    for (const std::string& w : run.result().warnings) err << "warning: " << p.system.spec.name << ": " << w << '\n';
    const std::filesystem::path dir = root / (p.scenario.spec.name + "-on-" + p.system.spec.name);
    writeStats(dir, report::statsJson(run).dump(2) + "\n");
    const exec::Metrics& m = run.result().metrics;
    auto opt = [](const std::optional<double>& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
    rows.push_back({{"system", p.system.spec.name},
                    {"scenario", p.scenario.spec.name},
                    {"plan", run.layout().describe()},
                    {"chips", m.chips},
                    {"memory_bytes", run.memoryBytes()},
                    {"tokens_per_s_per_user", opt(m.tokens_per_s_per_user)},
                    {"tpot_s", opt(m.tpot_s)},
                    {"ttft_s", opt(m.ttft_s)},
                    {"energy_per_token_j", opt(m.energy_per_token_j)},
                    {"binding_resource", run.bindingResource()},
                    {"stats", (dir / "stats.json").string()}});
    auto num = [](const std::optional<double>& v, spec::Dimension d) {
      return v ? spec::formatQuantity(*v, d) : std::string("-");
    };
    table += fmt::format("{:<15} {:<28} {:>5} {:>11} {:>14} {:>12} {:>13}  {}\n", p.system.spec.name,
                         p.scenario.spec.name, m.chips,
                         spec::formatQuantity(static_cast<double>(run.memoryBytes()), spec::Dimension::kSize),
                         m.tokens_per_s_per_user ? fmt::format("{:.4g}", *m.tokens_per_s_per_user) : "-",
                         num(m.tpot_s, spec::Dimension::kTime), num(m.energy_per_token_j, spec::Dimension::kEnergy),
                         run.bindingResource());
  }
  if (options.json) {
    out << rows.dump(2) << '\n';
  } else {
    out << table << "wrote " << root.string() << "/*/stats.json\n";
  }
  return 0;
}

}  // namespace archsim::app
