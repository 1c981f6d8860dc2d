"""Record formats: which bytes of a record ZIP compresses, and preference pairs kept together.

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

``template`` renders a documented text from named fields (``"{instruction}\\n{output}"``).
A field is a plain name, nothing else: format specs (``{id:>9}``), conversions (``{id!r}``),
attribute and item access (``{a.upper}``, ``{a[0]}``) are refused when the template is read,
before any record, because they would let a template blow up (``{id:>99999999999}`` asks for
100 GB) or put Python internals (``<built-in method upper ...>``, ``b'...'``) into the bytes
instead of the record's text. ``{{`` and ``}}`` are literal braces. A string value is taken
as it is, bytes (a Parquet ``binary`` column) are decoded as UTF-8 (a record whose bytes are
not UTF-8 is an error naming it), ``null`` is refused, any other value is ``str(value)``.

``auto`` (the default) detects the format from the first record, in this order: a
``conversations`` list (sharegpt), ``chosen`` and ``rejected`` (preference), a ``messages`` list
(messages), ``instruction`` and ``output`` (alpaca), a string ``text_field`` (text), else
``record``. Every later record must then have the detected format's fields: a record that does
not is an error naming it (records that disagree are usually two datasets concatenated); choose
a format explicitly, or ``record`` to take any object as it is.

Preference pairs in the layout of ``../shared/data/pref_*.json`` (records carrying ``pair_id``
and ``label``) are kept together: the two members of a pair form ONE sample, and selecting it
returns both. The sample's bytes are the members' bytes joined by ``", "``: exactly what ZIP
would compress for the members selected one after the other. A pair is exactly two consecutive
records with the same ``pair_id``, one labelled ``"chosen"`` and the other ``"rejected"`` (in
either order); pair ids compare as JSON values, type included (``1``, ``1.0``, ``true`` and
``"1"`` are four ids). Anything else is an error naming the record: a member without its
partner, a third record with the pair's id, another label, two members with the same label,
a record without ``pair_id`` or ``label``, a pair id that comes back after other pairs.

Pairs are detected from the first record (``pairs=None``): it has ``pair_id`` and ``label``, or
not. When it has not, a later record that has both is an error too (a file that starts with
unpaired records and then holds pairs is two files concatenated, or pairs missing their
fields): put a pair first, or read with ``pairs=False`` to take every record alone. A record
holding both answers (``chosen`` and ``rejected``) is one sample already.
"""

from __future__ import annotations

import json
import string
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .. import _core
from .._core import ZipcoreError
from ..pool import Pool, PoolBuilder

Record = Mapping[str, Any]
"""A parsed record: a JSON object (or a Parquet row) as a mapping."""

FORMATS = ("auto", "sharegpt", "alpaca", "messages", "preference", "text", "record")
"""Names accepted by ``format=`` (``--format``); ``template`` is chosen by giving a template."""

PAIR_SEPARATOR = _core.GROUP_SEPARATOR
"""Joins the members of a preference pair into one sample (ZIP's own group separator)."""

PAIR_LABELS = ("chosen", "rejected")
"""The ``label`` of a preference pair's two members, one of each."""


class RecordError(ZipcoreError):
    """A record that does not fit its format; the reader adds where it is in the file."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"record {index} {problem}")
        self.index = index
        self.problem = problem


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
        if not isinstance(record[key], kind):
            return f"has {key!r} as a JSON {json_type(record[key])}, not {json_name}"
        return None
    return check


def _has_list(key: str) -> Callable[[Record], Optional[str]]:
    return _has_field_of_type(key, list, "an array")


def _has_string(key: str) -> Callable[[Record], Optional[str]]:
    return _has_field_of_type(key, str, "a string")


def _no_check(record: Record) -> Optional[str]:
    return None


def _repr_bytes(record: Record) -> bytes:
    return repr(record).encode("utf-8")


@dataclass(frozen=True)
class RecordFormat:
    """One format: ``check(record)`` is None or what is wrong; ``sample(record)`` the bytes."""

    name: str
    check: Callable[[Record], Optional[str]]
    sample: Callable[[Record], bytes]


def record_format(name: str, *, text_field: str = "text") -> RecordFormat:
    """The format called ``name`` (not ``auto``: see :func:`detect_format`)."""
    if name == "sharegpt":
        return RecordFormat(name, _has_list("conversations"), _repr_bytes)
    if name == "alpaca":
        return RecordFormat(name, _has("instruction", "output"), _repr_bytes)
    if name == "messages":
        return RecordFormat(name, _has_list("messages"), _repr_bytes)
    if name == "preference":
        return RecordFormat(name, _has("chosen", "rejected"), _repr_bytes)
    if name == "record":
        return RecordFormat(name, _no_check, _repr_bytes)
    if name == "text":
        return RecordFormat(name, _has_string(text_field),
                            lambda record: record[text_field].encode("utf-8"))
    raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")


def template_format(template: str) -> RecordFormat:
    """Samples rendered from ``template``'s fields (see the module docstring)."""
    pieces = _parse_template(template)
    fields = _field_names(pieces)

    def check(record: Record) -> Optional[str]:
        for name in fields:
            if name not in record:
                return f"has no {name!r} field (the template uses it)"
            value = record[name]
            if value is None:
                return f"has {name!r} null (the template uses it)"
            if isinstance(value, (bytes, bytearray)):
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    return f"has {name!r} bytes that are not valid UTF-8 (the template uses it)"
        return None

    def sample(record: Record) -> bytes:
        return "".join(literal + ("" if name is None else _template_text(record[name]))
                       for literal, name in pieces).encode("utf-8")

    return RecordFormat("template", check, sample)


def _template_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8")  # valid: the format's check ran first
    return str(value)


def _parse_template(template: str) -> list[tuple[str, Optional[str]]]:
    """``template`` as (literal text, field name or None) pieces; ValueError naming the
    template for anything but plain field names (see the module docstring)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}") from None
    pieces: list[tuple[str, Optional[str]]] = []
    for literal, field, spec, conversion in parsed:
        if field is not None:
            text = ("{" + field + ("" if conversion is None else "!" + conversion)
                    + (":" + spec if spec else "") + "}")
            if spec or conversion is not None:
                problem = "has a format spec or conversion"
            elif "." in field or "[" in field:
                problem = "reads an attribute or an item"
            elif not field or field.isdigit():
                problem = "is positional"
            else:
                problem = None
            if problem is not None:
                raise ValueError(f"template {template!r}: {text} {problem}; templates take "
                                 "plain field names such as {instruction}, rendered as text")
        pieces.append((literal, field))
    if all(field is None for _, field in pieces):
        raise ValueError(f"the template {template!r} names no field")
    return pieces


def template_fields(template: str) -> list[str]:
    """The record fields ``template`` names, each once, in order (see :func:`_parse_template`)."""
    return _field_names(_parse_template(template))


def _field_names(pieces: list[tuple[str, Optional[str]]]) -> list[str]:
    return list(dict.fromkeys(name for _, name in pieces if name is not None))


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


def is_pair_member(record: Record) -> bool:
    """A record in the shared preference files' layout (``pair_id`` and ``label``)."""
    return "pair_id" in record and "label" in record


def _pair_code(pair_id: Any, key: str) -> int:
    # An int pair id is its own code (exact); others hash their JSON text ``key`` (a collision
    # is a 2**-64 event).
    if type(pair_id) is int and -(1 << 63) <= pair_id < (1 << 63):
        return pair_id
    return hash(("pair_id", key))


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
    return format, "text"


class PoolEncoder:
    """Turns records, one at a time, into a Pool: one sample a record, or a preference pair.

    ``add(record)`` for each record in file order, then ``finish()``. ``format`` is one of
    :data:`FORMATS` (``auto`` resolves on the first record); ``template`` overrides it.
    ``pairs``: None detects the pair layout from the first record, True/False force it.
    A record that does not fit raises :class:`RecordError` naming its index.
    """

    def __init__(self, format: str = "auto", *, text_field: str = "text",
                 template: Optional[str] = None, pairs: Optional[bool] = None) -> None:
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        if template is not None and format != "auto":
            raise ValueError("a template chooses the sample bytes itself: leave the format "
                             f"at 'auto' (got {format!r})")
        self._requested = format
        self._text_field = text_field
        self._format: Optional[RecordFormat] = (
            template_format(template) if template is not None
            else None if format == "auto" else record_format(format, text_field=text_field))
        self.pairs = pairs
        self._detect_pairs = pairs is None
        self.records = 0
        self._builder = PoolBuilder()
        self._groups: Any = None  # array('q') of each sample's first record, with pairs
        self._codes: Any = None  # array('q') of each sample's pair id code, with pairs
        self._key = ""  # the JSON text of the last pair's id
        self._label: Any = None  # the label of the last pair's first member
        self._members = 0  # records of the last pair so far

    @property
    def format(self) -> str:
        """The format in use (``auto`` until the first record)."""
        return self._format.name if self._format is not None else "auto"

    def _start(self, record: Record) -> None:
        if self._format is None:
            self._format = record_format(detect_format(record, text_field=self._text_field),
                                         text_field=self._text_field)
        if self.pairs is None:
            self.pairs = is_pair_member(record)
        self._begin_pairs()

    def _begin_pairs(self) -> None:
        if self.pairs and self._groups is None:
            self._groups, self._codes = array("q"), array("q")

    @property
    def _active(self) -> RecordFormat:
        """The format in use once the first record has set it."""
        assert self._format is not None, "add() sets the format on the first record"
        return self._format

    def _problem(self, record: Record) -> Optional[str]:
        problem = self._active.check(record)
        if problem is None or self._active.name == "template":
            return problem
        if self._requested == "auto":
            looks = detect_format(record, text_field=self._text_field)
            return (f"{problem}: it is not a {self._active.name} record like the first one "
                    f"(it looks like {looks}); records must share one format: choose one "
                    "(--format, format=), or 'record' to take any object as it is")
        return f"{problem} (format {self._active.name})"

    def add(self, record: Any) -> None:
        """Adds the next record (a dict, as parsed from the file)."""
        index = self.records
        if not isinstance(record, Mapping):
            raise RecordError(index, f"is a JSON {json_type(record)}, expected an object")
        if index == 0:
            self._start(record)
        problem = self._problem(record)
        if problem is not None:
            raise RecordError(index, problem)
        try:
            sample = self._active.sample(record)
        except UnicodeEncodeError as exc:
            raise RecordError(index, f"holds text UTF-8 cannot encode ({exc.reason}, e.g. a "
                                     "lone \\ud800-style escape)") from None
        except RecursionError:  # repr or str of a record built in Python, not parsed from JSON
            raise RecordError(index, "is nested too deeply to encode") from None
        if self.pairs:
            missing = [key for key in ("pair_id", "label") if key not in record]
            self._add_member(sample, record.get("pair_id"), record.get("label"), missing)
            return
        if self._detect_pairs and is_pair_member(record):
            raise RecordError(index, "has pair_id and label, but the first record has not: "
                                     "preference pairs are detected from the first record; "
                                     "put a pair first, or read with pairs=False to take "
                                     "every record alone")
        self._builder.append(sample)
        self.records += 1

    def add_sample(self, sample: bytes, pair_id: Any = None, label: Any = None) -> None:
        """Adds the next record by its sample bytes (e.g. a Parquet column's value).

        With pairs on, ``pair_id`` and ``label`` are the record's (None: missing)."""
        if self.records == 0 and self.pairs is None:
            self.pairs = False
        self._begin_pairs()
        if not self.pairs:
            self._builder.append(sample)
            self.records += 1
            return
        missing = [name for name, value in (("pair_id", pair_id), ("label", label))
                   if value is None]
        self._add_member(sample, pair_id, label, missing)

    def add_samples(self, data: Any, offsets: np.ndarray) -> None:
        """Adds many single-record samples at once (no pairs): ``data[offsets[i]:offsets[i+1]]``."""
        if self.pairs:
            raise ValueError("add_samples cannot group preference pairs")
        self.pairs = False
        self._builder.append_many(data, offsets)
        self.records += len(offsets) - 1

    def _add_member(self, sample: bytes, pair_id: Any, label: Any, missing: list[str]) -> None:
        """Adds a preference pair member: the rules of the module docstring."""
        index = self.records
        if missing:
            raise RecordError(index, f"has no {' or '.join(missing)}, but the first record is a "
                                     "preference pair member (pair_id and label): every record "
                                     "must be")
        if not (isinstance(label, str) and label in PAIR_LABELS):
            raise RecordError(index, f"has label {json_text(label)}; a preference pair member's "
                                     'label is "chosen" or "rejected"')
        key = json_text(pair_id)
        if self._members and key == self._key:
            if self._members == 2:
                raise RecordError(index, f"is a third record with pair_id {key}: a preference "
                                         "pair is exactly two records")
            if label == self._label:
                raise RecordError(index, f"has label {json_text(label)} like its partner record "
                                         f'{index - 1}: a pair has one "chosen" and one '
                                         '"rejected" member')
            self._builder.extend_last(PAIR_SEPARATOR + sample)
            self._members = 2
        else:
            self._check_partnered()
            self._builder.append(sample)
            self._groups.append(index)
            self._codes.append(_pair_code(pair_id, key))
            self._key, self._label, self._members = key, label, 1
        self.records += 1

    def _check_partnered(self) -> None:
        if self._members == 1:
            raise RecordError(self._groups[-1], f"(pair_id {self._key}) has no partner: a "
                                                "preference pair is two consecutive records "
                                                "with the same pair_id, one \"chosen\" and one "
                                                "\"rejected\"")

    def finish(self) -> tuple[Pool, Optional[np.ndarray]]:
        """The pool and, with pairs, ``groups`` (int64, N+1): sample i is records
        ``groups[i]:groups[i+1]``; None when every record is its own sample."""
        if not self.pairs:
            return self._builder.finish(), None
        self._check_partnered()
        self._check_pairs_are_together()
        groups = np.frombuffer(self._groups, dtype=np.int64)
        groups = np.append(groups, np.int64(self.records))
        return self._builder.finish(), groups

    def _check_pairs_are_together(self) -> None:
        codes = np.frombuffer(self._codes, dtype=np.int64)
        if len(codes) < 2:
            return
        order = np.argsort(codes, kind="stable")
        same = codes[order[1:]] == codes[order[:-1]]
        if same.any():
            # The repeat that comes first in the file: the smallest later group among repeats.
            later = order[1:][same]
            first = order[:-1][same]
            k = int(np.argmin(later))
            again, before = int(later[k]), int(first[k])
            raise RecordError(self._groups[again],
                              f"has the pair_id of record {self._groups[before]}, with other "
                              "records in between: the members of a preference pair must be "
                              "next to each other")


def sample_bytes_of(record: Any, format: str = "auto", *, text_field: str = "text") -> bytes:
    """One record's sample bytes under ``format`` (``auto``: detected from this record)."""
    if format == "auto":
        format = detect_format(record, text_field=text_field)
    fmt = record_format(format, text_field=text_field)
    problem = fmt.check(record)
    if problem is not None:
        raise ZipcoreError(f"the record {problem} (format {format})")
    return fmt.sample(record)
