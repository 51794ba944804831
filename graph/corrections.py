"""People's corrections of the entities: their shapes, checks and how they re-key mentions.

Pure functions: no I/O. The store keeps the corrections (a ``corrections`` table,
applied in ``id`` order) and asks :meth:`Corrections.key` for every mention's final
key; this docstring is the contract between them.

A correction is a rule over keys, not an edit of rows, so it applies again whenever a
document is indexed again, a skill or model changes, or the machine's resolution
decides otherwise. Each mention has a *machine key* (what corpus-level resolution,
``graph.resolution``, made of its ``raw_key``; None when it rejected it); the active
corrections then apply in order, each to the key the ones before it left:

========  =========================================  =====================================
op        a mention matches when                     its key becomes
========  =========================================  =====================================
reject    its key's *name* is the entity's (any      None: out of the graph, facets and
          type: "this name is never an entity");     search fields, kept in ``mentions``
          with ``doc``, in that document only
retype    its key is the entity                      ``TYPE:name``
rename    its key is the entity                      ``type:normalised new name``; the
                                                     entity shows the new name
merge     its key is the entity                      ``into``
split     its key is the entity and it is the one    ``into``, else its own raw key
          mention ``doc``, ``page``, ``start`` name
alias     its raw name is the alias, normalised      the entity
          for the entity's type
accept    its key is None and its raw name, or the   the entity (a common word, or what a
          machine key's name, is the entity's        reject took, restored); otherwise
                                                     nothing: the entity is reviewed and
                                                     leaves the review queue
========  =========================================  =====================================

A correction whose entity no longer appears (another model, other documents) matches
nothing and changes nothing until it does; undoing one removes it from the chain, so
the keys are what the others give, exactly as if it had never been made.

>>> rules = Corrections([parse({"op": "merge", "entity": "ORG:acme", "into": "ORG:acme corp"}, 1),
...                      parse({"op": "retype", "entity": "ORG:acme corp", "type": "fac"}, 2)])
>>> rules.key("ORG:acme", "ORG:acme"), rules.key("GPE:acme", None)
('FAC:acme corp', None)
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.errors import GraphError
from graph.normalize import normalize_name
from graph.resolution import name_of, type_of

__all__ = ["OPS", "FORMAT", "FORMAT_VERSION", "Correction", "Corrections", "CorrectionError",
           "CorrectionConflict", "UnknownCorrection", "parse", "is_key", "to_line"]

OPS = ("reject", "retype", "rename", "merge", "split", "alias", "accept")
FORMAT, FORMAT_VERSION = "enrich-corrections", 1
_VALUE = {"retype": "type", "rename": "name", "merge": "into", "alias": "alias", "split": "into"}
_REQUIRED = {"retype": ("type",), "rename": ("name",), "merge": ("into",), "alias": ("alias",),
             "split": ("doc", "start")}
_OPTIONAL = {"reason", "who", "at", "doc", "id", "target", "before"}
_CONTEXT = {"reject": ("doc",), "split": ("doc", "page", "start", "into")}
_MAX_TEXT = 500


class CorrectionError(GraphError, ValueError):
    """A correction of the wrong shape: an unknown op, a missing or bad field."""

    code = "E510"


class CorrectionConflict(CorrectionError):
    """A correction that contradicts itself or the others: a merge into itself, a cycle."""

    code = "E511"


class UnknownCorrection(CorrectionError, KeyError):
    """No active correction with that id (to undo)."""

    code = "E512"

    def __str__(self) -> str:
        return str(self.args[0])


def is_key(value: str) -> bool:
    """Whether ``value`` is written as an entity key, ``TYPE:name``.

    >>> is_key("ORG:nike"), is_key("Nike"), is_key("ratio 3:1")
    (True, False, False)
    """
    kind, sep, name = value.partition(":")
    return bool(sep and name.strip() and kind and kind.isupper() and
                all(c.isalnum() or c == "_" for c in kind))


@dataclass(frozen=True)
class Correction:
    """One correction, as the store keeps it (see the module doc)."""

    op: str
    entity: str
    value: str | None = None
    doc: str | None = None
    page: int | None = None
    start: int | None = None
    id: int = 0
    who: str | None = None
    at: str | None = None
    reason: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Correction:
        """The correction of a ``corrections`` table row (``doc_id`` is its ``doc``)."""
        return cls(row["op"], row["entity"], row["value"], row["doc_id"], row["page"],
                   row["start"], row["id"], row["who"], row["at"], row["reason"])

    @property
    def target(self) -> str | None:
        """The key the entity's mentions have after it (None: rejected; for a split
        without ``into``, the mention's own raw key, known only when applied)."""
        if self.op == "reject":
            return None
        if self.op == "retype":
            return f"{self.value}:{name_of(self.entity)}"
        if self.op == "rename":
            kind = type_of(self.entity)
            return f"{kind}:{normalize_name(self.value or '', kind)}"
        if self.op in ("merge", "split"):
            return self.value
        return self.entity

    @property
    def alias_name(self) -> str | None:
        """An alias's name as a mention's raw name has it."""
        if self.op != "alias" or not self.value:
            return None
        return normalize_name(self.value, type_of(self.entity))

    def matches(self, raw_key: str, key: str | None, machine: str | None, doc: str | None,
                page: int | None, start: int | None) -> bool:
        """Whether the correction applies to a mention whose key is ``key`` now (and
        ``machine`` before any correction)."""
        if self.op == "reject":
            return key is not None and name_of(key) == name_of(self.entity) and \
                (self.doc is None or self.doc == doc)
        if self.op == "alias":
            return name_of(raw_key) == self.alias_name and key != self.entity
        if self.op == "accept":  # a rejected name back: its own mentions, and those the
            # machine resolved into it (a short form) that a reject took
            return key is None and name_of(self.entity) in (
                name_of(raw_key), name_of(machine) if machine else None)
        if self.op == "split":
            return key == self.entity and (doc, page, start) == (self.doc, self.page, self.start)
        return key == self.entity

    def apply(self, raw_key: str) -> str | None:
        """The key of a matching mention after this correction."""
        if self.op == "split" and not self.value:
            return raw_key
        return self.target


def _text(item: Mapping[str, Any], field: str, required: bool = True) -> str | None:
    value = item.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CorrectionError(f"{item.get('op')}: '{field}' must be a non-empty string, "
                              f"got {value!r}")
    value = " ".join(value.split())
    if len(value) > _MAX_TEXT:
        raise CorrectionError(f"{item.get('op')}: '{field}' is longer than {_MAX_TEXT} "
                              "characters")
    return value


def _number(item: Mapping[str, Any], field: str) -> int | None:
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CorrectionError(f"{item.get('op')}: '{field}' must be a whole number >= 0, "
                              f"got {value!r}")
    return value


def parse(item: Any, id: int = 0) -> Correction:
    """A :class:`Correction` from one line's JSON object (the issue's shapes: ``{"op":
    "merge", "entity": E, "into": E2}``...). Checks the shape only: whether the
    entity exists is the store's to say. ``type`` is upper-cased."""
    if not isinstance(item, Mapping):
        raise CorrectionError(f"a correction is a JSON object, got {type(item).__name__}")
    op = item.get("op")
    if op not in OPS:
        raise CorrectionError(f"unknown op {op!r}; the ops are {', '.join(OPS)}")
    field = _VALUE.get(op)
    allowed = {"op", "entity", *_OPTIONAL, *_REQUIRED.get(op, ()), *_CONTEXT.get(op, ())}
    if field:
        allowed.add(field)
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise CorrectionError(f"{op}: unknown field(s) {', '.join(unknown)}; a {op} has "
                              f"{', '.join(sorted(allowed - _OPTIONAL - {'op'}))}")
    entity = _text(item, "entity")
    value = _text(item, field, required=op != "split") if field else None
    if op == "retype":
        value = value.upper()
        if not is_key(f"{value}:x"):
            raise CorrectionError(f"retype: 'type' must be a type like PERSON or ORG, got "
                                  f"{item['type']!r}")
    if op in ("merge", "split") and value is not None and value == entity:
        raise CorrectionConflict(f"{op}: {entity!r} cannot be merged into itself")
    doc = _text(item, "doc", required=op == "split")
    return Correction(op, entity, value, doc, _number(item, "page"),
                      _number(item, "start") if op == "split" else None, id,
                      _text(item, "who", False), _text(item, "at", False),
                      _text(item, "reason", False))


def to_line(correction: Correction) -> dict[str, Any]:
    """The JSON object of a correction in an export file (``parse`` reads it back)."""
    line: dict[str, Any] = {"op": correction.op, "entity": correction.entity}
    if correction.value is not None:
        line[_VALUE[correction.op]] = correction.value
    for field in ("doc", "page", "start", "reason", "who", "at"):
        value = getattr(correction, field)
        if value is not None:
            line[field] = value
    return line


class Corrections:
    """The active corrections in order, indexed for :meth:`key` (see the module doc)."""

    def __init__(self, corrections: Iterable[Correction] = ()):
        self.items = sorted(corrections, key=lambda c: c.id)
        self.by_key: dict[str | None, list[Correction]] = defaultdict(list)
        self.by_name: dict[str, list[Correction]] = defaultdict(list)
        for c in self.items:
            if c.op in ("reject", "accept"):
                self.by_name[name_of(c.entity)].append(c)
            elif c.op == "alias":
                self.by_name[c.alias_name].append(c)
            else:
                self.by_key[c.entity].append(c)
        self._ids = {id(found): [c.id for c in found]  # for bisect, per list
                     for table in (self.by_key, self.by_name) for found in table.values()}

    def __len__(self) -> int:
        return len(self.items)

    def _next(self, candidates: Sequence[Correction], after: int, *mention) -> Correction | None:
        if not candidates:
            return None
        for c in candidates[bisect_right(self._ids[id(candidates)], after):]:
            if c.matches(*mention):
                return c
        return None

    def key(self, raw_key: str, key: str | None, doc: str | None = None,
            page: int | None = None, start: int | None = None) -> str | None:
        """The final key of a mention whose machine key is ``key``; a correction that
        names a document (a split, a reject there) applies only when ``doc`` is given."""
        raw_name, machine = name_of(raw_key), key
        if key not in self.by_key and raw_name not in self.by_name and \
                (key is None or name_of(key) not in self.by_name):
            return key  # most mentions: no correction concerns them
        after = 0
        while True:
            named = key if key is not None else machine  # a rejected one: the machine's
            names = dict.fromkeys((raw_name, name_of(named) if named else raw_name))
            mention = (raw_key, key, machine, doc, page, start)
            found = [c for c in (self._next(self.by_key.get(key, ()), after, *mention),
                                 *(self._next(self.by_name.get(n, ()), after, *mention)
                                   for n in names))
                     if c is not None]
            if not found:
                return key
            first = min(found, key=lambda c: c.id)
            key, after = first.apply(raw_key), first.id
