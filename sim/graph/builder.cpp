#include "sim/graph/builder.h"

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/graph/flop_conventions.h"
#include "sim/graph/fusion.h"

namespace archsim::graph {
namespace {

using spec::Activation;
using spec::ModelSpec;
using spec::NormKind;
using spec::PositionKind;
using spec::TensorFormat;

const TensorFormat kTokenFormat{spec::DType::kFp32, 0, spec::DType::kFp16};  // 4-byte token ids

class Builder {
 public:
  Builder(const Shard& shard, GraphPhase phase)
      : shard_(shard), m_(shard.model), slice_(shard.slice), decode_(phase == GraphPhase::kDecode) {
    batch_ = shard.sequences;
    seq_ = decode_ ? 1 : shard.prompt_tokens;
    if (decode_ && shard.chunk_sequences > 0 && shard.chunk_tokens > 0) {
      chunks_ = shard.chunk_sequences;
      chunk_rows_ = shard.chunk_tokens;
      chunk_prior_ = shard.chunk_prior_kv;
    }
    own_rows_ = batch_ * seq_;
    rows_ = own_rows_ + chunks_ * chunk_rows_;
    tp_ = std::max<std::uint32_t>(1, shard.tp);
    ep_ = std::max<std::uint32_t>(1, shard.ep);
    sp_ = shard.sequenceParallel();
    stream_rows_ = shard.streamRows(rows_);
    kv_sequences_ = std::max(shard.kv_sequences, batch_);
    weights_ = shard.dtypes.weights;
    act_ = shard.dtypes.activations;
    kv_ = shard.dtypes.kv;
    // Norm weights and biases stay in the activation format even when matrices are quantized.
    small_ = TensorFormat{act_.dtype, 0, spec::DType::kFp16};
  }

  Graph build() {
    // A stage without the embedding receives the hidden state from the previous stage.
    TensorId hidden =
        shard_.embedding ? embedding() : activation("stage.in", -1, stream_rows_, m_.hidden);
    const std::uint64_t end = std::min(shard_.end_layer, m_.layers);
    for (std::uint64_t l = shard_.first_layer; l < end; ++l)
      hidden = layer(static_cast<int>(l), hidden);
    if (shard_.head) head(hidden);
    if (shard_.fusion == spec::FusionLevel::kElementwise) fuseElementwise(ops_, tensors_);
    std::string name = fmt::format("{}.{}", m_.name, decode_ ? "decode" : "prefill");
    if (tp_ > 1) name += fmt::format(".tp{}", tp_);
    if (shard_.first_layer > 0 || end < m_.layers || !shard_.embedding || !shard_.head) {
      name += fmt::format(".layers{}-{}", shard_.first_layer, end);
    }
    return Graph(std::move(name), std::move(tensors_), std::move(ops_), m_.sliding_window);
  }

 private:
  std::uint64_t qDim() const { return slice_.heads * m_.head_dim; }
  std::uint64_t kvDim() const { return slice_.kv_heads * m_.head_dim; }
  /// The attention blocks of a serving pass's prefill chunks: prefill-like, after their prior KV.
  AttentionGeometry chunkGeometry() const {
    AttentionGeometry g = geometry();
    g.sequences = chunks_;
    g.query_rows = chunk_rows_;
    g.decode = false;
    g.prior = chunk_prior_;
    return g;
  }
  /// The attention blocks of this pass on this rank (graph/op.h).
  AttentionGeometry geometry() const {
    AttentionGeometry g;
    g.sequences = batch_;
    g.kv_heads = slice_.kv_heads;
    g.group = slice_.heads / slice_.kv_heads;
    g.head_dim = m_.head_dim;
    g.query_rows = seq_;
    g.decode = decode_;
    g.causal = !m_.isEncoder();
    g.window = m_.sliding_window;
    return g;
  }

  // ---- tensors -------------------------------------------------------------------------------
  TensorId tensor(std::string name, TensorRole role, int layer, std::vector<std::int64_t> shape,
                  const TensorFormat& format, Extent elements, int expert = -1) {
    const auto id = static_cast<TensorId>(tensors_.size());
    Tensor t;
    t.id = id;
    t.name = std::move(name);
    t.role = role;
    t.layer = layer;
    t.expert = expert;
    t.shape = std::move(shape);
    t.format = format;
    t.elements = elements;
    t.bytes = bytesOf(format, elements);
    tensors_.push_back(std::move(t));
    return id;
  }
  static Extent bytesOf(const TensorFormat& f, Extent elements) {
    // Exact when block scales group along a row (per token), which the formats here do.
    return {f.bytes(elements.fixed), f.bytes(elements.per_kv)};
  }
  TensorId weight(const std::string& name, int layer, std::uint64_t rows, std::uint64_t cols,
                  int expert = -1) {
    return tensor(name, TensorRole::kWeight, layer,
                  {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)}, weights_,
                  Extent::constant(rows * cols), expert);
  }
  TensorId vectorParam(const std::string& name, int layer, std::uint64_t n) {
    return tensor(name, TensorRole::kWeight, layer, {static_cast<std::int64_t>(n)}, small_,
                  Extent::constant(n));
  }
  TensorId activation(const std::string& name, int layer, std::uint64_t rows, std::uint64_t cols,
                      TensorRole role = TensorRole::kActivation, int expert = -1) {
    return tensor(name, role, layer,
                  {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)}, act_,
                  Extent::constant(rows * cols), expert);
  }
  TensorUse whole(TensorId id) const { return {id, tensors_[id].bytes}; }
  TensorUse part(TensorId id, Extent elements) const {
    return {id, bytesOf(tensors_[id].format, elements)};
  }

  // ---- ops -------------------------------------------------------------------------------------
  Op& op(OpKind kind, std::string name, int layer, int expert = -1) {
    Op o;
    o.id = static_cast<OpId>(ops_.size());
    o.kind = kind;
    o.name = std::move(name);
    o.layer = layer;
    o.expert = expert;
    o.compute = shard_.dtypes.compute;
    ops_.push_back(std::move(o));
    return ops_.back();
  }
  static std::string at(int layer, std::string_view what) {
    return fmt::format("L{}.{}", layer, what);
  }

  /// y[rows, n] = x[rows, k] W[k, n] (+ b): one matmul op.
  TensorId matmul(OpKind kind, const std::string& name, int layer, TensorUse input,
                  std::uint64_t rows, TensorId w, std::uint64_t k, std::uint64_t n,
                  std::optional<TensorId> bias, const std::string& out_name, int expert = -1,
                  TensorRole out_role = TensorRole::kActivation) {
    const TensorId out = activation(out_name, layer, rows, n, out_role, expert);
    Op& o = op(kind, name, layer, expert);
    o.matmul = MatmulShape{Extent::constant(1), Extent::constant(rows), Extent::constant(n),
                           Extent::constant(k)};
    o.matrix_flops = Extent::constant(2 * rows * n * k);
    o.reads = {input, whole(w)};
    if (bias) {
      o.reads.push_back(whole(*bias));
      o.vector_flops = Extent::constant(flops::kAdd * rows * n);
    }
    o.writes = {whole(out)};
    return out;
  }

  TensorId norm(const std::string& name, int layer, TensorId input, std::uint64_t rows) {
    const bool layer_norm = m_.norm == NormKind::kLayerNorm;
    const TensorId gamma = vectorParam(name + ".w", layer, m_.hidden);
    std::optional<TensorId> beta;
    if (layer_norm) beta = vectorParam(name + ".b", layer, m_.hidden);
    const TensorId out = activation(name + ".out", layer, rows, m_.hidden);
    Op& o = op(OpKind::kNorm, name, layer);
    o.vector_flops =
        Extent::constant((layer_norm ? flops::kLayerNorm : flops::kRmsNorm) * rows * m_.hidden);
    o.reads = {whole(input), whole(gamma)};
    if (beta) o.reads.push_back(whole(*beta));
    o.writes = {whole(out)};
    return out;
  }

  TensorId residualAdd(const std::string& name, int layer, std::vector<TensorId> inputs) {
    const TensorId out = activation(name + ".out", layer, stream_rows_, m_.hidden);
    Op& o = op(OpKind::kElementwise, name, layer);
    o.vector_flops = Extent::constant(flops::kAdd * (inputs.size() - 1) * stream_rows_ * m_.hidden);
    for (TensorId in : inputs)
      o.reads.push_back(whole(in));
    o.writes = {whole(out)};
    return out;
  }

  // ---- collectives -----------------------------------------------------------------------------
  /// A collective over the tensor-parallel group from `input` to a new [out_rows, cols] tensor.
  TensorId collective(graph::CollectiveKind kind, const std::string& name, int layer,
                      std::vector<TensorUse> reads, std::uint64_t out_rows, std::uint64_t cols,
                      Extent bytes) {
    const TensorId out = activation(name + ".out", layer, out_rows, cols);
    Op& o = op(OpKind::kCollective, name, layer);
    o.collective = CollectiveCall{kind, bytes};
    o.reads = std::move(reads);
    o.writes = {whole(out)};
    return out;
  }
  /// The partial sums of a row-parallel projection, combined: all-reduced to every row, or
  /// reduce-scattered to this rank's rows with sequence parallelism.
  TensorId reduceOut(const std::string& name, int layer, TensorId partial) {
    if (tp_ == 1) return partial;
    const Extent bytes = tensors_[partial].bytes;
    return sp_ ? collective(graph::CollectiveKind::kReduceScatter, name + "_reduce_scatter", layer,
                            {whole(partial)}, stream_rows_, m_.hidden, bytes)
               : collective(graph::CollectiveKind::kAllReduce, name + "_all_reduce", layer,
                            {whole(partial)}, rows_, m_.hidden, bytes);
  }
  /// A sequence-parallel residual-stream tensor gathered to every row (the input of a
  /// column-parallel projection); unchanged without sequence parallelism.
  TensorId replicate(const std::string& name, int layer, TensorId x) {
    if (!sp_) return x;
    return collective(graph::CollectiveKind::kAllGather, name + "_all_gather", layer, {whole(x)},
                      rows_, m_.hidden, bytesOf(act_, Extent::constant(rows_ * m_.hidden)));
  }

  // ---- blocks ----------------------------------------------------------------------------------
  TensorId embedding() {
    const TensorId tokens =
        tensor("tokens", TensorRole::kActivation, -1, {static_cast<std::int64_t>(rows_)},
               kTokenFormat, Extent::constant(rows_));
    embed_ = weight("embed", -1, slice_.vocab, m_.hidden);
    const TensorId out = activation("embed.out", -1, rows_, m_.hidden);
    std::vector<TensorUse> reads{whole(tokens), part(embed_, Extent::constant(rows_ * m_.hidden))};
    std::uint64_t adds = 0;
    if (m_.positions == PositionKind::kLearned) {
      const TensorId pos =
          weight("pos_embed", -1, m_.max_positions + m_.position_offset, m_.hidden);
      // Every sequence reads the same seq_ rows (decode: the one row of its position); a chunk
      // its own rows.
      reads.push_back(part(pos, Extent::constant((seq_ + chunk_rows_) * m_.hidden)));
      ++adds;
    }
    if (m_.type_vocab > 0) {
      const TensorId types = weight("type_embed", -1, m_.type_vocab, m_.hidden);
      reads.push_back(part(types, Extent::constant(m_.hidden)));  // all token types 0: one row
      ++adds;
    }
    Op& o = op(OpKind::kEmbedding, "embed", -1);
    o.reads = std::move(reads);
    o.vector_flops = Extent::constant(flops::kAdd * adds * rows_ * m_.hidden);
    o.writes = {whole(out)};
    // Vocab-parallel: each rank gathers the rows of its vocabulary slice (zeros elsewhere).
    const TensorId combined = reduceOut("embed", -1, out);
    if (m_.isEncoder()) return norm("embed_norm", -1, combined, stream_rows_);
    return combined;
  }

  TensorId layer(int l, TensorId hidden) {
    if (m_.isEncoder()) {
      // Post-norm: h1 = LN(x + attn(x)), h2 = LN(h1 + mlp(h1)).
      const TensorId attn =
          reduceOut(at(l, "attn"), l, attention(l, replicate(at(l, "attn"), l, hidden)));
      const TensorId h1 =
          norm(at(l, "attn_norm"), l, residualAdd(at(l, "attn_residual"), l, {hidden, attn}),
               stream_rows_);
      const TensorId mlp_out = reduceOut(at(l, "mlp"), l, mlp(l, replicate(at(l, "mlp"), l, h1)));
      return norm(at(l, "mlp_norm"), l, residualAdd(at(l, "mlp_residual"), l, {h1, mlp_out}),
                  stream_rows_);
    }
    if (m_.parallel_residual) {
      // GPT-J: x + attn(LN(x)) + mlp(LN(x)) with one norm.
      const TensorId x = replicate(at(l, "norm"), l, norm(at(l, "norm"), l, hidden, stream_rows_));
      const TensorId attn = reduceOut(at(l, "attn"), l, attention(l, x));
      const TensorId mlp_out = reduceOut(at(l, "mlp"), l, mlp(l, x));
      return residualAdd(at(l, "residual"), l, {hidden, attn, mlp_out});
    }
    const TensorId x =
        replicate(at(l, "attn_norm"), l, norm(at(l, "attn_norm"), l, hidden, stream_rows_));
    const TensorId attn = reduceOut(at(l, "attn"), l, attention(l, x));
    const TensorId h1 = residualAdd(at(l, "attn_residual"), l, {hidden, attn});
    const TensorId x2 =
        replicate(at(l, "mlp_norm"), l, norm(at(l, "mlp_norm"), l, h1, stream_rows_));
    const TensorId mlp_out = m_.moe ? moe(l, x2) : reduceOut(at(l, "mlp"), l, mlp(l, x2));
    return residualAdd(at(l, "mlp_residual"), l, {h1, mlp_out});
  }

  TensorId attention(int l, TensorId x) {
    const std::uint64_t qd = qDim();
    const std::uint64_t kvd = kvDim();
    const std::uint64_t qkv_cols = qd + 2 * kvd;
    const TensorId wqkv = weight(at(l, "wqkv"), l, m_.hidden, qkv_cols);
    std::optional<TensorId> bqkv;
    if (m_.attention_bias) bqkv = vectorParam(at(l, "bqkv"), l, qkv_cols);
    const TensorId qkv = matmul(OpKind::kMatmul, at(l, "qkv"), l, whole(x), rows_, wqkv, m_.hidden,
                                qkv_cols, bqkv, at(l, "qkv.out"));

    // q and k, rotated when the model uses RoPE.
    TensorUse q_use = part(qkv, Extent::constant(rows_ * qd));
    TensorUse k_new = part(qkv, Extent::constant(rows_ * kvd));
    if (m_.positions == PositionKind::kRope) {
      const TensorId q = activation(at(l, "q"), l, rows_, qd);
      const TensorId k = activation(at(l, "k"), l, rows_, kvd);
      Op& o = op(OpKind::kRope, at(l, "rope"), l);
      o.vector_flops =
          Extent::constant(flops::kRope * rows_ * (slice_.heads + slice_.kv_heads) * m_.rotary_dim);
      o.reads = {part(qkv, Extent::constant(rows_ * (qd + kvd)))};
      o.writes = {whole(q), whole(k)};
      q_use = whole(q);
      k_new = whole(k);
    }
    const TensorUse v_new = part(qkv, Extent::constant(rows_ * kvd));
    const TensorId out = activation(at(l, "attn.out"), l, rows_, qd);
    if (chunks_ > 0) chunkAttention(l, q_use.tensor, k_new.tensor, v_new.tensor, out);
    if (own_rows_ > 0) ownAttention(l, q_use, k_new, v_new, out);

    const TensorId wo = weight(at(l, "wo"), l, qd, m_.hidden);
    std::optional<TensorId> bo;
    if (m_.attention_bias) bo = vectorParam(at(l, "bo"), l, m_.hidden);
    return matmul(OpKind::kMatmul, at(l, "o_proj"), l, whole(out), rows_, wo, qd, m_.hidden, bo,
                  at(l, "o_proj.out"));
  }

  /// A serving pass's prefill chunks: their K and V appended to their own cache rows after the
  /// prior entries, then one fused (flash-style) attention over prior + chunk keys, as chunked-
  /// prefill engines run them. The cache tensor is laid out at the pass's KV capacity like the
  /// decode cache (so its rows address as the decode cache's do).
  void chunkAttention(int l, TensorId q_src, TensorId k_src, TensorId v_src, TensorId out) {
    const std::uint64_t qd = qDim();
    const std::uint64_t kvd = kvDim();
    const std::uint64_t rows = chunks_ * chunk_rows_;
    const std::uint64_t span = chunk_prior_ + chunk_rows_;
    const std::vector<std::int64_t> shape{static_cast<std::int64_t>(chunks_),
                                          static_cast<std::int64_t>(slice_.kv_heads), kKvDim,
                                          static_cast<std::int64_t>(m_.head_dim)};
    const TensorId kc = tensor(at(l, "chunk_k_cache"), TensorRole::kKv, l, shape, kv_,
                               Extent::perKv(chunks_ * kvd));
    const TensorId vc = tensor(at(l, "chunk_v_cache"), TensorRole::kKv, l, shape, kv_,
                               Extent::perKv(chunks_ * kvd));
    const AttentionGeometry geo = chunkGeometry();
    Op& w = op(OpKind::kKvWrite, at(l, "chunk_kv_write"), l);
    w.reads = {part(k_src, Extent::constant(rows * kvd)),
               part(v_src, Extent::constant(rows * kvd))};
    w.writes = {part(kc, Extent::constant(rows * kvd)), part(vc, Extent::constant(rows * kvd))};
    w.attention = geo;
    if (!(kv_ == act_)) w.vector_flops = Extent::constant(flops::kConvert * 2 * rows * kvd);

    const std::uint64_t bh = chunks_ * slice_.heads;
    const std::uint64_t pairs = geo.pairs(0, chunk_rows_, span);
    Op& o = op(OpKind::kAttention, at(l, "chunk_attention"), l);
    o.attention = geo;
    o.matmul = MatmulShape{Extent::constant(bh), Extent::constant(chunk_rows_),
                           Extent::constant(span), Extent::constant(m_.head_dim)};
    o.matrix_flops = Extent::constant(pairs * 4 * bh * m_.head_dim);
    o.vector_flops = Extent::constant(pairs * flops::kSoftmax * bh);
    o.reads = {part(q_src, Extent::constant(rows * qd)),
               part(kc, Extent::constant(chunks_ * span * kvd)),
               part(vc, Extent::constant(chunks_ * span * kvd))};
    o.writes = {part(out, Extent::constant(rows * qd))};
  }

  /// Attention of the pass's own sequences (all of them, or a serving pass's decode tokens).
  void ownAttention(int l, TensorUse q_use, TensorUse k_new, TensorUse v_new, TensorId out) {
    const std::uint64_t qd = qDim();
    const std::uint64_t kvd = kvDim();
    if (chunks_ > 0) {  // the decode tokens' rows only
      q_use = part(q_use.tensor, Extent::constant(own_rows_ * qd));
      k_new = part(k_new.tensor, Extent::constant(own_rows_ * kvd));
      v_new = part(v_new.tensor, Extent::constant(own_rows_ * kvd));
    }
    const TensorUse out_use =
        chunks_ > 0 ? part(out, Extent::constant(own_rows_ * qd)) : whole(out);
    // Where attention reads K and V from: the cache (decoders) or this pass's activations
    // (encoders).
    TensorUse k_read = k_new;
    TensorUse v_read = v_new;
    const Extent kv_len = decode_ ? Extent::perKv(1) : Extent::constant(seq_);
    if (!m_.isEncoder()) {
      // The cache holds every sequence of the stage (all microbatches); this graph attends to its
      // own.
      const std::vector<std::int64_t> shape{static_cast<std::int64_t>(kv_sequences_),
                                            static_cast<std::int64_t>(slice_.kv_heads),
                                            decode_ ? kKvDim : static_cast<std::int64_t>(seq_),
                                            static_cast<std::int64_t>(m_.head_dim)};
      const Extent cache_elements = kv_len * (kv_sequences_ * kvd);
      const TensorId kc = tensor(at(l, "k_cache"), TensorRole::kKv, l, shape, kv_, cache_elements);
      const TensorId vc = tensor(at(l, "v_cache"), TensorRole::kKv, l, shape, kv_, cache_elements);
      Op& w = op(OpKind::kKvWrite, at(l, "kv_write"), l);
      w.reads = {k_new, v_new};
      w.writes = {part(kc, Extent::constant(own_rows_ * kvd)),
                  part(vc, Extent::constant(own_rows_ * kvd))};
      w.attention = geometry();
      if (!(kv_ == act_)) w.vector_flops = Extent::constant(flops::kConvert * 2 * own_rows_ * kvd);
      k_read = part(kc, kv_len * (batch_ * kvd));
      v_read = part(vc, kv_len * (batch_ * kvd));
    }

    // (query, key) pairs per sequence and head: causal for decoders, full for encoders.
    const AttentionGeometry geo = geometry();
    const Extent pairs =
        decode_ ? Extent::perKv(1) : Extent::constant(geo.pairs(0, seq_, /*kv=*/seq_));
    const std::uint64_t bh = batch_ * slice_.heads;
    if (shard_.attention == spec::AttentionImpl::kFused) {
      Op& o = op(OpKind::kAttention, at(l, "attention"), l);
      o.attention = geo;
      o.matmul = MatmulShape{Extent::constant(bh), Extent::constant(seq_), kv_len,
                             Extent::constant(m_.head_dim)};
      o.matrix_flops = pairs * (4 * bh * m_.head_dim);
      o.vector_flops = pairs * (flops::kSoftmax * bh);
      o.reads = {q_use, k_read, v_read};
      o.writes = {out_use};
    } else {
      // Materialized: every query scores every key of the span (the mask is applied afterwards).
      const Extent full = decode_ ? Extent::perKv(1) : Extent::constant(seq_ * seq_);
      const Extent score_elements = full * bh;
      const std::vector<std::int64_t> score_shape{
          static_cast<std::int64_t>(batch_), static_cast<std::int64_t>(slice_.heads),
          static_cast<std::int64_t>(seq_), decode_ ? kKvDim : static_cast<std::int64_t>(seq_)};
      const TensorId scores =
          tensor(at(l, "scores"), TensorRole::kActivation, l, score_shape, act_, score_elements);
      const TensorId probs =
          tensor(at(l, "probs"), TensorRole::kActivation, l, score_shape, act_, score_elements);
      Op& sc = op(OpKind::kAttentionScore, at(l, "score"), l);
      sc.attention = geo;
      sc.matmul = MatmulShape{Extent::constant(bh), Extent::constant(seq_), kv_len,
                              Extent::constant(m_.head_dim)};
      sc.matrix_flops = score_elements * (2 * m_.head_dim);
      sc.reads = {q_use, k_read};
      sc.writes = {whole(scores)};
      Op& sm = op(OpKind::kSoftmax, at(l, "softmax"), l);
      sm.attention = geo;
      sm.vector_flops = score_elements * flops::kSoftmax;
      sm.reads = {whole(scores)};
      sm.writes = {whole(probs)};
      Op& cx = op(OpKind::kAttentionContext, at(l, "context"), l);
      cx.attention = geo;
      cx.matmul = MatmulShape{Extent::constant(bh), Extent::constant(seq_),
                              Extent::constant(m_.head_dim), kv_len};
      cx.matrix_flops = score_elements * (2 * m_.head_dim);
      cx.reads = {whole(probs), v_read};
      cx.writes = {out_use};
    }
  }

  struct MlpWeights {
    TensorId up;  // gate_up (gated) or fc1
    std::optional<TensorId> up_bias;
    TensorId down;  // down (gated) or fc2
    std::optional<TensorId> down_bias;
  };

  /// The MLP weights of layer l (of one expert when expert >= 0).
  MlpWeights mlpWeights(int l, int expert) {
    const std::string prefix = expert >= 0 ? at(l, fmt::format("E{}.", expert)) : at(l, "");
    const bool gated = m_.gatedMlp();
    const std::uint64_t up_cols = gated ? 2 * slice_.ffn : slice_.ffn;
    MlpWeights w;
    w.up = weight(prefix + (gated ? "w_gate_up" : "w_fc1"), l, m_.hidden, up_cols, expert);
    if (m_.mlp_bias) w.up_bias = vectorParam(prefix + (gated ? "b_gate_up" : "b_fc1"), l, up_cols);
    w.down = weight(prefix + (gated ? "w_down" : "w_fc2"), l, slice_.ffn, m_.hidden, expert);
    if (m_.mlp_bias) w.down_bias = vectorParam(prefix + (gated ? "b_down" : "b_fc2"), l, m_.hidden);
    return w;
  }

  /// The MLP ops of layer l on `rows` tokens of x (one expert's share when expert >= 0).
  TensorId mlp(int l, TensorId x, std::uint64_t rows, int expert, const MlpWeights& w) {
    const bool is_expert = expert >= 0;
    const OpKind kind = is_expert ? OpKind::kExpertMatmul : OpKind::kMatmul;
    const std::string prefix = is_expert ? at(l, fmt::format("E{}.", expert)) : at(l, "");
    const TensorUse input = is_expert ? part(x, Extent::constant(rows * m_.hidden)) : whole(x);
    const bool gated = m_.gatedMlp();
    const std::uint64_t f = slice_.ffn;
    const std::uint64_t up_cols = gated ? 2 * f : f;
    const TensorId up =
        matmul(kind, prefix + (gated ? "gate_up" : "fc1"), l, input, rows, w.up, m_.hidden, up_cols,
               w.up_bias, prefix + (gated ? "gate_up.out" : "fc1.out"), expert);
    const TensorId hidden_act =
        activation(prefix + "act.out", l, rows, f, TensorRole::kActivation, expert);
    Op& a = op(OpKind::kActivation, prefix + "act", l, expert);
    a.own_kernel = gated && !shard_.fuse_gated_activation;
    const std::uint64_t per_element = gated                                ? flops::kSiluMul
                                      : m_.activation == Activation::kRelu ? flops::kRelu
                                                                           : flops::kGelu;
    a.vector_flops = Extent::constant(per_element * rows * f);
    a.reads = {whole(up)};
    a.writes = {whole(hidden_act)};
    return matmul(kind, prefix + (gated ? "down" : "fc2"), l, whole(hidden_act), rows, w.down, f,
                  m_.hidden, w.down_bias, prefix + "mlp.out", expert);
  }

  TensorId mlp(int l, TensorId x) { return mlp(l, x, rows_, -1, mlpWeights(l, -1)); }

  /// The MoE block on the replicated input x; returns the combined output as the residual stream
  /// holds it (all rows, or this rank's rows with sequence parallelism).
  TensorId moe(int l, TensorId x) {
    if (ep_ > 1) return expertParallelMoe(l, x);
    const spec::MoeSpec& moe = *m_.moe;
    const std::uint64_t experts = slice_.experts;
    const TensorId wr = weight(at(l, "w_router"), l, m_.hidden, experts);
    const TensorId logits = matmul(OpKind::kRouter, at(l, "router"), l, whole(x), rows_, wr,
                                   m_.hidden, experts, std::nullopt, at(l, "router.out"));
    const TensorId routing =
        activation(at(l, "routing"), l, rows_, 2 * moe.top_k);  // weights and indices
    Op& t = op(OpKind::kTopK, at(l, "topk"), l);
    t.vector_flops = Extent::constant(flops::kSoftmax * rows_ * experts);
    t.reads = {whole(logits)};
    t.writes = {whole(routing)};
    std::vector<TensorId> expert_outs;
    for (std::uint64_t e = 0; e < experts; ++e) {
      // Every expert's weights exist (they must be stored); only experts that tokens picked run.
      const MlpWeights w = mlpWeights(l, static_cast<int>(e));
      const std::uint64_t tokens = balancedExpertTokens(rows_, moe.top_k, experts, e);
      if (tokens > 0) expert_outs.push_back(mlp(l, x, tokens, static_cast<int>(e), w));
    }
    const TensorId out = activation(at(l, "moe.out"), l, rows_, m_.hidden);
    Op& c = op(OpKind::kMoeCombine, at(l, "moe_combine"), l);
    c.vector_flops = Extent::constant(2 * rows_ * moe.top_k * m_.hidden);
    c.reads.push_back(whole(routing));
    for (TensorId o : expert_outs)
      c.reads.push_back(whole(o));
    c.writes = {whole(out)};
    return reduceOut(at(l, "moe"), l, out);  // tensor-parallel experts: partial sums
  }

  /// Expert parallelism over the tensor-parallel group: this rank routes its share of the tokens,
  /// sends each token to the ranks of its experts, runs its own experts, and gets the results back.
  TensorId expertParallelMoe(int l, TensorId x) {
    const spec::MoeSpec& moe = *m_.moe;
    const std::uint64_t k = moe.top_k;
    const std::uint64_t local_experts = slice_.experts;  // experts / ep whole experts
    const std::uint64_t slice = sequenceShare(rows_, ep_);
    const TensorId wr = weight(at(l, "w_router"), l, m_.hidden, slice_.model_experts);
    const TensorId logits =
        matmul(OpKind::kRouter, at(l, "router"), l, part(x, Extent::constant(slice * m_.hidden)),
               slice, wr, m_.hidden, slice_.model_experts, std::nullopt, at(l, "router.out"));
    const TensorId routing = activation(at(l, "routing"), l, slice, 2 * k);
    Op& t = op(OpKind::kTopK, at(l, "topk"), l);
    t.vector_flops = Extent::constant(flops::kSoftmax * slice * slice_.model_experts);
    t.reads = {whole(logits)};
    t.writes = {whole(routing)};
    // Tokens this rank's experts receive, from the balanced global routing.
    std::vector<std::uint64_t> tokens(local_experts);
    std::uint64_t received = 0;
    for (std::uint64_t e = 0; e < local_experts; ++e) {
      tokens[e] = balancedExpertTokens(rows_, k, slice_.model_experts, e);
      received += tokens[e];
    }
    const TensorId recv = collective(graph::CollectiveKind::kAllToAll, at(l, "moe_dispatch"), l,
                                     {whole(routing), part(x, Extent::constant(slice * m_.hidden))},
                                     std::max<std::uint64_t>(received, 1), m_.hidden,
                                     bytesOf(act_, Extent::constant(slice * k * m_.hidden)));
    std::vector<TensorUse> outs;
    for (std::uint64_t e = 0; e < local_experts; ++e) {
      const MlpWeights w = mlpWeights(l, static_cast<int>(e));
      if (tokens[e] > 0) outs.push_back(whole(mlp(l, recv, tokens[e], static_cast<int>(e), w)));
    }
    if (outs.empty()) outs.push_back(whole(recv));
    const TensorId back =
        collective(graph::CollectiveKind::kAllToAll, at(l, "moe_return"), l, std::move(outs),
                   slice * k, m_.hidden, bytesOf(act_, Extent::constant(received * m_.hidden)));
    const TensorId out = activation(at(l, "moe.out"), l, slice, m_.hidden);
    Op& c = op(OpKind::kMoeCombine, at(l, "moe_combine"), l);
    c.vector_flops = Extent::constant(2 * slice * k * m_.hidden);
    c.reads = {whole(routing), whole(back)};
    c.writes = {whole(out)};
    if (sp_) return out;  // slice == the rank's residual rows
    return collective(graph::CollectiveKind::kAllGather, at(l, "moe_all_gather"), l, {whole(out)},
                      rows_, m_.hidden, bytesOf(act_, Extent::constant(rows_ * m_.hidden)));
  }

  void head(TensorId hidden) {
    if (m_.isEncoder()) {
      if (!m_.pooler) return;
      // Pooler: dense + tanh on the first token of each sequence.
      hidden = replicate("pooler", -1, hidden);
      const TensorId w = weight("pooler.w", -1, m_.hidden, m_.hidden);
      const TensorId b = vectorParam("pooler.b", -1, m_.hidden);
      const TensorId pooled =
          matmul(OpKind::kMatmul, "pooler", -1, part(hidden, Extent::constant(batch_ * m_.hidden)),
                 batch_, w, m_.hidden, m_.hidden, b, "pooler.out");
      const TensorId out = activation("pooled", -1, batch_, m_.hidden, TensorRole::kOutput);
      Op& a = op(OpKind::kActivation, "pooler_tanh", -1);
      a.vector_flops = Extent::constant(flops::kTanh * batch_ * m_.hidden);
      a.reads = {whole(pooled)};
      a.writes = {whole(out)};
      return;
    }
    // Logits of each sequence's last position (a prefill chunk's too).
    const std::uint64_t samples = batch_ + chunks_;
    const TensorId x = replicate("final_norm", -1, norm("final_norm", -1, hidden, stream_rows_));
    // Tied embeddings: a last pipeline stage without the embedding keeps its own copy.
    const TensorId w = !m_.tied_embeddings ? weight("lm_head", -1, m_.hidden, slice_.vocab)
                       : shard_.embedding  ? embed_
                                           : weight("embed", -1, slice_.vocab, m_.hidden);
    std::optional<TensorId> b;
    if (m_.lm_head_bias) b = vectorParam("lm_head.b", -1, slice_.vocab);
    // Logits only for the last position of each sequence.
    const TensorId logits =
        matmul(OpKind::kLmHead, "lm_head", -1, part(x, Extent::constant(samples * m_.hidden)),
               samples, w, m_.hidden, slice_.vocab, b, "logits", -1, TensorRole::kOutput);
    if (tp_ == 1) {
      // One token per sequence, a row each: sampling kernels work a sequence per thread block.
      const TensorId next =
          tensor("next_tokens", TensorRole::kOutput, -1, {static_cast<std::int64_t>(samples), 1},
                 kTokenFormat, Extent::constant(samples));
      Op& s = op(OpKind::kSampling, "sample", -1);
      s.vector_flops = Extent::constant(flops::kSample * samples * slice_.vocab);
      s.reads = {whole(logits)};
      s.writes = {whole(next)};
      return;
    }
    // Vocab-parallel: each rank picks its slice's best (value, index) per sequence; the ranks
    // all-gather the candidates and every rank takes the best.
    const TensorId mine = tensor("sample.candidates", TensorRole::kActivation, -1,
                                 {static_cast<std::int64_t>(samples), 2}, kTokenFormat,
                                 Extent::constant(2 * samples));
    Op& s = op(OpKind::kSampling, "sample", -1);
    s.vector_flops = Extent::constant(flops::kSample * samples * slice_.vocab);
    s.reads = {whole(logits)};
    s.writes = {whole(mine)};
    const TensorId all = tensor("next_tokens", TensorRole::kOutput, -1,
                                {static_cast<std::int64_t>(tp_ * samples), 2}, kTokenFormat,
                                Extent::constant(2 * tp_ * samples));
    Op& g = op(OpKind::kCollective, "sample_all_gather", -1);
    g.collective = CollectiveCall{graph::CollectiveKind::kAllGather, tensors_[all].bytes};
    g.reads = {whole(mine)};
    g.writes = {whole(all)};
  }

  const Shard& shard_;
  const ModelSpec& m_;
  const ModelSlice& slice_;
  bool decode_;
  std::uint32_t tp_ = 1;
  std::uint32_t ep_ = 1;
  bool sp_ = false;
  std::uint64_t stream_rows_ = 0;  // rows of the residual stream on this rank
  std::uint64_t kv_sequences_ = 0;
  std::uint64_t batch_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t own_rows_ = 0;     // rows of the pass's own sequences (batch_ x seq_)
  std::uint64_t rows_ = 0;         // every token row of the pass (own rows, then chunk rows)
  std::uint64_t chunks_ = 0;       // a serving pass's prefill chunks (graph/shard.h)
  std::uint64_t chunk_rows_ = 0;   // tokens of each chunk
  std::uint64_t chunk_prior_ = 0;  // KV entries each chunk's sequence holds before it
  TensorFormat weights_;
  TensorFormat act_;
  TensorFormat kv_;
  TensorFormat small_;
  TensorId embed_ = 0;
  std::vector<Tensor> tensors_;
  std::vector<Op> ops_;
};

}  // namespace

std::string_view graphPhaseName(GraphPhase p) {
  return p == GraphPhase::kPrefill ? "prefill" : "decode";
}

std::uint64_t balancedExpertTokens(std::uint64_t tokens, std::uint64_t top_k, std::uint64_t experts,
                                   std::uint64_t e) {
  const std::uint64_t assignments = tokens * top_k;
  return assignments / experts + (e < assignments % experts ? 1 : 0);
}

Graph buildGraph(const Shard& shard, GraphPhase phase) {
  if (phase == GraphPhase::kDecode && shard.model.isEncoder()) {
    ARCHSIM_PANIC("decode graph requested for an encoder model");
  }
  return Builder(shard, phase).build();
}

}  // namespace archsim::graph
