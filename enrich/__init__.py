"""enrich: crack documents, enrich them with skills, index them, mine the entities.

The pipe: the enrichment tree and its paths (:mod:`enrich.tree`), skillsets and
their validation (:mod:`enrich.skillset`, :mod:`enrich.plan`), the engine that runs
skills over batches (:mod:`enrich.engine`), the indexer run loop
(:mod:`enrich.indexer`), searching (:mod:`enrich.searching`), settings and the
``enrich`` CLI.

The public names below are imported on first use, so that ``enrich.errors`` (the
root of every package's errors) can be imported by ``skills``, ``indexers`` and
``graph`` without loading the pipe.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "EnrichError", "PathError", "SkillsetError", "UnknownSkillError",
    "Engine", "IndexOptions", "RunSummary", "run_index", "Plan", "Skillset", "SkillSpec",
    "available_skills", "get_skill", "register", "search",
]

_HOME = {
    "EnrichError": "enrich.errors", "PathError": "enrich.errors",
    "SkillsetError": "enrich.errors", "UnknownSkillError": "enrich.errors",
    "Engine": "enrich.engine", "IndexOptions": "enrich.indexer", "RunSummary": "enrich.indexer",
    "run_index": "enrich.indexer", "Plan": "enrich.plan", "Skillset": "enrich.skillset",
    "SkillSpec": "enrich.skillset", "available_skills": "enrich.registry",
    "get_skill": "enrich.registry", "register": "enrich.registry", "search": "enrich.searching",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'enrich' has no attribute {name!r}")
