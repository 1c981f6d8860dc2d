// Memory for the per-candidate copies of a deflate state.
//
// deflateCopy allocates ~256 KB (window, hash chains, pending buffer) for every copy. With the
// default allocator that costs as much as a third of an evaluation in malloc and page faults.
// Each thread instead owns one pre-touched arena; a copy is bump-allocated from it and the whole
// arena is recycled before the next copy, so an evaluation does no heap allocation at all.
//
// zlib calls the allocator through the *source* stream's hooks (deflateCopy uses the anchor's
// zalloc), so the hooks cannot tell a copy from an anchor by their `opaque` argument. The hooks
// therefore look at a thread-local "active arena": set only while a copy is being made (ArenaScope),
// null otherwise, when they fall back to the heap.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <zlib.h>

namespace zipcore {

class Arena {
 public:
  explicit Arena(std::size_t capacity = kDefaultCapacity);

  void* allocate(std::size_t bytes);
  bool owns(const void* p) const;

  // Forgets every allocation. Overflow blocks are released and the main block grows to the
  // high-water mark, so a zlib build with larger states overflows once, not on every copy.
  void recycle();

 private:
  static constexpr std::size_t kDefaultCapacity = 320 * 1024;
  static constexpr std::size_t kAlign = 64;

  void reserve_main(std::size_t capacity);

  std::unique_ptr<unsigned char[]> main_;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::size_t high_water_ = 0;
  std::vector<std::unique_ptr<unsigned char[]>> overflow_;
  std::vector<std::size_t> overflow_sizes_;
};

// Routes zlib allocations made on this thread to `arena` for the scope's lifetime.
class ArenaScope {
 public:
  explicit ArenaScope(Arena& arena);
  ~ArenaScope();
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  Arena* previous_;
};

// The hooks to install in every z_stream the engine creates (zalloc/zfree).
voidpf zlib_alloc(voidpf opaque, uInt items, uInt size);
void zlib_free(voidpf opaque, voidpf address);

}  // namespace zipcore
