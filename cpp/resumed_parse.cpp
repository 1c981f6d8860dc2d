#include "resumed_parse.hpp"

#include "eval_scratch.hpp"
#include "zlib_stream.hpp"

namespace zipcore {
namespace {

constexpr std::uint64_t kWindowBytes = 32 * 1024;
// zlib decides the token at position p from bytes up to p + 258 (the longest match) and holds it
// back one position (lazy matching); it parses p only once 262 bytes follow it. A match that starts
// this far from the end of the input is the same whatever comes after.
constexpr std::uint64_t kSettledBytes = 262 + 1 + 16;
constexpr std::uint64_t kZlibHeaderBits = 16;
constexpr std::uint64_t kZlibTrailerBytes = 4;
// Keep the input buffer from growing without bound: drop what lies this far before the dictionary.
constexpr std::uint64_t kTrimSlackBytes = 256 * 1024;

}  // namespace

ResumedParse::ResumedParse() {
  // Z_FIXED changes how blocks are encoded, never which tokens the matcher picks.
  // Raw deflate (negative window bits): the group's header and trailer are counted by hand.
  init_deflate(primed_, -kZlibWindowBits, Z_FIXED);
  clear();
}

ResumedParse::~ResumedParse() { deflateEnd(&primed_); }

void ResumedParse::clear() {
  recent_.clear();
  recent_start_ = input_bytes_ = resume_at_ = fed_bytes_ = 0;
  primed_holds_all_ = true;
  pending_ = BlockCounts{};
  bits_before_block_ = kZlibHeaderBits;
  exact_ = true;
  dirty_ = false;
  check_zlib(deflateReset(&primed_), "deflateReset");
}

void ResumedParse::append(ByteSpan bytes) {
  recent_.insert(recent_.end(), bytes.data, bytes.data + bytes.size);
  input_bytes_ += bytes.size;
  dirty_ = true;
}

void ResumedParse::update() {
  if (!dirty_ || !exact_) return;
  dirty_ = false;
  // A primed stream that had to close a block has lost tokens: start it over at the resume point.
  if (!primed_holds_all_) prime();
  // Finish a copy over what it has not seen: the settled part of its tokens moves the point.
  EvalScratch& scratch = thread_scratch();
  z_stream& run = scratch.copy_of(primed_);
  const ByteSpan added = unfed();
  const std::size_t used = deflate_collect(run, added.data, added.size, Z_FINISH, scratch.output(), 0);
  std::vector<DeflateToken>& tokens = scratch.tokens();
  tokens.clear();
  if (read_fixed_huffman_tokens(scratch.output().data(), used, tokens) && advance(tokens)) prime();
  feed_unfed();
}

bool ResumedParse::advance(const std::vector<DeflateToken>& tokens) {
  const std::uint64_t last_settled_start = input_bytes_ > kSettledBytes ? input_bytes_ - kSettledBytes : 0;
  std::uint64_t offset = resume_at_;
  std::size_t taken = 0;
  std::uint64_t cut = resume_at_;
  for (std::size_t i = 0; i < tokens.size() && offset <= last_settled_start; ++i) {
    offset += tokens[i].input_bytes;
    if (tokens[i].is_match()) {
      taken = i + 1;
      cut = offset;
    }
  }
  if (taken == 0) return false;
  for (std::size_t i = 0; i < taken; ++i) {
    pending_.add(tokens[i]);
    if (pending_.tokens == kTokensPerBlock) {
      const BlockCost cost = deflate_block_cost(pending_);
      if (cost.may_be_stored) {
        exact_ = false;
        return false;
      }
      bits_before_block_ += cost.bits;
      pending_ = BlockCounts{};
    }
  }
  resume_at_ = cut;
  return true;
}

void ResumedParse::prime() {
  check_zlib(deflateReset(&primed_), "deflateReset");
  fed_bytes_ = 0;
  primed_holds_all_ = true;
  const std::uint64_t dictionary_start = resume_at_ > kWindowBytes ? resume_at_ - kWindowBytes : 0;
  if (dictionary_start - recent_start_ > kTrimSlackBytes) {
    recent_.erase(recent_.begin(), recent_.begin() + static_cast<std::ptrdiff_t>(dictionary_start - recent_start_));
    recent_start_ = dictionary_start;
  }
  const std::uint64_t length = resume_at_ - dictionary_start;
  if (length > 0) {
    check_zlib(deflateSetDictionary(&primed_, recent_.data() + (dictionary_start - recent_start_),
                                  static_cast<uInt>(length)),
             "deflateSetDictionary");
  }
}

void ResumedParse::feed_unfed() {
  // Input after the resume point is parsed here, once, not once per candidate: a candidate's copy
  // then parses only the candidate and the last ~262 bytes before it, which zlib holds back. No
  // block may close while feeding (the copy must emit every token after the resume point itself).
  const ByteSpan added = unfed();
  deflate_collect(primed_, added.data, added.size, Z_NO_FLUSH, thread_scratch().output(), 0);
  fed_bytes_ += added.size;
  unsigned pending_bytes = 0;
  int pending_bits = 0;
  check_zlib(deflatePending(&primed_, &pending_bytes, &pending_bits), "deflatePending");
  primed_holds_all_ = primed_.total_out == 0 && pending_bytes == 0 && pending_bits == 0;
}

ByteSpan ResumedParse::unfed() const {
  const std::size_t from = static_cast<std::size_t>(resume_at_ - recent_start_ + fed_bytes_);
  return {recent_.data() + from, recent_.size() - from};
}

bool ResumedParse::compressed_size_with(std::initializer_list<ByteSpan> suffix, EvalScratch& scratch,
                                        std::uint64_t& size) const {
  if (!exact_ || dirty_ || !primed_holds_all_) return false;
  z_stream& run = scratch.copy_of(primed_);
  std::vector<std::uint8_t>& out = scratch.output();
  std::size_t used = 0;
  std::size_t left = suffix.size();
  for (const ByteSpan& piece : suffix) {
    used = deflate_collect(run, piece.data, piece.size, --left == 0 ? Z_FINISH : Z_NO_FLUSH, out, used);
  }
  std::vector<DeflateToken>& tokens = scratch.tokens();
  tokens.clear();
  if (!read_fixed_huffman_tokens(out.data(), used, tokens)) return false;

  BlockCounts block = pending_;
  std::uint64_t bits = bits_before_block_;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    block.add(tokens[i]);
    if (block.tokens < kTokensPerBlock) continue;
    // zlib ends a full block at once, except after the very last token, where whether an empty
    // final block follows depends on how that token was found.
    if (i + 1 == tokens.size()) return false;
    const BlockCost cost = deflate_block_cost(block);
    if (cost.may_be_stored) return false;
    bits += cost.bits;
    block = BlockCounts{};
  }
  const BlockCost last = deflate_block_cost(block);
  if (last.may_be_stored) return false;
  bits += last.bits;
  size = (bits + 7) / 8 + kZlibTrailerBytes;
  return true;
}

}  // namespace zipcore
