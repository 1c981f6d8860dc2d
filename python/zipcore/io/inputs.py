"""Which files a command line's INPUT arguments name, in which order, as local files.

One answer for ``zipcore select`` and ``zipcore ratio``. Each argument, in the order given:

- ``-``: standard input, JSONL or a JSON list (plain, gzip or zstd: its first bytes tell), at
  most once;
- an existing file: itself (a name with ``*`` or ``[`` in it is a file first, a glob second);
- an existing folder: every data file below it, recursively (through symlinked folders, each
  once), sorted by path; a folder that cannot be listed is an error; data files are
  ``*.json``, ``*.jsonl`` (each also ``.gz`` or ``.zst``) and ``*.parquet``, and names starting
  with ``.`` or ``_`` are skipped (files and folders, as pyarrow.dataset skips ``_SUCCESS``
  and ``.crc`` files), so a Parquet dataset folder, partitioned ``key=value/`` folders
  included, reads as its part files in path order (``--partitioning hive`` adds the folders'
  values as columns: :func:`zipcore.io.parquet.hive_partitions`);
- a glob (``*``, ``?``, ``[...]``, ``**`` across folders): its matches sorted by path, a
  matching folder expanded as above (a file both matched and in a matched folder, as with
  ``'ds/**'``, counts once); a match below the pattern's literal folders with a name
  starting with ``.`` or ``_`` is skipped as in a folder (``'ds/*'`` leaves ``ds/_SUCCESS``
  out, ``'ds/**/*.parquet'`` leaves ``ds/_tmp/``), unless the pattern's wildcard part starts a
  name so itself (``'ds/_*'``); any other file it matches is taken whatever its suffix;
  zipcore expands it, so quote it for the shell;
- ``URL://...`` (``s3://``, ``gs://``, ``memory://``, ...; needs fsspec): a file, folder or glob
  as above, in that file system; ``file://PATH`` is the local ``PATH``.

"Sorted by path" is Python's string order of the paths (zero-padded part numbers sort in
number order). A folder or glob that matches no data file is an error naming it, as is a file
named twice (with the arguments that named it). Standard input and remote files are first
copied into one temporary folder (the selection re-reads the chosen records by their byte
offsets, which a stream cannot give back); the folder is removed when the command ends, failed
or interrupted included (:func:`local_inputs`).
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import stat
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator, Optional, Sequence

from .._core import ZipcoreError
from .compressed import strip_compression, suffix_by_content

STDIN = "-"


@dataclass(frozen=True)
class Input:
    """One input file: ``name`` as the user knows it, ``path`` where it is read locally, and
    for standard input or a remote file, ``fetch``, which copies it to a local path (``path``
    is empty until :func:`_localize` has called it). ``root`` is the start of ``name`` that the
    argument named: the folder given, a glob's folders before its first wildcard, a file's own
    folder; the folders after it are the file's place in a dataset (its hive partitions)."""

    name: str
    path: str
    fetch: Optional[Callable[[str], None]] = None
    root: str = ""

    @property
    def in_dataset(self) -> str:
        """``name`` after ``root``: the folders (and file) below what the argument named."""
        return self.name[len(self.root):] if self.name.startswith(self.root) else self.name


def _is_data_name(name: str) -> bool:
    """A name a folder contributes: a data suffix, not hidden (``.``) nor private (``_``)."""
    base = os.path.basename(name.rstrip("/"))
    if base.startswith((".", "_")):
        return False
    if base.lower().endswith(".parquet"):
        return True
    return strip_compression(base).lower().endswith((".json", ".jsonl"))


def _skipped(match: str, pattern: str) -> bool:
    """A glob's match that a folder would leave out: a name below the pattern's literal
    folders that starts with ``.`` or ``_``, unless the pattern's wildcard part asks for such
    names itself (``'ds/_*'``)."""
    private = (".", "_")
    parts = pattern.replace(os.sep, "/").split("/")
    literal = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    if any(part.startswith(private) for part in parts[literal:]):
        return False
    return any(part.startswith(private)
               for part in match.replace(os.sep, "/").split("/")[literal:])


def _raise(exc: OSError) -> None:
    raise exc  # a folder that cannot be listed would lose its records without a word


def _walk(folder: str, *, links: bool) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk`` of the folders a folder contributes, in path order (not the file system's),
    following symlinked folders if ``links``; listing errors raised."""
    for root, dirs, files in os.walk(folder, onerror=_raise, followlinks=links):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        yield root, dirs, files


def _local_folder(folder: str) -> list[str]:
    # A folder inside the tree is read under its own name; a symlinked folder that leads out of
    # it is read once, under the first name in path order; loops end where they come back.
    inside = {file_identity(root) for root, _, _ in _walk(folder, links=False)}
    visited: set[tuple[Any, ...]] = set()
    found: list[str] = []
    for root, dirs, files in _walk(folder, links=True):
        key = file_identity(root)
        if key in visited or (os.path.islink(root) and key in inside):
            dirs[:] = []
            continue
        visited.add(key)
        found.extend(os.path.join(root, f) for f in files if _is_data_name(f))
    if not found:
        raise ValueError(f"{folder}: no data files in this folder (*.json, *.jsonl, each also "
                         ".gz or .zst, or *.parquet)")
    return sorted(found)


def _literal_folders(pattern: str) -> str:
    """A glob's folders before its first wildcard (``ds/*/p.parquet``: ``ds``)."""
    parts = pattern.split("/")
    literal = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    return "/".join(parts[:literal])


def _local(argument: str) -> tuple[list[str], str]:
    """The files a local argument names, and their :attr:`Input.root`."""
    if os.path.isdir(argument):
        return _local_folder(argument), argument
    if os.path.exists(argument) or not glob.has_magic(argument):
        # A missing file fails when it is read, naming itself.
        return [argument], os.path.dirname(argument)
    matches = sorted(m for m in glob.glob(argument, recursive=True) if not _skipped(m, argument))
    if not matches:
        raise ValueError(f"{argument}: no file matches this pattern")
    # dict.fromkeys: 'ds/**' matches a folder and the files in it, which are one file each.
    found = dict.fromkeys(path for match in matches for path in
                          (_local_folder(match) if os.path.isdir(match) else [match]))
    return list(found), _literal_folders(argument)


def _remote(url: str) -> tuple[Any, list[str], str]:
    """The file system of ``url``, the paths in it that ``url`` names, and their
    :attr:`Input.root` as a path of that file system."""
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"{url}: reading URLs needs fsspec: pip install 'zipcore[remote]' "
                          "(and the file system's package, e.g. s3fs)") from None
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # no such protocol, its package missing
        raise ValueError(f"{url}: cannot open this URL ({exc})") from None
    if fs.isdir(root):
        found = sorted(path for path in fs.find(root) if _is_data_name(path)
                       and not any(part.startswith((".", "_"))
                                   for part in path[len(root):].split("/")[:-1]))
        if not found:
            raise ValueError(f"{url}: no data files in this folder (*.json, *.jsonl, each "
                             "also .gz or .zst, or *.parquet)")
        return fs, found, root
    if fs.exists(root) or not glob.has_magic(root):
        if not fs.exists(root):
            raise FileNotFoundError(2, "No such file or directory", url)
        return fs, [root], os.path.dirname(root)
    matches = sorted(m for m in fs.glob(root) if not _skipped(m, root))
    if not matches:
        raise ValueError(f"{url}: no file matches this pattern")
    return fs, list(dict.fromkeys(path for match in matches for path in
                                  (_remote(fs.unstrip_protocol(match))[1] if fs.isdir(match)
                                   else [match]))), _literal_folders(root)


def expand(arguments: Sequence[str]) -> list[Input]:
    """The input files of ``arguments`` in order (see the module docstring). Local files are
    found, remote folders and globs listed; nothing is read or copied yet (that is
    :func:`local_inputs`)."""
    inputs: list[Input] = []
    by: list[str] = []  # the argument that named each input
    for argument in arguments:
        if not argument:
            raise ValueError("an INPUT is an empty name ('')")
        if argument == STDIN:
            if any(item.name == STDIN for item in inputs):
                raise ValueError("'-' (standard input) can be read only once")
            inputs.append(Input(STDIN, "", _copy_stdin))
        elif "://" in argument and not argument.startswith("file://"):
            fs, paths, root = _remote(argument)
            inputs.extend(Input(fs.unstrip_protocol(path), "", partial(fs.get_file, path),
                                fs.unstrip_protocol(root)) for path in paths)
        else:  # a local path; file://PATH is PATH
            paths, root = _local(argument.removeprefix("file://"))
            inputs.extend(Input(path, path, root=root) for path in paths)
        by.extend([argument] * (len(inputs) - len(by)))
    _refuse_twice(inputs, by)
    return inputs


def _copy_stdin(local: str) -> None:
    stream_identity(stdin=True)  # started with <&-: one line naming it
    with open(local, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)


def _localize(inputs: Sequence[Input], stack: ExitStack) -> list[Input]:
    """``inputs`` readable locally until ``stack`` closes: standard input and remote files
    copied now into one temporary folder, which closing ``stack`` removes."""
    folder = None
    local = []
    for number, item in enumerate(inputs, 1):
        if item.fetch is not None:
            if folder is None:
                folder = tempfile.mkdtemp(prefix="zipcore-inputs-")
                stack.callback(shutil.rmtree, folder, ignore_errors=True)
            # Numbered, keeping the name's suffixes: they say the kind and the compression.
            name = os.path.basename("stdin.jsonl" if item.name == STDIN else item.name)
            path = os.path.join(folder, f"{number}-{name}")
            try:
                item.fetch(path)
            except OSError as exc:
                if exc.filename not in (None, path):
                    raise
                # The copy's own failure (a full disk, a file size limit) names the input.
                raise OSError(exc.errno, f"cannot copy it to a temporary file: {exc.strerror}",
                              "standard input" if item.name == STDIN else item.name) from None
            suffix = suffix_by_content(path) if item.name == STDIN else ""
            if suffix:  # a pipe has no name to say its compression (gzip -c x.jsonl | ...)
                os.rename(path, path + suffix)
                path += suffix
            item = Input(item.name, path, root=item.root)
        local.append(item)
    return local


def file_identity(path: Any) -> tuple[Any, ...]:
    """What makes two paths one file: the inode when it exists (symlinks and hard links alike),
    else the resolved path (a missing file fails when it is read or written)."""
    try:
        info = os.stat(path)
    except OSError:
        return ("path", os.path.realpath(path))
    return ("inode", info.st_dev, info.st_ino)


def stream_identity(stdin: bool) -> Optional[tuple[Any, ...]]:
    """The file behind standard input or output when it is a regular one, which a shell's
    ``< file`` or ``>> file`` can make an input or an output of this very run, or a pipe, which
    ``/dev/stdout`` names too (``-o /dev/stdout --json`` would mix two outputs in it); None for
    a terminal or device (``/dev/null`` takes several outputs). OSError naming the stream
    when it is closed (``<&-``, ``>&-``)."""
    stream = sys.stdin if stdin else sys.stdout
    closed = OSError(errno.EBADF, "closed, so there is nothing to "
                     + ("read" if stdin else "write to"),
                     "standard input" if stdin else "standard output")
    if stream is None:  # Python started with it closed
        raise closed
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None  # replaced by an object with no file (a test's capture): nothing to compare
    try:
        info = os.fstat(descriptor)
    except OSError:
        raise closed from None
    kept = stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)
    return ("inode", info.st_dev, info.st_ino) if kept else None


def _same_file_key(item: Input) -> tuple[Any, ...]:
    """What makes two inputs one file: the file behind ``-`` or a local path, a URL's name."""
    if item.name == STDIN:
        return stream_identity(stdin=True) or ("stream", STDIN)
    if item.fetch is not None:
        return ("url", item.name)
    return file_identity(item.path)


def _refuse_twice(inputs: list[Input], by: list[str]) -> None:
    seen: dict[tuple[Any, ...], tuple[str, str]] = {}
    for item, argument in zip(inputs, by):
        key = _same_file_key(item)
        if key in seen:
            name, first = seen[key]
            also = "" if name in (item.name, first) else f" as {name}"
            raise ValueError(f"{item.name}: this file is named twice, by the argument {first}"
                             f"{also} and by {argument}: name each file once")
        seen[key] = item.name, argument


@contextmanager
def local_inputs(named: Sequence[Input]) -> Iterator[list[Input]]:
    """``named`` readable locally (:func:`_localize`) within the ``with`` block; the copies are
    removed when it ends, and a ValueError (ZipcoreError too) raised in it that names a copy
    is raised again as a ZipcoreError naming what the user gave (:func:`renamed`)."""
    with ExitStack() as stack:
        inputs = _localize(named, stack)
        try:
            yield inputs
        except ValueError as exc:
            message = renamed(str(exc), inputs)
            if message == str(exc):
                raise
            raise ZipcoreError(message) from None


def renamed(message: str, inputs: Sequence[Input]) -> str:
    """``message`` with each local copy's path replaced by the name the user gave."""
    for item in inputs:
        if item.path != item.name:
            message = message.replace(item.path, item.name)
    return message
