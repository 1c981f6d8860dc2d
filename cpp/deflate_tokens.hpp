// The tokens of a deflate stream (literals and length/distance matches), read back from
// fixed-Huffman blocks.
//
// ResumedParse needs to know which tokens zlib's matcher produced for a candidate, not just how
// many bytes they took: it sizes the block they share with the selection itself (see
// deflate_block_cost.hpp). It asks zlib for fixed-Huffman blocks (strategy Z_FIXED, which changes
// only the block encoding, never the matching) because their codes are known in advance, so
// reading the tokens back is a table lookup per token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zipcore {

constexpr std::uint8_t kNoDistance = 0xFF;

// RFC 1951, 3.2.5: extra bits after each length code (257..285) and each distance code (0..29).
inline constexpr std::uint8_t kLengthExtraBits[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
inline constexpr std::uint8_t kDistanceExtraBits[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                        6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

struct DeflateToken {
  std::uint16_t literal_length = 0;    // 0..255 a literal byte, 257..285 a length code
  std::uint8_t distance = kNoDistance; // distance code 0..29 of a match
  std::uint16_t input_bytes = 0;       // bytes of input the token stands for (1 for a literal)
  bool is_match() const { return distance != kNoDistance; }
};

// Appends the tokens of every block of the raw deflate stream `data` (starting at bit 0 and ending
// with a final block) to `tokens`. Returns false, with `tokens` in an unspecified state, when a
// block is not fixed-Huffman (zlib stores a block when that is smaller) or the stream is cut short.
bool read_fixed_huffman_tokens(const std::uint8_t* data, std::size_t size,
                               std::vector<DeflateToken>& tokens);

}  // namespace zipcore
