"""The limits on what one source item's containers may unpack (archives, e-mail
attachments, Office packages), shared by the container crackers and the Office
crackers, which hand a package to their library whole (``check_package``).
A leaf module, so that any cracker can import it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from .base import CrackError

__all__ = ["Limits", "LimitExceeded", "RATIO_FLOOR", "check_package"]

RATIO_FLOOR = 1 << 20  # members unpacking to less are never judged by their ratio


@dataclass(frozen=True)
class Limits:
    """What one item's containers may unpack, all levels together (see the docstring)."""

    max_depth: int = 3
    max_members: int = 10_000
    max_member_bytes: int = 256 << 20
    max_total_bytes: int = 1 << 30
    max_ratio: float = 100.0


class LimitExceeded(CrackError):
    """A member over one of the container limits (a bomb, too many, too deep)."""

    code = "E301"


def check_package(data: bytes, kind: str, limits: Limits | None = None) -> None:
    """Refuse an Office (zip) package whose parts would unpack past the container limits
    (:class:`LimitExceeded`), before a library inflates them: DOCX, XLSX and PPTX go to
    their libraries whole, so a zero-filled part of 800 MiB took 1.7 GB. A zip that
    cannot be listed is left to the library's own error."""
    limits = limits or Limits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(1, part.compress_size)
        if part.file_size > limits.max_member_bytes or (
                part.file_size > RATIO_FLOOR and ratio > limits.max_ratio):
            raise LimitExceeded(f"possible zip bomb: {kind} part {part.filename!r} unpacks to "
                                f"{part.file_size:,} bytes (ratio {ratio:,.0f}:1; limits "
                                f"{limits.max_member_bytes:,} bytes, {limits.max_ratio:g}:1)")
        if total > limits.max_total_bytes:
            raise LimitExceeded(f"possible zip bomb: the {kind} parts unpack to more than "
                                f"{limits.max_total_bytes:,} bytes")
