#include "sim/app/sweep_mpi.h"

#include <algorithm>
#include <mpi.h>
#include <set>
#include <string>

#include "sim/core/error.h"

namespace archsim::app {
namespace {

constexpr int kWorkTag = 1;
constexpr int kResultTag = 2;
constexpr long long kStop = -1;

/// MPI for the duration of a sweep (initialized unless someone else did).
class MpiSession {
 public:
  MpiSession() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      MPI_Init(nullptr, nullptr);
      owner_ = true;
    }
  }
  ~MpiSession() {
    if (owner_) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owner_ = false;
};

}  // namespace

std::vector<sweep::PointResult> runSweepMpi(const spec::Catalog& catalog,
                                            const sweep::SweepSpec& spec,
                                            const sweep::SweepOptions& options, bool& is_root,
                                            int& ranks) {
  const MpiSession session;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  is_root = rank == 0;
  const std::vector<sweep::Point> all = sweep::ownedPoints(spec, options.shard);

  if (!is_root) {
    // Worker: simulate what rank 0 sends until it says stop.
    for (;;) {
      long long index = kStop;
      MPI_Recv(&index, 1, MPI_LONG_LONG, 0, kWorkTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (index == kStop) break;
      const auto it = std::find_if(all.begin(), all.end(), [&](const sweep::Point& p) {
        return p.index == static_cast<std::size_t>(index);
      });
      const std::string text = sweep::pointJson(sweep::runPoint(catalog, spec, *it)).dump();
      MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kResultTag, MPI_COMM_WORLD);
    }
    return {};
  }

  sweep::prepareOutput(spec, options);
  std::vector<sweep::PointResult> results;
  std::set<std::size_t> finished;
  if (options.resume) {
    for (sweep::PointResult& r : sweep::resumedPoints(options.out, all)) {
      finished.insert(r.index);
      results.push_back(std::move(r));
    }
  }
  std::vector<long long> todo;
  for (const sweep::Point& p : all) {
    if (finished.count(p.index)) continue;
    if (ranks == 1) {  // alone: rank 0 does the work itself
      results.push_back(sweep::runPoint(catalog, spec, p));
      sweep::savePoint(options.out, results.back());
    } else {
      todo.push_back(static_cast<long long>(p.index));
    }
  }
  std::size_t next = 0;
  if (ranks > 1) {
    int busy = 0;
    for (int w = 1; w < ranks; ++w) {
      long long index = next < todo.size() ? todo[next++] : kStop;
      MPI_Send(&index, 1, MPI_LONG_LONG, w, kWorkTag, MPI_COMM_WORLD);
      busy += index != kStop;
    }
    while (busy > 0) {
      MPI_Status status;
      MPI_Probe(MPI_ANY_SOURCE, kResultTag, MPI_COMM_WORLD, &status);
      int length = 0;
      MPI_Get_count(&status, MPI_CHAR, &length);
      std::string text(static_cast<std::size_t>(length), '\0');
      MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, kResultTag, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      results.push_back(sweep::pointFromJson(nlohmann::ordered_json::parse(text)));
      sweep::savePoint(options.out, results.back());
      long long index = next < todo.size() ? todo[next++] : kStop;
      MPI_Send(&index, 1, MPI_LONG_LONG, status.MPI_SOURCE, kWorkTag, MPI_COMM_WORLD);
      if (index == kStop) --busy;
    }
  }
  sweep::writeResults(options.out, spec, results);
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  return results;
}

}  // namespace archsim::app
