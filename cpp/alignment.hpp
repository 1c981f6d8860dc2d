// Target alignment: how much a source sample looks like a target set, by compression.
//
// ZIP-FIT (arXiv 2410.18194; the zip-fit package, 1.0.9) scores a source x against targets T as
// the mean over t in T of 1 - NCD(x, t), NCD(x, t) = (C(x + t) - min(C(x), C(t))) / max(C(x), C(t)),
// with C(s) = len(gzip.compress(s, level)): Python's gzip is a 10-byte header, raw deflate at that
// level (memory level 8, window 15) and an 8-byte trailer. The package compresses each of the
// N x M pairs from scratch in Python processes and keeps all of them in a list; here each pair is
// sized in C++ on a reused deflate stream, in parallel over sources, and only the N means are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <zlib.h>

#include "parallel.hpp"
#include "pool_view.hpp"

namespace zipcore {

// len(gzip.compress(a + b, level)) on CPython 3.10 or later with the same zlib: one stream,
// reset for each call. At levels 1-9 deflate's output does not depend on how its output buffer
// is handed out; at level 0 (stored blocks) it does, so the buffer grows as CPython's does.
class GzipSizer {
 public:
  explicit GzipSizer(int level);
  ~GzipSizer();
  GzipSizer(const GzipSizer&) = delete;
  GzipSizer& operator=(const GzipSizer&) = delete;

  std::uint64_t size(ByteSpan a, ByteSpan b = {});

  // size(x, t) for many t, x compressed once: prime(x), then size_after_prime(t) for each t,
  // each from a copy of the primed stream (levels 1-9 only: their output does not depend on how
  // the input is split; a level-0 sizer sizes each pair whole).
  void prime(ByteSpan x);
  std::uint64_t size_after_prime(ByteSpan t);

 private:
  // A deflate state is about 256 KB to copy: below this, re-deflating x with each t costs less
  // (2,000 real sources x 100 GSM8K targets, one thread, CPU s: never copy 9.1, copy from
  // 4096 bytes 9.2, 2048 7.7, 1024 7.1, 512 7.1, always 8.4).
  static constexpr std::size_t kCopyFrom = 1024;
  int level_;
  ByteSpan primed_;
  bool copies_ = false;
  z_stream stream_{};
  std::vector<std::uint8_t> input_;
  std::vector<std::uint8_t> output_;
  // Level 0 stores the bytes as they are: the size depends on the length alone.
  std::unordered_map<std::size_t, std::uint64_t> stored_sizes_;
};

// np.mean of `n` doubles, bit for bit: numpy's pairwise summation (blocks of 8 accumulators up to
// 128 values, halves above), then one division.
double numpy_mean(const double* values, std::size_t n);

// ZIP-FIT's alignment of every source with the targets, in source order (see the top). Results
// are written by position: they do not depend on the thread count.
std::vector<double> zipfit_alignment(const PoolView& sources, const PoolView& targets, int level,
                                     ParallelRunner& runner, Progress& progress);

// Each source's zstd size at `level`, alone and with a dictionary of the targets: C(x) and
// C(x | T). The dictionary score is 1 - C(x | T) / C(x), the share of x's size that the targets
// explain (zipcore.align; 0 where they do not help, towards 1 where x is in them, below 0 in the
// rare case a dictionary costs a few bytes); C(x | T) alone is x's code length under T, which the
// contrast compares across dictionaries. The dictionary is the targets joined, as raw content,
// shared read-only by all threads: N compressions against one prepared dictionary instead of
// N x M pairs. C(x) is sized with the dictionary's own parameters: the score then measures the
// dictionary, not a difference of parameters (zstd tunes its own to the input's size).
struct DictionarySizes {
  std::vector<std::int64_t> alone;
  std::vector<std::int64_t> explained;
};
DictionarySizes dictionary_sizes(const PoolView& sources, const PoolView& targets, int level,
                                 ParallelRunner& runner, Progress& progress);

}  // namespace zipcore
