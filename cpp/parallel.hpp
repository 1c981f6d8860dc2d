// Running candidate evaluations on a fixed number of threads, with the guarantees the rest of the
// engine relies on: results are written by position (so they never depend on the thread count),
// no exception escapes an OpenMP region (the first one is kept and rethrown after the join), and
// the calling thread polls the run hooks while workers keep going, so Ctrl-C and progress work
// in the middle of a long stage.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "run_hooks.hpp"

namespace zipcore {

// Where a runner's time went, summed over its passes: what the work/span model needs.
struct ParallelTotals {
  double task_seconds = 0;     // inside tasks, summed over all threads
  double longest_seconds = 0;  // the longest task of each pass, summed: the passes' span
  double pass_seconds = 0;     // wall time inside passes, on the calling thread
};

class ParallelRunner {
 public:
  ParallelRunner(int threads, const RunHooks& hooks);

  int threads() const { return threads_; }

  // How long a pass's tasks run. Short ones (evaluations) are polled between tasks. A long one
  // (a whole compressed group, seconds) may still run on another thread after the calling thread
  // has run out of tasks: then the calling thread keeps polling the hook until every task ended,
  // so Ctrl-C and progress work to the end of the pass.
  enum class Tasks { short_ones, long_ones };

  // Calls task(i) for i in [0, count), items handed out one at a time (they differ a lot in cost).
  // `progress` is what the poll hook sees; its `done` advances by one per finished task.
  // Throws Cancelled when the hook asks to stop, or the first exception a task threw.
  void run(std::int64_t count, const std::function<void(std::int64_t)>& task, Progress& progress,
           Tasks tasks = Tasks::short_ones);

  // Polls the hook from the calling thread if the interval has passed (for sequential steps).
  void poll(const Progress& progress);

  // For a long task, called now and then from inside it: on the calling thread, polls the hook
  // when it is due (with the pass's progress so far); on any thread, throws Cancelled once the
  // pass is stopping (the hook asked to stop, or another task failed), so that the task ends early.
  void poll_in_task();

  // The index, 0..threads()-1, of the thread running the current task (0 outside a pass), for
  // per-thread state that lives only as long as the run.
  static int worker();

  // Seconds all threads spent inside tasks, summed (for the time-outside-zlib accounting).
  double task_seconds() const { return static_cast<double>(task_ns_.load()) * 1e-9; }

  ParallelTotals totals() const;

 private:
  bool poll_due();
  void poll_now(const Progress& progress);

  int threads_;
  const RunHooks& hooks_;
  std::chrono::steady_clock::time_point last_poll_;
  // The current pass, for poll_in_task.
  std::thread::id caller_;
  const Progress* pass_progress_ = nullptr;
  std::atomic<std::int64_t> pass_done_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> task_ns_{0};
  std::int64_t longest_ns_ = 0;  // written by the calling thread only, after each pass
  std::int64_t pass_ns_ = 0;
};

// Runs `first` and `second` side by side when `threads` >= 2, one after the other otherwise.
// Rethrows the first exception either threw, after both finished.
void run_both(int threads, const std::function<void()>& first, const std::function<void()>& second);

// The number of threads the process may use when the caller does not say.
int default_thread_count();

}  // namespace zipcore
