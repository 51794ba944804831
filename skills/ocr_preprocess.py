"""Skew removed from page images before OCR, and boxes turned back after it.

:func:`skew_angle` finds the rotation that makes the rows of ink sharpest: the ink
pixels (Otsu; a sample of at most :data:`SAMPLE`) are projected on the vertical axis
at each candidate angle within :data:`MAX_SKEW` degrees, and the angle whose row
histogram has the greatest energy (text lines as tall peaks, the gaps between them
empty) wins; about 40 ms a page. :func:`deskew` turns the page by it (OpenCV,
bilinear: ~20 ms, against ~150 ms for PIL's bicubic ``rotate``);
:func:`unrotate_box` maps a box read on the turned page back to the page as stored.

Measured with ``python -m bench.ocr`` (see :mod:`skills.ocr`), deskewing changes a
few words either way and is off by default (the ``ocr`` skill's ``deskew``): on the
first development set RapidOCR's WER fell from 2.3 % to 2.0 % with it and
Tesseract's rose from 1.6 % to 1.8 %; on the second (fax pages added, memos and fonts
paired anew) RapidOCR's rose from 3.4 % to 4.1 % and Tesseract's fell from 1.7 % to
1.5 %. Of the turns, OpenCV's bilinear is kept for its speed (PIL's bicubic read
1.8 %, OpenCV's bicubic 2.1 %).
Stretching the contrast (1st to 99th percentile) as well was tried and not kept:
Tesseract's WER rose from 1.9 % to 2.0 % (its clean pages from 1.3 % to 1.8 %), and
RapidOCR's clean and office pages got worse while its worn ones improved.

:func:`descreen` smooths a dithered bilevel scan (a fax, a 1-bit scan of grey paper:
the paper's grain turned into a field of isolated black dots) before OCR. Tesseract
read nothing at all from such a page (WER 100 %), RapidOCR 12-69 %; after a Gaussian
blur of 1.2 px (at 2,000 px a page) Tesseract read it with 1-2 % WER and RapidOCR
4-11 %. A page is judged dithered when more than :data:`DITHERED` of its dark pixels
(under 128) have no dark 4-neighbour: 0.82-0.90 on the dithered pages measured, at most
0.05 on grey scans and on bilevel scans thresholded rather than dithered, which the same
blur made worse (so they are left alone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["DITHERED", "descreen", "deskew", "isolated_share", "skew_angle", "unrotate_box"]

MAX_SKEW = 5.0  # degrees searched either way
STEP = 0.1  # degrees between candidate angles
SAMPLE = 60_000  # ink pixels projected at most
DITHERED = 0.3  # share of isolated dark pixels above which a page is dithered
BLUR = 1.2 / 2000  # descreening blur radius per pixel of the page's longer side


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


def isolated_share(grey: np.ndarray) -> float:
    """The share of dark pixels (under 128) that have no dark 4-neighbour."""
    dark = grey < 128
    count = int(dark.sum())
    if not count:
        return 0.0
    padded = np.pad(dark, 1)
    neighbour = padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    return float((dark & ~neighbour).sum()) / count


def descreen(image: Any) -> tuple[Any, bool]:
    """``(image smoothed, True)`` when it is a dithered scan, else ``(image, False)``."""
    from PIL import ImageFilter

    if isolated_share(np.asarray(image.convert("L"))) <= DITHERED:
        return image, False
    radius = max(1.0, BLUR * max(image.size))
    return image.filter(ImageFilter.GaussianBlur(radius)), True


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
