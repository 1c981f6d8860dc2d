// The group's zstd dictionary, as the zstd scorer builds it once per change of the group; its
// own file so that the bench programs measure this very dictionary (bench/zstd_eval_cost.cpp,
// bench/zstd_dictionary_reach.cpp).
//
// Raw content, by reference, the window sized by the caller and the hash and chain tables grown
// to cover the group (up to 2^24 slots). At levels whose strategy is fast or dfast (1-4), only
// the group's last 16 MiB (2^24 - 2 bytes) go into the dictionary: libzstd 1.5.4 keeps no more of
// a dictionary at these strategies (their "short cache" tags 8 bits of each table entry, leaving
// 24 bits for positions), older versions keep all of it, and we cut it here so that the reach
// does not depend on the version linked. So at levels 1-4 older content is not matched and a build
// costs the same however large the group; higher levels load all of it, at a cost that grows
// with the group. bench/zstd_dictionary_reach.cpp measures both.
#pragma once

#include <cstddef>
#include <cstdint>

struct ZSTD_CDict_s;

namespace zipcore {

// The window log that covers a group of up to `max_group_bytes`: at least 2^20, at most zstd's
// largest window (2 GiB on 64-bit builds).
int group_window_log(std::size_t max_group_bytes);

// The bytes of a group of `size` bytes that its dictionary holds at `level` (a suffix); the
// alignment's target dictionary (alignment.cpp) is cut by the same rule.
std::size_t group_dictionary_bytes(std::size_t size, int level);

// The dictionary of the group's last group_dictionary_bytes(size, level) bytes. Returns nullptr
// when libzstd cannot build it; throws std::bad_alloc when its parameters cannot be allocated.
// `content` must outlive the dictionary.
ZSTD_CDict_s* build_group_dictionary(const std::uint8_t* content, std::size_t size, int level,
                                     int window_log);

}  // namespace zipcore
