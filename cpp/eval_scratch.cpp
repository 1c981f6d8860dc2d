#include "eval_scratch.hpp"

#include "zlib_stream.hpp"

namespace zipcore {
namespace {

constexpr std::size_t kSinkBytes = 64 * 1024;

}  // namespace

EvalScratch::EvalScratch() : sink_(kSinkBytes) { init_deflate(alone_); }

EvalScratch::~EvalScratch() { deflateEnd(&alone_); }

z_stream& EvalScratch::copy_of(const z_stream& source) {
  arena_.recycle();
  // The copy's allocations come from the arena. The copy is never passed to deflateEnd: the
  // arena is recycled wholesale before the next copy.
  ArenaScope scope(arena_);
  check_zlib(deflateCopy(&copy_, const_cast<z_stream*>(&source)), "deflateCopy");
  return copy_;
}

GroupSizes EvalScratch::sizes_alone(ByteSpan sample) {
  deflateReset(&alone_);
  deflate_all(alone_, kGroupOpen, Z_NO_FLUSH, sink_);
  return finish_group(alone_, false, sample, sink_);
}

EvalScratch& thread_scratch() {
  thread_local EvalScratch scratch;
  return scratch;
}

}  // namespace zipcore
