// How many floating-point operations archsim counts per element for non-matmul ops. These are
// conventions (the same ones roofline tools use), kept in one place so every op and test agrees.
// Matmuls count 2 FLOPs per multiply-accumulate; exp, division and square root count as 1.
#pragma once

#include <cstdint>

namespace archsim::graph::flops {

inline constexpr std::uint64_t kRmsNorm =
    4;  // square, accumulate, scale by 1/rms, multiply by gamma
inline constexpr std::uint64_t kLayerNorm =
    7;  // mean, subtract, square, accumulate, scale, gamma, beta
inline constexpr std::uint64_t kSoftmax = 5;  // max, subtract, exp, accumulate, divide
inline constexpr std::uint64_t kSiluMul = 5;  // silu(g) = g / (1 + exp(-g)) is 4, times u is 1
inline constexpr std::uint64_t kGelu = 8;     // tanh approximation
inline constexpr std::uint64_t kRelu = 1;
inline constexpr std::uint64_t kTanh = 4;
inline constexpr std::uint64_t kRope = 3;     // per rotated element: two multiplies and an add
inline constexpr std::uint64_t kAdd = 1;      // residual add, bias add, position add
inline constexpr std::uint64_t kConvert = 1;  // a format conversion (e.g. bf16 -> fp8 KV)
inline constexpr std::uint64_t kSample = 5;   // temperature softmax over the vocabulary

}  // namespace archsim::graph::flops
