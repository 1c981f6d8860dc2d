// What the engine was built with, for zipcore.build_info(): exactness against Python's zlib
// depends on both linking the same zlib.
#pragma once

#include <string>

namespace zipcore {

struct EngineBuildInfo {
  std::string zlib_compiled;  // ZLIB_VERSION of the headers
  std::string zlib_linked;    // zlibVersion() of the library loaded at run time
  std::string zstd;           // ZSTD_versionString() of the library loaded at run time
  int zstd_max_level = 0;     // ZSTD_maxCLevel(): the codec="zstd" levels are 1..this
  bool openmp = false;
  int default_threads = 1;
  std::string compiler;
};

EngineBuildInfo engine_build_info();

}  // namespace zipcore
