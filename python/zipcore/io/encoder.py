"""Records into a Pool, one at a time: one sample a record, or a preference pair kept
together as one sample.

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

from array import array
from collections.abc import Mapping
from typing import Any, Optional

import numpy as np

from .. import _core
from ..pool import Pool, PoolBuilder
from .formats import (Record, RecordError, RecordFormat, UnpartneredAtEnd, detect_format,
                      json_text, json_type, record_format, resolve_format)
from .templates import template_format

PAIR_SEPARATOR = _core.GROUP_SEPARATOR
"""Joins the members of a preference pair into one sample (ZIP's own group separator)."""

PAIR_LABELS = ("chosen", "rejected")
"""The ``label`` of a preference pair's two members, one of each."""


def is_pair_member(record: Record) -> bool:
    """A record in the shared preference files' layout (``pair_id`` and ``label``)."""
    return "pair_id" in record and "label" in record


def _pair_code(pair_id: Any, key: str) -> int:
    # An int pair id is its own code (exact); others hash their JSON text ``key`` (a collision
    # is a 2**-64 event).
    if type(pair_id) is int and -(1 << 63) <= pair_id < (1 << 63):
        return pair_id
    return hash(("pair_id", key))


class PoolEncoder:
    """Turns records, one at a time, into a Pool: one sample a record, or a preference pair.

    ``add(record)`` for each record in file order, then ``finish()``. ``format`` is one of
    :data:`~zipcore.io.formats.FORMATS` (``auto`` resolves on the first record); ``template``
    overrides it.
    ``pairs``: None detects the pair layout from the first record, True/False force it.
    A record that does not fit raises :class:`RecordError` naming its index.
    """

    def __init__(self, format: str = "auto", *, text_field: str = "text",
                 template: Optional[str] = None, pairs: Optional[bool] = None) -> None:
        resolve_format(format, template=template)  # the arguments' rules, raised as ValueError
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

    def add(self, record: Any, text: Optional[bytes] = None) -> None:
        """Adds the next record (a dict, as parsed from the file; ``text``: its exact JSON
        source text where known, which can spare making its sample from the dict)."""
        index = self.records
        if not isinstance(record, Mapping):
            raise RecordError(index, f"is a JSON {json_type(record)}, expected an object")
        if index == 0:
            self._start(record)
        problem = self._problem(record)
        if problem is not None:
            raise RecordError(index, problem)
        try:
            sample = None
            if text is not None and self._active.sample_of_text is not None:
                sample = self._active.sample_of_text(text)
            if sample is None:
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
        self.pairs = False
        self._builder.append_many(data, offsets)
        self.records += len(offsets) - 1

    def _add_member(self, sample: bytes, pair_id: Any, label: Any, missing: list[str]) -> None:
        """Adds a preference pair member: the rules of the module docstring."""
        index = self.records
        if missing:
            why = ("the first record is a preference pair member (pair_id and label)"
                   if self._detect_pairs else "pairs=True asks for preference pairs")
            raise RecordError(index, f"has no {' or '.join(missing)}, but {why}: every record "
                                     "must be a pair member")
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

    def _check_partnered(self, error: type[RecordError] = RecordError) -> None:
        if self._members == 1:
            raise error(self._groups[-1], f"(pair_id {self._key}) has no partner: a "
                                                "preference pair is two consecutive records "
                                                "with the same pair_id, one \"chosen\" and one "
                                                "\"rejected\"")

    def finish(self) -> tuple[Pool, Optional[np.ndarray]]:
        """The pool and, with pairs, ``groups`` (int64, N+1): sample i is records
        ``groups[i]:groups[i+1]``; None when every record is its own sample."""
        if not self.pairs:
            return self._builder.finish(), None
        self._begin_pairs()  # none yet in an empty file
        self._check_partnered(UnpartneredAtEnd)  # the file's last record
        self._check_pairs_are_together()
        groups = np.frombuffer(self._groups, dtype=np.int64)
        groups = np.append(groups, np.int64(self.records))
        return self._builder.finish(), groups

    @property
    def pair_codes(self) -> Optional[np.ndarray]:
        """With pairs, each sample's pair id as an int64 code (the id itself for an int64,
        else a hash of its JSON text, stable within this process): what :func:`~zipcore.io.
        readers.read_pools` compares across files; None without pairs."""
        return None if self._codes is None else np.frombuffer(self._codes, dtype=np.int64)

    def _check_pairs_are_together(self) -> None:
        repeat = first_repeat(np.frombuffer(self._codes, dtype=np.int64))
        if repeat is not None:
            again, before = repeat
            raise RecordError(self._groups[again],
                              f"has the pair_id of record {self._groups[before]}, with other "
                              "records in between: the members of a preference pair must be "
                              "next to each other")


def first_repeat(codes: np.ndarray) -> Optional[tuple[int, int]]:
    """The first position in ``codes`` whose code came before, and that earlier position; None
    where every code differs."""
    order = np.argsort(codes, kind="stable")
    same = codes[order[1:]] == codes[order[:-1]]
    if not same.any():
        return None
    # The repeat that comes first: the smallest later position among repeats.
    later, earlier = order[1:][same], order[:-1][same]
    k = int(np.argmin(later))
    return int(later[k]), int(earlier[k])
