#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_forceAttachDict
#include "zstd_scorer.hpp"

#include <zstd.h>

#include <cmath>
#include <string>

#include "errors.hpp"
#include "group_framing.hpp"
#include "parallel.hpp"
#include "zstd_group_dictionary.hpp"

namespace zipcore {
namespace {

constexpr std::size_t kOneShotBytes = std::size_t{1} << 20;  // smaller groups: exact one-shot size

std::size_t check(std::size_t rc, const char* what) {
  if (ZSTD_isError(rc)) throw DataError(std::string(what) + " failed: " + ZSTD_getErrorName(rc));
  return rc;
}

// Per-thread compression contexts and buffers, kept for the thread's lifetime.
struct ZstdThreadState {
  ZSTD_CCtx* with_dictionary = nullptr;
  ZSTD_CCtx* alone = nullptr;
  std::vector<std::uint8_t> input;
  std::vector<std::uint8_t> output;

  ZstdThreadState() : with_dictionary(ZSTD_createCCtx()), alone(ZSTD_createCCtx()) {
    if (!with_dictionary || !alone) throw std::bad_alloc();
    // Attaching the dictionary's tables (instead of copying them, zstd's choice for larger
    // inputs) keeps a candidate's cost independent of the group's size.
    check(ZSTD_CCtx_setParameter(with_dictionary, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach),
          "ZSTD_c_forceAttachDict");
    check(ZSTD_CCtx_setParameter(with_dictionary, ZSTD_c_contentSizeFlag, 0), "contentSizeFlag");
    check(ZSTD_CCtx_setParameter(with_dictionary, ZSTD_c_dictIDFlag, 0), "dictIDFlag");
  }
  ~ZstdThreadState() {
    ZSTD_freeCCtx(with_dictionary);
    ZSTD_freeCCtx(alone);
  }

  // Frames `pieces` into `input` and returns its size; sizes `output` for the worst case.
  std::size_t frame(std::initializer_list<ByteSpan> pieces) {
    input.clear();
    for (const ByteSpan& p : pieces) append_bytes(input, p);
    output.resize(ZSTD_compressBound(input.size()));
    return input.size();
  }
};

ZstdThreadState& zstd_thread_state() {
  thread_local ZstdThreadState state;
  return state;
}

}  // namespace

int ZstdGroupScorer::max_level() { return ZSTD_maxCLevel(); }

ZstdGroupScorer::ZstdGroupScorer(const CodecOptions& options)
    : level_(options.level),
      threads_(options.threads),
      window_log_(group_window_log(options.max_group_bytes)) {
  if (level_ < 1 || level_ > ZSTD_maxCLevel()) {
    throw InvalidArgument("zstd level must be 1.." + std::to_string(ZSTD_maxCLevel()) + ", got " +
                          std::to_string(level_));
  }
  stream_ = ZSTD_createCCtx();
  if (!stream_) throw std::bad_alloc();
  clear();
}

ZstdGroupScorer::~ZstdGroupScorer() {
  ZSTD_freeCDict(dictionary_);
  ZSTD_freeCCtx(stream_);
}

void ZstdGroupScorer::restart_stream() {
  check(ZSTD_CCtx_reset(stream_, ZSTD_reset_session_and_parameters), "ZSTD_CCtx_reset");
  check(ZSTD_CCtx_setParameter(stream_, ZSTD_c_compressionLevel, level_), "compressionLevel");
  check(ZSTD_CCtx_setParameter(stream_, ZSTD_c_windowLog, window_log_), "windowLog");
  check(ZSTD_CCtx_setParameter(stream_, ZSTD_c_contentSizeFlag, 0), "contentSizeFlag");
  streamed_ = 0;
  compressed_ = 0;
}

void ZstdGroupScorer::clear() {
  content_.assign(kGroupOpen.data, kGroupOpen.data + kGroupOpen.size);
  members_ = 0;
  restart_stream();
  dirty_ = true;
}

void ZstdGroupScorer::append(ByteSpan member) {
  if (members_ > 0) append_bytes(content_, kGroupSeparator);
  append_bytes(content_, member);
  ++members_;
  dirty_ = true;
}

void ZstdGroupScorer::prepare() {
  if (!dirty_) return;
  // Measuring the group and building its dictionary are independent. Stage 3 prepares U before
  // every pick, on the critical path between two parallel scoring passes: run them side by side.
  run_both(
      threads_,
      [this] {
        if (content_.size() <= kOneShotBytes) {
          compress_in_one_shot();
        } else {
          compress_new_content();
        }
      },
      [this] { rebuild_dictionary(); });
  dirty_ = false;
}

void ZstdGroupScorer::compress_in_one_shot() {
  // Cheap at this size, and exact: a flush per change would add a block (header and tables) each
  // time, which for a small group is more than 1% of its size.
  std::vector<std::uint8_t> sink(ZSTD_compressBound(content_.size()));
  compressed_ = check(ZSTD_compress2(stream_, sink.data(), sink.size(), content_.data(), content_.size()),
                      "ZSTD_compress2");
}

void ZstdGroupScorer::compress_new_content() {
  if (streamed_ == 0) restart_stream();  // the one-shot path used the context in between
  // Feed what is new and flush, so that compressed_ counts every byte of the group. One flush per
  // change costs one block boundary; at this size that is well under 1% of the group.
  std::vector<std::uint8_t> sink(ZSTD_CStreamOutSize());
  ZSTD_inBuffer in{content_.data() + streamed_, content_.size() - streamed_, 0};
  if (streamed_ == 0) compressed_ = 0;
  std::size_t remaining = 0;
  do {
    ZSTD_outBuffer out{sink.data(), sink.size(), 0};
    remaining = check(ZSTD_compressStream2(stream_, &out, &in, ZSTD_e_flush), "ZSTD_compressStream2");
    compressed_ += out.pos;
  } while (remaining != 0 || in.pos < in.size);
  streamed_ = content_.size();
}

void ZstdGroupScorer::rebuild_dictionary() {
  ZSTD_freeCDict(dictionary_);
  // By reference: content_ does not change until the next prepare(), which rebuilds this.
  dictionary_ = build_group_dictionary(content_.data(), content_.size(), level_, window_log_);
  if (!dictionary_) throw DataError("ZSTD_createCDict_advanced2 failed");

  ZstdThreadState& state = zstd_thread_state();
  state.frame({});
  state.output.resize(ZSTD_compressBound(0) + 64);
  check(ZSTD_CCtx_reset(state.with_dictionary, ZSTD_reset_session_only), "ZSTD_CCtx_reset");
  check(ZSTD_CCtx_refCDict(state.with_dictionary, dictionary_), "ZSTD_CCtx_refCDict");
  frame_overhead_ = check(ZSTD_compress2(state.with_dictionary, state.output.data(),
                                         state.output.size(), nullptr, 0), "ZSTD_compress2");
}

double ZstdGroupScorer::ratio_with(ByteSpan candidate) const {
  if (members_ == 0) return ratio_alone(candidate);
  ZstdThreadState& state = zstd_thread_state();
  const std::size_t n = state.frame({kGroupSeparator, candidate, kGroupClose});
  check(ZSTD_CCtx_reset(state.with_dictionary, ZSTD_reset_session_only), "ZSTD_CCtx_reset");
  check(ZSTD_CCtx_refCDict(state.with_dictionary, dictionary_), "ZSTD_CCtx_refCDict");
  const std::size_t size = check(ZSTD_compress2(state.with_dictionary, state.output.data(),
                                                state.output.size(), state.input.data(), n),
                                 "ZSTD_compress2");
  const std::uint64_t conditional = size > frame_overhead_ ? size - frame_overhead_ : 1;
  return GroupSizes{content_.size() + n, compressed_ + conditional}.ratio();
}

double ZstdGroupScorer::ratio_alone(ByteSpan sample) const {
  ZstdThreadState& state = zstd_thread_state();
  const std::size_t n = state.frame({kGroupOpen, sample, kGroupClose});
  const std::size_t size = check(ZSTD_compressCCtx(state.alone, state.output.data(), state.output.size(),
                                                   state.input.data(), n, level_),
                                 "ZSTD_compressCCtx");
  return GroupSizes{n, size}.ratio();
}

double ZstdGroupScorer::current_ratio() const {
  // The closing bracket is not streamed; one byte does not move R.
  return compressed_ ? static_cast<double>(content_.size() + kGroupClose.size) / static_cast<double>(compressed_) : 0.0;
}

}  // namespace zipcore
