// Numeric formats a chip computes in and a workload stores tensors in.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace archsim::spec {

enum class DType { kFp32, kTf32, kBf16, kFp16, kFp8, kInt8, kInt4 };

inline constexpr std::array kAllDTypes{DType::kFp32, DType::kTf32, DType::kBf16, DType::kFp16,
                                       DType::kFp8,  DType::kInt8, DType::kInt4};

/// "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4".
std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
std::vector<std::string_view> dtypeNames();
/// Storage bytes per element (int4: 0.5; tf32 is stored as fp32).
double dtypeBytes(DType t);
/// Integer formats count operations (OPS), float formats floating-point operations (FLOPS).
bool isIntegerDType(DType t);

}  // namespace archsim::spec
