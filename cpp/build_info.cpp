#include "build_info.hpp"

#include <zlib.h>
#include <zstd.h>

#include "parallel.hpp"

namespace zipcore {

EngineBuildInfo engine_build_info() {
  EngineBuildInfo info;
  info.zlib_compiled = ZLIB_VERSION;
  info.zlib_linked = zlibVersion();
  info.zstd = ZSTD_versionString();
  info.zstd_max_level = ZSTD_maxCLevel();
#ifdef ZIPCORE_HAVE_OPENMP
  info.openmp = true;
#endif
  info.default_threads = default_thread_count();
#if defined(__clang__)
  info.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  info.compiler = "gcc " __VERSION__;
#else
  info.compiler = "unknown";
#endif
  return info;
}

}  // namespace zipcore
