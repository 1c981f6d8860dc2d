#include "group_stream.hpp"

#include <string>

#include "errors.hpp"

namespace zipcore {
namespace {

constexpr int kLevel = 9;
constexpr int kWindowBits = 15;
constexpr int kMemLevel = 8;
constexpr std::size_t kSinkBytes = 64 * 1024;

const std::uint8_t kOpen[] = {'['};
const std::uint8_t kSeparator[] = {',', ' '};
const std::uint8_t kClose[] = {']'};

void init_stream(z_stream& stream) {
  stream = z_stream{};
  stream.zalloc = zlib_alloc;
  stream.zfree = zlib_free;
  const int rc = deflateInit2(&stream, kLevel, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw DataError("deflateInit2 failed with code " + std::to_string(rc));
}

// Finishes a stream that has seen the group's members: the candidate (with its separator when the
// group is not empty) and the closing bracket. (Framing the three pieces into one deflate() call
// was measured: no difference.)
GroupSizes finish_with(z_stream& stream, bool needs_separator, ByteSpan candidate,
                       std::vector<std::uint8_t>& sink) {
  if (needs_separator) deflate_all(stream, kSeparator, sizeof kSeparator, Z_NO_FLUSH, sink);
  if (candidate.size) deflate_all(stream, candidate.data, candidate.size, Z_NO_FLUSH, sink);
  deflate_all(stream, kClose, sizeof kClose, Z_FINISH, sink);
  return {static_cast<std::uint64_t>(stream.total_in), static_cast<std::uint64_t>(stream.total_out)};
}

}  // namespace

int deflate_all(z_stream& stream, const std::uint8_t* data, std::size_t size, int flush,
                std::vector<std::uint8_t>& sink) {
  // avail_in is 32-bit: feed huge samples in slices (the split does not change the output).
  constexpr std::size_t kSlice = std::size_t{1} << 30;
  int rc = Z_OK;
  do {
    const std::size_t slice = size < kSlice ? size : kSlice;
    const bool last = slice == size;
    stream.next_in = const_cast<Bytef*>(data);
    stream.avail_in = static_cast<uInt>(slice);
    const int mode = last ? flush : Z_NO_FLUSH;
    do {
      stream.next_out = sink.data();
      stream.avail_out = static_cast<uInt>(sink.size());
      rc = deflate(&stream, mode);
      if (rc == Z_STREAM_ERROR) throw DataError("deflate failed (stream error)");
    } while (stream.avail_out == 0 || (mode == Z_FINISH && rc != Z_STREAM_END));
    data += slice;
    size -= slice;
  } while (size > 0);
  return rc;
}

GroupStream::GroupStream() : sink_(kSinkBytes) {
  init_stream(stream_);
  deflate_all(stream_, kOpen, sizeof kOpen, Z_NO_FLUSH, sink_);
}

GroupStream::~GroupStream() { deflateEnd(&stream_); }

void GroupStream::clear() {
  deflateReset(&stream_);
  members_ = 0;
  deflate_all(stream_, kOpen, sizeof kOpen, Z_NO_FLUSH, sink_);
}

void GroupStream::append(ByteSpan member) {
  if (members_ > 0) deflate_all(stream_, kSeparator, sizeof kSeparator, Z_NO_FLUSH, sink_);
  if (member.size) deflate_all(stream_, member.data, member.size, Z_NO_FLUSH, sink_);
  ++members_;
}

z_stream& GroupStream::copy_into(EvalScratch& scratch) const {
  scratch.arena_.recycle();
  // The copy's allocations come from the arena. The copy is never passed to deflateEnd: the
  // arena is recycled wholesale before the next copy.
  ArenaScope scope(scratch.arena_);
  const int rc = deflateCopy(&scratch.copy_, const_cast<z_stream*>(&stream_));
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw DataError("deflateCopy failed with code " + std::to_string(rc));
  return scratch.copy_;
}

GroupSizes GroupStream::sizes_with(ByteSpan candidate, EvalScratch& scratch) const {
  return finish_with(copy_into(scratch), members_ > 0, candidate, scratch.sink_);
}

GroupSizes GroupStream::sizes_as_is(EvalScratch& scratch) const {
  z_stream& copy = copy_into(scratch);
  deflate_all(copy, kClose, sizeof kClose, Z_FINISH, scratch.sink_);
  return {static_cast<std::uint64_t>(copy.total_in), static_cast<std::uint64_t>(copy.total_out)};
}

GroupSizes GroupStream::finish() {
  deflate_all(stream_, kClose, sizeof kClose, Z_FINISH, sink_);
  return {static_cast<std::uint64_t>(stream_.total_in), static_cast<std::uint64_t>(stream_.total_out)};
}

EvalScratch::EvalScratch() : sink_(kSinkBytes) { init_stream(fresh_); }

EvalScratch::~EvalScratch() { deflateEnd(&fresh_); }

GroupSizes EvalScratch::sizes_alone(ByteSpan sample) {
  deflateReset(&fresh_);
  deflate_all(fresh_, kOpen, sizeof kOpen, Z_NO_FLUSH, sink_);
  return finish_with(fresh_, false, sample, sink_);
}

EvalScratch& thread_scratch() {
  thread_local EvalScratch scratch;
  return scratch;
}

}  // namespace zipcore
