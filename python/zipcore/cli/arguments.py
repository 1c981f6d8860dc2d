"""What the commands build their arguments from: the parser that fails with one line, the
flag types, and UsageError for a command line our own checks reject."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class UsageError(Exception):
    """A command line argparse or our own checks reject."""


class Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block and exits; we want one line and a return value.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def _print_message(self, message: str, file: Any = None) -> None:
        # --help and --version: argparse drops a failed write (> /dev/full exited 0, silent)
        if message and file is sys.stdout and file is not None:
            write_stdout(message)
        else:
            super()._print_message(message, file)


def require_stdout(what: str) -> None:
    """UsageError where standard output is closed (``>&-``): ``what`` writes there, and
    Python would drop its text without a word."""
    if sys.stdout is None:
        raise UsageError(f"{what} writes to standard output, which is closed")


def write_stdout(text: str) -> None:
    """``text`` on standard output now; a failure there (a full disk behind ``>``, a reader gone
    from ``|``) names standard output, as every file zipcore writes is named. What its encoding
    cannot hold (a file name's undecodable bytes, a lone surrogate) is written as a backslash
    escape, as Python writes to standard error."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
        sys.stdout.flush()
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, "standard output") from None


def require(check: Callable[..., T], *args: Any) -> T:
    """Runs what needs an optional dependency (its check, or the work itself): a missing one is
    a usage error, not a bug."""
    try:
        return check(*args)
    except ImportError as exc:
        raise UsageError(str(exc)) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def percentage(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a non-negative percentage, got {text!r}")
    return value


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def size(text: str) -> int:
    """Bytes, with an optional K, M or G (binary: 32M = 32 MiB)."""
    number, unit = text.strip(), ""
    if number[-1:].upper() in ("K", "M", "G"):
        number, unit = number[:-1], number[-1].upper()
    try:
        value = int(float(number) * _UNITS[unit])
    except (ValueError, OverflowError):  # OverflowError: "inf"
        raise argparse.ArgumentTypeError(f"expected a size such as 32M, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text!r}")
    return value


def template(text: str) -> str:
    """A --template with the shell-friendly escapes \\n, \\t and \\\\ decoded."""
    escapes = {"n": "\n", "t": "\t", "\\": "\\"}
    return re.sub(r"\\([nt\\])", lambda m: escapes[m.group(1)], text)


def add_records_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records-key", metavar="KEY",
                        help="JSON input whose top level is an object: the records are the list "
                             "under KEY (e.g. data for {\"data\": [...]}), read as a stream")
