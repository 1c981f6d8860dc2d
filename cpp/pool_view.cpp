#include "pool_view.hpp"

#include <string>

#include "errors.hpp"

namespace zipcore {

PoolView::PoolView(const std::uint8_t* data, std::size_t data_size, const std::int64_t* offsets,
                   std::size_t num_samples)
    : data_(data), offsets_(offsets), num_samples_(num_samples) {
  if (offsets_ == nullptr) throw InvalidArgument("pool offsets are missing");
  if (offsets_[0] != 0) throw InvalidArgument("pool offsets must start at 0");
  for (std::size_t i = 0; i < num_samples_; ++i) {
    if (offsets_[i + 1] < offsets_[i]) {
      throw InvalidArgument("pool offsets decrease at index " + std::to_string(i + 1));
    }
  }
  if (static_cast<std::uint64_t>(offsets_[num_samples_]) > data_size) {
    throw InvalidArgument("pool offsets point past the end of the data buffer (" +
                          std::to_string(offsets_[num_samples_]) + " > " +
                          std::to_string(data_size) + " bytes)");
  }
}

}  // namespace zipcore
