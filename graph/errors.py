"""The knowledge graph's errors (codes E5xx), and the argument checks they share.

Every graph error derives from :class:`GraphError`; a bad ``scope``, ``rank`` or
format is a :class:`GraphArgumentError` (also a ``ValueError``) that lists the choices. A store that cannot be read at
all (not a store, another schema version) is refused by the store itself, with the
store's error (``indexers.stores.StoreError``), before any graph code runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from enrich.errors import EnrichError

__all__ = ["GraphError", "GraphArgumentError", "ExportError", "IndexNotFound", "NoPath", "EntityNotFound",
           "AmbiguousEntity",
           "choice", "kinds_of"]


class GraphError(EnrichError):
    """Base of the knowledge graph's errors."""

    code = "E500"


class IndexNotFound(GraphError):
    """No enrich index where one was expected."""

    code = "E501"


class NoPath(GraphError):
    """No chain of co-occurrences links the two entities within the bounds."""

    code = "E502"


class GraphArgumentError(GraphError, ValueError):
    """An argument that is not one of its choices (a scope, rank, format), or two names
    of one entity where two entities are needed; also a ``ValueError``."""

    code = "E505"


class ExportError(GraphError):
    """A graph file that cannot be written; the message names it and the reason."""

    code = "E506"


def _describe(cards: Sequence[dict]) -> str:
    return ", ".join(f"{c['name']} ({c['key']}, {c['documents']} documents)" for c in cards)


class EntityNotFound(GraphError, KeyError):
    """No entity by that name; ``suggestions`` holds up to 5 near ones (cards)."""

    code = "E503"

    def __init__(self, name: str, suggestions: Sequence[dict] = (), kind: Any = None):
        self.name, self.kind, self.suggestions = name, kind, list(suggestions)
        of = f" of type {', '.join(kinds_of(kind))}" if kind else ""
        hint = (f"; did you mean {_describe(self.suggestions)}? Pass a name or a key"
                if self.suggestions else "; look names up with `entities(QUERY)`")
        super().__init__(f"no entity named {name!r}{of}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousEntity(GraphError):
    """A name that several entities share; ``candidates`` holds their cards."""

    code = "E504"

    def __init__(self, name: str, candidates: Sequence[dict]):
        self.name, self.candidates = name, list(candidates)
        first = self.candidates[0]
        super().__init__(
            f"{name!r} names {len(self.candidates)} entities: {_describe(self.candidates)}; "
            f"pick one by passing its key (e.g. {first['key']!r}) or kind= "
            f"(e.g. kind={first['type']!r})")


def choice(value: str, choices: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``choices``, else a GraphArgumentError listing them."""
    if value not in choices:
        raise GraphArgumentError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value


def kinds_of(kind: Any) -> list[str] | None:
    """``None``, or the upper-cased types of a type, a comma list or a list of types."""
    if kind is None:
        return None
    parts = kind.split(",") if isinstance(kind, str) else list(kind)
    return [p.strip().upper() for p in parts if p and p.strip()] or None
