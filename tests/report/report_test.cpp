// The run record: stats.json against its schema, determinism, trace.json tracks and nesting,
// report.html well-formedness and charts, the record folder, atomic writes.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/app/app.h"
#include "sim/core/atomic_file.h"
#include "sim/report/breakdown.h"
#include "sim/report/html_report.h"
#include "sim/report/run_record.h"
#include "sim/report/run_report.h"
#include "sim/report/trace.h"
#include "sim/run/system_run.h"
#include "support.h"
#include "support/cli.h"
#include "support/html_check.h"
#include "support/json_schema.h"

using namespace archsim;
using nlohmann::json;

namespace {

json schema() {
  std::ifstream in(test::sourceDir() / "sim" / "report" / "stats.schema.json");
  return json::parse(in);
}

using test::load;
using test::Loaded;

using test::slurp;

using Result = test::CliResult;
using test::runCli;

void requireValid(const json& stats) {
  const std::vector<std::string> errors = test::validateSchema(schema(), stats);
  for (const std::string& e : errors)
    MESSAGE(e);
  CHECK(errors.empty());
}

}  // namespace

TEST_CASE("the schema validator rejects what the schema forbids") {
  const json s = json::parse(R"({"type": "object", "required": ["a"], "additionalProperties": false,
      "properties": {"a": {"type": "integer", "minimum": 1}, "b": {"$ref": "#/$defs/x"}},
      "$defs": {"x": {"enum": ["p", "q"]}}})");
  CHECK(test::validateSchema(s, json::parse(R"({"a": 2, "b": "p"})")).empty());
  CHECK(test::validateSchema(s, json::parse(R"({"a": 0})")).size() == 1);    // below the minimum
  CHECK(test::validateSchema(s, json::parse(R"({"a": 1.5})")).size() == 1);  // not an integer
  CHECK(test::validateSchema(s, json::parse(R"({"b": "p"})")).size() == 1);  // missing a
  CHECK(test::validateSchema(s, json::parse(R"({"a": 1, "c": 1})")).size() == 1);  // unknown key
  CHECK(test::validateSchema(s, json::parse(R"({"a": 1, "b": "z"})")).size() ==
        1);  // not in the enum
  CHECK(test::validateSchema(json::parse(R"({"pattern": "x"})"), json("y")).size() ==
        1);  // unsupported keyword
}

TEST_CASE("stats.json of every chip preset and every system preset validates against the schema") {
  const spec::Catalog catalog = test::presetCatalog();
  int validated = 0;
  for (const std::string& chip : catalog.presetNames(spec::DocKind::kChip)) {
    for (const char* scenario : {"tiny-llama-decode", "tiny-llama-prefill"}) {
      CAPTURE(chip);
      CAPTURE(std::string(scenario));
      const Loaded l = load(chip, scenario, {"dtypes.compute=bf16"});
      try {
        const run::SystemRun run(l.system.spec, l.scenario.spec);
        requireValid(report::statsJson(run));
        ++validated;
      } catch (const ConfigError& e) {
        MESSAGE("skipped: " << std::string(e.what()));
      }
    }
  }
  for (const std::string& system : catalog.presetNames(spec::DocKind::kSystem)) {
    CAPTURE(system);
    // Tensor and pipeline parallel: collectives, stage links and several simulated chips.
    const Loaded l = load(system, "tiny-llama-decode",
                          {"parallel.tp=2", "parallel.pp=2", "dtypes.compute=bf16"});
    const run::SystemRun run(l.system.spec, l.scenario.spec);
    const json stats = report::statsJson(run);
    requireValid(stats);
    CHECK(stats["parallel"]["stages"].size() == 2);
    ++validated;
  }
  CHECK(validated >= 28);
}

TEST_CASE("two identical runs give byte-identical stats.json, report.html and trace.json") {
  for (const auto& run_case :
       std::vector<std::pair<std::string, std::string>>{{"dgx-h100", "llama2-70b-w8-decode-tp8"},
                                                        {"groq-576", "llama2-70b-w8-decode-tp8"},
                                                        {"h100-sxm5", "tiny-llama-prefill"}}) {
    const std::string& system = run_case.first;  // not a binding: CAPTURE's lambda takes it
    const std::string& scenario = run_case.second;
    CAPTURE(system);
    // The small one generates: prefill, then decode steps.
    const Loaded l =
        load(system, scenario,
             system == "h100-sxm5" ? std::vector<std::string>{"phase=generate", "output_tokens=8"}
                                   : std::vector<std::string>{});
    const run::SystemRun a(l.system.spec, l.scenario.spec);
    const run::SystemRun b(l.system.spec, l.scenario.spec);
    CHECK(report::statsJson(a).dump() == report::statsJson(b).dump());
    const report::Breakdown ba = report::breakdown(a), bb = report::breakdown(b);
    CHECK(report::reportHtml(a, ba) == report::reportHtml(b, bb));
    CHECK(report::traceJson(a, ba) == report::traceJson(b, bb));
  }
}

TEST_CASE(
    "Llama-2-70B decode on DGX-H100: the trace has op slices, memory and link tracks; slices "
    "nest") {
  const Loaded l = load("dgx-h100", "llama2-70b-w8-decode-tp8");
  const run::SystemRun run(l.system.spec, l.scenario.spec);
  const report::Breakdown b = report::breakdown(run);
  const json trace = json::parse(report::traceJson(run, b));
  std::set<std::string> processes, threads, counters;
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> slices;
  std::size_t x = 0;
  for (const json& e : trace["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph == "M" && e["name"] == "process_name")
      processes.insert(e["args"]["name"].get<std::string>());
    if (ph == "M" && e["name"] == "thread_name")
      threads.insert(e["args"]["name"].get<std::string>());
    if (ph == "C") counters.insert(e["name"].get<std::string>());
    if (ph == "X") {
      ++x;
      slices[{e["pid"].get<int>(), e["tid"].get<int>()}].emplace_back(
          e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
      CHECK(e["args"].contains("bound"));
    }
  }
  CHECK(processes == std::set<std::string>{"stage 0: chip0 (H100-SXM5-80GB)"});
  CHECK(threads.count("matrix ops"));
  CHECK(threads.count("vector ops"));
  CHECK(threads.count("collectives"));
  for (const char* c :
       {"matrix units busy (%)", "vector units busy (%)", "hbm bandwidth (GB/s)",
        "l2 bandwidth (GB/s)", "link c0-s0 bandwidth (GB/s)", "link s0-c0 bandwidth (GB/s)"}) {
    CAPTURE(std::string(c));
    CHECK(counters.count(c));
  }
  CHECK(x == run.chip(0).result().spans.size());
  CHECK(trace["otherData"]["slices"] == x);
  CHECK_FALSE(trace["otherData"].contains("truncated"));
  // Slices on one track never partly overlap (kernel style: ops run one after another).
  for (auto& [track, list] : slices) {
    std::sort(list.begin(), list.end());
    for (std::size_t i = 1; i < list.size(); ++i)
      CHECK(list[i].first >= list[i - 1].second - 1e-6);
  }
  // A cap keeps huge runs loadable, and says so.
  const json capped = json::parse(report::traceJson(run, b, 100));
  CHECK(capped["otherData"]["slices"] == 100);
  CHECK(capped["otherData"]["truncated"].get<std::string>().find("100 of") == 0);
}

TEST_CASE("Dataflow chips overlap ops: the Groq trace spreads them over lanes that never overlap") {
  const Loaded l = load("groq-576", "llama2-70b-w8-decode-tp8");
  const run::SystemRun run(l.system.spec, l.scenario.spec);
  const json trace = json::parse(report::traceJson(run, report::breakdown(run)));
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> slices;
  std::set<int> pids;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    pids.insert(e["pid"].get<int>());
    slices[{e["pid"].get<int>(), e["tid"].get<int>()}].emplace_back(
        e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
  }
  CHECK(pids.size() == run.simulatedChips());
  for (auto& [track, list] : slices) {
    std::sort(list.begin(), list.end());
    for (std::size_t i = 1; i < list.size(); ++i)
      CHECK(list[i].first >= list[i - 1].second - 1e-6);
  }
}

TEST_CASE(
    "report.html parses, has one SVG per chart, and puts decode's weight matmuls far left of the "
    "knee") {
  const Loaded l = load("dgx-h100", "llama2-70b-w8-decode-tp8");
  const run::SystemRun run(l.system.spec, l.scenario.spec);
  const report::Breakdown b = report::breakdown(run);
  const std::string html = report::reportHtml(run, b);
  const test::HtmlCheck check = test::checkHtml(html);
  for (const std::string& e : check.errors)
    MESSAGE(e);
  CHECK(check.errors.empty());
  // Roofline and utilization over time per simulated chip, time by kind, by bound, by resource,
  // traffic, energy.
  const int charts = 2 * static_cast<int>(run.simulatedChips()) + 5;
  CHECK(check.elements.at("figure") == charts);
  CHECK(check.elements.at("svg") == charts);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // nothing fetched
  CHECK(html.find("<script") == std::string::npos);
  // The roofline's data: batch-1 decode weight matmuls at ~2 FLOP/B (int8 weights), the fp16 knee
  // against HBM at 989.4 TFLOPS / 2.904 TB/s = 341 FLOP/B.
  const spec::ChipSpec& chip = run.system().chip;
  const double knee =
      *chip.matrix.peak(spec::DType::kFp16) / chip.level("hbm")->achievableBandwidth();
  CHECK(knee == doctest::Approx(340.6).epsilon(0.001));
  int weight_matmuls = 0;
  for (const exec::OpRecord& op : run.result().ops) {
    if (op.kind != graph::OpKind::kMatmul) continue;
    std::string level;
    const double ai = report::opIntensity(op, chip, &level);
    CHECK(level == "hbm");
    CHECK(ai < knee / 100);
    CHECK(ai == doctest::Approx(2.0).epsilon(0.05));
    ++weight_matmuls;
  }
  CHECK(weight_matmuls == 80 * 4);
}

TEST_CASE(
    "archsim run writes the whole record; config.resolved.yaml reproduces stats.json byte for "
    "byte") {
  const auto dir = test::freshDir("archsim-record");
  std::filesystem::remove_all(dir);
  const Result r =
      runCli({"run", "dgx-h100", "tiny-llama-decode", "--set", "parallel.tp=2", "--set",
              "chip.memory.hbm.channels=40", "--set", "chip.memory.hbm.bandwidth=1.675 TB/s",
              "--out", (dir / "a").string(), "--quiet"});
  REQUIRE(r.code == 0);
  for (const char* f : {"run.json", "config.resolved.yaml", "stats.json", "summary.md",
                        "report.html", "trace.json"}) {
    CAPTURE(std::string(f));
    CHECK(std::filesystem::exists(dir / "a" / f));
  }
  const json info = json::parse(slurp(dir / "a" / "run.json"));
  for (const char* k :
       {"command_line", "archsim_version", "git_hash", "started_utc", "wall_s", "host"}) {
    CAPTURE(std::string(k));
    CHECK(info.contains(k));
  }
  CHECK(info["command_line"][1] == "run");
  const std::string summary = slurp(dir / "a" / "summary.md");
  CHECK(summary.find("| tpot_s |") != std::string::npos);
  CHECK(summary.find("## Top ops by time") != std::string::npos);
  // The resolved file carries the overrides: run it with no --set and get the same stats.json.
  const Result again =
      runCli({"run", (dir / "a" / "config.resolved.yaml").string(), "--out", (dir / "b").string()});
  REQUIRE(again.code == 0);
  CHECK(slurp(dir / "a" / "stats.json") == slurp(dir / "b" / "stats.json"));
  CHECK(runCli({"check", (dir / "a" / "config.resolved.yaml").string()}).code == 0);
  // A run file with a scenario given too, or a plain system without a scenario: exit 2.
  CHECK(runCli({"run", "dgx-h100"}).code == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "writeDirectoryAtomically replaces a folder whole, and a failure leaves the old one "
    "untouched") {
  const auto root = test::freshDir("archsim-atomic");
  std::filesystem::remove_all(root);
  writeDirectoryAtomically(root / "rec", {{"a.txt", "one"}, {"sub/b.txt", "two"}});
  CHECK(slurp(root / "rec" / "a.txt") == "one");
  CHECK(slurp(root / "rec" / "sub" / "b.txt") == "two");
  writeDirectoryAtomically(root / "rec", {{"c.txt", "three"}});
  CHECK(slurp(root / "rec" / "c.txt") == "three");
  CHECK_FALSE(std::filesystem::exists(root / "rec" / "a.txt"));  // replaced, not merged
  // A file that cannot be written (its folder name is taken by a file): OutputError, old record
  // kept.
  std::ofstream(root / "blocker") << "x";
  CHECK_THROWS_AS(writeDirectoryAtomically(root / "rec",
                                           {{"d.txt", "4"}, {"blocker/../../blocker/e.txt", "5"}}),
                  OutputError);
  CHECK(slurp(root / "rec" / "c.txt") == "three");
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    CHECK(entry.path().filename().string().find("staging") == std::string::npos);  // no leftovers
  }
  std::filesystem::remove_all(root);
}

TEST_CASE("archsim list shows every preset kind with descriptions") {
  const Result r = runCli({"list"});
  REQUIRE(r.code == 0);
  for (const char* s : {"chips (", "systems (", "software (", "models (", "scenarios (",
                        "h100-sxm5", "groq-576", "tensorrt-llm", "llama2-70b", "Hopper"}) {
    CAPTURE(std::string(s));
    CHECK(r.out.find(s) != std::string::npos);
  }
  CHECK(runCli({"list", "chips"}).out.find("systems (") == std::string::npos);
  const Result software = runCli({"list", "software"});
  CHECK(software.out.find("software (9):") != std::string::npos);
  CHECK(software.out.find("chips (") == std::string::npos);
  CHECK(runCli({"list", "widgets"}).code == 2);
}
