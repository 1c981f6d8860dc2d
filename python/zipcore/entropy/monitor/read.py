"""Reading the versions CSV: one ``version,path[,loss][,quality]`` row per data version."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..._core import ZipcoreError
from ...io import PathLike
from ...io.jsonfile import utf8_error

COLUMNS = ("version", "path", "loss", "quality")


@dataclass(frozen=True)
class VersionSpec:
    """One row of the versions CSV."""

    version: str
    path: Path
    loss: Optional[float] = None
    quality: Optional[float] = None
    where: str = ""
    """The CSV file and line it came from (``versions.csv:3``), for messages."""


def _number(text: str, what: str, where: str, positive: bool = False) -> Optional[float]:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ZipcoreError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value) or (positive and value <= 0):
        raise ZipcoreError(f"{where}: {what} must be a {'positive' if positive else 'finite'} "
                           f"number, got {text!r}")
    return value


def _header(row: list[str], where: str) -> list[str]:
    names = [name.strip().lower() for name in row]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or len(set(names)) != len(names) or not {"version", "path"} <= set(names):
        raise ZipcoreError(f"{where}: the header must name the columns version,path and "
                           f"optionally loss,quality (each once); found {','.join(row)!r}")
    return names


def read_versions(csv_path: PathLike) -> list[VersionSpec]:
    """Reads ``version,path[,loss][,quality]`` rows (header first, any column order).

    Paths are relative to the CSV's folder. Empty loss or quality cells mean "not measured".
    """
    csv_path = Path(csv_path)
    data = csv_path.read_bytes()  # a few lines: read at once, decoded with the error positioned
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise utf8_error(csv_path, exc.start, exc) from None
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []  # (the line a row starts on, its cells)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1  # a quoted cell may hold line breaks
    except csv.Error as exc:  # a field over the csv module's limit, an unclosed quote
        quoting = "quote" in str(exc) or "end of data" in str(exc)
        hint = " (a cell that starts with a quote must end with one)" if quoting else ""
        raise ZipcoreError(f"{csv_path}:{start}: not a CSV row: {exc}{hint}") from None
    if not rows:
        raise ZipcoreError(f"{csv_path}: empty; expected a header row version,path[,loss]"
                           "[,quality] and one row per version")
    names = _header(rows[0][1], f"{csv_path}:{rows[0][0]}")
    specs: list[VersionSpec] = []
    for number, row in rows[1:]:
        where = f"{csv_path}:{number}"
        if len(row) != len(names):
            raise ZipcoreError(f"{where}: {len(row)} fields, the header has {len(names)}")
        cells = dict(zip(names, row))
        version, path = cells["version"].strip(), cells["path"].strip()
        if not version or not path:
            raise ZipcoreError(f"{where}: version and path must not be empty")
        if not version.isprintable():  # it is a table's row and a picture's tick label
            raise ZipcoreError(f"{where}: the version name {version!r} holds a line break or "
                               "another character a table cannot show")
        if "\0" in path:
            raise ZipcoreError(f"{where}: the path holds a NUL character")
        if "://" in path:  # Path would read s3://b/x as the local s3:/b/x
            raise ZipcoreError(f"{where}: {path}: a versions CSV names local files (relative "
                               "to the CSV's folder), not URLs: copy the version here first")
        if any(spec.version == version for spec in specs):
            raise ZipcoreError(f"{where}: version {version!r} appears twice")
        specs.append(VersionSpec(version, csv_path.parent / path,
                                 _number(cells.get("loss", ""), "loss", where, positive=True),
                                 _number(cells.get("quality", ""), "quality", where), where))
    if not specs:
        raise ZipcoreError(f"{csv_path}: no versions after the header row")
    return specs
