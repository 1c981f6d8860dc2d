"""What ``select`` and ``align`` share: the INPUTs a command reads as one pool, the options
that say which bytes a record's sample is (``ratio`` and ``monitor`` take them too, and
``ratio`` the partitioning), and writing the chosen records back.

Which files the INPUTs name, and in which order, is :mod:`zipcore.io.inputs`'s answer; what an
output is written as, :mod:`zipcore.io.outputs`'s; reading several files into one pool,
:class:`zipcore.io.readers.PoolFiles`."""

from __future__ import annotations

import argparse
from typing import Any, Optional, Sequence

import numpy as np

from ..io import atomic
from ..io.formats import FORMATS, resolve_format
from ..io.inputs import STDIN, Input
from ..io.jsonstream import sniff
from ..io.outputs import KINDS, OutputFormat, compression_for, output_format
from ..io.parquet import NO_PARTITIONS, Partitions, hive_partitions
from ..io.readers import PoolFiles, read_pools
from .arguments import add_records_key, template

INPUT_HELP = ("JSON list or JSONL of records (.gz and .zst read), or Parquet; a folder "
              "(recursive, sorted by path), a quoted glob, - (standard input) or a URL "
              "fsspec opens; several are one pool, in the order given; read as a stream")


def add_pool_arguments(command: argparse.ArgumentParser) -> None:
    """INPUT..., -o and how records become samples."""
    command.add_argument("inputs", metavar="INPUT", nargs="+", help=INPUT_HELP)
    command.add_argument("-o", "--output", required=True,
                         help="selected records, in selection order, each with its own bytes, "
                              "in the format its name ends in (.json, .jsonl, .parquet; .gz or "
                              ".zst after JSON), else --output-format, else INPUT's; - for "
                              "standard output")
    command.add_argument("--output-format", choices=KINDS, default=None,
                         help="the output's format, for -o - and names without one of those "
                              "extensions (JSON list and JSONL convert into each other)")
    add_sample_arguments(command)
    add_records_key(command)
    add_partitioning(command)


def add_partitioning(command: argparse.ArgumentParser) -> None:
    command.add_argument("--partitioning", choices=("none", "hive"), default="none",
                         help="hive: a Parquet file in key=value/ folders below the folder or "
                              "glob an argument names gets each key as a string column of that "
                              "value (after its own columns), as pyarrow.dataset reads a "
                              "hive-partitioned folder; none (default): the files' own columns "
                              "only")


def partitions_of(args: argparse.Namespace, item: Input) -> Partitions:
    """``item``'s partition values with ``--partitioning hive``, from the folders below what
    its argument named, in the names the user gave (a URL's local copy has no folders)."""
    return hive_partitions(item.in_dataset) if args.partitioning == "hive" else NO_PARTITIONS


def add_sample_arguments(command: argparse.ArgumentParser, *, pairs: bool = True) -> None:
    """How records become samples: the bytes select compresses, and ratio and monitor measure
    (``pairs``: the command keeps a preference pair's records together as one sample)."""
    command.add_argument("--format", choices=FORMATS, default="auto",
                         help="what a record is and which bytes are compressed: sharegpt, "
                              "alpaca, messages, preference and record compress repr(record) "
                              "like the reference; text compresses one string field; auto "
                              "(default) detects it from the first record" + (
                                  ". Preference pairs (pair_id and label) are kept together "
                                  "as one sample" if pairs else ", and its records must all "
                                  "fit it (--format record takes any)"))
    command.add_argument("--text-field", default=None, metavar="NAME",
                         help="samples are this string field of each record (format text); "
                              "default: the field 'text' when auto-detection finds no other "
                              "format")
    sample = command.add_mutually_exclusive_group()
    sample.add_argument("--column", metavar="NAME",
                        help="samples are this text column's values (Parquet; for JSON "
                             "records the same as --text-field)")
    sample.add_argument("--template", type=template, metavar="TEMPLATE",
                        help="samples are each record (or Parquet row) rendered by TEMPLATE, "
                             "e.g. '{instruction}\\n{output}' (\\n and \\t are decoded)")


def sample_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_sample_arguments`, checked together before any input is read
    (standard input may be a long stream), as keyword arguments of ``read_pool``: ValueError
    where they contradict each other."""
    resolve_format(args.format, text_field=args.text_field, column=args.column,
                   template=args.template)
    return {"format": args.format, "text_field": args.text_field, "column": args.column,
            "template": args.template}


def input_labels(inputs: Sequence[Input], name: str = "INPUT") -> dict[str, Optional[str]]:
    """The local inputs as atomic.plan's labels: no output may be one of them."""
    def path(item: Input) -> Optional[str]:  # standard input's file, if any, is atomic's to find
        return STDIN if item.name == STDIN else item.path or None

    if len(inputs) == 1:
        return {name: path(inputs[0])}
    return {f"{name} {i}": path(item) for i, item in enumerate(inputs, start=1)}


def input_kind(args: argparse.Namespace, first: Input) -> Optional[str]:
    """What the selection is, as far as the output's format cares (JSON and JSONL convert into
    each other, Parquet does not): known once the input is local; before, JSONL for standard
    input (a JSON list there is written back as a list, once it is read) and None for a remote
    file."""
    if first.fetch is not None:  # standard input or a remote file, not copied yet
        kind: Optional[str] = "jsonl" if first.name == STDIN else None
    else:
        kind = sniff(first.path)
    if args.records_key is not None and kind != "parquet":  # Parquet: the reader refuses the key
        return "json"  # the records under the key are written as a JSON list
    return kind


def check_output_names(args: argparse.Namespace, first: Input, *more: Optional[str]) -> None:
    """Before any input is read: ``-o``'s format against the selection's kind where the first
    input shows it (not standard input's copy or a remote file's), and the compression that
    ``-o`` and the text outputs ``more`` name by their suffixes."""
    kind = input_kind(args, first)
    if kind is not None:
        output_format(args.output, args.output_format, kind)
    for name in (args.output, *more):
        if name is not None:
            compression_for(name)


def selection_format(args: argparse.Namespace, first: Input) -> OutputFormat:
    """``-o``'s format once the first input is local (a remote file's kind is known once it is
    copied)."""
    return output_format(args.output, args.output_format,
                         input_kind(args, first) or sniff(first.path))


def read_inputs(args: argparse.Namespace, inputs: Sequence[Input], threads: int) -> PoolFiles:
    """The inputs' records as one pool, as the sample options say."""
    return read_pools([item.path for item in inputs], **sample_options(args),
                      records_key=args.records_key, threads=threads,
                      partitions=[partitions_of(args, item) for item in inputs])


def selection_file(outputs: dict[str, atomic.Output], source: PoolFiles,
                   indices: np.ndarray, made: OutputFormat) -> tuple[atomic.Output, Any]:
    """-o's output and its content: the records at ``indices``, in that order."""
    return (outputs["--output"],
            source.selection_chunks(indices, kind=made.kind, compression=made.compression))
