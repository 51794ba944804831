"""Image cracker: JPEG, PNG, TIFF, GIF, BMP and WebP files.

One document per file: empty content (OCR and captions come from the image
skills), one page (``needs_ocr=True``) and one image ``kind="file"`` (id
``file``, ``bbox`` None, ``offset`` 0, ``original_width``/``original_height``
the stored pixels). Its ``data`` is the original file's bytes when the file is
already what skills want - JPEG, PNG or WebP, longest side within
``MAX_IMAGE_SIDE``, 8-bit (or less) RGB, greyscale or palette, opaque, and
upright (no EXIF rotation). Anything else is normalised by
``base.normalise_image``: turned upright, alpha composited onto white, RGB or
L, longest side capped; TIFF, BMP and GIF (and 16-bit, CMYK or transparent
files) within the cap become lossless PNG, so every downstream model can
decode them; a file above the cap is resized and encoded by the colour rule
(JPEG for photos, PNG for few colours). Image files are never skipped as tiny:
the file is the document. EXIF tags land in ``metadata["exif"]``
with readable names and JSON-safe values (str, int, float; byte strings are
decoded when they are text and dropped otherwise; GPS coordinates become
decimal degrees); ``metadata["created"]`` comes from DateTimeOriginal.

Pillow's decompression-bomb guard stays on. ``Image.open`` only reads the
header; an image above ``Image.MAX_IMAGE_PIXELS`` (Pillow warns above 1x and
raises above 2x; both count as too large here) is never decoded: its size is
read from the header and the document comes back with ``images=[]`` and a
warning. Everything else is decoded once, to reject truncated or corrupt files
with ``CrackError("unreadable image: ...")``.
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Any

from PIL import ExifTags, Image, UnidentifiedImageError

from .base import (MAX_IMAGE_SIDE, Blob, Cracker, CrackError, NormalisedImage, image_entry,
                   new_document, normalise_image)

__all__ = ["ImageCracker"]

_FORMATS = {"JPEG": "jpeg", "PNG": "png", "TIFF": "tiff", "GIF": "gif", "BMP": "bmp",
            "WEBP": "webp", "MPO": "jpeg"}
_UNREADABLE = (OSError, SyntaxError, ValueError, UnidentifiedImageError, EOFError)


class ImageCracker(Cracker):
    """Raster image files; pixels stay encoded, OCR comes later."""

    name = "image"
    mime_types = ("image/jpeg", "image/png", "image/tiff", "image/gif", "image/bmp", "image/webp")
    extensions = ("jpg", "jpeg", "png", "tif", "tiff", "gif", "bmp", "webp")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        doc = new_document(blob)
        doc["pages"] = [{"number": 1, "text": "", "needs_ocr": True}]
        image, size = _open(blob.data)
        if image is None:
            doc["warnings"].append(_too_large(size))
            return [doc]
        with image:
            try:
                doc["images"] = [_file_image(image, blob.data)]
                exif = _exif(image)
            except _UNREADABLE as error:  # a damaged chunk found while reading on
                raise CrackError(f"unreadable image: {error}") from error
        if exif:
            doc["metadata"]["exif"] = exif
            if "DateTimeOriginal" in exif:
                doc["metadata"]["created"] = _exif_date(str(exif["DateTimeOriginal"]))
        return [doc]


def _open(data: bytes) -> tuple[Image.Image | None, tuple[int, int]]:
    """(lazy image, size), or (None, size) when the image is too large to decode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            return None, _header_size(data)
        except _UNREADABLE as error:
            raise CrackError(f"unreadable image: {error}") from error
    if Image.MAX_IMAGE_PIXELS and image.width * image.height > Image.MAX_IMAGE_PIXELS:
        size = image.size
        image.close()
        return None, size
    return image, image.size


def _header_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header alone, via the format plugin, no bomb check.

    ``Image.open`` raised before returning the image, so ask each registered
    format plugin directly; plugins only parse headers until ``load()``.
    """
    Image.init()
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        if accept and not accept(data[:16]):
            continue
        try:
            with factory(io.BytesIO(data), "") as probe:
                return probe.size
        except _UNREADABLE:
            continue
    return (0, 0)


def _too_large(size: tuple[int, int]) -> str:
    width, height = size
    return (f"image too large to decode ({width}x{height} pixels > limit "
            f"{Image.MAX_IMAGE_PIXELS}); not decoded")


def _decode(image: Image.Image) -> None:
    """Decode the pixels once so truncated or corrupt files fail here."""
    try:
        image.load()
    except _UNREADABLE as error:
        raise CrackError(f"unreadable image: {error}") from error


# Formats whose bytes skills get as they are (when the rest of _keeps_bytes holds).
_KEPT_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")


def _file_image(image: Image.Image, data: bytes) -> dict[str, Any]:
    """The ``file`` image: the original bytes when they will do, else normalised."""
    original = image.size
    if _keeps_bytes(image):
        _decode(image)
        fmt = _FORMATS.get(image.format or "", (image.format or "").lower())
        normalised = NormalisedImage(data, fmt, *original)
    else:
        lossless = max(original) <= MAX_IMAGE_SIDE and image.format not in ("JPEG", "MPO")
        try:
            normalised = normalise_image(image, upright=True, lossless=lossless)
        except _UNREADABLE as error:
            raise CrackError(f"unreadable image: {error}") from error
    return image_entry("file", 1, "file", original, normalised, needs_ocr=True)


def _keeps_bytes(image: Image.Image) -> bool:
    """True when the file's own bytes are already a normalised image."""
    return (image.format in _KEPT_FORMATS and max(image.size) <= MAX_IMAGE_SIDE
            and image.mode in ("1", "L", "P", "RGB") and "transparency" not in image.info
            and image.getexif().get(ExifTags.Base.Orientation, 1) == 1)


def _exif(image: Image.Image) -> dict[str, str | int | float]:
    """EXIF tags of the base, Exif and GPS directories with readable names."""
    raw = image.getexif()
    tags = _named(raw, ExifTags.TAGS)
    tags.update(_named(raw.get_ifd(ExifTags.IFD.Exif), ExifTags.TAGS))
    gps = raw.get_ifd(ExifTags.IFD.GPSInfo)
    tags.update(_gps(gps))
    for structural in _STRUCTURAL:
        tags.pop(structural, None)
    return tags


_STRUCTURAL = (  # pointers and storage layout, not facts about the picture
    "ExifOffset", "GPSInfo", "InteropOffset", "StripOffsets", "StripByteCounts",
    "RowsPerStrip", "TileOffsets", "TileByteCounts", "JpegIFOffset", "JpegIFByteCount",
)


def _named(ifd: dict, names: dict[int, str]) -> dict[str, str | int | float]:
    named = {}
    for tag, value in ifd.items():
        value = _json_safe(value)
        if value is not None:
            named[names.get(tag, f"Tag{tag}")] = value
    return named


def _json_safe(value: Any) -> str | int | float | None:
    """str/int/float, text from bytes, or None (dropped)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if isinstance(value, str):
        value = value.replace("\x00", "").strip()
        return value if value and value.isprintable() else None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # IFDRational and friends
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _gps(gps: dict) -> dict[str, float]:
    """GPSLatitude/GPSLongitude as signed decimal degrees, when present."""
    out = {}
    for key, ref_key, negative in ((2, 1, "S"), (4, 3, "W")):
        try:
            degrees, minutes, seconds = (float(part) for part in gps[key])
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
        value = degrees + minutes / 60 + seconds / 3600
        if not math.isfinite(value):
            continue
        out[ExifTags.GPSTAGS[key]] = -value if gps.get(ref_key) == negative else value
    return out


def _exif_date(value: str) -> str:
    """``2023:05:01 12:34:56`` -> ``2023-05-01T12:34:56`` (other text unchanged)."""
    date, _, time = value.strip().partition(" ")
    if len(date) == 10 and date[4] == ":" and date[7] == ":":
        date = date.replace(":", "-")
        return f"{date}T{time}" if time else date
    return value
