#include "sim/spec/tensor_format.h"

#include <fmt/format.h>

namespace archsim::spec {

namespace {
std::uint64_t elementBits(DType t) {
  return static_cast<std::uint64_t>(dtypeBytes(t) * 8.0);
}
}  // namespace

std::uint64_t TensorFormat::bytes(std::uint64_t elements) const {
  std::uint64_t total = (elements * elementBits(dtype) + 7) / 8;
  if (group_size > 0) {
    total += (elements + group_size - 1) / group_size *
             static_cast<std::uint64_t>(dtypeBytes(scale_dtype));
  }
  return total;
}

double TensorFormat::bitsPerElement() const {
  double bits = static_cast<double>(elementBits(dtype));
  if (group_size > 0) bits += 8.0 * dtypeBytes(scale_dtype) / group_size;
  return bits;
}

std::string TensorFormat::str() const {
  if (group_size == 0) return std::string(dtypeName(dtype));
  return fmt::format("{}/g{}({} scales)", dtypeName(dtype), group_size, dtypeName(scale_dtype));
}

}  // namespace archsim::spec
