"""Pools built once: numpy buffers, Arrow arrays and datasets used in place, same selections."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

import zipcore
from zipcore._pool import EncodedPool, encode_pool
from zipcore.pool import Pool, PoolBuilder

KS = dict(k1=20, k2=8, k3=3)


@pytest.fixture(scope="module")
def records(real_pool):
    return real_pool("pool", 1000, 1040)


@pytest.fixture(scope="module")
def samples(records) -> list[bytes]:
    return [repr(r).encode("utf-8") for r in records]


@pytest.fixture(scope="module")
def expected(records):
    return zipcore.select(records, 12, **KS).tolist()


def _buffers(samples: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    data = np.frombuffer(b"".join(samples), dtype=np.uint8).copy()
    offsets = np.zeros(len(samples) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in samples], out=offsets[1:])
    return data, offsets


# --- building --------------------------------------------------------------------------------

def test_from_samples_encodes_like_select(records):
    pool = Pool.from_samples(records)
    reference = encode_pool(records)
    assert isinstance(pool, EncodedPool) and len(pool) == len(records)
    assert pool == reference
    assert pool.sample(3) == repr(records[3]).encode("utf-8")
    assert pool.nbytes == len(reference.data)
    assert pool.lengths().tolist() == [len(repr(r).encode("utf-8")) for r in records]
    assert repr(pool) == f"Pool({len(records)} samples, {pool.nbytes} bytes)"
    assert repr(pool.take([0])) == f"Pool(1 sample, {len(pool.sample(0))} bytes)"


def test_from_samples_of_str_bytes_and_generators():
    assert Pool.from_samples(["a", b"bc", "é"]) == Pool.from_samples(x for x in [b"a", b"bc",
                                                                                "é".encode()])
    assert len(Pool.from_samples([])) == 0
    with pytest.raises(TypeError, match="not a single str"):
        Pool.from_samples("abc")
    with pytest.raises(TypeError, match="sample 1 is a int"):
        Pool.from_samples(["a", 5])


def test_from_buffers_is_zero_copy_and_read_only(samples):
    data, offsets = _buffers(samples)
    pool = Pool.from_buffers(data, offsets)
    assert np.shares_memory(pool.data, data)
    # Writeable offsets are copied: the boundaries checked here cannot be rewritten later.
    assert not np.shares_memory(pool.offsets, offsets)
    assert not pool.data.flags.writeable and not pool.offsets.flags.writeable
    assert data.flags.writeable and offsets.flags.writeable  # the caller's keep their flags
    frozen = offsets.copy()
    frozen.flags.writeable = False
    assert np.shares_memory(Pool.from_buffers(data, frozen).offsets, frozen)  # read-only: viewed
    assert Pool(data, offsets) == pool
    with pytest.raises(ValueError):
        pool.data[0] = 0


def test_from_buffers_takes_bytes_and_converts_only_the_offsets(samples):
    data, offsets = _buffers(samples)
    raw = data.tobytes()
    pool = Pool.from_buffers(raw, offsets.astype(np.int32))
    assert pool.offsets.dtype == np.int64
    assert pool == Pool.from_samples(samples)
    assert np.shares_memory(pool.data, np.frombuffer(raw, dtype=np.uint8))


def test_from_buffers_window_of_a_larger_pool(samples):
    data, offsets = _buffers(samples)
    window = Pool.from_buffers(data, offsets[5:11])
    assert window == Pool.from_samples(samples[5:10])
    assert np.shares_memory(window.data, data)


@pytest.mark.parametrize("data, offsets, error, message", [
    (np.zeros(4, np.uint8), [0, 3, 2, 4], ValueError, r"never decrease: offsets\[2\] = 2"),
    (np.zeros(4, np.uint8), [0, 2, 5], ValueError, "past the end of the data"),
    (np.zeros(4, np.uint8), [-1, 2], ValueError, "must not be negative"),
    (np.zeros(4, np.uint8), [], ValueError, "N\\+1 entries"),
    (np.zeros(4, np.uint8), [[0, 4]], ValueError, "1-D"),
    (np.zeros(4, np.uint8), [0.0, 4.0], TypeError, "integers"),
    (np.zeros(4, np.float32), [0, 4], ValueError, "uint8"),
    (np.zeros((2, 2), np.uint8), [0, 4], ValueError, "1-D uint8"),
    (np.zeros(8, np.uint8)[::2], [0, 4], ValueError, "contiguous"),
    ("text", [0, 4], TypeError, "bytes-like"),
])
def test_from_buffers_rejects_bad_buffers(data, offsets, error, message):
    with pytest.raises(error, match=message):
        Pool.from_buffers(data, offsets)


def test_builder_appends_extends_and_hands_over():
    builder = PoolBuilder()
    builder.append(b"ab")
    builder.extend_last(b", cd")
    builder.append_many(b"xxefghyy", np.array([2, 4, 6]))
    builder.append(b"")
    assert len(builder) == 4 and builder.nbytes == 10
    pool = builder.finish()
    assert [pool.sample(i) for i in range(4)] == [b"ab, cd", b"ef", b"gh", b""]
    with pytest.raises(IndexError):
        PoolBuilder().extend_last(b"x")


# --- using -------------------------------------------------------------------------------------

def test_buffers_pool_selects_like_the_list(samples, expected):
    pool = Pool.from_buffers(*_buffers(samples))
    assert zipcore.select(pool, 12, **KS).tolist() == expected
    assert zipcore.compression_ratio(pool) == zipcore.compression_ratio(samples)


def test_a_pool_is_reused_across_calls(records, expected):
    pool = Pool.from_samples(records)
    before = (pool.data.copy(), pool.offsets.copy())
    for _ in range(3):
        assert zipcore.select(pool, 12, **KS).tolist() == expected
    assert zipcore.select(pool, 5, k1=10, k2=6, k3=2).tolist() == zipcore.select(
        records, 5, k1=10, k2=6, k3=2).tolist()
    assert zipcore.select_with_stats(pool, 12, threads=1, **KS).indices.tolist() == expected
    assert np.array_equal(pool.data, before[0]) and np.array_equal(pool.offsets, before[1])


def test_take_copies_the_chosen_samples_in_order(records, expected):
    pool = Pool.from_samples(records)
    chosen = pool.take(expected)
    assert chosen == Pool.from_samples([records[i] for i in expected])
    assert zipcore.compression_ratio(chosen) == zipcore.compression_ratio(
        [records[i] for i in expected])
    assert len(pool.take([])) == 0
    with pytest.raises(IndexError, match="index 40 is out of range"):
        pool.take([1, 40])
    with pytest.raises(IndexError):
        pool.sample(-1)
    assert pool.sample(np.int64(3)) == pool.sample(3)
    for index in (3.7, True, "3"):  # were int()'ed: sample 3, sample 1, sample 3
        with pytest.raises(TypeError, match="index must be an integer"):
            pool.sample(index)


def test_candidate_ratios_take_pools(records):
    pool = Pool.from_samples(records)
    got = zipcore.candidate_ratios(pool.take([0, 1]), pool.take([2, 3]))
    assert got.tolist() == zipcore.candidate_ratios(records[:2], records[2:4]).tolist()


def test_a_pool_is_a_sequence_of_its_samples(records):
    # A Pool was a (data, offsets) tuple underneath: pool[0] was the whole buffer, list(pool)
    # two arrays and pool.count(...) numpy's "truth value is ambiguous", though len(pool)
    # counted samples. Nothing of the tuple is left.
    assert not isinstance(Pool.from_samples(["a"]), tuple)
    pool = Pool.from_samples(records[:5])
    expected = [repr(record).encode() for record in records[:5]]
    assert list(pool) == expected
    assert [pool[i] for i in range(len(pool))] == expected
    assert pool[np.int64(4)] == expected[4]
    with pytest.raises(IndexError, match="out of range"):
        pool[5]
    with pytest.raises(TypeError, match=r"pool.take\(range"):
        pool[1:3]
    window = Pool(pool.data, pool.offsets[2:])
    assert list(window) == expected[2:]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):  # 0 and 1 made a tuple of samples
        assert list(pickle.loads(pickle.dumps(window, protocol))) == expected[2:]
    assert expected[3] in pool and b"x" not in pool  # was numpy's "truth value is ambiguous"
    with pytest.raises(FrozenInstanceError):
        pool.data = np.zeros(3, dtype=np.uint8)  # the checked boundaries stay the pool's
    with pytest.raises(AttributeError, match="no attribute 'name'"):  # was a super() TypeError
        pool.name = "train"


def test_pool_pickles_and_compares(records):
    pool = Pool.from_samples(records)
    again = pickle.loads(pickle.dumps(pool))
    assert type(again) is Pool and again == pool
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):  # the engine's own pool too
        encoded = pickle.loads(pickle.dumps(encode_pool(records), protocol))
        assert type(encoded) is EncodedPool and pool == encoded
    assert pool != Pool.from_samples(records[:-1])
    assert (pool == 5) is False


# --- Arrow ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pa():
    return pytest.importorskip("pyarrow")


def _arrow_types(pa):
    return [pa.string(), pa.large_string(), pa.binary(), pa.large_binary()]


@pytest.mark.parametrize("type_index", range(4))
def test_arrow_arrays_select_like_the_list(pa, samples, expected, type_index):
    kind = _arrow_types(pa)[type_index]
    text = kind in (pa.string(), pa.large_string())
    array = pa.array([s.decode("utf-8") for s in samples] if text else samples, type=kind)
    pool = Pool.from_arrow(array)
    assert pool == Pool.from_samples(samples)
    assert zipcore.select(pool, 12, **KS).tolist() == expected
    value_buffer = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    assert np.shares_memory(pool.data, value_buffer)  # the values are never copied
    offsets_buffer = np.frombuffer(array.buffers()[1], dtype=np.uint8)
    large = kind in (pa.large_string(), pa.large_binary())
    assert np.shares_memory(pool.offsets, offsets_buffer) == large  # 32-bit ones are widened


def test_sliced_arrow_array_views_its_values(pa, samples):
    for kind in (pa.string(), pa.large_binary()):
        array = pa.array([s.decode() for s in samples], type=pa.string()).cast(kind)
        part = array.slice(7, 20)
        assert part.offset == 7
        pool = Pool.from_arrow(part)
        assert pool == Pool.from_samples(samples[7:27])
        assert np.shares_memory(pool.data, np.frombuffer(array.buffers()[2], dtype=np.uint8))


def test_chunked_arrays(pa, samples, expected):
    one = pa.chunked_array([pa.array(samples, type=pa.binary())])
    assert np.shares_memory(Pool.from_arrow(one).data,
                            np.frombuffer(one.chunk(0).buffers()[2], dtype=np.uint8))
    several = pa.chunked_array([pa.array(samples[:10], type=pa.large_binary()),
                                pa.array(samples[10:11], type=pa.large_binary()).slice(1),
                                pa.array(samples[10:25], type=pa.large_binary()),
                                pa.array(samples[25:], type=pa.large_binary()).slice(0)])
    pool = Pool.from_arrow(several)
    assert pool == Pool.from_samples(samples)
    assert zipcore.select(pool, 12, **KS).tolist() == expected
    assert len(Pool.from_arrow(pa.chunked_array([], type=pa.string()))) == 0


def test_concat_joins_pools_in_order(samples):
    whole = Pool.from_samples(samples)
    window = EncodedPool(whole.data, whole.offsets[10:26])  # offsets not from 0
    parts = [Pool.from_samples(samples[:10]), window, Pool.from_samples([]),
             encode_pool(samples[25:])]
    assert Pool.concat(parts) == whole
    assert Pool.concat([whole]) is whole
    assert Pool.concat([encode_pool(samples)]) == whole
    empty = Pool.concat([])
    assert len(empty) == 0 and empty.nbytes == 0


def test_empty_and_empty_string_arrow_arrays(pa):
    assert len(Pool.from_arrow(pa.array([], type=pa.string()))) == 0
    pool = Pool.from_arrow(pa.array(["", "", "x"]))
    assert [pool.sample(i) for i in range(3)] == [b"", b"", b"x"]


def test_arrow_nulls_and_wrong_types_are_refused(pa):
    with pytest.raises(ValueError, match="value 2 of the Arrow array is null"):
        Pool.from_arrow(pa.array(["a", "b", None, "d"]))
    chunked = pa.chunked_array([pa.array(["a", "b"]), pa.array(["c", None])])
    with pytest.raises(ValueError, match="value 3 of the Arrow array is null"):
        Pool.from_arrow(chunked)
    with pytest.raises(TypeError, match="string or binary arrays.*got int64"):
        Pool.from_arrow(pa.array([1, 2]))
    with pytest.raises(TypeError, match="dictionary_decode"):
        Pool.from_arrow(pa.array(["a", "b", "a"]).dictionary_encode())
    with pytest.raises(TypeError, match="pyarrow Array or ChunkedArray"):
        Pool.from_arrow(["a", "b"])


def test_hugging_face_dataset_column(pa, samples, expected):
    datasets = pytest.importorskip("datasets")
    texts = [s.decode("utf-8") for s in samples]
    dataset = datasets.Dataset.from_dict({"text": texts, "n": list(range(len(texts)))})
    pool = Pool.from_dataset(dataset, column="text")
    assert pool == Pool.from_samples(samples)
    assert zipcore.select(pool, 12, **KS).tolist() == expected
    # After select (an indices mapping), the rows come in the mapped order.
    picked = dataset.select([5, 1, 30])
    assert Pool.from_dataset(picked, column="text") == Pool.from_samples(
        [samples[5], samples[1], samples[30]])
    with pytest.raises(ValueError, match="no column 'body'"):
        Pool.from_dataset(dataset, column="body")
    with pytest.raises(TypeError, match="string or binary"):
        Pool.from_dataset(dataset, column="n")
    with pytest.raises(TypeError, match="one split"):
        Pool.from_dataset(datasets.DatasetDict({"train": dataset}), column="text")
    with pytest.raises(TypeError, match="datasets.Dataset"):
        Pool.from_dataset({"text": texts}, column="text")
