// The zstd scorer's dictionary: its window, and how far back a candidate can match in it. The
// reach is libzstd's (see zstd_group_dictionary.hpp); the README and bench/RESULTS.md state it,
// so this fails when a libzstd linked here reaches further or less far than they say.
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_forceAttachDict, ZSTD_WINDOWLOG_MAX
#include <zstd.h>

#include <cstdint>
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

// The candidate's compressed size with the dictionary of `group` attached, as the scorer does it.
std::size_t size_given(const std::vector<std::uint8_t>& group, const std::vector<std::uint8_t>& candidate,
                       int level) {
  ZSTD_CDict* dictionary = zipcore::build_group_dictionary(
      group.data(), group.size(), level, zipcore::group_window_log(group.size() + candidate.size()));
  CHECK(dictionary != nullptr);
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(context, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach);
  ZSTD_CCtx_refCDict(context, dictionary);
  std::vector<std::uint8_t> out(ZSTD_compressBound(candidate.size()));
  const std::size_t size = ZSTD_compress2(context, out.data(), out.size(), candidate.data(), candidate.size());
  CHECK(!ZSTD_isError(size));
  ZSTD_freeCCtx(context);
  ZSTD_freeCDict(dictionary);
  return size;
}

void test_window_covers_the_group() {
  CHECK_EQ(zipcore::group_window_log(0), 20);
  CHECK_EQ(zipcore::group_window_log(kMiB - 1), 20);
  CHECK_EQ(zipcore::group_window_log(kMiB), 21);
  CHECK_EQ(zipcore::group_window_log(17 * kMiB), 25);
  CHECK_EQ(zipcore::group_window_log(~std::size_t{0} >> 1), ZSTD_WINDOWLOG_MAX);
}

// A candidate that repeats the group's first 4 KiB, followed by 17 MiB of other random bytes: at
// levels 1-4 libzstd loads only the dictionary's last 16 MiB, so the repeat is not found (the
// size equals that without the first 4 KiB in the group); at level 5 it is found.
void test_reach_is_the_last_16_mib_at_levels_1_to_4_and_everything_above() {
  const std::vector<std::uint8_t> candidate = random_bytes(1, 4096);
  const std::vector<std::uint8_t> filler = random_bytes(2, 17 * kMiB);
  std::vector<std::uint8_t> group = candidate;
  group.insert(group.end(), filler.begin(), filler.end());
  for (int level : {1, 3}) {
    CHECK_EQ(size_given(group, candidate, level), size_given(filler, candidate, level));
    CHECK(size_given(filler, candidate, level) > candidate.size());  // random: nothing to find
  }
  CHECK(size_given(group, candidate, 5) < candidate.size() / 10);
}

}  // namespace

int main() {
  test_window_covers_the_group();
  test_reach_is_the_last_16_mib_at_levels_1_to_4_and_everything_above();
  return zipcore_test::finish("zstd_group_dictionary");
}
