#include "sim/validate/suite.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sim/spec/reader.h"
#include "sim/spec/suggest.h"

namespace archsim::validate {
namespace {

using spec::ConfigNode;
using spec::Dimension;
using spec::MapReader;
using spec::Need;

constexpr std::string_view kOps[] = {"gemm",      "copy",       "softmax",
                                     "attention", "all_reduce", "send_recv"};

std::optional<Microbench> readMicrobench(MapReader r) {
  Microbench b;
  std::vector<std::string> ops(std::begin(kOps), std::end(kOps));
  const auto op = r.text("op", Need::kRequired);
  if (op && std::find(ops.begin(), ops.end(), std::string(*op)) == ops.end()) {
    r.error("op", fmt::format("unknown microbenchmark '{}' (one of gemm, copy, softmax, attention, "
                              "all_reduce, send_recv){}",
                              *op, spec::didYouMean(*op, ops)));
  }
  const std::string o = op.value_or("");
  auto dim = [&](std::string_view key, bool needed) -> std::uint64_t {
    return static_cast<std::uint64_t>(
        r.integer(key, needed ? Need::kRequired : Need::kOptional, 1, std::int64_t{1} << 40)
            .value_or(needed ? 0 : 1));
  };
  if (o == "gemm") {
    b.m = dim("m", true);
    b.n = dim("n", true);
    b.k = dim("k", true);
    b.batch = dim("batch", false);
  } else if (o == "softmax") {
    b.rows = dim("rows", true);
    b.cols = dim("cols", true);
  } else if (o == "attention") {
    b.batch = dim("batch", false);
    b.heads = dim("heads", true);
    b.seq = dim("seq", true);
    b.head_dim = dim("head_dim", true);
  } else if (o == "copy" || o == "all_reduce" || o == "send_recv") {
    b.bytes = r.bytes("bytes", Need::kRequired).value_or(0);
    if (o != "copy")
      b.chips =
          static_cast<std::uint64_t>(r.integer("chips", Need::kOptional, 2, 1 << 20).value_or(0));
  }
  b.dtype = r.text("dtype", Need::kOptional).value_or("fp16");
  if (auto t =
          r.quantity("op_overhead", Dimension::kTime, Need::kOptional, spec::Bound::kNonNegative))
    b.op_overhead_s = *t;
  r.finish();
  b.op = o;
  if (!op) return std::nullopt;
  return b;
}

/// Whether a case's `requests` (its benchmark's waves) apply to `metric`: the run's throughput.
bool wavesApply(const std::string& metric) {
  return metric == "output_tokens_per_s" || metric == "output_tokens_per_s_per_chip" ||
         metric == "total_tokens_per_s";
}

}  // namespace

const std::vector<MetricKind>& metricKinds() {
  static const std::vector<MetricKind> kinds{
      {"ttft_s", Dimension::kTime, false, "time to the first token"},
      {"tpot_s", Dimension::kTime, false, "mean time per output token after the first"},
      {"e2e_s", Dimension::kTime, false, "the request's (or step's) end-to-end time"},
      {"output_tokens_per_s", Dimension::kRate, false, "output tokens per second, whole system"},
      {"output_tokens_per_s_per_chip", Dimension::kRate, false,
       "output tokens per second per chip of the plan (per GPU)"},
      {"total_tokens_per_s", Dimension::kRate, false,
       "prompt and output tokens per second, whole system"},
      {"tokens_per_s_per_user", Dimension::kRate, false, "output tokens per second per sequence"},
      {"avg_power_w", Dimension::kPower, false, "average power of the plan's chips"},
      {"op_time_s", Dimension::kTime, true, "the microbenchmark's time"},
      {"achieved_flops_per_s", Dimension::kThroughput, true, "useful FLOPs over the op's time"},
      {"achieved_bytes_per_s", Dimension::kBandwidth, true,
       "bytes read and written over the op's time (a copy: 2 x its size)"},
      {"elements_per_s", Dimension::kRate, true, "elements over the op's time (softmax)"},
      {"bus_bytes_per_s", Dimension::kBandwidth, true,
       "NCCL bus bandwidth: size / time x 2 (n - 1) / n (all-reduce), size / time (send/recv)"},
  };
  return kinds;
}

const MetricKind* findMetricKind(const std::string& key) {
  for (const MetricKind& m : metricKinds()) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

std::map<std::string, std::string> readLabels(spec::MapReader& r, std::string_view key,
                                              spec::Diagnostics& diags) {
  std::map<std::string, std::string> out;
  if (auto m = r.child(key, spec::Need::kOptional)) {
    for (const spec::ConfigNode& e : m->entries()) {
      if (!e.isScalar()) {
        diags.error(e.location(), r.keyPath(key) + "." + e.key(), "expected a label");
        continue;
      }
      out[e.key()] = e.scalar();
    }
  }
  return out;
}

Suite loadSuite(const std::filesystem::path& file) {
  const ConfigNode doc = spec::loadYamlFile(file);
  spec::Diagnostics diags;
  MapReader r(doc, "", diags);
  Suite suite;
  suite.file = file;
  const spec::DocumentHeader header = spec::readHeader(r, "validation");
  suite.name = header.name;
  suite.description = header.description;
  std::vector<std::string> metric_names;
  for (const MetricKind& m : metricKinds())
    metric_names.push_back(m.key);
  std::set<std::string> ids;
  if (const ConfigNode* cases = r.node("cases", Need::kRequired)) {
    if (!cases->isSequence() || cases->children().empty()) {
      r.error("cases", "expected a non-empty list of cases");
    } else {
      for (std::size_t i = 0; i < cases->children().size(); ++i) {
        const ConfigNode& item = cases->children()[i];
        MapReader c(item, fmt::format("cases[{}]", i), diags);
        Case k;
        k.location = item.location();
        k.id = c.text("id", Need::kRequired).value_or("");
        if (!k.id.empty() && !ids.insert(k.id).second)
          c.error("id", fmt::format("case id '{}' appears twice", k.id));
        k.system = c.text("system", Need::kRequired).value_or("");
        const ConfigNode* scenario = c.node("scenario", Need::kOptional);
        const bool has_bench = c.has("microbench");
        if ((scenario != nullptr) == has_bench)
          c.error("scenario", "a case needs a scenario or a microbench (one of them)");
        if (scenario != nullptr) {
          if (scenario->isScalar()) {
            k.scenario_ref = scenario->scalar();
          } else if (scenario->isMap()) {
            ConfigNode node = *scenario;
            const ConfigNode* batch = node.find("batch");
            if (batch != nullptr && batch->isScalar() && batch->scalar() == "max") {
              k.max_batch = true;
              node.set("batch", ConfigNode::makeScalar("1", batch->location()), batch->location());
            }
            if (node.find("kind") == nullptr)
              node.set("kind", ConfigNode::makeScalar("scenario", item.location()),
                       item.location());
            if (node.find("name") == nullptr)
              node.set("name", ConfigNode::makeScalar(k.id, item.location()), item.location());
            k.scenario = std::move(node);
          } else {
            c.error("scenario", "expected a preset name, a file or a scenario mapping");
          }
        }
        if (auto bench = c.child("microbench", Need::kOptional))
          k.microbench = readMicrobench(*bench);
        k.sets = c.textList("set", Need::kOptional).value_or(std::vector<std::string>{});
        if (auto cap = c.integer("max_batch", Need::kOptional, 1, 1 << 20))
          k.batch_cap = static_cast<std::uint64_t>(*cap);
        if (auto n = c.integer("requests", Need::kOptional, 1, std::int64_t{1} << 40))
          k.requests = static_cast<std::uint64_t>(*n);
        k.software = c.text("software", Need::kOptional).value_or("default");
        k.software_location = c.locationOf("software");
        k.trust = c.text("trust", Need::kOptional).value_or("");
        k.metric = c.text("metric", Need::kRequired).value_or("");
        const MetricKind* kind = findMetricKind(k.metric);
        if (!k.metric.empty() && kind == nullptr) {
          c.error("metric", fmt::format("unknown metric '{}'{}", k.metric,
                                        spec::didYouMean(k.metric, metric_names)));
        }
        if (kind != nullptr && kind->microbench != k.microbench.has_value() &&
            (scenario != nullptr || has_bench)) {
          c.error("metric", fmt::format("metric '{}' is measured on {}", k.metric,
                                        kind->microbench ? "a microbench" : "a scenario's run"));
        }
        if (k.requests && kind != nullptr && !wavesApply(k.metric)) {
          std::vector<std::string> rates;
          for (const std::string& m : metric_names)
            if (wavesApply(m)) rates.push_back(m);
          c.error("requests",
                  fmt::format("requests (waves of a benchmark's request count) apply to "
                              "the throughput metrics ({}), not '{}'",
                              fmt::join(rates, ", "), k.metric));
        }
        if (kind != nullptr) {
          if (auto v = c.quantity("measured", kind->dimension, Need::kRequired)) {
            k.measured = *v;
            k.measured_text = item.find("measured")->scalar();
          }
        } else {
          c.node("measured", Need::kRequired);
        }
        k.groups = readLabels(c, "group", diags);
        c.finish();
        suite.cases.push_back(std::move(k));
      }
    }
  }
  if (const ConfigNode* left = r.node("left_out", Need::kOptional)) {
    if (!left->isSequence()) {
      r.error("left_out", "expected a list of {id, reason}");
    } else {
      for (std::size_t i = 0; i < left->children().size(); ++i) {
        MapReader l(left->children()[i], fmt::format("left_out[{}]", i), diags);
        LeftOut o;
        o.id = l.text("id", Need::kRequired).value_or("");
        o.reason = l.text("reason", Need::kRequired).value_or("");
        l.finish();
        suite.left_out.push_back(std::move(o));
      }
    }
  }
  r.finish();
  diags.throwIfAny();
  return suite;
}

}  // namespace archsim::validate
