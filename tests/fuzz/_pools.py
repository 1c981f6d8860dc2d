"""Random small pools and call parameters for the engine harnesses, drawn from fuzzer bytes.

Values come from the input's bytes (atheris' FuzzedDataProvider) while they last, then from a
PRNG seeded with the input's CRC-32: libFuzzer keeps its inputs short, and without the PRNG a
short input would always mean a pool of empty samples. Either way an input replays exactly.
``valid_*`` state what the public API accepts, from its documentation, independently of
zipcore's own checks.
"""

from __future__ import annotations

import operator
import random
import warnings
import zlib
from typing import Any, Optional, Sequence

import atheris

SPECIAL_INTS: list[Any] = [0, -1, 2**31, 2**63 - 1, 2**63, 2**64 + 5, -(2**63), True, False,
                           1.0, 2.5, "3", None, b"1"]
"""Values around the edges of what an integer parameter may be (and some that are not ints)."""

THREADS: list[Any] = [None, 1, 2, 3, 4, 0, -1, 4097, 2.0, True, "2"]
ZLIB_LEVELS: list[Any] = [None, 9, 9, 9, 0, 1, 10, -1, 9.0, "9"]
ZSTD_LEVELS: list[Any] = [None, 1, 2, 3, 5, 9, 0, -1, -5, 23, 100, 2**40, 3.0, True]
ULTRA_LEVELS = [19, 20, 21, 22]
"""Drawn once in 256 zstd calls: a call at these levels takes 0.1-0.2 s even on a 10-sample pool,
a hundred times a level-3 call, and would slow the whole run down."""
CODECS = ["zlib", "zlib", "zstd", "zstd", "gzip", "ZLIB", ""]
# A thread count above the cap is valid and capped with a UserWarning: not a finding, not noise.
warnings.filterwarnings("ignore", message=r"threads=\d+ is more than", category=UserWarning)
ALPHABETS = [b"ab", b"abc ", b"the quick brown fox, ", bytes(range(256))]
"""Small alphabets give compressible samples and exact ratio ties; the last one noise."""


class Draw:
    """Draws from the input's bytes, then from a PRNG seeded by them."""

    def __init__(self, data: bytes) -> None:
        self.fdp = atheris.FuzzedDataProvider(data)
        self.rng = random.Random(zlib.crc32(data))
        self.parity = len(data) % 2  # picks the codec of valid calls (see codec_and_level)

    def int(self, low: int, high: int) -> int:
        if self.fdp.remaining_bytes():
            return self.fdp.ConsumeIntInRange(low, high)
        return self.rng.randint(low, high)

    def pick(self, values: Sequence[Any]) -> Any:
        return values[self.int(0, len(values) - 1)]

    def chance(self, one_in: int) -> bool:
        return self.int(1, one_in) == one_in

    def bytes(self, length: int) -> bytes:
        head = self.fdp.ConsumeBytes(length)
        alphabet = self.pick(ALPHABETS)
        return head + bytes(self.rng.choice(alphabet) for _ in range(length - len(head)))

    def text(self, length: int, surrogates: bool) -> str:
        if self.fdp.remaining_bytes():
            return (self.fdp.ConsumeUnicode(length) if surrogates
                    else self.fdp.ConsumeUnicodeNoSurrogates(length))
        top = 0xDFFF if surrogates else 0xD7FF
        return "".join(chr(self.rng.choice([self.rng.randint(32, 126), self.rng.randint(0, top)]))
                       for _ in range(length))


def sample(draw: Draw, earlier: list[Any], surrogates: bool) -> Any:
    """One sample: mostly bytes of 0..64 bytes, some long ones, str, dict records, repeats.

    With ``surrogates``, a str may hold lone surrogates (which the API rejects).
    """
    kind = draw.int(0, 15)
    if kind == 0 and earlier:
        return earlier[draw.int(0, len(earlier) - 1)]  # exact duplicate: ties
    if kind == 1:
        # Past deflate's 32 KB window and zstd's small-input paths; repetitive so it is cheap.
        unit = draw.bytes(draw.int(1, 64))
        return unit * (draw.int(1000, 40000) // len(unit) + 1)
    if kind in (2, 3):
        return draw.text(draw.int(0, 48), surrogates)
    if kind == 4:
        return {"id": draw.int(0, 9), "text": draw.text(draw.int(0, 32), False)}
    if kind == 5:
        return bytearray(draw.bytes(draw.int(0, 64)))
    if kind == 6:
        return b""
    return draw.bytes(draw.int(0, 64))


def pool(draw: Draw, max_size: int) -> list[Any]:
    """0..max_size samples; one pool in eight may hold a str the API must reject."""
    surrogates = draw.chance(8)
    samples: list[Any] = []
    for _ in range(draw.int(0, max_size)):
        samples.append(sample(draw, samples, surrogates))
    return samples


def int_param(draw: Draw, low: int, high: int) -> Any:
    """Mostly an int in [low, high]; sometimes an edge value or a non-integer."""
    if draw.chance(8):
        return draw.pick(SPECIAL_INTS)
    return draw.int(low, high)


def as_int(value: Any) -> Optional[int]:
    """The integer the API takes ``value`` as (``operator.index``), or None for a non-integer
    (a bool is not a count: zipcore.params.integer refuses it)."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def valid_sample(s: Any) -> bool:
    if isinstance(s, str):
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def valid_threads(threads: Any) -> bool:
    if threads is None:
        return True
    count = as_int(threads)
    return count is not None and count >= 1  # above 4 per core: capped, with a warning


def valid_codec_level(codec: Any, level: Any) -> bool:
    if codec not in ("zlib", "zstd"):
        return False
    if level is None:
        return True
    value = as_int(level)
    if value is None:
        return False
    return value == 9 if codec == "zlib" else 1 <= value <= 22


def codec_and_level(draw: Draw, *, valid: bool = False) -> tuple[Any, Any]:
    """A codec and level; with ``valid``, one the API accepts, zlib or zstd by the input's
    length (a drawn byte would pick the same codec for every input that runs out of bytes)."""
    if valid:
        codec = ("zlib", "zstd")[draw.parity]
        if codec == "zlib":
            return codec, draw.pick([None, 9])
        if draw.chance(256):
            return codec, draw.pick(ULTRA_LEVELS)
        return codec, draw.pick([None, 1, 2, 3, 4, 5, 6, 9, 12])
    codec = draw.pick(CODECS)
    if codec != "zstd":
        return codec, draw.pick(ZLIB_LEVELS)
    if draw.chance(256):
        return codec, draw.pick(ULTRA_LEVELS)
    return codec, draw.pick(ZSTD_LEVELS)


def threads(draw: Draw, *, valid: bool) -> Any:
    return draw.pick([None, 1, 2, 3, 4] if valid else THREADS)


def select_params(draw: Draw, n: int) -> tuple[Any, ...]:
    """(budget, k1, k2, k3, threads, codec, level) for a pool of ``n``.

    Three times in four a call of the valid shape (budget in 1..n, k1 >= k2 >= k3 >= 1, k's up to
    a few past n, sometimes huge), so that most inputs reach the engine; otherwise each value
    drawn on its own, inside and outside its range.
    """
    if n > 0 and not draw.chance(4):
        budget = draw.int(1, n)
        k3 = draw.int(1, n + 2)
        k2 = k3 + draw.int(0, n + 2)
        k1 = k2 + draw.int(0, n + 2)
        if draw.chance(16):
            k1 = draw.pick([2**31, 2**63 - 1, 2**63, 2**64 + 5])
        return (budget, k1, k2, k3, threads(draw, valid=True),
                *codec_and_level(draw, valid=True))
    budget = int_param(draw, -1, n + 2)
    k1 = int_param(draw, -1, n + 3)
    k2 = int_param(draw, -1, n + 3)
    k3 = int_param(draw, -1, n + 3)
    return (budget, k1, k2, k3, threads(draw, valid=False), *codec_and_level(draw))
