// Multi-chip physics that must emerge (tensor-parallel scaling, link time vs weight bytes), every
// system preset running a scenario that fits it, and the SRAM-vs-HBM comparison.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/run_report.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;

namespace {

using test::load;
using test::Loaded;

/// Seconds the simulated chips spent in collective ops (summed over stages, one microbatch).
double networkSeconds(const run::SystemRun& run) {
  double t = 0;
  for (const auto& [bound, s] : run.timeByBound()) {
    if (bound == "network") t += s;
  }
  return t;
}

}  // namespace

TEST_CASE(
    "Decode at batch 1 on DGX-H100 speeds up sublinearly with TP 1 -> 2 -> 4 -> 8; prefill scales "
    "better") {
  // Llama-2-13B (26 GB) fits one H100, so TP 1 is a real baseline; 40 heads split 2, 4 and 8 ways.
  std::map<std::uint32_t, double> decode, prefill, network, weights;
  for (std::uint32_t tp : {1u, 2u, 4u, 8u}) {
    const Loaded d = load("dgx-h100", "llama2-7b-decode",
                          {"model=llama2-13b", fmt::format("parallel.tp={}", tp)});
    const run::SystemRun rd(d.system.spec, d.scenario.spec);
    decode[tp] = *rd.result().metrics.tpot_s;
    network[tp] = networkSeconds(rd);
    weights[tp] = static_cast<double>(rd.chip(0).placement().weightBytes());
    const Loaded p = load("dgx-h100", "llama2-7b-prefill",
                          {"model=llama2-13b", fmt::format("parallel.tp={}", tp)});
    const run::SystemRun rp(p.system.spec, p.scenario.spec);
    prefill[tp] = *rp.result().metrics.ttft_s;
    MESSAGE(fmt::format(
        "tp {}: decode tpot {:.3f} ms (network {:.3f} ms), prefill 2048 tokens {:.3f} ms, "
        "weights per chip {:.2f} GB",
        tp, decode[tp] * 1e3, network[tp] * 1e3, prefill[tp] * 1e3, weights[tp] / 1e9));
  }
  for (std::uint32_t tp : {2u, 4u, 8u}) {
    CAPTURE(tp);
    CHECK(decode[tp] < decode[tp / 2]);        // faster ...
    CHECK(decode[tp / 2] / decode[tp] < 2.0);  // ... but less than 2x per doubling
    CHECK(weights[tp] < weights[tp / 2]);      // per-chip weight bytes shrink ...
    CHECK(network[tp] > network[tp / 2]);      // ... while link time grows
  }
  CHECK(network[1] == 0.0);
  CHECK(prefill[1] / prefill[8] > decode[1] / decode[8]);
}

TEST_CASE("archsim run works on every system preset with a scenario that fits it") {
  // Every preset must appear here: a new system without a scenario fails this test.
  const std::map<std::string, std::pair<std::string, std::vector<std::string>>> plan = {
      {"cs3-4", {"llama2-70b-decode", {"parallel=auto"}}},
      {"dgx-a100", {"llama2-70b-decode", {"parallel.tp=8"}}},
      {"dgx-b200", {"llama2-70b-decode", {"parallel.tp=8"}}},
      {"gb200-nvl72", {"llama2-70b-decode", {"parallel={tp: 8, dp: 9}", "batch=9"}}},
      {"dgx-h100", {"llama2-70b-decode", {"parallel.tp=8"}}},
      {"dgx-h100-x4",
       {"llama2-70b-decode", {"batch=2", "parallel.tp=8", "parallel.pp=2", "parallel.dp=2"}}},
      {"groq-576", {"llama2-70b-w8-decode-auto", {}}},
      {"groqrack", {"llama2-7b-decode", {"dtypes.weights=int8", "parallel=auto"}}},
      {"hgx-h200", {"llama2-70b-decode", {"parallel.tp=8"}}},
      {"l40s-8", {"llama2-70b-decode", {"parallel.tp=8"}}},
      {"mi300x-8", {"llama2-70b-decode", {"parallel.tp=8", "parallel.pp=1"}}},
      {"tpu-v5e-16", {"llama2-70b-decode", {"parallel={tp: 16}"}}},
  };
  std::size_t presets = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(test::sourceDir() / "configs" / "systems")) {
    const std::string name = entry.path().stem().string();
    CAPTURE(name);
    ++presets;
    REQUIRE(plan.count(name) == 1);
    const auto& [scenario, sets] = plan.at(name);
    const Loaded l = load(name, scenario, sets);
    const run::SystemRun run(l.system.spec, l.scenario.spec);
    const run::Metrics& m = run.result().metrics;
    REQUIRE(m.tpot_s);
    CHECK(*m.tpot_s > 0);
    CHECK(m.chips > 1);
    CHECK(m.chips <= l.system.spec.chipCount());
    CHECK(*m.energy_per_token_j > 0);
    MESSAGE(
        fmt::format("{:<10} {:<26} {:>4} chips ({}), tpot {:.3f} ms, {:.3g} J/token, bound by {}",
                    name, scenario, m.chips, run.layout().describe(), *m.tpot_s * 1e3,
                    *m.energy_per_token_j, run.bindingResource()));
  }
  CHECK(presets == plan.size());
}

TEST_CASE("A multi-chip run is deterministic: byte-identical stats.json") {
  const Loaded l = load("groqrack", "llama2-7b-decode", {"dtypes.weights=int8", "parallel=auto"});
  const std::string a = report::statsJson(run::SystemRun(l.system.spec, l.scenario.spec)).dump();
  const std::string b = report::statsJson(run::SystemRun(l.system.spec, l.scenario.spec)).dump();
  CHECK(a == b);
  const auto j = nlohmann::json::parse(a);
  CHECK(j["parallel"]["chips"] == j["metrics"]["chips"]);
  CHECK(j["parallel"]["stages"].size() == j["parallel"]["pp"]);
}

TEST_CASE(
    "The comparison: Llama-2-70B decode on DGX-H100 (TP 8) vs Groq-576, and a small model on one "
    "of each") {
  struct Case {
    std::string system, scenario;
  };
  const std::vector<Case> cases = {{"dgx-h100", "llama2-70b-w8-decode-tp8"},
                                   {"groq-576", "llama2-70b-w8-decode-auto"},
                                   {"h100-sxm5", "gpt2-w8-decode"},
                                   {"groqchip", "gpt2-w8-decode"}};
  std::map<std::string, run::Metrics> m;
  std::map<std::string, std::string> bound;
  std::map<std::string, std::uint64_t> memory;
  std::string table =
      "\nsystem      scenario                    chips   memory     tokens/s/user   energy/token   "
      "binding\n";
  for (const Case& c : cases) {
    const Loaded l = load(c.system, c.scenario);
    const run::SystemRun run(l.system.spec, l.scenario.spec);
    const std::string key = c.system + "/" + c.scenario;
    m[key] = run.result().metrics;
    bound[key] = run.bindingResource();
    memory[key] = run.memoryBytes();
    table += fmt::format("{:<11} {:<27} {:>5}   {:>7.1f} GB   {:>13.1f}   {:>10.3g} J   {}\n",
                         c.system, c.scenario, m[key].chips, static_cast<double>(memory[key]) / 1e9,
                         *m[key].tokens_per_s_per_user, *m[key].energy_per_token_j, bound[key]);
  }
  MESSAGE(table);
  const std::string dgx = "dgx-h100/llama2-70b-w8-decode-tp8",
                    groq = "groq-576/llama2-70b-w8-decode-auto";
  const std::string h100 = "h100-sxm5/gpt2-w8-decode", chip = "groqchip/gpt2-w8-decode";
  CHECK(m[dgx].chips == 8);
  CHECK(memory[dgx] == 8 * 81559ULL * 1024 * 1024);  // what each H100 reports
  CHECK(m[groq].chips == 328);                       // fit: 41 stages of 8 chips
  CHECK(memory[groq] == 328ULL * 220 * 1024 * 1024);
  CHECK(bound[dgx] == "hbm");   // weights stream from HBM every token
  CHECK(bound[groq] != "hbm");  // no HBM: SRAM, links and compute
  CHECK(*m[groq].tokens_per_s_per_user > *m[dgx].tokens_per_s_per_user);
  CHECK(m[h100].chips == 1);
  CHECK(m[chip].chips == 1);
  CHECK(bound[h100] != "compute");
  {  // kernel launches dominate a 124 M-parameter model's token
    const Loaded l = load("h100-sxm5", "gpt2-w8-decode");
    const run::SystemRun run(l.system.spec, l.scenario.spec);
    double launch = 0, all = 0;
    for (const auto& [name, seconds] : run.timeByBound()) {
      all += seconds;
      if (name == "launch") launch = seconds;
    }
    CHECK(launch > 0.5 * all);
  }
  CHECK(*m[chip].tokens_per_s_per_user > *m[h100].tokens_per_s_per_user);
}
