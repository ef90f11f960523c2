#include "sim/serve/engine.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "sim/core/bandwidth_server.h"
#include "sim/core/callback.h"
#include "sim/core/error.h"
#include "sim/core/simulation.h"

namespace archsim::serve {
namespace {

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

/// Moving `bytes` between device and host memory at `bytes_per_s`, rounded up to a tick.
Tick swapTicks(std::uint64_t bytes, double bytes_per_s) {
  return static_cast<Tick>(
      std::ceil(static_cast<double>(bytes) / bytes_per_s * static_cast<double>(kTicksPerSecond)));
}

/// A request on its replica. `target` tokens are prefilled (the prompt; after a recompute, the
/// prompt and every token generated so far); the pass that completes them yields the next token.
/// A decode pass appends the previous token's KV entry and yields one more.
struct Seq {
  std::size_t req = 0;
  std::uint64_t target = 0;
  std::uint64_t prefilled = 0;
  std::uint64_t kv = 0;  // tokens whose KV the cache holds
  std::uint64_t generated = 0;
  std::uint64_t output = 0;
  std::uint64_t blocks = 0;
  std::uint64_t chunk = 0;  // prompt tokens in the current pass
  bool decoding = false;    // in the current pass as a decode token
  bool finished = false;    // static batches keep finished sequences until the batch ends

  bool prefillDone() const { return prefilled == target; }
  std::uint64_t outstandingTokens() const {
    return (target - prefilled) + (output - std::min(output, generated));
  }
};

class Engine;

enum class Role { kColocated, kPrefill, kDecode };

/// One batch of a replica's pipeline: its running sequences and the pass it has in flight.
struct Lane {
  std::vector<Seq> running;  // in admission order
  bool busy = false;
  Tick start = 0;
  PassShape shape;
  double energy = 0.0;
};

class Replica {
 public:
  Replica(Engine& engine, const PoolOptions& pool, Role role, std::uint32_t index,
          PassTimer& timer);
  void enqueue(Seq seq);
  void onPassEnd(std::uint64_t lane);
  std::uint64_t outstandingTokens() const;
  /// Free blocks less what the queue will ask for first.
  std::int64_t kvHeadroom() const;
  /// Starts passes on idle lanes while the pipeline's entry is free and they have work.
  void startPasses();
  void onKick();
  void onWake();

  // Disaggregation.
  /// Decode side: a prefilled sequence whose KV waits to move here from prefill replica `from`.
  void receive(Seq seq, std::uint32_t from);
  /// Decode side: starts the waiting transfers this replica has blocks and slots for.
  void startTransfers();
  /// Decode side: sequence `req`'s KV arrived.
  void onTransferEnd(std::uint64_t req);
  /// Prefill side: sequence `req`'s KV left; its blocks free up.
  void releaseHandoff(std::size_t req);
  BandwidthServer& port() { return *port_; }

 private:
  void kick();
  /// Forms lane `l`'s next pass and starts it; false when it has nothing to run.
  bool tryStart(std::size_t l);
  Tick preemptNewest(Lane& lane);
  Tick swapInWaiting(Lane& lane);
  void release(Seq& s);
  bool admit(Seq& s, std::uint64_t tokens);
  void formStatic(Lane& lane);
  Tick formContinuous(Lane& lane);
  Tick formChunked(Lane& lane);
  Tick ensureDecodeBlocks(Lane& lane);
  static void shapeDecode(Lane& lane);
  void finish(Seq& s, Tick now);
  std::uint64_t runningCount() const;

  Engine& e_;
  const PoolOptions& pool_;
  Role role_;
  std::uint32_t index_;
  PassTimer& timer_;
  std::unique_ptr<BandwidthServer> port_;  // disaggregated: egress (prefill) or ingress (decode)
  std::deque<std::pair<Seq, std::uint32_t>> incoming_;  // decode: KV to move here, and from where
  std::vector<Seq> moving_;                             // decode: KV on the way (blocks held)
  std::vector<Seq> handoffs_;                           // prefill: KV leaving (blocks held)
  std::deque<Seq> waiting_;
  std::deque<Seq> swapped_;
  std::vector<Lane> lanes_;
  std::size_t next_lane_ = 0;  // the lane that takes the pipeline's entry first
  Tick entry_free_ = 0;        // the pass ahead leaves the slowest stage
  Tick last_end_ = 0;          // the pass ahead leaves the pipeline
  std::uint64_t free_blocks_ = 0;
  bool kick_pending_ = false;
  bool wake_pending_ = false;
};

class Engine {
 public:
  Engine(const std::vector<Request>& requests, const EngineOptions& options, PassTimer& timer,
         PassTimer* decode_timer)
      : requests_(requests), options_(options), sim_("serve") {
    result_.requests.resize(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i)
      result_.requests[i].request = requests[i];
    const bool split = options.decode.has_value();
    if (split && decode_timer == nullptr)
      ARCHSIM_PANIC("a disaggregated serving engine needs the decode pool's pass timer");
    if (split && (options.kv_link.prefill_port_bytes_per_s <= 0 ||
                  options.kv_link.decode_port_bytes_per_s <= 0))
      ARCHSIM_PANIC("a disaggregated serving engine needs the KV link's bandwidth");
    for (std::uint32_t r = 0; r < std::max<std::uint32_t>(options.replicas, 1); ++r) {
      prefill_.push_back(std::make_unique<Replica>(
          *this, options, split ? Role::kPrefill : Role::kColocated, r, timer));
    }
    if (split) {
      for (std::uint32_t r = 0; r < std::max<std::uint32_t>(options.decode->replicas, 1); ++r)
        decode_.push_back(
            std::make_unique<Replica>(*this, *options.decode, Role::kDecode, r, *decode_timer));
    }
  }

  EngineResult run() {
    const PoolOptions& first = options_;
    const PoolOptions& last = options_.decode ? *options_.decode : options_;
    for (const Request& r : requests_) {
      // The pool that holds the whole sequence, and (disaggregated) the prefill pool's prompt.
      const SchedulerSpec& sc = last.scheduler;
      const std::uint64_t need =
          sc.policy == SchedulerPolicy::kStatic
              ? ceilDiv(r.prompt_tokens + r.output_tokens, sc.block_tokens)
              : ceilDiv(r.prompt_tokens + r.output_tokens - 1, sc.block_tokens);
      if (need > last.kv_blocks) {
        throw ConfigError(
            Location{}, "requests",
            fmt::format("request {} needs {} + {} tokens of KV cache; a {}replica "
                        "holds {} tokens ({} blocks of {})",
                        r.id, r.prompt_tokens, r.output_tokens, options_.decode ? "decode " : "",
                        last.kv_blocks * sc.block_tokens, last.kv_blocks, sc.block_tokens));
      }
      if (options_.decode &&
          ceilDiv(r.prompt_tokens, first.scheduler.block_tokens) > first.kv_blocks) {
        throw ConfigError(
            Location{}, "requests",
            fmt::format("request {}'s prompt of {} tokens does not fit a prefill replica's KV "
                        "cache of {} tokens",
                        r.id, r.prompt_tokens, first.kv_blocks * first.scheduler.block_tokens));
      }
      const SchedulerSpec& fs = first.scheduler;
      if (fs.max_batched_tokens > 0 && fs.policy != SchedulerPolicy::kChunked &&
          r.prompt_tokens > fs.max_batched_tokens) {
        throw ConfigError(Location{}, "scheduler.max_batched_tokens",
                          fmt::format("request {}'s prompt of {} tokens exceeds the pass budget of "
                                      "{} tokens (only the chunked scheduler splits prompts)",
                                      r.id, r.prompt_tokens, fs.max_batched_tokens));
      }
    }
    for (std::size_t i = 0; i < requests_.size(); ++i)
      sim_.schedule(requests_[i].arrival_ps, Callback::to<&Engine::onArrival>(this), i);
    sim_.run();
    result_.end_ps = sim_.now();
    if (options_.decode) {
      for (const auto& r : prefill_)
        result_.kv_port_busy_ps += r->port().busyTicks();
    }
    return std::move(result_);
  }

  void onArrival(std::uint64_t i) {
    const Request& r = requests_[i];
    const std::uint32_t to = route(prefill_, options_.router, next_prefill_);
    result_.requests[i].replica = to;
    Seq s;
    s.req = i;
    s.target = r.prompt_tokens;
    s.output = r.output_tokens;
    prefill_[to]->enqueue(s);
  }

  /// Disaggregated: prefill replica `from` has prefilled `s`; a decode replica takes it.
  void handOff(const Seq& s, std::uint32_t from) {
    const std::uint32_t to = route(decode_, options_.decode->router, next_decode_);
    result_.requests[s.req].decode_replica = to;
    decode_[to]->receive(s, from);
  }

  /// Moves `s`'s KV from prefill replica `from` to decode replica `to` (both ports from when both
  /// are free); onTransferEnd when the last byte has arrived.
  void startTransfer(const Seq& s, std::uint32_t from, std::uint32_t to) {
    BandwidthServer& out = prefill_[from]->port();
    BandwidthServer& in = decode_[to]->port();
    const std::uint64_t bytes = s.kv * options_.kv_link.bytes_per_token;
    const Tick start = std::max({sim_.now(), out.busyUntil(), in.busyUntil()});
    const Tick end = std::max(out.reserveAt(start, bytes), in.reserveAt(start, bytes));
    RequestRecord& rec = result_.requests[s.req];
    rec.kv_transfer_start_ps = start;
    rec.kv_transfer_end_ps = end;
    ++result_.kv_transfers;
    result_.kv_transfer_bytes += bytes;
    result_.kv_transfer_energy_j += static_cast<double>(bytes) * options_.kv_link.energy_j_per_byte;
    sim_.schedule(end, Callback::to<&Engine::onTransferEnd>(this), s.req);
  }

  void onTransferEnd(std::uint64_t req) {
    const RequestRecord& rec = result_.requests[req];
    prefill_[rec.replica]->releaseHandoff(req);
    decode_[rec.decode_replica]->onTransferEnd(req);
  }

  static std::uint32_t route(const std::vector<std::unique_ptr<Replica>>& pool, RouterKind router,
                             std::uint64_t& next) {
    const auto n = static_cast<std::uint32_t>(pool.size());
    if (n == 1) return 0;
    switch (router) {
      case RouterKind::kRoundRobin:
        return static_cast<std::uint32_t>(next++ % n);
      case RouterKind::kLeastTokens: {
        std::uint32_t best = 0;
        for (std::uint32_t r = 1; r < n; ++r) {
          if (pool[r]->outstandingTokens() < pool[best]->outstandingTokens()) best = r;
        }
        return best;
      }
      case RouterKind::kKvAware: {
        std::uint32_t best = 0;
        for (std::uint32_t r = 1; r < n; ++r) {
          const std::int64_t a = pool[r]->kvHeadroom(), b = pool[best]->kvHeadroom();
          if (a > b || (a == b && pool[r]->outstandingTokens() < pool[best]->outstandingTokens())) {
            best = r;
          }
        }
        return best;
      }
    }
    return 0;
  }

  Simulation& sim() { return sim_; }
  const EngineOptions& options() const { return options_; }
  EngineResult& result() { return result_; }

 private:
  const std::vector<Request>& requests_;
  const EngineOptions& options_;
  Simulation sim_;
  std::vector<std::unique_ptr<Replica>> prefill_;  // every replica when colocated
  std::vector<std::unique_ptr<Replica>> decode_;
  std::uint64_t next_prefill_ = 0, next_decode_ = 0;
  EngineResult result_;
};

Replica::Replica(Engine& engine, const PoolOptions& pool, Role role, std::uint32_t index,
                 PassTimer& timer)
    : e_(engine),
      pool_(pool),
      role_(role),
      index_(index),
      timer_(timer),
      lanes_(std::max<std::uint32_t>(pool.scheduler.passes_in_flight, 1)),
      free_blocks_(pool.kv_blocks) {
  if (role != Role::kColocated) {
    const KvLinkOptions& link = engine.options().kv_link;
    port_ = std::make_unique<BandwidthServer>(
        engine.sim(),
        fmt::format("{}{}_kv_port", role == Role::kPrefill ? "prefill" : "decode", index),
        engine.sim().stats(),
        serverBytesPerSecond(role == Role::kPrefill ? link.prefill_port_bytes_per_s
                                                    : link.decode_port_bytes_per_s),
        role == Role::kPrefill ? link.latency_ps : 0);
  }
}

void Replica::receive(Seq seq, std::uint32_t from) {
  incoming_.emplace_back(seq, from);
  startTransfers();
}

void Replica::startTransfers() {
  const SchedulerSpec& sc = pool_.scheduler;
  while (!incoming_.empty() && runningCount() + moving_.size() < sc.max_sequences * lanes_.size()) {
    auto& [s, from] = incoming_.front();
    const std::uint64_t need = ceilDiv(s.kv + 1, sc.block_tokens);  // with the next token's entry
    if (need > free_blocks_) break;
    free_blocks_ -= need;
    s.blocks = need;
    e_.startTransfer(s, from, index_);
    moving_.push_back(s);
    incoming_.pop_front();
  }
}

void Replica::onTransferEnd(std::uint64_t req) {
  const auto it =
      std::find_if(moving_.begin(), moving_.end(), [&](const Seq& s) { return s.req == req; });
  // The lane with the fewest sequences takes it.
  Lane* to = &lanes_.front();
  for (Lane& lane : lanes_)
    if (lane.running.size() < to->running.size()) to = &lane;
  to->running.push_back(*it);
  moving_.erase(it);
  kick();
}

void Replica::releaseHandoff(std::size_t req) {
  const auto it =
      std::find_if(handoffs_.begin(), handoffs_.end(), [&](const Seq& s) { return s.req == req; });
  release(*it);
  handoffs_.erase(it);
  kick();
}

void Replica::enqueue(Seq seq) {
  waiting_.push_back(seq);
  kick();
}

void Replica::kick() {
  // Passes form after every arrival of this tick is queued (last priority), once. With every
  // lane's pass in flight there is nothing to start: the next pass end starts passes itself.
  if (kick_pending_) return;
  if (std::all_of(lanes_.begin(), lanes_.end(), [](const Lane& lane) { return lane.busy; })) return;
  kick_pending_ = true;
  e_.sim().schedule(e_.sim().now(), Callback::to<&Replica::onKick>(this), 0, Priority::kLast);
}

void Replica::onKick() {
  kick_pending_ = false;
  startPasses();
}

void Replica::onWake() {
  wake_pending_ = false;
  kick();
}

std::uint64_t Replica::runningCount() const {
  std::uint64_t n = 0;
  for (const Lane& lane : lanes_)
    n += lane.running.size();
  return n;
}

std::uint64_t Replica::outstandingTokens() const {
  std::uint64_t n = 0;
  for (const auto* q : {&waiting_, &swapped_}) {
    for (const Seq& s : *q)
      n += s.outstandingTokens();
  }
  for (const Lane& lane : lanes_) {
    for (const Seq& s : lane.running)
      if (!s.finished) n += s.outstandingTokens();
  }
  for (const auto& [s, from] : incoming_)
    n += s.outstandingTokens();
  for (const Seq& s : moving_)
    n += s.outstandingTokens();
  return n;
}

std::int64_t Replica::kvHeadroom() const {
  std::int64_t blocks = static_cast<std::int64_t>(free_blocks_);
  const std::uint64_t b = pool_.scheduler.block_tokens;
  for (const Seq& s : waiting_)
    blocks -= static_cast<std::int64_t>(ceilDiv(s.target, b));
  for (const Seq& s : swapped_)
    blocks -= static_cast<std::int64_t>(ceilDiv(s.kv, b));
  for (const auto& [s, from] : incoming_)
    blocks -= static_cast<std::int64_t>(ceilDiv(s.kv + 1, b));
  return blocks;
}

bool Replica::admit(Seq& s, std::uint64_t tokens) {
  const std::uint64_t need = ceilDiv(tokens, pool_.scheduler.block_tokens);
  if (need > s.blocks + free_blocks_) return false;
  free_blocks_ -= need - s.blocks;
  s.blocks = need;
  RequestRecord& rec = e_.result().requests[s.req];
  if (!rec.started) {
    rec.started = true;
    rec.first_scheduled_ps = e_.sim().now();
  }
  return true;
}

void Replica::release(Seq& s) {
  free_blocks_ += s.blocks;
  s.blocks = 0;
}

void Replica::finish(Seq& s, Tick now) {
  RequestRecord& rec = e_.result().requests[s.req];
  rec.finish_ps = now;
  rec.done = true;
  s.finished = true;
}

/// Preempts the lane's most recently admitted running sequence; returns the swap-out time.
Tick Replica::preemptNewest(Lane& lane) {
  const SchedulerSpec& sc = pool_.scheduler;
  Seq s = lane.running.back();
  lane.running.pop_back();
  ++e_.result().requests[s.req].preemptions;
  ++e_.result().preemptions;
  Tick cost = 0;
  if (sc.preemption == Preemption::kSwap && s.prefillDone()) {
    cost = swapTicks(s.kv * pool_.kv_bytes_per_token, sc.swap_bytes_per_s);
    release(s);
    swapped_.push_back(s);
  } else {
    release(s);
    // Recompute: the prompt and every generated token are prefilled again (the last generated
    // token's KV was not yet written, so that is kv + 1 tokens), and that pass yields the next
    // token; a sequence still prefilling restarts its prompt.
    if (s.prefillDone()) s.target = s.kv + 1;
    s.prefilled = 0;
    s.kv = 0;
    waiting_.push_front(s);
  }
  return cost;
}

Tick Replica::swapInWaiting(Lane& lane) {
  const SchedulerSpec& sc = pool_.scheduler;
  Tick cost = 0;
  while (!swapped_.empty() && lane.running.size() < sc.max_sequences) {
    Seq& s = swapped_.front();
    if (!admit(s, s.kv + 1)) break;
    cost += swapTicks(s.kv * pool_.kv_bytes_per_token, sc.swap_bytes_per_s);
    lane.running.push_back(s);
    swapped_.pop_front();
  }
  return cost;
}

/// Every prefilled running sequence of the lane gets a block for its next token, preempting the
/// lane's newest sequences while none is free (the other lanes' sequences are in their passes).
Tick Replica::ensureDecodeBlocks(Lane& lane) {
  const std::uint64_t b = pool_.scheduler.block_tokens;
  std::vector<Seq>& running = lane.running;
  Tick cost = 0;
  for (std::size_t i = 0; i < running.size(); ++i) {
    if (!running[i].prefillDone() || ceilDiv(running[i].kv + 1, b) <= running[i].blocks) continue;
    while (free_blocks_ == 0) {
      const bool self = i + 1 == running.size();
      cost += preemptNewest(lane);
      if (self) break;
    }
    if (i < running.size()) {
      --free_blocks_;
      ++running[i].blocks;
    }
  }
  return cost;
}

void Replica::shapeDecode(Lane& lane) {
  PassShape& shape = lane.shape;
  std::uint64_t kv_sum = 0;
  for (const Seq& s : lane.running) {
    if (!s.decoding) continue;
    ++shape.decode;
    kv_sum += s.kv + (s.finished ? 0 : 1);
  }
  if (shape.decode > 0) shape.decode_kv = ceilDiv(kv_sum, shape.decode);
}

void Replica::formStatic(Lane& lane) {
  const SchedulerSpec& sc = pool_.scheduler;
  std::vector<Seq>& running = lane.running;
  PassShape& shape = lane.shape;
  if (running.empty()) {
    std::uint64_t tokens = 0;
    while (!waiting_.empty() && running.size() < sc.max_sequences) {
      Seq& s = waiting_.front();
      if (sc.max_batched_tokens > 0 && tokens + s.target > sc.max_batched_tokens) break;
      const RequestRecord& rec = e_.result().requests[s.req];
      if (!admit(s, s.target + rec.request.output_tokens)) break;
      tokens += s.target;
      s.chunk = s.target;
      running.push_back(s);
      waiting_.pop_front();
    }
  } else {
    for (Seq& s : running)
      s.decoding = true;
    shapeDecode(lane);
    return;
  }
  std::uint64_t tokens = 0;
  for (const Seq& s : running)
    tokens += s.chunk;
  shape.chunks = running.size();
  if (shape.chunks > 0) shape.chunk_tokens = ceilDiv(tokens, shape.chunks);
}

Tick Replica::formContinuous(Lane& lane) {
  const SchedulerSpec& sc = pool_.scheduler;
  std::vector<Seq>& running = lane.running;
  Tick cost = swapInWaiting(lane);
  std::uint64_t tokens = 0, chunks = 0;
  if (swapped_.empty()) {
    while (!waiting_.empty() && running.size() < sc.max_sequences) {
      Seq& s = waiting_.front();
      // (a recomputed sequence longer than the budget runs alone)
      if (sc.max_batched_tokens > 0 && tokens > 0 && tokens + s.target > sc.max_batched_tokens)
        break;
      if (!admit(s, s.target)) break;
      tokens += s.target;
      ++chunks;
      s.chunk = s.target;
      running.push_back(s);
      waiting_.pop_front();
    }
  }
  if (chunks > 0) {  // a pass of the admitted prompts
    lane.shape.chunks = chunks;
    lane.shape.chunk_tokens = ceilDiv(tokens, chunks);
    return cost;
  }
  cost += ensureDecodeBlocks(lane);
  for (Seq& s : running)
    s.decoding = s.prefillDone();
  shapeDecode(lane);
  return cost;
}

Tick Replica::formChunked(Lane& lane) {
  const SchedulerSpec& sc = pool_.scheduler;
  std::vector<Seq>& running = lane.running;
  PassShape& shape = lane.shape;
  Tick cost = swapInWaiting(lane);
  cost += ensureDecodeBlocks(lane);
  std::uint64_t budget = sc.max_batched_tokens;
  for (Seq& s : running) {
    s.decoding = s.prefillDone() && budget > 0;
    if (s.decoding) --budget;
  }
  shapeDecode(lane);
  // Prompt chunks: running sequences still prefilling, then newly admitted ones.
  std::uint64_t tokens = 0, prior = 0;
  for (Seq& s : running) {
    if (s.prefillDone() || budget == 0) continue;
    s.chunk = std::min(budget, s.target - s.prefilled);
    budget -= s.chunk;
    tokens += s.chunk;
    prior += s.prefilled;
    ++shape.chunks;
  }
  if (swapped_.empty()) {
    while (budget > 0 && !waiting_.empty() && running.size() < sc.max_sequences) {
      Seq& s = waiting_.front();
      if (!admit(s, s.target)) break;
      s.chunk = std::min(budget, s.target);
      budget -= s.chunk;
      tokens += s.chunk;
      ++shape.chunks;
      running.push_back(s);
      waiting_.pop_front();
    }
  }
  if (shape.chunks > 0) {
    shape.chunk_tokens = ceilDiv(tokens, shape.chunks);
    shape.chunk_prior = prior / shape.chunks;
  }
  return cost;
}

void Replica::startPasses() {
  const std::size_t n = lanes_.size(), first = next_lane_;
  for (std::size_t i = 0; i < n; ++i) {
    const Tick now = e_.sim().now();
    if (now < entry_free_) {
      // The pass ahead still holds the slowest stage: try again when it leaves.
      if (!wake_pending_) {
        wake_pending_ = true;
        e_.sim().schedule(entry_free_, Callback::to<&Replica::onWake>(this));
      }
      return;
    }
    const std::size_t l = (first + i) % n;
    if (lanes_[l].busy) continue;
    if (tryStart(l)) next_lane_ = l + 1;
  }
}

bool Replica::tryStart(std::size_t l) {
  Lane& lane = lanes_[l];
  if (waiting_.empty() && lane.running.empty() && swapped_.empty()) return false;
  lane.shape = PassShape{};
  for (Seq& s : lane.running) {
    s.chunk = 0;
    s.decoding = false;
  }
  Tick extra = 0;
  switch (pool_.scheduler.policy) {
    case SchedulerPolicy::kStatic:
      formStatic(lane);
      break;
    case SchedulerPolicy::kContinuous:
      extra = formContinuous(lane);
      break;
    case SchedulerPolicy::kChunked:
      extra = formChunked(lane);
      break;
  }
  if (lane.shape.decode == 0 && lane.shape.chunks == 0) return false;  // waits for blocks or work
  const PassTime t = timer_.time(lane.shape);
  const Tick now = e_.sim().now();
  const Tick latency = std::max<Tick>(t.ticks + extra, 1);
  const Tick interval =
      std::min(latency, t.interval_ticks > 0 ? t.interval_ticks + extra : latency);
  // Passes leave the pipeline in order: no earlier than the pass ahead plus this pass's interval.
  const Tick end = std::max(now + latency, last_end_ + interval);
  lane.energy = t.energy_j;
  lane.busy = true;
  lane.start = now;
  entry_free_ = now + interval;
  last_end_ = end;
  e_.sim().schedule(end, Callback::to<&Replica::onPassEnd>(this), l);
  return true;
}

void Replica::onPassEnd(std::uint64_t l) {
  const Tick now = e_.sim().now();
  Lane& lane = lanes_[l];
  std::vector<Seq>& running = lane.running;
  lane.busy = false;
  const bool is_static = pool_.scheduler.policy == SchedulerPolicy::kStatic;
  for (Seq& s : running) {
    RequestRecord& rec = e_.result().requests[s.req];
    if (s.chunk > 0) {
      s.prefilled += s.chunk;
      s.kv = s.prefilled;
      if (s.prefillDone()) {
        ++s.generated;
        if (!rec.has_first_token) {
          rec.has_first_token = true;
          rec.first_token_ps = now;
        }
      }
    } else if (s.decoding && !s.finished) {
      ++s.kv;
      ++s.generated;
    }
    s.chunk = 0;
    s.decoding = false;
    if (!s.finished && s.generated >= s.output) finish(s, now);
  }
  if (is_static) {
    if (std::all_of(running.begin(), running.end(), [](const Seq& s) { return s.finished; })) {
      for (Seq& s : running)
        release(s);
      running.clear();
    }
  } else {
    for (Seq& s : running)
      if (s.finished) release(s);
    std::erase_if(running, [](const Seq& s) { return s.finished; });
  }
  std::vector<Seq> leaving;  // prefilled sequences leave for the decode pool (blocks held)
  if (role_ == Role::kPrefill) {
    for (const Seq& s : running)
      if (s.prefillDone()) leaving.push_back(s);
    std::erase_if(running, [](const Seq& s) { return s.prefillDone(); });
    handoffs_.insert(handoffs_.end(), leaving.begin(), leaving.end());
  }
  PassRecord p;
  p.pool = role_ == Role::kDecode ? 1 : 0;
  p.replica = index_;
  p.lane = static_cast<std::uint32_t>(l);
  p.start_ps = lane.start;
  p.end_ps = now;
  p.shape = lane.shape;
  p.running = runningCount();
  p.waiting = waiting_.size() + swapped_.size();
  p.blocks_used = pool_.kv_blocks - free_blocks_;
  p.energy_j = lane.energy;
  EngineResult& r = e_.result();
  r.max_blocks_used = std::max(r.max_blocks_used, p.blocks_used);
  r.passes.push_back(p);
  for (const Seq& s : leaving)
    e_.handOff(s, index_);
  if (role_ == Role::kDecode) startTransfers();
  startPasses();
}

}  // namespace

EngineResult runEngine(const std::vector<Request>& requests, const EngineOptions& options,
                       PassTimer& timer, PassTimer* decode_timer) {
  return Engine(requests, options, timer, decode_timer).run();
}

}  // namespace archsim::serve
