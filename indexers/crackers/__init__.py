"""Crackers: bytes -> enrichment-tree documents, chosen by sniffed content type.

``crack(blob)`` sniffs the MIME type from the bytes when the source did not say
or only said ``application/octet-stream`` (:func:`sniff`), asks every
registered cracker for a score (10 for a MIME match, 1 for an extension
match) and lets the best one crack; ties go to the earlier entry in
:data:`CRACKERS`. The documents that come back all have ``content`` and page
``offset`` set from their pages (:func:`join_pages`) and
``metadata["content_type"]``.

A blob that cannot be cracked raises :class:`CrackError`: ``"empty file"``,
``"unsupported content type application/zip"``, or the cracker's reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .archive import TarCracker, ZipCracker
from .base import (CRACKED_PATHS, Blob, Cracker, CrackError, join_pages, make_storable,
                   new_document)
from .containers import set_member_cracker
from .docx import DocxCracker
from .image import ImageCracker
from .legacy import LegacyOfficeCracker
from .mail import EmailCracker, MboxCracker
from .msg import MsgCracker
from .pdf import PdfCracker
from .pptx import PptxCracker
from .record import RecordCracker
from .sevenzip import SevenZipCracker
from .sniff import sniff
from .tabular import CsvCracker, JsonLinesCracker
from .text import HtmlCracker, TextCracker
from .xls import XlsCracker
from .xlsx import XlsxCracker

__all__ = ["Blob", "Cracker", "CrackError", "CRACKED_PATHS", "crack", "sniff", "CRACKERS",
           "new_document", "join_pages", "pick_cracker"]

# Registry by name; order breaks score ties (specific formats before plain text).
CRACKERS: dict[str, type[Cracker]] = {
    cls.name: cls
    for cls in (PdfCracker, ImageCracker, DocxCracker, XlsxCracker, PptxCracker,
                XlsCracker, LegacyOfficeCracker, HtmlCracker,
                CsvCracker, JsonLinesCracker, RecordCracker, EmailCracker, MboxCracker, MsgCracker, ZipCracker,
                TarCracker, SevenZipCracker, TextCracker)
}


# Types that say nothing (object stores send them for anything): sniff instead.
_GENERIC_TYPES = {"application/octet-stream", "binary/octet-stream"}


def pick_cracker(blob: Blob) -> Cracker | None:
    """The best-scoring cracker for ``blob`` (its mime_type already set), or None."""
    best, best_score = None, 0
    for cls in CRACKERS.values():
        cracker = cls()
        score = cracker.score(blob)
        if score > best_score:
            best, best_score = cracker, score
    return best


HEAD_BYTES = 1 << 20  # what sniffing and scoring see of a memory-mapped blob


def crack(blob: Blob) -> list[dict[str, Any]]:
    """Documents from ``blob``; raises :class:`CrackError` when there are none.

    ``blob.data`` may be a memory-mapped file (a large item): sniffing and scoring see
    its first MB, and it is read into memory only for a cracker that does not stream.
    """
    if not len(blob.data):
        raise CrackError("empty file")
    mapped = not isinstance(blob.data, bytes)
    probe = replace(blob, data=bytes(blob.data[:HEAD_BYTES])) if mapped else blob
    if not blob.mime_type or blob.mime_type in _GENERIC_TYPES:
        blob.mime_type = probe.mime_type = sniff(probe.data, blob.name)
    cracker = pick_cracker(probe)
    if cracker is None:
        raise CrackError(f"unsupported content type {blob.mime_type}")
    if mapped and not cracker.streams:
        blob = replace(blob, data=bytes(blob.data))
    documents = cracker.crack(blob)
    for document in documents:
        make_storable(document)  # a lone surrogate would make the store refuse it
        join_pages(document)
        if not document["metadata"].get("content_type"):
            document["metadata"]["content_type"] = blob.mime_type
    return documents


set_member_cracker(crack)  # archive members and attachments are cracked by crack()
