"""The one root of every error enrich raises on purpose, and its stable codes.

Every package (``enrich``, ``indexers``, ``graph``, ``skills``) derives its errors
from :class:`EnrichError`, so one ``except EnrichError`` in the CLI entry point turns
every expected failure into one line and exit code 2. Each class carries a stable
``code`` (spaCy's E-codes are the model): a code never changes meaning, so users can
search for it, and the line the CLI prints names it::

    error E201: no such folder: ./docs

Codes by range (a test checks that every subclass has its own):

==========  ==========================================================
E0xx        configuration, settings, the data directory, optional packages
E1xx        skillsets, paths of the enrichment tree, the skill registry, runners
E2xx        sources (where bytes come from)
E3xx        crackers (bytes -> document tree)
E4xx        the store and the search index
E5xx        the knowledge graph
E6xx        skills (models, dictionaries, galleries)
==========  ==========================================================

This module imports nothing of the project: it is the one module the lower packages
(``skills``, ``indexers``, ``graph``) take from ``enrich``, and ``enrich/__init__.py``
imports nothing eagerly, so importing it runs no pipe code.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["EnrichError", "ConfigError", "DataDirError", "MissingPackage", "PathError",
           "SkillsetError", "UnknownSkillError", "optional_import"]


class EnrichError(Exception):
    """Base class of every error raised by enrich on purpose.

    ``code`` is stable; ``str(error)`` is the message alone (what happened, what was
    expected, how to fix it), and :meth:`line` the one line the CLI prints.
    """

    code = "E000"

    def line(self) -> str:
        return f"error {self.code}: {self}"


class ConfigError(EnrichError):
    """A config file or setting is missing or wrong."""

    code = "E001"


class DataDirError(EnrichError):
    """The data directory holds no store where one is needed, or is not usable."""

    code = "E002"


class MissingPackage(EnrichError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra.

    Also an ``ImportError``, so code that probes for optional packages keeps working.
    """

    code = "E003"

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package, self.extra, self.feature = package, extra, feature
        super().__init__(f"{feature} needs the Python package {package!r}, which is not "
                         f"installed: pip install 'enrich[{extra}]'")


class PathError(EnrichError):
    """An enrichment-tree path is malformed."""

    code = "E101"


class SkillsetError(EnrichError):
    """A skillset is invalid; raised before any document runs."""

    code = "E102"


class UnknownSkillError(SkillsetError):
    """A skillset names a skill that is not registered."""

    code = "E103"


def optional_import(module: str, extra: str, feature: str) -> Any:
    """Import an optional package, or raise :class:`MissingPackage` naming the extra
    that installs it (``optional_import("ray", "ray", "--engine ray")``)."""
    try:
        return import_module(module)
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there but broken: show the real error
        raise MissingPackage(module.split(".")[0], extra, feature) from None
