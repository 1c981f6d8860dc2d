// ResumedParse against zlib itself: a group grows by appends of every kind and size; after each
// update, every size the shortcut claims to know for "group + suffix" must equal the size of a
// real zlib stream (compress2 at level 9, what zlib.compress(b, 9) does) of those bytes. The test
// also requires the shortcut to answer most of the time, so that it cannot pass by declining.
#include <zlib.h>

#include <cstdint>
#include <vector>

#include "check.hpp"
#include "eval_scratch.hpp"
#include "group_framing.hpp"
#include "resumed_parse.hpp"

namespace {

using zipcore::ByteSpan;

std::uint64_t zlib_size(const std::vector<std::uint8_t>& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::vector<std::uint8_t> out(size);
  if (compress2(out.data(), &size, bytes.data(), static_cast<uLong>(bytes.size()), 9) != Z_OK) return 0;
  return size;
}

ByteSpan span(const std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }

struct Tally {
  int answered = 0;
  int declined = 0;
};

// One group: `steps` appends, each followed by an update and `candidates` suffix checks.
void grow_group(zipcore_test::Random& random, int steps, int candidates, Tally& tally) {
  zipcore::ResumedParse parse;
  zipcore::EvalScratch& scratch = zipcore::thread_scratch();
  std::vector<std::uint8_t> input(zipcore::kGroupOpenBytes, zipcore::kGroupOpenBytes + 1);
  parse.append(zipcore::kGroupOpen);
  for (int step = 0; step < steps; ++step) {
    // Several appends per update sometimes, as a round appends its picks before preparing.
    const int appends = 1 + static_cast<int>(random.below(3));
    for (int a = 0; a < appends; ++a) {
      // Random bytes (kind 1) only in short members: a block zlib might store ends the shortcut
      // for the rest of the group, by design.
      const int kind = static_cast<int>(random.below(5));
      const std::size_t size = kind == 1 ? random.below(100) : random.below(6) == 0 ? random.below(40000) : random.below(2000);
      const std::vector<std::uint8_t> member = zipcore_test::make_input(random, kind, size);
      if (input.size() > 1) {
        parse.append(zipcore::kGroupSeparator);
        zipcore::append_bytes(input, zipcore::kGroupSeparator);
      }
      parse.append(span(member));
      input.insert(input.end(), member.begin(), member.end());
    }
    parse.update();
    for (int c = 0; c < candidates; ++c) {
      const int kind = static_cast<int>(random.below(5));
      const std::vector<std::uint8_t> candidate =
          zipcore_test::make_input(random, kind, kind == 1 ? random.below(100) : random.below(3000));
      std::uint64_t size = 0;
      if (!parse.compressed_size_with({zipcore::kGroupSeparator, span(candidate), zipcore::kGroupClose}, scratch,
                                      size)) {
        ++tally.declined;
        continue;
      }
      std::vector<std::uint8_t> whole = input;
      zipcore::append_bytes(whole, zipcore::kGroupSeparator);
      whole.insert(whole.end(), candidate.begin(), candidate.end());
      zipcore::append_bytes(whole, zipcore::kGroupClose);
      CHECK_EQ(size, zlib_size(whole));
      ++tally.answered;
    }
  }
}

}  // namespace

int main() {
  zipcore_test::Random random(7);
  Tally tally;
  for (int group = 0; group < 4; ++group) grow_group(random, 16, 5, tally);
  // A group cleared and reused starts over exactly.
  zipcore::ResumedParse parse;
  const std::vector<std::uint8_t> text = zipcore_test::make_input(random, 0, 50000);
  parse.append(span(text));
  parse.update();
  parse.clear();
  parse.append(zipcore::kGroupOpen);
  parse.update();
  std::uint64_t size = 0;
  const std::vector<std::uint8_t> one = zipcore_test::make_input(random, 0, 500);
  if (parse.compressed_size_with({span(one), zipcore::kGroupClose}, zipcore::thread_scratch(), size)) {
    std::vector<std::uint8_t> whole{'['};
    whole.insert(whole.end(), one.begin(), one.end());
    whole.push_back(']');
    CHECK_EQ(size, zlib_size(whole));
  }
  std::printf("resumed_parse: %d sizes checked against zlib, %d left to the plain path\n", tally.answered,
              tally.declined);
  CHECK(tally.answered >= 3 * tally.declined);
  CHECK(tally.answered >= 250);
  return zipcore_test::finish("resumed_parse");
}
