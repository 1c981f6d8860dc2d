#include "zlib_scorer.hpp"

namespace zipcore {

double ZlibGroupScorer::ratio_with(ByteSpan candidate) const {
  return stream_.sizes_with(candidate, thread_scratch()).ratio();
}

double ZlibGroupScorer::ratio_alone(ByteSpan sample) const {
  return thread_scratch().sizes_alone(sample).ratio();
}

double ZlibGroupScorer::current_ratio() const {
  return stream_.sizes_as_is(thread_scratch()).ratio();
}

}  // namespace zipcore
