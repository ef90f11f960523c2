// The serving engine against queueing closed forms and scheduler invariants, with pass times from
// a closed-form timer (the simulated chip is tested apart: serve_test.cpp): M/D/1 waiting time,
// Little's law, static and chunked passes on an idle replica, continuous vs static batching, KV
// blocks never overcommitted under preemption (recompute and swap), routers, determinism.
#include <algorithm>
#include <cmath>
#include <map>

#include <doctest/doctest.h>

#include "sim/core/error.h"
#include "sim/serve/engine.h"

using namespace archsim;
using namespace archsim::serve;

namespace {

constexpr Tick kMs = 1'000'000'000;  // ticks are picoseconds

/// a + b per token of the pass (decode tokens and prompt tokens alike), through `stages` equal
/// pipeline stages (the interval is the pass's time over the stages).
class AffineTimer : public PassTimer {
 public:
  AffineTimer(Tick fixed, Tick per_token, Tick stages = 1)
      : fixed_(fixed), per_token_(per_token), stages_(stages) {}
  PassTime time(const PassShape& p) override {
    shapes.push_back(p);
    const Tick t = fixed_ + per_token_ * (p.decode + p.chunks * p.chunk_tokens);
    return {t, 1.0, t / stages_};
  }
  std::vector<PassShape> shapes;

 private:
  Tick fixed_, per_token_, stages_;
};

std::vector<Request> stream(double rate, std::uint64_t count, LengthSpec prompt, LengthSpec output,
                            std::uint64_t seed = 1) {
  StreamSpec s;
  s.arrivals = {ArrivalKind::kPoisson, rate, 1.0};
  s.prompt = prompt;
  s.output = output;
  s.seed = seed;
  s.count = count;
  return generate(s);
}

EngineOptions options(SchedulerPolicy policy, std::uint64_t max_sequences,
                      std::uint64_t kv_blocks = 1'000'000) {
  EngineOptions o;
  o.scheduler.policy = policy;
  o.scheduler.max_sequences = max_sequences;
  o.kv_blocks = kv_blocks;
  return o;
}

double meanSeconds(const EngineResult& r, Tick RequestRecord::*from, Tick RequestRecord::*to,
                   bool arrival_from = false) {
  double sum = 0;
  for (const RequestRecord& q : r.requests)
    sum += ticksToSeconds((q.*to) - (arrival_from ? q.request.arrival_ps : q.*from));
  return sum / static_cast<double>(r.requests.size());
}

}  // namespace

TEST_CASE("serve engine: one request on an idle replica takes prefill + (output - 1) decodes") {
  AffineTimer timer(kMs, 0);
  const std::vector<Request> one{{0, 5 * kMs, 100, 8}};
  for (auto policy : {SchedulerPolicy::kStatic, SchedulerPolicy::kContinuous}) {
    const EngineResult r = runEngine(one, options(policy, 8), timer);
    const RequestRecord& q = r.requests.at(0);
    CHECK(q.done);
    CHECK(q.first_scheduled_ps == 5 * kMs);
    CHECK(q.first_token_ps == 6 * kMs);
    CHECK(q.finish_ps == 6 * kMs + 7 * kMs);
    CHECK(r.passes.size() == 8);
  }
}

TEST_CASE("serve engine: M/D/1 mean waiting time matches rho D / (2 (1 - rho))") {
  // One sequence at a time, one pass per request (output 1): a single server with a constant
  // service time D = 1 ms at rho = 0.6.
  AffineTimer timer(kMs, 0);
  const double rate = 600.0, d = 1e-3, rho = rate * d;
  const auto reqs = stream(rate, 200'000, {LengthKind::kFixed, 64}, {LengthKind::kFixed, 1});
  const EngineResult r = runEngine(reqs, options(SchedulerPolicy::kContinuous, 1), timer);
  const double wait = meanSeconds(r, nullptr, &RequestRecord::first_scheduled_ps, true);
  const double expected = rho * d / (2 * (1 - rho));  // 0.75 ms
  CHECK(wait == doctest::Approx(expected).epsilon(0.03));
  // Utilization: busy time / span = rho.
  const double busy = static_cast<double>(r.passes.size()) * d;
  CHECK(busy / ticksToSeconds(r.end_ps) == doctest::Approx(rho).epsilon(0.02));
}

TEST_CASE("serve engine: Little's law — mean requests in system = arrival rate x mean time") {
  AffineTimer timer(kMs / 2, kMs / 100);
  const auto reqs =
      stream(40.0, 20'000, {LengthKind::kUniform, 0, 16, 256}, {LengthKind::kUniform, 0, 1, 64});
  const EngineResult r = runEngine(reqs, options(SchedulerPolicy::kContinuous, 64), timer);
  // Time-average of the number in system over [first arrival, last finish], by sweeping the
  // arrivals and departures, against rate x mean sojourn with the rate measured on that span.
  std::vector<std::pair<Tick, int>> events;
  for (const RequestRecord& q : r.requests) {
    REQUIRE(q.done);
    events.emplace_back(q.request.arrival_ps, +1);
    events.emplace_back(q.finish_ps, -1);
  }
  std::sort(events.begin(), events.end());
  const Tick t0 = events.front().first, t1 = events.back().first;
  double area = 0;
  int n = 0;
  Tick last = t0;
  for (const auto& [t, d] : events) {
    area += static_cast<double>(n) * ticksToSeconds(t - last);
    n += d;
    last = t;
  }
  const double span = ticksToSeconds(t1 - t0);
  const double mean_in_system = area / span;
  const double rate = static_cast<double>(r.requests.size()) / span;
  const double sojourn = meanSeconds(r, nullptr, &RequestRecord::finish_ps, true);
  CHECK(mean_in_system == doctest::Approx(rate * sojourn).epsilon(1e-9));
  // And the pass records, sampled at pass ends and weighted by pass length (idle time counts
  // zero), agree within the arrivals a pass does not see (a coarse, independent view).
  double weighted = 0;
  for (const PassRecord& p : r.passes) {
    const double len = ticksToSeconds(p.end_ps - p.start_ps);
    weighted += static_cast<double>(p.running + p.waiting) * len;
  }
  CHECK(weighted / span > 0.8 * mean_in_system);
  CHECK(weighted / span < 1.2 * mean_in_system);
}

TEST_CASE("serve engine: static batches run to their longest request; chunked prefill splits") {
  AffineTimer timer(kMs, 0);
  // Two requests at 0: outputs 2 and 5. Static: prefill pass [0, 1 ms], decodes until the longer
  // one has 5 tokens (4 decode passes), the shorter one done after its first decode (2 ms).
  const std::vector<Request> two{{0, 0, 10, 2}, {1, 0, 10, 5}};
  const EngineResult s = runEngine(two, options(SchedulerPolicy::kStatic, 8), timer);
  CHECK(s.requests[0].finish_ps == 2 * kMs);
  CHECK(s.requests[1].finish_ps == 5 * kMs);
  CHECK(s.passes.size() == 5);
  CHECK(s.passes.back().shape.decode == 2);  // the finished one is still in the batch
  // A third request arriving at 0.5 ms waits for the whole batch.
  std::vector<Request> three = two;
  three.push_back({2, kMs / 2, 10, 1});
  const EngineResult s3 = runEngine(three, options(SchedulerPolicy::kStatic, 8), timer);
  CHECK(s3.requests[2].first_scheduled_ps == 5 * kMs);
  // Continuous batching admits it at the next pass boundary.
  const EngineResult c3 = runEngine(three, options(SchedulerPolicy::kContinuous, 8), timer);
  CHECK(c3.requests[2].first_scheduled_ps == kMs);

  // Chunked: a 1,000-token prompt under a 256-token budget takes 4 passes to its first token,
  // chunks 256, 256, 256, 232 after 0, 256, 512, 768 prior tokens.
  EngineOptions o = options(SchedulerPolicy::kChunked, 8);
  o.scheduler.max_batched_tokens = 256;
  AffineTimer t2(kMs, 0);
  const EngineResult k = runEngine({{0, 0, 1000, 3}}, o, t2);
  CHECK(k.requests[0].first_token_ps == 4 * kMs);
  CHECK(k.requests[0].finish_ps == 6 * kMs);
  REQUIRE(t2.shapes.size() == 6);
  CHECK(t2.shapes[3].chunk_tokens == 232);
  CHECK(t2.shapes[3].chunk_prior == 768);
  CHECK(t2.shapes[4].decode == 1);
  CHECK(t2.shapes[4].decode_kv == 1001);
}

TEST_CASE("serve engine: continuous batching beats static batching at the same load") {
  const auto reqs =
      stream(60.0, 3'000, {LengthKind::kUniform, 0, 32, 512}, {LengthKind::kUniform, 0, 1, 128}, 3);
  AffineTimer a(2 * kMs, kMs / 200), b(2 * kMs, kMs / 200);
  const EngineResult st = runEngine(reqs, options(SchedulerPolicy::kStatic, 32), a);
  const EngineResult co = runEngine(reqs, options(SchedulerPolicy::kContinuous, 32), b);
  const double e2e_static = meanSeconds(st, nullptr, &RequestRecord::finish_ps, true);
  const double e2e_cont = meanSeconds(co, nullptr, &RequestRecord::finish_ps, true);
  CHECK(e2e_cont < 0.7 * e2e_static);
  CHECK(co.end_ps < st.end_ps);
}

TEST_CASE("serve engine: KV blocks are never overcommitted; preemption recomputes or swaps") {
  const auto reqs = stream(200.0, 2'000, {LengthKind::kUniform, 0, 64, 512},
                           {LengthKind::kUniform, 0, 64, 512}, 5);
  for (auto kind : {Preemption::kRecompute, Preemption::kSwap}) {
    for (const auto& pl : {std::pair{SchedulerPolicy::kContinuous, 1u},
                           {SchedulerPolicy::kChunked, 1u},
                           {SchedulerPolicy::kContinuous, 4u},
                           {SchedulerPolicy::kChunked, 4u}}) {
      const SchedulerPolicy policy = pl.first;
      const std::uint32_t lanes = pl.second;
      CAPTURE(lanes);
      EngineOptions o = options(policy, 256, /*kv_blocks=*/200);  // 3,200 tokens
      o.scheduler.preemption = kind;
      o.scheduler.max_batched_tokens = policy == SchedulerPolicy::kChunked ? 512 : 0;
      o.scheduler.swap_bytes_per_s = 64e9;
      o.scheduler.passes_in_flight = lanes;  // the lanes share the blocks
      o.kv_bytes_per_token = 128 * 1024;
      AffineTimer t(kMs, kMs / 1000, lanes);
      const EngineResult r = runEngine(reqs, o, t);
      CHECK(r.preemptions > 0);
      CHECK(r.max_blocks_used <= 200);
      for (const RequestRecord& q : r.requests) {
        REQUIRE(q.done);
        CHECK(q.first_token_ps <= q.finish_ps);
      }
      for (const PassRecord& p : r.passes)
        CHECK(p.blocks_used <= 200);
    }
  }
  // A request that can never fit is an error, not a hang.
  AffineTimer t(kMs, 0);
  CHECK_THROWS_AS(runEngine({{0, 0, 3000, 300}}, options(SchedulerPolicy::kContinuous, 8, 200), t),
                  ConfigError);
}

TEST_CASE("serve engine: routers spread requests; the same input gives the same records") {
  const auto reqs = stream(300.0, 4'000, {LengthKind::kUniform, 0, 16, 1024},
                           {LengthKind::kUniform, 0, 1, 256}, 9);
  std::map<RouterKind, Tick> span;
  for (auto router : {RouterKind::kRoundRobin, RouterKind::kLeastTokens, RouterKind::kKvAware}) {
    EngineOptions o = options(SchedulerPolicy::kContinuous, 64, 4'000);
    o.replicas = 4;
    o.router = router;
    AffineTimer t1(kMs, kMs / 500), t2(kMs, kMs / 500);
    const EngineResult a = runEngine(reqs, o, t1);
    const EngineResult b = runEngine(reqs, o, t2);
    std::vector<std::uint64_t> per(4);
    for (std::size_t i = 0; i < a.requests.size(); ++i) {
      ++per.at(a.requests[i].replica);
      CHECK(a.requests[i].finish_ps == b.requests[i].finish_ps);
      CHECK(a.requests[i].replica == b.requests[i].replica);
    }
    for (std::uint64_t n : per)
      CHECK(n > 800);  // every replica takes a fair share
    if (router == RouterKind::kRoundRobin) CHECK(per == std::vector<std::uint64_t>(4, 1000));
    span[router] = a.end_ps;
  }
  CHECK(span.size() == 3);
}

TEST_CASE("serve engine, pipelined: passes overlap one interval apart, one per lane") {
  // Three stages of 1 ms: a pass takes 3 ms and the next may enter 1 ms after it. Three requests
  // at t = 0 (one sequence a pass), each a prompt and three decodes: on three lanes request i's
  // passes run at [i, i + 3] + 3k ms — it finishes at 12 + i ms; without overlap, at 12 (i + 1).
  const std::vector<Request> three{{0, 0, 10, 4}, {1, 0, 10, 4}, {2, 0, 10, 4}};
  for (std::uint32_t lanes : {3u, 1u}) {
    CAPTURE(lanes);
    EngineOptions o = options(SchedulerPolicy::kContinuous, 1);
    o.scheduler.passes_in_flight = lanes;
    AffineTimer t(3 * kMs, 0, 3);
    const EngineResult r = runEngine(three, o, t);
    REQUIRE(r.passes.size() == 12);
    for (std::uint64_t i = 0; i < 3; ++i) {
      const RequestRecord& q = r.requests.at(i);
      CHECK(q.first_scheduled_ps == (lanes == 3 ? i : 12 * i) * kMs);
      CHECK(q.first_token_ps == (lanes == 3 ? 3 + i : 12 * i + 3) * kMs);
      CHECK(q.finish_ps == (lanes == 3 ? 12 + i : 12 * (i + 1)) * kMs);
    }
    if (lanes == 3) {
      for (std::size_t k = 0; k < r.passes.size(); ++k) {
        CHECK(r.passes[k].lane == k % 3);
        CHECK(r.passes[k].start_ps == k * kMs);
        CHECK(r.passes[k].end_ps == (k + 3) * kMs);
      }
    }
  }
}

TEST_CASE("serve engine, pipelined: a pass leaves the pipeline after the pass ahead of it") {
  // Two lanes, three equal stages, 60 us a token: a 100-token prompt's pass takes 6 ms (2 ms a
  // stage), a 10-token one's 0.6 ms (0.2 ms a stage).
  AffineTimer t(0, 3 * kMs / 50, 3);
  EngineOptions o = options(SchedulerPolicy::kContinuous, 1);
  o.scheduler.passes_in_flight = 2;
  // Slow ahead: the short pass enters at 2 ms, waits behind the long one at every stage and
  // leaves one of its stage times after it: 6 + 0.2 ms (not 2 + 0.6).
  EngineResult r = runEngine({{0, 0, 100, 1}, {1, 0, 10, 1}}, o, t);
  CHECK(r.requests.at(1).first_scheduled_ps == 2 * kMs);
  CHECK(r.requests.at(1).first_token_ps == 6 * kMs + kMs / 5);
  // Fast ahead: the long pass enters at 0.2 ms and never waits: it leaves at 0.2 + 6 ms.
  r = runEngine({{0, 0, 10, 1}, {1, 0, 100, 1}}, o, t);
  CHECK(r.requests.at(0).first_token_ps == 3 * kMs / 5);
  CHECK(r.requests.at(1).first_scheduled_ps == kMs / 5);
  CHECK(r.requests.at(1).first_token_ps == 6 * kMs + kMs / 5);
}

namespace {

/// A disaggregated engine: one prefill and `decode_replicas` decode replicas, a link of 1 GB/s a
/// port (1 ms per MB) with 5 us latency, 1,000 bytes of KV a token.
EngineOptions split(std::uint64_t decode_blocks = 1'000'000, std::uint32_t decode_replicas = 1) {
  EngineOptions o = options(SchedulerPolicy::kContinuous, 64);
  PoolOptions d;
  d.scheduler.policy = SchedulerPolicy::kContinuous;
  d.scheduler.max_sequences = 64;
  d.replicas = decode_replicas;
  d.kv_blocks = decode_blocks;
  o.decode = d;
  o.kv_link.prefill_port_bytes_per_s = 1e9;
  o.kv_link.decode_port_bytes_per_s = 1e9;
  o.kv_link.latency_ps = 5'000'000;
  o.kv_link.bytes_per_token = 1'000;
  o.kv_link.energy_j_per_byte = 1e-9;
  return o;
}

}  // namespace

TEST_CASE("serve engine, disaggregated: prefill pass, KV move, then decodes on the decode pool") {
  // Prefill: 1 ms + 10 us a token; 500 prompt tokens take 6 ms. The KV of 500 tokens is 500 kB:
  // 0.5 ms at 1 GB/s, plus 5 us. Then 7 decode passes of 2 ms on the decode replica.
  AffineTimer prefill(kMs, kMs / 100);
  AffineTimer decode(2 * kMs, 0);
  const EngineResult r = runEngine({{0, 0, 500, 8}}, split(), prefill, &decode);
  const RequestRecord& q = r.requests.at(0);
  CHECK(q.done);
  CHECK(q.first_token_ps == 6 * kMs);
  CHECK(q.kv_transfer_start_ps == 6 * kMs);
  const Tick arrival = 6 * kMs + kMs / 2 + 5'000'000;
  CHECK(q.kv_transfer_end_ps == arrival);
  CHECK(q.finish_ps == arrival + 7 * 2 * kMs);
  CHECK(r.kv_transfers == 1);
  CHECK(r.kv_transfer_bytes == 500'000);
  CHECK(r.kv_transfer_energy_j == doctest::Approx(500'000e-9));
  CHECK(r.kv_port_busy_ps == kMs / 2);
  REQUIRE(r.passes.size() == 8);
  CHECK(r.passes[0].pool == 0);
  CHECK(r.passes[0].shape.chunks == 1);
  for (std::size_t i = 1; i < 8; ++i) {
    CHECK(r.passes[i].pool == 1);
    CHECK(r.passes[i].shape.decode == 1);
    CHECK(r.passes[i].shape.decode_kv == 500 + i);  // the first token's entry, then one a pass
  }
  // A request that ends at its first token never moves.
  const EngineResult one = runEngine({{0, 0, 500, 1}}, split(), prefill, &decode);
  CHECK(one.kv_transfers == 0);
  CHECK(one.requests.at(0).finish_ps == 6 * kMs);
}

TEST_CASE(
    "serve engine, disaggregated: transfers queue on a shared port; a full decode pool "
    "holds them back") {
  AffineTimer prefill(kMs, 0);
  AffineTimer decode(2 * kMs, 0);
  // Two 1,000-token prompts prefilled together (1 ms): both KV caches (1 MB, 1 ms each) leave at
  // once over the one prefill port and the one decode port: the second starts as the first ends.
  const std::vector<Request> two{{0, 0, 1000, 3}, {1, 0, 1000, 3}};
  const EngineResult r = runEngine(two, split(), prefill, &decode);
  const Tick lat = 5'000'000;
  CHECK(r.requests[0].kv_transfer_start_ps == kMs);
  CHECK(r.requests[0].kv_transfer_end_ps == 2 * kMs + lat);
  CHECK(r.requests[1].kv_transfer_start_ps == 2 * kMs);
  CHECK(r.requests[1].kv_transfer_end_ps == 3 * kMs + lat);
  // With two decode replicas (round robin) the decode ports differ, but the prefill port is
  // still shared: the same times.
  const EngineResult r2 = runEngine(two, split(1'000'000, 2), prefill, &decode);
  CHECK(r2.requests[0].decode_replica == 0);
  CHECK(r2.requests[1].decode_replica == 1);
  CHECK(r2.requests[1].kv_transfer_end_ps == 3 * kMs + lat);
  // A decode replica of 70 blocks (1,120 tokens) holds one sequence of 1,000 + 3 tokens: the
  // second transfer starts only when the first sequence has finished (2 decode passes after its
  // arrival) and its blocks are free.
  const EngineResult full = runEngine(two, split(70), prefill, &decode);
  const Tick first_done = 2 * kMs + lat + 2 * 2 * kMs;
  CHECK(full.requests[0].finish_ps == first_done);
  CHECK(full.requests[1].kv_transfer_start_ps == first_done);
  CHECK(full.requests[1].kv_transfer_end_ps == first_done + kMs + lat);
  for (const PassRecord& p : full.passes)
    if (p.pool == 1) CHECK(p.blocks_used <= 70);
  // A request whose whole sequence cannot fit a decode replica is an error, not a hang.
  CHECK_THROWS_AS(runEngine({{0, 0, 1200, 3}}, split(70), prefill, &decode), ConfigError);
}
