"""The entropy law's R per source and per file, measured by :mod:`zipcore.measure`.

R of a group is raw bytes / compressed bytes of the group ``[s0, s1, ...]`` framed as ZIP frames
it; :mod:`zipcore.measure` says how it is compressed (exact or parallel zlib, zstd). Here the
records of a dataset are grouped by their ``source`` field (or its prefix) and each group's R
is measured on its own, all groups in one pass of the engine's thread pool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from .._core import ZipcoreError
from ..io.formats import json_type
from .._pool import EncodedPool, check_collection
from ..io.parquet import NO_PARTITIONS, Partitions
from ..io.readers import PoolFile, read_pool
from ..measure import RatioResult, check_options, dataset_ratio, pool_ratios
from ..params import flag
from ..samples import as_pool, describe, library_of

NO_SOURCE = "(no source)"
"""The label of the group of records that have no ``source`` field (and of str, bytes and pool
samples)."""
OTHER = "(other)"
"""The label of the selection report's group of the sources it has no room for."""

SourceKey = tuple[str, str]
"""What a record is grouped under: (``"string"``, the source) for a string source, (its JSON type,
its JSON text) for any other JSON value (``("number", "3")``, ``("null", "null")``; numpy numbers,
bools and strings as the Python values they hold), (``"Python "`` and its type name, its repr)
for the rest (Parquet's bytes and dates, a dict holding them), ``("none", "")`` without one:
keys of different kinds never collide (``3`` is not ``"3"``, a source literally
``"(no source)"`` is not a missing one)."""


@dataclass(frozen=True)
class SourceRatio(RatioResult):
    """A :class:`~zipcore.measure.RatioResult` for the records of one ``source`` value."""

    source: str = NO_SOURCE


def source_key(sample: Any, prefix: bool = False) -> SourceKey:
    """The :data:`SourceKey` a sample is grouped under; ``prefix`` cuts a string source at its
    first ``/`` (:func:`source_prefix`)."""
    if not (isinstance(sample, Mapping) and "source" in sample):
        return ("none", "")
    value = sample["source"]
    if isinstance(value, (np.number, np.bool_, np.str_)):  # as the Python values they hold
        value = value.item()
    if isinstance(value, str):
        return ("string", source_prefix(value) if prefix else value)
    try:
        return (json_type(value), json.dumps(value, ensure_ascii=False))  # a JSON value
    except (TypeError, ValueError):  # Parquet's bytes, dates, a dict holding them, ...
        return (f"Python {type(value).__name__}", repr(value))


def source_label(key: SourceKey) -> str:
    """How a group is shown: a string source as it is, ``(no source)``, or another value's JSON
    text with its type (``3 (JSON number)``, ``null (JSON null)``). One label a key: a string
    that could pass for another label (``(no source)``, ``3 (JSON number)``), or that holds a
    character a table or a picture cannot show (a newline, a lone surrogate), is shown as JSON,
    ``"(no source)" (JSON string)``, and no character that cannot be shown is left in a label."""
    kind, text = key
    if kind == "none":
        return NO_SOURCE
    if kind == "string":
        if text.isprintable() and text not in ("", NO_SOURCE, OTHER) and not _TYPED.search(text):
            return text
        text = json.dumps(text, ensure_ascii=False)
    suffix = f"({kind})" if kind.startswith("Python ") else f"(JSON {kind})"
    return f"{printable(text)} {suffix}"


_TYPED = re.compile(r" \((JSON|Python) [^()]*\)$")
"""The end of a label that is not a string's (``3 (JSON number)``)."""


def printable(text: str) -> str:
    """``text`` with each character that a terminal or a picture cannot show (control characters,
    lone surrogates, as file names and JSON may hold) written as its Python escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def source_of(sample: Any) -> str:
    """The label of the ``source`` a record is grouped under (:func:`source_label`)."""
    return source_label(source_key(sample))


def source_prefix(source: str) -> str:
    """``"alpaca_eval/claude"`` -> ``"alpaca_eval"``: the origin before the first ``/``."""
    return source.split("/", 1)[0]


def label_prefix(label: str) -> str:
    """The label of the group that ``prefix=True`` puts a group labelled ``label`` in: a string
    source's, cut at its first ``/``; any other label as it is (``["a/b"] (JSON array)``)."""
    if label in (NO_SOURCE, OTHER) or _TYPED.search(label):
        return label
    return source_label(("string", source_prefix(label)))


def ratio_by_source(samples: Iterable[Any], *, prefix: bool = False,
                    column: Optional[str] = None, **options: Any) -> list[SourceRatio]:
    """R of each ``source``'s records, framed and compressed as a group of their own.

    Grouped by :func:`source_key`, shown by :func:`source_label`; sorted by R, most redundant
    first (ties by label). ``prefix=True`` groups string sources by the part before the first
    ``/`` (``gsm8k/train`` and ``gsm8k/test`` together). ``column`` and the options as
    :func:`zipcore.measure.dataset_ratio` (``column``: the field of each record measured; the
    record's ``repr`` without it); the groups share one pass of the thread pool. No samples
    have no sources: ``[]``.
    """
    prefix = bool(flag("prefix", prefix))
    check_options(options, "ratio_by_source")
    if isinstance(samples, EncodedPool):  # bytes only: one group
        records: Any = [None] * len(samples)
    elif library_of(samples) is not None:  # a table iterates its column names, not its rows
        raise TypeError(f"ratio_by_source takes records (dicts with a source field), not a "
                        f"{describe(samples)}: pass its rows, e.g. df.to_dict('records')")
    else:
        check_collection(samples)
        if not isinstance(samples, (Sequence, np.ndarray)):  # read twice: bytes, then sources
            samples = list(samples)
        records = samples
    pool = as_pool(samples, column)  # encoded whole: an error names the record's row
    return _by_source(pool, records, prefix, [], options)[1]


def _by_source(pool: EncodedPool, records: Iterable[Any], prefix: bool,
               groups: list[np.ndarray], options: dict[str, Any]
               ) -> tuple[list[RatioResult], list[SourceRatio]]:
    """R of ``groups`` of the pool, and of each source's samples (``records``: the pool's
    records, in order), on one pass of the thread pool."""
    members: dict[SourceKey, list[int]] = {}
    for i, record in enumerate(records):
        members.setdefault(source_key(record, prefix), []).append(i)
    results = pool_ratios(pool, groups + [np.asarray(m) for m in members.values()], **options)
    rows = [SourceRatio(r.samples, r.bytes, r.compressed, r.codec, r.method, source_label(key))
            for key, r in zip(members, results[len(groups):])]
    return results[:len(groups)], sorted(rows, key=lambda row: (-row.ratio, row.source))


def file_samples(path: Any, *, records_key: Optional[str] = None, format: str = "auto",
                 text_field: Optional[str] = None, column: Optional[str] = None,
                 template: Optional[str] = None, partitions: Partitions = NO_PARTITIONS,
                 threads: Optional[int] = None) -> PoolFile:
    """A file's samples as :func:`file_ratios` measures them (a record each, made as
    ``zipcore select`` makes them; ``threads``: reader processes for a large file, as
    :func:`zipcore.read_pool`); ZipcoreError naming the file when it has no records."""
    source = read_pool(path, format=format, text_field=text_field, column=column,
                       template=template, pairs=False, records_key=records_key,
                       partitions=partitions, threads=threads)
    if not len(source):
        raise ZipcoreError(f"{source.path}: no records: R of an empty file is undefined")
    return source


def file_ratios(path: Any, *, by: Optional[str] = None, records_key: Optional[str] = None,
                format: str = "auto", text_field: Optional[str] = None,
                column: Optional[str] = None, template: Optional[str] = None,
                partitions: Partitions = NO_PARTITIONS,
                **options: Any) -> tuple[RatioResult, Optional[list[SourceRatio]]]:
    """R of a JSON list, JSONL or Parquet file, and with ``by`` of each source's records.

    Every record is one sample, made as :func:`zipcore.read_pool` makes it from ``format``,
    ``text_field``, ``column``, ``template`` and ``partitions`` (by default ``repr(record)``,
    Parquet: each row as a dict, with the ``partitions`` of a hive-partitioned file as its
    last columns, and a record's ``text`` string where the format detected is ``text``): the bytes
    ``zipcore select`` compresses, so R is the R of what it selects from (a preference pair's
    two records are two samples here, framed as in the pair). The file is read as a stream
    (``records_key`` as there); with
    ``by="source"`` (or ``"prefix"``, as :func:`ratio_by_source`'s ``prefix=True``) it is read
    once more for the sources only (Parquet: the ``source`` column). Options as
    :func:`zipcore.measure.dataset_ratio`. Returns the file's result and the source groups
    (None without ``by``). ZipcoreError naming the file when it has no records.
    """
    if by not in (None, "source", "prefix"):
        raise ValueError(f"by must be None, 'source' or 'prefix', got {by!r}")
    check_options(options, "file_ratios")
    source = file_samples(path, records_key=records_key, format=format, text_field=text_field,
                          column=column, template=template, partitions=partitions,
                          threads=options.get("threads"))  # reading too, as select's
    if by is None:
        return dataset_ratio(source.pool, **options), None
    whole = np.arange(len(source.pool), dtype=np.int64)  # the file, beside its groups
    (result,), rows = _by_source(source.pool, source.iter_records(columns=["source"]),
                                 by == "prefix", [whole], options)
    return result, rows
