"""Record formats: which bytes of a record ZIP compresses.

A format checks that a record has its fields and gives the record's sample bytes:

========== ============================================ =========================================
format     a record has                                 sample bytes
========== ============================================ =========================================
sharegpt   a ``conversations`` list                     ``repr(record)`` in UTF-8
alpaca     ``instruction`` and ``output`` (``input``)   ``repr(record)`` in UTF-8
messages   a ``messages`` list (role/content turns)     ``repr(record)`` in UTF-8
preference ``chosen`` and ``rejected`` (one record)     ``repr(record)`` in UTF-8
text       a string field ``text_field`` ("text")       that string in UTF-8, nothing else
record     anything (any JSON object)                   ``repr(record)`` in UTF-8
template   every field the template names               the template, each ``{field}`` replaced
========== ============================================ =========================================

Every record format keeps the reference ZIP script's framing, ``repr`` of the whole record (its
keys, in file order, included), so ShareGPT selections stay exactly the reference's and a format
never changes a record's bytes: it only says which records belong. ``text`` is the SPEC's
framing of plain text (the bytes as they are).

``auto`` (the default) detects the format from the first record, in this order: a
``conversations`` list (sharegpt), ``chosen`` and ``rejected`` (preference), a ``messages`` list
(messages), ``instruction`` and ``output`` (alpaca), a string ``text_field`` (text), else
``record``. Every later record must then have the detected format's fields: a record that does
not is an error naming it (records that disagree are usually two datasets concatenated); choose
a format explicitly, or ``record`` to take any object as it is.

Templates are :mod:`zipcore.io.templates`; records become a pool, preference pairs kept
together, in :mod:`zipcore.io.encoder`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .._core import ZipcoreError, json_object_repr

Record = Mapping[str, Any]
"""A parsed record: a JSON object (or a Parquet row) as a mapping."""

FORMATS = ("auto", "sharegpt", "alpaca", "messages", "preference", "text", "record")
"""Names accepted by ``format=`` (``--format``); ``template`` is chosen by giving a template."""


class RecordError(ZipcoreError):
    """A record that does not fit its format; the reader adds where it is in the file."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"record {index} {problem}")
        self.index = index
        self.problem = problem


class UnpartneredAtEnd(RecordError):
    """The last record is a pair member without its partner, which may begin the next file."""


class PairCutAtEnd(ZipcoreError):
    """A file's :class:`UnpartneredAtEnd`, placed in the file: with several input files,
    :func:`zipcore.io.readers.read_pools` tells whether the next one holds the partner."""


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    if isinstance(value, (dict, Mapping)):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def json_text(value: Any) -> str:
    """A parsed value as JSON text, for messages and keys: ``1``, ``1.0``, ``true`` and ``"1"``
    stay apart where Python's ``==`` would merge them (values JSON has not, such as Parquet's
    bytes or dates, by ``repr``)."""
    return json.dumps(value, ensure_ascii=False, default=repr)


def _has(*keys: str) -> Callable[[Record], Optional[str]]:
    def check(record: Record) -> Optional[str]:
        missing = [k for k in keys if k not in record]
        if missing:
            return "has no " + " or ".join(repr(k) for k in missing) + " field"
        return None
    return check


def _has_field_of_type(key: str, kind: type, json_name: str) -> Callable[[Record], Optional[str]]:
    def check(record: Record) -> Optional[str]:
        if key not in record:
            return f"has no {key!r} field"
        if not isinstance(record[key], kind):  # a Parquet row's too: no "JSON" in the words
            found = json_type(record[key])
            found = found if found == "null" else ("an " if found[0] in "ao" else "a ") + found
            return f"has {key!r} as {found}, not {json_name}"
        return None
    return check


def _has_list(key: str) -> Callable[[Record], Optional[str]]:
    return _has_field_of_type(key, list, "an array")


def _repr_bytes(record: Record) -> bytes:
    return repr(record).encode("utf-8")


@dataclass(frozen=True)
class RecordFormat:
    """One format: ``check(record)`` is None or what is wrong; ``sample(record)`` the bytes;
    ``sample_of_text(text)``, where given, the same bytes from the record's JSON source text,
    or None where ``sample`` must make them (the engine writes repr() of most records from
    their text: repr() is half the time of reading a JSONL pool)."""

    name: str
    check: Callable[[Record], Optional[str]]
    sample: Callable[[Record], bytes]
    sample_of_text: Optional[Callable[[bytes], Optional[bytes]]] = None


_REPR_CHECKS: dict[str, Callable[[Record], Optional[str]]] = {
    "sharegpt": _has_list("conversations"), "alpaca": _has("instruction", "output"),
    "messages": _has_list("messages"), "preference": _has("chosen", "rejected"),
    "record": lambda record: None}
"""The formats whose sample is ``repr(record)``, and the check of each."""


def record_format(name: str, *, text_field: str = "text") -> RecordFormat:
    """The format called ``name`` (not ``auto``: see :func:`detect_format`)."""
    if name in _REPR_CHECKS:
        return RecordFormat(name, _REPR_CHECKS[name], _repr_bytes, json_object_repr)
    if name == "text":
        return RecordFormat(name, _has_field_of_type(text_field, str, "a string"),
                            lambda record: record[text_field].encode("utf-8"))
    raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")


def detect_format(record: Record, *, text_field: str = "text") -> str:
    """The format a record looks like (``record`` when none fits); see the module docstring."""
    if isinstance(record.get("conversations"), list):
        return "sharegpt"
    if "chosen" in record and "rejected" in record:
        return "preference"
    if isinstance(record.get("messages"), list):
        return "messages"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if isinstance(record.get(text_field), str):
        return "text"
    return "record"


def resolve_format(format: str = "auto", *, text_field: Optional[str] = None,
                   column: Optional[str] = None, template: Optional[str] = None
                   ) -> tuple[str, str]:
    """The format and text field that :func:`zipcore.read_pool`'s arguments ask for.

    A text field given (``text_field``, or ``column``, its name for a Parquet column) means
    format ``text`` on that field: it is never ignored while ``auto`` detects another format.
    ValueError for arguments that contradict each other.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if column is not None:
        if template is not None:
            raise ValueError("give a column or a template, not both")
        if text_field is not None and text_field != column:
            raise ValueError("give a column or a text field, not both")
        if format not in ("auto", "text"):
            raise ValueError(f"a column chooses the sample bytes itself: leave the format at "
                             f"'auto' (got {format!r})")
        return "text", column
    if text_field is not None:
        if template is not None:
            raise ValueError("give a text field or a template, not both")
        if format not in ("auto", "text"):
            raise ValueError(f"a text field is for format 'text': drop it, or the format "
                             f"(got {format!r})")
        return "text", text_field
    if template is not None and format != "auto":
        raise ValueError("a template chooses the sample bytes itself: leave the format at "
                         f"'auto' (got {format!r})")
    return format, "text"
