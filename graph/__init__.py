"""The knowledge graph: entities linked by co-occurrence.

For now, the edges the indexer writes (``contributions``); the query API
(``KnowledgeGraph``) arrives with the graph issue.
"""

from graph.cooccurrence import SCOPES, contributions, pair_counts

__all__ = ["SCOPES", "contributions", "pair_counts"]
