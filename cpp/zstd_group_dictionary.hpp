// The group's zstd dictionary, as the zstd scorer builds it once per change of the group; its
// own file so that the bench programs measure this very dictionary (bench/zstd_eval_cost.cpp,
// bench/zstd_dictionary_reach.cpp).
//
// Raw content, by reference, the window sized by the caller and the hash and chain tables grown
// to cover the group (up to 2^24 slots). How much of the group a candidate can match is
// libzstd's choice, not ours: for levels whose strategy is fast or dfast (1-4), libzstd (1.5.4
// here) loads only the last 16 MiB of a dictionary into its tables (their "short cache" index
// tags leave 24 bits for positions), so older content is not matched and a build costs the same
// however large the group; higher levels load all of it, at a cost that grows with the group.
// bench/zstd_dictionary_reach.cpp measures both.
#pragma once

#include <cstddef>
#include <cstdint>

struct ZSTD_CDict_s;

namespace zipcore {

// The window log that covers a group of up to `max_group_bytes`: at least 2^20, at most zstd's
// largest window (2 GiB on 64-bit builds).
int group_window_log(std::size_t max_group_bytes);

// Returns nullptr when libzstd fails (out of memory). `content` must outlive the dictionary.
ZSTD_CDict_s* build_group_dictionary(const std::uint8_t* content, std::size_t size, int level,
                                     int window_log);

}  // namespace zipcore
