// deflate_block_cost against zlib itself: for inputs of every kind, the tokens zlib's matcher
// produces are read back from a fixed-Huffman stream (Z_FIXED changes the encoding, never the
// matching), split into blocks where zlib splits them, and sized; zlib's own default-strategy
// stream over the same input must take exactly those bits, unless a block may be stored, when
// zlib may only do better.
#include <zlib.h>

#include <cstdint>
#include <vector>

#include "check.hpp"
#include "deflate_block_cost.hpp"
#include "deflate_tokens.hpp"
#include "zlib_stream.hpp"

namespace {

using zipcore::BlockCost;
using zipcore::BlockCounts;
using zipcore::DeflateToken;

// Raw deflate of `input` primed with `dictionary`, ending with `flush`; the stream is left open.
std::vector<std::uint8_t> deflate_raw(z_stream& stream, int strategy, const std::vector<std::uint8_t>& dictionary,
                                      const std::vector<std::uint8_t>& input, int flush) {
  zipcore::init_deflate(stream, -zipcore::kZlibWindowBits, strategy);
  if (!dictionary.empty()) {
    zipcore::check_zlib(deflateSetDictionary(&stream, dictionary.data(), static_cast<uInt>(dictionary.size())),
                        "deflateSetDictionary");
  }
  std::vector<std::uint8_t> out;
  std::size_t used = zipcore::deflate_collect(stream, input.data(), input.size(), Z_NO_FLUSH, out, 0);
  used = zipcore::deflate_collect(stream, nullptr, 0, flush, out, used);
  out.resize(used);
  return out;
}

// The bits zlib's default strategy spends on the input's blocks (no final padding): the stream
// ends with Z_BLOCK, which completes the last block without aligning it.
std::uint64_t zlib_bits(const std::vector<std::uint8_t>& dictionary, const std::vector<std::uint8_t>& input) {
  z_stream stream;
  const std::vector<std::uint8_t> out = deflate_raw(stream, Z_DEFAULT_STRATEGY, dictionary, input, Z_BLOCK);
  unsigned pending_bytes = 0;
  int pending_bits = 0;
  zipcore::check_zlib(deflatePending(&stream, &pending_bytes, &pending_bits), "deflatePending");
  deflateEnd(&stream);
  return (out.size() + pending_bytes) * 8 + static_cast<std::uint64_t>(pending_bits);
}

bool zlib_tokens(const std::vector<std::uint8_t>& dictionary, const std::vector<std::uint8_t>& input,
                 std::vector<DeflateToken>& tokens) {
  z_stream stream;
  const std::vector<std::uint8_t> out = deflate_raw(stream, Z_FIXED, dictionary, input, Z_FINISH);
  deflateEnd(&stream);
  tokens.clear();
  return zipcore::read_fixed_huffman_tokens(out.data(), out.size(), tokens);
}

struct Tally {
  int exact = 0;     // predicted == zlib's bits
  int storable = 0;  // a block may be stored: zlib's bits <= predicted
  int unreadable = 0;
};

void check_input(const std::vector<std::uint8_t>& dictionary, const std::vector<std::uint8_t>& input, Tally& tally) {
  std::vector<DeflateToken> tokens;
  if (!zlib_tokens(dictionary, input, tokens)) {  // zlib stored a block even under Z_FIXED
    ++tally.unreadable;
    return;
  }
  std::uint64_t input_bytes = 0;
  for (const DeflateToken& t : tokens) input_bytes += t.input_bytes;
  CHECK_EQ(input_bytes, static_cast<std::uint64_t>(input.size()));

  std::uint64_t predicted = 0;
  bool may_be_stored = false;
  BlockCounts block;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    block.add(tokens[i]);
    if (block.tokens == zipcore::kTokensPerBlock || i + 1 == tokens.size()) {
      const BlockCost cost = zipcore::deflate_block_cost(block);
      predicted += cost.bits;
      may_be_stored = may_be_stored || cost.may_be_stored;
      block = BlockCounts{};
    }
  }
  const std::uint64_t actual = zlib_bits(dictionary, input);
  if (may_be_stored) {
    CHECK(actual <= predicted);
    ++tally.storable;
  } else {
    CHECK_EQ(predicted, actual);
    ++tally.exact;
  }
}

}  // namespace

int main() {
  zipcore_test::Random random(20240701);
  Tally tally;
  const std::size_t sizes[] = {1, 2, 3, 10, 100, 258, 259, 1000, 4096, 20000, 70000, 150000};
  for (int kind = 0; kind < 5; ++kind) {
    for (std::size_t size : sizes) {
      check_input({}, zipcore_test::make_input(random, kind, size), tally);
      // Primed with a window, as the shortcut and the chunked measure are.
      const std::vector<std::uint8_t> window = zipcore_test::make_input(random, kind, 1 + random.below(32768));
      check_input(window, zipcore_test::make_input(random, kind, size), tally);
    }
  }
  // Mixed inputs: the block's codes see literals and matches of every length and distance.
  for (int i = 0; i < 60; ++i) {
    std::vector<std::uint8_t> input;
    for (int part = 0; part < 6; ++part) {
      const std::vector<std::uint8_t> piece =
          zipcore_test::make_input(random, static_cast<int>(random.below(5)), 1 + random.below(8000));
      input.insert(input.end(), piece.begin(), piece.end());
    }
    check_input({}, input, tally);
  }
  // Random bytes: zlib stores them, and the cost must have said it might.
  std::vector<std::uint8_t> noise = zipcore_test::make_input(random, 1, 5000);
  BlockCounts literals;
  for (std::uint8_t byte : noise) literals.add(DeflateToken{byte, zipcore::kNoDistance, 1});
  CHECK(zipcore::deflate_block_cost(literals).may_be_stored);

  std::printf("deflate_block_cost: %d inputs exact to the bit, %d with a storable block, %d stored under Z_FIXED\n",
              tally.exact, tally.storable, tally.unreadable);
  CHECK(tally.exact >= 100);
  return zipcore_test::finish("deflate_block_cost");
}
