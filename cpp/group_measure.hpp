// The entropy law's R of whole groups, measured: the one home of "how many bytes does this group
// compress to" outside the selection loop (zipcore.measure: compression_ratio, dataset_ratio).
//
// A group is framed as group_framing.hpp says and compressed in one of three ways:
//  - exact zlib: one zlib stream, level 9, window bits 15, memory level 8: the size of
//    zlib.compress(group, 9), to the byte;
//  - chunked ("parallel") zlib, for large groups: the group is cut into chunks of chunk_size bytes;
//    each is raw-deflated at level 9 on its own, primed (deflateSetDictionary) with the 32 KiB of
//    the group before it, and ends with a sync flush (the last one with the final block). The
//    chunks concatenate into one valid deflate stream of the group; its size is the chunks' sum
//    plus the zlib header and Adler-32 trailer (6 bytes). Chunks are fixed in size, so the result
//    does not depend on the thread count;
//  - zstd: one frame at the given level, with a window covering the group (window log
//    ceil(log2(bytes)), clamped to zstd's range), long-distance matching, the size pledged.
// A group is never built whole: its samples are streamed into the compressor in place (zstd's
// streaming compressor keeps its own window buffer, up to the group's size), and a chunk is
// gathered (with the 32 KiB before it) into a buffer of the thread compressing it.
// Every job (exact stream, chunk, zstd frame) of every group runs on one ParallelRunner, heaviest
// first; sizes are integer sums, so the result does not depend on the order or the threads.
#pragma once

#include <cstdint>
#include <vector>

#include "group_framing.hpp"
#include "group_scorer.hpp"
#include "pool_view.hpp"
#include "run_hooks.hpp"

namespace zipcore {

// One group to measure.
struct GroupToMeasure {
  bool whole_pool = false;            // every sample of the pool, in pool order (members unused)
  std::vector<std::int64_t> members;  // else: pool indices in group order (repeats allowed)
  std::uint64_t chunk_size = 0;       // zlib: 0 = one exact stream, else the chunked path
};

struct MeasureOptions {
  Codec codec = Codec::zlib;
  int level = 9;    // zlib: 9 only; zstd: 1..its maximum
  int threads = 0;  // 0 = every core the process may use
};

// Checks the options and the groups against `pool` (indices in range); throws InvalidArgument.
void validate_measure(const PoolView& pool, const std::vector<GroupToMeasure>& groups,
                      const MeasureOptions& options);

// The (raw, compressed) bytes of each group, in the order given. Validates first. `hooks` sees
// Progress with `done` and `total` counted in group bytes compressed; it is polled inside long
// jobs too, so a run stops (Cancelled) within about a poll interval. Throws DataError when a
// compressor fails.
std::vector<GroupSizes> measure_groups(const PoolView& pool, const std::vector<GroupToMeasure>& groups,
                                       const MeasureOptions& options, const RunHooks& hooks);

}  // namespace zipcore
