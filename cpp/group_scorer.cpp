#include "group_scorer.hpp"

#include <string>

#include "errors.hpp"
#include "group_stream.hpp"
#include "zstd_scorer.hpp"

namespace zipcore {

std::unique_ptr<GroupScorer> make_group_scorer(const CodecOptions& options) {
  switch (options.codec) {
    case Codec::zlib:
      // Level 9 is what the reference compresses with; any other level would not be ZIP.
      if (options.level != 9) {
        throw InvalidArgument("the zlib codec is exact at level 9 only, got level " +
                              std::to_string(options.level));
      }
      return std::make_unique<GroupStream>(options.threads);
    case Codec::zstd:
      return std::make_unique<ZstdGroupScorer>(options);
  }
  throw InvalidArgument("unknown codec");
}

}  // namespace zipcore
