// The ZIP selection loop (three stages per round), exactly as ../shared/SPEC.md states it, with
// zipcore's documented differences: exactly `budget` indices, never a duplicate.
#pragma once

#include <cstdint>
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

struct StageReport {
  double seconds = 0;
  std::int64_t evaluations = 0;
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
};

struct SelectReport {
  std::vector<std::int64_t> order;  // pool indices in selection order
  StageReport stage1;
  std::vector<RoundReport> rounds;
  double wall_seconds = 0;
  double task_seconds = 0;  // time all threads spent inside evaluations, summed
  int threads = 0;
};

// Checks the parameters against a pool of `pool_size` samples; throws InvalidArgument.
void validate(const SelectParams& params, std::size_t pool_size);

// Runs the selection. Throws InvalidArgument for bad parameters, Cancelled when the hooks stop
// the run. The result does not depend on params.threads.
SelectReport zip_select(const PoolView& pool, const SelectParams& params, const RunHooks& hooks);

// The number of evaluations zip_select will make, for progress totals.
std::int64_t planned_evaluations(std::size_t pool_size, const SelectParams& params);

}  // namespace zipcore
