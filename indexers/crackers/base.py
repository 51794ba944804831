"""The cracker contract: bytes in, enrichment-tree documents out.

A cracker declares what it accepts (MIME types and extensions) and scores a blob;
the best score wins, and the MIME type comes from the content (magic bytes, see
``indexers.crackers.sniff``), never from the extension alone.

``crack(blob)`` returns a list of documents (usually one; a CSV gives one per row).
Each document is a plain, picklable dict - the root of the enrichment tree, which
skills address as ``/document/...``::

    {
      "uri": "file:///data/notes.pdf",          # CSV rows: "...csv#row=3"
      "content": "full text, pages joined by \\n\\n",
      "metadata": {"file_name", "content_type", "size", "modified", "title",
                   "author", "created", "page_count", ... e.g. "exif": {...}},
      "pages": [{"number": 1, "text": "...", "offset": 0, "needs_ocr": False,
                 "width": 612.0, "height": 792.0,
                 "name": "Sheet1"}],             # XLSX/XLS sheet, PPTX slide title
      "images": [{"id": "p1-i0", "page": 1, "bbox": [x0, y0, x1, y1] | None,
                  "offset": 42,                  # where it sits in its page's text
                  "original_width": 3000, "original_height": 1500,
                  "width": 2000, "height": 1000, "format": "jpeg" | "png" | ...,
                  "data": b"...normalised encoded image bytes...",
                  "kind": "embedded" | "page_render" | "file",
                  "needs_ocr": False}],
      "warnings": ["text recovered from a damaged cross-reference table", ...],
    }

That shape is the **document contract**: :data:`CRACKED_PATHS` lists every path a
cracker may write, and the skillset validation (``enrich.plan``) checks a skill's
inputs against it before any document runs; a test cracks a small real file of every
registered cracker and checks that the paths it writes and the declared ones agree.
A cracker that writes a new node declares it here.

``offset`` of a page is where the page's text starts in ``content``. Page numbers
start at 1. Bounding boxes are in PDF points, origin top-left. A page without a
text layer is rendered into ``images`` with ``kind="page_render"`` and
``needs_ocr=True`` (the page also gets ``needs_ocr=True``); OCR arrives with the
image skills.

Images
------
Every image is **normalised** so that image skills can decode it without
surprises and no model ever sees more than :data:`MAX_IMAGE_SIDE` pixels a side
(:func:`normalise_image`):

- ``id`` is stable - the same bytes give the same ids on every run: ``p{page}-i{n}``
  for an embedded image (``n`` = 0-based position of the image among the page's
  image objects in content order, counting the skipped ones, so a skipped
  image never renumbers the others), ``p{page}-render`` for a page render,
  ``file`` for an image file.
- ``original_width``/``original_height``: pixels of the source image (as stored,
  before any EXIF rotation); ``width``/``height``: pixels of ``data``.
- ``data``: longest side at most :data:`MAX_IMAGE_SIDE` (Lanczos; smaller images
  keep their size), mode RGB or L (alpha composited onto white, CMYK and 16-bit
  converted, grey RGB stored as L), encoded as PNG when the source had
  transparency or the image has at most :data:`FEW_COLOURS` colours (line art,
  bilevel scans, flat graphics: lossless, small, no JPEG ringing around edges
  that OCR would read), else as JPEG quality :data:`JPEG_QUALITY` (photos and
  scan renders; measured on a 2000x1500 noisy photo: JPEG 1.5 MB in 0.03 s,
  PNG 6.6 MB in 0.9 s). The choice costs one ``getcolors(FEW_COLOURS)`` call,
  which stops counting at the limit, and no trial encodings. The limit is 64,
  not the classic 256 of a palette: a greyscale scan render has all 256 grey
  levels, so 256 would store every grey scan as PNG (1.5-3x larger than JPEG
  90 for the same OCR result). An embedded
  RGB/greyscale JPEG within the cap keeps its stored bytes (no second lossy
  generation). An image file keeps its bytes when it is JPEG, PNG or WebP,
  within the cap, opaque, 8-bit (or less) RGB/greyscale/palette and upright
  (EXIF orientation 1); otherwise a file within the cap is re-encoded
  losslessly as PNG (TIFF, BMP, GIF, 16-bit, CMYK, transparent) - JPEG only
  when its source was a JPEG - and a file above the cap follows the colour
  rule.
- ``offset``: for an embedded image, the character offset in its page's
  ``text`` where the image sits in reading order - the index of the first
  (non-blank) character whose top edge is below the image's top edge, or
  ``len(text)`` when the image is below all text; 0 for page renders and image
  files. The ``merge`` skill inserts OCR text and captions there.
- Tiny images are skipped (:func:`is_tiny`): longest side < :data:`MIN_IMAGE_SIDE`
  px (icons, bullets, small logos - a 40x40 logo) or shortest side <
  :data:`MIN_IMAGE_THICKNESS` px (rules, borders, gradient strips - a 600x3
  rule). A 200x40 banner is kept: it can carry a word mark or a line of text.
  Image files are never skipped as tiny: the file is the document.
- Pillow's decompression-bomb guard stays on: an image above
  ``Image.MAX_IMAGE_PIXELS`` (:func:`too_large`) is not decoded; that image is
  left out with a warning (``"page 3 image 2: too large to decode (...);
  skipped"``; an image file: ``"image too large to decode (...); not
  decoded"``), never the document or the run. An embedded image pdfium or
  Pillow cannot decode is left out the same way (``"... could not be decoded
  (...); skipped"``); a page render that fails adds ``"page 3: could not be
  rendered (...)"``.

A document that can be partly recovered comes back with ``warnings``; a blob that
cannot be read at all raises :class:`CrackError` with a message that says why.
"""

from __future__ import annotations

from enrich.errors import EnrichError

import io
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PIL import Image, ImageChops, ImageOps

__all__ = ["Blob", "Cracker", "CrackError", "CRACKED_PATHS", "new_document", "join_pages",
           "storable_text", "make_storable", "ESCAPED_BYTE",
           "MAX_IMAGE_SIDE", "MIN_IMAGE_SIDE", "MIN_IMAGE_THICKNESS", "FEW_COLOURS",
           "JPEG_QUALITY", "NormalisedImage", "normalise_image", "is_tiny", "too_large",
           "image_entry"]

PAGE_SEPARATOR = "\n\n"

# The document contract: every path a cracker writes (lists fan out as "*"). A path
# ending in "/" is opaque: anything below it may exist (metadata varies by format).
CRACKED_PATHS = (
    "/document/uri", "/document/content", "/document/metadata/", "/document/warnings",
    "/document/pages", "/document/pages/*", "/document/pages/*/number",
    "/document/pages/*/text", "/document/pages/*/offset", "/document/pages/*/needs_ocr",
    "/document/pages/*/width", "/document/pages/*/height",
    "/document/pages/*/name",  # a worksheet's name, a slide's title
    "/document/metadata/parent", "/document/metadata/path",  # a member's container, path
    "/document/images", "/document/images/*", "/document/images/*/id",
    "/document/images/*/page", "/document/images/*/bbox", "/document/images/*/width",
    "/document/images/*/height", "/document/images/*/format", "/document/images/*/data",
    "/document/images/*/kind", "/document/images/*/needs_ocr", "/document/images/*/offset",
    "/document/images/*/original_width", "/document/images/*/original_height",
)

MAX_IMAGE_SIDE = 2000  # longest side of a normalised image (and of a page render), px
MIN_IMAGE_SIDE = 50  # images whose longest side is shorter are skipped (icons, logos)
MIN_IMAGE_THICKNESS = 16  # images whose shortest side is shorter are skipped (rules)
FEW_COLOURS = 64  # at most this many distinct colours -> PNG, more -> JPEG
JPEG_QUALITY = 90


class CrackError(EnrichError):
    """A blob could not be turned into a document; the message says why."""

    code = "E300"


@dataclass
class Blob:
    """The bytes of one source item and what the source knows about it."""

    uri: str
    name: str
    data: bytes
    size: int | None = None
    modified: str | None = None  # ISO 8601
    mime_type: str | None = None  # filled in by sniffing
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        dot = self.name.rfind(".")
        return self.name[dot + 1 :].lower() if dot >= 0 else ""


class Cracker:
    """Base class: declare ``name``, ``mime_types``, ``extensions``; implement ``crack``."""

    name: ClassVar[str] = ""
    # Whether ``crack`` takes ``blob.data`` as any buffer (an mmap of a large file)
    # rather than bytes only; the others get the bytes read into memory.
    streams: ClassVar[bool] = False
    mime_types: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()

    def score(self, blob: Blob) -> int:
        """How well this cracker fits: 10 for a MIME match, 1 for an extension match, 0 none."""
        if blob.mime_type in self.mime_types:
            return 10
        return 1 if blob.extension in self.extensions else 0

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        raise NotImplementedError


def new_document(blob: Blob, uri: str | None = None, **metadata: Any) -> dict[str, Any]:
    """An empty document tree for ``blob`` with the common metadata filled in."""
    meta = {
        "file_name": blob.name,
        "content_type": blob.mime_type,
        "size": blob.size if blob.size is not None else len(blob.data),
        "modified": blob.modified,
    }
    meta.update(metadata)
    return {"uri": uri or blob.uri, "content": "", "metadata": meta,
            "pages": [], "images": [], "warnings": []}


_SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # a byte that ``surrogateescape`` kept


def storable_text(value: str) -> str:
    """``value`` without lone surrogates, which cannot be encoded as UTF-8, so a store
    would refuse the whole document: bytes a lenient decoder kept as ``surrogateescape``
    (raw 8-bit e-mail headers, Latin-1 names in a tar) are read as cp1252, any other
    surrogate becomes U+FFFD. One character for one, so offsets into the text hold."""
    if not _SURROGATE.search(value):
        return value
    value = ESCAPED_BYTE.sub(
        lambda m: bytes([ord(m.group()) - 0xDC00]).decode("cp1252", "replace"), value)
    return _SURROGATE.sub("\ufffd", value)


def make_storable(node: Any) -> Any:
    """``node`` (a document tree) with :func:`storable_text` applied to every string,
    keys included; containers are changed in place where they can be."""
    if isinstance(node, str):
        return storable_text(node)
    if isinstance(node, dict):
        for key in list(node):
            value = make_storable(node[key])
            clean = storable_text(key) if isinstance(key, str) else key
            if clean is not key:
                del node[key]
            node[clean] = value
        return node
    if isinstance(node, list):
        node[:] = [make_storable(item) for item in node]
        return node
    if isinstance(node, tuple):
        return tuple(make_storable(item) for item in node)
    return node


def join_pages(document: dict[str, Any]) -> dict[str, Any]:
    """Set each page's ``offset`` and the document's ``content`` from its pages."""
    parts, offset = [], 0
    for page in document["pages"]:
        page["offset"] = offset
        parts.append(page["text"])
        offset += len(page["text"]) + len(PAGE_SEPARATOR)
    document["content"] = PAGE_SEPARATOR.join(parts)
    return document


# ------------------------------------------------------------------ images


@dataclass(frozen=True)
class NormalisedImage:
    """Encoded bytes of a normalised image and its size in pixels."""

    data: bytes
    format: str  # "jpeg" or "png"
    width: int
    height: int


def is_tiny(width: int, height: int) -> bool:
    """True for images not worth OCR or captions: icons, small logos, rules."""
    return max(width, height) < MIN_IMAGE_SIDE or min(width, height) < MIN_IMAGE_THICKNESS


def too_large(width: int, height: int) -> bool:
    """True when decoding would trip Pillow's decompression-bomb guard (even its warning)."""
    limit = Image.MAX_IMAGE_PIXELS
    return bool(limit) and width * height > limit


def fitted_size(width: int, height: int, max_side: int = MAX_IMAGE_SIDE) -> tuple[int, int]:
    """``(width, height)`` scaled down so the longest side is ``max_side`` (never up)."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def normalise_image(image: Image.Image, max_side: int = MAX_IMAGE_SIDE, *,
                    upright: bool = False, lossless: bool = False) -> NormalisedImage:
    """``image`` capped at ``max_side``, as RGB or L, encoded as PNG or JPEG (see above).

    A lazily opened JPEG is decoded at a reduced scale when that still leaves at
    least the target size (``Image.draft``), which makes big camera photos 2-4x
    cheaper. ``upright=True`` applies the EXIF orientation first. ``lossless=True``
    always encodes PNG (an image file that is only transcoded, not resized, keeps
    its pixels exactly). Decoder errors (truncated or corrupt data) propagate as
    Pillow raises them.
    """
    if max(image.size) > max_side:
        image.draft(None, fitted_size(*image.size, max_side))  # no-op unless an unloaded JPEG
    if upright:
        image = ImageOps.exif_transpose(image)
    image, transparent = _rgb_or_l(image)
    size = fitted_size(*image.size, max_side)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode == "RGB" and _is_grey(image):
        image = image.convert("L")
    out = io.BytesIO()
    if lossless or transparent or image.getcolors(FEW_COLOURS) is not None:
        image.save(out, format="PNG")
        fmt = "png"
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY)
        fmt = "jpeg"
    return NormalisedImage(out.getvalue(), fmt, image.width, image.height)


_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def _rgb_or_l(image: Image.Image) -> tuple[Image.Image, bool]:
    """(the image as RGB or L, whether it had visible transparency)."""
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:  # some pixel is see-through
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB"), True
        image = rgba.convert("RGB")
    if image.mode in ("RGB", "L"):
        return image, False
    if image.mode == "1":
        return image.convert("L"), False
    if image.mode.startswith("I"):  # 16/32-bit integer greyscale (scans, TIFF, PNG)
        image = image.convert("I")
        if image.getextrema()[1] > 255:
            image = image.point(lambda value: value * (1 / 256))
        return image.convert("L"), False
    if image.mode == "F":
        return image.convert("L"), False
    return image.convert("RGB"), False  # P, CMYK, YCbCr, RGBX, LAB, HSV


def _is_grey(image: Image.Image) -> bool:
    red, green, blue = image.split()
    return (ImageChops.difference(red, green).getbbox() is None
            and ImageChops.difference(green, blue).getbbox() is None)


def image_entry(image_id: str, page: int, kind: str, original_size: tuple[int, int],
                normalised: NormalisedImage, *, bbox: list[float] | None = None,
                offset: int = 0, needs_ocr: bool = False) -> dict[str, Any]:
    """One ``/document/images/*`` node (see the module docstring)."""
    return {"id": image_id, "page": page, "bbox": bbox, "offset": offset,
            "original_width": original_size[0], "original_height": original_size[1],
            "width": normalised.width, "height": normalised.height,
            "format": normalised.format, "data": normalised.data, "kind": kind,
            "needs_ocr": needs_ocr}
