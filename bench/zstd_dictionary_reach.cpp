// How far back in a large selection the zstd scorer's dictionary lets a candidate match, and what
// building that dictionary costs, at a given level: every candidate is compressed with the
// dictionary of the whole group and with the dictionaries of only its last D MiB; equal sizes
// mean that the older content was not used.
//
//   g++ -O2 -Icpp bench/zstd_dictionary_reach.cpp cpp/zstd_group_dictionary.cpp -lzstd -o bench/out/zstd_dictionary_reach
//   bench/out/zstd_dictionary_reach bench/out/pool_1m.jsonl 100000 500000 1000 3 8 15.99 16 32 64
//
// Arguments: a file of one sample per line (JSONL records as they are), the number of leading
// lines that form the group, the line where the candidates start, how many candidates, the zstd
// level, then the suffix sizes D in MiB. The group is framed as the engine frames it
// ("[" + r_1 + ", " + r_2 ...), a candidate as ", " + r + "]", and the dictionary is the
// engine's own (cpp/zstd_group_dictionary.cpp), which at levels 1-4 keeps only the group's last
// 2^24 - 2 bytes, as libzstd 1.5.4 does itself. In bench/out/pool_1m.jsonl every conversation
// appears about 8.8 times, so the candidates have copies somewhere in the group.
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_forceAttachDict
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "zstd_group_dictionary.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::size_t checked(std::size_t rc) {
  if (ZSTD_isError(rc)) {
    std::fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(rc));
    std::exit(1);
  }
  return rc;
}

struct Pass {
  double build_seconds = 0;
  double microseconds_per_candidate = 0;
  std::vector<long> sizes;  // each candidate's compressed size given the dictionary, less the frame's
};

Pass compress_candidates(const std::string& group, std::size_t suffix,
                         const std::vector<std::string>& candidates, int level) {
  const auto* begin = reinterpret_cast<const std::uint8_t*>(group.data()) + group.size() - suffix;
  Pass pass;
  auto start = Clock::now();
  ZSTD_CDict* dictionary =
      zipcore::build_group_dictionary(begin, suffix, level, zipcore::group_window_log(group.size()));
  pass.build_seconds = seconds_since(start);
  if (!dictionary) {
    std::fprintf(stderr, "the dictionary could not be built\n");
    std::exit(1);
  }
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(context, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach);  // as the scorer
  ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0);
  ZSTD_CCtx_setParameter(context, ZSTD_c_dictIDFlag, 0);
  std::vector<char> out(1 << 20);
  auto compress = [&](const std::string& input) {
    if (out.size() < ZSTD_compressBound(input.size())) out.resize(ZSTD_compressBound(input.size()));
    checked(ZSTD_CCtx_reset(context, ZSTD_reset_session_only));
    checked(ZSTD_CCtx_refCDict(context, dictionary));
    return static_cast<long>(checked(ZSTD_compress2(context, out.data(), out.size(), input.data(), input.size())));
  };
  const long frame = compress("");
  start = Clock::now();
  for (const std::string& candidate : candidates) pass.sizes.push_back(compress(candidate) - frame);
  pass.microseconds_per_candidate = 1e6 * seconds_since(start) / static_cast<double>(candidates.size());
  ZSTD_freeCCtx(context);
  ZSTD_freeCDict(dictionary);
  return pass;
}

void report(const char* label, const Pass& pass, const Pass& whole) {
  std::size_t same = 0;
  double change = 0;
  for (std::size_t i = 0; i < pass.sizes.size(); ++i) {
    same += pass.sizes[i] == whole.sizes[i];
    change += static_cast<double>(pass.sizes[i]) / static_cast<double>(std::max(whole.sizes[i], 1L)) - 1;
  }
  const double n = static_cast<double>(pass.sizes.size());
  std::printf("%-22s build %6.3f s, %6.1f us a candidate, sizes equal to the whole group's %5.1f %%, "
              "mean size change %+6.1f %%\n",
              label, pass.build_seconds, pass.microseconds_per_candidate, 100 * same / n, 100 * change / n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s SAMPLES GROUP_LINES FIRST_CANDIDATE_LINE CANDIDATES LEVEL [MiB...]\n",
                 argv[0]);
    return 2;
  }
  const std::size_t group_lines = std::strtoul(argv[2], nullptr, 10);
  const std::size_t first_candidate = std::strtoul(argv[3], nullptr, 10);
  const std::size_t candidate_count = std::strtoul(argv[4], nullptr, 10);
  const int level = std::atoi(argv[5]);
  if (group_lines == 0 || candidate_count == 0 || first_candidate < group_lines) {
    std::fprintf(stderr, "the group needs lines, and the candidates must come after it\n");
    return 2;
  }
  if (level < 1 || level > ZSTD_maxCLevel()) {
    std::fprintf(stderr, "level must be 1..%d\n", ZSTD_maxCLevel());
    return 2;
  }
  std::vector<double> suffixes;
  for (int a = 6; a < argc; ++a) {
    suffixes.push_back(std::atof(argv[a]));
    if (!(suffixes.back() > 0)) {
      std::fprintf(stderr, "a suffix size must be a positive number of MiB, got %s\n", argv[a]);
      return 2;
    }
  }
  std::ifstream file(argv[1]);
  if (!file) {
    std::fprintf(stderr, "%s: cannot open\n", argv[1]);
    return 2;
  }
  std::string group = "[";
  std::vector<std::string> candidates;
  std::size_t line_number = 0;
  for (std::string line; candidates.size() < candidate_count && std::getline(file, line); ++line_number) {
    if (line_number < group_lines) {
      group += (line_number ? ", " : "") + line;
    } else if (line_number >= first_candidate) {
      candidates.push_back(", " + line + "]");
    }
  }
  if (candidates.size() < candidate_count) {
    std::fprintf(stderr, "%s: only %zu lines\n", argv[1], line_number);
    return 2;
  }
  std::printf("level %d, group of %zu samples (%.1f MiB), %zu candidates\n", level, group_lines,
              static_cast<double>(group.size()) / (1 << 20), candidates.size());
  const Pass whole = compress_candidates(group, group.size(), candidates, level);
  report("whole group", whole, whole);
  for (std::size_t k = 0; k < suffixes.size(); ++k) {
    const double bytes = std::min(static_cast<double>(group.size()), suffixes[k] * (1 << 20));
    const std::string label = "last " + std::string(argv[6 + k]) + " MiB";
    report(label.c_str(), compress_candidates(group, static_cast<std::size_t>(bytes), candidates, level), whole);
  }
  return 0;
}
