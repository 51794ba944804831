"""User fields (``fields.FieldSpec``) in a tantivy index: schema types, values, filters.

``text`` is analysed like ``content``; ``keyword`` is a raw string; ``number`` an f64,
``date`` a date (UTC, to the second), ``bool`` a boolean; a field that is facetable
or sortable is fast (column-wise), as aggregations and ordering need.
"""

from __future__ import annotations

from typing import Any, Sequence

import tantivy

from .fields import FieldSpec, convert, filter_value, parse_date
from .tantivy_query import TEXT_TOKENIZER

__all__ = ["add_field", "add_values", "tantivy_value", "filter_values"]


def add_field(builder: tantivy.SchemaBuilder, spec: FieldSpec) -> None:
    """A user field with the tantivy type of its ``type`` (fast to facet or sort)."""
    if spec.type == "text":
        builder.add_text_field(spec.name, stored=True, tokenizer_name=TEXT_TOKENIZER)
    elif spec.type == "keyword":
        builder.add_text_field(spec.name, stored=True, fast=spec.fast, tokenizer_name="raw")
    else:
        add = {"number": builder.add_float_field, "date": builder.add_date_field,
               "bool": builder.add_boolean_field}[spec.type]
        add(spec.name, stored=True, indexed=True, fast=spec.fast)


def tantivy_value(spec: FieldSpec, value: Any) -> Any:
    """A converted value as tantivy takes it (a date as a naive UTC datetime)."""
    return parse_date(value).replace(tzinfo=None) if spec.type == "date" else value


def add_values(doc: tantivy.Document, spec: FieldSpec, values: Any) -> None:
    """A user field's values, converted again (the store may hold values of an older
    mapping: what does not convert is left out)."""
    values = values if isinstance(values, (list, tuple, set)) else [values]
    found, _ = convert(spec, list(values))
    add = {"text": doc.add_text, "keyword": doc.add_text, "number": doc.add_float,
           "date": doc.add_date, "bool": doc.add_boolean}[spec.type]
    for value in found:
        add(spec.name, tantivy_value(spec, value))


def filter_values(spec: FieldSpec | None, values: Sequence[Any]) -> list[Any]:
    """Filter values as a term set query takes them: a user field's in its type (a
    QueryError for one that is not), a keyword field's as strings."""
    if spec is None:
        return [str(v) for v in values]
    return [tantivy_value(spec, filter_value(spec, v)) for v in values]
