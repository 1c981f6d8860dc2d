"""User samples as the engine's pool (:func:`as_pool`, the one way they become one); and a
selection of them, in the same type (:func:`row_taker`).

Samples one by one (records, ``str``, ``bytes``) are encoded once by ``zipcore._pool``; what a
data pipeline holds is read as described below. Library types are recognized by their
classes' modules, so nothing here imports pandas, polars, pyarrow or ``datasets``: an object of
theirs means its library is already imported.

``column`` names the text column whose values are the samples:

* tables (pandas/polars DataFrame, pyarrow Table/RecordBatch, Hugging Face ``datasets.Dataset``
  and ``IterableDataset``) need it, even with one column: a table without ``column=`` is a
  TypeError naming its columns. ``column=WHOLE_ROW`` compresses each row as a record instead
  (``repr`` of the row's dict, the reference's bytes for a record);
* records (dicts, in a list or any iterable) take it as a field name: the field's value of each
  record (``WHOLE_ROW``: the record itself, as without ``column=``);
* inputs without columns (``str``/``bytes`` samples, a Series, an Arrow array, a numpy array, a
  Pool) refuse it.

String and binary columns go through :meth:`Pool.from_arrow` (the values' buffer viewed in place)
where the data is Arrow already: pyarrow, pandas strings stored in pyarrow (pandas 3's default
``str``), ``datasets`` (its ``.data`` table), polars (``.to_arrow()``, which copies polars' own
string layout once, in Arrow's C++). Other values are encoded one by one, as for a list: ``str``
as UTF-8, ``bytes`` as they are, a dict as ``repr``. A null value, or a column of other values
(numbers, lists), is an error naming the first null row or the column's type.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, Union

import numpy as np

from . import WHOLE_ROW
from ._pool import EncodedPool, check_collection, encode_pool, is_arrow_text, plain_arrow_type
from .pool import Pool, hf_column

if TYPE_CHECKING:
    import datasets
    import pandas
    import polars
    import pyarrow

Samples = Union[
    Iterable[Any],
    EncodedPool,
    "np.ndarray[Any, Any]",
    "pyarrow.Array",
    "pyarrow.ChunkedArray",
    "pyarrow.Table",
    "pyarrow.RecordBatch",
    "pandas.DataFrame",
    "pandas.Series",
    "polars.DataFrame",
    "polars.Series",
    "datasets.Dataset",
    "datasets.IterableDataset",
]
"""What ``select``, ``select_with_stats``, ``select_rows``, ``compression_ratio`` and
``candidate_ratios`` take: dict records, ``str`` or ``bytes`` (a list, tuple, numpy array,
generator or any iterable of them), a :class:`zipcore.Pool`, or what a pipeline holds: a pyarrow
Array, ChunkedArray, Table or RecordBatch, a pandas or polars DataFrame or Series, a Hugging
Face ``datasets.Dataset`` (or one of its columns, ``ds["text"]``) or ``IterableDataset``."""

_LIBRARIES = ("pyarrow", "pandas", "polars", "datasets", "ray")


def library_of(obj: Any) -> Optional[str]:
    """The library among ``_LIBRARIES`` that ``obj``'s class (or a base class) comes from, by
    the classes' ``__module__``: no import needed."""
    for cls in type(obj).__mro__:
        module = getattr(cls, "__module__", None)
        if isinstance(module, str) and module.partition(".")[0] in _LIBRARIES:
            return module.partition(".")[0]
    return None


def describe(obj: Any) -> str:
    """``obj``'s type for messages and the log, e.g. ``pandas.DataFrame``."""
    library = library_of(obj)
    return f"{library}.{type(obj).__name__}" if library else type(obj).__name__


def as_pool(samples: Any, column: Optional[str] = None) -> EncodedPool:
    """``samples`` (see :data:`Samples` and the module docstring) as the engine's pool: a pool
    as it is; Arrow text viewed in place; anything else encoded once. ``column`` is a name
    (str), or for a pandas DataFrame any of its column labels (``0`` of
    ``read_csv(header=None)``)."""
    library = library_of(samples)
    if isinstance(column, (bool, np.bool_)):  # True == 1 would pick a column labelled 1
        raise TypeError(f"column must be a column name, got {column!r}")
    if library == "pandas":
        return _pandas(samples, column)
    if column is not None and not isinstance(column, str):
        raise TypeError(f"column must be a column name (str), got {type(column).__name__}")
    if isinstance(samples, EncodedPool):
        _no_columns(column, "a Pool")
        return samples
    if library == "pyarrow":
        return _pyarrow(samples, column)
    if library == "polars":
        return _polars(samples, column)
    if library == "datasets":
        return _hf(samples, column)
    if library == "ray":
        raise TypeError(f"a {describe(samples)} is selected from on its cluster: "
                        "zipcore.distributed.select(dataset, budget, column=...)")
    if isinstance(samples, np.ndarray):
        if samples.ndim != 1:
            raise TypeError(f"a numpy array of samples has one dimension, not {samples.ndim} "
                            f"(shape {samples.shape})")
        if samples.dtype.names:
            raise TypeError(f"a structured numpy array (fields {list(samples.dtype.names)}) is "
                            "not taken as a table: pass one field, array[NAME]")
        _no_columns(column, "a numpy array")
    if column is None:
        return encode_pool(samples)
    return _records(samples, column)


def named_pool(name: str, samples: Any, column: Optional[str]) -> EncodedPool:
    """:func:`as_pool` for one of several sample arguments (``selected``, ``candidates``,
    ``target``): an error about it says which (``candidates: sample 0 is a NoneType ...``)."""
    try:
        return as_pool(samples, column)
    except (TypeError, ValueError) as error:  # ZipcoreError too, a ValueError
        raise type(error)(f"{name}: {error}") from None


# --- checks and encoding shared by every input ---------------------------------------------

def _no_columns(column: Optional[str], what: str) -> None:
    if column is not None:
        raise TypeError(f"column={column!r} names a column of a table (a DataFrame, pyarrow "
                        f"Table, datasets.Dataset, ...) or a field of dict records; {what} has "
                        "no columns: drop column=")


def _table(what: str, columns: list[Any], column: Optional[str],
           values: Callable[[str], EncodedPool], rows: Callable[[], Iterable[Any]]) -> EncodedPool:
    """One of a table's columns (``values(name)``), or its ``rows()`` as records."""
    if column is None:
        _need_column(what, columns)
    named_twice = [name for i, name in enumerate(columns) if name in columns[:i]]
    if column == WHOLE_ROW:
        if named_twice:  # a row's dict keeps one of them
            raise ValueError(f"{what} has {columns.count(named_twice[0])} columns named "
                             f"{named_twice[0]!r}: rename them first (a row keeps one)")
        return encode_pool(rows())
    if column not in columns:
        raise ValueError(f"{what} has no column {column!r}; its columns: {columns}")
    if column in named_twice:
        raise ValueError(f"{what} has {columns.count(column)} columns named {column!r}")
    return values(column)


def _need_column(what: str, columns: list[Any]) -> NoReturn:
    """A table without ``column=``: never its column names as samples, never a guess."""
    raise TypeError(f"{what} has columns {columns}: pass column=NAME, the text column to "
                    "select on (or column=zipcore.WHOLE_ROW to compress each row's repr)")


def _is_null(value: Any) -> bool:
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or type(value).__name__ in ("NAType", "NaTType"))  # pandas' missing values


def _check_value(value: Any, row: int, what: str) -> Any:
    if isinstance(value, (str, bytes, bytearray, memoryview, Mapping)):
        return value
    if _is_null(value):
        raise ValueError(f"{what} is null at row {row}; drop or fill the nulls first")
    raise TypeError(f"{what} holds {type(value).__name__} values (row {row}), not text: "
                    "zipcore selects on str, bytes or dict values")


def _values(values: Iterable[Any], what: str) -> EncodedPool:
    """A column's values, encoded one by one like a list's samples; nulls and values other
    than str, bytes and dicts are refused, naming the row."""
    return encode_pool(_check_value(v, i, what) for i, v in enumerate(values))


def _records(samples: Any, column: str) -> EncodedPool:
    """Field ``column`` of each dict record (``WHOLE_ROW``: the record itself)."""
    check_collection(samples)
    what = "the records" if column == WHOLE_ROW else f"field {column!r}"

    def fields() -> Iterator[Any]:
        for i, record in enumerate(samples):
            if not isinstance(record, Mapping):
                raise TypeError(f"column={column!r} picks a field of each dict record, but "
                                f"sample {i} is a {type(record).__name__}, which has no "
                                "columns: drop column=")
            if column == WHOLE_ROW:
                yield record
                continue
            try:
                yield record[column]
            except KeyError:
                raise ValueError(f"record {i} has no field {column!r}; its fields: "
                                 f"{list(record)}") from None

    return _values(fields(), what)


def _arrow_or_values(arrow: Callable[[Any], Any], values: Callable[[], Iterable[Any]],
                     what: str) -> EncodedPool:
    """A text column through :func:`_arrow` (``arrow(pyarrow)``: its Arrow array), or where
    pyarrow is not installed its ``values()`` one by one."""
    try:
        import pyarrow as pa
    except ImportError:
        return _values(values(), what)
    return _arrow(pa, arrow(pa), what)


# --- Arrow -----------------------------------------------------------------------------------

def _arrow(pa: Any, values: Any, what: str) -> EncodedPool:
    """A pyarrow Array or ChunkedArray of text as a pool: string and binary values viewed in
    place (:meth:`Pool.from_arrow`); dictionary-encoded and view layouts converted first."""
    kind = plain_arrow_type(pa, values.type)
    if not is_arrow_text(pa, kind):
        raise TypeError(f"{what} holds {kind} values, not text: zipcore selects on string or "
                        "binary values (cast or format the column first)")
    if kind != values.type:  # pandas categoricals, polars enums, views: converted (a copy)
        values = values.cast(kind)
    if values.null_count:
        first = int(np.argmax(values.is_null().to_numpy(zero_copy_only=False)))
        raise ValueError(f"{what} is null at row {first}; drop or fill the nulls first")
    return Pool.from_arrow(values)


def _arrow_rows(table: Any) -> Iterator[Any]:
    batches = table.to_batches() if hasattr(table, "to_batches") else [table]
    for batch in batches:
        yield from batch.to_pylist()


def _pyarrow(samples: Any, column: Optional[str]) -> EncodedPool:
    import pyarrow as pa

    if isinstance(samples, (pa.Array, pa.ChunkedArray)):
        _no_columns(column, f"a pyarrow {type(samples).__name__}")
        return _arrow(pa, samples, "the Arrow array")
    if isinstance(samples, (pa.Table, pa.RecordBatch)):
        return _table(f"a pyarrow {type(samples).__name__}", samples.schema.names, column,
                      lambda name: _arrow(pa, samples.column(name), f"column {name!r}"),
                      lambda: _arrow_rows(samples))
    name = type(samples).__name__  # a stream, or a pyarrow.dataset's files not read yet:
    hint = (": read_all() it first" if isinstance(samples, pa.RecordBatchReader)
            else ": to_table(columns=[...]) it first" if name.endswith("Dataset") else "")
    raise TypeError(f"zipcore takes a pyarrow Array, ChunkedArray, Table or RecordBatch, not a "
                    f"{name}{hint}")


# --- pandas ----------------------------------------------------------------------------------

def _pandas(samples: Any, column: Optional[str]) -> EncodedPool:
    import pandas as pd

    if isinstance(samples, pd.DataFrame):
        return _table("a pandas DataFrame", list(samples.columns), column,
                      lambda name: _pandas_series(pd, samples[name], f"column {name!r}"),
                      lambda: samples.to_dict("records"))
    if isinstance(samples, pd.Series):
        _no_columns(column, "a pandas Series")
        return _pandas_series(pd, samples, "the Series")
    _no_columns(column, f"a {describe(samples)}")
    return encode_pool(samples)  # an Index, ...: its values, as a list's


def _pandas_series(pd: Any, series: Any, what: str) -> EncodedPool:
    dtype = series.dtype
    if dtype == object:  # Python objects: str, bytes, dicts (anything else is refused)
        return _values(series.to_numpy(), what)
    arrow_types = tuple(t for t in (pd.StringDtype, pd.CategoricalDtype,
                                    getattr(pd, "ArrowDtype", None)) if t is not None)
    if isinstance(dtype, arrow_types):
        return _arrow_or_values(lambda pa: pa.array(series.array),  # zero-copy for pyarrow storage
                                lambda: series.to_numpy(dtype=object), what)
    raise TypeError(f"{what} has dtype {dtype}, not text: zipcore selects on str or bytes "
                    "values")


# --- polars ----------------------------------------------------------------------------------

def _polars(samples: Any, column: Optional[str]) -> EncodedPool:
    import polars as pl

    if isinstance(samples, pl.DataFrame):
        return _table("a polars DataFrame", list(samples.columns), column,
                      lambda name: _polars_series(pl, samples.get_column(name),
                                                  f"column {name!r}"),
                      lambda: samples.iter_rows(named=True))
    if isinstance(samples, pl.Series):
        _no_columns(column, "a polars Series")
        return _polars_series(pl, samples, "the Series")
    if isinstance(samples, pl.LazyFrame):
        raise TypeError("a polars LazyFrame holds no rows yet: collect() it first")
    raise TypeError(f"zipcore takes a polars DataFrame or Series, not a "
                    f"{type(samples).__name__}")


def _polars_series(pl: Any, series: Any, what: str) -> EncodedPool:
    if series.dtype == pl.Categorical or series.dtype == pl.Enum:
        series = series.cast(pl.String)
    if series.dtype == pl.String or series.dtype == pl.Binary:
        return _arrow_or_values(lambda pa: series.to_arrow(), series.to_list, what)
    if series.dtype == pl.Object:
        return _values(series.to_list(), what)
    raise TypeError(f"{what} has dtype {series.dtype}, not text: zipcore selects on String or "
                    "Binary values")


# --- Hugging Face datasets -------------------------------------------------------------------

def _hf(samples: Any, column: Optional[str]) -> EncodedPool:
    import datasets
    import pyarrow as pa  # a dependency of datasets

    if isinstance(samples, (datasets.DatasetDict, datasets.IterableDatasetDict)):
        raise TypeError(f"a {type(samples).__name__} holds splits {sorted(samples)}: pass one, "
                        "e.g. data['train']")
    # A format (with_format("numpy"), "pandas", "arrow", ...) changes what a row is: rows are
    # read as Python values, as without one (np.str_('a') in a repr is other bytes).
    if isinstance(samples, datasets.Dataset):
        return _table("a datasets.Dataset", list(samples.column_names), column,
                      lambda name: _arrow(pa, hf_column(samples, name), f"column {name!r}"),
                      lambda: samples.with_format(None))
    if isinstance(samples, datasets.IterableDataset):
        return _hf_iterable(samples.with_format(None), column)
    source, name = getattr(samples, "source", None), getattr(samples, "column_name", None)
    if isinstance(source, datasets.Dataset) and isinstance(name, str):  # ds["text"]
        _no_columns(column, "a datasets column")
        return _arrow(pa, hf_column(source, name), f"column {name!r}")
    _no_columns(column, f"a {describe(samples)}")
    return encode_pool(samples)


def _hf_iterable(samples: Any, column: Optional[str]) -> EncodedPool:
    names = samples.column_names  # None when the features are unknown before reading
    if column is None:
        if names is None:
            first = next(iter(samples), None)
            names = list(first) if isinstance(first, Mapping) else []
        _need_column("a datasets.IterableDataset", list(names))
    if column == WHOLE_ROW:
        return encode_pool(samples)
    if names is not None:
        if column not in names:
            raise ValueError(f"a datasets.IterableDataset has no column {column!r}; its "
                             f"columns: {list(names)}")
        import pyarrow as pa  # a dependency of datasets

        feature = (samples.features or {}).get(column)
        kind = getattr(feature, "pa_type", None)  # a datasets.Value's (or ClassLabel's) type
        if isinstance(kind, pa.DataType) and not is_arrow_text(pa, plain_arrow_type(pa, kind)):
            raise TypeError(f"column {column!r} holds {kind} values, not text: zipcore selects "
                            "on string or binary values (cast or format the column first)")
        samples = samples.select_columns([column])
    what = f"column {column!r}"

    def values() -> Iterator[Any]:
        for batch in samples.iter(batch_size=1024):
            if column not in batch:
                raise ValueError(f"a datasets.IterableDataset has no column {column!r}; its "
                                 f"columns: {list(batch)}")
            yield from batch[column]

    return _values(values(), what)


# --- a selection in the type given -----------------------------------------------------------

def _arrow_take(pa: Any, data: Any, indices: np.ndarray) -> Any:
    """``data.take(indices)``. pyarrow has no take for string and binary views (after the
    selection: a traceback): those columns are taken as their large types and cast back."""
    def plain(kind: Any) -> Any:
        return kind if pa.types.is_dictionary(kind) else plain_arrow_type(pa, kind)

    tabular = isinstance(data, (pa.Table, pa.RecordBatch))
    kind = data.schema if tabular else data.type
    taken = (pa.schema([f.with_type(plain(f.type)) for f in kind], metadata=kind.metadata)
             if tabular else plain(kind))
    if taken == kind:
        return data.take(pa.array(indices))
    return data.cast(taken).take(pa.array(indices)).cast(kind)


def row_taker(data: Any) -> Callable[[np.ndarray], Any]:
    """How to take rows of ``data`` by position, keeping its type (``select_rows``): checked
    before a run, so data that cannot give its rows back (a generator, which the selection
    consumes; an ``IterableDataset``) fails before any work."""
    check_collection(data)  # one sample, a set or None: select's own message
    library = library_of(data)
    if isinstance(data, EncodedPool):
        pool = data if isinstance(data, Pool) else Pool.from_buffers(data.data, data.offsets)
        return pool.take
    if library == "pyarrow":
        import pyarrow as pa

        if isinstance(data, (pa.Array, pa.ChunkedArray, pa.Table, pa.RecordBatch)):
            try:  # before the run: pyarrow cannot take every type (views inside a list)
                _arrow_take(pa, data, np.empty(0, dtype=np.int64))
            except pa.ArrowNotImplementedError as exc:
                raise TypeError(f"select_rows cannot take rows of this {describe(data)} "
                                f"({exc}): use zipcore.select for the indices") from None
            return lambda indices: _arrow_take(pa, data, indices)
    elif library == "pandas":
        if hasattr(data, "iloc"):
            return lambda indices: data.iloc[indices]
    elif library == "polars":
        import polars as pl

        if isinstance(data, (pl.DataFrame, pl.Series)):
            return lambda indices: data[indices]
    elif library == "datasets":
        import datasets

        if isinstance(data, datasets.Dataset):
            return lambda indices: data.select(indices)
        if isinstance(data, datasets.IterableDataset):
            raise TypeError("select_rows needs rows it can index: an IterableDataset is read "
                            "once; use zipcore.select for the indices and keep those rows as "
                            "you stream")
    elif isinstance(data, np.ndarray):
        return lambda indices: data[indices]
    if isinstance(data, Sequence) or (hasattr(data, "__getitem__") and hasattr(data, "__len__")
                                      and not isinstance(data, Mapping)):
        return lambda indices: [data[i] for i in indices.tolist()]
    raise TypeError(f"select_rows needs rows it can index again (a list, array, DataFrame, "
                    f"Table or Dataset), not a {describe(data)}, which the selection consumes: "
                    "use zipcore.select for the indices")
