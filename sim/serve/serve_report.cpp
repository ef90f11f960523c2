#include "sim/serve/serve_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/html_report.h"
#include "sim/report/svg.h"

namespace archsim::serve {
namespace {

using ordered_json = nlohmann::ordered_json;
using spec::nameOf;

constexpr std::size_t kSeriesBins = 100;

double seconds(Tick t) {
  return ticksToSeconds(t);
}

ordered_json toJson(const Percentiles& p) {
  return {{"mean", p.mean}, {"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"count", p.count}};
}

std::optional<double> tpotOf(const RequestRecord& r) {
  if (!r.done || r.request.output_tokens < 2) return std::nullopt;
  return seconds(r.finish_ps - r.first_token_ps) / static_cast<double>(r.request.output_tokens - 1);
}

/// Time series over [0, end) in kSeriesBins bins: each pass's running, waiting and KV blocks
/// weighted by its overlap with the bin (summed over replicas), and the output tokens it made.
/// Passes of a pipelined replica overlap: each counts from its start or the end of the pass ahead,
/// whichever is later, so a replica's state is counted once at a time.
struct Series {
  std::vector<double> t_s, running, waiting, kv_used, tokens_per_s;
};

Series timeSeries(const ServingSpec& spec, const EngineResult& r, const ServeContext& c) {
  // KV use on the pool that decodes (disaggregated: the decode pool).
  const std::uint32_t kv_pool = c.decode ? 1 : 0;
  const std::uint64_t kv_blocks = c.decode ? c.decode->kv_blocks : c.kv_blocks;
  const std::uint32_t replicas = c.decode ? spec.disaggregation->decode.replicas : spec.replicas;
  Series s;
  const double end = std::max(seconds(r.end_ps), 1e-12);
  const double bin = end / kSeriesBins;
  s.t_s.resize(kSeriesBins);
  s.running.assign(kSeriesBins, 0);
  s.waiting.assign(kSeriesBins, 0);
  s.kv_used.assign(kSeriesBins, 0);
  s.tokens_per_s.assign(kSeriesBins, 0);
  for (std::size_t i = 0; i < kSeriesBins; ++i)
    s.t_s[i] = (static_cast<double>(i) + 0.5) * bin;
  std::map<std::pair<std::uint32_t, std::uint32_t>, Tick> ahead;  // (pool, replica): last end
  for (const PassRecord& p : r.passes) {
    Tick& prev = ahead[{p.pool, p.replica}];
    const double a = seconds(std::max(p.start_ps, prev)), b = seconds(p.end_ps);
    prev = p.end_ps;
    const std::size_t last = std::min(kSeriesBins - 1, static_cast<std::size_t>(b / bin));
    for (auto i = static_cast<std::size_t>(a / bin); i <= last && i < kSeriesBins; ++i) {
      const double lo = std::max(a, static_cast<double>(i) * bin);
      const double hi = std::min(b, static_cast<double>(i + 1) * bin);
      if (hi <= lo) continue;
      const double w = (hi - lo) / bin;
      s.running[i] += w * static_cast<double>(p.running);
      s.waiting[i] += w * static_cast<double>(p.waiting);
      if (p.pool == kv_pool) {
        s.kv_used[i] += w * static_cast<double>(p.blocks_used) /
                        static_cast<double>(std::max<std::uint64_t>(kv_blocks, 1) * replicas);
      }
    }
    // Decode tokens out at the pass's end (a prompt's first token is not counted: the pass record
    // does not keep which chunks ended their prompts).
    const auto at = std::min(kSeriesBins - 1, static_cast<std::size_t>(b / bin));
    s.tokens_per_s[at] += static_cast<double>(p.shape.decode) / bin;
  }
  return s;
}

/// One row per request; disaggregated runs add the decode replica and the KV move (first token
/// to arrival on the decode replica; empty when the request ended at its first token).
std::string csv(const EngineResult& r, bool split) {
  std::string out =
      "id,arrival_s,prompt_tokens,output_tokens,replica,queue_s,ttft_s,tpot_s,e2e_s,preemptions";
  out += split ? ",decode_replica,kv_transfer_s\n" : "\n";
  for (const RequestRecord& q : r.requests) {
    const auto tpot = tpotOf(q);
    out += fmt::format(
        "{},{:.9g},{},{},{},{:.9g},{:.9g},{},{:.9g},{}", q.request.id,
        seconds(q.request.arrival_ps), q.request.prompt_tokens, q.request.output_tokens, q.replica,
        seconds(q.first_scheduled_ps - q.request.arrival_ps),
        seconds(q.first_token_ps - q.request.arrival_ps), tpot ? fmt::format("{:.9g}", *tpot) : "",
        seconds(q.finish_ps - q.request.arrival_ps), q.preemptions);
    if (split) {
      const bool moved = q.kv_transfer_end_ps > 0;
      out += fmt::format(
          ",{},{}", moved ? fmt::format("{}", q.decode_replica) : "",
          moved ? fmt::format("{:.9g}", seconds(q.kv_transfer_end_ps - q.first_token_ps)) : "");
    }
    out += "\n";
  }
  return out;
}

std::string traceJson(const ServingSpec& spec, const EngineResult& r) {
  ordered_json events = ordered_json::array();
  // Disaggregated: the decode replicas' processes follow the prefill replicas'.
  const bool split = spec.disaggregation.has_value();
  auto pidOf = [&](std::uint32_t pool, std::uint32_t replica) {
    return pool == 0 ? replica : spec.replicas + replica;
  };
  for (std::uint32_t pool = 0; pool < (split ? 2u : 1u); ++pool) {
    const std::uint32_t n = pool == 0 ? spec.replicas : spec.disaggregation->decode.replicas;
    for (std::uint32_t rep = 0; rep < n; ++rep) {
      events.push_back({{"ph", "M"},
                        {"name", "process_name"},
                        {"pid", pidOf(pool, rep)},
                        {"args",
                         {{"name", fmt::format("{}replica {}",
                                               !split      ? ""
                                               : pool == 0 ? "prefill "
                                                           : "decode ",
                                               rep)}}}});
    }
  }
  for (const RequestRecord& q : r.requests) {
    if (q.kv_transfer_end_ps == 0) continue;
    events.push_back({{"ph", "X"},
                      {"name", fmt::format("KV of request {}", q.request.id)},
                      {"pid", pidOf(1, q.decode_replica)},
                      {"tid", 1},
                      {"ts", seconds(q.kv_transfer_start_ps) * 1e6},
                      {"dur", seconds(q.kv_transfer_end_ps - q.kv_transfer_start_ps) * 1e6},
                      {"args", {{"from_prefill_replica", q.replica}}}});
  }
  for (const PassRecord& p : r.passes) {
    const std::uint32_t pid = pidOf(p.pool, p.replica);
    const double ts = seconds(p.start_ps) * 1e6, dur = seconds(p.end_ps - p.start_ps) * 1e6;
    events.push_back({{"ph", "X"},
                      {"name", p.shape.chunks > 0 && p.shape.decode > 0 ? "mixed"
                               : p.shape.chunks > 0                     ? "prefill"
                                                                        : "decode"},
                      {"pid", pid},
                      {"tid", p.lane == 0 ? 0 : p.lane + 1},  // (tid 1: KV moves)
                      {"ts", ts},
                      {"dur", dur},
                      {"args",
                       {{"decode", p.shape.decode},
                        {"decode_kv", p.shape.decode_kv},
                        {"chunks", p.shape.chunks},
                        {"chunk_tokens", p.shape.chunk_tokens},
                        {"chunk_prior", p.shape.chunk_prior}}}});
    events.push_back({{"ph", "C"},
                      {"name", "requests"},
                      {"pid", pid},
                      {"ts", seconds(p.end_ps) * 1e6},
                      {"args", {{"running", p.running}, {"waiting", p.waiting}}}});
    events.push_back({{"ph", "C"},
                      {"name", "kv blocks"},
                      {"pid", pid},
                      {"ts", seconds(p.end_ps) * 1e6},
                      {"args", {{"used", p.blocks_used}}}});
  }
  return ordered_json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() + "\n";
}

/// ", 72 passes in flight" for a pipelined replica.
std::string inFlight(const SchedulerSpec& sc) {
  return sc.passes_in_flight > 1 ? fmt::format(", {} passes in flight", sc.passes_in_flight) : "";
}

ordered_json schedulerJson(const SchedulerSpec& sc) {
  return {{"policy", nameOf(kSchedulerNames, sc.policy)},
          {"max_sequences", sc.max_sequences},
          {"max_batched_tokens", sc.max_batched_tokens},
          {"block_tokens", sc.block_tokens},
          {"preemption", nameOf(kPreemptionNames, sc.preemption)},
          {"passes_in_flight", sc.passes_in_flight}};
}

ordered_json kvJson(const PoolContext& c) {
  return {{"level", c.kv.level},
          {"tokens_per_replica", c.kv.tokens},
          {"blocks_per_replica", c.kv_blocks},
          {"bytes_per_token_per_chip", c.kv.bytes_per_token}};
}

std::vector<std::pair<double, double>> cdf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<double, double>> pts;
  const std::size_t step = std::max<std::size_t>(1, v.size() / 400);
  for (std::size_t i = 0; i < v.size(); i += step)
    pts.emplace_back(v[i], static_cast<double>(i + 1) / static_cast<double>(v.size()));
  if (!v.empty()) pts.emplace_back(v.back(), 1.0);
  return pts;
}

std::string html(const ServingSpec& spec, const EngineResult& r, const ServeMetrics& m,
                 const ServeContext& c, const Series& s) {
  std::vector<double> ttft, tpot, e2e;
  for (const RequestRecord& q : r.requests) {
    if (!q.done) continue;
    ttft.push_back(seconds(q.first_token_ps - q.request.arrival_ps));
    e2e.push_back(seconds(q.finish_ps - q.request.arrival_ps));
    if (auto t = tpotOf(q)) tpot.push_back(*t);
  }
  std::string body = fmt::format(
      "<h1>{} on {}</h1>\n<p>{} replica(s) of {}, {} scheduler; {} requests over {:.4g} s; "
      "{:.4g} output tokens/s; TTFT p50 {:.4g} ms, p99 {:.4g} ms; TPOT p50 {:.4g} ms, p99 "
      "{:.4g} ms; goodput {:.4g} requests/s{}.</p>\n",
      report::svg::escape(spec.name), report::svg::escape(c.system), spec.replicas,
      report::svg::escape(c.plan), nameOf(kSchedulerNames, spec.scheduler.policy), m.requests,
      m.duration_s, m.output_tokens_per_s, m.ttft_s.p50 * 1e3, m.ttft_s.p99 * 1e3,
      m.tpot_s.p50 * 1e3, m.tpot_s.p99 * 1e3, m.goodput_requests_per_s,
      m.slo_met ? (*m.slo_met ? " (SLO met)" : " (SLO missed)") : "");
  using report::svg::Axis;
  using report::svg::Series;
  auto cdfChart = [&](const std::string& title, const std::vector<double>& v) {
    if (v.empty()) return std::string();
    const auto [unit, scale] = report::timeUnit(*std::max_element(v.begin(), v.end()));
    Axis x{fmt::format("{} ({})", title, unit)};
    x.scale = scale;
    Axis y{"fraction of requests"};
    y.lo = 0;
    y.hi = 1;
    y.percent = true;
    return "<figure class=\"chart\">" +
           report::svg::xyChart(title + " CDF", x, y,
                                {Series{title, report::svg::color(0), cdf(v), true, false, {}}}) +
           "</figure>\n";
  };
  body += cdfChart("TTFT", ttft) + cdfChart("TPOT", tpot) + cdfChart("E2E latency", e2e);
  auto line = [&](const std::string& title, const std::string& ylabel,
                  std::vector<std::pair<std::string, const std::vector<double>*>> ys, bool pct) {
    std::vector<Series> series;
    for (std::size_t i = 0; i < ys.size(); ++i) {
      std::vector<std::pair<double, double>> pts;
      for (std::size_t k = 0; k < s.t_s.size(); ++k)
        pts.emplace_back(s.t_s[k], (*ys[i].second)[k]);
      series.push_back(Series{ys[i].first, report::svg::color(i), pts, true, false, {}});
    }
    Axis x{"time (s)"};
    Axis y{ylabel};
    y.lo = 0;
    y.percent = pct;
    return "<figure class=\"chart\">" + report::svg::xyChart(title, x, y, series) + "</figure>\n";
  };
  body += line("Requests on the replicas", "requests",
               {{"running", &s.running}, {"waiting", &s.waiting}}, false);
  body += line("KV cache use", "blocks used", {{"KV blocks", &s.kv_used}}, true);
  body += line("Output throughput", "tokens/s", {{"decode tokens/s", &s.tokens_per_s}}, false);
  body += fmt::format(
      "<p>Pass times: {} passes, {} shapes simulated on the chip, interpolation checked at {} "
      "passes (largest error {:.3g} %, mean {:.3g} %){}. KV cache: {} tokens a replica in {} "
      "({} blocks of {} tokens).</p>\n",
      c.timing.passes, c.timing.simulated, c.timing.probes, c.timing.max_error * 100,
      c.timing.mean_error * 100, c.exact ? " (exact: every pass shape simulated)" : "", c.kv.tokens,
      report::svg::escape(c.kv.level), c.kv_blocks, spec.scheduler.block_tokens);
  if (c.decode) {
    const PoolSpec& dp = spec.disaggregation->decode;
    body += fmt::format(
        "<p>Disaggregated: the replicas above run prompts only; {} decode replica(s) of {} on {} "
        "({} scheduler, {} tokens of KV cache each) take each sequence after its first token. "
        "Its KV cache moves over the {}: {} transfers, {:.4g} GB; first token to arrival mean "
        "{:.4g} ms, p99 {:.4g} ms; the prefill replicas' ports {:.3g} % busy. The charts' KV "
        "use is the decode pool's. Decode passes: {} timed, {} shapes simulated.</p>\n",
        dp.replicas, report::svg::escape(c.decode->plan), report::svg::escape(c.decode->system),
        nameOf(kSchedulerNames, dp.scheduler.policy), c.decode->kv.tokens,
        report::svg::escape(c.link->via), r.kv_transfers,
        static_cast<double>(r.kv_transfer_bytes) / 1e9, m.kv_transfer_s.mean * 1e3,
        m.kv_transfer_s.p99 * 1e3, m.kv_link_utilization * 100, c.decode->timing.passes,
        c.decode->timing.simulated);
  }
  return report::htmlPage(spec.name + " — serving", body);
}

}  // namespace

std::vector<std::pair<std::string, double>> servingHeadline(const ServeMetrics& m) {
  std::vector<std::pair<std::string, double>> t{{"requests_per_s", m.requests_per_s},
                                                {"output_tokens_per_s", m.output_tokens_per_s}};
  auto latency = [&](const std::string& name, const Percentiles& p, bool mean) {
    if (mean) t.emplace_back(name + "_mean_s", p.mean);
    t.emplace_back(name + "_p50_s", p.p50);
    t.emplace_back(name + "_p90_s", p.p90);
    t.emplace_back(name + "_p99_s", p.p99);
  };
  latency("ttft", m.ttft_s, true);
  latency("tpot", m.tpot_s, true);
  latency("e2e", m.e2e_s, false);
  t.insert(t.end(), {{"queue_mean_s", m.queue_s.mean},
                     {"slo_attainment", m.slo_attainment},
                     {"goodput_requests_per_s", m.goodput_requests_per_s},
                     {"mean_decode_batch", m.mean_decode_batch},
                     {"mean_kv_used", m.mean_kv_used},
                     {"preemptions", static_cast<double>(m.preemptions)},
                     {"energy_per_output_token_j", m.energy_per_output_token_j}});
  return t;
}

std::vector<std::string> servingMetricNames() {
  std::vector<std::string> names;
  for (const auto& [name, value] : servingHeadline(ServeMetrics{}))
    names.push_back(name);
  return names;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

Percentiles summarize(const std::vector<double>& values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  double sum = 0;
  for (double v : values)
    sum += v;
  p.mean = sum / static_cast<double>(values.size());
  p.p50 = percentile(values, 50);
  p.p90 = percentile(values, 90);
  p.p99 = percentile(values, 99);
  return p;
}

ServeMetrics computeServeMetrics(const ServingSpec& spec, const EngineResult& r,
                                 const ServeContext& c) {
  ServeMetrics m;
  std::vector<double> ttft, tpot, e2e, queue;
  Tick first = kMaxTick, last = 0;
  std::uint64_t out_tokens = 0, prompt_tokens = 0, good = 0;
  const SloSpec& slo = spec.slo;
  for (const RequestRecord& q : r.requests) {
    if (!q.done) continue;
    ++m.requests;
    first = std::min(first, q.request.arrival_ps);
    last = std::max(last, q.finish_ps);
    out_tokens += q.request.output_tokens;
    prompt_tokens += q.request.prompt_tokens;
    const Tick t_ttft = q.first_token_ps - q.request.arrival_ps;
    const Tick t_e2e = q.finish_ps - q.request.arrival_ps;
    ttft.push_back(seconds(t_ttft));
    e2e.push_back(seconds(t_e2e));
    queue.push_back(seconds(q.first_scheduled_ps - q.request.arrival_ps));
    const auto t = tpotOf(q);
    if (t) tpot.push_back(*t);
    bool ok = true;
    if (slo.ttft_ps && t_ttft > *slo.ttft_ps) ok = false;
    if (slo.e2e_ps && t_e2e > *slo.e2e_ps) ok = false;
    if (slo.tpot_ps && t && *t > seconds(*slo.tpot_ps)) ok = false;
    if (ok) ++good;
  }
  m.duration_s = m.requests > 0 ? seconds(last - first) : 0.0;
  const double span = std::max(m.duration_s, 1e-12);
  m.requests_per_s = static_cast<double>(m.requests) / span;
  m.output_tokens_per_s = static_cast<double>(out_tokens) / span;
  m.prompt_tokens_per_s = static_cast<double>(prompt_tokens) / span;
  m.ttft_s = summarize(ttft);
  m.tpot_s = summarize(tpot);
  m.e2e_s = summarize(e2e);
  m.queue_s = summarize(queue);
  m.slo_attainment =
      m.requests > 0 ? static_cast<double>(good) / static_cast<double>(m.requests) : 0;
  m.goodput_requests_per_s = static_cast<double>(good) / span;
  if (slo.any()) {
    bool met = true;
    if (slo.ttft_ps && percentile(ttft, slo.percentile) > seconds(*slo.ttft_ps)) met = false;
    if (slo.tpot_ps && percentile(tpot, slo.percentile) > seconds(*slo.tpot_ps)) met = false;
    if (slo.e2e_ps && percentile(e2e, slo.percentile) > seconds(*slo.e2e_ps)) met = false;
    m.slo_met = met;
  }
  // Batch and KV use on the pool that decodes (disaggregated: the decode pool).
  const std::uint32_t kv_pool = c.decode ? 1 : 0;
  double busy = 0, batch = 0, kv = 0;
  const double blocks =
      static_cast<double>(std::max<std::uint64_t>(c.decode ? c.decode->kv_blocks : c.kv_blocks, 1));
  for (const PassRecord& p : r.passes) {
    m.energy_j += p.energy_j;
    if (p.pool != kv_pool) continue;
    const double len = seconds(p.end_ps - p.start_ps);
    busy += len;
    batch += len * static_cast<double>(p.shape.decode);
    kv += len * static_cast<double>(p.blocks_used) / blocks;
    m.max_decode_batch = std::max(m.max_decode_batch, p.shape.decode);
    m.max_kv_used = std::max(m.max_kv_used, static_cast<double>(p.blocks_used) / blocks);
  }
  if (c.decode) {
    std::vector<double> moves;
    for (const RequestRecord& q : r.requests)
      if (q.done && q.kv_transfer_end_ps > 0)
        moves.push_back(seconds(q.kv_transfer_end_ps - q.first_token_ps));
    m.kv_transfer_s = summarize(moves);
    m.kv_transfer_bytes = static_cast<double>(r.kv_transfer_bytes);
    m.energy_j += r.kv_transfer_energy_j;
    const double span_all = seconds(r.end_ps) * static_cast<double>(std::max(spec.replicas, 1u));
    m.kv_link_utilization = span_all > 0 ? seconds(r.kv_port_busy_ps) / span_all : 0.0;
  }
  if (busy > 0) {
    m.mean_decode_batch = batch / busy;
    m.mean_kv_used = kv / busy;
  }
  m.preemptions = r.preemptions;
  m.energy_per_output_token_j = out_tokens > 0 ? m.energy_j / static_cast<double>(out_tokens) : 0;
  return m;
}

std::vector<std::pair<std::string, std::string>> serveRecordFiles(
    const ServingSpec& spec, const EngineResult& r, const ServeMetrics& m, const ServeContext& c,
    const std::string& resolved_yaml) {
  const Series s = timeSeries(spec, r, c);
  ordered_json slo = ordered_json::object();
  if (spec.slo.ttft_ps) slo["ttft_s"] = seconds(*spec.slo.ttft_ps);
  if (spec.slo.tpot_ps) slo["tpot_s"] = seconds(*spec.slo.tpot_ps);
  if (spec.slo.e2e_ps) slo["e2e_s"] = seconds(*spec.slo.e2e_ps);
  if (spec.slo.any()) slo["percentile"] = spec.slo.percentile;
  ordered_json metrics{{"duration_s", m.duration_s},
                       {"requests_per_s", m.requests_per_s},
                       {"output_tokens_per_s", m.output_tokens_per_s},
                       {"prompt_tokens_per_s", m.prompt_tokens_per_s},
                       {"ttft_s", toJson(m.ttft_s)},
                       {"tpot_s", toJson(m.tpot_s)},
                       {"e2e_s", toJson(m.e2e_s)},
                       {"queue_s", toJson(m.queue_s)},
                       {"slo_attainment", m.slo_attainment},
                       {"goodput_requests_per_s", m.goodput_requests_per_s},
                       {"slo_met", m.slo_met ? ordered_json(*m.slo_met) : ordered_json()},
                       {"mean_decode_batch", m.mean_decode_batch},
                       {"max_decode_batch", m.max_decode_batch},
                       {"mean_kv_used", m.mean_kv_used},
                       {"max_kv_used", m.max_kv_used},
                       {"preemptions", m.preemptions},
                       {"energy_j", m.energy_j},
                       {"energy_per_output_token_j", m.energy_per_output_token_j}};
  ordered_json doc{{"schema", "archsim.serve/1"},
                   {"name", spec.name},
                   {"system", c.system},
                   {"model", spec.scenario.model.name},
                   {"software", spec.scenario.software.name},
                   {"plan", c.plan},
                   {"replicas", spec.replicas},
                   {"router", nameOf(kRouterNames, spec.router)},
                   {"scheduler", schedulerJson(spec.scheduler)},
                   {"kv", kvJson(c)},
                   {"requests", {{"count", r.requests.size()}, {"completed", m.requests}}},
                   {"slo", slo},
                   {"metrics", metrics},
                   {"passes",
                    {{"count", c.timing.passes},
                     {"simulated", c.timing.simulated},
                     {"exact", c.exact},
                     {"probes", c.timing.probes},
                     {"max_interpolation_error", c.timing.max_error},
                     {"mean_interpolation_error", c.timing.mean_error}}},
                   {"timeseries",
                    {{"t_s", s.t_s},
                     {"running", s.running},
                     {"waiting", s.waiting},
                     {"kv_used", s.kv_used},
                     {"decode_tokens_per_s", s.tokens_per_s}}}};
  if (c.decode) {
    const PoolSpec& dp = spec.disaggregation->decode;
    auto pool = [&](const PoolContext& pc, std::uint32_t replicas, const SchedulerSpec& ps,
                    RouterKind router) {
      return ordered_json{{"system", pc.system},
                          {"plan", pc.plan},
                          {"replicas", replicas},
                          {"router", nameOf(kRouterNames, router)},
                          {"scheduler", schedulerJson(ps)},
                          {"kv", kvJson(pc)},
                          {"passes",
                           {{"count", pc.timing.passes},
                            {"simulated", pc.timing.simulated},
                            {"probes", pc.timing.probes},
                            {"max_interpolation_error", pc.timing.max_error}}}};
    };
    const KvLinkContext& k = *c.link;
    doc["disaggregation"] = {{"prefill", pool(c, spec.replicas, spec.scheduler, spec.router)},
                             {"decode", pool(*c.decode, dp.replicas, dp.scheduler, dp.router)},
                             {"link",
                              {{"via", k.via},
                               {"prefill_port_bytes_per_s", k.prefill_port_bytes_per_s},
                               {"decode_port_bytes_per_s", k.decode_port_bytes_per_s},
                               {"latency_s", seconds(k.latency_ps)},
                               {"energy_j_per_byte", k.energy_j_per_byte},
                               {"kv_bytes_per_token", k.bytes_per_token}}},
                             {"kv_transfers",
                              {{"count", r.kv_transfers},
                               {"bytes", r.kv_transfer_bytes},
                               {"first_token_to_arrival_s", toJson(m.kv_transfer_s)},
                               {"port_utilization", m.kv_link_utilization},
                               {"energy_j", r.kv_transfer_energy_j}}}};
  }
  return {{"serve.json", doc.dump(2) + "\n"},
          {"requests.csv", csv(r, c.decode.has_value())},
          {"report.html", html(spec, r, m, c, s)},
          {"trace.json", traceJson(spec, r)},
          {"config.resolved.yaml", resolved_yaml}};
}

std::string serveSummary(const ServingSpec& spec, const ServeMetrics& m, const ServeContext& c) {
  std::string out = fmt::format(
      "serve {} on {}: {} {}replica(s) of {}{}, {} scheduler, {} router\n"
      "  KV cache: {} tokens a replica in {} ({} blocks of {})\n",
      spec.name, c.system, spec.replicas, c.decode ? "prefill " : "", c.plan,
      inFlight(spec.scheduler), nameOf(kSchedulerNames, spec.scheduler.policy),
      nameOf(kRouterNames, spec.router), c.kv.tokens, c.kv.level, c.kv_blocks,
      spec.scheduler.block_tokens);
  auto row = [&](std::string_view label, const Percentiles& p) {
    out +=
        fmt::format("  {:<6} mean {:>9.3f} ms  p50 {:>9.3f} ms  p90 {:>9.3f} ms  p99 {:>9.3f} ms\n",
                    label, p.mean * 1e3, p.p50 * 1e3, p.p90 * 1e3, p.p99 * 1e3);
  };
  out += fmt::format("  {} requests over {:.3f} s: {:.2f} requests/s, {:.1f} output tokens/s\n",
                     m.requests, m.duration_s, m.requests_per_s, m.output_tokens_per_s);
  row("TTFT", m.ttft_s);
  row("TPOT", m.tpot_s);
  row("E2E", m.e2e_s);
  row("queue", m.queue_s);
  out += fmt::format(
      "  decode batch mean {:.1f} (max {}), KV use mean {:.1f} % (max {:.1f} %), {} preemptions\n",
      m.mean_decode_batch, m.max_decode_batch, m.mean_kv_used * 100, m.max_kv_used * 100,
      m.preemptions);
  if (m.slo_met) {
    out += fmt::format(
        "  SLO (p{:g}): {}; {:.1f} % of requests meet every target, goodput {:.2f} "
        "requests/s\n",
        spec.slo.percentile, *m.slo_met ? "met" : "missed", m.slo_attainment * 100,
        m.goodput_requests_per_s);
  }
  if (c.decode) {
    const PoolSpec& dp = spec.disaggregation->decode;
    out += fmt::format(
        "  decode pool: {} replica(s) of {}{} on {}, {} scheduler; KV cache {} tokens a replica\n"
        "  KV moves over the {} ({:.4g} GB/s a prefill replica, {:.4g} GB/s a decode replica): "
        "first token to arrival mean {:.3f} ms, p99 {:.3f} ms; ports {:.1f} % busy\n",
        dp.replicas, c.decode->plan, inFlight(dp.scheduler), c.decode->system,
        nameOf(kSchedulerNames, dp.scheduler.policy), c.decode->kv.tokens, c.link->via,
        c.link->prefill_port_bytes_per_s / 1e9, c.link->decode_port_bytes_per_s / 1e9,
        m.kv_transfer_s.mean * 1e3, m.kv_transfer_s.p99 * 1e3, m.kv_link_utilization * 100);
  }
  out += fmt::format("  energy {:.4g} J, {:.4g} J per output token\n", m.energy_j,
                     m.energy_per_output_token_j);
  out += fmt::format(
      "  passes: {} timed, {} shapes simulated{}, interpolation checked at {} (largest error "
      "{:.3f} %)\n",
      c.timing.passes, c.timing.simulated, c.exact ? " (exact)" : "", c.timing.probes,
      c.timing.max_error * 100);
  if (c.decode) {
    out = out.substr(0, out.size() - 1) +
          fmt::format(
              " on the prefill pool; {} timed, {} simulated, checked at {} (largest error "
              "{:.3f} %) on the decode pool\n",
              c.decode->timing.passes, c.decode->timing.simulated, c.decode->timing.probes,
              c.decode->timing.max_error * 100);
  }
  return out;
}

}  // namespace archsim::serve
