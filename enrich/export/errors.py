"""The errors of ``enrich export`` (codes E80x)."""

from __future__ import annotations

from enrich.errors import EnrichError

__all__ = ["ExportError", "UnknownTableError", "UnknownFormatError", "ExportTargetError"]


class ExportError(EnrichError):
    """An export cannot be made as asked."""

    code = "E800"


class UnknownTableError(ExportError):
    """``--tables`` names a table that is not exported."""

    code = "E801"


class UnknownFormatError(ExportError):
    """``--format`` names a format that is not written."""

    code = "E802"


class ExportTargetError(ExportError):
    """``--out`` is not a folder that can hold the files (a file, say)."""

    code = "E803"
