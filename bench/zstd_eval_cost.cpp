// Where a zstd candidate evaluation's time goes, outside the engine so that perf can name
// libzstd's functions (the system's libzstd.so is stripped; libzstd.a is not).
//
//   python -c "import json; [print(repr(r)) for r in json.load(open('../shared/data/pool_real_5k.json'))]" > bench/out/samples_5k.txt
//   g++ -O2 -g -Icpp bench/zstd_eval_cost.cpp cpp/zstd_group_dictionary.cpp /usr/lib/x86_64-linux-gnu/libzstd.a -o bench/out/zstd_eval_cost
//   bench/out/zstd_eval_cost bench/out/samples_5k.txt 100 500
//   perf record -o bench/out/zstd.perf bench/out/zstd_eval_cost bench/out/samples_5k.txt 100
//   perf report -i bench/out/zstd.perf --no-children --sort symbol
//
// For each group size G it takes the first G samples as the group, the others as candidates,
// and times what the zstd scorer does (cpp/zstd_scorer.cpp, level 3): build the group's
// dictionary (the scorer's own, cpp/zstd_group_dictionary.cpp; the window sized to the group),
// compress the group in one shot, and compress each candidate with the dictionary attached; also
// each sample alone (stage 1). One sample per line of the input (repr() output has no raw
// newlines).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "zstd_group_dictionary.hpp"

namespace {

constexpr int kLevel = 3;

using Clock = std::chrono::steady_clock;

double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

std::size_t checked(std::size_t rc) {
  if (ZSTD_isError(rc)) {
    std::fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(rc));
    std::exit(1);
  }
  return rc;
}

void measure(const std::vector<std::string>& samples, std::size_t group_size) {
  std::string content = "[";
  for (std::size_t i = 0; i < group_size; ++i) content += (i ? ", " : "") + samples[i];

  constexpr int kBuilds = 20;  // repeats of the per-change work, averaged
  ZSTD_CDict* dictionary = nullptr;
  auto start = Clock::now();
  for (int b = 0; b < kBuilds; ++b) {
    ZSTD_freeCDict(dictionary);
    dictionary = zipcore::build_group_dictionary(reinterpret_cast<const std::uint8_t*>(content.data()),
                                                 content.size(), kLevel,
                                                 zipcore::group_window_log(content.size()));
  }
  const double build_us = micros_since(start) / kBuilds;

  ZSTD_CCtx* context = ZSTD_createCCtx();
  std::vector<char> out(ZSTD_compressBound(content.size()));
  // The scorer reuses one context for this: warm it up (allocation, page faults) before timing.
  checked(ZSTD_compressCCtx(context, out.data(), out.size(), content.data(), content.size(), kLevel));
  start = Clock::now();
  for (int b = 0; b < kBuilds; ++b) {
    checked(ZSTD_compressCCtx(context, out.data(), out.size(), content.data(), content.size(), kLevel));
  }
  const double one_shot_us = micros_since(start) / kBuilds;

  ZSTD_CCtx_setParameter(context, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach);
  ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0);
  ZSTD_CCtx_setParameter(context, ZSTD_c_dictIDFlag, 0);
  std::string input;
  std::size_t evaluations = 0, input_bytes = 0;
  start = Clock::now();
  for (std::size_t i = group_size; i < samples.size(); ++i) {
    input = ", " + samples[i] + "]";
    if (out.size() < ZSTD_compressBound(input.size())) out.resize(ZSTD_compressBound(input.size()));
    checked(ZSTD_CCtx_reset(context, ZSTD_reset_session_only));
    checked(ZSTD_CCtx_refCDict(context, dictionary));
    checked(ZSTD_compress2(context, out.data(), out.size(), input.data(), input.size()));
    ++evaluations;
    input_bytes += input.size();
  }
  const double with_us = micros_since(start) / static_cast<double>(evaluations);
  ZSTD_freeCCtx(context);
  ZSTD_freeCDict(dictionary);

  std::printf("group %5zu samples, %8zu bytes: dictionary %7.0f us, one-shot %7.0f us, "
              "candidate with dictionary %5.2f us (mean %zu bytes)\n",
              group_size, content.size(), build_us, one_shot_us, with_us, input_bytes / evaluations);
}

void measure_alone(const std::vector<std::string>& samples) {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  std::vector<char> out;
  std::string input;
  const auto start = Clock::now();
  for (const std::string& sample : samples) {
    input = "[" + sample + "]";
    out.resize(ZSTD_compressBound(input.size()));
    checked(ZSTD_compressCCtx(context, out.data(), out.size(), input.data(), input.size(), kLevel));
  }
  std::printf("each sample alone: %.2f us\n", micros_since(start) / static_cast<double>(samples.size()));
  ZSTD_freeCCtx(context);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SAMPLES.txt GROUP_SIZE...\n", argv[0]);
    return 2;
  }
  std::ifstream file(argv[1]);
  std::vector<std::string> samples;
  for (std::string line; std::getline(file, line);) samples.push_back(line);
  if (samples.empty()) {
    std::fprintf(stderr, "%s: no samples\n", argv[1]);
    return 2;
  }
  std::vector<std::size_t> group_sizes;
  for (int a = 2; a < argc; ++a) {
    group_sizes.push_back(std::strtoul(argv[a], nullptr, 10));
    if (group_sizes.back() == 0 || group_sizes.back() >= samples.size()) {
      std::fprintf(stderr, "group size %s must be 1..%zu\n", argv[a], samples.size() - 1);
      return 2;
    }
  }
  measure_alone(samples);
  for (std::size_t group_size : group_sizes) measure(samples, group_size);
  return 0;
}
