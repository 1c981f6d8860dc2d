// The size zlib gives a deflate block, computed from the block's symbol counts, without emitting it.
//
// When zlib ends a block it builds Huffman codes for the block's symbol counts, computes the sizes
// of a dynamic-Huffman, a fixed-Huffman and a stored encoding, and emits the smallest. Sizing a
// candidate the plain way re-emits every symbol of the selection's pending block, up to 16K of
// them, for each candidate; this file does zlib's size computation instead (RFC 1951 codes built
// the way zlib's trees.c builds them: the same heap order and tie-breaks, the same code-length
// limiting, the same code-length run encoding), so the result is zlib's to the bit.
#pragma once

#include <array>
#include <cstdint>

#include "deflate_tokens.hpp"

namespace zipcore {

constexpr int kLiteralLengthCodes = 286;  // 0..255 literals, 256 end of block, 257..285 lengths
constexpr int kDistanceCodes = 30;
// zlib (memLevel 8) ends a block once it holds this many tokens.
constexpr std::uint32_t kTokensPerBlock = (1u << 14) - 1;

// The tokens of one block, as zlib's encoder counts them.
struct BlockCounts {
  std::array<std::uint32_t, kLiteralLengthCodes> literal_length{};
  std::array<std::uint32_t, kDistanceCodes> distance{};
  std::uint32_t tokens = 0;
  std::uint64_t input_bytes = 0;  // what a stored block would hold

  void add(const DeflateToken& token) {
    ++literal_length[token.literal_length];
    if (token.is_match()) ++distance[token.distance];
    ++tokens;
    input_bytes += token.input_bytes;
  }
};

struct BlockCost {
  std::uint64_t bits = 0;  // the block as zlib emits it, 3-bit header included
  // zlib would store the block instead if it can still see the block's input; whether it can
  // depends on state outside the counts, so the caller must not trust `bits`.
  bool may_be_stored = false;
};

// What zlib's _tr_flush_block emits for a block with these counts (default strategy).
BlockCost deflate_block_cost(const BlockCounts& counts);

}  // namespace zipcore
