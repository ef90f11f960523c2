#include "sim/core/channel_group.h"

#include <numeric>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "sim/core/simulation.h"
#include "support.h"

using namespace archsim;
using archsim::test::Recorder;

namespace {
constexpr std::uint64_t kChannelBw = 41'875'000'000ULL;  // H100 HBM3 channel: 41.875 GB/s
constexpr Tick kLatency = 500'000;                       // 500 ns
constexpr std::uint64_t kGranule = 256;

Tick ceilTicks(std::uint64_t bytes, std::uint64_t bw) {
  return transferTicks(bytes, bw);
}

}  // namespace

TEST_CASE(
    "ChannelGroup: S bytes over C idle channels end at latency + ceil-striped bytes / channel "
    "bandwidth") {
  Simulation sim;
  ChannelGroup& hbm = sim.add<ChannelGroup>("hbm", sim.stats(), 80, kGranule, kChannelBw, kLatency);
  Recorder rec{sim, {}};
  // 1 MiB = 4096 granules over 80 channels: 52 granules on the first 16 channels, 51 on the rest.
  const std::uint64_t bytes = 1 << 20;
  const std::uint64_t busiest = ((bytes / kGranule + 79) / 80) * kGranule;
  CHECK(busiest == 52 * 256);
  const Tick expected = kLatency + ceilTicks(busiest, kChannelBw);
  CHECK(hbm.transfer(0, bytes, Callback::to<&Recorder::on>(&rec), 3) == expected);
  sim.run();
  CHECK(rec.done == std::vector<std::pair<Tick, std::uint64_t>>{{expected, 3}});
}

TEST_CASE("ChannelGroup: striping follows the address and trims partial first and last granules") {
  Simulation sim;
  ChannelGroup& g = sim.add<ChannelGroup>("g", sim.stats(), 4, 100, 1'000'000'000'000ULL, 0);
  std::vector<std::uint64_t> per;
  // [250, 730): granules 2..7 -> channels 2,3,0,1,2,3; first trimmed by 50, last ends at 730 (trim
  // 70).
  g.stripe(250, 480, per);
  CHECK(per == std::vector<std::uint64_t>{100, 100, 50 + 100, 100 + 30});
  CHECK(std::accumulate(per.begin(), per.end(), std::uint64_t{0}) == 480);
  g.stripe(1234, 1, per);  // one byte in granule 12 -> channel 0
  CHECK(per == std::vector<std::uint64_t>{1, 0, 0, 0});
  g.stripe(0, 0, per);
  CHECK(per == std::vector<std::uint64_t>{0, 0, 0, 0});
}

TEST_CASE("ChannelGroup: two concurrent transfers on one channel serialize") {
  Simulation sim;
  ChannelGroup& g = sim.add<ChannelGroup>("g", sim.stats(), 1, kGranule, kChannelBw, kLatency);
  const Tick first = g.reserve(0, 4096);
  const Tick second = g.reserve(4096, 4096);
  CHECK(first == kLatency + ceilTicks(4096, kChannelBw));
  CHECK(second == kLatency + 2 * ceilTicks(4096, kChannelBw));
}

TEST_CASE(
    "ChannelGroup: transfers on disjoint channels run in parallel; on shared channels they queue") {
  Simulation sim;
  ChannelGroup& g = sim.add<ChannelGroup>("g", sim.stats(), 8, kGranule, kChannelBw, kLatency);
  const Tick one = kLatency + ceilTicks(kGranule, kChannelBw);
  CHECK(g.reserve(0 * kGranule, kGranule) == one);  // channel 0
  CHECK(g.reserve(1 * kGranule, kGranule) == one);  // channel 1: no wait
  CHECK(g.reserve(8 * kGranule, kGranule) ==
        kLatency + 2 * ceilTicks(kGranule, kChannelBw));  // channel 0 again
}

TEST_CASE("ChannelGroup: a transfer that touches fewer channels than exist gets less bandwidth") {
  Simulation sim;
  ChannelGroup& g = sim.add<ChannelGroup>("g", sim.stats(), 8, kGranule, kChannelBw, 0);
  // 2 granules touch 2 of 8 channels: the same time as 1 granule on 1 channel, so the transfer sees
  // 2 x the channel bandwidth, a quarter of the group's 8 x.
  const Tick t_small = g.reserve(0, 2 * kGranule);
  CHECK(t_small == ceilTicks(kGranule, kChannelBw));
  const double small_bw = 2.0 * kGranule / ticksToSeconds(t_small);
  CHECK(small_bw == doctest::Approx(2.0 * kChannelBw).epsilon(1e-3));  // within the 1 ps ceiling

  Simulation sim2;
  ChannelGroup& g2 = sim2.add<ChannelGroup>("g", sim2.stats(), 8, kGranule, kChannelBw, 0);
  const Tick t_full = g2.reserve(0, 8 * kGranule);
  const double full_bw = 8.0 * kGranule / ticksToSeconds(t_full);
  CHECK(full_bw == doctest::Approx(8.0 * kChannelBw).epsilon(1e-3));
}

TEST_CASE("ChannelGroup: stats count bytes and per-channel busy time") {
  Simulation sim;
  ChannelGroup& g = sim.add<ChannelGroup>("g", sim.stats(), 2, 100, 1'000'000'000'000ULL, 0);
  g.reserve(0, 300);  // channel 0: 200 B, channel 1: 100 B
  CHECK(g.channelBusyTicks(0) == 200);
  CHECK(g.channelBusyTicks(1) == 100);
  CHECK(sim.stats().findStat("g.bytes")->value() == 300.0);
  CHECK(sim.stats().findStat("g.utilization")->value() == doctest::Approx(300.0 / (2 * 200.0)));
  CHECK(sim.stats().findStat("g.max_channel_utilization")->value() == doctest::Approx(1.0));
}

TEST_CASE(
    "ChannelGroup: reserve() occupies each channel exactly for its stripe() share (random "
    "transfers)") {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    Simulation sim;
    const auto channels = static_cast<std::uint32_t>(1 + rng() % 16);
    const std::uint64_t granule = 64 << (rng() % 3);
    ChannelGroup& g =
        sim.add<ChannelGroup>("g", sim.stats(), channels, granule, 3'000'000'000ULL, 0);
    const std::uint64_t address = rng() % 100'000;
    const std::uint64_t bytes = 1 + rng() % (trial % 2 ? 500 : 200'000);
    std::vector<std::uint64_t> per;
    g.stripe(address, bytes, per);
    const Tick finish = g.reserve(address, bytes);
    Tick busiest = 0;
    for (std::uint32_t c = 0; c < channels; ++c) {
      CAPTURE(trial);
      CHECK(g.channelBusyTicks(c) == (per[c] == 0 ? 0 : transferTicks(per[c], 3'000'000'000ULL)));
      busiest = std::max(busiest, g.channelBusyTicks(c));
    }
    CHECK(finish == busiest);
  }
}
