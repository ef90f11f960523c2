// Placement: the home memory level (and address) of every tensor a workload touches.
//
// Rules (DESIGN "Mapping"):
// - A level can be a home only if data persists in it between ops: DRAM always; an SRAM level when
//   the chip is statically scheduled (dataflow: GroqChip, Cerebras) or has no DRAM at all. A GPU's
//   shared memory is per-kernel scratch, so on `kernel` chips weights live in HBM and reach the
//   units through the cache.
// - Weights are resident in the largest persistent SRAM when they fit beside the KV cache and the
//   activations; otherwise they are homed in DRAM and streamed. The KV cache goes on chip when it
//   still fits there, else to DRAM. Activations stay on chip where they fit.
// - The scenario can force weights `resident`/`streamed` and KV `on_chip`/`off_chip`; a policy that
//   cannot be met, or a chip that cannot hold the model at all, is a ConfigError that says why
//   ("weights need 13.48 GB, sram holds 220 MiB ...").
// Tensors are identified across a workload's graphs by name ("stable ids"), so the prefill and
// decode graphs share weights and KV cache.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/graph/workload.h"
#include "sim/spec/chip_spec.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::map {

using StableId = std::uint32_t;

struct TensorHome {
  std::size_t level = 0;
  std::uint64_t address = 0;
  std::uint64_t bytes = 0;  // capacity reserved (at the workload's largest KV length)
  graph::TensorRole role = graph::TensorRole::kActivation;
};

/// What a workload needs in memory, as placement lays it out: weights and KV cache each tensor
/// aligned to 4 KiB, activations as one arena of the peak working set (an op's inputs and outputs,
/// double-buffered).
struct Footprint {
  std::uint64_t weight_bytes = 0;
  std::uint64_t kv_bytes = 0;
  std::uint64_t activation_bytes = 0;  // the arena
  std::uint64_t total() const { return weight_bytes + kv_bytes + activation_bytes; }
};
Footprint measure(const graph::Workload& workload);

/// Which part of a model an op of a graph holding the embedding, layers and the head belongs to:
/// ops before the first layer are the embedding's, ops after the last layer the head's.
enum class ModelPart { kEmbedding, kLayers, kHead };
std::vector<ModelPart> opParts(const graph::Graph& g);

/// The footprint of each part of a workload whose graphs hold the embedding, one or more layers
/// and the head: ops before the first layer are the embedding's, ops after the last the head's,
/// and a tensor belongs to every part whose ops touch it (a tied embedding table to both, counted
/// once in `embedding_and_head`). `layer` is the layers' part divided by their number.
struct PartFootprints {
  Footprint embedding;
  Footprint layer;
  Footprint head;
  Footprint embedding_and_head;
};
PartFootprints measureParts(const graph::Workload& workload);

class Placement {
 public:
  /// The stable id of tensor `t` of graph `g` (g must belong to the placed workload).
  StableId stable(const graph::Graph& g, graph::TensorId t) const { return ids_.at(&g)[t]; }
  const TensorHome& home(StableId id) const { return homes_.at(id); }
  const std::string& name(StableId id) const { return names_.at(id); }
  std::size_t size() const { return homes_.size(); }

  bool weightsResident() const { return weights_resident_; }
  bool kvOnChip() const { return kv_on_chip_; }
  std::uint64_t weightBytes() const { return weight_bytes_; }
  std::uint64_t kvBytes() const { return kv_bytes_; }
  std::uint64_t activationBytes() const { return activation_bytes_; }
  /// Bytes homed in each level.
  const std::vector<std::uint64_t>& bytesPerLevel() const { return bytes_per_level_; }
  /// One line per decision, for run records.
  const std::vector<std::string>& decisions() const { return decisions_; }
  /// KV capacity in tokens per sequence the layout reserves (addresses of token t use it).
  std::uint64_t kvCapacityTokens() const { return kv_capacity_; }

 private:
  friend Placement place(const spec::ChipSpec& chip, const graph::Workload& workload,
                         const spec::PlacementPolicy& policy, const spec::SoftwareSpec& software);
  friend Footprint measure(const graph::Workload& workload);
  friend PartFootprints measureParts(const graph::Workload& workload);
  void collect(const graph::Workload& workload);
  std::map<const graph::Graph*, std::vector<StableId>> ids_;
  std::vector<TensorHome> homes_;
  std::vector<std::string> names_;
  bool weights_resident_ = false;
  bool kv_on_chip_ = false;
  std::uint64_t weight_bytes_ = 0;
  std::uint64_t kv_bytes_ = 0;         // what the sequences hold
  std::uint64_t kv_unheld_bytes_ = 0;  // laid out beyond that (a serving pass's shorter rows)
  std::uint64_t activation_bytes_ = 0;
  std::uint64_t kv_capacity_ = 0;
  std::vector<std::uint64_t> bytes_per_level_;
  std::vector<std::string> decisions_;
};

/// Places every tensor of `workload` on `chip` under `policy`, in what `software` leaves of the
/// main memory (spec::SoftwareSpec::usableBytes). Throws ConfigError when it cannot.
Placement place(const spec::ChipSpec& chip, const graph::Workload& workload,
                const spec::PlacementPolicy& policy = {}, const spec::SoftwareSpec& software = {});

/// The SRAM level that can hold data between ops (see above), if any.
std::optional<std::size_t> persistentSram(const spec::ChipSpec& chip);
/// The level that holds a model's weights when they fit a chip: the persistent SRAM of a dataflow
/// or SRAM-only chip, else the main memory (DRAM).
std::size_t modelLevel(const spec::ChipSpec& chip);
/// What `software` leaves the model of `chip`'s memory level `level`: of the main memory, what
/// spec::SoftwareSpec::usableBytes says; any other level whole.
std::uint64_t modelBytesOf(const spec::ChipSpec& chip, std::size_t level,
                           const spec::SoftwareSpec& software);

}  // namespace archsim::map
