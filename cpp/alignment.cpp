#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_createCDict_advanced, ZSTD_getCParams
#include "alignment.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include <zstd.h>

#include "errors.hpp"
#include "eval_scratch.hpp"
#include "zlib_stream.hpp"
#include "zstd_group_dictionary.hpp"

namespace zipcore {
namespace {

// A gzip member's header and trailer around the raw deflate data (Python's gzip module).
constexpr std::uint64_t kGzipFraming = 10 + 8;

// CPython's output buffer for zlib.compress (pycore_blocks_output_buffer.h, 3.10 on): blocks of
// these sizes, the last repeated. Only stored blocks (level 0) see the difference.
constexpr std::size_t kPythonBlocks[] = {32u << 10, 64u << 10, 256u << 10, 1u << 20, 4u << 20,
                                         8u << 20, 16u << 20, 16u << 20, 32u << 20, 32u << 20,
                                         32u << 20, 32u << 20, 64u << 20, 64u << 20, 128u << 20,
                                         128u << 20, 256u << 20};

double pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double sum = 0.;
    for (std::size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    std::copy(a, a + 8, r);
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

// 1 - NCD, as Python computes it from the three integer sizes (int / int is correctly rounded,
// and so is the division of two doubles that hold them exactly).
double similarity(std::uint64_t x, std::uint64_t t, std::uint64_t both) {
  const double low = static_cast<double>(std::min(x, t));
  const double high = static_cast<double>(std::max(x, t));
  return 1.0 - (static_cast<double>(both) - low) / high;
}

}  // namespace

GzipSizer::GzipSizer(int level) : level_(level) {
  if (level < 0 || level > 9) throw InvalidArgument("gzip level must be 0..9, got " + std::to_string(level));
  init_deflate(stream_, -kZlibWindowBits, Z_DEFAULT_STRATEGY, level);
}

GzipSizer::~GzipSizer() { deflateEnd(&stream_); }

std::uint64_t GzipSizer::size(ByteSpan a, ByteSpan b) {
  if (level_ == 0) {
    const auto known = stored_sizes_.find(a.size + b.size);
    if (known != stored_sizes_.end()) return known->second;
  }
  // One input, as Python hands zlib.compress the concatenated bytes in one call.
  if (a.size + b.size > (std::size_t{1} << 31)) throw InvalidArgument("a pair of samples over 2 GiB");
  input_.resize(a.size + b.size);
  if (a.size) std::memcpy(input_.data(), a.data, a.size);
  if (b.size) std::memcpy(input_.data() + a.size, b.data, b.size);
  check_zlib(deflateReset(&stream_), "deflateReset");
  stream_.next_in = input_.data();
  stream_.avail_in = static_cast<uInt>(input_.size());
  std::size_t block = 0;
  int rc = Z_OK;
  do {
    const std::size_t room = kPythonBlocks[std::min(block++, std::size(kPythonBlocks) - 1)];
    if (output_.size() < room) output_.resize(room);
    stream_.next_out = output_.data();
    stream_.avail_out = static_cast<uInt>(room);
    rc = deflate(&stream_, Z_FINISH);
    if (rc == Z_STREAM_ERROR) throw DataError("deflate failed (stream error)");
  } while (rc != Z_STREAM_END);
  const std::uint64_t size = kGzipFraming + stream_.total_out;
  if (level_ == 0) stored_sizes_.emplace(input_.size(), size);
  return size;
}

void GzipSizer::prime(ByteSpan x) {
  primed_ = x;
  copies_ = level_ != 0 && x.size >= kCopyFrom;
  if (!copies_) return;
  check_zlib(deflateReset(&stream_), "deflateReset");
  deflate_all(stream_, x, Z_NO_FLUSH, output_);
}

std::uint64_t GzipSizer::size_after_prime(ByteSpan t) {
  if (!copies_) return size(primed_, t);
  EvalScratch& scratch = thread_scratch();
  z_stream& copy = scratch.copy_of(stream_);
  deflate_all(copy, t, Z_FINISH, scratch.sink());
  return kGzipFraming + copy.total_out;
}

double numpy_mean(const double* values, std::size_t n) {
  return pairwise_sum(values, n) / static_cast<double>(n);
}

std::vector<double> zipfit_alignment(const PoolView& sources, const PoolView& targets, int level,
                                     ParallelRunner& runner, Progress& progress) {
  if (targets.size() == 0) throw InvalidArgument("the target set is empty");
  std::vector<std::unique_ptr<GzipSizer>> sizers;
  for (int t = 0; t < runner.threads(); ++t) sizers.push_back(std::make_unique<GzipSizer>(level));
  const std::size_t n = sources.size();
  const std::size_t m = targets.size();
  progress.total = static_cast<std::int64_t>(n + m + n);  // the sizes, then the sources' pairs
  std::vector<std::uint64_t> source_sizes(n);
  std::vector<std::uint64_t> target_sizes(m);
  runner.run(static_cast<std::int64_t>(n + m), [&](std::int64_t i) {
    GzipSizer& sizer = *sizers[ParallelRunner::worker()];
    const auto k = static_cast<std::size_t>(i);
    if (k < n) source_sizes[k] = sizer.size(sources.sample(k));
    else target_sizes[k - n] = sizer.size(targets.sample(k - n));
  }, progress);
  std::vector<double> scores(n);
  runner.run(static_cast<std::int64_t>(n), [&](std::int64_t i) {
    GzipSizer& sizer = *sizers[ParallelRunner::worker()];
    thread_local std::vector<double> similarities;
    similarities.resize(m);
    const auto x = static_cast<std::size_t>(i);
    sizer.prime(sources.sample(x));
    for (std::size_t t = 0; t < m; ++t) {
      const std::uint64_t both = sizer.size_after_prime(targets.sample(t));
      similarities[t] = similarity(source_sizes[x], target_sizes[t], both);
    }
    scores[x] = numpy_mean(similarities.data(), m);
  }, progress);
  return scores;
}

namespace {

constexpr unsigned kMaxWindowLog = 27;                    // 128 MiB
constexpr unsigned kMaxTableLog = 24;                     // 16M slots, 64 MiB a table
constexpr std::size_t kSampleRoom = std::size_t{1} << 20;  // room for the sample itself

struct ZstdDictionary {
  ZSTD_CDict* dictionary = nullptr;
  ~ZstdDictionary() { ZSTD_freeCDict(dictionary); }
};

// A thread's contexts: `alone` holds the dictionary's parameters as its own (set once, kept
// across ZSTD_compress2 calls), `explained` compresses with the dictionary.
struct ZstdWorker {
  ZSTD_CCtx* alone = ZSTD_createCCtx();
  ZSTD_CCtx* explained = ZSTD_createCCtx();
  std::vector<std::uint8_t> output;
  ~ZstdWorker() {
    ZSTD_freeCCtx(alone);
    ZSTD_freeCCtx(explained);
  }
};

std::size_t checked_zstd(std::size_t size) {
  if (ZSTD_isError(size)) throw DataError(std::string("zstd: ") + ZSTD_getErrorName(size));
  return size;
}

void set_parameters(ZSTD_CCtx* context, const ZSTD_compressionParameters& params) {
  const std::pair<ZSTD_cParameter, int> values[] = {
      {ZSTD_c_windowLog, static_cast<int>(params.windowLog)},
      {ZSTD_c_chainLog, static_cast<int>(params.chainLog)},
      {ZSTD_c_hashLog, static_cast<int>(params.hashLog)},
      {ZSTD_c_searchLog, static_cast<int>(params.searchLog)},
      {ZSTD_c_minMatch, static_cast<int>(params.minMatch)},
      {ZSTD_c_targetLength, static_cast<int>(params.targetLength)},
      {ZSTD_c_strategy, static_cast<int>(params.strategy)}};
  for (const auto& [parameter, value] : values) checked_zstd(ZSTD_CCtx_setParameter(context, parameter, value));
}

}  // namespace

DictionarySizes dictionary_sizes(const PoolView& sources, const PoolView& targets, int level,
                                 ParallelRunner& runner, Progress& progress) {
  if (targets.size() == 0) throw InvalidArgument("the target set is empty");
  if (level < 1 || level > ZSTD_maxCLevel())
    throw InvalidArgument("zstd level must be 1.." + std::to_string(ZSTD_maxCLevel()) + ", got " +
                          std::to_string(level));
  const ByteSpan joined{targets.sample(0).data, targets.total_bytes()};  // the pool's one buffer
  // Above level 4 a sample matches only within zstd's window, and its tables hold one position
  // per slot: both are widened to reach the whole target set (up to 128 MiB, tables up to 2^24
  // slots); levels 1-4 hold only the targets' last 16 MiB whatever the window (libzstd 1.5.4's
  // "short cache"; cut here for every version, see zstd_group_dictionary.hpp), hence a higher
  // default level for large target sets (zipcore.align).
  ZSTD_compressionParameters params = ZSTD_getCParams(level, 0, joined.size);
  if ((std::size_t{1} << params.windowLog) < joined.size + kSampleRoom) {  // else zstd's own
    while (params.windowLog < kMaxWindowLog &&
           (std::size_t{1} << params.windowLog) < joined.size + kSampleRoom)
      ++params.windowLog;
    params.hashLog = std::max(params.hashLog, std::min(params.windowLog, kMaxTableLog));
    params.chainLog = std::max(params.chainLog, std::min(params.windowLog, kMaxTableLog));
  }
  const std::size_t kept = group_dictionary_bytes(joined.size, level);
  ZstdDictionary dictionary;
  dictionary.dictionary = ZSTD_createCDict_advanced(joined.data + joined.size - kept, kept, ZSTD_dlm_byRef,
                                                    ZSTD_dct_rawContent, params, ZSTD_defaultCMem);
  if (dictionary.dictionary == nullptr) throw std::bad_alloc();
  std::vector<std::unique_ptr<ZstdWorker>> workers;
  for (int t = 0; t < runner.threads(); ++t) {
    workers.push_back(std::make_unique<ZstdWorker>());
    set_parameters(workers.back()->alone, params);
  }
  const std::size_t n = sources.size();
  progress.total = static_cast<std::int64_t>(n);
  DictionarySizes sizes{std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  runner.run(static_cast<std::int64_t>(n), [&](std::int64_t i) {
    ZstdWorker& worker = *workers[ParallelRunner::worker()];
    const ByteSpan x = sources.sample(static_cast<std::size_t>(i));
    worker.output.resize(ZSTD_compressBound(x.size));
    const std::size_t alone = checked_zstd(ZSTD_compress2(
        worker.alone, worker.output.data(), worker.output.size(), x.data, x.size));
    const std::size_t explained = checked_zstd(ZSTD_compress_usingCDict(
        worker.explained, worker.output.data(), worker.output.size(), x.data, x.size,
        dictionary.dictionary));
    sizes.alone[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(alone);
    sizes.explained[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(explained);
  }, progress);
  return sizes;
}

}  // namespace zipcore
