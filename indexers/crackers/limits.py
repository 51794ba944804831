"""The limits on what one source item's containers may unpack (archives, e-mail
attachments, Office packages), shared by the container crackers and the Office
crackers, which hand a package to their library whole (``check_package``).
A leaf module, so that any cracker can import it.

A run sets its limits on each item's blob (``blob.extra[LIMITS]``, from ``enrich index
--unpack-limits``, parsed by :func:`parse_limits`); members inherit them, and a
cracker reads them with :func:`limits_of`."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, replace

from .base import Blob, CrackError

__all__ = ["Limits", "LimitExceeded", "LIMITS", "RATIO_FLOOR", "check_package", "limits_of",
           "parse_limits", "parse_size"]

LIMITS = "limits"  # Blob.extra key of the run's Limits

RATIO_FLOOR = 1 << 20  # members unpacking to less are never judged by their ratio


@dataclass(frozen=True)
class Limits:
    """What one item's containers may unpack, all levels together (see the docstring)."""

    max_depth: int = 3
    max_members: int = 10_000
    max_member_bytes: int = 256 << 20
    max_total_bytes: int = 1 << 30
    max_ratio: float = 100.0

    def describe(self) -> str:
        """The limits in :func:`parse_limits`'s syntax (for messages and cache keys)."""
        return (f"depth={self.max_depth},members={self.max_members},"
                f"member={self.max_member_bytes},total={self.max_total_bytes},"
                f"ratio={self.max_ratio:g}")


# parse_limits' names -> (field, kind): sizes take units, like --doc-memory
_NAMES = {"depth": ("max_depth", int), "members": ("max_members", int),
          "member": ("max_member_bytes", "size"), "total": ("max_total_bytes", "size"),
          "ratio": ("max_ratio", float)}
_UNITS = "KMGT"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from ``2GB``, ``500 MB``, ``64k`` or ``1000`` (units are powers of 1024)."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r}: use a number of bytes, or one with a unit "
                         "(500MB, 2GB)")
    unit = match.group(2).upper()
    return int(float(match.group(1)) * 1024 ** (_UNITS.index(unit) + 1 if unit else 0))


def parse_limits(text: str, base: Limits | None = None) -> Limits:
    """Limits from ``"depth=5,members=50000,member=1GB,total=4GB,ratio=200"``: any of
    the names, the others as in ``base`` (default :class:`Limits`). Sizes are bytes or
    a number with a unit (KB, MB, GB, TB: powers of 1024). ValueError says what is
    wrong."""
    limits = base or Limits()
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, equals, value = (s.strip() for s in part.partition("="))
        if not equals or name.lower() not in _NAMES:
            raise ValueError(f"{part!r}: use NAME=VALUE with NAME one of "
                             f"{', '.join(_NAMES)}")
        field_name, kind = _NAMES[name.lower()]
        number = _number(value, kind)
        least = 0 if name.lower() == "depth" else 1
        if number is None or number < least:
            raise ValueError(f"{part!r}: {name} needs a "
                             f"{'size (500MB, 2GB)' if kind == 'size' else 'number'} of "
                             f"at least {least}")
        limits = replace(limits, **{field_name: number})
    return limits


def _number(value: str, kind: object) -> float | int | None:
    try:
        return parse_size(value) if kind == "size" else kind(value)  # type: ignore[operator]
    except ValueError:
        return None


def limits_of(blob: Blob) -> Limits:
    """The limits the run set on ``blob`` (inherited by its members), else the defaults."""
    limits = blob.extra.get(LIMITS)
    return limits if isinstance(limits, Limits) else Limits()


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
