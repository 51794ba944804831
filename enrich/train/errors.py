"""The errors of ``enrich train`` (codes E81x)."""

from __future__ import annotations

from enrich.errors import EnrichError

__all__ = ["TrainError", "NothingToLearn", "OutputExists", "BaseModelMissing"]


class TrainError(EnrichError):
    """Training cannot run as asked."""

    code = "E810"


class NothingToLearn(TrainError):
    """No corrections, accepted entities or gold examples to learn from."""

    code = "E811"


class OutputExists(TrainError):
    """The output folder or file is already there (pass --force to replace it)."""

    code = "E812"


class BaseModelMissing(TrainError):
    """The base spaCy model is not installed or cannot be loaded, or has no NER."""

    code = "E813"
