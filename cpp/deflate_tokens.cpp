#include "deflate_tokens.hpp"

#include <array>
#include <iterator>

namespace zipcore {
namespace {

constexpr std::uint16_t kEndOfBlock = 256;
constexpr int kLiteralLengthPeekBits = 9;  // the longest fixed literal/length code

constexpr std::array<std::uint16_t, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10,  11,  13,
                                                       15, 17, 19, 23, 27, 31, 35, 43,  51,  59,
                                                       67, 83, 99, 115, 131, 163, 195, 227, 258};

unsigned reverse_bits(unsigned code, int length) {
  unsigned reversed = 0;
  for (int i = 0; i < length; ++i, code >>= 1) reversed = (reversed << 1) | (code & 1u);
  return reversed;
}

// Deflate packs Huffman codes most significant bit first into a least-significant-first bit
// stream, so the table is indexed by the next 9 stream bits and holds (symbol, code length).
struct FixedCodeTable {
  std::array<std::uint16_t, 1u << kLiteralLengthPeekBits> symbol{};
  std::array<std::uint8_t, 1u << kLiteralLengthPeekBits> length{};
  std::array<std::uint8_t, 32> distance{};

  FixedCodeTable() {
    // RFC 1951, 3.2.6: the fixed literal/length code, as (first symbol, count, length, first code).
    struct Range { unsigned first_symbol, count, bits, first_code; };
    constexpr Range ranges[] = {{0, 144, 8, 0x30}, {144, 112, 9, 0x190}, {256, 24, 7, 0x00}, {280, 8, 8, 0xC0}};
    for (const Range& r : ranges) {
      for (unsigned i = 0; i < r.count; ++i) {
        const unsigned stream_bits = reverse_bits(r.first_code + i, static_cast<int>(r.bits));
        for (unsigned high = 0; high < (1u << (kLiteralLengthPeekBits - r.bits)); ++high) {
          const unsigned index = stream_bits | (high << r.bits);
          symbol[index] = static_cast<std::uint16_t>(r.first_symbol + i);
          length[index] = static_cast<std::uint8_t>(r.bits);
        }
      }
    }
    for (unsigned code = 0; code < 32; ++code) distance[reverse_bits(code, 5)] = static_cast<std::uint8_t>(code);
  }
};

const FixedCodeTable& fixed_codes() {
  static const FixedCodeTable table;
  return table;
}

// Least-significant-bit-first reader that refuses to read past the end.
class BitReader {
 public:
  BitReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  // The next `count` (<= 16) bits without consuming them; bits past the end read as zero.
  unsigned peek(int count) {
    while (available_ < count) {
      const unsigned byte = next_ < size_ ? data_[next_] : 0u;
      ++next_;
      buffer_ |= static_cast<std::uint64_t>(byte) << available_;
      available_ += 8;
    }
    return static_cast<unsigned>(buffer_ & ((std::uint64_t{1} << count) - 1));
  }
  void skip(int count) {
    buffer_ >>= count;
    available_ -= count;
  }
  unsigned take(int count) {
    const unsigned bits = peek(count);
    skip(count);
    return bits;
  }
  // True once a consumed bit lay past the end of the data.
  bool overran() const { return next_ * 8 > size_ * 8 + static_cast<std::size_t>(available_); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t next_ = 0;
  std::uint64_t buffer_ = 0;
  int available_ = 0;
};

enum class BlockEnd { more_blocks, final_block, unreadable };

BlockEnd read_block(BitReader& bits, std::vector<DeflateToken>& tokens) {
  const FixedCodeTable& table = fixed_codes();
  const bool final = bits.take(1) != 0;
  if (bits.take(2) != 1) return BlockEnd::unreadable;  // stored (0) or dynamic (2)
  for (;;) {
    const unsigned peeked = bits.peek(kLiteralLengthPeekBits);
    const std::uint16_t symbol = table.symbol[peeked];
    bits.skip(table.length[peeked]);
    if (symbol < kEndOfBlock) {
      tokens.push_back({symbol, kNoDistance, 1});
      continue;
    }
    if (symbol == kEndOfBlock) break;
    const unsigned length_index = symbol - 257u;
    if (length_index >= std::size(kLengthBase)) return BlockEnd::unreadable;
    const unsigned length = kLengthBase[length_index] + bits.take(kLengthExtraBits[length_index]);
    const std::uint8_t distance = table.distance[bits.take(5)];
    if (distance >= std::size(kDistanceExtraBits)) return BlockEnd::unreadable;
    bits.take(kDistanceExtraBits[distance]);
    tokens.push_back({symbol, distance, static_cast<std::uint16_t>(length)});
    if (bits.overran()) return BlockEnd::unreadable;
  }
  if (bits.overran()) return BlockEnd::unreadable;
  return final ? BlockEnd::final_block : BlockEnd::more_blocks;
}

}  // namespace

bool read_fixed_huffman_tokens(const std::uint8_t* data, std::size_t size,
                               std::vector<DeflateToken>& tokens) {
  BitReader bits(data, size);
  for (;;) {
    switch (read_block(bits, tokens)) {
      case BlockEnd::final_block: return true;
      case BlockEnd::unreadable: return false;
      case BlockEnd::more_blocks: break;
    }
  }
}

}  // namespace zipcore
