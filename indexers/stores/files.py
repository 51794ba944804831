"""Writing a file whole or not at all: readers see the old file or the new one, never a
half-written one, even when the writer is killed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

__all__ = ["write_atomic", "replace_atomic"]


def replace_atomic(target: Path, write: Callable[[Path], object], *, sync: bool = False) -> None:
    """Call ``write(temporary)`` for a temporary file beside ``target`` (hidden, so a
    folder listing never shows it as a result), optionally fsync it, then rename it over
    ``target``; the temporary file is removed if anything fails."""
    target = Path(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        if sync:
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes | str) -> None:
    """``target``'s content becomes ``data`` (text is written as UTF-8), atomically."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    replace_atomic(target, lambda path: path.write_bytes(content))
