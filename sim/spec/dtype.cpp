#include "sim/spec/dtype.h"

namespace archsim::spec {

std::string_view dtypeName(DType t) {
  return nameOf(kDTypeNames, t);
}

std::optional<DType> parseDType(std::string_view name) {
  return valueOf(kDTypeNames, name);
}

std::vector<std::string_view> dtypeNames() {
  return namesOf(kDTypeNames);
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
