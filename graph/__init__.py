"""The knowledge graph: entities linked by co-occurrence, with significance and evidence.

- :mod:`graph.normalize`: one canonical key per entity, per document (short forms,
  defined acronyms, the majority type) and sentence boundaries;
- :mod:`graph.cooccurrence`: a document's contributions to the edges, per scope;
- :mod:`graph.knowledge`: ``KnowledgeGraph``, the query API over a data directory
  (neighbours, evidence, ego graphs, paths, lookup, exports), built from
  :mod:`graph.lookup`, :mod:`graph.neighbours`, :mod:`graph.evidence` and
  :mod:`graph.networks`;
- :mod:`graph.reader`: ``GraphReader``, the reads the queries ask of a store (the
  SQL lives with the store, in ``indexers.stores``), found by entry point;
- :mod:`graph.errors`: ``GraphError`` and its subclasses (codes E5xx);
- :mod:`graph.scores`: NPMI and log-likelihood ratio;
- :mod:`graph.algorithms`: networkx-style functions on the graphs it returns;
- :mod:`graph.export`: GEXF, GraphML and d3 JSON.

``KnowledgeGraph`` and the rest below are imported on first use, so the indexer's
workers, which need only the first two modules, stay light.
"""

from typing import Any

from graph.cooccurrence import SCOPES, contributions, pair_counts
from graph.normalize import entity_key, normalize_name

__all__ = ["SCOPES", "contributions", "pair_counts", "entity_key", "normalize_name",
           "KnowledgeGraph", "GraphReader", "GraphError", "IndexNotFound", "EntityNotFound",
           "AmbiguousEntity", "NoPath"]

_LAZY = {"KnowledgeGraph": "graph.knowledge", "GraphReader": "graph.reader",
         **{name: "graph.errors" for name in ("GraphError", "IndexNotFound", "EntityNotFound",
                                              "AmbiguousEntity", "NoPath")}}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'graph' has no attribute {name!r}")
