#include "sim/app/app.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/app/commands.h"
#include "sim/core/error.h"
#include "sim/spec/catalog.h"
#include "sim/spec/loader.h"

namespace archsim::app {
namespace fs = std::filesystem;

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
  CLI::App* check_cmd = app.add_subcommand(
      "check", "validate chip, system, model and scenario files; exit 2 listing every error");
  check_cmd->add_option("files", check_files, "YAML files (or Hugging Face config.json models)")
      ->required();

  DescribeOptions describe;
  CLI::App* describe_cmd = app.add_subcommand(
      "describe", "peak throughput, memory levels, roofline knees and links of a system or chip");
  describe_cmd
      ->add_option("system", describe.system, "system or chip: a preset name or a YAML file")
      ->required();
  describe_cmd->add_option("--set", describe.sets,
                           "override a key: path.to.key=value (repeatable)");
  describe_cmd->add_flag("--json", describe.json, "print JSON to stdout instead of text");

  GraphOptions graph;
  CLI::App* graph_cmd = app.add_subcommand(
      "graph",
      "parameters, weight and KV bytes, FLOPs, bytes moved and arithmetic intensity of a scenario");
  graph_cmd->add_option("scenario", graph.scenario, "scenario: a preset name or a YAML file")
      ->required();
  graph_cmd->add_option(
      "--set", graph.sets,
      "override a key: path.to.key=value (repeatable; the model is under model.)");
  graph_cmd->add_flag("--json", graph.json, "print JSON to stdout instead of text");
  graph_cmd->add_option("--dot", graph.dot_file,
                        "write the graph (first layer expanded) as Graphviz to FILE");

  RunOptions run_opts;
  CLI::App* run_cmd =
      app.add_subcommand("run", "simulate a scenario on a system and write stats.json");
  run_cmd->add_option("system", run_opts.system, "system or chip: a preset name or a YAML file")
      ->required();
  run_cmd->add_option(
      "scenario", run_opts.scenario,
      "scenario: a preset name or a YAML file (omit it when SYSTEM is a run file such as a "
      "record's config.resolved.yaml)");
  run_cmd->add_option(
      "--set", run_opts.sets,
      "override a key of the system (chip..., levels...) or the scenario (batch, model..., ...); "
      "prefix with system. or scenario. to be explicit");
  run_cmd->add_option(
      "--out", run_opts.out_dir,
      "folder for the run record: stats.json, report.html, trace.json, summary.md, "
      "config.resolved.yaml, run.json (default reports/<scenario>-on-<system>, plus "
      "-set-<hash> with --set)");
  run_cmd->add_flag("--force", run_opts.force,
                    "replace the record of a different run in the output folder");
  run_cmd->add_flag("--json", run_opts.json, "print stats.json to stdout instead of the summary");
  run_cmd->add_flag("--quiet,-q", run_opts.quiet, "no progress bar");
  run_cmd->add_flag("--exact", run_opts.exact,
                    "simulate every decode step of a generation (by default long generations "
                    "interpolate most steps from probed ones, within 0.1%)");

  ServeOptions serve_opts;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "serve a request stream (kind: serving) on replicas of a plan on a system");
  serve_cmd->add_option("system", serve_opts.system, "system or chip: a preset name or a YAML file")
      ->required();
  serve_cmd->add_option("serving", serve_opts.serving, "serving file (kind: serving)")->required();
  serve_cmd->add_option("--set", serve_opts.sets,
                        "override a key of the system (chip..., levels...) or of the serving "
                        "file (model..., parallel..., scheduler..., requests..., slo...)");
  serve_cmd->add_option("--out", serve_opts.out_dir,
                        "folder for the record (default reports/serve-<name>-on-<system>)");
  serve_cmd->add_flag("--json", serve_opts.json, "print serve.json instead of the summary");
  serve_cmd->add_flag("--exact", serve_opts.exact,
                      "simulate every distinct pass shape (by default passes interpolate "
                      "between simulated grid points)");
  serve_cmd->add_flag("--find-max-rate", serve_opts.find_max_rate,
                      "search for the highest arrival rate that meets the file's SLO (the "
                      "record is the run at that rate)");

  FitOptions fit_opts;
  CLI::App* fit_cmd = app.add_subcommand(
      "fit",
      "the fewest chips that hold a scenario's model, KV cache and activations, and the plan");
  fit_cmd->add_option("system", fit_opts.system, "system or chip: a preset name or a YAML file")
      ->required();
  fit_cmd->add_option("scenario", fit_opts.scenario, "scenario: a preset name or a YAML file")
      ->required();
  fit_cmd->add_option("--set", fit_opts.sets,
                      "override a key of the system or the scenario (as for run)");
  fit_cmd->add_option(
      "--level", fit_opts.level,
      "memory level that must hold everything (default: where weights live — a dataflow chip's "
      "SRAM, else its DRAM)");
  fit_cmd
      ->add_option("--objective", fit_opts.objective,
                   "what the auto search optimizes: latency, throughput (per chip) or chips "
                   "(default: the scenario's, else latency at batch 1 and throughput above)")
      ->check(CLI::IsMember({"latency", "throughput", "chips"}));
  fit_cmd->add_flag("--json", fit_opts.json, "print JSON to stdout instead of text");

  CompareOptions compare_opts;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare",
      "run several SYSTEM:SCENARIO pairs and tabulate tokens/s per user, chips, memory, energy per "
      "token and the binding resource (default: the SRAM-vs-HBM comparison)");
  compare_cmd->add_option(
      "systems", compare_opts.items,
      "SYSTEMs (each run on every --scenario) or SYSTEM:SCENARIO pairs (default: the canonical "
      "comparison)");
  compare_cmd
      ->add_option("--scenario,-s", compare_opts.scenarios,
                   "scenario to run every SYSTEM on (repeatable)")
      ->allow_extra_args(false);
  compare_cmd->add_option("--set", compare_opts.sets, "override a key in every run (as for run)");
  compare_cmd->add_option(
      "--out", compare_opts.out_dir,
      "folder for comparison.{txt,md,csv,json,html} and runs/*/stats.json (default "
      "reports/compare)");
  compare_cmd
      ->add_option("--format", compare_opts.format, "what to print: text, markdown, csv or json")
      ->check(CLI::IsMember({"text", "markdown", "csv", "json"}));
  compare_cmd->add_flag_callback(
      "--json", [&compare_opts] { compare_opts.format = "json"; }, "same as --format json");
  compare_cmd->add_flag("--quiet,-q", compare_opts.quiet, "no progress bar");

  CLI::App* list_cmd = app.add_subcommand(
      "list", "the presets: chips, systems, software stacks, models and scenarios, a line each");
  std::string list_kind;
  std::vector<std::string> list_kinds;
  for (spec::DocKind k : spec::kAllDocKinds)
    list_kinds.push_back(spec::docKindPlural(k));
  list_cmd
      ->add_option("kind", list_kind,
                   "only this kind: chips, systems, software, models or scenarios")
      ->check(CLI::IsMember(list_kinds));

  SweepOptions sweep_opts;
  CLI::App* sweep_cmd = app.add_subcommand("sweep",
                                           "run every point of a sweep file (axes of --set values) "
                                           "and write results.csv, .json and .html");
  sweep_cmd->add_option("file", sweep_opts.file, "the sweep file (kind: sweep)")->required();
  sweep_cmd->add_option("--out", sweep_opts.out_dir,
                        "output folder (default reports/sweeps/<name>)");
  sweep_cmd->add_option("-j,--jobs", sweep_opts.jobs,
                        "points run in parallel (default: every core)");
  sweep_cmd->add_flag("--resume", sweep_opts.resume,
                      "skip points already done in the output folder");
  sweep_cmd->add_flag("--force", sweep_opts.force,
                      "replace the results of a different sweep in the output folder");
  sweep_cmd->add_option("--shard", sweep_opts.shard,
                        "run the K-th of N disjoint slices of the points (K/N)");
  sweep_cmd->add_flag("--mpi", sweep_opts.mpi,
                      "spread the points over MPI ranks (an MPI build, under mpirun)");
  sweep_cmd->add_flag("--quiet,-q", sweep_opts.quiet, "no progress line");

  ValidateOptions validate_opts;
  CLI::App* validate_cmd = app.add_subcommand(
      "validate",
      "run validation suites of published measurements and report predicted vs measured");
  validate_cmd->add_option("suites", validate_opts.suites, "suite files (kind: validation)")
      ->required();
  validate_cmd->add_option("--out", validate_opts.out_dir,
                           "output folder (default reports/validation/<suite name>)");
  validate_cmd->add_option("-j,--jobs", validate_opts.jobs,
                           "cases run in parallel (default: every core)");
  validate_cmd->add_option("--set", validate_opts.sets, "override a key in every case (as for run)")
      ->allow_extra_args(false);
  validate_cmd->add_flag("--exact", validate_opts.exact, "no step or layer reuse");
  validate_cmd->add_option("--baseline", validate_opts.baseline,
                           "a committed validation.json: exit 1 when the median |error| worsens by "
                           "more than a point or a case moves by more than five");
  validate_cmd->add_flag("--quiet,-q", validate_opts.quiet, "no progress line");

  CalibrateOptions calibrate_opts;
  CLI::App* calibrate_cmd = app.add_subcommand(
      "calibrate", "fit global parameters to validation suites (Levenberg-Marquardt on log error)");
  calibrate_cmd->add_option("file", calibrate_opts.file, "the calibration file (kind: calibration)")
      ->required();
  calibrate_cmd->add_option("--out", calibrate_opts.out_dir,
                            "output folder (default reports/calibration/<name>)");
  calibrate_cmd->add_option("-j,--jobs", calibrate_opts.jobs,
                            "cases run in parallel (default: every core)");
  calibrate_cmd->add_option("--folds", calibrate_opts.folds,
                            "K-fold cross-validation grouped by the cases' source (0: none)");
  calibrate_cmd->add_option("--max-iterations", calibrate_opts.max_iterations,
                            "Levenberg-Marquardt iterations at most (default 30)");

  std::vector<std::string> merge_dirs;
  std::string merge_out;
  CLI::App* merge_cmd =
      app.add_subcommand("merge", "join the output folders of a sweep's shards into one result");
  merge_cmd->add_option("dirs", merge_dirs, "shard output folders")->required();
  merge_cmd->add_option("--out", merge_out, "the merged folder")->required();

  RegressOptions regress_opts;
  CLI::App* regress_cmd = app.add_subcommand(
      "regress",
      "check a manifest's runs against their committed baselines; exit 1 when a metric drifts");
  regress_cmd
      ->add_option("manifest", regress_opts.manifest, "the regression manifest (kind: regress)")
      ->required();
  regress_cmd->add_flag("--update", regress_opts.update,
                        "rewrite the baselines from this run and print what changed");
  regress_cmd->add_option("--set", regress_opts.sets, "override a key in every entry (as for run)")
      ->allow_extra_args(false);
  regress_cmd->add_option("-j,--jobs", regress_opts.jobs,
                          "entries run in parallel (default: every core)");

  std::string diff_a, diff_b;
  CLI::App* diff_cmd =
      app.add_subcommand("diff", "compare two stats.json files (or run folders) metric by metric");
  diff_cmd->add_option("a", diff_a, "stats.json or run folder")->required();
  diff_cmd->add_option("b", diff_b, "stats.json or run folder")->required();

  for (int i = 0; i < argc; ++i)
    run_opts.command_line.emplace_back(argv[i]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }

  try {
    const spec::Catalog catalog(presetRoots(presets_dir, context));
    if (check_cmd->parsed()) return runCheck(catalog, check_files, out, err);
    if (serve_cmd->parsed()) return runServe(catalog, serve_opts, out, err);
    if (list_cmd->parsed()) return runList(catalog, list_kind, out, err);
    if (sweep_cmd->parsed()) return runSweep(catalog, sweep_opts, out, err);
    if (validate_cmd->parsed()) return runValidate(catalog, validate_opts, out, err);
    if (calibrate_cmd->parsed()) return runCalibrate(catalog, calibrate_opts, out, err);
    if (merge_cmd->parsed()) return runMerge(merge_dirs, merge_out, out, err);
    if (regress_cmd->parsed()) return runRegress(catalog, regress_opts, out, err);
    if (diff_cmd->parsed()) return runDiff(diff_a, diff_b, out, err);
    if (describe_cmd->parsed()) return runDescribe(catalog, describe, out, err);
    if (graph_cmd->parsed()) return runGraph(catalog, graph, out, err);
    if (run_cmd->parsed()) return runRun(catalog, run_opts, out, err);
    if (fit_cmd->parsed()) return runFit(catalog, fit_opts, out, err);
    if (compare_cmd->parsed()) return runCompare(catalog, compare_opts, out, err);
  } catch (const ConfigError& e) {
    for (const Diagnostic& d : e.diagnostics())
      err << d.str() << '\n';
    if (e.diagnostics().size() > 1) err << e.diagnostics().size() << " errors\n";
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
