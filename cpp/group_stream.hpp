// The exact zlib scorer: a group's deflate stream, kept up to date as members are added.
//
// A group [a, b, c] is compressed as the bytes "[" + r_a + ", " + r_b + ", " + r_c + "]"
// (group_framing.hpp) with the reference's zlib settings (zlib_stream.hpp). zlib's output does not
// depend on how input is split across deflate(Z_NO_FLUSH) calls, so a stream that has consumed
// "[" + r_a + ", " + r_b can be copied and finished with ", " + r_c + "]": the copy's total_out is
// exactly len(zlib.compress(whole group, 9)). The group prefix (the "anchor") is compressed once
// per change; each candidate costs one state copy plus compressing itself, or less where the
// shortcut (resumed_parse.hpp) can size it from token counts.
#pragma once

#include <cstdint>
#include <vector>

#include <zlib.h>

#include "group_framing.hpp"
#include "group_scorer.hpp"
#include "pool_view.hpp"
#include "resumed_parse.hpp"

namespace zipcore {

class EvalScratch;

// Not thread-safe to modify; safe to score from many threads at once while unchanged.
class GroupStream final : public GroupScorer {
 public:
  // `threads`: how many threads prepare() may use (2 lets its two updates run side by side).
  explicit GroupStream(int threads = 1);
  ~GroupStream() override;
  GroupStream(const GroupStream&) = delete;
  GroupStream& operator=(const GroupStream&) = delete;

  // Empties the group (the stream is back to having seen only "[").
  void clear() override;
  // Appends one member: ", " (unless first) and its bytes.
  void append(ByteSpan member) override;
  std::size_t members() const override { return members_; }
  // Brings the deflate stream and the shortcut up to date after appends. Must be called before
  // scoring once the group has changed.
  void prepare() override;

  // GroupScorer's ratios, from the sizes below with the calling thread's scratch.
  double ratio_with(ByteSpan candidate) const override;
  double ratio_alone(ByteSpan sample) const override;
  double current_ratio() const override;

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

}  // namespace zipcore
