"""What a data pipeline holds goes in (issue 14, items 1 and 2): pandas and polars DataFrames and
Series, pyarrow Arrays, ChunkedArrays, Tables and RecordBatches, Hugging Face Datasets and
IterableDatasets, numpy arrays, each with ``column=``; a table without ``column=`` is an error;
``select_rows`` gives the rows back in the type given; ``progress=True`` and the ``zipcore``
logger.

Every form holds the same real texts (the last turn of 300 records of the example pool), so
each must give the plain list's selection.
"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import skip_ray_under_sanitizers

import zipcore
from zipcore.samples import as_pool

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa_dataset = pytest.importorskip("pyarrow.dataset")
datasets = pytest.importorskip("datasets")

K = {"k1": 40, "k2": 10, "k3": 4}
BUDGET = 8
SIZE = 300


@pytest.fixture(scope="module")
def records(real_pool):
    return real_pool("pool", 0, SIZE)


@pytest.fixture(scope="module")
def texts(records):
    return [r["conversations"][-1]["value"] for r in records]


@pytest.fixture(scope="module")
def expected(texts):
    return zipcore.select(texts, BUDGET, **K).tolist()


def same_bytes(pool, other) -> bool:
    """Two pools hold the same samples, byte for byte."""
    return (np.array_equal(pool.offsets - pool.offsets[0], other.offsets - other.offsets[0])
            and np.array_equal(pool.data[pool.offsets[0]:pool.offsets[-1]],
                               other.data[other.offsets[0]:other.offsets[-1]]))


def table_columns(texts):
    return {"text": texts, "n": list(range(len(texts)))}


# Each form: (data, column) built from the texts; values are the texts in the same order.
FORMS = {
    "pandas-frame": lambda t: (pd.DataFrame(table_columns(t)), "text"),
    "pandas-frame-object": lambda t: (pd.DataFrame(table_columns(t)).astype({"text": object}),
                                      "text"),
    "pandas-frame-arrow": lambda t: (pd.DataFrame(table_columns(t)).astype(
        {"text": pd.ArrowDtype(pa.large_string())}), "text"),
    "pandas-frame-category": lambda t: (pd.DataFrame(table_columns(t)).astype(
        {"text": "category"}), "text"),
    "pandas-series": lambda t: (pd.Series(t, name="text"), None),
    "polars-frame": lambda t: (pl.DataFrame(table_columns(t)), "text"),
    "polars-frame-categorical": lambda t: (pl.DataFrame(table_columns(t)).with_columns(
        pl.col("text").cast(pl.Categorical)), "text"),
    "polars-series": lambda t: (pl.Series("text", t), None),
    "arrow-array": lambda t: (pa.array(t), None),
    "arrow-large-binary": lambda t: (pa.array([s.encode() for s in t], pa.large_binary()), None),
    "arrow-chunked": lambda t: (pa.chunked_array([t[:100], t[100:250], t[250:]]), None),
    "arrow-sliced": lambda t: (pa.array(["x"] * 7 + t).slice(7), None),
    "arrow-table": lambda t: (pa.table(table_columns(t)), "text"),
    "arrow-record-batch": lambda t: (pa.RecordBatch.from_pydict(table_columns(t)), "text"),
    "hf-dataset": lambda t: (datasets.Dataset.from_dict(table_columns(t)), "text"),
    "hf-dataset-reordered": lambda t: (
        datasets.Dataset.from_dict({"text": t[::-1]}).select(range(len(t) - 1, -1, -1)), "text"),
    "hf-column": lambda t: (datasets.Dataset.from_dict(table_columns(t))["text"], None),
    "hf-iterable": lambda t: (datasets.Dataset.from_dict(table_columns(t))
                              .to_iterable_dataset(), "text"),
    "numpy-str": lambda t: (np.array(t), None),
    "numpy-object": lambda t: (np.array(t, dtype=object), None),
    "records": lambda t: ([{"text": s, "n": i} for i, s in enumerate(t)], "text"),
}

TABLES = {
    "pandas": lambda t: pd.DataFrame(table_columns(t)),
    "polars": lambda t: pl.DataFrame(table_columns(t)),
    "arrow-table": lambda t: pa.table(table_columns(t)),
    "arrow-record-batch": lambda t: pa.RecordBatch.from_pydict(table_columns(t)),
    "hf-dataset": lambda t: datasets.Dataset.from_dict(table_columns(t)),
    "hf-iterable": lambda t: datasets.Dataset.from_dict(table_columns(t)).to_iterable_dataset(),
}


# --- a table without column= ----------------------------------------------------------------

def test_the_dataframe_mistake_is_an_error_naming_the_columns(texts):
    """The issue's example: select(df, 1) returned [0], the column name "text"."""
    frame = pd.DataFrame(table_columns(texts))
    with pytest.raises(TypeError, match=r"has columns \['text', 'n'\]: pass column=") as info:
        zipcore.select(frame, 1)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("form", sorted(TABLES))
def test_every_table_needs_column(texts, form):
    with pytest.raises(TypeError, match=r"columns \['text', 'n'\].*column=NAME.*WHOLE_ROW"):
        zipcore.select(TABLES[form](texts), BUDGET, **K)


def test_a_single_column_table_still_needs_column(texts):
    with pytest.raises(TypeError, match=r"columns \['text'\]"):
        zipcore.select(pd.DataFrame({"text": texts}), BUDGET, **K)
    with pytest.raises(TypeError, match=r"columns \['text'\]"):
        zipcore.compression_ratio(pa.table({"text": texts}))


def test_an_iterable_dataset_of_unknown_features_names_its_first_row(texts):
    def rows():
        for text in texts:
            yield {"text": text, "n": 1}

    stream = datasets.IterableDataset.from_generator(rows)
    with pytest.raises(TypeError, match=r"columns \['text', 'n'\]"):
        zipcore.select(stream, BUDGET, **K)
    assert zipcore.select(stream, BUDGET, column="text", **K).tolist() == \
        zipcore.select(texts, BUDGET, **K).tolist()


# --- every form with column= gives the list's selection -------------------------------------

@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_gives_the_plain_lists_selection(texts, expected, form):
    data, column = FORMS[form](texts)
    assert zipcore.select(data, BUDGET, column=column, **K).tolist() == expected
    pool = as_pool(data, column)
    assert same_bytes(pool, as_pool(texts))


@pytest.mark.parametrize("form", ["pandas-frame", "arrow-table", "hf-column", "polars-series"])
def test_ratios_take_the_same_forms(texts, form):
    data, column = FORMS[form](texts)
    assert zipcore.compression_ratio(data, column=column) == zipcore.compression_ratio(texts)
    got = zipcore.candidate_ratios(data, data, column=column, threads=1)
    assert got.tolist() == zipcore.candidate_ratios(texts, texts, threads=1).tolist()


def test_arrow_text_is_read_in_place(texts):
    table = pa.table(table_columns(texts))
    values = np.frombuffer(table.column("text").chunk(0).buffers()[2], dtype=np.uint8)
    assert np.shares_memory(as_pool(table, "text").data, values)
    dataset = datasets.Dataset.from_dict(table_columns(texts))
    values = np.frombuffer(dataset.data.column("text").chunk(0).buffers()[2], dtype=np.uint8)
    assert np.shares_memory(as_pool(dataset, "text").data, values)
    frame = pd.DataFrame({"text": pd.array(texts, dtype=pd.ArrowDtype(pa.large_string()))})
    stored = pa.array(frame["text"].array)
    stored = stored.chunk(0) if isinstance(stored, pa.ChunkedArray) else stored
    values = np.frombuffer(stored.buffers()[2], dtype=np.uint8)
    assert np.shares_memory(as_pool(frame, "text").data, values)


def test_binary_columns_are_used_as_they_are(texts):
    raw = [t.encode("utf-8") for t in texts]
    frame = pl.DataFrame({"blob": raw})
    assert same_bytes(as_pool(frame, "blob"), as_pool(raw))
    assert same_bytes(as_pool(pa.table({"blob": pa.array(raw, pa.binary())}), "blob"),
                      as_pool(raw))


# --- column= errors -------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    ["a", "b"], [b"a", b"b"], np.array(["a", "b"]), pd.Series(["a", "b"]), pl.Series(["a", "b"]),
    pa.array(["a", "b"]),
], ids=["str-list", "bytes-list", "numpy", "pandas-series", "polars-series", "arrow-array"])
def test_column_for_an_input_without_columns_is_an_error(data):
    with pytest.raises(TypeError, match="column='text'.*no columns: drop column="):
        zipcore.select(data, 1, column="text")


def test_column_for_a_pool_is_an_error(texts):
    with pytest.raises(TypeError, match="a Pool has no columns"):
        zipcore.select(zipcore.Pool.from_samples(texts), 1, column="text")


@pytest.mark.parametrize("form", sorted(TABLES))
def test_a_missing_column_names_the_columns(texts, form):
    with pytest.raises(ValueError, match=r"no column 'body'; its columns: \['text', 'n'\]"):
        zipcore.select(TABLES[form](texts), BUDGET, column="body", **K)


def test_a_missing_field_of_a_record_names_the_record(records):
    with pytest.raises(ValueError, match=r"record 0 has no field 'text'; its fields: "):
        zipcore.select(records, BUDGET, column="text", **K)


@pytest.mark.parametrize("form", sorted(TABLES))
def test_a_column_of_numbers_names_its_type(texts, form):
    with pytest.raises(TypeError, match=r"column 'n' (holds|has dtype) (int64|Int64|i64)"):
        zipcore.select(TABLES[form](texts), BUDGET, column="n", **K)


NULLS = {
    "pandas": lambda v: pd.DataFrame({"text": v}),
    "pandas-object": lambda v: pd.DataFrame({"text": pd.Series(v, dtype=object)}),
    "polars": lambda v: pl.DataFrame({"text": v}),
    "arrow-table": lambda v: pa.table({"text": v}),
    "arrow-chunked": lambda v: pa.table({"text": pa.chunked_array([v[:2], v[2:]])}),
    "hf-dataset": lambda v: datasets.Dataset.from_dict({"text": v}),
    "hf-iterable": lambda v: datasets.Dataset.from_dict({"text": v}).to_iterable_dataset(),
    "records": lambda v: [{"text": s} for s in v],
}


@pytest.mark.parametrize("form", sorted(NULLS))
def test_nulls_name_the_first_null_row(form):
    data = NULLS[form](["a", "b", "c", None, "e", None])
    with pytest.raises(ValueError, match=r"column 'text' is null at row 3|field 'text' is null "
                                         r"at row 3"):
        zipcore.select(data, 1, column="text")


def test_a_series_with_nulls_names_the_row():
    with pytest.raises(ValueError, match="the Series is null at row 1"):
        zipcore.select(pd.Series(["a", None, "c"]), 1)
    with pytest.raises(ValueError, match="the Arrow array is null at row 2"):
        zipcore.select(pa.array(["a", "b", None]), 1)


def test_column_must_be_a_name(texts):
    with pytest.raises(TypeError, match="column must be a column name"):
        zipcore.select(pa.table({"text": texts}), 1, column=0)  # type: ignore[arg-type]


def test_a_dataframes_column_label_need_not_be_a_string(texts):
    """read_csv(header=None) labels its columns 0, 1, ...: the label the error lists works."""
    frame = pd.DataFrame({0: texts, 1: range(len(texts))})
    with pytest.raises(TypeError, match=r"has columns \[0, 1\]: pass column=NAME"):
        zipcore.select(frame, 3)
    assert np.array_equal(zipcore.select(frame, 3, column=0),  # type: ignore[arg-type]
                          zipcore.select(texts, 3))
    with pytest.raises(ValueError, match=r"has no column '0'; its columns: \[0, 1\]"):
        zipcore.select(frame, 3, column="0")


def test_a_dataset_dict_asks_for_a_split(texts):
    splits = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": texts})})
    with pytest.raises(TypeError, match=r"splits \['train'\]: pass one"):
        zipcore.select(splits, 1, column="text")


# --- whole rows -----------------------------------------------------------------------------

def test_whole_row_keeps_the_datasets_repr_of_each_row(texts):
    dataset = datasets.Dataset.from_dict(table_columns(texts))
    rows = [dict(row) for row in dataset]
    assert zipcore.WHOLE_ROW == "__row__"
    got = zipcore.select(dataset, BUDGET, column=zipcore.WHOLE_ROW, **K).tolist()
    assert got == zipcore.select(rows, BUDGET, **K).tolist()
    assert same_bytes(as_pool(dataset, "__row__"), as_pool([repr(row) for row in rows]))


@pytest.mark.parametrize("form", ["pandas", "polars", "arrow-table", "arrow-record-batch",
                                  "hf-iterable"])
def test_whole_row_of_any_table_is_each_rows_dict(texts, form):
    rows = [{"text": t, "n": i} for i, t in enumerate(texts)]
    assert same_bytes(as_pool(TABLES[form](texts), zipcore.WHOLE_ROW), as_pool(rows))


@pytest.mark.parametrize("kind", ["numpy", "pandas", "arrow"])
@pytest.mark.parametrize("iterable", [False, True])
def test_a_formatted_dataset_gives_the_rows_of_the_plain_one(texts, kind, iterable):
    # with_format("numpy") made each row's repr np.str_(...) (another selection, silently);
    # "pandas" and "arrow" rows were refused as a DataFrame or Table sample, and an arrow
    # IterableDataset's column was "missing"
    dataset = datasets.Dataset.from_dict(table_columns(texts))
    if iterable:
        dataset = dataset.to_iterable_dataset()
    formatted = dataset.with_format(kind)
    for column in (zipcore.WHOLE_ROW, "text"):
        assert same_bytes(as_pool(formatted, column), as_pool(dataset, column))


def test_whole_row_of_records_is_the_records(records):
    assert same_bytes(as_pool(records, zipcore.WHOLE_ROW), as_pool(records))
    with pytest.raises(TypeError, match="sample 0 is a str"):
        as_pool(["a"], zipcore.WHOLE_ROW)


# --- select_rows: the rows back, in the type given ------------------------------------------

def _values(rows, form):
    """The texts of selected rows, whatever their type."""
    if form.startswith(("pandas-frame", "polars-frame")):
        return [str(v) for v in rows["text"].to_list()]
    if form.startswith(("pandas-series", "polars-series")):
        return rows.to_list()
    if form in ("arrow-table", "arrow-record-batch"):
        return rows.column("text").to_pylist()
    if form.startswith("arrow"):
        return [v if isinstance(v, str) else v.decode() for v in rows.to_pylist()]
    if form.startswith("hf-dataset"):
        return rows["text"][:]
    if form == "records":
        return [r["text"] for r in rows]
    return [str(v) for v in rows]


ROW_TYPES = {
    "pandas-frame": "DataFrame", "pandas-series": "Series", "polars-frame": "DataFrame",
    "polars-series": "Series", "arrow-array": "StringArray", "arrow-chunked": "ChunkedArray",
    "arrow-table": "Table", "arrow-record-batch": "RecordBatch", "hf-dataset": "Dataset",
    "hf-dataset-reordered": "Dataset", "hf-column": "list", "numpy-str": "ndarray",
    "numpy-object": "ndarray", "records": "list",
}


@pytest.mark.parametrize("form", sorted(ROW_TYPES))
def test_select_rows_returns_the_type_given_in_selection_order(texts, expected, form):
    data, column = FORMS[form](texts)
    rows = zipcore.select_rows(data, BUDGET, column=column, **K)
    assert type(rows).__name__ == ROW_TYPES[form]
    assert type(rows) is type(data) or ROW_TYPES[form] == "list"
    assert _values(rows, form) == [texts[i] for i in expected]


def test_select_rows_of_a_pandas_frame_keeps_the_index_labels(texts, expected):
    frame = pd.DataFrame(table_columns(texts), index=[f"r{i}" for i in range(len(texts))])
    rows = zipcore.select_rows(frame, BUDGET, column="text", **K)
    assert rows.index.tolist() == [f"r{i}" for i in expected]
    assert rows["n"].tolist() == expected


def test_select_rows_of_arrow_views_keeps_their_types(texts, expected):
    # pyarrow has no take for string and binary views: a traceback after the whole selection.
    pa = pytest.importorskip("pyarrow")
    if not hasattr(pa, "string_view"):
        pytest.skip("this pyarrow has no view types")
    table = pa.table({"text": pa.array(texts, pa.string_view()),
                      "raw": pa.array([t.encode() for t in texts], pa.binary_view()),
                      "n": list(range(len(texts)))})
    for data, column in ((table, "text"), (table.to_batches()[0], "text"),
                         (table.column("text"), None), (table.column("text").chunk(0), None)):
        rows = zipcore.select_rows(data, BUDGET, column=column, **K)
        assert type(rows) is type(data)
        if column is None:
            assert rows.type == pa.string_view()
            assert rows.to_pylist() == [texts[i] for i in expected]
        else:
            assert rows.schema == table.schema and rows.column("n").to_pylist() == expected
    nested = table.append_column("tags", pa.array([[t] for t in texts],
                                                  pa.list_(pa.string_view())))
    calls = []
    with pytest.raises(TypeError, match="select_rows cannot take rows of this pyarrow.Table"):
        zipcore.select_rows(nested, BUDGET, column="text", progress=lambda *a: calls.append(a),
                            **K)
    assert calls == []  # refused before the run


def test_select_rows_of_a_list_a_tuple_and_a_pool(records, texts, expected):
    assert zipcore.select_rows(texts, BUDGET, **K) == [texts[i] for i in expected]
    assert zipcore.select_rows(tuple(texts), BUDGET, **K) == [texts[i] for i in expected]
    pool = zipcore.Pool.from_samples(texts)
    assert zipcore.select_rows(pool, BUDGET, **K) == pool.take(expected)
    chosen = zipcore.select(records, BUDGET, **K).tolist()
    assert zipcore.select_rows(records, BUDGET, **K) == [records[i] for i in chosen]


def test_select_rows_refuses_a_stream_before_the_run(texts):
    calls = []
    with pytest.raises(TypeError, match="select_rows needs rows it can index"):
        zipcore.select_rows((t for t in texts), BUDGET, progress=lambda *a: calls.append(a), **K)
    stream = datasets.Dataset.from_dict({"text": texts}).to_iterable_dataset()
    with pytest.raises(TypeError, match="IterableDataset is read once"):
        zipcore.select_rows(stream, BUDGET, column="text", **K)
    assert calls == []


# --- progress and the logger ----------------------------------------------------------------

def test_progress_true_shows_a_bar_on_stderr(texts, capsys):
    zipcore.select(texts, BUDGET, progress=True, **K)
    captured = capsys.readouterr()
    assert "stage" in captured.err and "eval" in captured.err
    assert captured.out == ""
    rows = zipcore.select_rows(pd.DataFrame({"text": texts}), BUDGET, column="text",
                               progress=True, **K)
    assert len(rows) == BUDGET and "stage" in capsys.readouterr().err
    for quiet in (False, None):
        zipcore.select(texts, BUDGET, progress=quiet, **K)
        assert capsys.readouterr().err == ""


def test_a_progress_callable_works_as_before(texts):
    calls = []
    result = zipcore.select_with_stats(texts, BUDGET, progress=lambda *a: calls.append(a), **K)
    assert calls and calls[-1][2] == calls[-1][3] and len(result.indices) == BUDGET


def test_each_run_logs_one_line_to_the_zipcore_logger(texts, caplog):
    with caplog.at_level(logging.DEBUG, logger="zipcore"):
        zipcore.select(pd.DataFrame({"text": texts}), BUDGET, column="text", **K)
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("zipcore").handlers)
    lines = [r for r in caplog.records if r.name == "zipcore"]
    assert len(lines) == 1 and lines[0].levelno == logging.DEBUG
    message = lines[0].getMessage()
    assert f"selected {BUDGET} of {SIZE} samples" in message
    assert "pandas.DataFrame" in message and "zlib-9" in message and "threads" in message


def test_the_library_never_prints():
    """print() belongs to the command line (cli/, and _stop.py's one line on Ctrl-C)."""
    package = Path(zipcore.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if relative.parts[0] == "cli" or relative.name in ("_stop.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "print"):
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


# --- nothing imported that is not needed ----------------------------------------------------

def test_import_and_a_list_selection_import_no_pipeline_library():
    code = ("import sys, zipcore\n"
            "heavy = ('pandas', 'polars', 'pyarrow', 'datasets', 'ray', 'logging', 'tqdm')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
            "print(sorted(m for m in sys.modules if m.startswith('zipcore')))\n"
            "zipcore.select(['ab', 'cd', 'abab'], 2)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy[:5])))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == "['zipcore', 'zipcore._core', 'zipcore._info']"
    assert out[2] == "[]"


# --- zipcore.distributed takes the same inputs ----------------------------------------------

def test_distributed_refuses_a_table_without_column_before_starting_ray(texts):
    pytest.importorskip("ray.data")
    from zipcore import distributed

    with pytest.raises(TypeError, match=r"columns \['text', 'n'\]"):
        distributed.select(pd.DataFrame(table_columns(texts)), BUDGET, **K)
    with pytest.raises(ValueError, match="takes column="):
        distributed.select(pd.DataFrame(table_columns(texts)), BUDGET, format="text", **K)


@pytest.mark.slow  # starts Ray
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")
def test_distributed_selects_from_a_dataframe_and_checks_a_ray_datasets_column(texts,
                                                                               expected):
    skip_ray_under_sanitizers()
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    from zipcore import distributed

    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", object_store_memory=150 * 1024 * 1024)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        frame = pd.DataFrame(table_columns(texts))
        assert distributed.select(frame, BUDGET, shards=1, column="text", **K).tolist() == \
            expected
        rows = ray.data.from_items([{"text": t, "n": i} for i, t in enumerate(texts)])
        with pytest.raises(ValueError, match=r"no column 'body'; its columns: \['text', 'n'\]"):
            distributed.select(rows, BUDGET, shards=1, column="body", **K)
        with pytest.raises(TypeError, match="column 'n' holds int64"):
            distributed.select(rows, BUDGET, shards=1, column="n", **K)
        whole = distributed.select(rows, BUDGET, shards=1, column=zipcore.WHOLE_ROW, **K)
        assert whole.tolist() == zipcore.select(
            pd.DataFrame(table_columns(texts)), BUDGET, column=zipcore.WHOLE_ROW, **K).tolist()
    finally:
        if started:
            ray.shutdown()


@pytest.mark.parametrize("table", [
    lambda: pa.Table.from_arrays([pa.array(["a", "b", "c"])] * 2, names=["text", "text"]),
    lambda: pd.DataFrame([["a", "b"], ["c", "d"], ["e", "f"]], columns=["text", "text"]),
])
@pytest.mark.parametrize("column", ["text", zipcore.WHOLE_ROW])
def test_two_columns_of_one_name_are_refused(table, column):
    """Not pyarrow's KeyError, and never a row that silently keeps one of them."""
    with pytest.raises(ValueError, match="has 2 columns named 'text'"):
        zipcore.select(table(), 1, column=column)


def test_a_bool_column_is_not_the_column_labelled_1():
    frame = pd.DataFrame({0: ["a", "b"], 1: ["c", "d"]})
    with pytest.raises(TypeError, match="column must be a column name, got True"):
        zipcore.select(frame, 1, column=True)


@pytest.mark.parametrize("call, message", [
    (lambda: zipcore.select(None, 1), "samples must be a collection of samples"),
    (lambda: zipcore.select_rows(None, 1), "samples must be a collection of samples"),
    (lambda: zipcore.select_rows({"a", "b"}, 1), "samples must be in an order, not a set"),
    (lambda: zipcore.select(np.array("abc"), 1), "one dimension, not 0"),
    (lambda: zipcore.select(np.array([["a", "b"]]), 1), r"one dimension, not 2 \(shape \(1, 2\)\)"),
    (lambda: zipcore.select(["a", "b"], 1, checkpoint=3), "checkpoint= takes a file path, not int"),
    (lambda: zipcore.select(["a", "b"], 1, report=3), "report= takes a file path, not int"),
    (lambda: zipcore.align_scores(["a"], None), "^target: samples must be a collection"),
    (lambda: zipcore.select(pl.LazyFrame({"text": ["a"]}), 1), "collect"),
    (lambda: zipcore.select(pa.table({"text": ["a"]}).to_reader(), 1),
     r"RecordBatchReader: read_all\(\)"),
    (lambda: zipcore.select(pa_dataset.dataset(pa.table({"text": ["a"]})), 1),
     r"InMemoryDataset: to_table\(columns"),
    (lambda: zipcore.align_scores(pd.DataFrame({"text": ["a b", "c"]}), ["a"], column="text"),
     "^target: column='text' picks a field of each dict record"),
])
def test_what_is_not_samples_is_one_line_naming_the_argument(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("call", [
    lambda: zipcore.select(["a b c"] * 40, 2, threads=1000, k1=10, k2=5, k3=2),
    lambda: zipcore.select_aligned(["a b c"] * 40, ["a"], 2, threads=1000),
    lambda: zipcore.align_scores(["a b c"] * 4, ["a"], threads=1000),
    lambda: zipcore.measure.dataset_ratio(["a b c"] * 4, threads=1000),
])
def test_the_threads_warning_points_at_the_callers_line(call):
    with pytest.warns(UserWarning, match="threads=1000 is more than") as caught:
        call()
    assert caught[0].filename == __file__
