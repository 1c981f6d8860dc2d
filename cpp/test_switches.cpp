#include "test_switches.hpp"

#include <atomic>

namespace zipcore {
namespace {

std::atomic<bool> g_verify_shortcut{false};
std::atomic<std::uint64_t> g_shortcut_evaluations{0};
std::atomic<std::uint64_t> g_plain_evaluations{0};

}  // namespace

void set_shortcut_verification(bool on) { g_verify_shortcut = on; }

bool shortcut_verification() { return g_verify_shortcut.load(std::memory_order_relaxed); }

ShortcutCounts shortcut_counts() { return {g_shortcut_evaluations.load(), g_plain_evaluations.load()}; }

void count_evaluation(bool by_shortcut) {
  (by_shortcut ? g_shortcut_evaluations : g_plain_evaluations).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace zipcore
