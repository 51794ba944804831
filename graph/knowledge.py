"""The knowledge graph's query API: entities and their co-occurrences, read from a store.

``KnowledgeGraph(reader)`` answers questions over a :class:`graph.reader.GraphReader`;
``KnowledgeGraph.open(data_dir)`` opens the data directory's store **read-only**
through the reader registered as ``sqlite`` (an indexer may write meanwhile; each
query reads one consistent snapshot). Every query reads only what it needs through
the store's indexes, so a graph of millions of edges is never loaded whole;
``to_networkx`` and ``export`` are the exceptions, and build the whole graph (of one
scope) on purpose.

The queries live by concern, one mixin each: :mod:`graph.lookup` (``resolve``,
``entities``, ``entity``: names to keys), :mod:`graph.neighbours` (``neighbors``,
scores), :mod:`graph.evidence` (``cooccurrence``: counts, documents, snippets) and
:mod:`graph.networks` (``ego_graph``, ``documents_graph``, ``view_graph``, ``to_networkx``,
``export``, ``stats``, ``path``) and :mod:`graph.threads` (``threads``, ``thread``:
mail threads). Their module docs say what each answers.

Errors derive from ``GraphError`` (:mod:`graph.errors`); a bad ``scope``, ``rank``
or format is a ``GraphArgumentError`` (E505, also a ``ValueError``) that lists the
choices; a store the store itself
refuses (not a store, another schema version) raises the store's error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from graph.cooccurrence import RANKS, SCOPES
from graph.errors import AmbiguousEntity, EntityNotFound, GraphError, IndexNotFound, NoPath
from graph.evidence import Evidence
from graph.lookup import Lookup
from graph.neighbours import Neighbours
from graph.networks import Networks
from graph.reader import GraphReader, open_reader
from graph.threads import Threads

__all__ = ["KnowledgeGraph", "GraphError", "IndexNotFound", "EntityNotFound",
           "AmbiguousEntity", "NoPath", "SCOPES", "RANKS"]


class KnowledgeGraph(Lookup, Neighbours, Evidence, Networks, Threads):
    """Read-only queries over the knowledge graph that ``reader`` reads (see module doc).

    Closing the graph closes its reader; usable as a context manager.
    """

    def __init__(self, reader: GraphReader) -> None:
        self.reader = reader

    @classmethod
    def open(cls, data_dir: str | Path = "enrich-data", reader: str = "sqlite") -> Self:
        """The graph of ``data_dir``, read by the ``enrich.graph_readers`` entry ``reader``.

        Raises ``IndexNotFound`` when nothing is indexed there yet.
        """
        return cls(open_reader(data_dir, reader))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeGraph({self.reader!r})"

    def close(self) -> None:
        self.reader.close()
