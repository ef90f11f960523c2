#include "sim/spec/dtype.h"

namespace archsim::spec {

std::string_view dtypeName(DType t) {
  switch (t) {
    case DType::kFp32:
      return "fp32";
    case DType::kTf32:
      return "tf32";
    case DType::kBf16:
      return "bf16";
    case DType::kFp16:
      return "fp16";
    case DType::kFp8:
      return "fp8";
    case DType::kInt8:
      return "int8";
    case DType::kInt4:
      return "int4";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (DType t : kAllDTypes) {
    if (dtypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::vector<std::string_view> dtypeNames() {
  std::vector<std::string_view> out;
  for (DType t : kAllDTypes)
    out.push_back(dtypeName(t));
  return out;
}

double dtypeBytes(DType t) {
  switch (t) {
    case DType::kFp32:
    case DType::kTf32:
      return 4.0;
    case DType::kBf16:
    case DType::kFp16:
      return 2.0;
    case DType::kFp8:
    case DType::kInt8:
      return 1.0;
    case DType::kInt4:
      return 0.5;
  }
  return 0.0;
}

bool isIntegerDType(DType t) {
  return t == DType::kInt8 || t == DType::kInt4;
}

}  // namespace archsim::spec
