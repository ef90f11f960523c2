#include "support/cli.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/app/app.h"
#include "sim/app/commands.h"
#include "support.h"

using namespace archsim;

namespace {
using Result = test::CliResult;
Result cli(std::vector<std::string> args) {
  return test::runCli(std::move(args));
}
}  // namespace

TEST_CASE("--version and --help succeed; usage errors exit 2") {
  CHECK(cli({"--version"}).code == 0);
  CHECK(cli({"--version"}).out.find("archsim 0.1.0") != std::string::npos);
  const Result help = cli({"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("describe") != std::string::npos);
  CHECK(cli({"describe", "--help"}).code == 0);
  CHECK(cli({"check", "--help"}).code == 0);
  CHECK(cli({}).code == 2);
  CHECK(cli({"frobnicate"}).code == 2);
  CHECK(cli({"describe"}).code == 2);
  CHECK(cli({"describe", "dgx-h100", "--bogus"}).code == 2);
}

TEST_CASE("describe H100: the bf16 knee against HBM is 989.4 TFLOPS / 3.35 TB/s = 295.3 FLOP/B") {
  const Result r = cli({"describe", "h100-sxm5"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("bf16") != std::string::npos);
  CHECK(r.out.find("295.3 [340.6]") != std::string::npos);  // peak [achievable 86.7 %]
  // 989.4 TFLOPS / (2 x 132 units x 1.83 GHz) = 2047.9: four digits, as the datasheet's 2048.
  CHECK(r.out.find("989.4 TFLOPS       2048 MAC/cycle/unit") != std::string::npos);
  CHECK(r.out.find(" 1 link  x 64 GB/s") != std::string::npos);  // PCIe: one link, not "1 links"
  CHECK(r.out.find("18 links x 25 GB/s") != std::string::npos);
  const Result jp = cli({"describe", "--json", "h100-sxm5"});
  REQUIRE(jp.code == 0);
  const auto doc = nlohmann::json::parse(jp.out);
  bool found = false;
  for (const auto& k : doc["chip"]["knees"]) {
    if (k["dtype"] == "bf16" && k["level"] == "hbm") {
      CHECK(k["ops_per_byte"].get<double>() == doctest::Approx(989.4e12 / 3.35e12));
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("describe GroqChip shows no HBM level; DGX-H100 shows 8 chips and system totals") {
  const Result groq = cli({"describe", "groqchip"});
  REQUIRE(groq.code == 0);
  CHECK(groq.out.find("no HBM/DRAM level") != std::string::npos);
  CHECK(groq.out.find("hbm") == std::string::npos);
  CHECK(groq.out.find("220 MiB") != std::string::npos);
  const Result dgx = cli({"describe", "dgx-h100"});
  REQUIRE(dgx.code == 0);
  CHECK(dgx.out.find("8 x H100-SXM5-80GB") != std::string::npos);
  CHECK(dgx.out.find("684.2 GB") != std::string::npos);      // 8 x 81559 MiB of HBM
  CHECK(dgx.out.find("7.915 PFLOPS") != std::string::npos);  // 8 x 989.4 TFLOPS
}

TEST_CASE("describe with a bad --set or an unknown preset exits 2 with a located message") {
  const Result typo = cli({"describe", "dgx-h100", "--set", "chip.memory.hbm.chanels=40"});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("--set chip.memory.hbm.chanels=40: error: key 'chip.memory.hbm.chanels': "
                      "unknown key; did you "
                      "mean 'channels'?") != std::string::npos);
  // A bare prefix (no key=value) is a usage error, not an internal one.
  for (const char* bare : {"system", "scenario", "batch"}) {
    const Result r = cli({"run", "h100-sxm5", "tiny-llama-decode", "--set", bare});
    CHECK(r.code == 2);
    CHECK(r.err.find("expected key=value") != std::string::npos);
  }
  const Result unknown = cli({"describe", "dgx-h1000"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("did you mean 'dgx-h100'?") != std::string::npos);
  CHECK(unknown.out.empty());
}

TEST_CASE("check exits 0 on valid files and 2 listing every error of every bad file") {
  const std::string chips = (test::sourceDir() / "configs/chips").string();
  CHECK(cli({"check", chips + "/h100-sxm5.yaml", chips + "/groqchip.yaml"}).code == 0);
  const std::string bad = (test::sourceDir() / "tests/bad_inputs").string();
  const Result r =
      cli({"check", chips + "/h100-sxm5.yaml", bad + "/chip-typo-key.yaml", bad + "/empty.yaml"});
  CHECK(r.code == 2);
  CHECK(r.out.find("ok: ") != std::string::npos);
  CHECK(r.err.find("chip-typo-key.yaml:") != std::string::npos);
  CHECK(r.err.find("empty.yaml:") != std::string::npos);
  CHECK(cli({"check", bad + "/does-not-exist.yaml"}).code == 2);
}

TEST_CASE(
    "graph llama2-70b decode: 69.0 B params, ~138 GB weights, 327,680 B of KV per token, ~1 "
    "FLOP/B") {
  const Result r = cli({"graph", "llama2-70b-decode"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("68.98 B (68976648192 params)") != std::string::npos);
  CHECK(r.out.find("weights       138 GB") != std::string::npos);
  CHECK(r.out.find("327680 B per token") != std::string::npos);
  const Result j = cli({"graph", "llama2-70b-decode", "--json"});
  REQUIRE(j.code == 0);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["kv_bytes_per_token"] == 327680);
  CHECK(doc["flops_per_byte"].get<double>() == doctest::Approx(1.0).epsilon(0.05));
  const Result b64 = cli({"graph", "llama2-70b-decode", "--json", "--set", "batch=64"});
  const auto doc64 = nlohmann::json::parse(b64.out);
  const double ratio = doc64["weight_matmuls"]["flops_per_byte"].get<double>() /
                       doc["weight_matmuls"]["flops_per_byte"].get<double>();
  CHECK(ratio == doctest::Approx(64.0).epsilon(0.06));
}

TEST_CASE("graph --dot writes Graphviz with layer 0 expanded and the rest collapsed") {
  const auto dot_dir = test::freshDir("archsim-dot");
  const auto file = dot_dir / "graph.dot";
  const Result r = cli({"graph", "llama2-7b-decode", "--dot", file.string()});
  REQUIRE(r.code == 0);
  std::ifstream in(file);
  const std::string dot((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(dot.rfind("digraph", 0) == 0);
  CHECK(dot.find("L0.qkv") != std::string::npos);
  CHECK(dot.find("L1.qkv") == std::string::npos);
  CHECK(dot.find("layers 1..31") != std::string::npos);
  std::filesystem::remove_all(dot_dir);
  const Result bad = cli({"graph", "llama2-7b-decode", "--dot", "/nonexistent-folder/x.dot"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--dot /nonexistent-folder/x.dot") != std::string::npos);
}

TEST_CASE("graph prints warnings to stderr and the summary to stdout") {
  const Result r = cli({"graph", "gpt3-175b-decode"});
  CHECK(r.code == 0);
  CHECK(r.err.find(
            "warning: key 'kv_length': 3072 tokens exceed the model's 2048 learned positions") !=
        std::string::npos);
  CHECK(r.out.find("scenario gpt3-175b-decode") != std::string::npos);
}

TEST_CASE("run writes stats.json with the stable metric keys; --json prints the same document") {
  const auto dir = test::freshDir("archsim-run");
  const Result r = cli({"run", "h100-sxm5", "llama2-7b-decode", "--out", dir.string()});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("tpot_s") != std::string::npos);
  std::ifstream in(dir / "stats.json");
  const auto stats = nlohmann::json::parse(in);
  for (const char* key : {"ttft_s", "tpot_s", "e2e_s", "output_tokens_per_s",
                          "tokens_per_s_per_user", "energy_per_token_j", "avg_power_w", "chips"}) {
    CAPTURE(key);
    CHECK(stats["metrics"].contains(key));
  }
  CHECK(stats["schema_version"] == 1);
  CHECK(stats["metrics"]["ttft_s"].is_null());  // a single decode step has no first token
  CHECK(stats["metrics"]["chips"] == 1);
  bool weight_matmul_hbm = false;
  for (const auto& op : stats["ops"]) {
    if (op["name"] == "L0.gate_up") weight_matmul_hbm = op["bound"] == "hbm";
  }
  CHECK(weight_matmul_hbm);
  const Result j = cli({"run", "h100-sxm5", "llama2-7b-decode", "--json", "--out", dir.string()});
  REQUIRE(j.code == 0);
  CHECK(nlohmann::json::parse(j.out) == stats);  // deterministic, and the same document
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "run records: the default folder names the overrides; another run is kept unless --force") {
  const std::filesystem::path dir = test::freshDir("archsim-run-folders");
  struct Cwd {  // the default folder is relative to the working directory
    std::filesystem::path old = std::filesystem::current_path();
    ~Cwd() { std::filesystem::current_path(old); }
  } cwd;
  std::filesystem::current_path(dir);
  REQUIRE(cli({"run", "h100-sxm5", "tiny-llama-decode", "--quiet"}).code == 0);
  REQUIRE(cli({"run", "h100-sxm5", "tiny-llama-decode", "--set", "batch=2", "--quiet"}).code == 0);
  std::vector<std::string> folders;
  for (const auto& e : std::filesystem::directory_iterator(dir / "reports"))
    folders.push_back(e.path().filename().string());
  std::sort(folders.begin(), folders.end());
  REQUIRE(folders.size() == 2);
  CHECK(folders[0] == "tiny-llama-decode-on-H100-SXM5-80GB");
  CHECK(folders[1].rfind("tiny-llama-decode-on-H100-SXM5-80GB-set-", 0) == 0);
  CHECK(folders[1].size() == folders[0].size() + 13);  // "-set-" and 8 hex digits
  // A different run into an existing record's folder is refused (exit 2) and changes nothing.
  const std::filesystem::path first = dir / "reports" / folders[0];
  const std::string stats = test::slurp(first / "stats.json");
  const Result other = cli({"run", "h100-sxm5", "tiny-llama-decode", "--set", "batch=4", "--out",
                            first.string(), "--quiet"});
  CHECK(other.code == 2);
  CHECK(other.err.find("holds the record of a different run") != std::string::npos);
  CHECK(other.err.find("pass --force") != std::string::npos);
  CHECK(test::slurp(first / "stats.json") == stats);
  // The same run again refreshes its record; --force replaces a different one.
  CHECK(cli({"run", "h100-sxm5", "tiny-llama-decode", "--out", first.string(), "--quiet"}).code ==
        0);
  CHECK(test::slurp(first / "stats.json") == stats);
  CHECK(cli({"run", "h100-sxm5", "tiny-llama-decode", "--set", "batch=4", "--out", first.string(),
             "--quiet", "--force"})
            .code == 0);
  CHECK(test::slurp(first / "stats.json") != stats);
  std::filesystem::current_path(cwd.old);
  std::filesystem::remove_all(dir);
}

TEST_CASE("run: --set routes keys to the system or the scenario; bad input exits 2") {
  const auto dir = test::freshDir("archsim-run2");
  CHECK(cli({"run", "h100-sxm5", "tiny-llama-decode", "--set", "batch=4", "--set",
             "chip.memory.hbm.channels=40", "--set", "chip.memory.hbm.bandwidth=1.675 TB/s",
             "--out", dir.string()})
            .code == 0);
  // (--force: the folder holds the first run's record; these fail before writing anyway.)
  const Result typo = cli({"run", "h100-sxm5", "tiny-llama-decode", "--set", "bacth=4", "--out",
                           dir.string(), "--force"});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("did you mean 'batch'?") != std::string::npos);
  const Result groq =
      cli({"run", "groqchip", "llama2-7b-decode", "--out", dir.string(), "--force"});
  CHECK(groq.code == 2);
  CHECK(groq.err.find("weights need 13.48 GB, sram holds 220 MiB") != std::string::npos);
  // An override that would invent a memory level: exit 2, naming the chip (before any writing).
  const Result invent = cli({"run", "groqchip", "tiny-llama-decode", "--set",
                             "chip.memory.hbm.latency=400 ns", "--out", dir.string(), "--force"});
  CHECK(invent.code == 2);
  CHECK(invent.err.find("--set chip.memory.hbm.latency=400 ns: error: key 'chip.memory.hbm': chip "
                        "GroqChip1 has no memory level 'hbm'") != std::string::npos);
  // A plan bigger than the system, an explicit plan too small for the model, and a model no plan
  // of the system holds.
  const Result multi = cli({"run", "dgx-h100", "llama2-7b-decode", "--set", "parallel.tp=16",
                            "--out", dir.string(), "--force"});
  CHECK(multi.code == 2);
  CHECK(multi.err.find("the plan needs 16 chips (tp 16 x pp 1 x dp 1), system DGX-H100 has 8") !=
        std::string::npos);
  const Result big = cli({"run", "dgx-h100", "llama2-70b-decode", "--set", "parallel.tp=1", "--out",
                          dir.string(), "--force"});
  CHECK(big.code == 2);
  CHECK(big.err.find("plan tp 1 x pp 1 x dp 1: llama2-70b needs 138.6 GB in hbm") !=
        std::string::npos);
  CHECK(big.err.find("'parallel: auto' or 'archsim fit'") != std::string::npos);
  const Result huge = cli({"run", "dgx-h100", "gpt3-175b-decode", "--set", "batch=1024", "--out",
                           dir.string(), "--force"});
  CHECK(huge.code == 2);
  CHECK(huge.err.find("auto: no plan of at most 8 chips of H100-SXM5-80GB holds gpt3-175b") !=
        std::string::npos);
  const Result forced = cli({"run", "h100-sxm5", "tiny-llama-decode", "--set",
                             "placement.weights=resident", "--out", dir.string(), "--force"});
  CHECK(forced.code == 2);
  CHECK(forced.err.find("no SRAM that persists between ops") != std::string::npos);
  const Result unwritable =
      cli({"run", "h100-sxm5", "tiny-llama-decode", "--out", "/proc/archsim-cannot-write"});
  CHECK(unwritable.code == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "fit: GroqChip holds Llama-2-70B (fp16) on 656 chips, tp 16 x pp 41; --json; a bad --level "
    "exits 2") {
  const Result text = cli({"fit", "groqchip", "llama2-70b-decode"});
  REQUIRE(text.code == 0);
  CHECK(text.out.find("fewest chips: 656 — plan tp 16 x pp 41") != std::string::npos);
  const Result groq = cli({"fit", "groq-576", "llama2-70b-decode", "--json"});
  REQUIRE(groq.code == 0);
  const auto j = nlohmann::json::parse(groq.out);
  CHECK(j["chips"] == 656);
  CHECK(j["fits_system"] == false);
  CHECK(j["level"] == "sram");
  const Result level = cli({"fit", "h100-sxm5", "llama2-70b-decode", "--level", "hmb"});
  CHECK(level.code == 2);
  CHECK(level.err.find("has no memory level 'hmb'") != std::string::npos);
  CHECK(level.err.find("did you mean 'hbm'?") != std::string::npos);
  // 80 one-layer stages of 64 chips in 50 MB of L2 each: "1 layer", not "1 layers".
  const Result l2 = cli({"fit", "h100-sxm5", "llama2-70b-decode", "--level", "l2"});
  CHECK(l2.out.find("tp 64 x pp 80 (stages of 1 layer;") != std::string::npos);
}

TEST_CASE("compare: the canonical SRAM-vs-HBM tables in five formats and a stats.json per run") {
  const auto dir = test::freshDir("archsim-compare");
  const Result r = cli({"compare", "--json", "--out", dir.string()});
  REQUIRE(r.code == 0);
  const auto rows = nlohmann::json::parse(r.out);  // stdout is only JSON
  REQUIRE(rows.size() == app::canonicalComparison().size());
  CHECK(rows[0]["system"] == "Groq-576");
  CHECK(rows[0]["chips"] == 328);
  CHECK(rows[0]["tokens_per_s_per_user_ratio"] == 1.0);
  CHECK(rows[1]["system"] == "DGX-H100");
  CHECK(rows[1]["chips"] == 8);
  CHECK(rows[1]["binding_resource"] == "hbm");
  CHECK(rows[2]["system"] == "HGX-H200");
  CHECK(rows[3]["scenario"] == "gpt2-w8-decode");
  CHECK(rows[3]["chips"] == 1);
  // Ratios are to the first column of the scenario's table.
  CHECK(rows[1]["tokens_per_s_per_user_ratio"].get<double>() ==
        doctest::Approx(rows[1]["tokens_per_s_per_user"].get<double>() /
                        rows[0]["tokens_per_s_per_user"].get<double>())
            .epsilon(1e-4));
  for (const char* f : {"comparison.txt", "comparison.md", "comparison.csv", "comparison.json",
                        "comparison.html"}) {
    CAPTURE(f);
    CHECK(std::filesystem::exists(dir / f));
  }
  CHECK(std::filesystem::exists(dir / "runs" / "llama2-70b-w8-decode-tp8-on-DGX-H100" /
                                "stats.json"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("compare: SYSTEM... --scenario runs the product; pairs mix in; bad forms exit 2") {
  const auto dir = test::freshDir("archsim-compare2");
  const Result r = cli({"compare", "h100-sxm5", "a100-sxm4", "--scenario", "tiny-llama-decode",
                        "groqchip:tiny-llama-decode", "--format", "csv", "--out", dir.string()});
  REQUIRE(r.code == 0);
  std::istringstream csv(r.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(csv, line);)
    lines.push_back(line);
  REQUIRE(lines.size() == 4);  // header + 3 runs
  CHECK(lines[1].find("H100-SXM5-80GB") != std::string::npos);
  CHECK(lines[3].find("GroqChip") != std::string::npos);
  const Result no_scenario = cli({"compare", "dgx-h100", "--out", dir.string()});
  CHECK(no_scenario.code == 2);
  CHECK(no_scenario.err.find("--scenario") != std::string::npos);
  const Result bad_pair = cli({"compare", "dgx-h100:", "--out", dir.string()});
  CHECK(bad_pair.code == 2);
  CHECK(bad_pair.err.find("expected SYSTEM or SYSTEM:SCENARIO") != std::string::npos);
  const Result bad_format = cli({"compare", "--format", "xml"});
  CHECK(bad_format.code == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("compare: a pair that cannot run keeps its column with the reason; exit 1") {
  const auto dir = test::freshDir("archsim-compare3");
  const Result r = cli({"compare", "dgx-h100:llama2-70b-decode", "groqchip:llama2-70b-decode",
                        "--quiet", "--out", dir.string()});
  CHECK(r.code == 1);
  CHECK(r.out.find("failed (below)") != std::string::npos);
  CHECK(r.out.find("GroqChip1 failed: llama2-70b's weights need 138 GB") != std::string::npos);
  CHECK(r.out.find("DGX-H100") != std::string::npos);
  // The other formats keep the row: empty cells and the reason.
  const std::string csv = test::slurp(dir / "comparison.csv");
  CHECK(csv.find(",error\n") != std::string::npos);
  CHECK(csv.find("sram holds 220 MiB") != std::string::npos);
  const auto json = nlohmann::json::parse(test::slurp(dir / "comparison.json"));
  REQUIRE(json.size() == 2);
  CHECK(json[0]["error"].is_null());
  CHECK(json[1]["tpot_s"].is_null());
  CHECK(json[1]["error"].get<std::string>().find("weights need") != std::string::npos);
  CHECK(!std::filesystem::exists(dir / "runs" / "llama2-70b-decode-on-GroqChip1"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("sweep: points that fail are written with their reasons and the sweep exits 1") {
  const std::filesystem::path dir = test::freshDir("archsim-cli-sweep");
  const std::string file = (test::sourceDir() / "tests" / "data" / "sweep" / "small.yaml").string();
  const Result r = cli({"sweep", file, "--quiet", "--jobs", "1", "--out", dir.string()});
  CHECK(r.code == 1);
  CHECK(r.out.find("16 points (8 ok, 8 failed") != std::string::npos);
  CHECK(r.out.find("on 1 thread in") != std::string::npos);  // not "1 threads"
  std::ifstream csv(dir / "results.csv");
  std::string line;
  int rows = 0, failed = 0;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    ++rows;
    failed += line.find(",failed,") != std::string::npos;
  }
  CHECK(rows == 16);
  CHECK(failed == 8);
  std::filesystem::remove_all(dir);
}
