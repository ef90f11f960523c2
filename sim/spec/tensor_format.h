// TensorFormat: how a tensor's elements are stored — a dtype, optionally in blocks of `group_size`
// elements that share one scale of `scale_dtype` (int4 with group 128 and fp16 scales, say). The
// scale bytes are counted: bytes(n) = ceil(n x bits / 8) + ceil(n / group) x bytes(scale).
#pragma once

#include <cstdint>
#include <string>

#include "sim/spec/dtype.h"

namespace archsim::spec {

struct TensorFormat {
  DType dtype = DType::kBf16;
  std::uint32_t group_size = 0;  // 0: no block scales
  DType scale_dtype = DType::kFp16;

  /// Storage bytes of `elements` elements, including block scales.
  std::uint64_t bytes(std::uint64_t elements) const;
  /// Average bits per element including scales (for messages and intensity estimates).
  double bitsPerElement() const;
  /// "bf16", "int4/g128(fp16 scales)".
  std::string str() const;

  bool operator==(const TensorFormat&) const = default;
};

}  // namespace archsim::spec
