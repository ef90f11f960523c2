#include "sim/exec/collectives.h"

#include <algorithm>
#include <map>

#include "sim/core/error.h"

namespace archsim::exec {
namespace {
using spec::AllReduceAlgorithm;

bool powerOfTwo(std::size_t n) {
  return n > 0 && (n & (n - 1)) == 0;
}
std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
}  // namespace

double rankReduceBytesPerSecond(const spec::ChipSpec& chip, spec::DType element) {
  const auto peak =
      chip.vector.peak(element) ? chip.vector.peak(element) : chip.vector.peak(spec::DType::kFp32);
  if (!peak) return 0.0;
  return *peak * chip.vector.achievable_fraction * spec::dtypeBytes(element);
}

CollectiveEngine::CollectiveEngine(Simulation& sim, hw::Topology& topology,
                                   const spec::CollectiveSpec& spec, double reduce_bytes_per_s)
    : sim_(sim), topology_(topology), spec_(spec), reduce_bytes_per_s_(reduce_bytes_per_s) {}

std::optional<hw::NodeId> CollectiveEngine::sharedReducingSwitch(
    const std::vector<std::uint32_t>& ranks, bool need_reducer) const {
  for (std::size_t level = 0; level < topology_.coordinates(ranks.front()).size(); ++level) {
    const auto sw = topology_.switchOf(ranks.front(), level);
    if (!sw) continue;
    bool shared = true;
    for (std::uint32_t r : ranks)
      shared = shared && topology_.switchOf(r, level) == sw;
    if (shared && (!need_reducer || topology_.canReduce(*sw))) return sw;
  }
  return std::nullopt;
}

std::optional<std::vector<std::vector<std::uint32_t>>> CollectiveEngine::nodeGroups(
    const std::vector<std::uint32_t>& ranks) const {
  std::map<std::uint32_t, std::vector<std::uint32_t>> by_node;
  for (std::uint32_t r : ranks) {
    const auto c = topology_.coordinates(r);
    std::uint32_t node = 0, stride = 1;
    for (std::size_t l = 1; l < c.size(); ++l) {
      node += c[l] * stride;
      stride *= topology_.levelSize(l);
    }
    by_node[node].push_back(r);
  }
  if (by_node.size() < 2) return std::nullopt;
  const std::size_t g = by_node.begin()->second.size();
  std::vector<std::vector<std::uint32_t>> groups;
  for (auto& [node, members] : by_node) {
    if (members.size() < 2 || members.size() != g) return std::nullopt;
    groups.push_back(std::move(members));
  }
  return groups;
}

bool CollectiveEngine::directlyLinked(const std::vector<std::uint32_t>& ranks) const {
  for (std::uint32_t a : ranks) {
    for (std::uint32_t b : ranks) {
      if (a != b && topology_.bandwidth().coeff(static_cast<int>(a), static_cast<int>(b)) == 0.0)
        return false;
    }
  }
  return true;
}

std::string_view CollectiveEngine::plan(const CollectiveRequest& r, std::vector<Step>& steps) {
  const std::vector<std::uint32_t>& ranks = r.ranks;
  const std::size_t n = ranks.size();
  const std::uint64_t S = r.bytes;
  // `reducing`: each rank adds what it receives (reduce phases) rather than only storing it.
  auto ringSteps = [&](std::size_t count, std::uint64_t bytes, bool reducing) {
    for (std::size_t s = 0; s < count; ++s) {
      Step step;
      for (std::size_t i = 0; i < n; ++i)
        step.sends.push_back({ranks[i], ranks[(i + 1) % n], bytes});
      step.rank_reduce_bytes = reducing ? bytes : 0;
      steps.push_back(std::move(step));
    }
  };
  auto everyPair = [&](std::uint64_t bytes, bool reducing) {
    Step step;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        if (i != j) step.sends.push_back({ranks[i], ranks[j], bytes});
      }
    }
    step.rank_reduce_bytes = reducing ? (n - 1) * bytes : 0;
    steps.push_back(std::move(step));
  };
  // Every message among ranks joined pairwise by links of their own (a full mesh) goes direct, as
  // the libraries spread their rings' channels over all of a rank's links; among ranks that share
  // a switch, small messages do.
  const auto on_switch = sharedReducingSwitch(ranks, false);
  const bool mesh = !on_switch && directlyLinked(ranks);
  const bool direct = mesh || (S <= spec_.small_message_bytes && on_switch);
  switch (r.kind) {
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
      if (direct) {
        everyPair(ceilDiv(S, n), r.kind == CollectiveKind::kReduceScatter);
        return "direct";
      }
      ringSteps(n - 1, ceilDiv(S, n), r.kind == CollectiveKind::kReduceScatter);
      return "ring";
    case CollectiveKind::kAllToAll:
      everyPair(ceilDiv(S, n), false);
      return "direct";
    case CollectiveKind::kSendRecv:
      steps.push_back(Step{{{ranks[0], ranks[1], S}}, 0, 0});
      return "direct";
    case CollectiveKind::kAllReduce:
      break;
  }
  AllReduceAlgorithm algo = spec_.all_reduce;
  const auto reducing = sharedReducingSwitch(ranks, true);
  if (algo == AllReduceAlgorithm::kAuto) {
    if (S <= spec_.small_message_bytes) {
      algo = direct          ? AllReduceAlgorithm::kOneShot
             : powerOfTwo(n) ? AllReduceAlgorithm::kRecursiveDoubling
                             : AllReduceAlgorithm::kRing;
    } else {
      algo = reducing            ? AllReduceAlgorithm::kInSwitch
             : nodeGroups(ranks) ? AllReduceAlgorithm::kHierarchical
             : mesh              ? AllReduceAlgorithm::kTwoShot
                                 : AllReduceAlgorithm::kRing;
    }
  }
  if (algo == AllReduceAlgorithm::kInSwitch && !reducing) algo = AllReduceAlgorithm::kRing;
  if (algo == AllReduceAlgorithm::kRecursiveDoubling && !powerOfTwo(n))
    algo = AllReduceAlgorithm::kRing;
  const auto groups = nodeGroups(ranks);
  if (algo == AllReduceAlgorithm::kHierarchical && !groups) algo = AllReduceAlgorithm::kRing;
  switch (algo) {
    case AllReduceAlgorithm::kRing:
    case AllReduceAlgorithm::kAuto:
      ringSteps(n - 1, ceilDiv(S, n), true);   // reduce-scatter
      ringSteps(n - 1, ceilDiv(S, n), false);  // all-gather
      return "ring";
    case AllReduceAlgorithm::kRecursiveDoubling:
      for (std::size_t k = 1; k < n; k <<= 1) {
        Step step;
        for (std::size_t i = 0; i < n; ++i)
          step.sends.push_back({ranks[i], ranks[i ^ k], S});
        step.rank_reduce_bytes = S;
        steps.push_back(std::move(step));
      }
      return "recursive_doubling";
    case AllReduceAlgorithm::kOneShot:
      everyPair(S, true);
      return "one_shot";
    case AllReduceAlgorithm::kTwoShot:
      everyPair(ceilDiv(S, n), true);
      everyPair(ceilDiv(S, n), false);
      return "two_shot";
    case AllReduceAlgorithm::kHierarchical: {
      const std::size_t G = groups->size(), g = groups->front().size();
      Step step;
      for (const auto& group : *groups) {
        for (std::size_t i = 0; i < g; ++i)
          step.sends.push_back({group[i], group[(i + 1) % g], ceilDiv(2 * (g - 1) * S, g)});
      }
      for (std::size_t j = 0; j < G; ++j) {
        for (std::size_t i = 0; i < g; ++i) {
          step.sends.push_back(
              {(*groups)[j][i], (*groups)[(j + 1) % G][i], ceilDiv(2 * (G - 1) * S, G * g)});
        }
      }
      step.latency_steps = static_cast<std::uint32_t>(2 * (g - 1) + 2 * (G - 1));
      step.rank_reduce_bytes = ceilDiv((g - 1) * S, g) + ceilDiv((G - 1) * S, G * g);
      steps.push_back(std::move(step));
      return "hierarchical";
    }
    case AllReduceAlgorithm::kInSwitch: {
      Step step;
      step.reduce_switch = *reducing;
      step.reduce_bytes = S;
      for (std::uint32_t rank : ranks)
        step.sends.push_back({rank, rank, S});
      steps.push_back(std::move(step));
      return "in_switch";
    }
  }
  return "?";
}

CollectiveCost CollectiveEngine::start(const CollectiveRequest& request, Callback done,
                                       std::uint64_t arg) {
  if (request.ranks.empty()) ARCHSIM_PANIC("a collective without ranks");
  std::uint64_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = running_.size();
    running_.emplace_back();
  }
  Running& run = running_[id];
  run.steps.clear();
  run.next = 0;
  run.done = done;
  run.arg = arg;
  run.active = true;
  CollectiveCost cost;
  cost.algorithm = request.ranks.size() < 2 ? "none" : plan(request, run.steps);
  for (const Step& step : run.steps) {
    for (const Send& s : step.sends) {
      if (step.reduce_switch != 0) {  // up to the switch and back down
        cost.bytes_sent += 2 * s.bytes;
        cost.energy_j +=
            static_cast<double>(s.bytes) * (topology_.energyPerByte(s.src, step.reduce_switch) +
                                            topology_.energyPerByte(step.reduce_switch, s.dst));
      } else {
        cost.bytes_sent += s.bytes;
        cost.energy_j += static_cast<double>(s.bytes) * topology_.energyPerByte(s.src, s.dst);
      }
    }
  }
  sim_.scheduleIn(spec_.launch_latency_ps, Callback::to<&CollectiveEngine::onStep>(this), id);
  return cost;
}

void CollectiveEngine::onStep(std::uint64_t id) {
  Running& run = running_[id];
  if (run.next == run.steps.size()) {
    run.active = false;
    free_.push_back(id);
    run.done(run.arg);
    return;
  }
  const Step& step = run.steps[run.next++];
  const Tick t = sim_.now() + step.latency_steps * spec_.step_latency_ps;
  Tick end = t;
  if (step.reduce_switch != 0) {
    // In-switch reduction: every rank's S goes up, the switch reduces all of it, S comes back down.
    const hw::NodeId sw = step.reduce_switch;
    BandwidthServer* reducer = topology_.reducer(sw);
    Tick up_first = t;
    for (const Send& s : step.sends) {
      const Tick up = topology_.send(s.src, sw, s.bytes, t, spec_.chunk_bytes);
      end = std::max(end, up);
      up_first =
          std::max(up_first, t + topology_.link(topology_.route(s.src, sw).front()).latency_ps);
    }
    Tick reduced = up_first;
    for (std::size_t i = 0; i < step.sends.size(); ++i)
      reduced = std::max(reduced, reducer->reserveAt(up_first, step.reduce_bytes));
    for (const Send& s : step.sends) {
      const Tick down = topology_.send(sw, s.dst, s.bytes, up_first, spec_.chunk_bytes);
      // Reduced data cannot arrive before it is reduced: the last chunk follows the reduction.
      const hw::Topology::Link& first_down = topology_.link(topology_.route(sw, s.dst).front());
      const Tick tail = reduced + first_down.latency_ps +
                        transferTicks(std::min(spec_.chunk_bytes, s.bytes), first_down.bytes_per_s);
      end = std::max({end, down, tail});
    }
  } else {
    for (const Send& s : step.sends)
      end = std::max(end, topology_.send(s.src, s.dst, s.bytes, t, spec_.chunk_bytes));
  }
  if (step.rank_reduce_bytes > 0 && reduce_bytes_per_s_ > 0) {
    end = std::max(end, t + ceilTicks(static_cast<double>(step.rank_reduce_bytes) *
                                      kTicksPerSecond / reduce_bytes_per_s_));
  }
  sim_.schedule(end, Callback::to<&CollectiveEngine::onStep>(this), id);
}

}  // namespace archsim::exec
