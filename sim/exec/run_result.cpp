#include "sim/exec/run_result.h"

namespace archsim::exec {

Metrics phaseMetrics(const spec::ScenarioSpec& s, std::uint64_t per_seq, double e2e, double ttft,
                     double energy, std::uint64_t chips) {
  Metrics m;
  m.e2e_s = e2e;
  m.chips = chips;
  m.avg_power_w = e2e > 0 ? energy / e2e : 0.0;
  const std::uint64_t tokens = per_seq * s.batch;
  switch (s.phase) {
    case spec::Phase::kPrefill:
      if (per_seq > 0) m.ttft_s = e2e;
      break;
    case spec::Phase::kDecode:
      m.tpot_s = e2e;
      break;
    case spec::Phase::kGenerate:
      m.ttft_s = ttft;
      if (s.output_tokens > 1) m.tpot_s = (e2e - ttft) / static_cast<double>(s.output_tokens - 1);
      break;
  }
  if (tokens > 0 && e2e > 0) {
    m.output_tokens_per_s = static_cast<double>(tokens) / e2e;
    m.tokens_per_s_per_user = static_cast<double>(per_seq) / e2e;
    m.energy_per_token_j = energy / static_cast<double>(tokens);
  }
  return m;
}

}  // namespace archsim::exec
