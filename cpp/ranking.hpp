// Stable ranking by float32 score. The reference ranks with torch.topk, whose order among equal
// scores is arbitrary; zipcore's rule is the stable one: ties keep the order of the list being
// ranked. Real pools have exact ties, so every ranking in the engine goes through here.
#pragma once

#include <cstdint>
#include <vector>

namespace zipcore {

// The k pool indices with the smallest scores[i] among those with eligible[i] != 0, smallest
// first, ties in index order. `k` is clamped to the number eligible.
std::vector<std::int64_t> smallest_eligible(const std::vector<float>& scores,
                                            const std::vector<std::uint8_t>& eligible, std::size_t k);

// The first k positions of `items` ordered by scores_by_position[p] (ascending), ties in position
// order: a stable top-k over a ranked list. Returns the chosen items themselves.
std::vector<std::int64_t> smallest_of_list(const std::vector<std::int64_t>& items,
                                           const std::vector<float>& scores_by_position,
                                           std::size_t k);

}  // namespace zipcore
