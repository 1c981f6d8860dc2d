// The zstd scorer: sees redundancy across the selection's last 16 MiB (levels 1-4) or all of it
// (levels 5 and up), not just zlib's last 32 KB.
//
// A candidate's score is (raw bytes of group + candidate) / (compressed size of the group +
// compressed size of the candidate given the group):
//   - the group's own compressed size is its one-shot size while the group is under 1 MiB, then
//     comes from a streaming compressor fed each new member once and flushed once per change
//     (so the reported R stays within 1% of one-shot compression);
//   - "given the group" is a zstd raw-content dictionary built from the group's bytes once per
//     change (prepare()) and shared read-only by every thread; the candidate is compressed with it
//     attached, never recompressing the group. The frame's constant overhead (header and empty
//     block, measured once per dictionary) is subtracted, since a one-shot compression of the
//     whole group would not pay it per member.
// The window and the dictionary's hash tables are sized to cover the largest possible group, up
// to zstd's 2 GiB window (window log 31); content older than the window is not matched. At
// levels 1-4 the dictionary holds only the group's last 16 MiB (zstd_group_dictionary.hpp says
// why): there a build costs the same however large the selection, while at higher levels each
// change pays a build that grows with the group.
#pragma once

#include <cstdint>
#include <vector>

#include "group_scorer.hpp"

struct ZSTD_CCtx_s;
struct ZSTD_CDict_s;

namespace zipcore {

class ZstdGroupScorer final : public GroupScorer {
 public:
  explicit ZstdGroupScorer(const CodecOptions& options);
  ~ZstdGroupScorer() override;
  ZstdGroupScorer(const ZstdGroupScorer&) = delete;
  ZstdGroupScorer& operator=(const ZstdGroupScorer&) = delete;

  void clear() override;
  void append(ByteSpan member) override;
  std::size_t members() const override { return members_; }
  void prepare() override;
  double ratio_with(ByteSpan candidate) const override;
  double ratio_alone(ByteSpan sample) const override;
  double current_ratio() const override;

  static int max_level();

 private:
  void restart_stream();
  void compress_in_one_shot();
  void compress_new_content();
  void rebuild_dictionary();

  int level_;
  int threads_;
  int window_log_;
  std::vector<std::uint8_t> content_;  // "[" + r_1 + ", " + r_2 ...
  std::size_t members_ = 0;
  ZSTD_CCtx_s* stream_ = nullptr;  // compresses content_ (one shot or incrementally), output counted
  std::size_t streamed_ = 0;       // bytes of content_ already fed to stream_ as a stream
  std::uint64_t compressed_ = 0;   // stream_ output so far (after the last flush)
  ZSTD_CDict_s* dictionary_ = nullptr;
  std::uint64_t frame_overhead_ = 0;
  bool dirty_ = true;
};

}  // namespace zipcore
