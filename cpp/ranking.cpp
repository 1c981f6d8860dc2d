#include "ranking.hpp"

#include <algorithm>
#include <numeric>

namespace zipcore {

std::vector<std::int64_t> smallest_eligible(const std::vector<float>& scores,
                                            const std::vector<std::uint8_t>& eligible, std::size_t k) {
  std::vector<std::int64_t> pool;
  pool.reserve(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (eligible[i]) pool.push_back(static_cast<std::int64_t>(i));
  }
  // (score, index) is a strict total order, so selecting then sorting equals a stable sort.
  auto before = [&](std::int64_t a, std::int64_t b) {
    return scores[a] < scores[b] || (scores[a] == scores[b] && a < b);
  };
  k = std::min(k, pool.size());
  std::nth_element(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(k), pool.end(), before);
  pool.resize(k);
  std::sort(pool.begin(), pool.end(), before);
  return pool;
}

std::vector<std::int64_t> smallest_of_list(const std::vector<std::int64_t>& items,
                                           const std::vector<float>& scores_by_position,
                                           std::size_t k) {
  std::vector<std::size_t> positions(items.size());
  std::iota(positions.begin(), positions.end(), std::size_t{0});
  std::stable_sort(positions.begin(), positions.end(), [&](std::size_t a, std::size_t b) {
    return scores_by_position[a] < scores_by_position[b];
  });
  k = std::min(k, positions.size());
  std::vector<std::int64_t> chosen(k);
  for (std::size_t j = 0; j < k; ++j) chosen[j] = items[positions[j]];
  return chosen;
}

}  // namespace zipcore
