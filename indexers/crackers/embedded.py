"""Pictures embedded in Office files (PPTX, DOCX) as ``/document/images`` entries, and
what the Office crackers share: the files' core properties (:func:`core_properties`)
and what reading a damaged package may raise (:func:`package_errors`).

An Office file stores each picture as an image file of its own (PNG, JPEG, GIF, EMF,
...). :func:`add_picture` turns one into an ``embedded`` image entry the way the PDF
cracker does (see ``base.py``): id ``p{page}-i{n}`` (``n`` = 0-based position of the
picture on its page or slide in content order, skipped ones counted), tiny pictures
skipped (:func:`~.base.is_tiny`), pixels normalised (:func:`~.base.normalise_image`),
and an RGB/greyscale JPEG within the size cap keeps its stored bytes. A picture that
cannot be decoded - a vector EMF/WMF, which Pillow cannot rasterise here, or damaged
bytes - or that is over Pillow's pixel limit is left out with a warning; the document
and the run go on.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib
from functools import lru_cache
from typing import Any

from PIL import Image

from .base import MAX_IMAGE_SIDE, NormalisedImage, image_entry, is_tiny, normalise_image, too_large

__all__ = ["add_picture", "core_properties", "package_errors"]

# What decoding one picture may raise; each fails that picture only.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, MemoryError, TypeError,
                  IndexError, KeyError, ZeroDivisionError, struct.error)


def add_picture(doc: dict[str, Any], data: bytes, page: int, n: int, label: str,
                offset: int = 0) -> None:
    """Append picture ``data`` to ``doc["images"]`` (or a warning; tiny ones are skipped)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
            if too_large(*image.size):
                raise Image.DecompressionBombError(f"{image.width}x{image.height} pixels")
            if is_tiny(*image.size):
                return
            size = image.size
            normalised = _normalise(image, data)
    except Image.DecompressionBombError as error:
        doc["warnings"].append(f"{label}: too large to decode ({error}; limit "
                               f"{Image.MAX_IMAGE_PIXELS} pixels); skipped")
        return
    except _DECODE_ERRORS as error:
        doc["warnings"].append(f"{label}: could not be decoded ({error or type(error).__name__})"
                               "; skipped")
        return
    doc["images"].append(image_entry(f"p{page}-i{n}", page, "embedded", size, normalised,
                                     offset=offset))


def _normalise(image: Image.Image, data: bytes) -> NormalisedImage:
    """An RGB/L JPEG within the cap keeps its bytes (checked by decoding); else normalised."""
    if image.format == "JPEG" and image.mode in ("RGB", "L") and max(image.size) <= MAX_IMAGE_SIDE:
        image.load()
        return NormalisedImage(data, "jpeg", image.width, image.height)
    return normalise_image(image)


def core_properties(props: Any) -> dict[str, Any]:
    """title/author/created/modified of an Office file's ``core_properties`` (python-docx,
    python-pptx), empty ones left out, dates in ISO 8601."""
    found = {"title": props.title, "author": props.author,
             "created": props.created, "modified": props.modified}
    return {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in found.items() if value}


@lru_cache(maxsize=1)
def package_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged Office package may raise, whatever the library: zipfile
    and zlib on a damaged part (NotImplementedError for an unknown version or method),
    lxml on bad XML, and AttributeError/TypeError/KeyError... where a library meets a
    malformed relationship or part. Each cracker adds its library's own error."""
    from lxml.etree import LxmlError  # imported on the first Office file

    return (zipfile.BadZipFile, zlib.error, LxmlError, KeyError, ValueError, TypeError,
            IndexError, AttributeError, SyntaxError, EOFError, OSError,
            NotImplementedError, OverflowError)
