#include "group_stream.hpp"

#include <stdexcept>
#include <string>

#include "errors.hpp"
#include "eval_scratch.hpp"
#include "parallel.hpp"
#include "test_switches.hpp"
#include "zlib_stream.hpp"

namespace zipcore {
namespace {

constexpr std::size_t kSinkBytes = 64 * 1024;
constexpr ByteSpan kNoSeparator{kGroupSeparatorBytes, 0};

}  // namespace

GroupStream::GroupStream(int threads) : threads_(threads), sink_(kSinkBytes) {
  init_deflate(stream_);
  deflate_all(stream_, kGroupOpen, Z_NO_FLUSH, sink_);
  resumed_.append(kGroupOpen);
}

GroupStream::~GroupStream() { deflateEnd(&stream_); }

void GroupStream::clear() {
  deflateReset(&stream_);
  members_ = 0;
  appended_.clear();
  deflate_all(stream_, kGroupOpen, Z_NO_FLUSH, sink_);
  resumed_.clear();
  resumed_.append(kGroupOpen);
}

void GroupStream::append(ByteSpan member) {
  if (members_ > 0) {
    append_bytes(appended_, kGroupSeparator);
    resumed_.append(kGroupSeparator);
  }
  append_bytes(appended_, member);
  resumed_.append(member);
  ++members_;
}

void GroupStream::prepare() {
  run_both(threads_, [this] { flush_appended(); }, [this] { resumed_.update(); });
}

void GroupStream::flush_appended() {
  if (!appended_.empty()) deflate_all(stream_, appended_.data(), appended_.size(), Z_NO_FLUSH, sink_);
  appended_.clear();
}

void GroupStream::require_prepared() const {
  if (!appended_.empty()) throw std::logic_error("GroupStream: prepare() was not called after append()");
}

z_stream& GroupStream::copy_into(EvalScratch& scratch) const {
  require_prepared();
  return scratch.copy_of(stream_);
}

GroupSizes GroupStream::sizes_with(ByteSpan candidate, EvalScratch& scratch) const {
  require_prepared();
  const bool separated = members_ > 0;
  const std::uint64_t raw =
      stream_.total_in + (separated ? kGroupSeparator.size : 0u) + candidate.size + kGroupClose.size;
  std::uint64_t compressed = 0;
  if (resumed_.compressed_size_with({separated ? kGroupSeparator : kNoSeparator, candidate, kGroupClose},
                                    scratch, compressed)) {
    if (shortcut_verification()) {
      const GroupSizes plain = finish_group(copy_into(scratch), separated, candidate, scratch.sink());
      if (plain.raw != raw || plain.compressed != compressed) {
        throw DataError("internal error: the zlib shortcut sized a group at " + std::to_string(compressed) +
                        " bytes, zlib at " + std::to_string(plain.compressed));
      }
    }
    count_evaluation(true);
    return {raw, compressed};
  }
  count_evaluation(false);
  return finish_group(copy_into(scratch), separated, candidate, scratch.sink());
}

GroupSizes GroupStream::sizes_as_is(EvalScratch& scratch) const {
  z_stream& copy = copy_into(scratch);
  deflate_all(copy, kGroupClose, Z_FINISH, scratch.sink());
  return {static_cast<std::uint64_t>(copy.total_in), static_cast<std::uint64_t>(copy.total_out)};
}

double GroupStream::ratio_with(ByteSpan candidate) const { return sizes_with(candidate, thread_scratch()).ratio(); }

double GroupStream::ratio_alone(ByteSpan sample) const { return thread_scratch().sizes_alone(sample).ratio(); }

double GroupStream::current_ratio() const { return sizes_as_is(thread_scratch()).ratio(); }

}  // namespace zipcore
