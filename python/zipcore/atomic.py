"""All-or-nothing file output: a reader sees the old file or the complete new one, never a part.

Each file is written to a hidden temporary name in its own directory (``os.replace`` is only
atomic within one file system), flushed to disk, then renamed over the destination. A failure
at any point, Ctrl-C included, removes the temporary files.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Iterable, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]
Content = Union[bytes, bytearray, memoryview, Iterable[bytes]]
"""A file's contents: one bytes-like object, or an iterable of chunks written as they come
(so a large output is never held whole in memory)."""


def _cannot_write(path: PathLike, exc: OSError) -> OSError:
    # The raw error names the temporary file, which the user never asked for.
    return OSError(exc.errno, f"cannot write output: {exc.strerror}", os.fspath(path))


class StagedFile:
    """A destination's complete contents, on disk under a temporary name until ``commit``."""

    def __init__(self, path: PathLike, data: Content) -> None:
        self.path = Path(path)
        self.temp: Path | None = None
        if self.path.is_dir():  # os.replace would fail only after all the work
            raise IsADirectoryError(21, "cannot write output: is a directory", os.fspath(path))
        fd = self._create_temp()
        try:
            with os.fdopen(fd, "wb") as handle:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    handle.write(data)
                else:
                    for chunk in data:
                        handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            self.discard()
            raise

    def _create_temp(self) -> int:
        # os.open with mode 0o666 lets the umask decide permissions, as for any new file;
        # tempfile.mkstemp would leave the output readable by its owner only.
        while True:
            self.temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
            try:
                return os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            except OSError as exc:
                self.temp = None
                raise _cannot_write(self.path, exc) from None

    def commit(self) -> None:
        try:
            os.replace(self.temp, self.path)
        except OSError as exc:
            self.discard()
            raise _cannot_write(self.path, exc) from None
        self.temp = None
        _sync_directory(self.path.parent)

    def discard(self) -> None:
        if self.temp is not None:
            try:
                os.unlink(self.temp)
            except FileNotFoundError:
                pass
            self.temp = None


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform or file system allows it.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_files(files: Iterable[Tuple[PathLike, Content]]) -> None:
    """Writes several files so that on failure none of them is left behind.

    All contents are staged first, so a full disk or an unwritable directory fails before
    any destination changes. If a rename fails midway, the files already renamed are removed
    (their previous contents were replaced and cannot come back).
    """
    staged: list[StagedFile] = []
    committed: list[Path] = []
    try:
        for path, data in files:
            staged.append(StagedFile(path, data))
        for item in staged:
            item.commit()
            committed.append(item.path)
    except BaseException:
        for item in staged:
            item.discard()
        for path in committed:
            path.unlink(missing_ok=True)
        raise


def check_writable(path: PathLike) -> None:
    """Fails now, with the error a later write would give, if ``path`` cannot be written.

    For commands that work for minutes before writing: a mistyped output directory
    should not cost the whole run.
    """
    StagedFile(path, b"").discard()


def write_file(path: PathLike, data: Content) -> None:
    """Writes ``data`` to ``path`` atomically (see the module docstring)."""
    write_files([(path, data)])
