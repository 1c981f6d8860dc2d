// The bytes ZIP compresses for a JSON record, repr(json.loads(text)).encode(), computed from
// the record's text without building Python objects.
//
// Reading a JSONL pool is mostly Python work per record, and half of it is repr() of the parsed
// dict (measured: 0.76 of 1.61 s per 100 MB of ShareGPT records). This writes the same bytes
// from the text in one pass, for the records whose repr it can be sure of: those whose strings
// are all ASCII after unescaping (82% of the shared ShareGPT pools) and whose numbers are
// integers. Anything else (a non-ASCII character, whose repr depends on Python's Unicode
// tables; a float, whose repr depends on its shortest round trip; a key repeated in one object,
// where Python keeps the first position and the last value; deep nesting; an object of very
// many keys; text JSON would refuse) is declined, and the caller uses Python's repr as before.
#pragma once

#include <string>

#include "pool_view.hpp"

namespace zipcore {

// Writes repr(json.loads(text)) into `out` and returns true where the result is certain;
// returns false (out unspecified) otherwise. `text` is one JSON object, with JSON whitespace
// around it allowed.
bool python_repr_of_json_object(ByteSpan text, std::string& out);

}  // namespace zipcore
