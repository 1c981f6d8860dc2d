"""Compression chosen by a file's name, for input and output alike: ``.gz`` (gzip) and ``.zst``
(zstandard, a dependency of zipcore). Only JSON and JSONL are compressed this way; Parquet
compresses inside the file.

A zstd file may hold several frames (``zstd`` of concatenated parts, pzstd output); a file that
ends inside a frame is refused as truncated, as gzip refuses one (the ``zstandard`` stream
reader would end quietly there and lose the last records). Both read forward only: a reader
that re-reads records fetches them in file order (see :mod:`zipcore.io.readers`).
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import Any, BinaryIO, Iterable, Iterator, Optional, Union

from . import PathLike

SUFFIXES = {".gz": "gzip", ".zst": "zstd"}
"""A name's last suffix -> its compression."""
ZSTD_LEVEL = 3
"""The level of a ``.zst`` output (zstd's own default)."""


MAGIC = {b"\x1f\x8b": ".gz", b"\x28\xb5\x2f\xfd": ".zst"}
"""The first bytes of a gzip member and of a zstd frame -> the suffix that names them."""


OTHER_MAGIC = {b"BZh": "bzip2", b"\xfd7zX": "xz", b"\x04\x22\x4d\x18": "lz4", b"PK\x03\x04": "zip"}
"""The first bytes of compressions zipcore does not read -> their names."""


def _suffix_of(head: bytes) -> str:
    """The suffix that names the compression ``head`` (a file's first bytes) shows, or ``""``."""
    return next((suffix for magic, suffix in MAGIC.items() if head.startswith(magic)), "")


def foreign_compression(head: bytes) -> Optional[str]:
    """What a file read as plain text (its name says no .gz or .zst) is compressed with, by its
    first bytes, or None: read as text, it would fail as "not valid UTF-8" somewhere inside."""
    suffix = _suffix_of(head)
    if suffix:
        return f"{SUFFIXES[suffix]} (name it *{suffix} to read it)"
    return next((f"{name} (zipcore reads .gz and .zst: decompress it first)"
                 for magic, name in OTHER_MAGIC.items() if head.startswith(magic)), None)


def suffix_by_content(path: PathLike) -> str:
    """The compression suffix the file's first bytes show, or ``""``: for a file with no name
    to say it (a copy of standard input)."""
    with open(path, "rb") as handle:
        return _suffix_of(handle.read(4))


def compression_of(path: PathLike) -> Optional[str]:
    """``gzip``, ``zstd`` or None (plain), by the name's last suffix."""
    return SUFFIXES.get(os.path.splitext(os.fspath(path))[1].lower())


def strip_compression(path: PathLike) -> str:
    """The name without its compression suffix: ``a.jsonl.zst`` -> ``a.jsonl``."""
    name = os.fspath(path)
    return os.path.splitext(name)[0] if compression_of(name) else name


def _zstandard() -> Any:
    import zstandard  # a dependency of zipcore; imported when a .zst file is met

    return zstandard


def decompress_errors(compression: Optional[str]) -> tuple[type[BaseException], ...]:
    """What reading a broken file of this compression raises."""
    if compression == "gzip":
        return (gzip.BadGzipFile, EOFError, zlib.error)
    if compression == "zstd":
        return (_zstandard().ZstdError, EOFError)
    return ()


class _ZstdRaw(io.RawIOBase):
    """A zstd file's decompressed bytes, frame after frame; EOFError when it ends inside one."""

    def __init__(self, path: PathLike) -> None:
        self._file = open(path, "rb")
        self._zstd = _zstandard().ZstdDecompressor()
        self._frame = self._zstd.decompressobj()
        self._started = False  # input was fed to the current frame
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self._frame.eof:  # the next frame starts with what the last one left over
                rest = self._frame.unused_data
                self._frame, self._started = self._zstd.decompressobj(), False
                if rest:
                    self._feed(rest)
                    continue
            raw = self._file.read(1 << 16)
            if not raw:
                if self._started and not self._frame.eof:
                    raise EOFError("compressed file ended before the end of a zstd frame")
                return 0
            self._feed(raw)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _feed(self, raw: bytes) -> None:
        self._started = True
        self._pending = self._frame.decompress(raw)

    def close(self) -> None:
        self._file.close()
        super().close()


def open_decompressed(path: PathLike) -> BinaryIO:
    """The file's (decompressed) bytes, read forward."""
    compression = compression_of(path)
    if compression == "gzip":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a binary file object
    if compression == "zstd":
        return io.BufferedReader(_ZstdRaw(path), 1 << 20)
    return open(path, "rb")


def skip(handle: BinaryIO, count: int) -> None:
    """Reads ``count`` bytes forward and drops them (a compressed stream cannot seek back)."""
    while count > 0:
        got = len(handle.read(min(count, 1 << 20)))
        if not got:
            return
        count -= got


def compressed_chunks(chunks: Iterable[Union[bytes, memoryview]], compression: Optional[str]
                      ) -> Iterator[Union[bytes, memoryview]]:
    """``chunks`` compressed as one stream, chunk by chunk. The bytes do not depend on how the
    input is split: gzip's equal ``gzip.compress(whole, 6, mtime=0)``, zstd's are one frame at
    level :data:`ZSTD_LEVEL`."""
    if compression is None:
        yield from chunks
        return
    compressor: Any = (zlib.compressobj(6, zlib.DEFLATED, 31) if compression == "gzip"
                       else _zstandard().ZstdCompressor(level=ZSTD_LEVEL).compressobj())
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()
