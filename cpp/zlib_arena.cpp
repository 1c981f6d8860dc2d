#include "zlib_arena.hpp"

#include <cstdlib>
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace zipcore {
namespace {

thread_local Arena* t_active_arena = nullptr;

std::size_t round_up(std::size_t n, std::size_t align) { return (n + align - 1) / align * align; }

}  // namespace

Arena::Arena(std::size_t capacity) { reserve_main(capacity); }

void Arena::reserve_main(std::size_t capacity) {
  main_.reset(new unsigned char[capacity + kAlign]);
  // Touch every page now: the first copy must not pay for page faults either.
  std::memset(main_.get(), 0, capacity + kAlign);
  capacity_ = capacity;
  used_ = 0;
}

void* Arena::allocate(std::size_t bytes) {
  const std::size_t size = round_up(bytes, kAlign);
  auto base = reinterpret_cast<std::uintptr_t>(main_.get());
  const std::size_t skew = round_up(base, kAlign) - base;
  if (used_ + size <= capacity_) {
    void* p = main_.get() + skew + used_;
    used_ += size;
    high_water_ = std::max(high_water_, used_);
    return p;
  }
  high_water_ = std::max(high_water_, used_ + size);
  overflow_.emplace_back(new unsigned char[bytes]);
  overflow_sizes_.push_back(bytes);
  return overflow_.back().get();
}

bool Arena::owns(const void* p) const {
  const auto* c = static_cast<const unsigned char*>(p);
  if (c >= main_.get() && c < main_.get() + capacity_ + kAlign) return true;
  for (std::size_t i = 0; i < overflow_.size(); ++i) {
    if (c >= overflow_[i].get() && c < overflow_[i].get() + overflow_sizes_[i]) return true;
  }
  return false;
}

void Arena::recycle() {
  if (!overflow_.empty()) {
    overflow_.clear();
    overflow_sizes_.clear();
    reserve_main(round_up(high_water_, 4096));
  }
  used_ = 0;
}

ArenaScope::ArenaScope(Arena& arena) : previous_(t_active_arena) { t_active_arena = &arena; }

ArenaScope::~ArenaScope() { t_active_arena = previous_; }

voidpf zlib_alloc(voidpf /*opaque*/, uInt items, uInt size) {
  const std::size_t bytes = static_cast<std::size_t>(items) * size;
  if (t_active_arena != nullptr) return t_active_arena->allocate(bytes);
  return std::calloc(items, size);
}

void zlib_free(voidpf /*opaque*/, voidpf address) {
  // Arena memory is released wholesale by Arena::recycle, never piece by piece.
  if (t_active_arena != nullptr && t_active_arena->owns(address)) return;
  std::free(address);
}

}  // namespace zipcore
