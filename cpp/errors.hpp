// Typed errors thrown by the engine. The Python binding maps each type once:
// InvalidArgument -> ValueError, DataError -> zipcore.ZipcoreError, Cancelled -> the pending
// Python exception (usually KeyboardInterrupt).
#pragma once

#include <stdexcept>
#include <string>

namespace zipcore {

// A caller passed parameters that can never work (budget > pool size, k1 < k2, ...).
struct InvalidArgument : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The data or a library underneath it failed (a zlib call returned an error).
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A run was stopped from outside: the poll hook asked for it (Ctrl-C, a raising callback).
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("zipcore run cancelled") {}
};

}  // namespace zipcore
