"""The errors of ``enrich eval`` (codes E7xx)."""

from __future__ import annotations

from enrich.errors import EnrichError

__all__ = ["EvalError", "GoldFormatError", "LabelMapError", "EvalRunError", "OcrGoldError",
           "BeirFormatError", "UnknownModeError"]


class EvalError(EnrichError):
    """An evaluation cannot be run as asked."""

    code = "E700"


class GoldFormatError(EvalError):
    """A gold file is not in the format it was read as; the message names the line."""

    code = "E701"


class LabelMapError(EvalError):
    """A label map names a label that is neither a known entity type nor a gold type."""

    code = "E702"


class EvalRunError(EvalError):
    """The pipeline did not index the gold texts as they were written."""

    code = "E703"


class OcrGoldError(EvalError):
    """An OCR gold folder without scan/transcript pairs, or a transcript that cannot be read."""

    code = "E704"


class BeirFormatError(EvalError):
    """A BEIR corpus, queries or qrels file cannot be read; the message names the line."""

    code = "E710"


class UnknownModeError(EvalError):
    """A search mode that is not one of keyword, vector, hybrid."""

    code = "E712"
