"""PDF cracker: text per page, embedded images, page renders for scans.

Engine: pypdfium2 (Chromium's pdfium). Measured on a generated 20-page text
PDF (fpdf2, ~2,900 characters a page, 57 k in all; best of 5, one CPU core):
pypdfium2 ``get_text_bounded`` 0.012 s, pdfplumber ``extract_text`` 1.41 s,
i.e. pdfium is ~120x faster. pdfplumber is kept only as a fallback opener for
files pdfium refuses.

What comes out (see ``base.py`` for the tree):

- ``pages``: text of each page (pdfium's text layer, ``\\r\\n`` -> ``\\n``),
  ``width``/``height`` in points.
- ``images``: embedded images (``kind="embedded"``) found through pdfium page
  objects, descending at most :data:`MAX_FORM_DEPTH` form XObjects deep, so a
  form that draws itself cannot loop. Tiny images (``base.is_tiny``: rules,
  bullets, small logos) are skipped. ``bbox`` is in points with the origin at
  the top-left of the page's crop box (pdfium's is bottom-left; page rotation
  is not applied); an image inside a form XObject is mapped to the page
  through the forms' matrices (pdfium reports it in form space). ``offset`` is
  where the image sits in the page's text (see below). Pixels are normalised
  by ``base.normalise_image`` (longest side <= ``MAX_IMAGE_SIDE``, RGB or L,
  PNG or JPEG); an RGB/greyscale JPEG (DCTDecode) within the cap keeps its
  stored bytes. The soft mask (``/SMask``) of an image is not applied. An
  image above Pillow's ``MAX_IMAGE_PIXELS`` is never decoded: it is left out
  with the warning ``"page 3 image 2: too large to decode (...); skipped"``,
  and one that fails to decode is left out with ``"page 3 image 2: could not
  be decoded (...); skipped"``.
- ``offset`` of an embedded image: the text of a page is pdfium's
  ``get_text_bounded()``; pdfium's character list (``count_chars()``, one
  loose box per character) is aligned to that string (they normally match one
  to one; characters outside the page box, NULs and inserted line breaks are
  accounted for), so the offset is the index, in the page's final ``text``,
  of the first non-blank character whose top edge (loose box: the font's
  ascent, the same for a whole line) is below the image's top edge, or
  ``len(text)`` when the image is below all text. Only pages with images pay
  for the per-character calls (~1 us each).
- A page with no text layer - no text at all, or fewer than
  :data:`SCAN_MIN_CHARS` characters while images cover at least
  :data:`SCAN_COVERAGE` of it - is rendered into a ``kind="page_render"``
  image (``offset`` 0) with ``needs_ocr=True``. The render scale keeps the
  longest side <= :data:`RENDER_MAX_PX` (``MAX_IMAGE_SIDE``) and at most 300
  dpi, so pdfium never allocates a bigger bitmap; the page gets
  ``needs_ocr=True`` and the scan image itself is not listed again as an
  embedded image.
- ``metadata``: title, author, created, modified (ISO 8601) from the info
  dictionary, and page_count.

Errors and warnings: a password -> ``CrackError("encrypted PDF: ...")``; a file
pdfium cannot open is retried with pdfplumber (document + warning) before
``CrackError("not a readable PDF: ...")``; a ``startxref`` that does not point
at a cross-reference table adds :data:`XREF_WARNING` (pdfium rebuilds the table
by scanning the objects, so the text is usually all there). A page whose form
XObjects would make pdfium expand more than ``pdf_checks.FORM_BUDGET`` drawings (a
cycle drawn twice per level is 2^40) is skipped with a warning before pdfium
loads it (``pdf_checks.explosive_pages``); a cycle drawn once per level is harmless.

pdfium is not thread safe: crack one PDF at a time per process (the indexer
uses worker processes). Every pdfium object is closed in ``finally`` blocks.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from difflib import SequenceMatcher
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from .base import (MAX_IMAGE_SIDE, Blob, Cracker, CrackError, NormalisedImage, image_entry,
                   is_tiny, new_document, normalise_image, too_large)
from .pdf_checks import EXPLOSIVE_FORMS, explosive_pages, xref_damaged

__all__ = ["PdfCracker", "ENCRYPTED", "XREF_WARNING", "explosive_pages", "xref_damaged"]

MAX_FORM_DEPTH = 8  # form XObject nesting followed when looking for images
RENDER_MAX_PX = MAX_IMAGE_SIDE  # longest side of a page render
RENDER_MAX_SCALE = 300 / 72  # ... but never above 300 dpi
SCAN_MIN_CHARS = 10  # fewer characters than this may be a scan's stray text layer
SCAN_COVERAGE = 0.5  # fraction of the page images must cover to call it a scan

ENCRYPTED = "encrypted PDF: a password is required to open it"
XREF_WARNING = "damaged cross-reference table; text recovered by reconstruction"

# What decoding one embedded image may raise; each fails that image only.
_DECODE_ERRORS = (pdfium.PdfiumError, OSError, ValueError, SyntaxError, EOFError,
                  MemoryError, Image.DecompressionBombError)


class PdfCracker(Cracker):
    """application/pdf via pypdfium2, with a pdfplumber fallback opener."""

    name = "pdf"
    mime_types = ("application/pdf",)
    extensions = ("pdf",)
    streams = True  # pdfium reads a mapped file through callbacks, page by page

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        try:
            pdf = pdfium.PdfDocument(blob.data if isinstance(blob.data, bytes)
                                     else _BufferReader(blob.data), autoclose=False)
        except pdfium.PdfiumError as error:
            return [_fallback(blob, error)]
        try:
            doc = _crack_document(blob, pdf)
        finally:
            pdf.close()
        if xref_damaged(blob.data):
            doc["warnings"].insert(0, XREF_WARNING)
        return [doc]


class _BufferReader(io.RawIOBase):
    """A seekable reader over a buffer (an mmap), for pdfium, without copying it."""

    def __init__(self, buffer: Any) -> None:
        self.buffer, self.position = buffer, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: len(self.buffer)}
        self.position = base[whence] + offset
        return self.position

    def readinto(self, target: Any) -> int:
        n = max(0, min(len(target), len(self.buffer) - self.position))
        target[:n] = self.buffer[self.position:self.position + n]
        self.position += n
        return n


def _crack_document(blob: Blob, pdf: pdfium.PdfDocument) -> dict[str, Any]:
    doc = new_document(blob, page_count=len(pdf), **_metadata(pdf))
    explosive = explosive_pages(blob.data)
    for index in range(len(pdf)):
        if index in explosive:
            doc["pages"].append({"number": index + 1, "text": "", "needs_ocr": False})
            doc["warnings"].append(f"page {index + 1}: {EXPLOSIVE_FORMS}; page skipped")
            continue
        page = None
        try:
            page = pdf[index]  # a damaged page tree may not give the page at all
            _crack_page(doc, page, index + 1)
        except pdfium.PdfiumError as error:
            doc["pages"].append({"number": index + 1, "text": "", "needs_ocr": False})
            doc["warnings"].append(f"page {index + 1}: unreadable ({error})")
        finally:
            if page is not None:
                page.close()
    return doc


def _crack_page(doc: dict[str, Any], page: pdfium.PdfPage, number: int) -> None:
    """Append page ``number``'s text and images to ``doc``."""
    left, bottom, right, top = page.get_bbox()
    width, height = right - left, top - bottom
    textpage = page.get_textpage()
    try:
        raw = textpage.get_text_bounded()
        text = _clean_text(raw)
        found = list(_image_objects(doc, page, number, (left, top, width, height)))
        coverage = sum(_area(bbox) for _, _, bbox, _ in found) / max(width * height, 1.0)
        needs_ocr = not text.strip() or (len(text.strip()) < SCAN_MIN_CHARS
                                         and coverage >= SCAN_COVERAGE)
        if needs_ocr:  # the scan is in the render; keep only smaller pictures
            found = [item for item in found if _area(item[2]) < SCAN_COVERAGE * width * height]
        if found:
            tops, positions = _char_tops(textpage, raw), _clean_positions(raw)
        for n, obj, bbox, image_top in found:
            offset = next((positions[k] for char_top, k in tops if char_top < image_top), len(text))
            _add_image(doc, obj, number, n, bbox, offset)
    finally:
        textpage.close()
    if needs_ocr:
        _add_render(doc, page, number, max(width, height))
    doc["pages"].append({"number": number, "text": text, "needs_ocr": needs_ocr,
                         "width": round(width, 2), "height": round(height, 2)})


def _clean_text(raw: str) -> str:
    """Page text as stored: ``\\r\\n`` and ``\\r`` -> ``\\n``, NULs dropped."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _clean_positions(raw: str) -> list[int]:
    """For each index of ``raw``, the index of that character in ``_clean_text(raw)``."""
    positions, at = [], 0
    for index, char in enumerate(raw):
        positions.append(at)
        if char != "\x00" and not (char == "\r" and raw[index + 1:index + 2] == "\n"):
            at += 1
    return positions


def _char_tops(textpage: pdfium.PdfTextPage, raw: str) -> list[tuple[float, int]]:
    """``(top, index in raw)`` of each non-blank character of ``raw``, in text order.

    ``top`` is the top of pdfium's loose character box (PDF space, y up). The
    character list and ``raw`` (``get_text_bounded``) match one to one on
    ordinary pages; where they do not (text outside the page box, inserted line
    breaks, characters without Unicode), they are aligned with difflib.
    """
    codes = [pdfium_c.FPDFText_GetUnicode(textpage, i) for i in range(textpage.count_chars())]
    listed = [i for i, code in enumerate(codes) if code]
    chars = "".join(chr(codes[i]) if codes[i] <= 0x10FFFF else "\ufffd" for i in listed)
    if chars == raw:
        pairs = zip(listed, range(len(raw)), strict=True)
    else:
        blocks = SequenceMatcher(None, chars, raw, autojunk=False).get_matching_blocks()
        pairs = ((listed[a + d], b + d) for a, b, size in blocks for d in range(size))
    rect, tops = pdfium_c.FS_RECTF(), []
    for char_index, k in pairs:
        if not raw[k].isspace() and pdfium_c.FPDFText_GetLooseCharBox(textpage, char_index, rect):
            tops.append((rect.top, k))
    return tops


def _image_objects(doc: dict[str, Any], page: pdfium.PdfPage, number: int,
                   box: tuple[float, float, float, float]):
    """Yield (n, image object, top-left bbox, top in PDF space) for images worth keeping.

    ``n`` counts every image object of the page in content order, kept or not,
    so ids do not depend on which images were skipped.
    """
    left, top, width, height = box
    objects = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=MAX_FORM_DEPTH)
    for n, obj in enumerate(objects):
        try:
            if is_tiny(*obj.get_px_size()):
                continue
            x0, y0, x1, y1 = _page_bounds(obj)
        except pdfium.PdfiumError as error:
            doc["warnings"].append(f"page {number} image {n}: cannot be located ({error}); skipped")
            continue
        bbox = [_clip(x0 - left, width), _clip(top - y1, height),
                _clip(x1 - left, width), _clip(top - y0, height)]
        if _area(bbox) > 0:
            yield n, obj, bbox, y1


def _page_bounds(obj: pdfium.PdfObject) -> tuple[float, float, float, float]:
    """The object's bounds on the page; pdfium gives those of a form's content in form space."""
    x0, y0, x1, y1 = obj.get_bounds()
    if obj.container is None:
        return x0, y0, x1, y1
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    form = obj.container
    while form is not None:
        matrix = form.get_matrix()
        corners = [matrix.on_point(x, y) for x, y in corners]
        form = form.container
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _clip(value: float, limit: float) -> float:
    return round(min(max(value, 0.0), limit), 2)


def _area(bbox: list[float]) -> float:
    return max(bbox[2] - bbox[0], 0.0) * max(bbox[3] - bbox[1], 0.0)


class _TooLarge(Exception):
    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__(f"{size[0]}x{size[1]}")
        self.size = size


def _add_image(doc: dict[str, Any], obj: pdfium.PdfImage, number: int, n: int,
               bbox: list[float], offset: int) -> None:
    """Append one embedded image; one that is too large or cannot be decoded becomes a warning."""
    label = f"page {number} image {n}"
    size = obj.get_px_size()
    try:
        if too_large(*size):
            raise _TooLarge(size)
        normalised = _normalise(obj)
    except (_TooLarge, Image.DecompressionBombError) as error:
        big = error.size if isinstance(error, _TooLarge) else size
        doc["warnings"].append(f"{label}: too large to decode ({big[0]}x{big[1]} pixels > limit "
                               f"{Image.MAX_IMAGE_PIXELS}); skipped")
        return
    except _DECODE_ERRORS as error:
        doc["warnings"].append(f"{label}: could not be decoded ({error}); skipped")
        return
    doc["images"].append(image_entry(f"p{number}-i{n}", number, "embedded", size, normalised,
                                     bbox=bbox, offset=offset))


def _normalise(obj: pdfium.PdfImage) -> NormalisedImage:
    """The normalised image; an RGB/L JPEG within the cap keeps its stored bytes.

    JPEGs are decoded by Pillow (with ``draft`` for big ones); CMYK JPEGs and
    every other encoding go through pdfium's bitmap, which applies the PDF colour
    space and decode arrays.
    """
    if obj.get_filters(skip_simple=True) == ["DCTDecode"]:
        data = bytes(obj.get_data(decode_simple=True))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            if too_large(*image.size):
                raise _TooLarge(image.size)
            if image.format == "JPEG" and image.mode in ("RGB", "L"):
                if max(image.size) <= MAX_IMAGE_SIDE:
                    return NormalisedImage(data, "jpeg", image.width, image.height)
                return normalise_image(image)
    bitmap = obj.get_bitmap(render=False)
    try:
        image = bitmap.to_pil()
        if image.mode in ("RGBA", "RGBX"):  # the mask is not applied: alpha says nothing
            image = image.convert("RGB")
        return normalise_image(image)
    finally:
        _close_bitmap(bitmap)


def _close_bitmap(bitmap: pdfium.PdfBitmap) -> None:
    """Free pdfium's pixel buffer now; safe because the PIL view is already encoded."""
    bitmap.warn_on_close = False
    bitmap.close()


def _add_render(doc: dict[str, Any], page: pdfium.PdfPage, number: int, longest_pt: float) -> None:
    """Append a render of the page for OCR: longest side <= RENDER_MAX_PX, at most 300 dpi.

    The scale is chosen before rendering, so pdfium never allocates a bitmap
    larger than the cap (plus rounding, which normalisation trims).
    """
    scale = min(RENDER_MAX_PX / max(longest_pt, 1.0), RENDER_MAX_SCALE)
    try:
        bitmap = page.render(scale=scale)
        try:
            size = (bitmap.width, bitmap.height)
            normalised = normalise_image(bitmap.to_pil())
        finally:
            _close_bitmap(bitmap)
    except _DECODE_ERRORS as error:
        doc["warnings"].append(f"page {number}: could not be rendered ({error}); not rendered")
        return
    doc["images"].append(image_entry(f"p{number}-render", number, "page_render", size, normalised,
                                     needs_ocr=True))


_INFO_KEYS = {"Title": "title", "Author": "author", "CreationDate": "created", "ModDate": "modified"}


def _metadata(pdf: pdfium.PdfDocument) -> dict[str, Any]:
    """title/author/created/modified from the info dictionary, empty ones left out."""
    meta = {}
    for key, value in pdf.get_metadata_dict(skip_empty=True).items():
        name = _INFO_KEYS.get(key)
        if name in ("created", "modified"):
            value = pdf_date(value)
        if name and value:
            meta[name] = value.strip()
    return meta


_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*(?:([Zz])|([+-])(\d\d)'?(\d\d)?'?)?")


def pdf_date(value: str) -> str | None:
    """A PDF date (``D:20240102030405+01'00'``) as ISO 8601, or None if invalid."""
    m = _PDF_DATE.match(value.strip())
    if not m:
        return None
    parts = [int(g) if g else default for g, default in zip(m.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True)]
    try:
        return datetime(*parts, tzinfo=_pdf_timezone(*m.groups()[6:])).isoformat()
    except ValueError:
        return None


def _pdf_timezone(z: str | None, sign: str | None, hours: str | None, minutes: str | None):
    if z:
        return UTC
    if not sign:
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(delta if sign == "+" else -delta)


def _fallback(blob: Blob, error: pdfium.PdfiumError) -> dict[str, Any]:
    """pdfium could not open the file: password -> CrackError, else try pdfplumber."""
    if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
        raise CrackError(ENCRYPTED) from error
    reason = f"not a readable PDF: {error}"
    try:
        pages = _plumber_pages(blob.data)
    except Exception as plumber_error:  # pdfminer raises many types on bad input
        raise CrackError(reason) from plumber_error
    if not pages:
        raise CrackError(reason) from error
    doc = new_document(blob, page_count=len(pages))
    doc["pages"] = pages
    doc["warnings"].append(f"pdfium could not open the PDF ({error}); "
                           "text extracted with pdfplumber, images not extracted")
    return doc


def _plumber_pages(data: bytes) -> list[dict[str, Any]]:
    import pdfplumber  # slow import, needed only for files pdfium refuses

    with pdfplumber.open(io.BytesIO(bytes(data))) as pdf:
        return [{"number": i, "text": page.extract_text() or "", "needs_ocr": False,
                 "width": float(page.width), "height": float(page.height)}
                for i, page in enumerate(pdf.pages, 1)]
