"""The one output policy of every zipcore writer (selections, indices, reports, plots, checkpoints).

- **All or nothing.** A regular file is written under a hidden temporary name beside its target
  (``os.replace`` is atomic only within one file system), flushed to disk, then renamed over the
  target: a reader sees the old file or the complete new one. Any failure, Ctrl-C and SIGTERM
  included, removes the temporary files. A command's several outputs are renamed in turn; where
  one fails, the ones renamed before it are put back as they were (:func:`write_files`).
- **Checked before any work.** :func:`plan` fails at once for an output that could not be written
  later (a missing folder, a directory, a read-only file), and for two outputs, or an output and
  an input, that are the same file (by resolved path and by inode, so symlinks and hard links
  count): no input is ever overwritten.
- **Links, devices and pipes.** A symlink is written through: its target is replaced atomically
  and the link is kept. A character device or FIFO (``-o /dev/null``, ``-o >(gzip > x.gz)``) is
  written straight into, never replaced (no temporary file, no rename). ``-`` is standard
  output, a stream too (written through ``sys.stdout``, which stays open), for one output only.
  A replaced file keeps its permission bits (and, where allowed, its owner).
- **No litter.** A temporary name says which host and process made it
  (``.NAME.zipcore-HOST-PID-RANDOM.tmp``): one left by a killed process (SIGKILL, power loss) is
  removed by the next write of the same target from this host once that process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import socket
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import PathLike
from .._stop import signals_deferred
from .inputs import STDIN, file_identity, stream_identity

Content = Union[bytes, bytearray, memoryview, Iterable[Union[bytes, memoryview]]]
"""A file's contents: one bytes-like object, or an iterable of chunks written as they come
(so a large output is never held whole in memory)."""

HOST = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname())[:64] or "host"
"""This host's name as temporary file names carry it."""


def _error(path: PathLike, code: int, what: str) -> OSError:
    # Names the path the user gave, never our temporary file.
    return OSError(code, what, os.fspath(path))


@dataclass(frozen=True)
class Output:
    """How one output will be written, decided (and checked) before any work."""

    path: str
    """The path as given: what messages name."""
    target: Path
    """Where the bytes land: the path itself, or the file a symlink resolves to."""
    stream: bool = False
    """A character device or FIFO: written in place, never replaced."""
    device: bool = False
    """A character device (``/dev/null``), which several outputs may share."""
    mode: Optional[int] = None
    """An existing file's permission bits, given to its replacement."""
    owner: Optional[Tuple[int, int]] = None


STDOUT = "-"
"""The output name that means standard output."""

Destination = Union[Output, PathLike]
"""Where a writer writes: a path, or an :class:`Output` already planned for it."""


def output(path: PathLike, *, regular_only: bool = False) -> Output:
    """Checks now that ``path`` can be written, and how (see the module docstring).

    ``regular_only`` refuses devices and FIFOs (a checkpoint is read back, so it must be a file).
    Raises OSError naming ``path``.
    """
    name = os.fsdecode(path)  # bytes paths too, as read_pool takes them
    if not name:
        raise _error("''", errno.ENOENT, "cannot write output: the path is empty")
    if name.startswith("file://"):  # as an INPUT file://PATH is PATH
        name = name[len("file://"):]
    elif "://" in name:
        raise _error(name, errno.EINVAL, "cannot write output: outputs are local files (URLs "
                                         "are read, not written): write it here, then copy it")
    if name == STDOUT:
        if regular_only:
            raise _error(name, errno.EINVAL, "must be a regular file, not standard output")
        return Output(name, Path(name), stream=True)
    try:
        info = os.stat(name)  # follows symlinks
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _cannot_write(name, exc) from None
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        if regular_only:
            raise _error(name, errno.EINVAL, "must be a regular file, not a device or pipe")
        if not os.access(name, os.W_OK):
            raise _error(name, errno.EACCES, "cannot write output: permission denied")
        return Output(name, Path(name), stream=True, device=stat.S_ISCHR(info.st_mode))
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise _error(name, errno.EISDIR, "cannot write output: is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise _error(name, errno.EINVAL, "cannot write output: not a regular file, device or pipe")
    target = Path(os.path.realpath(name)) if info is not None else _new_file(name)
    # proves the folder takes a new file (on a read-only file system, that is the reason to
    # name, not the file's permissions); clears stale temps
    _Staged(Output(name, target), b"").discard()
    mode = owner = None
    if info is not None:
        mode = stat.S_IMODE(info.st_mode)
        if not mode & 0o222 or not os.access(target, os.W_OK):
            raise _error(name, errno.EACCES, "exists and is read-only, and zipcore would replace "
                                             "it (a checkpoint too, after every round): make it "
                                             "writable or choose another path")
        owner = (info.st_uid, info.st_gid)
    return Output(name, target, mode=mode, owner=owner)


def _new_file(given: str) -> Path:
    """Where a file that does not exist yet lands, the way the kernel resolves ``given``: through
    dangling symlinks to the file they name, in a folder that must exist. (``os.path.realpath``
    alone cancels ``missing/..``, which the kernel refuses, and so could name another file: the
    input itself.)"""
    name = given
    for _ in range(40):  # the kernel's own limit on symlinks in a path
        if not os.path.islink(name):
            break
        link = os.readlink(name)
        name = link if os.path.isabs(link) else os.path.join(os.path.dirname(name), link)
    else:
        raise _error(given, errno.ELOOP, "cannot write output: too many levels of symbolic links")
    if name.endswith(("/", os.sep)):
        raise _error(given, errno.ENOENT, "cannot write output: no such directory")
    folder = os.path.dirname(name) or "."
    try:
        info = os.stat(folder)
    except OSError as exc:
        raise _cannot_write(given, exc) from None
    if not stat.S_ISDIR(info.st_mode):
        raise _error(given, errno.ENOTDIR, "cannot write output: Not a directory")
    return Path(os.path.realpath(folder)) / os.path.basename(name)


def plan(outputs: Mapping[str, Optional[PathLike]],
         inputs: Mapping[str, Optional[PathLike]] = {},
         *, regular_only: Sequence[str] = ()) -> dict[str, Output]:
    """Checks a command's outputs together before any work; returns them by label.

    ``outputs`` and ``inputs`` map a label the user knows (``--report``, ``checkpoint=``) to a
    path or None (not given). Raises ValueError when two outputs, or an output and an input, are
    the same file (a character device such as ``/dev/null`` may take several outputs), and
    OSError for an output that cannot be written. An input ``-`` is standard input and an
    output ``-`` standard output: a regular file behind either (``< file``, ``>> file``) counts
    as that file, and a closed one is an OSError. Labels in ``regular_only`` must be regular
    files.
    """
    given = {label: path for label, path in outputs.items() if path is not None}
    for label, value in given.items():  # what is no path at all (checkpoint=3)
        if not isinstance(value, (str, bytes, os.PathLike)):
            raise TypeError(f"{label} takes a file path, not {type(value).__name__}")
    planned = {label: output(path, regular_only=label in regular_only)
               for label, path in given.items()}
    seen: dict[tuple[Any, ...], tuple[str, str]] = {}
    for label, path in inputs.items():
        if path is None:
            continue
        if path == STDIN:
            key, shown = stream_identity(stdin=True), "- (standard input)"
        else:
            key, shown = file_identity(path), os.fspath(path)
        if key is not None:
            seen.setdefault(key, (label, shown))
    stdout = [label for label, out in planned.items() if out.path == STDOUT]
    if len(stdout) > 1:
        raise ValueError(f"{' and '.join(stdout)} are both '-' (standard output): name a file "
                         "for all but one")
    for label, path in given.items():
        out = planned[label]
        if out.path == STDOUT:
            key, shown = stream_identity(stdin=False), "- (standard output)"
        else:
            key, shown = file_identity(out.path if out.stream else out.target), os.fspath(path)
        if key is None:
            continue
        if key in seen and not out.device:
            other_label, other_path = seen[key]
            kind = "the input" if other_label in inputs else "the output"
            raise ValueError(f"{label} {shown} is the same file as {kind} "
                             f"{other_label} {other_path}: choose another path")
        seen[key] = (label, shown)
    return planned


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def _temp_prefix(target: Path) -> str:
    # At most 100 characters of the name: a name near the file system's 255 must stay writable.
    return f".{target.name[:100]}.zipcore-{HOST}-"


def _temp_name(target: Path) -> Path:
    return target.with_name(f"{_temp_prefix(target)}{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _remove_stale_temps(target: Path) -> None:
    """Removes temporary files of ``target`` left by processes of this host that are gone."""
    pattern = re.compile(re.escape(_temp_prefix(target)) + r"(\d+)-[0-9a-f]+\.tmp")
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _process_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(target.parent / name)


class _Staged:
    """A regular file's complete new contents, on disk under a temporary name until commit."""

    def __init__(self, out: Output, data: Content) -> None:
        self.out = out
        self.temp: Optional[Path] = None
        self.previous: Optional[Path] = None  # the replaced file, kept until the set is done
        self.existed = False
        _remove_stale_temps(out.target)
        fd = self._create_temp()
        try:
            _write(os.fdopen(fd, "wb"), data, out.path, sync=True)
        except BaseException:
            self.discard()
            raise

    def _create_temp(self) -> int:
        # os.open with mode 0o666 lets the umask decide a new file's permissions, as for any new
        # file; an existing file's bits are copied instead (tempfile.mkstemp would give 0o600).
        target = self.out.target
        while True:
            self.temp = _temp_name(target)
            try:
                fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            except OSError as exc:
                self.temp = None
                raise _cannot_write(self.out.path, exc) from None
            break
        if self.out.mode is not None:
            os.fchmod(fd, self.out.mode)
        if self.out.owner is not None:
            with contextlib.suppress(OSError):  # only root may give a file away; bits are kept
                os.fchown(fd, *self.out.owner)
        return fd

    def commit(self) -> None:
        """Renames the new contents over the target. The file it replaces stays reachable
        under a temporary name (a hard link) until :meth:`restore` or :meth:`discard`, so that
        a later output of the same set failing can put it back."""
        assert self.temp is not None, "commit() follows a successful open()"
        target = self.out.target
        self.existed = target.exists()
        if self.existed:
            backup = _temp_name(target)
            try:
                os.link(target, backup)
                self.previous = backup
            except OSError:  # no hard links here: a later failure keeps this new file whole
                pass
        try:
            os.replace(self.temp, target)
        except OSError as exc:
            self.discard()
            raise _cannot_write(self.out.path, exc) from None
        self.temp = None
        _sync_directory(target.parent)

    def restore(self) -> None:
        """After a later output of the set failed: the target as it was before :meth:`commit`
        (the new file kept where the old one could not be linked)."""
        if self.previous is not None:
            # Where the new file was not renamed yet both names are one file, and rename does
            # nothing: discard() then removes the extra name.
            os.replace(self.previous, self.out.target)
        elif not self.existed:
            self.out.target.unlink(missing_ok=True)

    def keep_previous(self) -> str:
        """Where :meth:`restore` failed: the replaced file moved out of the temporary names
        (which a later write of the target removes), and where it is now, in words."""
        if self.previous is None:
            return ("it holds the new contents" if not self.existed
                    else "its previous contents could not be kept: no hard links here")
        kept = self.out.target.with_name(f"{self.out.target.name}.zipcore-previous")
        try:
            os.replace(self.previous, kept)
        except OSError:
            kept = self.previous
        self.previous = None
        return f"its previous contents are in {kept}"

    def discard(self) -> None:
        """Removes what is left under temporary names: new contents not renamed, or the
        replaced file once the set is written."""
        for path in (self.temp, self.previous):
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        self.temp = self.previous = None


def _cannot_write(path: str, exc: OSError) -> OSError:
    return _error(path, exc.errno or errno.EIO, f"cannot write output: {exc.strerror}")


def _write(handle: BinaryIO, data: Content, path: str, *, sync: bool,
           close: bool = True) -> None:
    """Writes ``data`` into ``handle``, flushes it and closes it (not standard output:
    ``close=False``); ``sync`` also flushes it to disk. Any failure, at closing too (a buffered
    write fails when it is flushed), names ``path``: ENOSPC, EFBIG, EPIPE (the reader went
    away: ``| head``) say nothing of which output they hit."""
    try:
        with handle if close else contextlib.nullcontext(handle):
            if isinstance(data, (bytes, bytearray, memoryview)):
                handle.write(data)
            else:
                for chunk in data:
                    handle.write(chunk)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _write_stream(out: Output, data: Content) -> None:
    if out.path == STDOUT:
        sys.stdout.flush()  # text printed before, in order
        _write(sys.stdout.buffer, data, "standard output", sync=False, close=False)
        return
    try:
        handle = open(out.target, "wb")
    except OSError as exc:
        raise _cannot_write(out.path, exc) from None
    _write(handle, data, out.path, sync=False)


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform or file system allows it.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_files(files: Iterable[Tuple[Destination, Content]]) -> None:
    """Writes several outputs so that on failure no regular file is left half written.

    Regular files are staged first, so a full disk or an unwritable folder fails before any
    target changes; devices and pipes are written next (what they received cannot be taken
    back); then the staged files are renamed into place, with Ctrl-C and SIGTERM held until
    that is done. If a rename fails midway, the files already renamed are put back as they
    were: each replaced file was kept under a temporary name (a hard link; where the file
    system has none, the new file is kept whole instead), and a file that did not exist is
    removed.
    """
    staged: list[_Staged] = []
    try:
        streams = []
        for where, data in files:
            out = where if isinstance(where, Output) else output(where)
            if out.stream:
                streams.append((out, data))
            else:
                staged.append(_Staged(out, data))
        for out, data in streams:
            _write_stream(out, data)
    except BaseException:
        for item in staged:
            item.discard()
        raise
    with signals_deferred():  # the renames, and putting them back, run whole
        _rename_all(staged)


def _rename_all(staged: list[_Staged]) -> None:
    committed: list[_Staged] = []
    try:
        for item in staged:
            committed.append(item)  # first: restore() is harmless before the rename happened
            item.commit()
    except BaseException as failure:
        kept = []
        for item in reversed(committed):
            try:
                item.restore()
            except OSError as exc:
                kept.append(f"{item.out.path} ({exc.strerror}; {item.keep_previous()})")
        for item in staged:
            item.discard()
        if kept:
            what = (f"{failure.strerror}" if isinstance(failure, OSError) and failure.strerror
                    else type(failure).__name__)
            raise OSError(errno.EIO, f"{what}; and could not put back " + ", ".join(kept),
                          getattr(failure, "filename", None)) from failure
        raise
    for item in staged:
        item.discard()


def write_file(path: Destination, data: Content, *,
               inputs: Mapping[str, Optional[PathLike]] = {}) -> None:
    """Writes one output (see the module docstring); ``inputs`` (label -> path) are files it
    must not be."""
    if not isinstance(path, Output):
        path = plan({"output": path}, inputs)["output"]
    write_files([(path, data)])
