#include "json_repr.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace zipcore {
namespace {

// Records nested deeper (the record itself is level 1) are left to Python, whose recursion
// limit decides whether they are readable.
constexpr int kMaxDepth = 64;
// Objects with more keys are left to Python: the repeated-key check compares each key with the
// object's earlier ones, which must stay cheaper than Python's repr whatever a line holds.
constexpr std::size_t kMaxKeys = 32;
// Python refuses to print an int of more digits than sys.get_int_max_str_digits() (4300 by
// default; a program may lower it, to 640 at the least): longer integers are left to Python.
constexpr std::size_t kMaxIntegerDigits = 640;

// Characters a JSON string and its repr() both hold as they are: printable ASCII but the
// quotes and the backslash.
struct PlainTable {
  bool plain[256] = {};
  PlainTable() {
    for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\' && c != '\'';
  }
};
const PlainTable kPlainTable;
const bool* const kPlain = kPlainTable.plain;

class ReprWriter {
 public:
  ReprWriter(ByteSpan text, std::string& out)
      : at_(text.data), end_(text.data + text.size), out_(out) {}

  bool object_alone() {
    skip_whitespace();
    if (at_ == end_ || *at_ != '{' || !value(1)) return false;
    skip_whitespace();
    return at_ == end_;
  }

 private:
  void skip_whitespace() {  // JSON's four, as Python's json
    while (at_ != end_ && (*at_ == ' ' || *at_ == '\t' || *at_ == '\n' || *at_ == '\r')) ++at_;
  }

  bool literal(const char* json, const char* python) {
    for (const char* c = json; *c; ++c, ++at_) {
      if (at_ == end_ || *at_ != static_cast<std::uint8_t>(*c)) return false;
    }
    out_ += python;
    return true;
  }

  bool value(int depth) {
    if (depth > kMaxDepth) return false;
    skip_whitespace();
    if (at_ == end_) return false;
    switch (*at_) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string_repr(nullptr);
      case 't': return literal("true", "True");
      case 'f': return literal("false", "False");
      case 'n': return literal("null", "None");
      default: return integer();
    }
  }

  // Consumes `c` at at_ and writes it; false, consuming nothing, where at_ holds another byte.
  bool take(char c) {
    if (at_ == end_ || *at_ != static_cast<std::uint8_t>(c)) return false;
    ++at_;
    out_ += c;
    return true;
  }

  // What follows a member or an element: a comma (written ", "), the container's `close`, or
  // anything else, which fails the record.
  enum class Next { more, closed, bad };
  Next after_item(char close) {
    skip_whitespace();
    if (take(close)) return Next::closed;
    if (at_ == end_ || *at_ != ',') return Next::bad;
    ++at_;
    out_ += ", ";
    return Next::more;
  }

  bool object(int depth) {
    take('{');
    skip_whitespace();
    if (take('}')) return true;
    // This object's keys so far, in key_arena_, for the repeated-key check; dropped at its end.
    const std::size_t first_key = key_spans_.size();
    const std::size_t arena_size = key_arena_.size();
    for (;;) {
      skip_whitespace();
      key_.clear();
      if (key_spans_.size() - first_key == kMaxKeys) return false;
      if (at_ == end_ || *at_ != '"' || !string_repr(&key_)) return false;
      for (std::size_t k = first_key; k < key_spans_.size(); ++k) {
        if (key_arena_.compare(key_spans_[k].first, key_spans_[k].second, key_) == 0) {
          return false;  // Python keeps the first position and the last value
        }
      }
      key_spans_.emplace_back(key_arena_.size(), key_.size());
      key_arena_ += key_;
      skip_whitespace();
      if (at_ == end_ || *at_ != ':') return false;
      ++at_;
      out_ += ": ";
      if (!value(depth + 1)) return false;
      const Next next = after_item('}');
      if (next != Next::more) {
        key_spans_.resize(first_key);
        key_arena_.resize(arena_size);
        return next == Next::closed;
      }
    }
  }

  bool array(int depth) {
    take('[');
    skip_whitespace();
    if (take(']')) return true;
    for (;;) {
      if (!value(depth + 1)) return false;
      const Next next = after_item(']');
      if (next != Next::more) return next == Next::closed;
    }
  }

  // -?(0|[1-9][0-9]*), which json.loads makes an int and repr() writes back digit for digit
  // ("-0" is 0). A fraction or exponent makes a float: declined.
  bool integer() {
    const bool negative = *at_ == '-';
    if (negative) ++at_;
    const std::uint8_t* digits = at_;
    while (at_ != end_ && *at_ >= '0' && *at_ <= '9') ++at_;
    const std::size_t count = static_cast<std::size_t>(at_ - digits);
    if (count == 0 || count > kMaxIntegerDigits || (count > 1 && *digits == '0')) return false;
    if (at_ != end_ && (*at_ == '.' || *at_ == 'e' || *at_ == 'E')) return false;
    if (negative && !(count == 1 && *digits == '0')) out_ += '-';
    out_.append(reinterpret_cast<const char*>(digits), count);
    return true;
  }

  static int hex_digit(std::uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Writes repr() of the JSON string at at_ ('"') in one pass, unescaping JSON and escaping
  // for Python at once; `decoded`, if given, also gets the string's characters. False unless
  // every character is ASCII and json.loads accepts the string (no raw control character).
  // repr() quotes with ' unless the text holds ' and no ": written with ' first, the string is
  // turned over to " at its end where that rule says so.
  bool string_repr(std::string* decoded) {
    ++at_;  // '"'
    const std::size_t open = out_.size();
    out_ += '\'';
    bool has_single = false;
    bool has_double = false;
    for (;;) {
      const std::uint8_t* run = at_;  // characters both forms keep as they are
      while (at_ != end_ && kPlain[*at_]) ++at_;
      const auto length = static_cast<std::size_t>(at_ - run);
      out_.append(reinterpret_cast<const char*>(run), length);
      if (decoded) decoded->append(reinterpret_cast<const char*>(run), length);
      if (at_ == end_) return false;
      std::uint8_t c = *at_++;
      if (c == '"') break;
      if (c == '\\') {
        if (at_ == end_ || !unescaped(c)) return false;
      } else if (c < 0x20 || c >= 0x80) {
        return false;  // a raw control character (json refuses it) or non-ASCII text
      }
      has_single |= c == '\'';
      has_double |= c == '"';
      write_escaped(c);
      if (decoded) *decoded += static_cast<char>(c);
    }
    out_ += '\'';
    if (has_single && !has_double) requote(open);
    return true;
  }

  // The character of the escape after a backslash (at_ is past the backslash); false for one
  // JSON does not have or a \u escape of a character past ASCII (surrogates included).
  bool unescaped(std::uint8_t& c) {
    switch (*at_++) {
      case '"': c = '"'; return true;
      case '\\': c = '\\'; return true;
      case '/': c = '/'; return true;
      case 'b': c = '\b'; return true;
      case 'f': c = '\f'; return true;
      case 'n': c = '\n'; return true;
      case 'r': c = '\r'; return true;
      case 't': c = '\t'; return true;
      case 'u': {
        if (end_ - at_ < 4) return false;
        int code = 0;
        for (int i = 0; i < 4; ++i) {
          const int d = hex_digit(*at_++);
          if (d < 0) return false;
          code = code * 16 + d;
        }
        if (code >= 0x80) return false;
        c = static_cast<std::uint8_t>(code);
        return true;
      }
      default: return false;
    }
  }

  // One character as repr() writes it inside '...' quotes.
  void write_escaped(std::uint8_t c) {
    static const char kHex[] = "0123456789abcdef";
    switch (c) {
      case '\'': out_ += "\\'"; return;
      case '\\': out_ += "\\\\"; return;
      case '\t': out_ += "\\t"; return;
      case '\n': out_ += "\\n"; return;
      case '\r': out_ += "\\r"; return;
      default:
        if (c < 0x20 || c == 0x7f) {
          out_ += "\\x";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
        } else {
          out_ += static_cast<char>(c);
        }
    }
  }

  // The string written from `open` on, in "..." quotes instead: its \' escapes become '
  // (it holds no ", which would need one). Escapes are two characters from a backslash on,
  // so stepping over pairs never splits one.
  void requote(std::size_t open) {
    std::size_t to = open + 1;
    for (std::size_t from = open + 1; from + 1 < out_.size();) {
      if (out_[from] == '\\') {
        if (out_[from + 1] != '\'') out_[to++] = '\\';
        out_[to++] = out_[from + 1];
        from += 2;
      } else {
        out_[to++] = out_[from++];
      }
    }
    out_.resize(to);
    out_[open] = '"';
    out_ += '"';
  }

  const std::uint8_t* at_;
  const std::uint8_t* end_;
  std::string& out_;
  std::string key_;  // the current key, unescaped
  std::string key_arena_;  // the keys of the objects being written, one after another
  std::vector<std::pair<std::size_t, std::size_t>> key_spans_;  // (offset, size) in key_arena_
};

}  // namespace

bool python_repr_of_json_object(ByteSpan text, std::string& out) {
  out.clear();
  out.reserve(text.size + 64);
  return ReprWriter(text, out).object_alone();
}

}  // namespace zipcore
