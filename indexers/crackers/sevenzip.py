"""7z archives with py7zr (LGPL-2.1+, pure Python on compiled codec wheels).

The same document shape as the other archives (:mod:`.archive`): a listing and the
members as children (``...a.7z#member=docs/a.pdf``), within the container limits (a
member of a solid block, whose packed size is not known alone, is judged by the whole
archive's size). The
sizes the archive declares are checked before anything is unpacked: a member over a
limit or with a bomb's ratio is never decompressed. The others are unpacked in one
pass into capped buffers, so a member whose header lies stops being stored at the
per-member limit and is left out with the reason. A password-protected archive (py7zr
cannot tell which members) raises :class:`CrackError`; so does one py7zr cannot read.
"""

from __future__ import annotations

import io
from typing import Any

from enrich.errors import optional_import

from .archive import ENCRYPTED, archive_documents
from .base import Blob, Cracker, CrackError
from .containers import Limits, Member, allowance, declared_problem, depth_of
from .limits import limits_of

__all__ = ["SevenZipCracker"]


class SevenZipCracker(Cracker):
    """application/x-7z-compressed: every file member a child document."""

    name = "7z"
    mime_types = ("application/x-7z-compressed",)
    extensions = ("7z",)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        py7zr = optional_import("py7zr", "7z", "7z archives")
        try:
            limits = limits_of(blob)
            members = _members(py7zr, bytes(blob.data), limits, depth_of(blob) < limits.max_depth)
        except CrackError:
            raise
        except (TimeoutError, MemoryError):
            raise
        except Exception as error:  # noqa: BLE001 - py7zr on damaged input raises many kinds
            raise CrackError(f"unreadable 7z: {error or type(error).__name__}") from None
        return archive_documents(blob, "7z", members)


def _members(py7zr: Any, data: bytes, limits: Limits, opened: bool = True) -> list[Member]:
    """The members, those to crack extracted at once (py7zr unpacks solid blocks whole):
    only while their declared sizes fit the item's allowance and the member count, and
    none when the archive is too deep to be opened."""
    with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
        if archive.needs_password():
            raise CrackError(f"7z archive {ENCRYPTED}")
        members = [Member(path=info.filename, size=info.uncompressed,
                          packed=info.compressed or len(data), skip=info.is_directory,
                          modified=_time(info.creationtime)) for info in archive.list()]
        wanted, total, budget = set(), 0, allowance(len(data), limits)
        for member in members:
            if not opened or member.skip or not member.size or declared_problem(member, limits):
                continue
            if total + member.size > budget or len(wanted) >= limits.max_members:
                member.error = (f"left out: the members would unpack to more than "
                                f"{budget:,} bytes in all")
                continue
            total += member.size
            wanted.add(member.path)
        buffers = _capped_factory(limits.max_member_bytes)
        if wanted:
            archive.extract(targets=sorted(wanted), factory=buffers)
    for member in members:
        if member.path in wanted:
            member.data, member.error = buffers.result(member.path)
    return members


def _time(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None


def _capped_factory(cap: int) -> Any:
    """py7zr's writer factory: one buffer per member that stops storing at ``cap``."""
    from py7zr.io import Py7zIO, WriterFactory

    class Capped(Py7zIO):
        def __init__(self) -> None:
            self.buffer, self.seen = io.BytesIO(), 0

        def write(self, chunk: bytes | bytearray) -> int:
            self.seen += len(chunk)
            if self.seen <= cap:
                self.buffer.write(chunk)
            return len(chunk)

        def read(self, size: int | None = None) -> bytes:
            return self.buffer.read(size)

        def seek(self, offset: int, whence: int = 0) -> int:
            return self.buffer.seek(offset, whence)

        def flush(self) -> None:
            self.buffer.flush()

        def size(self) -> int:
            return self.seen

    class Factory(WriterFactory):
        def __init__(self) -> None:
            self.products: dict[str, Capped] = {}

        def create(self, filename: str) -> Capped:
            self.products[filename] = Capped()
            return self.products[filename]

        def result(self, name: str) -> tuple[bytes | None, str | None]:
            product = self.products.get(name)
            if product is None:
                return None, "not unpacked (damaged archive)"
            if product.seen > cap:
                return None, f"unpacks to more than the per-member limit ({cap:,} bytes)"
            return product.buffer.getvalue(), None

    return Factory()
