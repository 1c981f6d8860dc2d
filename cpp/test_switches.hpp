// Process-global switches and counters for tests and benchmarks, apart from the code they watch.
//
// The zlib shortcut (resumed_parse.hpp) must size every group exactly as zlib does; the test
// suite turns on verification, which checks each shortcut evaluation against the plain one, and
// reads how many evaluations took each path. Nothing in a normal run reads these.
#pragma once

#include <cstdint>

namespace zipcore {

// Checks every shortcut evaluation against the plain one and throws on a difference (tests).
void set_shortcut_verification(bool on);
bool shortcut_verification();

// Candidate evaluations since the process started, by path (benchmarks and tests).
struct ShortcutCounts {
  std::uint64_t shortcut = 0;
  std::uint64_t plain = 0;
};
ShortcutCounts shortcut_counts();
void count_evaluation(bool by_shortcut);

}  // namespace zipcore
