"""enrich: crack documents, enrich them with skills, index them, mine the entities.

The pipe: the enrichment tree and its paths (:mod:`enrich.tree`), skillsets and
their validation (:mod:`enrich.skillset`, :mod:`enrich.plan`), the engine that runs
skills over batches (:mod:`enrich.engine`), the indexer run loop
(:mod:`enrich.indexer`), settings and the ``enrich`` CLI.
"""

from enrich.errors import EnrichError, PathError, SkillsetError, SourceError, UnknownSkillError
from enrich.engine import Engine
from enrich.indexer import IndexOptions, RunSummary, run_index
from enrich.plan import Plan
from enrich.registry import available_skills, get_skill, register
from enrich.search import SearchError, search
from enrich.skillset import Skillset, SkillSpec

__all__ = [
    "EnrichError", "PathError", "SkillsetError", "SourceError", "UnknownSkillError",
    "Engine", "IndexOptions", "RunSummary", "run_index", "Plan", "Skillset", "SkillSpec",
    "available_skills", "get_skill", "register", "search", "SearchError",
]
