#include "sim/spec/hf_import.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/error.h"
#include "sim/spec/suggest.h"

namespace archsim::spec {
namespace {

using Json = nlohmann::json;

const std::vector<std::string> kModelTypes{"llama", "mistral", "mixtral", "gpt2",
                                           "opt",   "gptj",    "bert"};

int lineOfOffset(const std::string& text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 +
         static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

/// The line where the JSON text first nests deeper than `depth` brackets (strings skipped).
int lineOfDepth(const std::string& text, int depth) {
  int open = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++open > depth) return lineOfOffset(text, i);
    } else if (c == ']' || c == '}') {
      --open;
    }
  }
  return 0;
}

/// Builds the model tree, locating each value at the line its JSON key is written on.
class Importer {
 public:
  Importer(const Json& json, const std::string& text, const std::string& file,
           std::string model_type)
      : json_(json),
        text_(text),
        file_(file),
        type_(std::move(model_type)),
        doc_(ConfigNode::makeMap(Location{file, 1, 1})) {}

  Location where(const std::string& hf_key) const {
    const auto pos = text_.find("\"" + hf_key + "\"");
    return pos == std::string::npos ? Location{file_, 0, 0}
                                    : Location{file_, lineOfOffset(text_, pos), 0};
  }

  bool present(const std::string& hf_key) const {
    return json_.contains(hf_key) && !json_[hf_key].is_null();
  }

  void set(const std::string& key, const std::string& value, const Location& at) {
    doc_.set(key, ConfigNode::makeScalar(value, at), at);
  }
  void setNode(const std::string& key, ConfigNode node) {
    const Location at = node.location();
    doc_.set(key, std::move(node), at);
  }

  /// Copies a JSON number or boolean to `key` of the model document; reports it when required
  /// and missing.
  void copy(const std::string& hf_key, const std::string& key, bool required) {
    copyInto(doc_, hf_key, key, required);
  }

  void copyInto(ConfigNode& target, const std::string& hf_key, const std::string& key,
                bool required) {
    if (!present(hf_key)) {
      if (required) missing_.push_back(hf_key);
      return;
    }
    const Json& v = json_[hf_key];
    const Location at = where(hf_key);
    std::string text;
    if (v.is_boolean()) {
      text = v.get<bool>() ? "true" : "false";
    } else if (v.is_number_integer()) {
      text = std::to_string(v.get<std::int64_t>());
    } else {
      problems_.push_back(
          {at, hf_key, fmt::format("expected a whole number or boolean, got {}", v.dump())});
      return;
    }
    target.set(key, ConfigNode::makeScalar(text, at), at);
  }

  /// A JSON string field, or `fallback` when absent; another type is reported (a problem, not an
  /// exception: a config.json is user input) and reads as the fallback.
  std::string text(const std::string& hf_key, const std::string& fallback) {
    if (!present(hf_key)) return fallback;
    if (!json_[hf_key].is_string()) {
      problems_.push_back(
          {where(hf_key), hf_key, fmt::format("expected a string, got {}", json_[hf_key].dump())});
      return fallback;
    }
    return json_[hf_key].get<std::string>();
  }
  /// A JSON boolean field, the same way.
  bool boolean(const std::string& hf_key, bool fallback) {
    if (!present(hf_key)) return fallback;
    if (!json_[hf_key].is_boolean()) {
      problems_.push_back({where(hf_key), hf_key,
                           fmt::format("expected true or false, got {}", json_[hf_key].dump())});
      return fallback;
    }
    return json_[hf_key].get<bool>();
  }

  std::optional<std::int64_t> integer(const std::string& hf_key) const {
    if (!present(hf_key) || !json_[hf_key].is_number_integer()) return std::nullopt;
    return json_[hf_key].get<std::int64_t>();
  }

  ConfigNode finish() {
    for (const std::string& hf_key : missing_) {
      problems_.push_back(
          {where("model_type"), hf_key,
           fmt::format("required for model_type '{}' but missing from the config", type_)});
    }
    if (!problems_.empty()) throw ConfigError(problems_);
    return doc_;
  }

  const Json& json() const { return json_; }

 private:
  const Json& json_;
  const std::string& text_;
  std::string file_;
  std::string type_;
  ConfigNode doc_;
  std::vector<std::string> missing_;
  std::vector<Diagnostic> problems_;
};

void importLlamaLike(Importer& im, const std::string& type) {
  im.set("family", "llama", im.where("model_type"));
  im.copy("hidden_size", "hidden", true);
  im.copy("num_hidden_layers", "layers", true);
  im.copy("num_attention_heads", "heads", true);
  im.copy("num_key_value_heads", "kv_heads", false);
  im.copy("head_dim", "head_dim", false);
  im.copy("intermediate_size", "ffn", true);
  im.copy("vocab_size", "vocab", true);
  im.copy("max_position_embeddings", "max_positions", false);
  im.copy("tie_word_embeddings", "tied_embeddings", false);
  im.copy("attention_bias", "attention_bias", false);
  im.copy("mlp_bias", "mlp_bias", false);
  if (type != "llama") im.copy("sliding_window", "sliding_window", false);
  if (type == "mixtral") {
    ConfigNode moe = ConfigNode::makeMap(im.where("num_local_experts"));
    im.copyInto(moe, "num_local_experts", "experts", true);
    im.copyInto(moe, "num_experts_per_tok", "top_k", true);
    im.setNode("moe", std::move(moe));
  }
}

}  // namespace

ConfigNode importHfConfigText(const std::string& text, const std::string& file) {
  Json json;
  // Depth and duplicate keys are checked while parsing: a JSON object with a key twice would
  // otherwise silently keep the last, and deep nesting would exhaust the stack later.
  std::vector<std::vector<std::string>> keys;  // the keys of each open object
  std::string problem;
  int problem_line = 0;
  const Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxDepth) {
      problem = fmt::format("nesting deeper than {} levels", kMaxDepth);
      problem_line = lineOfDepth(text, kMaxDepth);
      throw std::length_error(problem);
    }
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.empty()) {
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.back().begin(), keys.back().end(), key) != keys.back().end()) {
        problem = fmt::format("duplicate key '{}'", key);
        // Its second appearance as a key in the text (a close approximation of where it is).
        const std::string quoted = '"' + key + '"';
        const std::size_t first = text.find(quoted);
        const std::size_t second =
            first == std::string::npos ? first : text.find(quoted, first + quoted.size());
        problem_line = second == std::string::npos ? 0 : lineOfOffset(text, second);
        throw std::length_error(problem);
      }
      keys.back().push_back(key);
    }
    return true;
  };
  try {
    json = Json::parse(text, check);
  } catch (const Json::parse_error& e) {
    throw ConfigError(Location{file, lineOfOffset(text, e.byte == 0 ? 0 : e.byte - 1), 0}, "",
                      std::string("JSON syntax error: ") + e.what());
  } catch (const Json::exception& e) {  // a number out of range (1e400) and the like
    // The message quotes the offending text ("... parsing '1e400'"): locate its first appearance.
    const std::string what = e.what();
    const auto open = what.rfind("'", what.size() - 2);
    const std::string token = open == std::string::npos || what.back() != '\''
                                  ? std::string()
                                  : what.substr(open + 1, what.size() - open - 2);
    const std::size_t at = token.empty() ? std::string::npos : text.find(token);
    throw ConfigError(Location{file, at == std::string::npos ? 0 : lineOfOffset(text, at), 0}, "",
                      "JSON value error: " + what);
  } catch (const std::length_error&) {
    throw ConfigError(Location{file, problem_line, 0}, "", problem);
  }
  if (!json.is_object())
    throw ConfigError(Location{file, 1, 0}, "", "expected a JSON object at the top level");
  if (!json.contains("model_type") || !json["model_type"].is_string()) {
    throw ConfigError(Location{file, 1, 0}, "model_type",
                      "required to import a Hugging Face config (one of llama, mistral, mixtral, "
                      "gpt2, opt, gptj, bert)");
  }
  const std::string type = json["model_type"].get<std::string>();
  Importer im(json, text, file, type);
  const Location type_at = im.where("model_type");
  if (std::find(kModelTypes.begin(), kModelTypes.end(), type) == kModelTypes.end()) {
    throw ConfigError(
        type_at, "model_type",
        fmt::format("unsupported model_type '{}' (supported: llama, mistral, mixtral, gpt2, opt, "
                    "gptj, bert){}",
                    type, didYouMean(type, kModelTypes)));
  }
  im.set("kind", "model", type_at);
  std::string name = std::filesystem::path(file).stem().string();
  if (json.contains("_name_or_path") && json["_name_or_path"].is_string() &&
      !json["_name_or_path"].get<std::string>().empty()) {
    name = json["_name_or_path"].get<std::string>();
  }
  im.set("name", name, type_at);
  im.set("description", fmt::format("imported from Hugging Face config ({})", type), type_at);

  if (type == "llama" || type == "mistral" || type == "mixtral") {
    importLlamaLike(im, type);
  } else if (type == "gpt2" || type == "gptj") {
    im.set("family", "gpt", type_at);
    im.copy("n_embd", "hidden", true);
    im.copy("n_layer", "layers", true);
    im.copy("n_head", "heads", true);
    im.copy("vocab_size", "vocab", true);
    // n_inner: null means 4 x n_embd in both families.
    if (im.present("n_inner")) {
      im.copy("n_inner", "ffn", true);
    } else if (const auto h = im.integer("n_embd")) {
      im.set("ffn", std::to_string(4 * *h), im.where("n_embd"));
    }
    if (type == "gpt2") {
      im.copy("n_positions", "max_positions", true);
      im.copy("tie_word_embeddings", "tied_embeddings", false);
    } else {
      im.set("positions", "rope", type_at);
      im.copy("rotary_dim", "rotary_dim", false);
      im.set("parallel_residual", "true", type_at);
      im.set("attention_bias", "false", type_at);
      im.set("lm_head_bias", "true", type_at);
      im.set("tied_embeddings", "false", type_at);
      im.copy("tie_word_embeddings", "tied_embeddings", false);
    }
  } else if (type == "opt") {
    im.set("family", "gpt", type_at);
    im.copy("hidden_size", "hidden", true);
    im.copy("num_hidden_layers", "layers", true);
    im.copy("num_attention_heads", "heads", true);
    im.copy("ffn_dim", "ffn", true);
    im.copy("vocab_size", "vocab", true);
    im.copy("max_position_embeddings", "max_positions", true);
    im.set("position_offset", "2", type_at);
    im.copy("tie_word_embeddings", "tied_embeddings", false);
    im.copy("enable_bias", "attention_bias", false);
    im.copy("enable_bias", "mlp_bias", false);
    if (!im.boolean("do_layer_norm_before", true)) {
      im.set("post_norm", "true", im.where("do_layer_norm_before"));
    }
    const std::string act = im.text("activation_function", "relu");
    if (act != "relu" && act != "gelu") {
      throw ConfigError(im.where("activation_function"), "activation_function",
                        fmt::format("unsupported activation '{}' (relu or gelu)", act));
    }
    im.set("activation", act, im.where("activation_function"));
  } else {  // bert
    im.set("family", "bert", type_at);
    im.copy("hidden_size", "hidden", true);
    im.copy("num_hidden_layers", "layers", true);
    im.copy("num_attention_heads", "heads", true);
    im.copy("intermediate_size", "ffn", true);
    im.copy("vocab_size", "vocab", true);
    im.copy("max_position_embeddings", "max_positions", true);
    im.copy("type_vocab_size", "type_vocab", false);
  }
  return im.finish();
}

ConfigNode importHfConfig(const std::filesystem::path& file) {
  return importHfConfigText(readInputFile(file, "a config.json"), file.string());
}

}  // namespace archsim::spec
