"""The exceptions of the ``enrich`` package: one base class, specific subclasses.

Each message says what happened, what was expected and how to fix it.
"""

from __future__ import annotations

__all__ = ["EnrichError", "PathError", "SkillsetError", "UnknownSkillError", "SourceError"]


class EnrichError(Exception):
    """Base class of every error raised by ``enrich``."""


class PathError(EnrichError):
    """An enrichment-tree path is malformed."""


class SkillsetError(EnrichError):
    """A skillset is invalid; raised before any document runs."""


class UnknownSkillError(SkillsetError):
    """A skillset names a skill that is not registered."""


class SourceError(EnrichError):
    """A data source cannot be opened or listed."""
