"""Checks of a PDF's bytes before pdfium opens it: a damaged cross-reference table,
and pages whose form XObjects would make pdfium expand without end.

pdfium follows form XObjects up to :data:`PDFIUM_FORM_LEVELS` levels without cycle
detection, so a page whose forms draw a cycle twice per level would hang page loading
in C, where no timeout reaches; :func:`explosive_pages` finds such pages first, so the
PDF cracker can skip them with a warning.
"""

from __future__ import annotations

import io
import re
from typing import Any

__all__ = ["FORM_BUDGET", "PDFIUM_FORM_LEVELS", "EXPLOSIVE_FORMS", "xref_damaged",
           "explosive_pages"]

FORM_BUDGET = 100_000  # form XObject expansions one page may cost pdfium
PDFIUM_FORM_LEVELS = 40  # pdfium stops descending into forms after this many levels
EXPLOSIVE_FORMS = f"nested or cyclic form XObjects expand to more than {FORM_BUDGET} drawings"


_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_XREF_AT = re.compile(rb"\s*(xref|\d+\s+\d+\s+obj)")


def xref_damaged(data: bytes) -> bool:
    """True when the last ``startxref`` is missing or points at no xref table/stream.

    Offsets are tried from the file start and from the ``%PDF`` header (readers
    accept junk before the header).
    """
    at = data.rfind(b"startxref")
    m = _STARTXREF.match(data, at) if at >= 0 else None
    if not m:
        return True
    offset, base = int(m.group(1)), max(data.find(b"%PDF"), 0)
    return not any(_XREF_AT.match(data, start) for start in {offset, base + offset} if start < len(data))


_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do\b")


def explosive_pages(data: bytes) -> set[int]:
    """0-based indexes of pages whose form XObjects would make pdfium expand too much.

    pdfium follows form XObjects up to ~40 levels without cycle detection, so a
    form that draws a cycle twice (Fm1 -> 2x Fm2 -> 2x Fm1 ...) costs 2^40 and
    hangs page loading in C, where no timeout reaches. A form drawing it once
    is harmless (40 levels), so only the expansion count matters. The object
    graph is read with pdfminer (already installed for pdfplumber), only for
    files that contain form XObjects (about 0.1 s for 200 pages that each draw
    a form); if pdfminer cannot read the file, no page is flagged.
    """
    if b"/Form" not in data:
        return set()
    try:
        return _explosive_pages(data)
    except Exception:  # pdfminer fails in many ways on files pdfium accepts
        return set()


def _explosive_pages(data: bytes) -> set[int]:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    document, flagged, memo = PDFDocument(PDFParser(io.BytesIO(data))), set(), {}
    for index, page in enumerate(PDFPage.create_pages(document)):
        content = b"".join(stream.get_data() for stream in page.contents)
        xobjects = _xobjects(page.resources, {})
        if _form_cost(content, xobjects, 0, memo) > FORM_BUDGET:
            flagged.add(index)
    return flagged


def _xobjects(resources: Any, inherited: dict) -> dict:
    from pdfminer.pdftypes import resolve1

    found = resolve1((resolve1(resources) or {}).get("XObject"))
    return found if isinstance(found, dict) else inherited


def _form_cost(content: bytes, xobjects: dict, level: int, memo: dict) -> int:
    """How many form XObjects drawing ``content`` makes pdfium parse (capped)."""
    from pdfminer.pdftypes import PDFStream, resolve1

    total = 0
    for name in _DO.findall(content):
        ref = xobjects.get(name.decode("latin-1"))
        form = resolve1(ref)
        if not isinstance(form, PDFStream) or getattr(form.get("Subtype"), "name", None) != "Form":
            continue
        key = (getattr(ref, "objid", id(form)), level)
        if key not in memo:
            memo[key] = 1  # provisional, for safety against re-entry
            if level + 1 < PDFIUM_FORM_LEVELS:
                inner = _xobjects(form.get("Resources"), xobjects)
                memo[key] += _form_cost(form.get_data(), inner, level + 1, memo)
        total += memo[key]
        if total > FORM_BUDGET:
            break
    return total
