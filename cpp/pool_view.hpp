// A pool of samples held once, contiguously: one byte buffer and N+1 offsets. The view owns
// nothing, so a numpy or Arrow buffer is used in place, without a copy per sample.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zipcore {

// The bytes of one sample: a pointer into the pool's buffer and a length.
struct ByteSpan {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

class PoolView {
 public:
  // Validates that offsets start at 0, never decrease and end inside the buffer; throws
  // InvalidArgument naming the first bad offset otherwise.
  PoolView(const std::uint8_t* data, std::size_t data_size, const std::int64_t* offsets,
           std::size_t num_samples);

  std::size_t size() const { return num_samples_; }
  std::size_t total_bytes() const { return static_cast<std::size_t>(offsets_[num_samples_]); }

  ByteSpan sample(std::size_t i) const {
    const auto begin = static_cast<std::size_t>(offsets_[i]);
    return {data_ + begin, static_cast<std::size_t>(offsets_[i + 1]) - begin};
  }

 private:
  const std::uint8_t* data_;
  const std::int64_t* offsets_;
  std::size_t num_samples_;
};

}  // namespace zipcore
