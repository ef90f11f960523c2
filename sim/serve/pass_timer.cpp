#include "sim/serve/pass_timer.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "sim/core/error.h"
#include "sim/graph/workload.h"
#include "sim/map/placement.h"
#include "sim/map/stage.h"
#include "sim/run/system_run.h"

namespace archsim::serve {
namespace {

// Grid points an octave above 8 (every value up to 8 is a grid point).
constexpr std::uint64_t kDecodePerOctave = 4;  // decode count
constexpr std::uint64_t kKvPerOctave = 2;      // decode KV length
constexpr std::uint64_t kChunkPerOctave = 4;   // chunk length
constexpr std::uint64_t kPriorPerOctave = 2;   // chunks' prior KV (rounded, not interpolated)
constexpr double kTolerance = 0.01;            // interpolation error a cell may show at its probe
constexpr std::uint32_t kTrustAfter = 2;       // passes of a cell simulated before it is probed

}  // namespace

KvCapacity kvCapacity(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                      const map::ParallelLayout& layout, std::uint64_t largest_pass_tokens) {
  const spec::ChipSpec& chip = system.chip;
  spec::ScenarioSpec pass = scenario;
  pass.phase = spec::Phase::kPrefill;
  pass.batch = 1;
  pass.prompt_tokens = std::max<std::uint64_t>(largest_pass_tokens, 1);
  pass.kv_length = 0;
  pass.chunk_sequences = pass.chunk_tokens = pass.chunk_prior_kv = 0;
  map::ParallelLayout one = layout;
  one.replica_batch = one.micro_batch = 1;
  const std::size_t level = map::modelLevel(chip);
  const std::uint64_t usable = map::modelBytesOf(chip, level, scenario.software);
  KvCapacity cap;
  cap.level = chip.memory.at(level).name;
  bool first = true;
  for (const map::StageLayers& st : layout.stages) {
    const graph::Shard shard = map::stageShard(pass, one, st);
    const map::Footprint f = map::measure(graph::Workload(shard));
    const std::uint64_t per_token =
        2 * shard.layers() *
        scenario.dtypes.kv.bytes(shard.slice.kv_heads * scenario.model.head_dim);
    const std::uint64_t taken = f.weight_bytes + f.activation_bytes;
    const double free = usable > taken ? static_cast<double>(usable - taken) : 0.0;
    const auto tokens =
        static_cast<std::uint64_t>(free * scenario.software.kv_cache_fraction /
                                   static_cast<double>(std::max<std::uint64_t>(per_token, 1)));
    cap.tokens = first ? tokens : std::min(cap.tokens, tokens);
    cap.bytes_per_token = std::max(cap.bytes_per_token, per_token);
    first = false;
  }
  return cap;
}

std::pair<std::uint64_t, std::uint64_t> SimulatedPassTimer::gridAround(std::uint64_t x,
                                                                       std::uint64_t per_octave) {
  if (x <= 8) return {x, x};
  const std::uint64_t octave = std::bit_floor(x);
  const std::uint64_t step = octave / per_octave;
  const std::uint64_t lo = x / step * step;
  return {lo, lo == x ? lo : lo + step};
}

std::uint64_t SimulatedPassTimer::nearerGridPoint(std::uint64_t x, std::uint64_t per_octave) {
  const auto [lo, hi] = gridAround(x, per_octave);
  return x - lo <= hi - x ? lo : hi;
}

SimulatedPassTimer::SimulatedPassTimer(const spec::SystemSpec& system,
                                       const spec::ScenarioSpec& scenario,
                                       map::ParallelLayout layout, bool exact)
    : system_(system), scenario_(scenario), layout_(std::move(layout)), exact_(exact) {
  scenario_.phase = spec::Phase::kDecode;
  scenario_.prompt_tokens = scenario_.output_tokens = 0;
}

PassTime SimulatedPassTimer::simulate(const PassShape& p) {
  spec::ScenarioSpec s = scenario_;
  s.batch = p.decode;
  s.kv_length = std::max<std::uint64_t>(p.decode_kv, 1);
  s.chunk_sequences = p.chunk_tokens > 0 ? p.chunks : 0;
  s.chunk_tokens = s.chunk_sequences > 0 ? p.chunk_tokens : 0;
  s.chunk_prior_kv = s.chunk_sequences > 0 ? p.chunk_prior : 0;
  map::ParallelLayout layout = layout_;
  layout.replica_batch = layout.micro_batch = p.decode;
  const run::SystemRun run(system_, s, layout, nullptr, run::RunOptions{exact_});
  ++stats_.simulated;
  const double seconds = run.metrics().e2e_s;
  PassTime t{static_cast<Tick>(std::llround(seconds * static_cast<double>(kTicksPerSecond))),
             run.metrics().avg_power_w * seconds};
  // The pipeline's interval: the busiest stage's (or the host thread's) time for one step.
  const exec::PipelineResult& pipe = run.pipeline();
  Tick busiest = pipe.host_busy;
  for (Tick b : pipe.stage_busy)
    busiest = std::max(busiest, b);
  const auto steps = static_cast<Tick>(std::max<std::size_t>(pipe.finish.size(), 1));
  t.interval_ticks = std::min(t.ticks, busiest / steps);
  return t;
}

PassTime SimulatedPassTimer::cached(const PassShape& p) {
  const auto key = std::make_tuple(p.decode, p.decode_kv, p.chunks, p.chunk_tokens, p.chunk_prior);
  const auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  return memo_.emplace(key, simulate(p)).first->second;
}

PassTime SimulatedPassTimer::interpolate(const PassShape& p,
                                         std::pair<std::uint64_t, std::uint64_t> d,
                                         std::pair<std::uint64_t, std::uint64_t> l,
                                         std::pair<std::uint64_t, std::uint64_t> q) {
  auto weight = [](std::pair<std::uint64_t, std::uint64_t> g, std::uint64_t x) {
    return g.second == g.first
               ? 0.0
               : static_cast<double>(x - g.first) / static_cast<double>(g.second - g.first);
  };
  const double wd = weight(d, p.decode), wl = weight(l, p.decode_kv),
               wq = weight(q, p.chunk_tokens);
  double ticks = 0.0, energy = 0.0, interval = 0.0;
  for (int c = 0; c < 8; ++c) {
    const int i = c & 1, j = (c >> 1) & 1, k = (c >> 2) & 1;
    const double w = (i ? wd : 1 - wd) * (j ? wl : 1 - wl) * (k ? wq : 1 - wq);
    if (w == 0.0) continue;
    PassShape corner = p;
    corner.decode = i ? d.second : d.first;
    corner.decode_kv = j ? l.second : l.first;
    corner.chunk_tokens = k ? q.second : q.first;
    const PassTime t = cached(corner);
    ticks += w * static_cast<double>(t.ticks);
    energy += w * t.energy_j;
    interval += w * static_cast<double>(t.interval_ticks);
  }
  return {static_cast<Tick>(std::llround(ticks)), energy,
          static_cast<Tick>(std::llround(interval))};
}

PassTime SimulatedPassTimer::time(const PassShape& pass) {
  ++stats_.passes;
  PassShape p = pass;
  if (p.decode == 0) p.decode_kv = 0;
  if (p.chunks == 0) p.chunk_tokens = p.chunk_prior = 0;
  if (exact_) return cached(p);
  if (p.decode > 0 && p.chunks > 0) {
    // A mixed pass's decode tokens reach their KV cache in ops of their own (the decode attention
    // and its KV reads), apart from the chunks' and from the linear ops, whose work does not
    // depend on the KV length: so the mixed pass is timed at the nearer KV grid point and moved
    // by what the decode tokens' own KV length changes in a decode pass of as many tokens.
    const std::uint64_t ref = nearerGridPoint(p.decode_kv, kKvPerOctave);
    if (ref != p.decode_kv) {
      try {
        PassShape at = p;
        at.decode_kv = ref;
        const PassTime base = timeOnGrid(at);
        const PassTime with = timeOnGrid({p.decode, p.decode_kv, 0, 0, 0});
        const PassTime without = timeOnGrid({p.decode, ref, 0, 0, 0});
        auto moved = [](Tick b, Tick w, Tick wo) {
          return static_cast<Tick>(std::max<std::int64_t>(1, static_cast<std::int64_t>(b) +
                                                                 static_cast<std::int64_t>(w) -
                                                                 static_cast<std::int64_t>(wo)));
        };
        return {moved(base.ticks, with.ticks, without.ticks),
                std::max(0.0, base.energy_j + with.energy_j - without.energy_j),
                moved(base.interval_ticks, with.interval_ticks, without.interval_ticks)};
      } catch (const ConfigError&) {
        return cached(p);  // the pass at its grid KV length does not fit: time it as it is
      }
    }
  }
  return timeOnGrid(p);
}

PassTime SimulatedPassTimer::timeOnGrid(PassShape p) {
  const PassShape own = p;

  // The grid cell around the pass; the chunks' prior KV rounded to the nearer grid point.
  p.chunk_prior = nearerGridPoint(p.chunk_prior, kPriorPerOctave);
  auto d = gridAround(p.decode, kDecodePerOctave);
  const auto l = gridAround(p.decode_kv, kKvPerOctave);
  auto q = gridAround(p.chunk_tokens, kChunkPerOctave);
  try {
    if (d.first != d.second || q.first != q.second) {
      // Error control over the token counts, per (decode count, chunk length) cell. A cell's first
      // kTrustAfter passes are simulated at their own shape; the next one checks interpolation: it
      // is simulated at its own counts (at the lower KV grid point, so that only the counts are
      // interpolated) and compared with the blend of the cell's corners. Within the tolerance the
      // cell's passes are interpolated from then on; beyond it (a tiling regime change inside the
      // cell), each is simulated at its own shape. Cells that see few passes (mixed passes with
      // their many chunk counts and prior lengths) so cost a simulation a pass, not eight corners.
      const auto key = std::make_tuple(d.first, q.first, p.chunks, p.chunk_prior);
      Cell& cell = cells_[key];
      const std::pair<std::uint64_t, std::uint64_t> own_d{p.decode, p.decode},
          own_q{p.chunk_tokens, p.chunk_tokens};
      if (cell.state == CellState::kUnknown && cell.seen < kTrustAfter) {
        ++cell.seen;
        return interpolate(p, own_d, l, own_q);
      }
      if (cell.state == CellState::kUnknown) {
        PassShape at = p;
        at.decode_kv = l.first;
        const PassTime guess = interpolate(at, d, {l.first, l.first}, q);
        const PassTime truth = cached(at);
        const double err = std::abs(static_cast<double>(guess.ticks) /
                                        static_cast<double>(std::max<Tick>(truth.ticks, 1)) -
                                    1.0);
        ++stats_.probes;
        error_sum_ += err;
        stats_.mean_error = error_sum_ / static_cast<double>(stats_.probes);
        if (err > kTolerance) {
          cell.state = CellState::kExact;
          ++stats_.exact_cells;
        } else {
          cell.state = CellState::kInterpolated;
          stats_.max_error = std::max(stats_.max_error, err);
        }
      }
      if (cell.state == CellState::kExact) return interpolate(p, own_d, l, own_q);
    }
    return interpolate(p, d, l, q);
  } catch (const ConfigError&) {
    // A grid point above the pass (or its prior KV rounded up) does not fit the replica's
    // memory: time the pass itself.
    return cached(own);
  }
}

}  // namespace archsim::serve
