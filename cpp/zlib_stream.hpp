// The reference's zlib settings and the calls every deflate stream in the engine is driven with.
//
// The reference compresses with zlib.compress(b, 9): level 9, window bits 15, memory level 8,
// default strategy. Every stream that stands in for it (the group streams, the shortcut's primed
// raw stream, the measure's exact and chunked streams) starts here, so none can drift from it.
// zlib's output does not depend on how the input is split across deflate(Z_NO_FLUSH) calls, which
// is what lets the engine feed a group piece by piece and copy a stream half way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <zlib.h>

#include "group_framing.hpp"
#include "pool_view.hpp"

namespace zipcore {

constexpr int kZlibLevel = 9;
constexpr int kZlibWindowBits = 15;
constexpr int kZlibMemLevel = 8;

// Starts a deflate stream with the reference's level and memory level and the engine's allocator
// (zlib_arena.hpp). `window_bits` negative: a raw deflate stream (no zlib header or trailer).
void init_deflate(z_stream& stream, int window_bits = kZlibWindowBits, int strategy = Z_DEFAULT_STRATEGY,
                  int level = kZlibLevel);

// Feeds `size` bytes into `stream` with `flush`, discarding the output into `sink` (zlib's
// total_out still counts it). Throws DataError on a zlib error.
void deflate_all(z_stream& stream, const std::uint8_t* data, std::size_t size, int flush,
                 std::vector<std::uint8_t>& sink);
inline void deflate_all(z_stream& stream, ByteSpan bytes, int flush, std::vector<std::uint8_t>& sink) {
  deflate_all(stream, bytes.data, bytes.size, flush, sink);
}

// Like deflate_all, but keeps the output: appends it to `out` from `used` on and returns the new
// `used`. `out` only grows.
std::size_t deflate_collect(z_stream& stream, const std::uint8_t* data, std::size_t size, int flush,
                            std::vector<std::uint8_t>& out, std::size_t used);

// Finishes a stream that has seen a group's members so far: `candidate` (after a separator when
// `needs_separator`) and the closing bracket. Returns the group's sizes.
GroupSizes finish_group(z_stream& stream, bool needs_separator, ByteSpan candidate,
                        std::vector<std::uint8_t>& sink);

// Throws std::bad_alloc for Z_MEM_ERROR and DataError naming `what` for any other result but Z_OK.
void check_zlib(int rc, const char* what);

}  // namespace zipcore
