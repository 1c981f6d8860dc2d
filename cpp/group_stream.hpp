// Exact zlib group ratios, computed incrementally.
//
// A group [a, b, c] is compressed as the bytes "[" + r_a + ", " + r_b + ", " + r_c + "]" with
// zlib level 9, window bits 15, memory level 8 (what Python's zlib.compress(b, 9) does). zlib's
// output does not depend on how input is split across deflate(Z_NO_FLUSH) calls, so a stream that
// has consumed "[" + r_a + ", " + r_b can be copied and finished with ", " + r_c + "]": the copy's
// total_out is exactly len(zlib.compress(whole group, 9)). The group prefix (the "anchor") is
// compressed once per change; each candidate costs one state copy plus compressing itself.
#pragma once

#include <cstdint>
#include <vector>

#include <zlib.h>

#include "deflate_tokens.hpp"
#include "group_framing.hpp"
#include "pool_view.hpp"
#include "resumed_parse.hpp"
#include "zlib_arena.hpp"

namespace zipcore {

// The reference's zlib settings, zlib.compress(b, 9): level 9, window bits 15, memory level 8.
// Every stream that stands in for it (resumed_parse.hpp included) must use them.
constexpr int kZlibLevel = 9;
constexpr int kZlibWindowBits = 15;
constexpr int kZlibMemLevel = 8;

class EvalScratch;

// A deflate stream holding the compressed prefix of one group. Not thread-safe to modify;
// safe to read (copy_finish) from many threads at once while unchanged.
class GroupStream {
 public:
  // `threads`: how many threads prepare() may use (2 lets its two updates run side by side).
  explicit GroupStream(int threads = 1);
  ~GroupStream();
  GroupStream(const GroupStream&) = delete;
  GroupStream& operator=(const GroupStream&) = delete;

  // Empties the group (the stream is back to having seen only "[").
  void clear();
  // Appends one member: ", " (unless first) and its bytes.
  void append(ByteSpan member);
  std::size_t members() const { return members_; }
  // Brings the deflate stream and the shortcut (resumed_parse.hpp) up to date after appends.
  // Must be called before sizes_with or sizes_as_is once the group has changed.
  void prepare();

  // Sizes of the group plus `candidate`, from a copy of this stream; this stream is unchanged.
  GroupSizes sizes_with(ByteSpan candidate, EvalScratch& scratch) const;
  // Sizes of the group as it is, from a copy of this stream.
  GroupSizes sizes_as_is(EvalScratch& scratch) const;

 private:
  // Copies this stream into the scratch's arena-backed z_stream.
  z_stream& copy_into(EvalScratch& scratch) const;
  // Feeds the deflate stream what append() queued.
  void flush_appended();
  void require_prepared() const;

  int threads_;
  z_stream stream_{};
  // Appended bytes the deflate stream has not seen yet: prepare() feeds them while the shortcut
  // updates, both being serial work between two parallel scoring passes.
  std::vector<std::uint8_t> appended_;
  ResumedParse resumed_;  // the same input, for the shortcut
  std::size_t members_ = 0;
  std::vector<std::uint8_t> sink_;  // compressed output is only counted, never kept
};

// Per-thread memory for evaluations: the arena for state copies, the copy's z_stream, an output
// sink, and a stream reused for single samples. One per worker thread (see thread_scratch()).
class EvalScratch {
 public:
  EvalScratch();
  ~EvalScratch();
  EvalScratch(const EvalScratch&) = delete;
  EvalScratch& operator=(const EvalScratch&) = delete;

  // Sizes of the one-member group [sample] (stage 1), without any state copy.
  GroupSizes sizes_alone(ByteSpan sample);

  // A copy of `source` in this scratch's arena, valid until the next copy. Never deflateEnd it.
  z_stream& copy_of(const z_stream& source);
  // Buffers for compressed output that is kept, and for the tokens read back from it.
  std::vector<std::uint8_t>& output() { return output_; }
  std::vector<DeflateToken>& tokens() { return tokens_; }

 private:
  friend class GroupStream;
  Arena arena_;
  z_stream copy_{};
  z_stream fresh_{};
  std::vector<std::uint8_t> sink_;
  std::vector<std::uint8_t> output_;
  std::vector<DeflateToken> tokens_;
};

// Checks every shortcut evaluation against the plain one and throws on a difference (tests).
void set_shortcut_verification(bool on);

// Candidate evaluations since the process started, by path (benchmarks and tests).
struct ShortcutCounts {
  std::uint64_t shortcut = 0;
  std::uint64_t plain = 0;
};
ShortcutCounts shortcut_counts();

// The calling thread's scratch, created on first use and kept for the thread's lifetime, so the
// arena's pages stay mapped and warm across calls.
EvalScratch& thread_scratch();

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

// Starts a deflate stream with the reference's level and memory level and the engine's allocator
// (zlib_arena.hpp). `window_bits` negative: a raw deflate stream (no zlib header or trailer).
void init_deflate(z_stream& stream, int window_bits = kZlibWindowBits, int strategy = Z_DEFAULT_STRATEGY);

// Throws std::bad_alloc for Z_MEM_ERROR and DataError naming `what` for any other result but Z_OK.
void check_zlib(int rc, const char* what);

}  // namespace zipcore
