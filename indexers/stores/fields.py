"""User index fields: a skillset maps any tree node to a typed field of the index.

A field has a ``type`` and flags, as in Azure AI Search's index schema::

    fields:
      region: {source: /document/metadata/record/region, type: keyword, facetable: true}
      amount: {source: /document/metadata/record/amount, type: number, sortable: true}

Types and the flags each may have (a flag left out is false, but ``searchable`` of a
``text`` field, which is what a text field is for):

==========  ==========================================  ===========================
type        values                                      flags
==========  ==========================================  ===========================
text        words, analysed like ``content``            searchable
keyword     exact strings                               filterable, facetable, sortable
number      floats (``"12.5"`` is 12.5)                  filterable, facetable, sortable
date        ISO 8601 (``2024-03-01``, a time, Z), UTC    filterable, facetable, sortable
bool        true/false, yes/no, 1/0, on/off              filterable, facetable
==========  ==========================================  ===========================

:class:`FieldSpec` is what the search index builds its schema from (tantivy field
types, Elasticsearch mappings); :func:`convert` turns the values of a node into the
field's type (what does not convert is reported, never raised), :func:`filter_value`
a filter's string into it (a QueryError when it cannot be one), :func:`filter_range` a range ``LOW..HIGH``
of a number or date field.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from enrich.errors import SkillsetError

from .base import INDEX_FIELDS, QueryError

__all__ = ["FieldSpec", "TYPES", "FLAGS", "MAPPABLE_BUILTINS", "FieldMappingError",
           "FieldSourceError", "FieldTypeError", "FieldNameError", "parse_field",
           "convert", "filter_value", "filter_range", "DATE_RANGE", "facet_value", "to_json",
           "from_json", "parse_date"]

TYPES = ("text", "keyword", "number", "date", "bool")
FLAGS = ("searchable", "filterable", "facetable", "sortable")
ALLOWED_FLAGS = {"text": {"searchable"},
                 "keyword": {"filterable", "facetable", "sortable"},
                 "number": {"filterable", "facetable", "sortable"},
                 "date": {"filterable", "facetable", "sortable"},
                 "bool": {"filterable", "facetable"}}
# Built-in keyword fields a skillset fills (the short form ``language: /document/language``).
MAPPABLE_BUILTINS = ("language", "keyphrases", "tags")
# What both backends hold (tantivy: nanoseconds since 1970 in an i64).
DATE_RANGE = (datetime(1678, 1, 1, tzinfo=timezone.utc), datetime(2262, 1, 1, tzinfo=timezone.utc))
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TRUE, _FALSE = {"true", "yes", "1", "on", "y", "t"}, {"false", "no", "0", "off", "n", "f"}


class FieldMappingError(SkillsetError):
    """A ``fields:`` entry of a skillset that is not a field mapping (its form, its name)."""

    code = "E130"


class FieldSourceError(FieldMappingError):
    """A field mapped from a tree node that no cracker or skill writes."""

    code = "E131"


class FieldTypeError(FieldMappingError):
    """A field of an unknown type, or with a flag its type cannot have."""

    code = "E132"


class FieldNameError(FieldMappingError):
    """A field whose name is a built-in field of the index (filled by enrich itself)."""

    code = "E133"


@dataclass(frozen=True)
class FieldSpec:
    """One user field of the search index."""

    name: str
    type: str = "keyword"
    searchable: bool = False
    filterable: bool = False
    facetable: bool = False
    sortable: bool = False

    @property
    def fast(self) -> bool:
        """Kept column-wise (tantivy fast field): needed to facet and sort."""
        return self.facetable or self.sortable


def parse_field(name: str, value: Any) -> tuple[str, FieldSpec | None]:
    """``(source path, spec)`` of one ``fields:`` entry; the spec is None for a built-in
    field (``language``, ``keyphrases``, ``tags``: keyword fields of the index)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise FieldMappingError(f"field {name!r}: a field name is letters, digits and '_', "
                                "not starting with a digit")
    if isinstance(value, str):
        value = {"source": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("source"), str):
        raise FieldMappingError(f"field {name!r}: expected a tree path (region: /document/"
                                "metadata/record/region) or {source: PATH, type: TYPE, "
                                f"FLAG: true}}, got {value!r}")
    unknown = set(value) - {"source", "type", *FLAGS}
    if unknown:
        raise FieldMappingError(f"field {name!r}: unknown keys {sorted(unknown)}; allowed: "
                                f"source, type, {', '.join(FLAGS)}")
    if name in MAPPABLE_BUILTINS:
        return value["source"], _builtin(name, value)
    if name in INDEX_FIELDS:
        raise FieldNameError(f"field {name!r} ({value['source']}) clashes with the built-in "
                             f"index field {name!r}, which enrich fills itself: give it "
                             f"another name (built-in fields: {', '.join(INDEX_FIELDS)})")
    return value["source"], _spec(name, value)


def _builtin(name: str, value: Mapping[str, Any]) -> None:
    if value.get("type", "keyword") != "keyword" or any(f in value for f in FLAGS):
        raise FieldNameError(f"field {name!r} ({value['source']}) is a built-in keyword "
                             "field (filterable and facetable): map it as "
                             f"'{name}: {value['source']}', or give your field another name")
    return None


def _spec(name: str, value: Mapping[str, Any]) -> FieldSpec:
    kind = value.get("type", "keyword")
    if kind not in TYPES:
        raise FieldTypeError(f"field {name!r} ({value['source']}): unknown type {kind!r}; "
                             f"types: {', '.join(TYPES)}")
    short = set(value) == {"source"}
    flags = {flag: bool(value.get(flag, kind == "text" and flag == "searchable"))
             for flag in FLAGS}
    if short:  # ``name: PATH``: a keyword field to filter and facet on, like the built-ins
        flags |= {"filterable": True, "facetable": True}
    wrong = sorted(flag for flag, on in flags.items() if on and flag not in ALLOWED_FLAGS[kind])
    if wrong:
        raise FieldTypeError(f"field {name!r} ({value['source']}): a {kind} field cannot be "
                             f"{' or '.join(wrong)}; a {kind} field may be "
                             f"{', '.join(sorted(ALLOWED_FLAGS[kind]))}")
    return FieldSpec(name=name, type=kind, **flags)


def to_json(specs: Iterable[FieldSpec]) -> list[dict[str, Any]]:
    """Specs as JSON (an index marker, Elasticsearch ``_meta``), sorted by name."""
    return [asdict(spec) for spec in sorted(specs, key=lambda s: s.name)]


def from_json(data: Any) -> tuple[FieldSpec, ...]:
    """Specs from :func:`to_json` (nothing, or not a list: no user fields)."""
    if not isinstance(data, list):
        return ()
    return tuple(FieldSpec(**{k: v for k, v in item.items() if k in FieldSpec.__annotations__})
                 for item in data if isinstance(item, dict) and item.get("name"))


# -- values ----------------------------------------------------------------------------

def parse_date(value: Any) -> datetime:
    """A UTC datetime from an ISO 8601 string (a date, a time, ``Z``), a date, or epoch
    seconds; ValueError otherwise."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str) and value.strip():
        found = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    else:
        raise ValueError(f"not a date: {value!r}")
    if found.tzinfo is None:
        found = found.replace(tzinfo=timezone.utc)
    return found.astimezone(timezone.utc)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    found = float(value.strip().replace("_", "") if isinstance(value, str) else value)
    if not math.isfinite(found):
        raise ValueError("not a finite number")
    return found


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("not true/false, yes/no, 1/0 or on/off")


def _one(kind: str, value: Any) -> Any:
    """One value in the field's type, JSON-able (dates as ISO strings in UTC)."""
    if kind == "number":
        return _number(value)
    if kind == "date":
        found = parse_date(value)
        if not DATE_RANGE[0] <= found <= DATE_RANGE[1]:
            raise ValueError(f"outside the dates an index holds ({DATE_RANGE[0].year + 1} to "
                             f"{DATE_RANGE[1].year - 1})")
        return found.isoformat()
    if kind == "bool":
        return _bool(value)
    return value if isinstance(value, str) else str(value)


def convert(spec: FieldSpec, values: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """``(converted values, problems)``: a value that is not of the type is left out,
    and each problem says which value and why."""
    out, problems = [], []
    for value in values:
        if value in (None, ""):
            continue
        try:
            converted = _one(spec.type, value)
        except (ValueError, TypeError, OverflowError) as exc:
            problems.append(f"{value!r} is not a {spec.type} ({exc})")
            continue
        if converted not in out:
            out.append(converted)
    return out, problems


def filter_value(spec: FieldSpec, value: Any) -> Any:
    """A filter's value (a string from the command line or the URL) in the field's type."""
    try:
        return _one(spec.type, value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise QueryError(f"cannot filter {spec.name} ({spec.type}) on {value!r}: {exc}") from None


def filter_range(spec: FieldSpec | None, value: Any) -> tuple[Any, Any] | None:
    """``(low, high)`` for a range filter ``LOW..HIGH`` of a number or date field (both
    ends included; an empty end is open: ``10..``, ``..2024-01-01``), in the field's
    type (None for an open end); None when ``value`` is not a range."""
    if spec is None or spec.type not in ("number", "date") or not isinstance(value, str) \
            or ".." not in value:
        return None
    low, high = (part.strip() for part in value.split("..", 1))
    if not low and not high:
        raise QueryError(f"cannot filter {spec.name} on {value!r}: a range needs an end "
                         "(LOW..HIGH, LOW.. or ..HIGH)")
    return (filter_value(spec, low) if low else None, filter_value(spec, high) if high else None)


def facet_value(spec: FieldSpec, bucket: Mapping[str, Any]) -> Any:
    """A facet bucket's value as the field holds it (engines give bools as 1/0, dates
    as epoch milliseconds or strings, whole numbers as ints)."""
    key = bucket["key"]
    if spec.type == "bool":
        return str(bucket.get("key_as_string", key)).lower() in ("true", "1")
    if spec.type == "number":
        return float(key)
    if spec.type == "date":
        found = bucket.get("key_as_string", key)
        stamp = found / 1000 if isinstance(found, (int, float)) else found
        return parse_date(stamp).isoformat()
    return key
