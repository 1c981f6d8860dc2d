#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getCParams, ZSTD_WINDOWLOG_MIN/MAX
#include "group_measure.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <numeric>
#include <string>

#include "errors.hpp"
#include "parallel.hpp"
#include "zlib_stream.hpp"

namespace zipcore {
namespace {

constexpr std::uint64_t kWindowBytes = 32 * 1024;  // deflate's window: what a chunk is primed with
constexpr std::uint64_t kZlibOverhead = 6;          // the 2-byte zlib header, the 4-byte Adler-32
// A long job feeds its compressor at most this much between two looks at the hooks.
constexpr std::size_t kSliceBytes = std::size_t{1} << 20;
constexpr std::size_t kSinkBytes = 64 * 1024;

// The framed bytes "[" + r_a + ", " + r_b + "]" of one group, read in place from the pool. Pieces
// are numbered 0 (the opening bracket), 2j+1 (member j), 2j+2 (the separator after member j, or
// the closing bracket after the last member); an empty group is "[" and "]".
class FramedGroup {
 public:
  FramedGroup(const PoolView& pool, const GroupToMeasure& group) : pool_(pool), group_(group) {
    const std::size_t m = group.whole_pool ? pool.size() : group.members.size();
    starts_.resize(m);
    std::uint64_t at = kGroupOpen.size;
    for (std::size_t j = 0; j < m; ++j) {
      starts_[j] = at;
      at += member(j).size + (j + 1 < m ? kGroupSeparator.size : 0);
    }
    size_ = at + kGroupClose.size;
  }

  std::uint64_t size() const { return size_; }

  // Calls visit(ByteSpan) with the bytes [from, to) of the group, in order, piece by piece.
  template <typename Visit>
  void visit(std::uint64_t from, std::uint64_t to, Visit&& visit) const {
    std::size_t k = piece_at(from);
    for (std::uint64_t start = piece_start(k); start < to; ++k) {
      const ByteSpan piece = piece_bytes(k);
      const std::uint64_t begin = std::max(from, start) - start;
      const std::uint64_t end = std::min(to, start + piece.size) - start;
      if (end > begin) visit(ByteSpan{piece.data + begin, static_cast<std::size_t>(end - begin)});
      start += piece.size;
    }
  }

 private:
  ByteSpan member(std::size_t j) const {
    return pool_.sample(group_.whole_pool ? j : static_cast<std::size_t>(group_.members[j]));
  }
  std::size_t members() const { return starts_.size(); }

  ByteSpan piece_bytes(std::size_t k) const {
    if (k == 0) return kGroupOpen;
    if (k % 2 == 1 && k / 2 < members()) return member(k / 2);
    return k / 2 < members() ? kGroupSeparator : kGroupClose;
  }

  std::uint64_t piece_start(std::size_t k) const {
    if (k == 0) return 0;
    if (members() == 0) return kGroupOpen.size;
    const std::size_t j = (k - 1) / 2;
    return k % 2 == 1 ? starts_[j] : starts_[j] + member(j).size;
  }

  std::size_t piece_at(std::uint64_t offset) const {
    if (offset < kGroupOpen.size) return 0;
    if (members() == 0) return 1;
    const auto j = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) -
                                            starts_.begin()) - 1;
    return offset < starts_[j] + member(j).size ? 2 * j + 1 : 2 * j + 2;
  }

  const PoolView& pool_;
  const GroupToMeasure& group_;
  std::vector<std::uint64_t> starts_;  // offset of member j in the framed group
  std::uint64_t size_ = 0;
};

enum class JobKind { exact_zlib, zlib_chunk, zstd_frame };

// One compression: a whole group (exact zlib, zstd) or one chunk [begin, end) of it.
struct Job {
  std::size_t group;
  JobKind kind;
  std::uint64_t begin;
  std::uint64_t end;
};

std::size_t check_zstd(std::size_t rc, const char* what) {
  if (ZSTD_isError(rc)) throw DataError(std::string(what) + " failed: " + ZSTD_getErrorName(rc));
  return rc;
}

// One thread's compressors and buffers, for one run (created on first use).
struct Worker {
  z_stream zlib{};   // the exact stream: a zlib stream with the reference's settings
  z_stream chunk{};  // raw deflate for chunks
  bool zlib_ready = false;
  bool chunk_ready = false;
  ZSTD_CCtx* zstd = nullptr;
  std::vector<std::uint8_t> gathered;  // a chunk and the window before it
  std::vector<std::uint8_t> sink = std::vector<std::uint8_t>(kSinkBytes);

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    if (zlib_ready) deflateEnd(&zlib);
    if (chunk_ready) deflateEnd(&chunk);
    ZSTD_freeCCtx(zstd);
  }

  z_stream& fresh(z_stream& stream, bool& ready, int window_bits) {
    if (ready) {
      check_zlib(deflateReset(&stream), "deflateReset");
    } else {
      init_deflate(stream, window_bits);
      ready = true;
    }
    return stream;
  }
};

class Measurement {
 public:
  Measurement(const PoolView& pool, const std::vector<GroupToMeasure>& groups, const MeasureOptions& options,
              const RunHooks& hooks)
      : options_(options), hooks_(hooks) {
    framed_.reserve(groups.size());
    for (const GroupToMeasure& g : groups) {
      framed_.emplace_back(pool, g);
      total_bytes_ += framed_.back().size();
    }
    plan(groups);
    // The hooks see bytes compressed, not jobs: one job may be the whole pool.
    byte_hooks_.poll_interval_seconds = hooks.poll_interval_seconds;
    byte_hooks_.poll = [this](const Progress& p) {
      if (!hooks_.poll) return true;
      Progress bytes = p;
      bytes.done = static_cast<std::int64_t>(done_bytes_.load(std::memory_order_relaxed));
      bytes.total = static_cast<std::int64_t>(total_bytes_);
      return hooks_.poll(bytes);
    };
  }

  std::vector<GroupSizes> run() {
    ParallelRunner runner(options_.threads, byte_hooks_);
    runner_ = &runner;
    workers_.clear();
    for (int t = 0; t < runner.threads(); ++t) workers_.push_back(std::make_unique<Worker>());
    std::vector<std::uint64_t> compressed(jobs_.size());
    Progress progress;
    runner.run(static_cast<std::int64_t>(jobs_.size()), [&](std::int64_t i) {
      compressed[i] = compress(jobs_[i], *workers_[ParallelRunner::worker()]);
    }, progress, ParallelRunner::Tasks::long_ones);
    std::vector<GroupSizes> sizes(framed_.size());
    for (std::size_t g = 0; g < framed_.size(); ++g) sizes[g].raw = framed_[g].size();
    for (std::size_t i = 0; i < jobs_.size(); ++i) sizes[jobs_[i].group].compressed += compressed[i];
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].kind == JobKind::zlib_chunk && jobs_[i].begin == 0) sizes[jobs_[i].group].compressed += kZlibOverhead;
    }
    return sizes;
  }

 private:
  void plan(const std::vector<GroupToMeasure>& groups) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::uint64_t size = framed_[g].size();
      if (options_.codec == Codec::zstd) {
        jobs_.push_back({g, JobKind::zstd_frame, 0, size});
      } else if (groups[g].chunk_size == 0) {
        jobs_.push_back({g, JobKind::exact_zlib, 0, size});
      } else {
        for (std::uint64_t begin = 0; begin < size; begin += groups[g].chunk_size) {
          jobs_.push_back({g, JobKind::zlib_chunk, begin, std::min(size, begin + groups[g].chunk_size)});
        }
      }
    }
    // Heaviest first, so that no thread is left with a big job at the end.
    std::stable_sort(jobs_.begin(), jobs_.end(),
                     [](const Job& a, const Job& b) { return a.end - a.begin > b.end - b.begin; });
  }

  std::uint64_t compress(const Job& job, Worker& worker) {
    switch (job.kind) {
      case JobKind::exact_zlib:
        return exact_zlib(framed_[job.group], worker);
      case JobKind::zlib_chunk:
        return zlib_chunk(framed_[job.group], job.begin, job.end, worker);
      case JobKind::zstd_frame:
        return zstd_frame(framed_[job.group], worker);
    }
    return 0;
  }

  // Calls feed(ByteSpan) with the group's bytes [from, to) in slices of at most kSliceBytes,
  // counting them and looking at the hooks between slices.
  template <typename Feed>
  void stream(const FramedGroup& group, std::uint64_t from, std::uint64_t to, Feed&& feed) {
    group.visit(from, to, [&](ByteSpan piece) {
      for (std::size_t at = 0; at < piece.size; at += kSliceBytes) {
        const ByteSpan slice{piece.data + at, std::min(kSliceBytes, piece.size - at)};
        feed(slice);
        done_bytes_.fetch_add(slice.size, std::memory_order_relaxed);
        runner_->poll_in_task();
      }
    });
  }

  std::uint64_t exact_zlib(const FramedGroup& group, Worker& worker) {
    z_stream& zs = worker.fresh(worker.zlib, worker.zlib_ready, kZlibWindowBits);
    stream(group, 0, group.size(), [&](ByteSpan piece) { deflate_all(zs, piece, Z_NO_FLUSH, worker.sink); });
    deflate_all(zs, nullptr, 0, Z_FINISH, worker.sink);
    return zs.total_out;
  }

  // Raw deflate of [begin, end) primed with up to 32 KiB before it; a sync flush ends every chunk
  // but the last, so the chunks concatenate into one deflate stream.
  std::uint64_t zlib_chunk(const FramedGroup& group, std::uint64_t begin, std::uint64_t end, Worker& worker) {
    const std::uint64_t window_begin = begin > kWindowBytes ? begin - kWindowBytes : 0;
    std::vector<std::uint8_t>& gathered = worker.gathered;
    gathered.clear();
    group.visit(window_begin, end, [&](ByteSpan piece) { append_bytes(gathered, piece); });
    z_stream& zs = worker.fresh(worker.chunk, worker.chunk_ready, -kZlibWindowBits);
    const auto window = static_cast<std::size_t>(begin - window_begin);
    if (window > 0) {
      check_zlib(deflateSetDictionary(&zs, gathered.data(), static_cast<uInt>(window)), "deflateSetDictionary");
    }
    for (std::size_t at = window; at < gathered.size(); at += kSliceBytes) {
      const std::size_t n = std::min(kSliceBytes, gathered.size() - at);
      deflate_all(zs, gathered.data() + at, n, Z_NO_FLUSH, worker.sink);
      done_bytes_.fetch_add(n, std::memory_order_relaxed);
      runner_->poll_in_task();
    }
    deflate_all(zs, nullptr, 0, end == group.size() ? Z_FINISH : Z_SYNC_FLUSH, worker.sink);
    return zs.total_out;
  }

  // One frame, its parameters those python-zstandard's ZstdCompressionParameters.from_level(level,
  // source_size=bytes, window_log=..., enable_ldm=True) gives (what zipcore's ratio used before
  // this): the level's parameters for the group's size, the window widened to cover the group.
  // The sizes are the engine's libzstd's, and differ slightly from python-zstandard's bundled
  // libzstd when the versions differ (here 1.5.4 against 1.5.7: within 0.2% on the example pool,
  // more on contrived inputs); that is accepted: zstd R has one source now, the engine.
  std::uint64_t zstd_frame(const FramedGroup& group, Worker& worker) {
    if (!worker.zstd) worker.zstd = ZSTD_createCCtx();
    if (!worker.zstd) throw std::bad_alloc();
    ZSTD_CCtx* cctx = worker.zstd;
    const std::uint64_t size = group.size();
    int window_log = 0;
    while (window_log < 63 && (std::uint64_t{1} << window_log) < size) ++window_log;
    window_log = std::clamp(window_log, static_cast<int>(ZSTD_WINDOWLOG_MIN), static_cast<int>(ZSTD_WINDOWLOG_MAX));
    const ZSTD_compressionParameters base = ZSTD_getCParams(options_.level, size, 0);
    check_zstd(ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters), "ZSTD_CCtx_reset");
    const std::pair<ZSTD_cParameter, int> settings[] = {
        {ZSTD_c_compressionLevel, options_.level},
        {ZSTD_c_windowLog, window_log},
        {ZSTD_c_chainLog, static_cast<int>(base.chainLog)},
        {ZSTD_c_hashLog, static_cast<int>(base.hashLog)},
        {ZSTD_c_searchLog, static_cast<int>(base.searchLog)},
        {ZSTD_c_minMatch, static_cast<int>(base.minMatch)},
        {ZSTD_c_targetLength, static_cast<int>(base.targetLength)},
        {ZSTD_c_strategy, static_cast<int>(base.strategy)},
        {ZSTD_c_enableLongDistanceMatching, 1},
    };
    for (const auto& [parameter, value] : settings) {
      check_zstd(ZSTD_CCtx_setParameter(cctx, parameter, value), "ZSTD_CCtx_setParameter");
    }
    check_zstd(ZSTD_CCtx_setPledgedSrcSize(cctx, size), "ZSTD_CCtx_setPledgedSrcSize");
    std::uint64_t compressed = 0;
    auto drain = [&](ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
      std::size_t remaining = 0;
      do {
        ZSTD_outBuffer out{worker.sink.data(), worker.sink.size(), 0};
        remaining = check_zstd(ZSTD_compressStream2(cctx, &out, &in, mode), "ZSTD_compressStream2");
        compressed += out.pos;
      } while (in.pos < in.size || (mode == ZSTD_e_end && remaining != 0));
    };
    stream(group, 0, size, [&](ByteSpan piece) {
      ZSTD_inBuffer in{piece.data, piece.size, 0};
      drain(in, ZSTD_e_continue);
    });
    ZSTD_inBuffer none{nullptr, 0, 0};
    drain(none, ZSTD_e_end);
    return compressed;
  }

  const MeasureOptions& options_;
  const RunHooks& hooks_;
  RunHooks byte_hooks_;
  std::vector<FramedGroup> framed_;
  std::vector<Job> jobs_;
  std::uint64_t total_bytes_ = 0;
  std::atomic<std::uint64_t> done_bytes_{0};
  ParallelRunner* runner_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace

void validate_measure(const PoolView& pool, const std::vector<GroupToMeasure>& groups,
                      const MeasureOptions& options) {
  if (options.codec == Codec::zlib && options.level != kZlibLevel) {
    throw InvalidArgument("the zlib codec is exact at level 9 only, got level " + std::to_string(options.level));
  }
  if (options.codec == Codec::zstd && (options.level < 1 || options.level > ZSTD_maxCLevel())) {
    throw InvalidArgument("zstd level must be 1.." + std::to_string(ZSTD_maxCLevel()) + ", got " +
                          std::to_string(options.level));
  }
  if (options.threads < 0) throw InvalidArgument("threads must be positive, got " + std::to_string(options.threads));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].whole_pool) continue;
    for (std::int64_t i : groups[g].members) {
      if (i < 0 || static_cast<std::uint64_t>(i) >= pool.size()) {
        throw InvalidArgument("group " + std::to_string(g) + ": index " + std::to_string(i) +
                              " is outside the pool of " + std::to_string(pool.size()));
      }
    }
  }
}

std::vector<GroupSizes> measure_groups(const PoolView& pool, const std::vector<GroupToMeasure>& groups,
                                       const MeasureOptions& options, const RunHooks& hooks) {
  validate_measure(pool, groups, options);
  return Measurement(pool, groups, options, hooks).run();
}

}  // namespace zipcore
