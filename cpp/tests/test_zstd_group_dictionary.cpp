// The zstd scorer's dictionary: its window, how far back a candidate can match in it (the last
// 16 MiB at levels 1-4, everything above; the README and bench/RESULTS.md state it), and that
// cutting the group to 16 MiB ourselves changes nothing where libzstd cuts it too (1.5.4).
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_forceAttachDict, ZSTD_WINDOWLOG_MAX
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "check.hpp"
#include "zstd_group_dictionary.hpp"

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::vector<std::uint8_t> random_bytes(std::uint64_t seed, std::size_t size) {
  zipcore_test::Random random(seed);
  std::vector<std::uint8_t> out(size);
  for (auto& byte : out) byte = static_cast<std::uint8_t>(random.next());
  return out;
}

// The candidate's compressed size with `dictionary` attached, as the scorer does it.
std::size_t size_with(ZSTD_CDict* dictionary, const std::vector<std::uint8_t>& candidate) {
  CHECK(dictionary != nullptr);
  ZSTD_CCtx* context = ZSTD_createCCtx();
  CHECK(context != nullptr);
  CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach)));
  CHECK(!ZSTD_isError(ZSTD_CCtx_refCDict(context, dictionary)));
  std::vector<std::uint8_t> out(ZSTD_compressBound(candidate.size()));
  const std::size_t size = ZSTD_compress2(context, out.data(), out.size(), candidate.data(), candidate.size());
  CHECK(!ZSTD_isError(size));
  ZSTD_freeCCtx(context);
  ZSTD_freeCDict(dictionary);
  return size;
}

int window_for(const std::vector<std::uint8_t>& group, const std::vector<std::uint8_t>& candidate) {
  return zipcore::group_window_log(group.size() + candidate.size());
}

std::size_t size_given(const std::vector<std::uint8_t>& group, const std::vector<std::uint8_t>& candidate,
                       int level) {
  return size_with(zipcore::build_group_dictionary(group.data(), group.size(), level,
                                                   window_for(group, candidate)),
                   candidate);
}

// The same dictionary without our cut: the whole group handed to libzstd.
std::size_t size_given_uncut(const std::vector<std::uint8_t>& group, const std::vector<std::uint8_t>& candidate,
                             int level) {
  const std::size_t kept = zipcore::group_dictionary_bytes(group.size(), level);
  // Same parameters as the cut dictionary (its tables are sized from what it holds: 2^24 slots).
  ZSTD_CCtx_params* params = ZSTD_createCCtxParams();
  CHECK(params != nullptr);
  const ZSTD_compressionParameters base = ZSTD_getCParams(level, 0, kept);
  ZSTD_CCtxParams_init(params, level);
  ZSTD_CCtxParams_setParameter(params, ZSTD_c_windowLog, window_for(group, candidate));
  ZSTD_CCtxParams_setParameter(params, ZSTD_c_hashLog, std::max<int>(base.hashLog, 24));
  if (base.strategy != ZSTD_fast) ZSTD_CCtxParams_setParameter(params, ZSTD_c_chainLog, std::max<int>(base.chainLog, 24));
  ZSTD_CDict* uncut = ZSTD_createCDict_advanced2(group.data(), group.size(), ZSTD_dlm_byRef, ZSTD_dct_rawContent,
                                                 params, ZSTD_defaultCMem);
  ZSTD_freeCCtxParams(params);
  return size_with(uncut, candidate);
}

void test_window_covers_the_group() {
  CHECK_EQ(zipcore::group_window_log(0), 20);
  CHECK_EQ(zipcore::group_window_log(kMiB - 1), 20);
  CHECK_EQ(zipcore::group_window_log(kMiB), 21);
  CHECK_EQ(zipcore::group_window_log(17 * kMiB), 25);
  CHECK_EQ(zipcore::group_window_log(~std::size_t{0} >> 1), ZSTD_WINDOWLOG_MAX);
}

// A candidate that repeats the group's first 4 KiB, followed by 17 MiB of other random bytes: at
// levels 1-4 the dictionary holds only the group's last 16 MiB, so the repeat is not found (the
// size equals that without the first 4 KiB in the group); at level 5 it is found.
void test_reach_is_the_last_16_mib_at_levels_1_to_4_and_everything_above() {
  const std::vector<std::uint8_t> candidate = random_bytes(1, 4096);
  const std::vector<std::uint8_t> filler = random_bytes(2, 17 * kMiB);
  std::vector<std::uint8_t> group = candidate;
  group.insert(group.end(), filler.begin(), filler.end());
  for (int level : {1, 2, 3, 4}) {
    CHECK_EQ(zipcore::group_dictionary_bytes(group.size(), level), (std::size_t{1} << 24) - 2);
    CHECK_EQ(size_given(group, candidate, level), size_given(filler, candidate, level));
    CHECK(size_given(filler, candidate, level) > candidate.size());  // random: nothing to find
  }
  CHECK_EQ(zipcore::group_dictionary_bytes(group.size(), 5), group.size());
  CHECK(size_given(group, candidate, 5) < candidate.size() / 10);
}

// Where libzstd keeps only a dictionary's last 2^24 - 2 bytes itself, our cut gives the same
// sizes: the scores did not change when the engine began to cut. A group of real-looking text
// whose candidate repeats bits from everywhere in it, so the cut would show if it moved.
void test_the_cut_is_libzstds_own_on_1_5_4() {
  if (ZSTD_versionNumber() < 10504) {
    std::printf("libzstd %s: older than 1.5.4, the comparison is skipped\n", ZSTD_versionString());
    return;
  }
  zipcore_test::Random random(3);
  const std::vector<std::uint8_t> group = zipcore_test::make_input(random, 4, 17 * kMiB);
  std::vector<std::uint8_t> candidate;
  for (int piece = 0; piece < 64; ++piece) {
    const std::size_t from = random.below(group.size() - 64);
    candidate.insert(candidate.end(), group.begin() + from, group.begin() + from + 64);
  }
  for (int level : {1, 3}) CHECK_EQ(size_given(group, candidate, level), size_given_uncut(group, candidate, level));
}

}  // namespace

int main() {
  test_window_covers_the_group();
  test_reach_is_the_last_16_mib_at_levels_1_to_4_and_everything_above();
  test_the_cut_is_libzstds_own_on_1_5_4();
  return zipcore_test::finish("zstd_group_dictionary");
}
