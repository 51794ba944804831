"""Archive crackers: zip, tar (plain, gzip, bzip2, xz), single gzip/bzip2/xz files, 7z.

The archive is a document of its own: one page listing its members' names, one a
line (the first :attr:`~.containers.Limits.max_members`), and ``metadata`` with
``archive_format`` (zip, tar, gzip, bzip2, xz, 7z) and ``member_count``. Every member
that is a file becomes a child document through :func:`~.containers.crack_members`
(URIs ``...a.zip#member=docs/a.pdf``; limits, unsafe names and failures as described
there): an encrypted member is left out with ``"encrypted (password-protected): not
opened"``, a damaged one with the reason, a zip bomb with its ratio.

A file that is not a readable archive at all (a truncated zip without its central
directory, a tar with a bad header) raises :class:`CrackError` with the reason. A
``.gz``/``.bz2``/``.xz`` file that holds no tar is one compressed file: its member is
the file's name without the suffix (``notes.txt.gz`` -> ``notes.txt``). A tar is read
in one pass; when it breaks off, the members before are kept with a warning.
Zip and tar come with the standard library; 7z with py7zr (LGPL), when installed.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .containers import Member, crack_members
from .limits import limits_of

__all__ = ["ENCRYPTED", "TarCracker", "ZipCracker"]

ENCRYPTED = "encrypted (password-protected): not opened"
_OFFICE = ("docx", "xlsx", "pptx", "docm", "xlsm", "pptm")  # zips of the Office crackers
_COMPRESSED = {  # MIME type -> (format, opener of a decompressing reader)
    "application/gzip": ("gzip", lambda f: gzip.GzipFile(fileobj=f)),
    "application/x-bzip2": ("bzip2", bz2.BZ2File),
    "application/x-xz": ("xz", lzma.LZMAFile),
}
_SUFFIXES = {"gzip": (".gz", ".tgz", ".gzip"), "bzip2": (".bz2", ".tbz2", ".tbz"),
             "xz": (".xz", ".txz")}
_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)


class _Listing:
    """Member names as they go by, for the archive's page."""

    def __init__(self, limit: int) -> None:
        self.names: list[str] = []
        self.count, self.limit = 0, limit

    def watch(self, members: Iterable[Member]) -> Iterator[Member]:
        for member in members:
            self.count += 1
            if len(self.names) < self.limit:
                self.names.append(member.path)
            yield member

    def text(self) -> str:
        more = self.count - len(self.names)
        return "\n".join(self.names + ([f"... and {more:,} more"] if more > 0 else []))


def archive_documents(blob: Blob, fmt: str, members: Iterable[Member],
                      warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """The archive's document (its listing) followed by its members' documents."""
    doc = new_document(blob, archive_format=fmt)
    listing = _Listing(limits_of(blob).max_members)
    children = crack_members(doc, blob, listing.watch(members))
    doc["warnings"].extend(warnings or ())
    doc["metadata"]["member_count"] = listing.count
    doc["pages"] = [{"number": 1, "text": listing.text(), "needs_ocr": False}]
    return [doc, *children]


class ZipCracker(Cracker):
    """application/zip: every file member a child document."""

    name = "zip"
    mime_types = ("application/zip", "application/x-zip-compressed")
    extensions = ("zip",)

    def score(self, blob: Blob) -> int:
        return 0 if blob.extension in _OFFICE else super().score(blob)  # theirs, even damaged

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(blob.data))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise CrackError(f"unreadable zip: {error}") from None
        with archive:
            return archive_documents(blob, "zip", _zip_members(archive))


def _zip_members(archive: zipfile.ZipFile) -> Iterator[Member]:
    for info in archive.infolist():
        yield Member(path=info.filename, open=partial(archive.open, info),
                     size=info.file_size, packed=info.compress_size,
                     modified=_zip_time(info.date_time), skip=info.is_dir(),
                     error=ENCRYPTED if info.flag_bits & 0x1 else None)


def _zip_time(date_time: tuple[int, ...]) -> str | None:
    try:
        return datetime(*date_time).isoformat()
    except (TypeError, ValueError):
        return None


class TarCracker(Cracker):
    """Tar archives, plain or compressed, and single gzip/bzip2/xz files."""

    name = "tar"
    mime_types = ("application/x-tar", *_COMPRESSED)
    extensions = ("tar", "tgz", "tbz2", "tbz", "txz", "gz", "bz2", "xz")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        compressed = _COMPRESSED.get(blob.mime_type or "")
        try:
            archive = tarfile.open(fileobj=io.BytesIO(blob.data), mode="r:*")
        except _READ_ERRORS as error:
            if compressed is None:
                raise CrackError(f"unreadable tar: {error}") from None
            return archive_documents(blob, compressed[0], [_single(blob, *compressed)])
        fmt = compressed[0] if compressed else "tar"
        warnings: list[str] = []
        packed = len(blob.data) if compressed else None
        with archive:
            members = _tar_members(archive, packed, warnings, limits_of(blob).max_total_bytes)
            documents = archive_documents(blob, "tar" if fmt == "tar" else f"tar.{fmt}",
                                          members, warnings)
            rest = bytes(blob.data[archive.offset:]) if compressed is None else b""
        if rest.strip(b"\0") and not warnings:  # tarfile ends quietly at a cut header
            documents[0]["warnings"].append(f"archive damaged after {archive.offset:,} bytes:"
                                            f" the last {len(rest):,} bytes not read")
        return documents


def _single(blob: Blob, fmt: str, opener: Any) -> Member:
    """The one file inside a compressed file that is not a tar."""
    name = blob.name
    for suffix in _SUFFIXES[fmt]:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)] + (".tar" if suffix.startswith(".t") else "")
            break
    else:
        name = "content"
    return Member(path=name, open=lambda: opener(io.BytesIO(blob.data)), packed=len(blob.data))


def _tar_members(archive: tarfile.TarFile, packed: int | None, warnings: list[str],
                 limit: int) -> Iterator[Member]:
    """Members in one pass; a break in the archive ends the pass with a warning, and so
    does a total declared size over the limit (the rest would only be skipped over)."""
    declared, seen = 0, 0
    try:
        for info in archive:
            seen += 1
            yield Member(path=info.name, open=partial(_extract, archive, info), size=info.size,
                         packed=packed or _stored(info), modified=_tar_time(info.mtime),
                         skip=not info.isfile())
            declared += info.size if info.isfile() else 0
            if declared > limit:
                warnings.append(f"members after the first {seen:,} not read: they declare "
                                f"more than {limit:,} bytes in all")
                return
    except _READ_ERRORS as error:
        warnings.append(f"archive damaged after {seen:,} members, the rest not read: "
                        f"{error or type(error).__name__}")


def _stored(info: tarfile.TarInfo) -> int | None:
    """The bytes a sparse member stores (its holes unpack to zeros: judged by the
    ratio like a compressed member); None for any other member of a plain tar."""
    if not info.issparse() or not info.sparse:
        return None
    return max(1, sum(size for _offset, size in info.sparse))


def _extract(archive: tarfile.TarFile, info: tarfile.TarInfo) -> io.BufferedReader:
    reader = archive.extractfile(info)
    if reader is None:
        raise CrackError("not a regular file")
    return reader


def _tar_time(mtime: float) -> str | None:
    try:
        return datetime.fromtimestamp(mtime, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None
