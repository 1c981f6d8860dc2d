// The exact zlib scorer: GroupStream under the GroupScorer interface.
#pragma once

#include "group_scorer.hpp"
#include "group_stream.hpp"

namespace zipcore {

class ZlibGroupScorer final : public GroupScorer {
 public:
  explicit ZlibGroupScorer(int threads) : stream_(threads) {}
  void clear() override { stream_.clear(); }
  void append(ByteSpan member) override { stream_.append(member); }
  std::size_t members() const override { return stream_.members(); }
  void prepare() override { stream_.prepare(); }
  double ratio_with(ByteSpan candidate) const override;
  double ratio_alone(ByteSpan sample) const override;
  double current_ratio() const override;

 private:
  GroupStream stream_;
};

}  // namespace zipcore
