// Numeric formats a chip computes in and a workload stores tensors in.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "sim/spec/names.h"

namespace archsim::spec {

enum class DType { kFp32, kTf32, kBf16, kFp16, kFp8, kInt8, kInt4 };

/// Every dtype's spelling (the one source for reading and printing), in the order error messages
/// list them.
inline constexpr NameTable<DType, 7> kDTypeNames{{{"fp32", DType::kFp32},
                                                  {"tf32", DType::kTf32},
                                                  {"bf16", DType::kBf16},
                                                  {"fp16", DType::kFp16},
                                                  {"fp8", DType::kFp8},
                                                  {"int8", DType::kInt8},
                                                  {"int4", DType::kInt4}}};
/// Every dtype, in kDTypeNames order.
inline constexpr auto kAllDTypes = valuesOf(kDTypeNames);

std::string_view dtypeName(DType t);
/// The dtype an exact spelling names, or std::nullopt.
std::optional<DType> parseDType(std::string_view name);
/// The spellings of kDTypeNames, in order.
std::vector<std::string_view> dtypeNames();
/// Storage bytes per element (int4: 0.5; tf32 is stored as fp32).
double dtypeBytes(DType t);
/// Integer formats count operations (OPS), float formats floating-point operations (FLOPS).
bool isIntegerDType(DType t);

}  // namespace archsim::spec
