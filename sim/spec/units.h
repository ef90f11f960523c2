// The one units parser (STYLE.md rule 7): "3.35 TB/s", "50 MiB", "1.83 GHz", "989 TFLOPS", "0.5
// pJ/B".
//
// Every quantity in a YAML file or a --set value goes through parseQuantity(). Values are converted
// to the base SI unit of their dimension (bytes, bytes/s, Hz, s, op/s, J, J/B, J/op, W, m^2). SI
// and IEC prefixes stay distinct (MB = 1e6 B, MiB = 2^20 B); bit rates (Gb/s) convert to bytes
// (/8); energy per bit converts to energy per byte (x8). Unit spellings are exact and
// case-sensitive; there are no alternative spellings, and an unknown unit gets a did-you-mean.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace archsim::spec {

enum class Dimension {
  kSize,           // B
  kBandwidth,      // B/s
  kFrequency,      // Hz
  kTime,           // s
  kThroughput,     // operations per second (FLOPS or OPS)
  kEnergy,         // J
  kEnergyPerByte,  // J/B
  kEnergyPerOp,    // J per operation (FLOP or OP)
  kPower,          // W
  kArea,           // m^2
  kRate,           // things per second: tokens/s, elements/s (validation metrics)
};

struct Quantity {
  double value = 0.0;  // in the base unit of `dimension`
  Dimension dimension = Dimension::kSize;
};

/// Thrown by the parser with a message that names the text and what is wrong; callers add the
/// location.
class UnitError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// "size", "bandwidth", ...
std::string_view dimensionName(Dimension d);
/// "a size", "an area": the noun with its indefinite article, for messages.
std::string withArticle(std::string_view noun);
/// An example value for messages: "80 GB", "3.35 TB/s", ...
std::string_view dimensionExample(Dimension d);
/// The unit spellings accepted for a dimension, in table order.
std::vector<std::string_view> unitsOf(Dimension d);

/// Parses "<number> <unit>" (space optional). Throws UnitError for a missing or unknown unit, a
/// negative, non-finite or malformed number.
Quantity parseQuantity(std::string_view text);
/// parseQuantity() plus a dimension check; returns the value in the base unit.
double parseQuantityAs(std::string_view text, Dimension expected);

/// Human-readable form with an SI prefix (binary prefixes for sizes that are whole MiB/GiB):
/// formatQuantity(3.35e12, kBandwidth) == "3.35 TB/s".
std::string formatQuantity(double base_value, Dimension d, int significant_digits = 4);
/// A byte count as formatQuantity() writes sizes: formatSize(230686720) == "220 MiB".
std::string formatSize(std::uint64_t bytes);

/// Any count with an SI prefix: formatSi(1.386e11, "FLOP") == "138.6 GFLOP".
std::string formatSi(double value, std::string_view unit, int significant_digits = 4);

/// Compute throughput with FLOPS units for floating-point formats and OPS for integer ones.
std::string formatOpsPerSecond(double ops_per_s, bool floating_point, int significant_digits = 4);

}  // namespace archsim::spec
