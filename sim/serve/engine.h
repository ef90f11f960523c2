// The serving engine: requests arrive, a router hands each to a replica, and every replica's
// scheduler forms one forward pass (an iteration) after another from its queue, on the event
// kernel. How long a pass takes comes from a PassTimer — in `archsim serve` the simulated chip
// (serve/pass_timer.h), in tests a closed form — so the scheduling is tested apart from the chip.
//
// Schedulers (per replica, vLLM / Orca / Sarathi semantics):
// - `static`: a batch of up to max_sequences waiting requests is admitted when the replica is
//   empty and runs to completion: one prefill pass of its prompts, then decode passes of the whole
//   batch until its longest request is done (finished sequences stay in the batch, as padding).
// - `continuous` (iteration-level): between passes, waiting requests are admitted while KV blocks
//   and max_sequences allow (and their prompts fit max_batched_tokens, when set); a pass of
//   admitted prompts runs before decoding resumes (prefill first, as vLLM's default scheduler).
// - `chunked` (Sarathi-style chunked prefill): every pass carries each running sequence's decode
//   token and fills the rest of the token budget (max_batched_tokens) with prompt chunks.
// A prompt's pass produces the first output token. Every token a sequence holds occupies its KV
// cache: ceil(tokens / block_tokens) blocks of a paged block manager whose capacity is what the
// KV home level holds after weights, activations and the stack's reservation (serve/capacity).
// When a decode token needs a block and none is free, the most recently admitted sequence is
// preempted: by recompute (its blocks freed, it returns to the head of the queue and prefills its
// prompt and generated tokens again) or by swap (its KV moved to host memory at the swap
// bandwidth and back when blocks free up; the transfers lengthen the passes that make them).
//
// Prefill/decode disaggregation (DistServe, Splitwise): a prefill pool's replicas run only prompt
// passes; a prompt's pass yields the first token, and the sequence's KV cache then moves to a
// decode replica (chosen by the decode pool's router) over the link between the pools. The
// sequence holds its prefill-side blocks until its transfer ends; the transfer starts when the
// decode replica has blocks (and a sequence slot) for it, in arrival order, so a full decode pool
// holds prefill blocks back and slows admissions there. Each replica has one port each way onto
// the link; a transfer occupies the prefill replica's egress port and the decode replica's ingress
// port from the moment both are free (cut-through: it ends when the slower of them has
// serialized its bytes, plus the link latency), so transfers contend with one another for the
// ports. A decode replica preempts as a colocated one does (a recomputed sequence prefills again
// on the decode replica).
//
// Pipelined replicas (a plan with pp stages; vLLM's virtual engines, Orca's pipeline): a replica
// keeps up to passes_in_flight passes in its pipeline at once, each carrying a batch of its own
// (a lane). Each lane schedules as above over its own running sequences, sharing the replica's
// waiting queue and KV blocks (every stage holds the KV of its layers for every lane's
// sequences). A lane's next pass starts when its previous pass has ended (its tokens feed the
// next), and when the pass ahead has left the pipeline's slowest stage (PassTime::interval_ticks;
// idle lanes take turns). Passes leave the pipeline in the order they entered: a pass ends no
// earlier than its own latency after its start, nor than its interval after the pass ahead ends.
// With stages of equal time within a pass this is the flow shop's exact recursion: a pass behind
// a slower one waits at every stage, one behind a faster one never does.
//
// Determinism: events are ordered by (time, insertion), requests are handled in id order, and
// every tie (router, admission) is broken by index, so the same inputs give the same records.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/time.h"
#include "sim/serve/requests.h"
#include "sim/spec/names.h"

namespace archsim::serve {

enum class SchedulerPolicy { kStatic, kContinuous, kChunked };
enum class Preemption { kRecompute, kSwap };
enum class RouterKind { kRoundRobin, kLeastTokens, kKvAware };

inline constexpr spec::NameTable<SchedulerPolicy, 3> kSchedulerNames{
    {{"static", SchedulerPolicy::kStatic},
     {"continuous", SchedulerPolicy::kContinuous},
     {"chunked", SchedulerPolicy::kChunked}}};
inline constexpr spec::NameTable<Preemption, 2> kPreemptionNames{
    {{"recompute", Preemption::kRecompute}, {"swap", Preemption::kSwap}}};
inline constexpr spec::NameTable<RouterKind, 3> kRouterNames{
    {{"round_robin", RouterKind::kRoundRobin},
     {"least_tokens", RouterKind::kLeastTokens},
     {"kv_aware", RouterKind::kKvAware}}};

struct SchedulerSpec {
  SchedulerPolicy policy = SchedulerPolicy::kContinuous;
  std::uint64_t max_sequences = 256;     // sequences a pass may hold (vLLM max_num_seqs)
  std::uint64_t max_batched_tokens = 0;  // tokens a pass may hold (0: no limit; chunked: > 0)
  std::uint64_t block_tokens = 16;       // tokens per KV block
  Preemption preemption = Preemption::kRecompute;
  double swap_bytes_per_s = 0.0;       // host link for swap preemption (> 0 when swapping)
  std::uint32_t passes_in_flight = 0;  // passes a replica overlaps (0: its pipeline stages)
};

/// One forward pass's mix, what a PassTimer times.
struct PassShape {
  std::uint64_t decode = 0;        // sequences that each add one token
  std::uint64_t decode_kv = 0;     // their mean KV length with that token (rounded up)
  std::uint64_t chunks = 0;        // prompt chunks (whole prompts or Sarathi chunks)
  std::uint64_t chunk_tokens = 0;  // mean tokens per chunk (rounded up)
  std::uint64_t chunk_prior = 0;   // mean KV entries a chunk's sequence held before it
  bool operator==(const PassShape&) const = default;
};

struct PassTime {
  Tick ticks = 0;
  double energy_j = 0.0;  // every chip of the replica over the pass
  /// How long the pass holds its replica's slowest pipeline stage (or the host thread), the
  /// earliest the next pass may follow it into the pipeline; 0: the whole pass.
  Tick interval_ticks = 0;
};

class PassTimer {
 public:
  virtual ~PassTimer() = default;
  virtual PassTime time(const PassShape& pass) = 0;
};

/// What happened to one request.
struct RequestRecord {
  Request request;
  std::uint32_t replica = 0;         // the (prefill) replica that took it
  std::uint32_t decode_replica = 0;  // disaggregated: the decode replica its KV moved to
  Tick kv_transfer_start_ps = 0;     // disaggregated: its KV started to move (0: it did not)
  Tick kv_transfer_end_ps = 0;
  Tick first_scheduled_ps = 0;  // its first pass began
  Tick first_token_ps = 0;      // its prompt's pass ended
  Tick finish_ps = 0;           // its last token's pass ended
  std::uint32_t preemptions = 0;
  bool started = false;  // first_scheduled_ps is set
  bool has_first_token = false;
  bool done = false;
};

/// One pass of one replica.
struct PassRecord {
  std::uint32_t pool = 0;  // 0: the colocated or prefill pool; 1: the decode pool
  std::uint32_t replica = 0;
  std::uint32_t lane = 0;  // the replica's batch the pass carried (pipelined replicas)
  Tick start_ps = 0, end_ps = 0;
  PassShape shape;
  std::uint64_t running = 0;      // sequences holding KV after the pass (every lane)
  std::uint64_t waiting = 0;      // requests queued after the pass
  std::uint64_t blocks_used = 0;  // KV blocks held after the pass
  double energy_j = 0.0;
};

/// The replicas of one pool: every replica of a colocated run, or the prefill or the decode pool
/// of a disaggregated one.
struct PoolOptions {
  SchedulerSpec scheduler;
  std::uint32_t replicas = 1;
  RouterKind router = RouterKind::kRoundRobin;
  std::uint64_t kv_blocks = 0;           // per replica
  std::uint64_t kv_bytes_per_token = 0;  // per chip of a replica (what a swap moves per chip)
};

/// The link between a disaggregated run's pools, as each replica sees it.
struct KvLinkOptions {
  double prefill_port_bytes_per_s = 0.0;  // a prefill replica's port onto the link (> 0)
  double decode_port_bytes_per_s = 0.0;   // a decode replica's (> 0)
  Tick latency_ps = 0;
  std::uint64_t bytes_per_token = 0;  // the KV bytes of one token that move (the whole model's)
  double energy_j_per_byte = 0.0;
};

struct EngineOptions : PoolOptions {
  std::optional<PoolOptions> decode;  // set: disaggregated, these options are the prefill pool's
  KvLinkOptions kv_link;
};

struct EngineResult {
  std::vector<RequestRecord> requests;  // by id
  std::vector<PassRecord> passes;       // in the order they ended
  std::uint64_t preemptions = 0;
  std::uint64_t max_blocks_used = 0;  // over replicas (of both pools) and time
  Tick end_ps = 0;                    // the last pass ended
  // Disaggregated: KV moved between the pools.
  std::uint64_t kv_transfers = 0;
  std::uint64_t kv_transfer_bytes = 0;
  double kv_transfer_energy_j = 0.0;
  Tick kv_port_busy_ps = 0;  // the prefill replicas' ports, summed
};

/// Serves `requests` (in arrival order) with `timer` timing the passes of every replica (of the
/// prefill pool when disaggregated) and `decode_timer` those of the decode pool (required when
/// `options.decode` is set). Throws ConfigError when a request can never fit a replica's KV blocks
/// or the token budget (the reader names the keys).
EngineResult runEngine(const std::vector<Request>& requests, const EngineOptions& options,
                       PassTimer& timer, PassTimer* decode_timer = nullptr);

}  // namespace archsim::serve
