#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_createCDict_advanced2, ZSTD_CCtxParams_*
#include "zstd_group_dictionary.hpp"

#include <zstd.h>

#include <algorithm>
#include <new>

namespace zipcore {
namespace {

constexpr int kMinWindowLog = 20;
constexpr int kMaxTableLog = 24;  // hash tables of 64 MiB at most, whatever the group size
// What libzstd 1.5.4 keeps of a dictionary at the fast and dfast strategies: 24 bits of position,
// less its first valid index (ZSTD_WINDOW_START_INDEX).
constexpr std::size_t kShortCacheDictionaryBytes = (std::size_t{1} << 24) - 2;

int ceil_log2(std::size_t n) {
  int log = 0;
  while ((std::size_t{1} << log) < n && log < 62) ++log;
  return log;
}

}  // namespace

int group_window_log(std::size_t max_group_bytes) {
  return std::clamp(ceil_log2(max_group_bytes + 1), kMinWindowLog, static_cast<int>(ZSTD_WINDOWLOG_MAX));
}

std::size_t group_dictionary_bytes(std::size_t size, int level) {
  const ZSTD_strategy strategy = ZSTD_getCParams(level, 0, size).strategy;
  const bool short_cache = strategy == ZSTD_fast || strategy == ZSTD_dfast;
  return short_cache ? std::min(size, kShortCacheDictionaryBytes) : size;
}

ZSTD_CDict_s* build_group_dictionary(const std::uint8_t* content, std::size_t size, int level,
                                     int window_log) {
  const std::size_t kept = group_dictionary_bytes(size, level);
  content += size - kept;
  size = kept;
  ZSTD_CCtx_params* params = ZSTD_createCCtxParams();
  if (!params) throw std::bad_alloc();
  const int content_log = std::min(ceil_log2(size), kMaxTableLog);
  const ZSTD_compressionParameters base = ZSTD_getCParams(level, 0, size);
  ZSTD_CCtxParams_init(params, level);
  ZSTD_CCtxParams_setParameter(params, ZSTD_c_windowLog, window_log);
  ZSTD_CCtxParams_setParameter(params, ZSTD_c_hashLog, std::max<int>(base.hashLog, content_log));
  if (base.strategy != ZSTD_fast) {  // the fast strategy has no chain table
    ZSTD_CCtxParams_setParameter(params, ZSTD_c_chainLog, std::max<int>(base.chainLog, content_log));
  }
  ZSTD_CDict* dictionary = ZSTD_createCDict_advanced2(content, size, ZSTD_dlm_byRef,
                                                      ZSTD_dct_rawContent, params, ZSTD_defaultCMem);
  ZSTD_freeCCtxParams(params);
  return dictionary;
}

}  // namespace zipcore
