// One growing group of samples (the selection S, or stage 3's U) under one codec, and the scores
// ZIP needs from it: the ratio of the group plus one candidate, and the ratio of a sample alone.
// zip_select is written against this interface, so the codecs share one loop and its guarantees.
#pragma once

#include <memory>

#include "pool_view.hpp"

namespace zipcore {

enum class Codec { zlib, zstd };

struct CodecOptions {
  Codec codec = Codec::zlib;
  int level = 9;  // zlib: always 9 (the reference's); zstd: 1..22
  // Upper bound on the group's size in bytes; the zstd scorer sizes its window from it.
  std::size_t max_group_bytes = 0;
  // Threads a scorer may use for its own preparation work (never more than the run's).
  int threads = 1;
};

class GroupScorer {
 public:
  virtual ~GroupScorer() = default;

  // Empties the group.
  virtual void clear() = 0;
  // Appends one member (single-threaded).
  virtual void append(ByteSpan member) = 0;
  virtual std::size_t members() const = 0;
  // Makes the group ready for scoring after changes; called once per change, before scoring.
  virtual void prepare() {}
  // Compression ratio of the group plus `candidate`. Thread-safe once prepared.
  virtual double ratio_with(ByteSpan candidate) const = 0;
  // Compression ratio of the one-member group [sample]. Thread-safe.
  virtual double ratio_alone(ByteSpan sample) const = 0;
  // Ratio of the group as it stands, as a double (for per-round reports). Needs prepare().
  virtual double current_ratio() const = 0;
};

// Validates `options` (throws InvalidArgument) and makes an empty group.
std::unique_ptr<GroupScorer> make_group_scorer(const CodecOptions& options);

}  // namespace zipcore
