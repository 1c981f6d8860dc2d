// How a long run talks to its caller without knowing about Python: it reports progress and asks
// whether to go on through one poll function, called from the calling thread about every
// `poll_interval_seconds`.
#pragma once

#include <cstdint>
#include <functional>

namespace zipcore {

// Where a run is. Evaluations are counted over the whole run, so done/total gives an honest ETA.
struct Progress {
  int stage = 1;        // 1 = global scores, 2 = coarse local, 3 = fine local
  int round = 0;        // 0 during stage 1, then 1, 2, ...
  std::int64_t done = 0;   // evaluations finished so far in the run
  std::int64_t total = 0;  // evaluations the whole run will make
  std::int64_t selected = 0;
};

struct RunHooks {
  // Returns false to stop the run (the engine then throws Cancelled). May be empty.
  std::function<bool(const Progress&)> poll;
  double poll_interval_seconds = 0.1;
};

}  // namespace zipcore
