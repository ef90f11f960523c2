#include "sim/app/commands.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "sim/app/describe.h"
#include "sim/app/progress.h"
#include "sim/core/atomic_file.h"
#include "sim/graph/dot.h"
#include "sim/graph/summary.h"
#include "sim/map/parallel.h"
#include "sim/run/plan_search.h"
#include "sim/run/system_run.h"
#include "sim/serve/serving_spec.h"
#include "sim/spec/units.h"
#include "sim/validate/calibrate.h"
#include "sim/validate/intervals.h"
#include "sim/validate/validate.h"
#ifdef ARCHSIM_HAVE_MPI
#include "sim/app/sweep_mpi.h"
#endif
#include "sim/report/comparison.h"
#include "sim/report/run_record.h"
#include "sim/report/run_report.h"
#include "sim/spec/config_node.h"
#include "sim/spec/loader.h"
#include "sim/spec/suggest.h"
#include "sim/sweep/regress.h"
#include "sim/sweep/sweep_run.h"

namespace archsim::app {

void printWarnings(const std::vector<Diagnostic>& warnings, std::ostream& err) {
  for (const Diagnostic& d : warnings)
    err << d.str("warning") << '\n';
}

int runCheck(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
             std::ostream& err) {
  int status = 0;
  for (const std::string& file : files) {
    try {
      // Sweep and regression files belong to the layer above the specs.
      std::string kind;
      if (!file.ends_with(".json")) {
        const spec::ConfigNode doc = spec::loadYamlFile(file);
        if (const spec::ConfigNode* k = doc.isMap() ? doc.find("kind") : nullptr;
            k != nullptr && k->isScalar()) {
          kind = k->scalar();
        }
      }
      if (kind == "sweep") {
        const sweep::SweepSpec s = sweep::loadSweep(file);
        out << fmt::format("ok: {}: sweep {} ({} points)\n", file, s.name, sweep::points(s).size());
        continue;
      }
      if (kind == "validation") {
        const validate::Suite s = validate::loadSuite(file);
        validate::checkSuite(catalog, s, {});
        out << fmt::format("ok: {}: validation {} ({} cases, {} left out)\n", file, s.name,
                           s.cases.size(), s.left_out.size());
        continue;
      }
      if (kind == "calibration") {
        const validate::Calibration c = validate::loadCalibration(catalog, file);
        out << fmt::format("ok: {}: calibration {} ({} parameters over {} suites)\n", file, c.name,
                           c.parameters.size(), c.suites.size());
        continue;
      }
      if (kind == "serving") {
        const serve::LoadedServing s = serve::loadServing(catalog, file);
        printWarnings(s.warnings, err);
        out << fmt::format("ok: {}: serving {} ({} requests, {} replica(s) of {})\n", file,
                           s.spec.name, s.spec.requests.size(), s.spec.replicas,
                           s.spec.scenario.model.name);
        continue;
      }
      if (kind == "regress") {
        const sweep::RegressManifest m = sweep::loadRegress(file);
        out << fmt::format("ok: {}: regress {} ({} entries)\n", file, m.name, m.entries.size());
        continue;
      }
      const spec::CheckResult result = spec::checkFile(catalog, file);
      printWarnings(result.warnings, err);
      out << "ok: " << file << ": " << result.summary << '\n';
    } catch (const ConfigError& e) {
      for (const Diagnostic& d : e.diagnostics())
        err << d.str() << '\n';
      status = 2;
    }
  }
  return status;
}

int runList(const spec::Catalog& catalog, const std::string& kind, std::ostream& out,
            std::ostream& err) {
  (void)err;
  bool first = true;
  for (spec::DocKind k : spec::kAllDocKinds) {
    const std::string plural = spec::docKindPlural(k);
    if (!kind.empty() && kind != plural) continue;
    const std::vector<std::string> names = catalog.presetNames(k);
    out << (first ? "" : "\n") << plural << " (" << names.size() << "):\n";
    first = false;
    std::size_t width = 0;
    for (const std::string& n : names)
      width = std::max(width, n.size());
    for (const std::string& n : names) {
      std::string description;
      try {
        const auto path = catalog.findPreset(k, n);
        const spec::ConfigNode doc = catalog.resolveBase(k, spec::loadYamlFile(*path), *path);
        if (const spec::ConfigNode* d = doc.find("description"); d != nullptr && d->isScalar())
          description = d->scalar();
      } catch (const ConfigError& e) {
        description = "(invalid: " + e.diagnostics().front().str() + ")";
      }
      out << fmt::format("  {:<{}}  {}\n", n, width, description);
    }
  }
  return 0;
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

int runGraph(const spec::Catalog& catalog, const GraphOptions& options, std::ostream& out,
             std::ostream& err) {
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
  Pair p{spec::loadSystem(catalog, system, system_sets),
         spec::loadScenario(catalog, scenario, scenario_sets)};
  printWarnings(p.system.warnings, err);
  printWarnings(p.scenario.warnings, err);
  return p;
}
}  // namespace

/// Writes stats.json into `dir` (created), atomically; a failure is an input error naming --out.
void writeStats(const std::filesystem::path& dir, const std::string& stats) {
  try {
    claimOutputDirectory(dir);
    writeFileAtomically(dir / "stats.json", stats);
  } catch (const std::filesystem::filesystem_error& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
}

int runFit(const spec::Catalog& catalog, const FitOptions& options, std::ostream& out,
           std::ostream& err) {
  const Pair loaded = loadPair(catalog, options.system, options.scenario, options.sets, err);
  const spec::LoadedSystem& system = loaded.system;
  const spec::LoadedScenario& scenario = loaded.scenario;
  const spec::SystemSpec& sys = system.spec;
  const spec::ScenarioSpec& sc = scenario.spec;
  // Among equally small plans, tensor parallelism stays inside the innermost level (8 for a bare
  // chip).
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
  std::optional<run::PlanChoice> search;
  if (have > 1 && fit.chips <= have) {
    std::optional<spec::PlanObjective> objective;
    for (const auto& [name, o] : spec::kPlanObjectiveNames) {
      if (options.objective && *options.objective == name) objective = o;
    }
    search = run::searchPlan(sys, sc, objective);
  }
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
    for (const auto& [tp, chips] : fit.candidates)
      tried[fmt::format("tp{}", tp)] =
          chips == 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(chips);
    j["chips_by_tp"] = std::move(tried);
    j["system_chips"] = have;
    j["fits_system"] = fit.chips <= have;
    if (search) {
      nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
      for (const run::PlanCandidate& c : search->candidates) {
        candidates.push_back({{"plan", c.layout.describe()},
                              {"chips", c.layout.chips()},
                              {"bound_s", c.bound_s},
                              {"simulated_s", c.simulated_s ? nlohmann::ordered_json(*c.simulated_s)
                                                            : nlohmann::ordered_json(nullptr)},
                              {"status", c.status}});
      }
      j["auto"] = {{"objective", spec::objectiveName(search->objective)},
                   {"max_chips", search->max_chips},
                   {"chosen", search->layout().describe()},
                   {"simulated", search->simulated},
                   {"candidates", std::move(candidates)},
                   {"not_fitting", search->rejected}};
    }
    out << j.dump(2) << '\n';
    return 0;
  }
  auto size = [](std::uint64_t b) {
    return spec::formatQuantity(static_cast<double>(b), spec::Dimension::kSize);
  };
  out << fmt::format("fit {} ({}) on {}: memory level {}, {} per chip\n", sc.name, sc.model.name,
                     sys.chip.name, fit.level, size(fit.level_bytes));
  out << fmt::format(
      "  the whole model on one chip needs {} (weights, KV cache for batch {} x {} tokens, "
      "activations)\n",
      size(fit.model_bytes), sc.batch,
      std::max<std::uint64_t>(1, graph::Workload(sc).finalKvLength()));
  out << fmt::format("  fewest chips: {} — plan tp {} x pp {}", fit.chips, layout.plan.tp,
                     layout.plan.pp);
  if (layout.plan.pp > 1) {
    out << fmt::format(
        " (stages of {}{} layer{}; the embedding on the first, the head on the last)",
        fewest == most ? "" : fmt::format("{}-", fewest), most, most == 1 ? "" : "s");
  }
  out << '\n';
  out << fmt::format("  fullest chip: {} of {} ({:.1f}%)\n",
                     spec::formatSi(static_cast<double>(peak), "B"),
                     spec::formatSi(static_cast<double>(fit.level_bytes), "B"),
                     100.0 * static_cast<double>(peak) / static_cast<double>(fit.level_bytes));
  out << "  chips by tensor-parallel degree:";
  for (const auto& [tp, chips] : fit.candidates)
    out << fmt::format(" tp{} {}", tp, chips == 0 ? "-" : std::to_string(chips));
  out << '\n';
  if (have > 1 || !sys.levels.empty()) {
    out << fmt::format(
        "  system {} has {} chips: {}\n", sys.name, have,
        fit.chips <= have ? "enough" : fmt::format("too few (it needs {} more)", fit.chips - have));
  }
  if (search) {
    out << fmt::format("auto ({}) on {}, at most {} chips: {} plans fit, {} simulated\n",
                       spec::objectiveName(search->objective), sys.name, search->max_chips,
                       search->candidates.size(), search->simulated);
    out << fmt::format("  {:<34} {:>6} {:>12} {:>12}  {}\n", "plan", "chips", "bound", "simulated",
                       "");
    auto time = [](double t) { return spec::formatQuantity(t, spec::Dimension::kTime); };
    for (const run::PlanCandidate& c : search->candidates) {
      out << fmt::format("  {:<34} {:>6} {:>12} {:>12}  {}\n", c.layout.describe(),
                         c.layout.chips(), time(c.bound_s),
                         c.simulated_s ? time(*c.simulated_s) : std::string("-"), c.status);
    }
    for (const std::string& r : search->rejected)
      out << "  does not fit: " << r << '\n';
  }
  return 0;
}

namespace {
std::string utcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}
}  // namespace

std::string overridesSuffix(const std::vector<std::string>& sets) {
  if (sets.empty()) return "";
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the assignments, one a line
  for (const std::string& set : sets) {
    for (const unsigned char c : set + '\n')
      h = (h ^ c) * 1099511628211ULL;
  }
  return fmt::format("-set-{:08x}", static_cast<std::uint32_t>(h ^ (h >> 32)));
}

int runRun(const spec::Catalog& catalog, const RunOptions& options, std::ostream& out,
           std::ostream& err) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::string started = utcNow();
  std::optional<Pair> loaded;
  if (options.scenario.empty()) {
    const std::filesystem::path file(options.system);
    if (!spec::isRunFile(file)) {
      throw ConfigError(
          Location{"<command line>", 0, 0}, "scenario",
          fmt::format("'{}' is not a run file (kind: run, as a run's config.resolved.yaml); give a "
                      "SYSTEM and a SCENARIO",
                      options.system));
    }
    std::vector<std::string> system_sets, scenario_sets;
    routeAssignments(options.sets, system_sets, scenario_sets);
    spec::LoadedRun run = spec::loadRunFile(catalog, file, system_sets, scenario_sets);
    printWarnings(run.system.warnings, err);
    printWarnings(run.scenario.warnings, err);
    loaded.emplace(Pair{std::move(run.system), std::move(run.scenario)});
  } else {
    loaded.emplace(loadPair(catalog, options.system, options.scenario, options.sets, err));
  }
  const spec::LoadedSystem& system = loaded->system;
  const spec::LoadedScenario& scenario = loaded->scenario;
  // The default folder names the scenario and system, and the overrides by a short hash, so runs
  // with different --set values do not land in one folder.
  const std::string default_name =
      scenario.spec.name + "-on-" + system.spec.name + overridesSuffix(options.sets);
  const std::filesystem::path dir =
      options.out_dir ? std::filesystem::path(*options.out_dir)
                      : std::filesystem::path("reports") / safeFileName(default_name);
  // An earlier record of a different run is replaced only with --force (checked before
  // simulating); the same run again simply refreshes it.
  const std::string resolved_yaml = spec::runFileYaml(system, scenario);
  if (!options.force) {
    std::ifstream previous(dir / "config.resolved.yaml", std::ios::binary);
    if (previous) {
      const std::string text((std::istreambuf_iterator<char>(previous)),
                             std::istreambuf_iterator<char>());
      if (text != resolved_yaml) {
        throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "",
                          "holds the record of a different run (its config.resolved.yaml "
                          "differs); pass --force to replace it, or choose another --out");
      }
    }
  }
  ProgressBar progress(err, options.quiet);
  run::SystemRun run(system.spec, scenario.spec, &progress, run::RunOptions{options.exact});
  progress.finish();
  for (const std::string& w : run.result().warnings)
    err << "warning: " << w << '\n';
  report::RunInfo info;
  info.command_line = options.command_line;
  info.version = ARCHSIM_VERSION;
#ifdef ARCHSIM_GIT_HASH
  if (std::string(ARCHSIM_GIT_HASH).size() > 0) info.git_hash = ARCHSIM_GIT_HASH;
#endif
  info.started_utc = started;
  info.host = hostName();
  info.cores = std::thread::hardware_concurrency();
  info.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  // Error bars from the committed validation residuals of the first preset root that has them.
  for (const std::filesystem::path& root : catalog.roots()) {
    if (auto residuals = validate::loadResiduals(root / "reports" / "validation" / "baseline" /
                                                 "validation.json")) {
      info.intervals =
          validate::metricIntervals(*residuals, system.spec.chip.name, scenario.spec.phase,
                                    scenario.spec.batch, run.metrics());
      break;
    }
  }
  const auto files = report::runRecordFiles(run, info, resolved_yaml);
  try {
    writeDirectoryAtomically(dir, files);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
  if (options.json) {
    out << files.front().second;  // stats.json
  } else {
    report::printRunSummary(run, out, info.intervals ? &*info.intervals : nullptr);
    std::vector<std::string> names;
    for (const auto& f : files)
      names.push_back(f.first);
    out << fmt::format("wrote {}/ ({})\n", dir.string(), fmt::join(names, ", "));
  }
  return 0;
}

std::vector<std::string> canonicalComparison() {
  std::vector<std::string> pairs;
  for (const char* scenario : {"llama2-70b-w8-decode-tp8", "gpt2-w8-decode"}) {
    for (const char* system : {"groq-576", "dgx-h100", "hgx-h200"})
      pairs.push_back(std::string(system) + ":" + scenario);
  }
  return pairs;
}

int runCompare(const spec::Catalog& catalog, const CompareOptions& options, std::ostream& out,
               std::ostream& err) {
  const Location command_line{"<command line>", 0, 0};
  std::vector<std::string> pairs;
  std::vector<std::string> systems;
  for (const std::string& item : options.items) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) {
      systems.push_back(item);
    } else if (colon == 0 || colon + 1 == item.size()) {
      throw ConfigError(
          command_line, "",
          fmt::format(
              "expected SYSTEM or SYSTEM:SCENARIO (e.g. dgx-h100:llama2-70b-decode), got '{}'",
              item));
    } else {
      pairs.push_back(item);
    }
  }
  if (!systems.empty() && options.scenarios.empty()) {
    throw ConfigError(
        command_line, "--scenario",
        fmt::format("compare {} on which scenario? Add --scenario NAME (repeatable), or write "
                    "SYSTEM:SCENARIO",
                    fmt::join(systems, ", ")));
  }
  if (systems.empty() && !options.scenarios.empty()) {
    throw ConfigError(command_line, "--scenario",
                      "name the systems to compare (archsim compare SYSTEM... --scenario S)");
  }
  std::vector<std::string> product;  // systems x scenarios first, then the explicit pairs
  for (const std::string& scenario : options.scenarios) {
    for (const std::string& system : systems)
      product.push_back(system + ":" + scenario);
  }
  pairs.insert(pairs.begin(), product.begin(), product.end());
  if (pairs.empty()) pairs = canonicalComparison();

  // Load everything first: a bad pair fails before anything runs.
  std::vector<Pair> loaded;
  for (const std::string& pair : pairs) {
    const auto colon = pair.find(':');
    loaded.push_back(
        loadPair(catalog, pair.substr(0, colon), pair.substr(colon + 1), options.sets, err));
  }
  const std::filesystem::path root = options.out_dir ? std::filesystem::path(*options.out_dir)
                                                     : std::filesystem::path("reports") / "compare";
  std::vector<report::ComparisonRow> rows;
  std::vector<std::pair<std::string, std::string>> files;
  bool failed = false;
  for (const Pair& p : loaded) {
    ProgressBar progress(err, options.quiet);
    std::optional<run::SystemRun> run;
    try {
      run.emplace(p.system.spec, p.scenario.spec, &progress);
    } catch (const ConfigError& e) {
      // A pair that cannot run (it does not fit, no plan) keeps its column, with the reason.
      progress.finish();
      failed = true;
      report::ComparisonRow row;
      row.system = p.system.spec.name;
      row.chip = p.system.spec.chip.name;
      row.scenario = p.scenario.spec.name;
      row.model = p.scenario.spec.model.name;
      row.error = e.diagnostics().empty() ? e.what() : e.diagnostics().front().message;
      rows.push_back(std::move(row));
      continue;
    }
    progress.finish();
    for (const std::string& w : run->result().warnings)
      err << "warning: " << p.system.spec.name << ": " << w << '\n';
    files.emplace_back(
        "runs/" + safeFileName(p.scenario.spec.name + "-on-" + p.system.spec.name) + "/stats.json",
        report::statsJson(*run).dump(2) + "\n");
    rows.push_back(report::comparisonRow(*run));
  }
  const report::ComparisonOutput tables = report::renderComparison(rows);
  files.emplace_back("comparison.txt", tables.text);
  files.emplace_back("comparison.md", tables.markdown);
  files.emplace_back("comparison.csv", tables.csv);
  files.emplace_back("comparison.json", tables.json);
  files.emplace_back("comparison.html", tables.html);
  try {
    writeDirectoryAtomically(root, files);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + root.string(), 0, 0}, "", e.what());
  }
  if (options.format == "json") {
    out << tables.json;
  } else if (options.format == "csv") {
    out << tables.csv;
  } else if (options.format == "markdown") {
    out << tables.markdown;
  } else {
    out << tables.text;
    out << "wrote " << (root / "comparison.html").string()
        << " (and comparison.md, .csv, .json; runs/*/stats.json)\n";
  }
  return failed ? 1 : 0;  // some pairs could not run: the table shows why
}

int runSweep(const spec::Catalog& catalog, const SweepOptions& options, std::ostream& out,
             std::ostream& err) {
  const auto start = std::chrono::steady_clock::now();
  const sweep::SweepSpec spec = sweep::loadSweep(options.file);
  sweep::SweepOptions run;
  run.out = options.out_dir ? std::filesystem::path(*options.out_dir)
                            : std::filesystem::path("reports") / "sweeps" / safeFileName(spec.name);
  run.jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  run.resume = options.resume;
  run.force = options.force;
  if (options.shard) run.shard = sweep::parseShard(*options.shard);
  if (options.mpi) {
#ifdef ARCHSIM_HAVE_MPI
    bool root = false;
    int ranks = 1;
    const auto results = runSweepMpi(catalog, spec, run, root, ranks);
    if (!root) return 0;
    std::size_t failed = 0;
    for (const sweep::PointResult& r : results)
      failed += !r.ok;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out << fmt::format("sweep {}: {} points ({} ok, {} failed) on {} MPI ranks in {:.2f} s\n",
                       spec.name, results.size(), results.size() - failed, failed, ranks, wall);
    out << "wrote " << (run.out / "results.csv").string() << " (and results.json, results.html)\n";
    return 0;
#else
    throw ConfigError(Location{"--mpi", 0, 0}, "",
                      "this archsim was built without MPI (configure with -DARCHSIM_ENABLE_MPI=ON "
                      "and run under mpirun)");
#endif
  }
  const std::size_t total = sweep::ownedPoints(spec, run.shard).size();
  const bool tty = !options.quiet && &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
  std::size_t finished = 0;
  std::vector<sweep::PointResult> results;
  try {
    results = sweep::runSweep(catalog, spec, run, [&](const sweep::PointResult&) {
      ++finished;
      if (tty) err << fmt::format("\r[{}/{}] points", finished, total) << std::flush;
    });
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + run.out.string(), 0, 0}, "", e.what());
  }
  if (tty) err << "\r\033[K" << std::flush;
  std::size_t failed = 0;
  for (const sweep::PointResult& r : results) {
    if (!r.ok) {
      ++failed;
      err << fmt::format("point {} failed: {}\n", r.index, r.error);
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format(
      "sweep {}: {} points{} ({} ok, {} failed, {} resumed) on {} thread{} in {:.2f} s\n",
      spec.name, results.size(),
      run.shard.n > 1 ? fmt::format(" of shard {}/{}", run.shard.k, run.shard.n) : std::string(),
      results.size() - failed, failed, results.size() - finished, run.jobs,
      run.jobs == 1 ? "" : "s", wall);
  out << "wrote " << (run.out / "results.csv").string() << " (and results.json, results.html)\n";
  return failed > 0 ? 1 : 0;  // the points that ran are written; the failures are in their rows
}

int runMerge(const std::vector<std::string>& dirs, const std::string& out_dir, std::ostream& out,
             std::ostream& err) {
  (void)err;
  std::vector<std::filesystem::path> paths(dirs.begin(), dirs.end());
  std::size_t n = 0;
  try {
    n = sweep::merge(paths, out_dir);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + out_dir, 0, 0}, "", e.what());
  }
  out << fmt::format("merged {} points from {} folders into {}\n", n, dirs.size(), out_dir);
  return 0;
}

int runRegress(const spec::Catalog& catalog, const RegressOptions& options, std::ostream& out,
               std::ostream& err) {
  (void)err;
  const sweep::RegressManifest manifest = sweep::loadRegress(options.manifest);
  sweep::RegressOptions run;
  run.update = options.update;
  run.sets = options.sets;
  run.jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  bool failed = false;
  std::vector<sweep::RegressRow> rows;
  try {
    rows = sweep::regress(catalog, manifest, run, failed);
  } catch (const OutputError& e) {
    throw ConfigError(Location{manifest.baselines.string(), 0, 0}, "", e.what());
  }
  out << sweep::regressTable(rows);
  std::size_t bad = 0, changed = 0;
  for (const sweep::RegressRow& r : rows) {
    bad += r.status != "ok" && r.status != "updated" && r.status != "unchanged";
    changed += r.status == "updated";
  }
  if (options.update) {
    out << fmt::format("regress {}: updated {} of {} baseline values in {}\n", manifest.name,
                       changed, rows.size(), manifest.baselines.string());
    return failed ? 1 : 0;
  }
  out << fmt::format("regress {}: {} entries, {} metrics, {}\n", manifest.name,
                     manifest.entries.size(), rows.size(),
                     failed ? fmt::format("{} FAILED", bad) : std::string("all within tolerance"));
  return failed ? 1 : 0;
}

int runDiff(const std::string& a, const std::string& b, std::ostream& out, std::ostream& err) {
  (void)err;
  auto load = [](const std::string& ref) {
    std::filesystem::path p(ref);
    if (std::filesystem::is_directory(p)) p /= "stats.json";
    const std::string text = spec::readInputFile(p, "a stats.json file or a run folder");
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("metrics") || !j["metrics"].is_object())
      throw ConfigError(Location{p.string(), 0, 0}, "", "not a stats.json document");
    return j;
  };
  const nlohmann::json ja = load(a), jb = load(b);
  // Flattened figures: the metrics, energy, and the breakdowns by bound and op kind. Whatever a
  // hand-edited file holds, only objects are walked (a missing or mistyped part shows as '-').
  const nlohmann::json none;
  auto flatten = [&none](const nlohmann::json& j) {
    auto member = [&none](const nlohmann::json& o, const char* key) -> const nlohmann::json& {
      if (!o.is_object()) return none;
      const auto it = o.find(key);
      return it == o.end() ? none : *it;
    };
    std::vector<std::pair<std::string, nlohmann::json>> flat;
    auto all = [&](const nlohmann::json& o, const std::string& prefix) {
      if (!o.is_object()) return;
      for (const auto& [k, v] : o.items())
        flat.emplace_back(prefix + k, v);
    };
    all(member(j, "metrics"), "metrics.");
    flat.emplace_back("bottleneck.binding_resource",
                      member(member(j, "bottleneck"), "binding_resource"));
    for (const char* k : {"dynamic_j", "static_j", "total_j"})
      flat.emplace_back(std::string("energy.") + k, member(member(j, "energy"), k));
    all(member(member(j, "bottleneck"), "time_by_bound_s"), "time_by_bound_s.");
    all(member(member(j, "breakdown"), "time_by_op_kind_s"), "time_by_op_kind_s.");
    all(member(member(j, "breakdown"), "energy_by_component_j"), "energy_by_component_j.");
    return flat;
  };
  const auto fa = flatten(ja), fb = flatten(jb);
  std::vector<std::string> keys;
  for (const auto& [k, v] : fa)
    keys.push_back(k);
  for (const auto& [k, v] : fb)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  auto find = [](const auto& list, const std::string& key) -> nlohmann::json {
    for (const auto& [k, v] : list)
      if (k == key) return v;
    return nullptr;
  };
  auto show = [](const nlohmann::json& v) {
    if (v.is_null()) return std::string("-");
    if (v.is_number()) return fmt::format("{:.6g}", v.get<double>());
    return v.is_string() ? v.get<std::string>()
                         : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  auto label = [](const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string("?");
  };
  out << fmt::format("A: {} ({} on {})\nB: {} ({} on {})\n", a, label(ja, "scenario"),
                     label(ja, "system"), b, label(jb, "scenario"), label(jb, "system"));
  out << fmt::format("{:<42} {:>14} {:>14} {:>10}\n", "metric", "A", "B", "B/A - 1");
  std::size_t differ = 0;
  for (const std::string& k : keys) {
    const nlohmann::json va = find(fa, k), vb = find(fb, k);
    std::string rel = va == vb ? "" : "changed";
    if (va.is_number() && vb.is_number() && va.get<double>() != 0) {
      rel = fmt::format("{:+.2f}%", 100 * (vb.get<double>() / va.get<double>() - 1));
    }
    differ += va != vb;
    out << fmt::format("{:<42} {:>14} {:>14} {:>10}\n", k, show(va), show(vb), va == vb ? "" : rel);
  }
  out << fmt::format("{} of {} figures differ\n", differ, keys.size());
  return 0;
}

int runValidate(const spec::Catalog& catalog, const ValidateOptions& options, std::ostream& out,
                std::ostream& err) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<validate::Suite> suites;
  for (const std::string& f : options.suites)
    suites.push_back(validate::loadSuite(f));
  validate::Options run;
  run.jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  run.sets = options.sets;
  run.exact = options.exact;
  const std::filesystem::path dir =
      options.out_dir
          ? std::filesystem::path(*options.out_dir)
          : std::filesystem::path("reports") / "validation" / safeFileName(suites.front().name);
  std::size_t total = 0;
  for (const validate::Suite& s : suites) {
    validate::checkSuite(catalog, s, run);
    total += s.cases.size();
  }
  const bool tty = !options.quiet && &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
  std::size_t finished = 0;
  const auto results = validate::runSuites(catalog, suites, run, [&](const validate::CaseResult&) {
    ++finished;
    if (tty) err << fmt::format("\r[{}/{}] cases", finished, total) << std::flush;
  });
  if (tty) err << "\r\033[K" << std::flush;
  out << validate::textReport(results);
  try {
    validate::writeValidation(dir, suites, results);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
  std::size_t failed = 0;
  std::vector<double> walls;
  for (const validate::CaseResult& r : results) {
    failed += r.status != "ok";
    walls.push_back(r.wall_s);
  }
  std::sort(walls.begin(), walls.end());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format(
      "\nvalidate: {} cases ({} ran, {} failed) on {} thread{} in {:.2f} s (per case: median "
      "{:.3f} s, max {:.2f} s)\n",
      total, total - failed, failed, run.jobs, run.jobs == 1 ? "" : "s", wall,
      walls.empty() ? 0.0 : walls[walls.size() / 2], walls.empty() ? 0.0 : walls.back());
  out << "wrote " << (dir / "validation.csv").string()
      << " (and validation.json, validation.html)\n";
  bool drifted = false;
  if (options.baseline) {
    const validate::BaselineCheck check = validate::compareToBaseline(*options.baseline, results);
    for (const std::string& n : check.notes)
      out << "note: " << n << '\n';
    for (const std::string& f : check.failures)
      err << "drift: " << f << '\n';
    out << fmt::format("against {}: {} cases compared, median |error| {:.1f}% -> {:.1f}%{}\n",
                       *options.baseline, check.compared, 100 * check.median_before,
                       100 * check.median_after,
                       check.failures.empty() ? ", within tolerance" : "");
    drifted = !check.failures.empty();
  }
  // With a baseline, cases that failed there too are known gaps, not drift.
  return (options.baseline ? drifted : failed > 0) ? 1 : 0;
}

int runCalibrate(const spec::Catalog& catalog, const CalibrateOptions& options, std::ostream& out,
                 std::ostream& err) {
  (void)err;
  const auto start = std::chrono::steady_clock::now();
  const validate::Calibration cal = validate::loadCalibration(catalog, options.file);
  validate::FitOptions fit_options;
  fit_options.jobs =
      options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  fit_options.folds = options.folds;
  fit_options.max_iterations = options.max_iterations;
  const validate::FitResult fit = validate::calibrate(catalog, cal, fit_options);
  out << validate::calibrationReport(cal, fit);
  const std::filesystem::path dir =
      options.out_dir ? std::filesystem::path(*options.out_dir)
                      : std::filesystem::path("reports") / "calibration" / safeFileName(cal.name);
  try {
    validate::writeCalibration(dir, cal, fit);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format("\nwrote {} in {:.2f} s\n", (dir / "fitted.yaml").string(), wall);
  return 0;
}

}  // namespace archsim::app
