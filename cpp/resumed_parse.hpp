// Sizing "group + candidate" exactly without re-emitting the group's pending deflate block.
//
// The plain evaluation (GroupStream::sizes_with) copies the group's deflate state and finishes it
// with the candidate. Finishing re-emits the whole pending block, up to 16K tokens of the group,
// for every candidate: about half of an evaluation's time. This is the shortcut.
//
// Two facts about zlib's level-9 matcher make it exact:
//  - Its tokens do not depend on where blocks end, and right after it emits a match it holds no
//    pending decision. From such a point on, its tokens depend only on the 32 KB before the point
//    (the farthest a match can reach) and on the bytes after it; a raw deflate stream given those
//    32 KB as its dictionary produces the very same tokens. The group is cut at such a point, the
//    "resume point", once per change, far enough back (kSettledBytes) that no later byte can change
//    the tokens before it.
//  - A block's size is a function of its token counts (deflate_block_cost.hpp), and blocks end
//    every kTokensPerBlock tokens.
// So per change: count the tokens of the pending block up to the resume point, prime a stream with
// the 32 KB before it and feed it the rest of the group. Per candidate: copy the primed stream,
// finish it with the candidate (fixed-Huffman output, cheap to emit and read back), add those
// tokens to the counts, and size the blocks. Where the size cannot be decided from counts alone (a block
// zlib might store, a block that ends exactly at the end of the stream), the caller falls back to
// the plain evaluation.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include <zlib.h>

#include "deflate_block_cost.hpp"
#include "pool_view.hpp"

namespace zipcore {

class EvalScratch;

class ResumedParse {
 public:
  ResumedParse();
  ~ResumedParse();
  ResumedParse(const ResumedParse&) = delete;
  ResumedParse& operator=(const ResumedParse&) = delete;

  // Starts over with an empty input.
  void clear();
  // Appends input bytes; takes effect at the next update().
  void append(ByteSpan bytes);
  // Moves the resume point as far as the input now allows. Single-threaded.
  void update();

  // The size zlib.compress(level 9) gives the input seen so far followed by `suffix`, if it can be
  // decided here. Thread-safe between updates.
  bool compressed_size_with(std::initializer_list<ByteSpan> suffix, EvalScratch& scratch,
                            std::uint64_t& size) const;

 private:
  // Counts the settled tokens of `tokens` (parsed from the resume point) into the open block and
  // moves the resume point past them; false if it cannot move.
  bool advance(const std::vector<DeflateToken>& tokens);
  // Restarts primed_ at the resume point with the 32 KB before it as its dictionary.
  void prime();
  // Feeds primed_ the input it has not seen (without finishing).
  void feed_unfed();
  ByteSpan unfed() const;  // input after the resume point not yet fed to primed_

  z_stream primed_{};
  std::vector<std::uint8_t> recent_;  // input from recent_start_ on: the dictionary and what follows
  std::uint64_t recent_start_ = 0;
  std::uint64_t input_bytes_ = 0;
  std::uint64_t resume_at_ = 0;          // input offset of the resume point
  BlockCounts pending_;                  // tokens of the open block before the resume point
  std::uint64_t bits_before_block_ = 0;  // header and every closed block
  std::uint64_t fed_bytes_ = 0;          // input after the resume point that primed_ has seen
  bool primed_holds_all_ = true;         // primed_ has emitted nothing: every token is still inside
  bool exact_ = true;                    // false once a closed block's size was undecidable
  bool dirty_ = false;
};

}  // namespace zipcore
