#include "deflate_block_cost.hpp"

#include <algorithm>

namespace zipcore {
namespace {

constexpr int kEndOfBlock = 256;
constexpr int kFirstLengthCode = 257;
constexpr int kCodeLengthCodes = 19;
constexpr int kMaxCodeBits = 15;
constexpr int kMaxCodeLengthBits = 7;
// zlib keeps one heap for all three trees, sized for the largest; heap positions (and with them
// the order in which code lengths are reassigned after limiting) are counted from its top.
constexpr int kHeapSize = 2 * kLiteralLengthCodes + 1;
constexpr int kRepeatPrevious = 16;  // code-length codes for runs (RFC 1951, 3.2.7)
constexpr int kRepeatZero3To10 = 17;
constexpr int kRepeatZero11To138 = 18;

constexpr std::uint8_t kCodeLengthExtraBits[kCodeLengthCodes] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                                 0, 0, 0, 0, 0, 0, 2, 3, 7};
// The order code-length code lengths are sent in; trailing zeros in this order are not sent.
constexpr std::uint8_t kCodeLengthOrder[kCodeLengthCodes] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                             11, 4,  12, 3, 13, 2, 14, 1, 15};

int fixed_literal_length_bits(int code) { return code < 144 ? 8 : code < 256 ? 9 : code < 280 ? 7 : 8; }
int fixed_distance_bits(int /*code*/) { return 5; }

struct Alphabet {
  int codes;
  const std::uint8_t* extra_bits;  // indexed from extra_base
  int extra_base;
  int max_bits;
  int (*fixed_bits)(int code);  // null: the alphabet has no fixed code
};

constexpr Alphabet kLiteralLength{kLiteralLengthCodes, kLengthExtraBits, kFirstLengthCode, kMaxCodeBits,
                                  fixed_literal_length_bits};
constexpr Alphabet kDistance{kDistanceCodes, kDistanceExtraBits, 0, kMaxCodeBits, fixed_distance_bits};
constexpr Alphabet kCodeLength{kCodeLengthCodes, kCodeLengthExtraBits, 0, kMaxCodeLengthBits, nullptr};

// Builds length-limited Huffman codes the way zlib does and keeps zlib's two running totals:
// the dynamic encoding's size (trees included, once finished) and the fixed encoding's size.
// Unsigned arithmetic wraps exactly as zlib's does; only the final totals are meaningful.
class TreeBuilder {
 public:
  std::uint64_t dynamic_bits = 0;
  std::uint64_t fixed_bits = 0;

  // Builds codes for `counts` (alphabet.codes of them); writes code lengths to `lengths` and
  // returns the largest code with a length (zlib's max_code).
  int build(const Alphabet& alphabet, const std::uint32_t* counts, std::uint16_t* lengths) {
    std::copy(counts, counts + alphabet.codes, freq_);
    for (int n = 0; n < alphabet.codes; ++n) order_key_[n] = freq_[n] << kDepthBits;
    heap_len_ = 0;
    heap_max_ = kHeapSize;
    int max_code = -1;
    for (int n = 0; n < alphabet.codes; ++n) {
      if (freq_[n] != 0) {
        heap_[++heap_len_] = max_code = n;
        depth_[n] = 0;
      } else {
        len_[n] = 0;
      }
    }
    // Deflate needs at least two codes; zlib adds codes of count 1 and corrects its totals.
    while (heap_len_ < 2) {
      const int node = heap_[++heap_len_] = (max_code < 2 ? ++max_code : 0);
      freq_[node] = 1;
      depth_[node] = 0;
      order_key_[node] = 1u << kDepthBits;
      dynamic_bits -= 1;
      if (alphabet.fixed_bits) fixed_bits -= static_cast<std::uint64_t>(alphabet.fixed_bits(node));
    }
    for (int n = heap_len_ / 2; n >= 1; --n) sift_down(n);
    int node = alphabet.codes;
    do {
      const int least = heap_[1];
      heap_[1] = heap_[heap_len_--];
      sift_down(1);
      const int next = heap_[1];
      heap_[--heap_max_] = least;
      heap_[--heap_max_] = next;
      freq_[node] = freq_[least] + freq_[next];
      depth_[node] = static_cast<std::uint8_t>(std::max(depth_[least], depth_[next]) + 1);
      order_key_[node] = (freq_[node] << kDepthBits) | depth_[node];
      parent_[least] = parent_[next] = static_cast<std::uint16_t>(node);
      heap_[1] = node++;
      sift_down(1);
    } while (heap_len_ >= 2);
    heap_[--heap_max_] = heap_[1];
    assign_lengths(alphabet, max_code);
    std::copy(len_, len_ + alphabet.codes, lengths);
    return max_code;
  }

 private:
  // zlib's order: by count, then by depth (the shallower first). Counts stay below 2^23 (a block
  // holds fewer than 2^14 tokens), so one comparison of packed keys does both.
  static constexpr int kDepthBits = 8;
  bool smaller(int n, int m) const { return order_key_[n] <= order_key_[m]; }

  void sift_down(int k) {
    const int v = heap_[k];
    int j = k << 1;
    while (j <= heap_len_) {
      if (j < heap_len_ && smaller(heap_[j + 1], heap_[j])) ++j;
      if (smaller(v, heap_[j])) break;
      heap_[k] = heap_[j];
      k = j;
      j <<= 1;
    }
    heap_[k] = v;
  }

  // Code lengths from tree depths, capped at max_bits; the overflow is repaid by lengthening
  // codes, reassigned in heap order from the least frequent (zlib's gen_bitlen).
  void assign_lengths(const Alphabet& alphabet, int max_code) {
    std::fill(std::begin(bl_count_), std::end(bl_count_), 0);
    len_[heap_[heap_max_]] = 0;  // the root
    int overflow = 0;
    int h = heap_max_ + 1;
    for (; h < kHeapSize; ++h) {
      const int n = heap_[h];
      int bits = len_[parent_[n]] + 1;
      if (bits > alphabet.max_bits) {
        bits = alphabet.max_bits;
        ++overflow;
      }
      len_[n] = static_cast<std::uint16_t>(bits);
      if (n > max_code) continue;  // not a leaf
      ++bl_count_[bits];
      const int extra = n >= alphabet.extra_base ? alphabet.extra_bits[n - alphabet.extra_base] : 0;
      const std::uint64_t f = freq_[n];
      dynamic_bits += f * static_cast<std::uint64_t>(bits + extra);
      if (alphabet.fixed_bits) fixed_bits += f * static_cast<std::uint64_t>(alphabet.fixed_bits(n) + extra);
    }
    if (overflow == 0) return;
    do {
      int bits = alphabet.max_bits - 1;
      while (bl_count_[bits] == 0) --bits;
      --bl_count_[bits];
      bl_count_[bits + 1] += 2;
      --bl_count_[alphabet.max_bits];
      overflow -= 2;
    } while (overflow > 0);
    for (int bits = alphabet.max_bits; bits != 0; --bits) {
      int n = bl_count_[bits];
      while (n != 0) {
        const int m = heap_[--h];
        if (m > max_code) continue;
        if (len_[m] != bits) {
          dynamic_bits += (static_cast<std::uint64_t>(bits) - len_[m]) * freq_[m];
          len_[m] = static_cast<std::uint16_t>(bits);
        }
        --n;
      }
    }
  }

  std::uint32_t freq_[kHeapSize];
  std::uint16_t len_[kHeapSize];
  std::uint16_t parent_[kHeapSize];
  std::uint8_t depth_[kHeapSize];
  std::uint32_t order_key_[kHeapSize];
  int heap_[kHeapSize];
  int heap_len_ = 0;
  int heap_max_ = 0;
  int bl_count_[kMaxCodeBits + 1];
};

// Counts the code-length codes that describe `lengths[0..max_code]` (zlib's scan_tree).
void count_code_length_codes(const std::uint16_t* lengths, int max_code, std::uint32_t* counts) {
  int previous = -1;
  int next = lengths[0];
  int run = 0;
  int max_run = next == 0 ? 138 : 7;
  int min_run = next == 0 ? 3 : 4;
  for (int n = 0; n <= max_code; ++n) {
    const int current = next;
    next = n < max_code ? lengths[n + 1] : 0xFFFF;
    if (++run < max_run && current == next) continue;
    if (run < min_run) {
      counts[current] += static_cast<std::uint32_t>(run);
    } else if (current != 0) {
      if (current != previous) ++counts[current];
      ++counts[kRepeatPrevious];
    } else if (run <= 10) {
      ++counts[kRepeatZero3To10];
    } else {
      ++counts[kRepeatZero11To138];
    }
    run = 0;
    previous = current;
    if (next == 0) {
      max_run = 138, min_run = 3;
    } else if (current == next) {
      max_run = 6, min_run = 3;
    } else {
      max_run = 7, min_run = 4;
    }
  }
}

}  // namespace

BlockCost deflate_block_cost(const BlockCounts& counts) {
  TreeBuilder builder;
  std::array<std::uint32_t, kLiteralLengthCodes> literal_length = counts.literal_length;
  literal_length[kEndOfBlock] += 1;  // every block ends with one end-of-block code
  std::uint16_t literal_length_bits[kLiteralLengthCodes];
  std::uint16_t distance_bits[kDistanceCodes];
  std::uint16_t code_length_bits[kCodeLengthCodes];
  const int max_literal_length = builder.build(kLiteralLength, literal_length.data(), literal_length_bits);
  const int max_distance = builder.build(kDistance, counts.distance.data(), distance_bits);

  std::uint32_t code_length_counts[kCodeLengthCodes] = {};
  count_code_length_codes(literal_length_bits, max_literal_length, code_length_counts);
  count_code_length_codes(distance_bits, max_distance, code_length_counts);
  builder.build(kCodeLength, code_length_counts, code_length_bits);
  int last_sent = kCodeLengthCodes - 1;
  while (last_sent >= 3 && code_length_bits[kCodeLengthOrder[last_sent]] == 0) --last_sent;
  // Header counts (5 + 5 + 4 bits) and 3 bits per code-length code length sent.
  builder.dynamic_bits += 3 * (static_cast<std::uint64_t>(last_sent) + 1) + 5 + 5 + 4;

  // zlib compares whole bytes, 3-bit block header included.
  const std::uint64_t dynamic_bytes = (builder.dynamic_bits + 3 + 7) >> 3;
  const std::uint64_t fixed_bytes = (builder.fixed_bits + 3 + 7) >> 3;
  const bool fixed = fixed_bytes <= dynamic_bytes;
  BlockCost cost;
  cost.bits = 3 + (fixed ? builder.fixed_bits : builder.dynamic_bits);
  cost.may_be_stored = counts.input_bytes + 4 <= std::min(fixed_bytes, dynamic_bytes);
  return cost;
}

}  // namespace zipcore
