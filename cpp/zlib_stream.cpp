#include "zlib_stream.hpp"

#include <algorithm>
#include <new>
#include <string>

#include "errors.hpp"
#include "zlib_arena.hpp"

namespace zipcore {
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

void init_deflate(z_stream& stream, int window_bits, int strategy, int level) {
  stream = z_stream{};
  stream.zalloc = zlib_alloc;
  stream.zfree = zlib_free;
  check_zlib(deflateInit2(&stream, level, Z_DEFLATED, window_bits, kZlibMemLevel, strategy), "deflateInit2");
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

// (Framing the three pieces into one deflate() call was measured: no difference.)
GroupSizes finish_group(z_stream& stream, bool needs_separator, ByteSpan candidate,
                        std::vector<std::uint8_t>& sink) {
  if (needs_separator) deflate_all(stream, kGroupSeparator, Z_NO_FLUSH, sink);
  if (candidate.size) deflate_all(stream, candidate, Z_NO_FLUSH, sink);
  deflate_all(stream, kGroupClose, Z_FINISH, sink);
  return {static_cast<std::uint64_t>(stream.total_in), static_cast<std::uint64_t>(stream.total_out)};
}

}  // namespace zipcore
