// The bytes of a group, defined once.
//
// ZIP compresses the group [a, b, c] as "[" + r_a + ", " + r_b + ", " + r_c + "]" (what
// str(list) gives for records; ../shared/SPEC.md, "Bytes of a sample and of a group"), and a
// sample alone as "[" + r + "]". Every place that frames a group, in the engine and (through the
// binding's GROUP_OPEN, GROUP_SEPARATOR and GROUP_CLOSE) in Python, takes the three pieces from
// here, so that the scorers, the measure of R and the Python tools cannot frame it differently.
#pragma once

#include <cstdint>
#include <vector>

#include "pool_view.hpp"

namespace zipcore {

inline constexpr std::uint8_t kGroupOpenBytes[] = {'['};
inline constexpr std::uint8_t kGroupSeparatorBytes[] = {',', ' '};
inline constexpr std::uint8_t kGroupCloseBytes[] = {']'};

inline constexpr ByteSpan kGroupOpen{kGroupOpenBytes, sizeof kGroupOpenBytes};
inline constexpr ByteSpan kGroupSeparator{kGroupSeparatorBytes, sizeof kGroupSeparatorBytes};
inline constexpr ByteSpan kGroupClose{kGroupCloseBytes, sizeof kGroupCloseBytes};

// Bytes the framing adds to a group of `members` samples: the brackets, and a separator between
// each two members.
constexpr std::uint64_t framing_bytes(std::uint64_t members) {
  return kGroupOpen.size + kGroupClose.size + (members > 0 ? (members - 1) * kGroupSeparator.size : 0);
}

// Raw and compressed byte counts of one group.
struct GroupSizes {
  std::uint64_t raw = 0;
  std::uint64_t compressed = 0;
  double ratio() const { return static_cast<double>(raw) / static_cast<double>(compressed); }
};

// Appends `bytes` to a group being built in memory.
inline void append_bytes(std::vector<std::uint8_t>& group, ByteSpan bytes) {
  group.insert(group.end(), bytes.data, bytes.data + bytes.size);
}

}  // namespace zipcore
