// Plain checks for the engine's C++ tests: no framework, and on in every build type (assert is
// compiled out under NDEBUG, which Release sets). A failed check prints where and goes on; the
// test's main returns finish(), non-zero when any check failed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace zipcore_test {

inline int& failures() {
  static int count = 0;
  return count;
}

inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what.c_str());
  ++failures();
}

inline int finish(const char* test) {
  if (failures() == 0) {
    std::printf("%s: ok\n", test);
    return 0;
  }
  std::fprintf(stderr, "%s: %d check(s) failed\n", test, failures());
  return 1;
}

// Deterministic pseudo-random numbers (splitmix64): the same inputs on every machine.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }

 private:
  std::uint64_t state_;
};

// Inputs of a few kinds zlib treats differently: text (literals and short matches), random bytes
// (stored blocks), long runs (maximum-length matches), a small alphabet (literals only, skewed
// codes), and text that repeats from far back (distances near the 32 KiB window).
inline std::vector<std::uint8_t> make_input(Random& random, int kind, std::size_t size) {
  static const char* const kWords[] = {"the ", "quick ", "brown ", "fox ", "{'id': ", "'source': ",
                                       "gr\xc3\xbc\xc3\x9f" "e ", "\xe6\x95\xb0\xe6\x8d\xae ", "\n", "42, "};
  std::vector<std::uint8_t> out;
  out.reserve(size);
  while (out.size() < size) {
    switch (kind % 5) {
      case 0: {
        const std::string word = kWords[random.below(10)];
        out.insert(out.end(), word.begin(), word.end());
        break;
      }
      case 1:
        out.push_back(static_cast<std::uint8_t>(random.next()));
        break;
      case 2:
        out.insert(out.end(), 1 + random.below(600), static_cast<std::uint8_t>('a' + random.below(3)));
        break;
      case 3:
        out.push_back(static_cast<std::uint8_t>("acgt"[random.below(4)]));
        break;
      default: {
        if (out.size() > 40000 && random.below(4) == 0) {
          const std::size_t from = out.size() - 30000 - random.below(2700);
          const std::size_t length = 3 + random.below(300);
          for (std::size_t i = 0; i < length; ++i) out.push_back(out[from + i]);
        } else {
          const std::string word = kWords[random.below(10)];
          out.insert(out.end(), word.begin(), word.end());
          out.push_back(static_cast<std::uint8_t>('0' + random.below(10)));
        }
      }
    }
  }
  out.resize(size);
  return out;
}

}  // namespace zipcore_test

#define CHECK(condition)                                                               \
  do {                                                                                 \
    if (!(condition)) zipcore_test::fail(__FILE__, __LINE__, #condition);              \
  } while (0)

#define CHECK_EQ(a, b)                                                                                 \
  do {                                                                                                 \
    const auto check_a_ = (a);                                                                         \
    const auto check_b_ = (b);                                                                         \
    if (!(check_a_ == check_b_)) {                                                                     \
      zipcore_test::fail(__FILE__, __LINE__,                                                           \
                         std::string(#a " == " #b ": ") + std::to_string(check_a_) + " != " +          \
                             std::to_string(check_b_));                                                \
    }                                                                                                  \
  } while (0)
