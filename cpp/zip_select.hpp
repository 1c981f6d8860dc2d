// The ZIP selection loop (three stages per round), exactly as ../shared/SPEC.md states it, with
// zipcore's documented differences: exactly `budget` indices, never a duplicate.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "group_scorer.hpp"
#include "pool_view.hpp"
#include "run_hooks.hpp"

namespace zipcore {

struct SelectParams {
  std::int64_t budget = 0;
  std::int64_t k1 = 10000;  // stage 1 keeps the k1 best global scores
  std::int64_t k2 = 200;    // stage 2 keeps the k2 best scores against the selection
  std::int64_t k3 = 100;    // stage 3 picks k3 samples per round
  int threads = 0;          // 0 = every core the process may use
  Codec codec = Codec::zlib;
  int level = 9;
};

// Work and span of a stretch of the run (Cilk's model): work W is every task's time plus the
// serial time around the passes; span S is the longest task of each pass plus that serial time.
// Brent's bound gives T_p <= W/p + S on p threads, and W/S is the most parallelism the stretch
// can use. Serial time is the stretch's wall time outside passes, on the calling thread
// (run_both's two halves count as serial: a bound on the safe side).
struct WorkSpan {
  double work_seconds = 0;
  double span_seconds = 0;
  // The serial part of both: what no thread count can shorten. (W - serial) / (S - serial) is the
  // parallelism the stretch would have if it were zero: the ceiling the passes alone set.
  double serial_seconds = 0;
};

struct StageReport : WorkSpan {
  double seconds = 0;
  std::int64_t evaluations = 0;
  // The evaluated candidates' bytes, summed: evaluation cost grows with them, so per-round costs
  // compare across rounds whose candidates differ in size once divided by this.
  std::int64_t evaluated_bytes = 0;
};

struct RoundReport {
  int round = 0;
  std::int64_t candidates = 0;   // |C| after clamping
  std::int64_t shortlisted = 0;  // |T|
  std::int64_t picked = 0;       // |U|
  std::int64_t selected = 0;     // |S| after the round
  bool pool_restored = false;    // the never-removed samples had run out before this round
  double ratio = 0;              // the selection's compression ratio after the round
  StageReport stage2;
  StageReport stage3;
  WorkSpan total;                // the whole round: stages 2 and 3 and the serial steps around them
};

struct SelectReport {
  std::vector<std::int64_t> order;  // pool indices in selection order
  StageReport stage1;
  std::vector<RoundReport> rounds;
  double wall_seconds = 0;
  double task_seconds = 0;  // time all threads spent inside evaluations, summed
  WorkSpan total;           // the whole run
  int threads = 0;
};

// Everything a run needs to go on after a completed round: what a checkpoint stores.
struct LoopState {
  std::vector<std::int64_t> order;     // S, pool indices in selection order
  std::vector<float> global;           // g: stage-1 scores, overwritten by stage-2 scores
  std::vector<float> alone;            // ratio([i]) for every i (stage 1), for stage 3's first pick
  std::vector<std::uint8_t> eligible;  // 1 = may be a candidate (never removed, or restored)
  std::int64_t available = 0;          // number of eligible samples
  std::int64_t rounds = 0;             // rounds completed
};

// Called on the calling thread after every round, with the state a resumed run would need.
using RoundCallback = std::function<void(const LoopState&)>;

// Checks the parameters against a pool of `pool_size` samples; throws InvalidArgument.
void validate(const SelectParams& params, std::size_t pool_size);

// Runs the selection, from scratch or from `resume` (a state an earlier run with the same pool
// and parameters handed to `on_round`; the result is then the same as an uninterrupted run's).
// Throws InvalidArgument for bad parameters or a state that cannot belong to this pool, Cancelled
// when the hooks stop the run. The result does not depend on params.threads.
SelectReport zip_select(const PoolView& pool, const SelectParams& params, const RunHooks& hooks,
                        const LoopState* resume = nullptr, const RoundCallback& on_round = {});

// The number of evaluations zip_select makes in stage 1 and the first `rounds` rounds (all rounds
// when negative), for progress totals.
std::int64_t planned_evaluations(std::size_t pool_size, const SelectParams& params,
                                 std::int64_t rounds = -1);

}  // namespace zipcore
