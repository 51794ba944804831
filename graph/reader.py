"""The graph-read seam: the queries ``KnowledgeGraph`` asks of a store.

:class:`GraphReader` is what the graph logic (name resolution, scores, evidence,
networkx) reads; the SQL (or another backend's queries) lives with the store, in
``indexers.stores`` (``SqliteGraphReader``), and the graph package never imports it.
A reader is found by name in the ``enrich.graph_readers`` entry-point group
(``sqlite`` is built in, a plugin adds another the same way), whose value is a
factory ``(data_dir) -> GraphReader``: ``open_reader(data_dir)`` calls it. The
factory raises ``IndexNotFound`` when the data directory holds no store, and the
store's own error when the store refuses it (not a store, another schema version).

Shapes: a **card** is a dict of :data:`CARD` (``description`` is "" when there is
none; ``documents, pages, images, sentences`` are the entity's units per scope,
named by :data:`UNITS`). ``kinds`` arguments are ``None`` or upper-cased types,
compared with the upper-cased type. A pair of keys ``(a, b)`` is always sorted
(``a < b``). Every method reads the store's current state; ``snapshot()`` makes the
reads inside it see one state (it nests). One contract suite
(``tests/graph/test_reader_contract.py``) holds every reader to this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from graph.errors import GraphError

__all__ = ["GraphReader", "open_reader", "in_snapshot", "ENTRY_POINT_GROUP", "CARD", "UNITS",
           "MENTION"]

ENTRY_POINT_GROUP = "enrich.graph_readers"
CARD = ("key", "name", "type", "description", "documents", "mentions", "pages", "images",
        "sentences")
MENTION = ("doc_id", "page", "start", "end", "text", "label", "type", "entity_key", "raw_key",
           "confidence", "skill")
UNITS = {"document": "documents", "page": "pages", "image": "images",
         "sentence": "sentences"}


@runtime_checkable
class GraphReader(Protocol):
    """Read queries over entities, their co-occurrence edges and the evidence."""

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one state of the store (nested calls join the outer one)."""

    def close(self) -> None: ...

    # --- entities ---------------------------------------------------------------

    def cards(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cards of ``keys`` by key (unknown keys left out)."""

    def types(self) -> list[str]:
        """The distinct type parts of the keys, as written, in key order."""

    def top_entities(self, kinds: Sequence[str] | None, limit: int) -> list[dict[str, Any]]:
        """Cards of the ``limit`` entities in most documents (ties by key)."""

    def keys_named(self, name: str) -> list[str]:
        """Keys with a display name equal to ``name`` case-insensitively, sorted."""

    def keys_by_name_prefix(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` distinct keys with a display name starting with ``prefix``
        (case-insensitively), in any order."""

    def keys_by_key_prefix(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` keys starting with ``prefix``, sorted."""

    def names_near(self, word: str, limit: int) -> list[tuple[str, str]]:
        """``(key, display name)`` of the ``limit`` names sorting at or after ``word``
        (ascending), then of the ``limit`` before it (descending), case-insensitively."""

    def alias_targets(self, aliases: Iterable[str]) -> dict[str, str]:
        """The key each of ``aliases`` (normalised names) stands for, where one is
        defined: the store's rule (most documents defining it, then the first key)."""

    def moved_keys(self, raw_key: str) -> list[str]:
        """The entity keys that mentions a document keyed ``raw_key`` count under now,
        where that is another key (resolution or a correction moved them), sorted."""

    def names(self, key: str) -> dict[str, int]:
        """Display names of ``key`` and their mentions, most first (ties by name)."""

    def acronyms(self, key: str) -> dict[str, int]:
        """Aliases defined for ``key`` and their documents, most first (ties by alias)."""

    def surface_forms(self, key: str, sample: int) -> list[tuple[str, str | None, int]]:
        """``(text, label, mentions)`` counted over at most ``sample`` mentions of ``key``."""

    # --- co-occurrence ----------------------------------------------------------

    def units(self) -> dict[str, int]:
        """Per scope, the units (documents, pages, ...) holding at least one entity."""

    def neighbours(self, key: str, scope: str, min_count: int,
                   kinds: Sequence[str] | None = None,
                   limit: int | None = None) -> list[tuple[str, int, int, int]]:
        """``(neighbour, count, documents, neighbour's units at scope)`` of the edges
        of ``key`` with ``count >= min_count``; with ``limit``, the strongest by count
        (ties by key), in that order."""

    def adjacent(self, key: str, scope: str, min_count: int) -> list[tuple[str, int]]:
        """``(neighbour, count)`` of the edges of ``key`` (cheap: for path searches)."""

    def pair(self, a: str, b: str) -> list[tuple[str, int, int]]:
        """``(scope, count, documents)`` of the edges between ``a`` and ``b``."""

    def edges_among(self, keys: Iterable[str], scope: str,
                    min_count: int) -> dict[tuple[str, str], tuple[int, int]]:
        """``{(a, b): (count, documents)}`` of the edges between ``keys``."""

    def edges(self, scope: str, min_count: int,
              kinds: Sequence[str] | None) -> Iterable[tuple[str, str, int, int]]:
        """``(a, b, count, documents)`` of every edge of ``scope`` (both ends of
        ``kinds`` when given), streamed."""

    def top_edges(self, scope: str, limit: int) -> list[dict[str, Any]]:
        """The strongest edges: ``{a, b, a_name, b_name, count}``, by count, a, b."""

    def counts(self) -> dict[str, Any]:
        """``{"entities": n, "nodes": {scope: entities with units there},
        "edges": {scope: edges}}``."""

    # --- evidence ---------------------------------------------------------------

    def shared_documents(self, a: str, b: str, limit: int) -> list[str]:
        """Ids of up to ``limit`` documents mentioning both, sorted."""

    def documents(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{id: {"doc_id", "uri", "title"}}`` of the documents that exist."""

    def mentions(self, keys: Sequence[str], doc_ids: Sequence[str]) -> list[tuple]:
        """``(doc_id, key, page, sentence, start, end, image)`` of the mentions of
        ``keys`` in ``doc_ids``, in the order they were written."""

    def mentions_of(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The resolved mentions of ``doc_ids`` (those resolution rejects left out), as
        dicts of :data:`MENTION`: ``start``/``end``/``text`` the cleaned span, ``label``
        the skill's type, ``type`` the resolved one (``entity_key``'s prefix),
        ``raw_key`` the document's own key; by document, in the order written."""

    def text(self, doc_id: str, page: int | None, start: int,
             length: int) -> tuple[str, int] | None:
        """``length`` characters from ``start`` (0-based) of a page's text (the
        document's content when ``page`` is None), and the whole text's length."""

    def document_entities(self, doc_ids: Sequence[str], kinds: Sequence[str] | None,
                          limit: int) -> list[tuple[str, int]]:
        """``(key, hits)`` of the ``limit`` entities mentioned in most of ``doc_ids``
        (ties by key)."""

    def mentioned_in(self, doc_ids: Sequence[str],
                     keys: Sequence[str]) -> list[tuple[str, str]]:
        """The distinct ``(doc_id, key)`` of ``keys`` mentioned in ``doc_ids``."""

    # --- mail -------------------------------------------------------------------

    def mail_headers(self) -> list[dict[str, Any]]:
        """``{doc_id, uri, title, subject, from, date, message_id, in_reply_to,
        references}`` of every document whose metadata has a ``message_id``,
        ``in_reply_to`` or ``references`` (the e-mail cracker's headers; missing ones
        None), for :mod:`graph.threads`."""


def open_reader(data_dir: str | Path, name: str = "sqlite") -> GraphReader:
    """The reader ``name`` (of the ``enrich.graph_readers`` group) over ``data_dir``."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        raise GraphError(f"no graph reader named {name!r}; installed: "
                         f"{', '.join(sorted(found)) or 'none'} (a package registers one "
                         f"in the {ENTRY_POINT_GROUP!r} entry-point group; is enrich "
                         "installed, e.g. `pip install -e .`?)")
    return found[name].load()(data_dir)


def in_snapshot(method: Callable) -> Callable:
    """Run a ``KnowledgeGraph`` query method in one snapshot of its reader."""
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.reader.snapshot():
            return method(self, *args, **kwargs)
    return wrapper
