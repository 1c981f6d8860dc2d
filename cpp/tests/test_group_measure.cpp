// group_measure against zlib itself: the exact size is compress2's at level 9 on the framed group
// (materialised here, which the engine never does); the chunked size is what the definition in
// group_measure.hpp gives when each chunk is compressed here with its own fresh stream, and the
// concatenated chunks, with the zlib header and trailer, inflate back to the group.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "group_framing.hpp"
#include "group_measure.hpp"
#include "pool_view.hpp"

namespace {

using zipcore::GroupToMeasure;

struct Pool {
  std::vector<std::uint8_t> data;
  std::vector<std::int64_t> offsets{0};

  void add(const std::vector<std::uint8_t>& sample) {
    data.insert(data.end(), sample.begin(), sample.end());
    offsets.push_back(static_cast<std::int64_t>(data.size()));
  }
  zipcore::PoolView view() const { return {data.data(), data.size(), offsets.data(), offsets.size() - 1}; }
};

std::vector<std::uint8_t> framed(const Pool& pool, const std::vector<std::int64_t>& members) {
  std::vector<std::uint8_t> out(zipcore::kGroupOpenBytes, zipcore::kGroupOpenBytes + 1);
  for (std::size_t j = 0; j < members.size(); ++j) {
    if (j > 0) zipcore::append_bytes(out, zipcore::kGroupSeparator);
    const auto i = static_cast<std::size_t>(members[j]);
    out.insert(out.end(), pool.data.begin() + pool.offsets[i], pool.data.begin() + pool.offsets[i + 1]);
  }
  zipcore::append_bytes(out, zipcore::kGroupClose);
  return out;
}

std::uint64_t zlib_size(const std::vector<std::uint8_t>& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::vector<std::uint8_t> out(size);
  CHECK(compress2(out.data(), &size, bytes.data(), static_cast<uLong>(bytes.size()), 9) == Z_OK);
  return size;
}

// The chunked path's stream, by its definition, each chunk through a fresh raw stream.
std::vector<std::uint8_t> chunked_stream(const std::vector<std::uint8_t>& group, std::size_t chunk) {
  std::vector<std::uint8_t> out{0x78, 0xda};
  for (std::size_t begin = 0; begin < group.size(); begin += chunk) {
    const std::size_t end = std::min(group.size(), begin + chunk);
    z_stream s{};
    CHECK(deflateInit2(&s, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    if (begin > 0) {
      const std::size_t window = std::min<std::size_t>(begin, 32768);
      CHECK(deflateSetDictionary(&s, group.data() + begin - window, static_cast<uInt>(window)) == Z_OK);
    }
    std::vector<std::uint8_t> buffer(deflateBound(&s, static_cast<uLong>(end - begin)) + 64);
    s.next_in = const_cast<Bytef*>(group.data() + begin);
    s.avail_in = static_cast<uInt>(end - begin);
    s.next_out = buffer.data();
    s.avail_out = static_cast<uInt>(buffer.size());
    CHECK(deflate(&s, Z_NO_FLUSH) == Z_OK);
    const int rc = deflate(&s, end == group.size() ? Z_FINISH : Z_SYNC_FLUSH);
    CHECK(rc == (end == group.size() ? Z_STREAM_END : Z_OK));
    out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(s.total_out));
    deflateEnd(&s);
  }
  const uLong adler = adler32(adler32(0, nullptr, 0), group.data(), static_cast<uInt>(group.size()));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(adler >> shift));
  return out;
}

bool inflates_to(const std::vector<std::uint8_t>& stream, const std::vector<std::uint8_t>& group) {
  std::vector<std::uint8_t> back(group.size() + 1);
  uLongf size = static_cast<uLongf>(back.size());
  return uncompress(back.data(), &size, stream.data(), static_cast<uLong>(stream.size())) == Z_OK &&
         std::equal(group.begin(), group.end(), back.begin()) && size == group.size();
}

GroupToMeasure group_of(std::vector<std::int64_t> members, std::uint64_t chunk) {
  GroupToMeasure g;
  g.members = std::move(members);
  g.chunk_size = chunk;
  return g;
}

}  // namespace

int main() {
  zipcore_test::Random random(99);
  Pool pool;
  for (int i = 0; i < 300; ++i) {
    const std::size_t size = i % 50 == 0 ? 0 : random.below(i % 7 == 0 ? 20000 : 1500);
    pool.add(zipcore_test::make_input(random, static_cast<int>(random.below(5)), size));
  }
  const zipcore::PoolView view = pool.view();
  std::vector<std::int64_t> everyone(300);
  for (std::size_t i = 0; i < everyone.size(); ++i) everyone[i] = static_cast<std::int64_t>(i);

  // Groups: the whole pool, a reordered subset with repeats, one sample, none.
  std::vector<std::vector<std::int64_t>> orders = {everyone, {}, {7}, {0}};
  for (int i = 0; i < 120; ++i) orders[1].push_back(static_cast<std::int64_t>(random.below(300)));
  const std::uint64_t chunks[] = {0, 1000, 32767, 32768, 32769, 100000, 1u << 20};
  std::vector<GroupToMeasure> groups;
  for (const auto& order : orders) {
    for (std::uint64_t chunk : chunks) groups.push_back(group_of(order, chunk));
  }
  const std::vector<zipcore::GroupSizes> one = zipcore::measure_groups(view, groups, {zipcore::Codec::zlib, 9, 1}, {});
  const std::vector<zipcore::GroupSizes> three = zipcore::measure_groups(view, groups, {zipcore::Codec::zlib, 9, 3}, {});
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::vector<std::uint8_t> bytes = framed(pool, groups[g].members);
    CHECK_EQ(one[g].raw, static_cast<std::uint64_t>(bytes.size()));
    CHECK_EQ(one[g].compressed, three[g].compressed);
    if (groups[g].chunk_size == 0) {
      CHECK_EQ(one[g].compressed, zlib_size(bytes));
    } else {
      const std::vector<std::uint8_t> stream = chunked_stream(bytes, groups[g].chunk_size);
      CHECK(inflates_to(stream, bytes));
      CHECK_EQ(one[g].compressed, static_cast<std::uint64_t>(stream.size()));
    }
  }
  GroupToMeasure whole;
  whole.whole_pool = true;
  CHECK_EQ(zipcore::measure_groups(view, {whole}, {zipcore::Codec::zlib, 9, 1}, {})[0].compressed,
           zlib_size(framed(pool, everyone)));
  CHECK_EQ(zipcore::measure_groups(view, {whole}, {zipcore::Codec::zlib, 9, 2}, {})[0].compressed, one[0].compressed);

  // zstd: the group's bytes counted as framed, and the size independent of the threads.
  const std::vector<GroupToMeasure> zstd_groups = {whole, group_of(orders[1], 0), group_of({}, 0)};
  const auto z1 = zipcore::measure_groups(view, zstd_groups, {zipcore::Codec::zstd, 3, 1}, {});
  const auto z3 = zipcore::measure_groups(view, zstd_groups, {zipcore::Codec::zstd, 3, 3}, {});
  for (std::size_t g = 0; g < zstd_groups.size(); ++g) {
    CHECK_EQ(z1[g].compressed, z3[g].compressed);
    CHECK(z1[g].compressed > 0 && z1[g].compressed < z1[g].raw + 64);
  }
  CHECK_EQ(z1[0].raw, one[0].raw);

  // Bad arguments.
  int refused = 0;
  for (const auto& [groups_, options] : std::vector<std::pair<std::vector<GroupToMeasure>, zipcore::MeasureOptions>>{
           {{group_of({300}, 0)}, {zipcore::Codec::zlib, 9, 1}},
           {{group_of({-1}, 0)}, {zipcore::Codec::zlib, 9, 1}},
           {{whole}, {zipcore::Codec::zlib, 6, 1}},
           {{whole}, {zipcore::Codec::zstd, 0, 1}},
           {{whole}, {zipcore::Codec::zlib, 9, -1}}}) {
    try {
      zipcore::measure_groups(view, groups_, options, {});
    } catch (const std::invalid_argument&) {
      ++refused;
    }
  }
  CHECK_EQ(refused, 5);
  return zipcore_test::finish("group_measure");
}
