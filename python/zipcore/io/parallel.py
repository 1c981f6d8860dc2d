"""Records into a pool, serially or, for a large JSONL file, in parallel worker processes
(which also read Parquet row groups: :func:`run_in_order`, :mod:`zipcore.io.parquet`).

:func:`encode_records` is the serial reader: records in file order through one
:class:`~zipcore.io.encoder.PoolEncoder`. :func:`read_jsonl_files` reads JSONL files (plain
or compressed) the same way, but cuts each at newlines into parts of about :data:`PART_BYTES`
that ``threads`` spawned worker processes parse and encode at once (a worker reads a plain file's
part itself; a compressed file is decompressed here). The parts' samples and spans are joined
in file order. The result is the serial reader's, byte for byte:

- the main process reads the first two records itself, as the serial reader does: it resolves
  the format (``auto``) and the pair layout there, and the workers get the resolved format;
- a file of preference pairs is read serially (a pair may straddle two parts);
- an error anywhere (a line that does not parse, a record that does not fit the format, a pair
  member after unpaired records) makes the main process read the file again serially, which
  raises the first error in file order with the serial reader's message: an error costs a
  second read, never a different answer.

Why processes: parsing and ``repr`` hold the GIL, so threads would take turns. Why not
``multiprocessing``: its ``fork`` breaks the engine's OpenMP thread pool (a forked child may
hang), and its ``spawn`` and ``forkserver`` import the main script in every worker, so a user's
script that reads a pool at its top level (no ``if __name__ == "__main__":``) would run again
in each worker. The workers are plain ``python -P -c`` processes running :func:`serve` instead
(a fresh interpreter each, importing only zipcore, the same zipcore as this process or none
is used), fed pickled tasks through their standard input and answering through a pipe of
their own, started once per read and only for :data:`PARALLEL_BYTES` or more in all, where
their start-up (0.3-0.5 s for two) pays off.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from array import array
from collections import deque
from itertools import islice
from types import FrameType, TracebackType
from typing import (IO, Any, BinaryIO, Callable, Iterable, Iterator, NamedTuple, Optional,
                    Sequence, TypeVar)

import numpy as np

from .._core import ZipcoreError
from .._log import log
from ..params import thread_count
from ..pool import Pool, PoolBuilder
from .encoder import PoolEncoder
from .formats import PairCutAtEnd, RecordError, UnpartneredAtEnd
from .compressed import compression_of
from .jsonfile import Reader, positioned
from .jsonl import jsonl_texts
from .jsonstream import iter_record_texts, iter_records

T = TypeVar("T")

PARALLEL_BYTES = 32 << 20
"""Files smaller than this (on disk) are read serially: starting workers costs more."""

PART_BYTES = 8 << 20
"""About how much text one worker task parses (whole lines, so a part may be longer)."""

_DEPTH_MARGIN = 16
"""Stack frames a worker keeps in reserve below the main process's room: a record nested so
deep that the serial reader might fail on it fails in the worker first, and the main process
decides (Python's recursion limit, not the data, sets how deep a record may nest)."""


class EncodedRecords(NamedTuple):
    """A file's records as a pool: what :func:`zipcore.read_pool` returns, less the file."""

    pool: Pool
    groups: Optional[np.ndarray]  # with preference pairs: sample i is records groups[i]:[i+1]
    spans: Optional[np.ndarray]  # (records, 2) int64: each record's byte span in the
    # decompressed text (None for Parquet)
    records: int
    format: str  # the format used (``auto`` resolved)
    pair_codes: Optional[np.ndarray] = None  # with pairs: PoolEncoder.pair_codes


def encode_records(path: str, kind: str, records_key: Optional[str] = None, *,
                   format: str = "auto", text_field: str = "text",
                   template: Optional[str] = None, pairs: Optional[bool] = None
                   ) -> EncodedRecords:
    """The records of a JSON list or JSONL file (:func:`~zipcore.io.jsonstream.iter_records`),
    read serially into a pool; a record that does not fit raises its error at its position."""
    encoder = PoolEncoder(format, text_field=text_field, template=template, pairs=pairs)
    spans = array("q")
    try:
        for record, start, end, text in iter_record_texts(path, kind, records_key):
            spans.append(start)
            spans.append(end)
            encoder.add(record, text)
        pool, groups = encoder.finish()
    except RecordError as exc:
        error = PairCutAtEnd if isinstance(exc, UnpartneredAtEnd) else ZipcoreError
        raise positioned(path, spans[2 * exc.index], str(exc), error) from None
    return EncodedRecords(pool, groups, np.frombuffer(spans, dtype=np.int64).reshape(-1, 2),
                          encoder.records, encoder.format, encoder.pair_codes)


def read_jsonl_files(paths: Sequence[str], *, format: str = "auto", text_field: str = "text",
                     template: Optional[str] = None, pairs: Optional[bool] = None,
                     threads: Optional[int] = None) -> Optional[list[EncodedRecords]]:
    """JSONL files read at once by ``threads`` worker processes (None: every core this process
    may use), as
    :func:`zipcore.io.readers.read_pools` reads them one after the other: each file's records
    as a pool, every file with the format and pair layout the first file's first record gives.
    Shards smaller than a part are one task each, so many small files keep the workers busy too.

    None where the files are to be read serially instead: fewer than 2 threads, under
    :data:`PARALLEL_BYTES` in all, preference pairs, a file of fewer than two records (whose
    acceptance depends on its name), or an error anywhere (the serial reader then raises the
    first one in file order, with its own message)."""
    options: dict[str, Any] = dict(format=format, text_field=text_field, template=template,
                                   pairs=pairs)
    workers = thread_count(threads)
    if workers < 2 or sum(os.path.getsize(path) for path in paths) < PARALLEL_BYTES:
        return None
    resolved = _resolve(paths, options)
    return None if resolved is None else or_serially(
        lambda: _read_parts(paths, resolved, workers), paths[0])


def _resolve(paths: Sequence[str], options: dict[str, Any]) -> Optional[list[dict[str, Any]]]:
    """Each file's encoder options for the workers, the format resolved from the first record
    (as the serial reader resolves it); None where the files are read serially (a file of
    fewer than two records, preference pairs, an error early on)."""
    encoder = PoolEncoder(**options)
    try:
        for path in paths:
            head = list(islice(iter_records(path, "jsonl"), 2))
            if len(head) < 2:
                return None
            if encoder.records == 0:
                encoder.add(head[0][0])
    except ZipcoreError:
        return None
    if encoder.pairs:
        return None
    first = dict(options)
    if options["template"] is None:
        first["format"] = encoder.format
    # Every file's pairs stay as asked: None, and a part whose records include a pair member
    # fails there (read_pools then reads the files one by one, and names the first such file).
    return [first] * len(paths)


Part = tuple[int, int, Optional[bytes]]
"""A run of whole lines: its byte span ``[start, end)`` in the decompressed text, and the text
itself where the file is compressed (a worker reads a plain file's part itself)."""

Encoded = tuple[np.ndarray, np.ndarray, np.ndarray]
"""A part's samples (data, offsets from 0) and its records' spans."""


def _read_parts(paths: Sequence[str], options: list[dict[str, Any]], workers: int
                ) -> Optional[list[EncodedRecords]]:
    """The files' parts read by ``workers`` worker processes, joined here in file order.

    This process only cuts, hands out and joins: it must stay idle to take each part's result
    (megabytes through a pipe) the moment it comes. Encoding parts here too was tried: on 2
    cores, this process busy and one worker read 1.1-1.4x slower, the worker waiting on its
    result's pipe. Each part's samples are appended as soon as its turn comes, so that memory
    stays the pool's own (plus the parts in flight), as when reading serially."""
    room = sys.getrecursionlimit() - _stack_depth()
    tasks = ((index, (encode_part, path, part, options[index], room), part[2] is not None)
             for index, path in enumerate(paths) for part in _parts(path))
    done = pools_in_order(len(paths), tasks, workers)
    if done is None:
        return None
    format = "template" if options[0]["template"] is not None else options[0]["format"]
    joined = [np.concatenate(parts) if parts else np.empty((0, 2), dtype=np.int64)
              for parts in done[1]]
    return [EncodedRecords(pool, None, file_spans, len(file_spans), format)
            for pool, file_spans in zip(done[0], joined)]


def run_in_order(tasks: Iterable[tuple[int, tuple[Any, ...], bool]], workers: int,
                 take: Callable[[int, Any], bool]) -> bool:
    """Runs ``tasks`` on ``workers`` worker processes and hands each result to ``take`` in
    task order, as soon as its turn comes; False as soon as ``take`` says False (the rest is
    dropped). A task is ``(key, (function, *args), carries_data)``: the worker returns
    ``function(*args)`` (a module-level function, pickled by name), ``take(key, result)``.

    A task that carries little (a file's name and where to read) is queued for a worker
    before it finishes its current one; one that carries data (a compressed part's text)
    goes to an idle worker only, so that the write never waits on a worker that is itself
    writing its result."""
    with _Workers(workers) as pool:
        in_flight: deque[tuple[int, int]] = deque()  # (worker, key) of each task, in order
        load = [0] * workers  # tasks in flight per worker

        def take_oldest() -> bool:
            worker, key = in_flight.popleft()
            load[worker] -= 1
            return take(key, pool.receive(worker))

        for key, task, carries_data in tasks:
            limit = 1 if carries_data else 2
            while min(load) >= limit:
                if not take_oldest():
                    return False
            worker = load.index(min(load))
            pool.send(worker, task)
            load[worker] += 1
            in_flight.append((worker, key))
        while in_flight:
            if not take_oldest():
                return False
    return True


def pools_in_order(files: int, tasks: Iterable[tuple[int, tuple[Any, ...], bool]],
                   workers: int) -> Optional[tuple[list[Pool], list[list[np.ndarray]]]]:
    """Runs ``tasks`` (:func:`run_in_order`, each keyed by its file's index, of ``files``)
    whose results are samples (data, offsets from 0) and maybe more arrays, or None where the
    task met an error: each file's samples, in task order, as a pool, and its results' further
    arrays; None where a task met an error (the serial reader then decides)."""
    builders = [PoolBuilder() for _ in range(files)]
    more: list[list[np.ndarray]] = [[] for _ in range(files)]

    def take(index: int, result: Optional[tuple[np.ndarray, ...]]) -> bool:
        if result is None:
            return False
        builders[index].append_many(result[0], result[1])
        more[index].extend(result[2:])
        return True

    if not run_in_order(tasks, workers, take):
        return None
    return [builder.finish() for builder in builders], more


def or_serially(read: Callable[[], Optional[T]], path: str) -> Optional[T]:
    """``read()`` (files read by the workers), or None where that failed, e.g. a broken .gz
    (the serial reader names it), a worker that could not start or died: the serial reader
    then reads the files (``path``: the first, for the log)."""
    try:
        return read()
    except (ZipcoreError, OSError, EOFError, pickle.UnpicklingError, WorkersUnavailable) as exc:
        log.debug("reading %s serially: %s", path, exc)
        return None


class WorkersUnavailable(RuntimeError):
    """The worker processes run another zipcore than this process (another install, a
    checkout first on this process's path): their bytes could differ, so the file is read here."""


class _Workers:
    """Worker processes running :func:`serve`.

    A task that may not fit a pipe goes to an idle worker only (it is waiting on its standard
    input, so the write completes), and results are read in task order: a worker blocked
    writing its result waits for this process, which never waits on a write, so the pipes
    cannot deadlock. Results come through a pipe of their own, not the worker's standard
    output, which anything (a ``sitecustomize``, a ``.pth`` file) may print into. Each worker
    first says which zipcore it imported; another one than this process's is
    :class:`WorkersUnavailable`. Leaving the ``with`` block ends the workers, also on an error
    or Ctrl-C."""

    def __init__(self, count: int) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []
        self._results: list[BinaryIO] = []
        # -P: no current folder on the path; the folder holding this zipcore goes first.
        package_root = os.path.dirname(os.path.dirname(_THIS_ZIPCORE))
        try:
            for _ in range(count):
                read_end, write_end = os.pipe()
                self._results.append(os.fdopen(read_end, "rb"))
                try:
                    serve_code = (f"import sys; sys.path.insert(0, {package_root!r}); "
                                  f"from zipcore.io.parallel import serve; serve({write_end})")
                    self._processes.append(subprocess.Popen(
                        [sys.executable, "-P", "-c", serve_code], stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        pass_fds=(write_end,)))
                finally:
                    os.close(write_end)  # the worker holds it: its end is this pipe's end
            for results in self._results:
                imported = pickle.load(results)
                if imported != _THIS_ZIPCORE:
                    raise WorkersUnavailable(f"the workers import {imported}, "
                                             f"not {_THIS_ZIPCORE}")
        except BaseException:
            self._end()
            raise

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        self._end()

    def send(self, worker: int, task: tuple[Any, ...]) -> None:
        stream = self._processes[worker].stdin
        assert stream is not None
        pickle.dump(task, stream, protocol=pickle.HIGHEST_PROTOCOL)
        stream.flush()

    def receive(self, worker: int) -> Any:
        return pickle.load(self._results[worker])

    def _end(self) -> None:
        for process in self._processes:
            process.kill()  # a worker keeps no state worth a graceful end
        for process in self._processes:
            process.wait()
        streams: list[Optional[IO[bytes]]] = [p.stdin for p in self._processes]
        for stream in streams + list(self._results):
            if stream is not None:
                try:
                    stream.close()
                except OSError:  # a task still buffered for a worker that is gone
                    pass


_THIS_ZIPCORE = os.path.realpath(__file__)
"""This module's file: what a worker must have imported too."""


def serve(results_fd: int) -> None:
    """A worker's loop: first the file of the zipcore it imported, then for each pickled task
    ``(function, *args)`` from standard input (see :func:`run_in_order`) the pickled
    ``function(*args)``, into ``results_fd``, until the input ends."""
    results = os.fdopen(results_fd, "wb")
    pickle.dump(_THIS_ZIPCORE, results)
    results.flush()
    tasks = sys.stdin.buffer
    while True:
        try:
            task = pickle.load(tasks)
        except EOFError:
            return
        function, *args = task
        pickle.dump(function(*args), results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


def _parts(path: str) -> Iterator[Part]:
    """The decompressed text in runs of whole lines of about PART_BYTES."""
    if compression_of(path) is None:
        yield from _file_parts(path)
        return
    offset = 0
    carry = b""
    with Reader(path) as reader:
        while True:
            block = reader.read(PART_BYTES)
            if not block:
                break
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # a line longer than a block: read on
                carry += block
                continue
            text = carry + block[:cut]
            yield offset, offset + len(text), text
            offset += len(text)
            carry = block[cut:]
    if carry:
        yield offset, offset + len(carry), carry


def _file_parts(path: str) -> Iterator[Part]:
    """A plain file's parts: each ends after the first newline at or past PART_BYTES."""
    size = os.path.getsize(path)
    start = 0
    with open(path, "rb") as handle:
        while start < size:
            end = min(start + PART_BYTES, size)
            handle.seek(end)
            while end < size:
                block = handle.read(1 << 16)
                cut = block.find(b"\n")
                if cut >= 0:
                    end += cut + 1
                    break
                end += len(block)
            yield start, end, None
            start = end


def encode_part(path: str, part: Part, options: dict[str, Any], room: int
                ) -> Optional[Encoded]:
    """The samples and record spans of a part of ``path``'s decompressed text; None where the
    serial reader must decide (an error, or a pair member). Runs in a worker process; ``room``
    is the reading process's stack room (see ``_DEPTH_MARGIN``)."""
    start, end, text = part
    if text is None:
        with open(path, "rb") as handle:
            handle.seek(start)
            text = handle.read(end - start)
    sys.setrecursionlimit(max(_stack_depth() + room - _DEPTH_MARGIN, 100))
    encoder = PoolEncoder(**options)
    spans = array("q")
    try:
        for record, first, last, source in jsonl_texts(io.BytesIO(text), path, start):
            spans.append(first)
            spans.append(last)
            encoder.add(record, source)
        pool, _ = encoder.finish()
    except ZipcoreError:
        return None
    if encoder.pairs:
        return None
    return pool.data, pool.offsets, np.frombuffer(spans, dtype=np.int64).reshape(-1, 2)


def _stack_depth() -> int:
    frame: Optional[FrameType] = sys._getframe(1)
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth
