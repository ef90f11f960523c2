// Import of Hugging Face `config.json` files as model documents.
//
// Supported model_type values: llama, mistral, mixtral, gpt2, opt, gptj, bert. The importer maps
// the family's field names onto archsim's model keys (hidden_size -> hidden, n_embd -> hidden,
// ...), applies the family's conventions (GPT-J's parallel residual and partial rotary, OPT's 2-row
// position offset, GPT-2's n_inner = 4 x n_embd default) and returns a `kind: model` tree that
// readModel() validates like any YAML model. Values keep their line in the JSON file for error
// messages.
#pragma once

#include <filesystem>
#include <string>

#include "sim/spec/config_node.h"

namespace archsim::spec {

/// Parses `file` (JSON) into a model document. Throws ConfigError for malformed JSON, an unknown
/// model_type (with a did-you-mean), or a missing required field, naming the file and line.
ConfigNode importHfConfig(const std::filesystem::path& file);

/// Same, for JSON text already read (`file` is used in locations and as the default model name).
ConfigNode importHfConfigText(const std::string& text, const std::string& file);

}  // namespace archsim::spec
