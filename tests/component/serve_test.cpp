// Serving on the simulated chip: the mixed pass's graph against closed forms (rows, chunk attention
// after its prior KV, logits), the pass timer on and between grid points, the KV capacity of a
// replica by hand, and `archsim serve` end to end (deterministic record, SLO and CSV).
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/app/app.h"
#include "sim/graph/workload.h"
#include "sim/map/parallel.h"
#include "sim/map/placement.h"
#include "sim/run/system_run.h"
#include "sim/serve/pass_timer.h"
#include "sim/serve/serve_run.h"
#include "sim/serve/serving_spec.h"
#include "sim/spec/loader.h"
#include "sim/sweep/sweep_run.h"
#include "sim/sweep/sweep_spec.h"
#include "support.h"

using namespace archsim;
using archsim::test::presetCatalog;

namespace {

spec::ScenarioSpec decode7b(std::uint64_t batch, std::uint64_t kv) {
  return spec::loadScenario(presetCatalog(), "llama2-7b-decode",
                            {"batch=" + std::to_string(batch), "kv_length=" + std::to_string(kv),
                             "parallel={tp: 1}"})
      .spec;
}

const graph::Op* findOp(const graph::Graph& g, const std::string& name) {
  for (const graph::Op& op : g.ops())
    if (op.name == name) return &op;
  return nullptr;
}

}  // namespace

TEST_CASE("A mixed pass: linear ops over every row, chunk attention after its prior KV") {
  spec::ScenarioSpec s = decode7b(3, 500);
  s.chunk_sequences = 2;
  s.chunk_tokens = 100;
  s.chunk_prior_kv = 256;
  const graph::Workload w(s);
  const graph::Graph& g = *w.decodeGraph();
  const spec::ModelSpec& m = s.model;
  const std::uint64_t rows = 3 + 2 * 100, hd = m.head_dim;
  // QKV projection over all 203 rows.
  const graph::Op* qkv = findOp(g, "L0.qkv");
  REQUIRE(qkv != nullptr);
  CHECK(qkv->matrix_flops.at(0) == 2 * rows * m.hidden * (m.qDim() + 2 * m.kvDim()));
  // Chunk attention: per chunk and head, queries i = 0..99 see 256 + i + 1 keys.
  const graph::Op* chunk = findOp(g, "L0.chunk_attention");
  REQUIRE(chunk != nullptr);
  const std::uint64_t pairs = 100 * 256 + 100 * 101 / 2;
  CHECK(chunk->matrix_flops.at(0) == 4 * 2 * m.heads * hd * pairs);
  CHECK(chunk->attention->span(0) == 356);
  // Decode attention of the 3 decode tokens over their KV length, as in a decode step.
  const graph::Op* dec = findOp(g, "L0.attention");
  REQUIRE(dec != nullptr);
  CHECK(dec->matrix_flops.at(g.effectiveKv(500)) == 4 * 3 * m.heads * hd * 500);
  // Logits for the 3 decode tokens and the last position of each chunk.
  const graph::Op* head = findOp(g, "lm_head");
  REQUIRE(head != nullptr);
  CHECK(head->matrix_flops.at(0) == 2 * 5 * m.hidden * m.vocab);
  // The KV capacity the placement lays out covers the chunks' prior and new rows.
  CHECK(w.finalKvLength() == 500);
  s.chunk_prior_kv = 600;
  CHECK(graph::Workload(s).finalKvLength() == 700);

  // A pass of chunks alone has no decode attention.
  spec::ScenarioSpec only = decode7b(1, 1);
  only.batch = 0;
  only.chunk_sequences = 1;
  only.chunk_tokens = 64;
  const graph::Workload w0(only);
  CHECK(findOp(*w0.decodeGraph(), "L0.attention") == nullptr);
  CHECK(findOp(*w0.decodeGraph(), "L0.chunk_attention") != nullptr);
}

TEST_CASE("The pass timer: grid points are simulated passes; between them it interpolates") {
  const spec::LoadedSystem sys = spec::loadSystem(presetCatalog(), "h100-sxm5");
  const spec::ScenarioSpec s = decode7b(1, 1);
  const map::ParallelLayout layout = map::explicitLayout(s, sys.spec);
  serve::SimulatedPassTimer timer(sys.spec, s, layout, false);

  // On the grid: exactly the simulated decode step of that batch and KV length.
  spec::ScenarioSpec direct = s;
  direct.batch = 8;
  direct.kv_length = 512;
  map::ParallelLayout l8 = layout;
  l8.replica_batch = l8.micro_batch = 8;
  const run::SystemRun run(sys.spec, direct, l8);
  const serve::PassTime t = timer.time({8, 512, 0, 0, 0});
  CHECK(static_cast<double>(t.ticks) == doctest::Approx(run.metrics().e2e_s * 1e12).epsilon(1e-9));
  CHECK(timer.stats().simulated == 1);

  // Grid: every value up to 8, then 4 points an octave (decode) and 2 (KV).
  CHECK(serve::SimulatedPassTimer::gridAround(7, 4) ==
        std::pair<std::uint64_t, std::uint64_t>{7, 7});
  CHECK(serve::SimulatedPassTimer::gridAround(13, 4) ==
        std::pair<std::uint64_t, std::uint64_t>{12, 14});
  CHECK(serve::SimulatedPassTimer::gridAround(700, 2) ==
        std::pair<std::uint64_t, std::uint64_t>{512, 768});
  CHECK(serve::SimulatedPassTimer::nearerGridPoint(700, 2) == 768);  // 188 above 512, 68 below
  CHECK(serve::SimulatedPassTimer::nearerGridPoint(640, 2) == 512);  // a tie goes down
  CHECK(serve::SimulatedPassTimer::nearerGridPoint(13, 4) == 12);

  // Between KV grid points the pass time is the linear blend of its neighbours.
  const serve::PassTime lo = timer.time({8, 512, 0, 0, 0});
  const serve::PassTime hi = timer.time({8, 768, 0, 0, 0});
  const serve::PassTime mid = timer.time({8, 576, 0, 0, 0});
  CHECK(static_cast<double>(mid.ticks) ==
        doctest::Approx(0.75 * static_cast<double>(lo.ticks) + 0.25 * static_cast<double>(hi.ticks))
            .epsilon(1e-9));
  CHECK(hi.ticks > lo.ticks);  // more KV to read

  // A decode count between grid points: the cell's first two passes are simulated at their own
  // counts, the third is checked against the interpolation of the cell's corners.
  const std::uint64_t probes = timer.stats().probes;
  direct.batch = 13;
  l8.replica_batch = l8.micro_batch = 13;
  const run::SystemRun run13(sys.spec, direct, l8);
  CHECK(static_cast<double>(timer.time({13, 512, 0, 0, 0}).ticks) ==
        doctest::Approx(run13.metrics().e2e_s * 1e12).epsilon(1e-9));
  timer.time({13, 520, 0, 0, 0});
  CHECK(timer.stats().probes == probes);
  timer.time({13, 530, 0, 0, 0});
  CHECK(timer.stats().probes == probes + 1);
  CHECK(timer.stats().max_error <= 0.01);

  // A pass with a prompt chunk takes longer than the decode tokens alone.
  CHECK(timer.time({8, 512, 1, 256, 0}).ticks > lo.ticks);
}

TEST_CASE("A mixed pass off the KV grid: at the nearer grid point, moved as a decode pass moves") {
  const spec::LoadedSystem sys = spec::loadSystem(presetCatalog(), "h100-sxm5");
  const spec::ScenarioSpec s = decode7b(1, 1);
  const map::ParallelLayout layout = map::explicitLayout(s, sys.spec);
  serve::SimulatedPassTimer timer(sys.spec, s, layout, false);
  // KV 600 lies between the grid points 512 and 768: the nearer is 512.
  const serve::PassTime mixed = timer.time({8, 600, 1, 256, 0});
  const serve::PassTime base = timer.time({8, 512, 1, 256, 0});
  const serve::PassTime with = timer.time({8, 600, 0, 0, 0});
  const serve::PassTime without = timer.time({8, 512, 0, 0, 0});
  CHECK(mixed.ticks == base.ticks + with.ticks - without.ticks);
  CHECK(mixed.energy_j == doctest::Approx(base.energy_j + with.energy_j - without.energy_j));
  // The decode attention is an op of its own: the simulated mixed pass agrees.
  serve::SimulatedPassTimer exact(sys.spec, s, layout, true);
  for (std::uint64_t kv : {600u, 700u}) {
    CAPTURE(kv);
    const double truth = static_cast<double>(exact.time({8, kv, 1, 256, 0}).ticks);
    CHECK(static_cast<double>(timer.time({8, kv, 1, 256, 0}).ticks) ==
          doctest::Approx(truth).epsilon(0.005));
  }
}

TEST_CASE("A pipelined replica's pass interval is its busiest stage's step (or host) time") {
  const spec::LoadedSystem sys = spec::loadSystem(presetCatalog(), "dgx-h100");
  for (std::uint32_t pp : {1u, 4u}) {
    CAPTURE(pp);
    spec::ScenarioSpec s = spec::loadScenario(presetCatalog(), "llama2-7b-decode",
                                              {"parallel={tp: 1, pp: " + std::to_string(pp) + "}"})
                               .spec;
    const map::ParallelLayout layout = map::explicitLayout(s, sys.spec);
    serve::SimulatedPassTimer timer(sys.spec, s, layout, true);
    const serve::PassTime t = timer.time({8, 512, 0, 0, 0});
    // The same pass as a run: its stages' step times on their simulated chips.
    s.batch = 8;
    s.kv_length = 512;
    map::ParallelLayout l8 = layout;
    l8.replica_batch = l8.micro_batch = 8;
    const run::SystemRun run(sys.spec, s, l8, nullptr, run::RunOptions{true});
    Tick busiest = run.hostStepTicks(), stages = 0;
    for (std::size_t st = 0; st < pp; ++st) {
      const Tick step = run.chip(run.chipOfStage(st)).result().step_ticks.at(0);
      busiest = std::max(busiest, step);
      stages += step;
    }
    CHECK(t.interval_ticks == busiest);
    CHECK(t.ticks >= stages + run.hostStepTicks());      // the whole pass: every stage in turn
    if (pp == 4) CHECK(t.interval_ticks < t.ticks / 3);  // four stages of about equal time
  }
}

TEST_CASE("A replica's KV capacity: usable HBM less weights and activations, per token by hand") {
  const spec::LoadedSystem sys = spec::loadSystem(presetCatalog(), "h100-sxm5");
  const spec::ScenarioSpec s = decode7b(1, 1);
  const map::ParallelLayout layout = map::explicitLayout(s, sys.spec);
  const serve::KvCapacity cap = serve::kvCapacity(sys.spec, s, layout, 2048);
  // Llama-2-7B fp16 KV: 2 x 32 layers x 4096 x 2 B = 512 KiB a token.
  CHECK(cap.bytes_per_token == 2 * 32 * 4096 * 2);
  CHECK(cap.level == "hbm");
  const map::Footprint f = map::measure(graph::Workload(map::stageShard(
      [&] {
        spec::ScenarioSpec p = s;
        p.phase = spec::Phase::kPrefill;
        p.prompt_tokens = 2048;
        return p;
      }(),
      layout, layout.stages.front())));
  const std::uint64_t usable =
      map::modelBytesOf(sys.spec.chip, map::modelLevel(sys.spec.chip), s.software);
  const double expected = static_cast<double>(usable - f.weight_bytes - f.activation_bytes) *
                          s.software.kv_cache_fraction / static_cast<double>(cap.bytes_per_token);
  CHECK(cap.tokens == static_cast<std::uint64_t>(expected));
  CHECK(cap.tokens > 100'000);  // ~60 GB of an 80 GiB card
}

TEST_CASE("archsim serve: a record with percentiles and one CSV row a request, byte-identical") {
  const std::filesystem::path dir = test::freshDir("archsim-serve");
  const std::filesystem::path file = dir / "tiny.yaml";
  {
    std::ofstream f(file);
    // A small model keeps the passes cheap (the suite also runs under the sanitizers).
    f << "kind: serving\nname: tiny\nmodel: tiny-llama\nsoftware: vllm\n"
         "scheduler: {policy: chunked, max_batched_tokens: 512}\n"
         "requests: {arrivals: poisson, rate: 40 requests/s, prompt: {distribution: uniform, "
         "min: 64, max: 300}, output: {distribution: uniform, min: 2, max: 40}, count: 12, "
         "seed: 3}\n"
         "slo: {ttft: 200 ms, tpot: 30 ms, percentile: 90}\n";
  }
  std::string first;
  for (int i = 0; i < 2; ++i) {
    const std::string out = (dir / ("run" + std::to_string(i))).string();
    const std::string path = file.string();
    const char* argv[] = {"archsim", "serve", "h100-sxm5", path.c_str(), "--out", out.c_str()};
    std::ostringstream o, e;
    REQUIRE(app::run(6, argv, o, e, app::Context{}) == 0);
    CHECK(o.str().find("TTFT") != std::string::npos);
    std::ifstream j(std::filesystem::path(out) / "serve.json");
    const std::string text((std::istreambuf_iterator<char>(j)), std::istreambuf_iterator<char>());
    if (i == 0) {
      first = text;
      const nlohmann::json doc = nlohmann::json::parse(text);
      CHECK(doc["requests"]["completed"] == 12);
      CHECK(doc["metrics"]["ttft_s"]["p50"].get<double>() > 0);
      CHECK(doc["metrics"]["ttft_s"]["p50"].get<double>() <=
            doc["metrics"]["ttft_s"]["p99"].get<double>());
      CHECK(doc["metrics"]["slo_met"].is_boolean());
      std::ifstream csv(std::filesystem::path(out) / "requests.csv");
      std::string line;
      int lines = 0;
      while (std::getline(csv, line))
        ++lines;
      CHECK(lines == 13);
    } else {
      CHECK(text == first);
    }
  }
  // A bad serving file exits 2 with its location.
  std::ofstream(dir / "bad.yaml") << "kind: serving\nname: bad\nmodel: llama2-7b\nrouter: random\n"
                                     "requests: {arrivals: poisson, rate: 1 requests/s, prompt: "
                                     "8, output: 8, count: 2}\n";
  const std::string bad = (dir / "bad.yaml").string();
  const char* argv[] = {"archsim", "serve", "h100-sxm5", bad.c_str()};
  std::ostringstream o, e;
  CHECK(app::run(4, argv, o, e, app::Context{}) == 2);
  CHECK(e.str().find("bad.yaml:4") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "archsim serve, disaggregated: pools on disjoint chips, the KV link from the level "
    "joining them") {
  const std::filesystem::path dir = test::freshDir("archsim-serve-split");
  const std::filesystem::path file = dir / "split.yaml";
  std::ofstream(file)
      << "kind: serving\nname: split\nmodel: tiny-llama\nsoftware: vllm\n"
         "scheduler: {policy: continuous, max_sequences: 64}\n"
         "disaggregation:\n  prefill: {parallel: {tp: 1, dp: 2}}\n"
         "  decode: {parallel: {tp: 2, dp: 1}, router: least_tokens}\n"
         "requests: {arrivals: poisson, rate: 40 requests/s, prompt: {distribution: uniform, "
         "min: 64, max: 300}, output: {distribution: uniform, min: 1, max: 40}, count: 12, "
         "seed: 3}\n";
  serve::LoadedServing loaded = serve::loadServing(presetCatalog(), file);
  const spec::SystemSpec system = spec::loadSystem(presetCatalog(), "dgx-h100").spec;
  const serve::ServeOutcome o = serve::serveOnSystem(system, loaded.spec, false);
  REQUIRE(o.context.decode.has_value());
  REQUIRE(o.context.link.has_value());
  // 4 chips of the 8 on one NVSwitch: the node level joins them. A chip's NVLink each way at the
  // collectives' achievable fraction; a port has its replica's chips.
  const spec::LinkSpec& nvlink = system.levels.at(0).link;
  const double per_chip = nvlink.bytesPerSecondPerDirection() * nvlink.achievable_fraction;
  CHECK(o.context.link->prefill_port_bytes_per_s == doctest::Approx(per_chip));
  CHECK(o.context.link->decode_port_bytes_per_s == doctest::Approx(2 * per_chip));
  CHECK(o.context.link->latency_ps == nvlink.latency_ps + system.levels[0].switch_spec->latency_ps);
  // What moves: every layer's K and V for every KV head, fp16.
  const spec::ModelSpec& m = loaded.spec.scenario.model;
  CHECK(o.context.link->bytes_per_token == 2 * m.layers * m.kv_heads * m.head_dim * 2);
  std::uint64_t moved = 0, bytes = 0;
  for (const serve::RequestRecord& q : o.result.requests) {
    CHECK(q.done);
    if (q.request.output_tokens < 2) {
      CHECK(q.kv_transfer_end_ps == 0);
      continue;
    }
    ++moved;
    bytes += q.request.prompt_tokens * o.context.link->bytes_per_token;
    CHECK(q.kv_transfer_start_ps >= q.first_token_ps);
    CHECK(q.finish_ps > q.kv_transfer_end_ps);
  }
  CHECK(o.result.kv_transfers == moved);
  CHECK(o.result.kv_transfer_bytes == bytes);
  for (const serve::PassRecord& p : o.result.passes) {
    if (p.pool == 0) CHECK(p.shape.decode == 0);  // the prefill pool never decodes
  }
  // Pools that do not fit the system together: located error, exit 2.
  const std::string path = file.string();
  const char* argv[] = {"archsim",    "serve", "dgx-h100",
                        path.c_str(), "--set", "disaggregation.decode.parallel.dp=4"};
  std::ostringstream out, err;
  CHECK(app::run(6, argv, out, err, app::Context{}) == 2);
  CHECK(err.str().find("disaggregation.decode.parallel") != std::string::npos);
  CHECK(err.str().find("taken by the prefill pool") != std::string::npos);
  std::filesystem::remove_all(dir);
}

namespace {

/// tiny-llama traffic with a 5 ms TTFT target at p90: cheap passes, an SLO that breaks near 8
/// requests/s on an H100.
std::filesystem::path tinySloFile(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "tiny-slo.yaml";
  std::ofstream(file) << "kind: serving\nname: tiny-slo\nmodel: tiny-llama\nsoftware: vllm\n"
                         "scheduler: {policy: chunked, max_batched_tokens: 512}\n"
                         "requests: {arrivals: poisson, rate: 40 requests/s, prompt: "
                         "{distribution: uniform, min: 64, max: 300}, output: {distribution: "
                         "uniform, min: 2, max: 40}, count: 40, seed: 3}\n"
                         "slo: {ttft: 5 ms, percentile: 90}\n";
  return file;
}

}  // namespace

TEST_CASE("archsim serve --find-max-rate: a bracket within 2 % around where the SLO breaks") {
  const std::filesystem::path dir = test::freshDir("archsim-serve-rate");
  serve::LoadedServing loaded = serve::loadServing(presetCatalog(), tinySloFile(dir));
  const spec::SystemSpec system = spec::loadSystem(presetCatalog(), "h100-sxm5").spec;
  // Another rate is the same requests with every gap scaled (the same seed).
  const std::vector<serve::Request> base = loaded.spec.requests;
  const std::vector<serve::Request> twice = serve::requestsAtRate(loaded.spec, 80.0);
  REQUIRE(twice.size() == base.size());
  for (std::size_t i = 0; i < base.size(); ++i) {
    CHECK(twice[i].prompt_tokens == base[i].prompt_tokens);
    CHECK(twice[i].output_tokens == base[i].output_tokens);
    CHECK(std::llabs(static_cast<long long>(2 * twice[i].arrival_ps) -
                     static_cast<long long>(base[i].arrival_ps)) <= 2);
  }
  const serve::MaxRateSearch s = serve::findMaxRate(system, loaded.spec, false);
  REQUIRE(s.max_rate_per_s.has_value());
  REQUIRE(s.missed_rate_per_s.has_value());
  CHECK(*s.max_rate_per_s < *s.missed_rate_per_s);
  CHECK(*s.missed_rate_per_s - *s.max_rate_per_s <= 0.02 * *s.max_rate_per_s);
  CHECK(s.outcome.metrics.slo_met == true);
  // The record is the run at the rate found: its TTFT at p90 is within the target.
  CHECK(s.outcome.metrics.ttft_s.p90 <= 5e-3);
  for (const serve::RateProbe& p : s.probes) {
    CHECK(p.metrics.slo_met == (p.rate_per_s <= *s.max_rate_per_s));
  }
  // Without an SLO there is nothing to search for.
  std::ofstream(dir / "no-slo.yaml") << "kind: serving\nname: no-slo\nmodel: tiny-llama\n"
                                        "requests: {arrivals: poisson, rate: 4 requests/s, "
                                        "prompt: 64, output: 8, count: 4}\n";
  serve::LoadedServing none = serve::loadServing(presetCatalog(), dir / "no-slo.yaml");
  CHECK_THROWS_AS(serve::findMaxRate(system, none.spec, false), ConfigError);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "archsim sweep over a serving file: one serving run a point, serving metrics as columns") {
  const std::filesystem::path dir = test::freshDir("archsim-serve-sweep");
  tinySloFile(dir);
  std::ofstream(dir / "rates.yaml")
      << "kind: sweep\nname: rates\nsystem: h100-sxm5\nscenario: tiny-slo.yaml\n"
         "axes:\n  - {key: requests.rate, values: [4 requests/s, 40 requests/s]}\n"
         "derived: {tokens_per_request: \"output_tokens_per_s / requests_per_s\"}\n";
  const sweep::SweepSpec s = sweep::loadSweep(dir / "rates.yaml");
  CHECK(s.serving);
  CHECK(s.plot == std::vector<std::string>{"ttft_p90_s", "tpot_p90_s", "output_tokens_per_s"});
  const auto rows = sweep::runSweep(presetCatalog(), s, {dir / "out", 1, false, {}});
  REQUIRE(rows.size() == 2);
  for (const sweep::PointResult& r : rows) {
    REQUIRE(r.ok);
    CHECK(r.metrics.at(4).first == "ttft_p90_s");
  }
  // Ten times the load: more requests miss the 5 ms TTFT target, the p90 TTFT is longer.
  const auto metric = [](const sweep::PointResult& r, const std::string& name) {
    for (const auto& [n, v] : r.metrics)
      if (n == name) return v.value_or(-1);
    return -1.0;
  };
  CHECK(metric(rows[0], "slo_attainment") > metric(rows[1], "slo_attainment"));
  CHECK(metric(rows[0], "ttft_p90_s") < metric(rows[1], "ttft_p90_s"));
  // A run metric is not a serving one: the sweep file is refused, located.
  std::ofstream(dir / "bad.yaml") << "kind: sweep\nname: bad\nsystem: h100-sxm5\n"
                                     "scenario: tiny-slo.yaml\naxes:\n  - {key: requests.rate, "
                                     "values: [4 requests/s]}\nplot: [tokens_per_s_per_user]\n";
  CHECK_THROWS_AS(sweep::loadSweep(dir / "bad.yaml"), ConfigError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("A mixed pass's KV cache takes what its sequences hold, not every row at the longest") {
  // 3 decode tokens at 500 entries and 2 chunks of 100 after 600: the caches are laid out at 700
  // entries a row (rows address alike), but the pass holds 3 x 500 + 2 x 700 entries.
  spec::ScenarioSpec s = decode7b(3, 500);
  s.chunk_sequences = 2;
  s.chunk_tokens = 100;
  s.chunk_prior_kv = 600;
  const graph::Workload w(s);
  CHECK(w.finalKvLength() == 700);
  CHECK(w.kvEntries() == std::pair<std::uint64_t, std::uint64_t>{3 * 500 + 2 * 700, 5 * 700});
  const spec::ChipSpec chip = spec::loadSystem(presetCatalog(), "h100-sxm5").spec.chip;
  const map::Placement p = map::place(chip, w, {}, s.software);
  const spec::ModelSpec& m = s.model;
  const std::uint64_t row = 2 * m.kv_heads * m.head_dim * 2;  // K and V of a token, a layer, fp16
  CHECK(p.kvBytes() == m.layers * row * (3 * 500 + 2 * 700));
}
