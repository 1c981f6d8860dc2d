#include "parallel.hpp"

#include "errors.hpp"

#ifdef ZIPCORE_HAVE_OPENMP
#include <omp.h>
#endif

namespace zipcore {

using Clock = std::chrono::steady_clock;

ParallelRunner::ParallelRunner(int threads, const RunHooks& hooks)
    : threads_(threads > 0 ? threads : default_thread_count()), hooks_(hooks), last_poll_(Clock::now()) {}

bool ParallelRunner::poll_due() {
  const auto interval = std::chrono::duration<double>(hooks_.poll_interval_seconds);
  return Clock::now() - last_poll_ >= interval;
}

void ParallelRunner::poll_now(const Progress& progress) {
  const bool go_on = !hooks_.poll || hooks_.poll(progress);
  // The interval counts from the hook's return: a progress callback slower than the interval
  // would otherwise be called again after every evaluation.
  last_poll_ = Clock::now();
  if (!go_on) throw Cancelled();
}

void ParallelRunner::poll(const Progress& progress) {
  if (poll_due()) poll_now(progress);
}

void ParallelRunner::poll_in_task() {
  if (stopping_.load(std::memory_order_relaxed)) throw Cancelled();
  if (std::this_thread::get_id() == caller_ && pass_progress_ && poll_due()) {
    Progress now = *pass_progress_;
    now.done = pass_done_.load();
    poll_now(now);
  }
}

int ParallelRunner::worker() {
#ifdef ZIPCORE_HAVE_OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

ParallelTotals ParallelRunner::totals() const {
  return {task_seconds(), static_cast<double>(longest_ns_) * 1e-9,
          static_cast<double>(pass_ns_) * 1e-9};
}

void ParallelRunner::run(std::int64_t count, const std::function<void(std::int64_t)>& task,
                         Progress& progress, Tasks tasks) {
  const auto pass_start = Clock::now();
  std::atomic<std::int64_t> longest{0};
  std::atomic<std::int64_t>& done = pass_done_;
  done = progress.done;
  stopping_ = false;
  caller_ = std::this_thread::get_id();
  pass_progress_ = &progress;
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto keep_error = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (!first_error) first_error = e;
    stopping_ = true;
  };

  std::atomic<std::int64_t> ended{0};  // tasks run, failed or skipped
  auto body = [&](std::int64_t i, bool is_caller) {
    struct Ended {
      std::atomic<std::int64_t>& count;
      ~Ended() { count.fetch_add(1, std::memory_order_release); }
    } counted{ended};
    if (stopping_.load(std::memory_order_relaxed)) return;
    try {
      const auto start = Clock::now();
      task(i);
      const std::int64_t ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
      task_ns_ += ns;
      std::int64_t seen = longest.load(std::memory_order_relaxed);
      while (ns > seen && !longest.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
      }
      done.fetch_add(1, std::memory_order_relaxed);
      // Only the calling thread may run the hook: it owns the Python thread state.
      if (is_caller && poll_due()) {
        Progress now = progress;
        now.done = done.load();
        poll_now(now);
      }
    } catch (...) {
      keep_error(std::current_exception());
    }
  };

  // The calling thread, out of tasks, polls until the other threads' tasks have ended too.
  auto poll_until_all_ended = [&] {
    while (ended.load(std::memory_order_acquire) < count) {
      if (!stopping_.load(std::memory_order_relaxed) && poll_due()) {
        try {
          Progress now = progress;
          now.done = done.load();
          poll_now(now);
        } catch (...) {
          keep_error(std::current_exception());  // the running tasks see it in poll_in_task
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };

#ifdef ZIPCORE_HAVE_OPENMP
  if (tasks == Tasks::long_ones && threads_ > 1) {
    std::atomic<std::int64_t> next{0};
#pragma omp parallel num_threads(threads_)
    {
      const bool is_caller = omp_get_thread_num() == 0;
      for (std::int64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) body(i, is_caller);
      if (is_caller) poll_until_all_ended();
    }
  } else {
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1)
    for (std::int64_t i = 0; i < count; ++i) body(i, omp_get_thread_num() == 0);
  }
#else
  (void)tasks;
  (void)poll_until_all_ended;
  for (std::int64_t i = 0; i < count; ++i) body(i, true);
#endif

  pass_progress_ = nullptr;
  progress.done = done.load();
  longest_ns_ += longest.load();
  pass_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - pass_start).count();
  if (first_error) std::rethrow_exception(first_error);
}

void run_both(int threads, const std::function<void()>& first, const std::function<void()>& second) {
  std::exception_ptr errors[2];
  auto guarded = [&errors](int slot, const std::function<void()>& step) {
    try {
      step();
    } catch (...) {
      errors[slot] = std::current_exception();
    }
  };
#ifdef ZIPCORE_HAVE_OPENMP
#pragma omp parallel sections num_threads(threads >= 2 ? 2 : 1)
  {
#pragma omp section
    guarded(0, first);
#pragma omp section
    guarded(1, second);
  }
#else
  (void)threads;
  guarded(0, first);
  guarded(1, second);
#endif
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

int default_thread_count() {
#ifdef ZIPCORE_HAVE_OPENMP
  return omp_get_num_procs();
#else
  return 1;
#endif
}

}  // namespace zipcore
