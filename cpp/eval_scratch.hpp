// Per-thread memory for candidate evaluations.
//
// A zlib evaluation copies a deflate state (about 256 KB) and finishes the copy; the shortcut
// (resumed_parse.hpp) also keeps the copy's output and reads its tokens back. Allocating that per
// evaluation would cost as much as a third of the evaluation, so each worker thread owns one
// EvalScratch for its lifetime: the arena the copies live in, the copy itself, output buffers, and
// a stream reused for samples scored alone.
#pragma once

#include <cstdint>
#include <vector>

#include <zlib.h>

#include "deflate_tokens.hpp"
#include "group_framing.hpp"
#include "pool_view.hpp"
#include "zlib_arena.hpp"

namespace zipcore {

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
  // Where output that is only counted goes.
  std::vector<std::uint8_t>& sink() { return sink_; }
  // Buffers for compressed output that is kept, and for the tokens read back from it.
  std::vector<std::uint8_t>& output() { return output_; }
  std::vector<DeflateToken>& tokens() { return tokens_; }

 private:
  Arena arena_;
  z_stream copy_{};
  z_stream alone_{};  // reset for every sample scored alone
  std::vector<std::uint8_t> sink_;
  std::vector<std::uint8_t> output_;
  std::vector<DeflateToken> tokens_;
};

// The calling thread's scratch, created on first use and kept for the thread's lifetime, so the
// arena's pages stay mapped and warm across calls.
EvalScratch& thread_scratch();

}  // namespace zipcore
