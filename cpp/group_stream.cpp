#include "group_stream.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "errors.hpp"
#include "group_framing.hpp"
#include "parallel.hpp"

namespace zipcore {
namespace {

constexpr std::size_t kSinkBytes = 64 * 1024;

constexpr ByteSpan kNothing{kGroupOpenBytes, 0};

std::atomic<bool> g_verify_shortcut{false};
std::atomic<std::uint64_t> g_shortcut_evaluations{0};
std::atomic<std::uint64_t> g_plain_evaluations{0};

// Finishes a stream that has seen the group's members: the candidate (with its separator when the
// group is not empty) and the closing bracket. (Framing the three pieces into one deflate() call
// was measured: no difference.)
GroupSizes finish_with(z_stream& stream, bool needs_separator, ByteSpan candidate,
                       std::vector<std::uint8_t>& sink) {
  if (needs_separator) deflate_all(stream, kGroupSeparator, Z_NO_FLUSH, sink);
  if (candidate.size) deflate_all(stream, candidate.data, candidate.size, Z_NO_FLUSH, sink);
  deflate_all(stream, kGroupClose, Z_FINISH, sink);
  return {static_cast<std::uint64_t>(stream.total_in), static_cast<std::uint64_t>(stream.total_out)};
}

}  // namespace

namespace {

// The one feeding loop. Output goes to `out` from `used` on; unless `keep`, it is overwritten
// (only zlib's total_out counts it) and `out` never grows.
std::size_t feed(z_stream& stream, const std::uint8_t* data, std::size_t size, int flush,
                 std::vector<std::uint8_t>& out, std::size_t used, bool keep) {
  // avail_in is 32-bit: feed huge inputs in slices (the split does not change the output).
  constexpr std::size_t kSlice = std::size_t{1} << 30;
  constexpr std::size_t kMinRoom = 4096;
  do {
    const std::size_t slice = size < kSlice ? size : kSlice;
    const int mode = slice == size ? flush : Z_NO_FLUSH;
    stream.next_in = const_cast<Bytef*>(data);
    stream.avail_in = static_cast<uInt>(slice);
    int rc = Z_OK;
    do {
      if (!keep) used = 0;
      if (out.size() - used < kMinRoom) out.resize(out.size() * 2 + kMinRoom);
      const std::size_t room = std::min<std::size_t>(out.size() - used, kSlice);
      stream.next_out = out.data() + used;
      stream.avail_out = static_cast<uInt>(room);
      rc = deflate(&stream, mode);
      if (rc == Z_STREAM_ERROR) throw DataError("deflate failed (stream error)");
      used += room - stream.avail_out;
    } while (stream.avail_out == 0 || (mode == Z_FINISH && rc != Z_STREAM_END));
    data += slice;
    size -= slice;
  } while (size > 0);
  return keep ? used : 0;
}

}  // namespace

void init_deflate(z_stream& stream, int window_bits, int strategy) {
  stream = z_stream{};
  stream.zalloc = zlib_alloc;
  stream.zfree = zlib_free;
  check_zlib(deflateInit2(&stream, kZlibLevel, Z_DEFLATED, window_bits, kZlibMemLevel, strategy), "deflateInit2");
}

void check_zlib(int rc, const char* what) {
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw DataError(std::string(what) + " failed with code " + std::to_string(rc));
}

void deflate_all(z_stream& stream, const std::uint8_t* data, std::size_t size, int flush,
                 std::vector<std::uint8_t>& sink) {
  feed(stream, data, size, flush, sink, 0, false);
}

std::size_t deflate_collect(z_stream& stream, const std::uint8_t* data, std::size_t size, int flush,
                            std::vector<std::uint8_t>& out, std::size_t used) {
  return feed(stream, data, size, flush, out, used, true);
}

void set_shortcut_verification(bool on) { g_verify_shortcut = on; }

ShortcutCounts shortcut_counts() { return {g_shortcut_evaluations.load(), g_plain_evaluations.load()}; }

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
  if (resumed_.compressed_size_with({separated ? kGroupSeparator : kNothing, candidate, kGroupClose},
                                    scratch, compressed)) {
    if (g_verify_shortcut) {
      const GroupSizes plain = finish_with(copy_into(scratch), separated, candidate, scratch.sink_);
      if (plain.raw != raw || plain.compressed != compressed) {
        throw DataError("internal error: the zlib shortcut sized a group at " + std::to_string(compressed) +
                        " bytes, zlib at " + std::to_string(plain.compressed));
      }
    }
    g_shortcut_evaluations.fetch_add(1, std::memory_order_relaxed);
    return {raw, compressed};
  }
  g_plain_evaluations.fetch_add(1, std::memory_order_relaxed);
  return finish_with(copy_into(scratch), separated, candidate, scratch.sink_);
}

GroupSizes GroupStream::sizes_as_is(EvalScratch& scratch) const {
  z_stream& copy = copy_into(scratch);
  deflate_all(copy, kGroupClose, Z_FINISH, scratch.sink_);
  return {static_cast<std::uint64_t>(copy.total_in), static_cast<std::uint64_t>(copy.total_out)};
}

EvalScratch::EvalScratch() : sink_(kSinkBytes) { init_deflate(fresh_); }

EvalScratch::~EvalScratch() { deflateEnd(&fresh_); }

z_stream& EvalScratch::copy_of(const z_stream& source) {
  arena_.recycle();
  // The copy's allocations come from the arena. The copy is never passed to deflateEnd: the
  // arena is recycled wholesale before the next copy.
  ArenaScope scope(arena_);
  check_zlib(deflateCopy(&copy_, const_cast<z_stream*>(&source)), "deflateCopy");
  return copy_;
}

GroupSizes EvalScratch::sizes_alone(ByteSpan sample) {
  deflateReset(&fresh_);
  deflate_all(fresh_, kGroupOpen, Z_NO_FLUSH, sink_);
  return finish_with(fresh_, false, sample, sink_);
}

EvalScratch& thread_scratch() {
  thread_local EvalScratch scratch;
  return scratch;
}

}  // namespace zipcore
