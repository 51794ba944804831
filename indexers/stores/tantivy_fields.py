"""User fields (``fields.FieldSpec``) in a tantivy index: schema types, values, filters.

``text`` is analysed like ``content``; ``keyword`` is a raw string; ``number`` an f64,
``date`` a date (UTC, to the second), ``bool`` a boolean; a field that is facetable
or sortable is fast (column-wise), as aggregations and ordering need.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

import tantivy

from .fields import DATE_RANGE, FieldSpec, convert, filter_range, filter_value, parse_date
from .tantivy_query import TEXT_TOKENIZER

__all__ = ["add_field", "add_values", "tantivy_value", "filter_query"]


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


def filter_query(schema: tantivy.Schema, name: str, spec: FieldSpec | None,
                 values: Sequence[Any]) -> tantivy.Query:
    """Documents whose field ``name`` has any of ``values``: exact values (a user
    field's in its type, a QueryError for one that is not) or ranges ``LOW..HIGH`` of
    a number or date field."""
    ranges = [(v, filter_range(spec, v)) for v in values]
    exact = [v for v, bounds in ranges if bounds is None]
    wanted = [str(v) for v in exact] if spec is None else \
        [tantivy_value(spec, filter_value(spec, v)) for v in exact]
    queries = [tantivy.Query.term_set_query(schema, name, wanted)] if wanted else []
    queries += [_range(schema, spec, bounds) for _, bounds in ranges if bounds is not None]
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _range(schema: tantivy.Schema, spec: Any, bounds: tuple[Any, Any]) -> tantivy.Query:
    """An inclusive range query; an open end is the type's limit."""
    low, high = bounds
    if spec.type == "number":
        low = -sys.float_info.max if low is None else low
        high = sys.float_info.max if high is None else high
        return tantivy.Query.range_query(schema, spec.name, tantivy.FieldType.Float, low, high)
    low, high = (tantivy_value(spec, end if end is not None else limit.isoformat())
                 for end, limit in zip((low, high), DATE_RANGE))
    return tantivy.Query.range_query(schema, spec.name, tantivy.FieldType.Date, low, high)
