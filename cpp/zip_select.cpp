#include "zip_select.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <string>

#include "errors.hpp"
#include "group_framing.hpp"
#include "parallel.hpp"
#include "ranking.hpp"

namespace zipcore {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Per-round sizes after clamping to what is left. Shared by the loop and by the progress plan so
// that the two can never disagree.
struct RoundShape {
  std::int64_t k1, k2, k3;
};

RoundShape clamp_round(const SelectParams& p, std::int64_t available, std::int64_t selected) {
  const std::int64_t k1 = std::min(p.k1, available);
  const std::int64_t k2 = std::min(p.k2, k1);
  const std::int64_t k3 = std::min({p.k3, k2, p.budget - selected});
  return {k1, k2, k3};
}

// Evaluations stage 3 makes for one round: the first pick reuses the stage-1 scores, because
// ratio([] + [t]) is ratio([t]).
std::int64_t stage3_evaluations(const RoundShape& r) {
  std::int64_t n = 0;
  for (std::int64_t j = 1; j < r.k3; ++j) n += r.k2 - j;
  return n;
}

// Positions 0..n-1 ordered by sample size, largest first: the longest evaluations start first so
// that no thread is left with a big one at the end of a stage.
std::vector<std::int64_t> largest_first(const PoolView& pool, const std::vector<std::int64_t>& items) {
  std::vector<std::int64_t> schedule(items.size());
  std::iota(schedule.begin(), schedule.end(), std::int64_t{0});
  std::stable_sort(schedule.begin(), schedule.end(), [&](std::int64_t a, std::int64_t b) {
    return pool.sample(items[a]).size > pool.sample(items[b]).size;
  });
  return schedule;
}

std::int64_t total_bytes(const PoolView& pool, const std::vector<std::int64_t>& items) {
  std::int64_t bytes = 0;
  for (std::int64_t i : items) bytes += static_cast<std::int64_t>(pool.sample(i).size);
  return bytes;
}

// Scores every item with `scorer`, against its group or alone; results by position.
std::vector<float> score_items(ParallelRunner& runner, const PoolView& pool,
                               const std::vector<std::int64_t>& items, const GroupScorer& scorer,
                               bool alone, Progress& progress) {
  std::vector<float> scores(items.size());
  const std::vector<std::int64_t> schedule = largest_first(pool, items);
  runner.run(
      static_cast<std::int64_t>(items.size()),
      [&](std::int64_t i) {
        const std::int64_t position = schedule[i];
        const ByteSpan sample = pool.sample(items[position]);
        // The reference keeps every score in a float32 tensor: round once, the way torch does.
        scores[position] = static_cast<float>(alone ? scorer.ratio_alone(sample) : scorer.ratio_with(sample));
      },
      progress);
  return scores;
}

// A bound on the bytes of a group of `members` samples of this pool (its largest members and the
// framing, counting one separator per member: one more than there is, kept because the zstd
// scorer's window is sized from this number and a smaller one could change its results).
std::size_t max_group_bytes(const PoolView& pool, std::int64_t members) {
  std::vector<std::size_t> sizes(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) sizes[i] = pool.sample(i).size;
  const auto k = static_cast<std::size_t>(std::min<std::int64_t>(members, sizes.size()));
  std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(k) - 1, sizes.end(),
                   std::greater<std::size_t>());
  std::size_t total = kGroupOpen.size + kGroupClose.size + k * kGroupSeparator.size;
  for (std::size_t i = 0; i < k; ++i) total += sizes[i];
  return total;
}

std::unique_ptr<GroupScorer> group_for(const PoolView& pool, const SelectParams& p, int threads,
                                       std::int64_t members) {
  return make_group_scorer({p.codec, p.level, max_group_bytes(pool, members), threads});
}

// Measures the work and span of a stretch of the run from the runner's totals (see WorkSpan).
class WorkSpanMeter {
 public:
  explicit WorkSpanMeter(const ParallelRunner& runner)
      : runner_(runner), start_(Clock::now()), at_start_(runner.totals()) {}

  WorkSpan finish() const {
    const ParallelTotals now = runner_.totals();
    const double serial =
        std::max(0.0, seconds_since(start_) - (now.pass_seconds - at_start_.pass_seconds));
    return {now.task_seconds - at_start_.task_seconds + serial,
            now.longest_seconds - at_start_.longest_seconds + serial, serial};
  }

 private:
  const ParallelRunner& runner_;
  Clock::time_point start_;
  ParallelTotals at_start_;
};

class ZipLoop {
 public:
  ZipLoop(const PoolView& pool, const SelectParams& params, const RunHooks& hooks)
      : pool_(pool), params_(params), runner_(params.threads, hooks),
        selection_(group_for(pool, params, runner_.threads(), params.budget)),
        fine_(group_for(pool, params, runner_.threads(), params.k3)) {
    progress_.total = planned_evaluations(pool.size(), params);
  }

  SelectReport run(const LoopState* resume, const RoundCallback& on_round) {
    const auto start = Clock::now();
    const WorkSpanMeter whole(runner_);
    report_.threads = runner_.threads();
    if (resume) {
      resume_from(*resume);
    } else {
      score_globally();
    }
    while (selected() < params_.budget) {
      run_round();
      if (on_round) on_round(state_);
    }
    report_.order = state_.order;
    report_.total = whole.finish();
    report_.wall_seconds = seconds_since(start);
    report_.task_seconds = runner_.task_seconds();
    return std::move(report_);
  }

 private:
  void score_globally() {
    const auto start = Clock::now();
    const WorkSpanMeter meter(runner_);
    std::vector<std::int64_t> everyone(pool_.size());
    std::iota(everyone.begin(), everyone.end(), std::int64_t{0});
    progress_.stage = 1;
    state_.global = score_items(runner_, pool_, everyone, *selection_, true, progress_);
    state_.alone = state_.global;
    state_.eligible.assign(pool_.size(), 1);
    state_.available = static_cast<std::int64_t>(pool_.size());
    static_cast<WorkSpan&>(report_.stage1) = meter.finish();
    report_.stage1.seconds = seconds_since(start);
    report_.stage1.evaluations = static_cast<std::int64_t>(everyone.size());
    report_.stage1.evaluated_bytes = static_cast<std::int64_t>(pool_.total_bytes());
  }

  void resume_from(const LoopState& state) {
    check_resumable(state);
    state_ = state;
    for (std::int64_t i : state_.order) selection_->append(pool_.sample(i));
    selection_->prepare();
    progress_.done = planned_evaluations(pool_.size(), params_, state_.rounds);
    progress_.round = static_cast<int>(state_.rounds);
    progress_.selected = selected();
  }

  void check_resumable(const LoopState& state) const {
    const std::size_t n = pool_.size();
    auto fail = [](const std::string& why) {
      throw InvalidArgument("the checkpoint does not belong to this pool and parameters: " + why);
    };
    if (state.global.size() != n || state.alone.size() != n || state.eligible.size() != n) {
      fail("it holds scores for a pool of a different size");
    }
    if (static_cast<std::int64_t>(state.order.size()) > params_.budget) fail("it selected more than the budget");
    std::vector<std::uint8_t> seen(n, 0);
    for (std::int64_t i : state.order) {
      if (i < 0 || static_cast<std::size_t>(i) >= n || seen[i]++) fail("its selection is not a set of pool indices");
      if (state.eligible[i]) fail("a selected sample is still eligible");
    }
    const auto eligible = std::count(state.eligible.begin(), state.eligible.end(), std::uint8_t{1});
    if (eligible != state.available || state.rounds < 0) fail("its counters are inconsistent");
  }

  void run_round() {
    const WorkSpanMeter meter(runner_);
    RoundReport round;
    round.round = static_cast<int>(state_.rounds) + 1;
    progress_.round = round.round;
    if (state_.available == 0) restore_unselected(round);
    const RoundShape shape = clamp_round(params_, state_.available, selected());

    const std::vector<std::int64_t> candidates = smallest_eligible(state_.global, state_.eligible, shape.k1);
    const std::vector<std::int64_t> shortlist = coarse_local(candidates, shape, round.stage2);
    const std::vector<std::int64_t> picks = fine_local(shortlist, shape, round.stage3);

    for (std::int64_t pick : picks) {
      selection_->append(pool_.sample(pick));
      state_.order.push_back(pick);
    }
    selection_->prepare();
    ++state_.rounds;
    round.ratio = selection_->current_ratio();
    round.candidates = static_cast<std::int64_t>(candidates.size());
    round.shortlisted = static_cast<std::int64_t>(shortlist.size());
    round.picked = static_cast<std::int64_t>(picks.size());
    round.selected = selected();
    progress_.selected = round.selected;
    round.total = meter.finish();
    report_.rounds.push_back(round);
  }

  // Stage 2: rescore C against the whole selection; the scores persist for later rounds. All of
  // T leaves the pool, picked in stage 3 or not.
  std::vector<std::int64_t> coarse_local(const std::vector<std::int64_t>& candidates,
                                         const RoundShape& shape, StageReport& stage) {
    const auto start = Clock::now();
    const WorkSpanMeter meter(runner_);
    progress_.stage = 2;
    std::vector<float> scores;
    if (selection_->members() == 0) {
      // ratio([] + [c]) is ratio([c]), which stage 1 already computed.
      for (std::int64_t c : candidates) scores.push_back(state_.global[c]);
    } else {
      scores = score_items(runner_, pool_, candidates, *selection_, false, progress_);
      stage.evaluations = static_cast<std::int64_t>(candidates.size());
      stage.evaluated_bytes = total_bytes(pool_, candidates);
    }
    for (std::size_t p = 0; p < candidates.size(); ++p) state_.global[candidates[p]] = scores[p];

    std::vector<std::int64_t> shortlist = smallest_of_list(candidates, scores, shape.k2);
    for (std::int64_t t : shortlist) state_.eligible[t] = 0;
    state_.available -= static_cast<std::int64_t>(shortlist.size());
    static_cast<WorkSpan&>(stage) = meter.finish();
    stage.seconds = seconds_since(start);
    return shortlist;
  }

  // Stage 3: build U from empty, each time taking the member of T that compresses worst with U.
  std::vector<std::int64_t> fine_local(std::vector<std::int64_t> remaining, const RoundShape& shape,
                                       StageReport& stage) {
    const auto start = Clock::now();
    const WorkSpanMeter meter(runner_);
    progress_.stage = 3;
    fine_->clear();
    std::vector<std::int64_t> picks;
    for (std::int64_t j = 0; j < shape.k3; ++j) {
      std::vector<float> scores;
      if (j == 0) {
        for (std::int64_t t : remaining) scores.push_back(state_.alone[t]);
      } else {
        fine_->prepare();
        scores = score_items(runner_, pool_, remaining, *fine_, false, progress_);
        stage.evaluations += static_cast<std::int64_t>(remaining.size());
        stage.evaluated_bytes += total_bytes(pool_, remaining);
      }
      // Strict '<' keeps the earliest-ranked member of T among equal scores.
      const auto best = static_cast<std::size_t>(std::min_element(scores.begin(), scores.end()) - scores.begin());
      const std::int64_t pick = remaining[best];
      remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(best));
      picks.push_back(pick);
      if (j + 1 < shape.k3) fine_->append(pool_.sample(pick));
      runner_.poll(progress_);
    }
    static_cast<WorkSpan&>(stage) = meter.finish();
    stage.seconds = seconds_since(start);
    return picks;
  }

  // The never-removed samples ran out before the budget was met: every sample not yet selected
  // comes back, ranked by the last score it had (its stage-2 score from the round that removed it).
  void restore_unselected(RoundReport& round) {
    std::fill(state_.eligible.begin(), state_.eligible.end(), std::uint8_t{1});
    for (std::int64_t i : state_.order) state_.eligible[i] = 0;
    state_.available = static_cast<std::int64_t>(pool_.size()) - selected();
    round.pool_restored = true;
  }

  std::int64_t selected() const { return static_cast<std::int64_t>(state_.order.size()); }

  const PoolView& pool_;
  const SelectParams& params_;
  ParallelRunner runner_;
  LoopState state_;
  std::unique_ptr<GroupScorer> selection_;  // S so far
  std::unique_ptr<GroupScorer> fine_;       // U so far
  Progress progress_;
  SelectReport report_;
};

}  // namespace

void validate(const SelectParams& p, std::size_t pool_size) {
  const auto n = static_cast<std::int64_t>(pool_size);
  if (n == 0) throw InvalidArgument("the pool is empty: there is nothing to select from");
  if (p.budget <= 0) throw InvalidArgument("budget must be positive, got " + std::to_string(p.budget));
  if (p.budget > n) {
    throw InvalidArgument("budget " + std::to_string(p.budget) + " is larger than the pool (" +
                          std::to_string(n) + " samples)");
  }
  if (p.k1 <= 0 || p.k2 <= 0 || p.k3 <= 0) {
    throw InvalidArgument("k1, k2 and k3 must be positive, got k1=" + std::to_string(p.k1) +
                          " k2=" + std::to_string(p.k2) + " k3=" + std::to_string(p.k3));
  }
  if (p.k1 < p.k2 || p.k2 < p.k3) {
    throw InvalidArgument("ZIP needs k1 >= k2 >= k3, got k1=" + std::to_string(p.k1) +
                          " k2=" + std::to_string(p.k2) + " k3=" + std::to_string(p.k3));
  }
  if (p.threads < 0) throw InvalidArgument("threads must be positive, got " + std::to_string(p.threads));
}

std::int64_t planned_evaluations(std::size_t pool_size, const SelectParams& p, std::int64_t rounds) {
  const auto n = static_cast<std::int64_t>(pool_size);
  std::int64_t total = n, available = n, selected = 0;
  for (std::int64_t round = 0; selected < p.budget && (rounds < 0 || round < rounds); ++round) {
    if (available == 0) available = n - selected;
    const RoundShape shape = clamp_round(p, available, selected);
    if (selected > 0) total += shape.k1;
    total += stage3_evaluations(shape);
    available -= shape.k2;
    selected += shape.k3;
  }
  return total;
}

SelectReport zip_select(const PoolView& pool, const SelectParams& params, const RunHooks& hooks,
                        const LoopState* resume, const RoundCallback& on_round) {
  validate(params, pool.size());
  return ZipLoop(pool, params, hooks).run(resume, on_round);
}

}  // namespace zipcore
