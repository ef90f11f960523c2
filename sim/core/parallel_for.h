// Runs independent jobs on a few threads: sweeps, regression entries and validation cases.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace archsim {

/// Calls body(i) for every i in [0, n) on min(jobs, n) threads (the caller's thread is one of
/// them), each taking the next unclaimed index; returns when all are done. body must be safe to
/// run concurrently for different i (synchronize anything shared) and must not throw.
template <class Body>
void parallelFor(std::size_t n, unsigned jobs, Body&& body) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++)
      body(i);
  };
  const unsigned threads_wanted =
      std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(n, 1))));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < threads_wanted; ++t)
    threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads)
    t.join();
}

}  // namespace archsim
