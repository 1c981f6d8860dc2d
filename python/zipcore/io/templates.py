"""Templates: a record's sample bytes rendered from its named fields.

``template`` renders a documented text from named fields (``"{instruction}\\n{output}"``).
A field is a plain name, nothing else: format specs (``{id:>9}``), conversions (``{id!r}``),
attribute and item access (``{a.upper}``, ``{a[0]}``) are refused when the template is read,
before any record, because they would let a template blow up (``{id:>99999999999}`` asks for
100 GB) or put Python internals (``<built-in method upper ...>``, ``b'...'``) into the bytes
instead of the record's text. ``{{`` and ``}}`` are literal braces. A string value is taken
as it is, bytes (a Parquet ``binary`` column) are decoded as UTF-8 (a record whose bytes are
not UTF-8 is an error naming it), ``null`` is refused, any other value is ``str(value)``.
"""

from __future__ import annotations

import string
from typing import Any, Optional

from .formats import Record, RecordFormat


def template_format(template: str) -> RecordFormat:
    """Samples rendered from ``template``'s fields (see the module docstring)."""
    pieces = _parse_template(template)
    fields = template_fields(template)

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
    return list(dict.fromkeys(name for _, name in _parse_template(template) if name is not None))
