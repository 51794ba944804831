"""Skew removed from page images before OCR, and boxes turned back after it.

:func:`skew_angle` finds the rotation that makes the rows of ink sharpest: the ink
pixels (Otsu; a sample of at most :data:`SAMPLE`) are projected on the vertical axis
at each candidate angle within :data:`MAX_SKEW` degrees, and the angle whose row
histogram has the greatest energy (text lines as tall peaks, the gaps between them
empty) wins; about 40 ms a page. :func:`deskew` turns the page by it (OpenCV,
bilinear: ~20 ms, against ~150 ms for PIL's bicubic ``rotate``);
:func:`unrotate_box` maps a box read on the turned page back to the page as stored.

Measured with ``python -m bench.ocr`` (see :mod:`skills.ocr`): RapidOCR's WER falls
from 2.3 % to 2.0 % with deskewing (1.8 % with PIL's bicubic turn, 2.1 % with
OpenCV's bicubic: a few words either way, so the fast turn is kept); Tesseract
(which finds the skew of its lines itself) reads the same within 0.1 point, so
only RapidOCR deskews by default.
Stretching the contrast (1st to 99th percentile) as well was tried and not kept:
Tesseract's WER rose from 1.9 % to 2.0 % (its clean pages from 1.3 % to 1.8 %), and
RapidOCR's clean and office pages got worse while its worn ones improved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["deskew", "skew_angle", "unrotate_box"]

MAX_SKEW = 5.0  # degrees searched either way
STEP = 0.1  # degrees between candidate angles
SAMPLE = 60_000  # ink pixels projected at most


def skew_angle(grey: np.ndarray) -> float:
    """The rotation in degrees (counter-clockwise positive, as PIL's ``rotate``) that
    straightens the page ``grey``; 0 for a blank page or one that is mostly ink."""
    import cv2

    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    if len(ys) < 100 or len(ys) > 0.5 * ink.size:
        return 0.0
    if len(ys) > SAMPLE:
        pick = np.random.default_rng(0).choice(len(ys), SAMPLE, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs = xs - grey.shape[1] / 2
    best, best_score = 0.0, -1.0
    for angle in np.arange(-MAX_SKEW, MAX_SKEW + STEP / 2, STEP):
        rows = ys + xs * math.tan(math.radians(angle))
        counts = np.bincount((rows - rows.min()).astype(np.int64))
        score = float(np.square(counts, dtype=np.float64).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return -best


def deskew(image: Any) -> tuple[Any, float]:
    """``(image turned straight, the angle)``; the image itself when the skew is
    under half a step (angle 0)."""
    import cv2
    from PIL import Image

    angle = skew_angle(np.asarray(image.convert("L")))
    if abs(angle) < STEP / 2:
        return image, 0.0
    pixels = np.asarray(image)  # OpenCV turns a page in a tenth of PIL's bicubic time
    turn = cv2.getRotationMatrix2D((image.width / 2, image.height / 2), angle, 1.0)
    turned = cv2.warpAffine(pixels, turn, (image.width, image.height), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
    return Image.fromarray(turned, image.mode), angle


def unrotate_box(box: Sequence[float], angle: float, size: tuple[int, int]) -> list[float]:
    """``[x0, y0, x1, y1]`` read on an image of ``size`` turned by ``angle`` (PIL,
    about its centre, same size): the bounds of that box on the image before."""
    if not angle:
        return list(box)
    cx, cy = size[0] / 2, size[1] / 2
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    x0, y0, x1, y1 = box
    xs, ys = [], []
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
        dx, dy = x - cx, y - cy
        xs.append(cx + dx * cos - dy * sin)
        ys.append(cy + dx * sin + dy * cos)
    return [min(xs), min(ys), max(xs), max(ys)]
