"""Scanned pages made from known text: the OCR development set (``python -m
bench.ocr``) and the OCR tests.

A page is typed, not typeset: each character is drawn on its own at a fixed pitch
(monospace fonts) or at its advance (proportional ones), with a little baseline jitter
and uneven ink, as a typewriter strikes; then the sheet is scanned: a slight skew, blur,
paper grain and noise, low contrast, and bleed-through (the mirrored, faint type of
the sheet's back), or a black-and-white scan whose greys are dithered (a fax). Every step is seeded, so a seed gives the same page on every machine
that has the same fonts. The fonts are the system's TrueType fonts (Liberation and
DejaVu, which Debian installs with most desktop packages and Tesseract's own
dependencies do not need); :func:`font_files` lists those found, and a machine with
none falls back to Pillow's built-in scalable font.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["DEGRADATIONS", "FONT_NAMES", "Degradation", "font_files", "memo_texts",
           "typed_page", "write_pair"]

FONT_NAMES = ("LiberationMono-Regular.ttf", "DejaVuSansMono.ttf", "LiberationSerif-Regular.ttf",
              "LiberationSans-Regular.ttf", "DejaVuSerif.ttf")
_FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts",
                 "C:/Windows/Fonts")


@dataclass(frozen=True)
class Degradation:
    """How a page is worn and scanned (0 leaves a step out)."""

    name: str
    skew: float = 0.0  # degrees, either way
    blur: float = 0.0  # Gaussian radius in pixels at 200 dpi
    noise: float = 0.0  # standard deviation of grey-level noise
    contrast: float = 1.0  # ink-to-paper range kept (1: black on white)
    bleed: float = 0.0  # strength of the mirrored back page
    ink: float = 0.0  # how unevenly keys strike (share of characters faint)
    spread: int = 0  # ink spreading into the paper: strokes thickened by this many pixels
    bilevel: bool = False  # scanned in black and white, the greys dithered (a fax)


DEGRADATIONS = (
    Degradation("clean"),
    Degradation("office", skew=0.6, blur=0.6, noise=8, contrast=0.85, ink=0.1),
    Degradation("worn", skew=1.5, blur=1.0, noise=16, contrast=0.6, bleed=0.12, ink=0.25,
                spread=1),
    Degradation("fax", skew=0.8, blur=0.6, noise=10, contrast=0.8, ink=0.1, bilevel=True),
)


def font_files() -> list[Path]:
    """The TrueType files of :data:`FONT_NAMES` found on this machine, in that order."""
    found = {}
    for folder in map(Path, _FONT_FOLDERS):
        if folder.is_dir():
            for path in folder.rglob("*.ttf"):
                found.setdefault(path.name, path)
    return [found[name] for name in FONT_NAMES if name in found]


def _font(path: Path | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)


def typed_page(text: str, font: Path | None, degradation: Degradation, seed: int,
               dpi: int = 200, back: str = "") -> Image.Image:
    """A Letter page of ``text`` (lines as given) typed in ``font`` and scanned with
    ``degradation``, greyscale at ``dpi``; ``back`` is the text that bleeds through."""
    rng = random.Random(seed)
    sheet = _typed(text, font, dpi, rng, degradation.ink)
    if degradation.bleed and back:
        behind = _typed(back, font, dpi, random.Random(seed + 1), 0.0).transpose(
            Image.Transpose.FLIP_LEFT_RIGHT)
        ink = np.asarray(sheet, dtype=np.float32)
        ghost = 255 - np.asarray(behind, dtype=np.float32)
        sheet = Image.fromarray(np.clip(ink - ghost * degradation.bleed, 0, 255).astype(np.uint8))
    if degradation.spread:
        sheet = sheet.filter(ImageFilter.MinFilter(2 * degradation.spread + 1))
    if degradation.skew:
        angle = rng.uniform(-degradation.skew, degradation.skew)
        sheet = sheet.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if degradation.blur:
        sheet = sheet.filter(ImageFilter.GaussianBlur(degradation.blur * dpi / 200))
    pixels = np.asarray(sheet, dtype=np.float32)
    if degradation.contrast < 1:
        paper = 235 + 20 * (1 - degradation.contrast)
        pixels = paper - (255 - pixels) * degradation.contrast * paper / 255
    if degradation.noise:
        noise = np.random.default_rng(seed).normal(0, degradation.noise, pixels.shape)
        pixels = pixels + noise
    page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    return page.convert("1") if degradation.bilevel else page  # Floyd-Steinberg dithering


def _typed(text: str, font_path: Path | None, dpi: int, rng: random.Random,
           faint: float) -> Image.Image:
    width, height = int(8.5 * dpi), int(11 * dpi)
    size = round(12 * dpi / 72)  # 12 pt, a typewriter's pica
    font = _font(font_path, size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    left = top = dpi  # one-inch margins
    step = round(size * 1.5)  # one and a half lines
    for row, line in enumerate(text.splitlines()):
        y = top + row * step
        if y + step > height - dpi // 2:
            break
        x = float(left)
        for char in line:
            if not char.isspace():
                shade = rng.randint(70, 140) if rng.random() < faint else rng.randint(0, 40)
                draw.text((x, y + rng.uniform(-0.06, 0.06) * size), char, font=font,
                          fill=shade)
            x += draw.textlength(char, font=font)
    return page


# Memos written for this development set (invented: names, places and figures are
# fictional), in the register of typed office correspondence: headers, dates,
# figures, abbreviations, quotes and hyphenated words.
_MEMOS = (
    "MEMORANDUM FOR: Director, Office of Planning\nFROM: R. T. Halvorsen, Field "
    "Operations\nSUBJECT: Inspection of the Northgate depot, 14 March 1962\n1. On "
    "Tuesday the inspection team visited the depot at 0930 hours. The stores were in "
    "good order, but the records of issue for fuel and lubricants were three weeks in "
    "arrears. The officer in charge, Mr. Pellegrini, stated that two clerks had been "
    "detailed to the motor pool since February.\n2. It is recommended that the clerks "
    "be returned to their normal duties and that a monthly audit be made until the "
    "records are current.",
    "Dear Mrs. Okafor,\nThank you for your letter of 2 October concerning the delayed "
    "shipment of laboratory glassware (order no. 4471-B). Our warehouse in Dunmore "
    "reports that the crates left on 28 September by rail and should reach your "
    "station by the end of next week. If any item arrives damaged, please list it on "
    "the enclosed form and return one copy to this office; the carrier will replace "
    "it at no cost to you.\nYours sincerely,\nAlan Whitcombe, Supply Section",
    "MINUTES OF THE BUDGET COMMITTEE, 9 January 1965\nPresent: Chairman Vasquez, "
    "Messrs. Lindqvist, Abernathy and Chu; Miss Ferreira (secretary).\nThe committee "
    "reviewed the estimates for the fiscal year. Travel is to be reduced by 12 per "
    "cent; the printing account, which rose from $18,400 to $23,950, will be examined "
    "by a sub-committee. Mr. Chu asked whether the new duplicating machines had been "
    "paid for out of capital or current funds. The chairman undertook to find out "
    "before the next meeting, set for 6 February at 2:30 p.m.",
    "CONFIDENTIAL\nTO: Station Chief, Ravensport\nREF: Your cable of 11 June\nThe "
    "source known as HARBOUR has again reported that the cargo vessel \"Santa Lucia\" "
    "will call at Ravensport on or about 19 June with a consignment of machine tools. "
    "Headquarters cannot confirm this from other reporting. You are asked to observe "
    "the vessel's arrival, note the names of the agents who meet her, and report by "
    "the usual channel within forty-eight hours. Do not approach the crew.",
    "NOTICE TO ALL STAFF\nBeginning Monday, 3 May, the main entrance on Harrow Street "
    "will be closed for repairs. Staff should use the side door on Quill Lane, which "
    "will be open from 7:45 a.m. to 6:15 p.m. Visitors must sign the register at the "
    "temporary reception desk in Room 104. Parcels and deliveries will be received at "
    "the loading bay only. We expect the work to last about six weeks; a further "
    "notice will be issued when the entrance reopens. - Building Services",
    "REPORT ON TRIALS OF THE MODEL 7 PUMP\nThree pumps were run for 200 hours each at "
    "the Westfield test bench. Pump A delivered 1,180 gallons per hour at full load "
    "with a bearing temperature of 61 C; pump B, 1,150 gal/hr at 64 C; pump C failed "
    "after 143 hours when the impeller key sheared. Examination showed the key to be "
    "of soft steel, contrary to drawing no. 7-118. The manufacturer (Brandt & Sons "
    "Ltd.) has agreed to supply hardened keys for all units in service.",
)


def memo_texts(columns: int = 64) -> list[str]:
    """The memos wrapped to ``columns`` characters, as a typist fills a line."""
    return ["\n".join(textwrap.fill(p, columns) for p in memo.split("\n")) for memo in _MEMOS]


def write_pair(folder: Path, name: str, text: str, font: Path | None,
               degradation: Degradation, seed: int, *, fmt: str = "png",
               back: str = "", dpi: int = 200) -> Path:
    """``folder/name.<fmt>`` (png, tif, or pdf: an image-only scanned PDF) and
    ``folder/name.txt`` holding ``text``: one pair of an OCR gold folder."""
    page = typed_page(text, font, degradation, seed, dpi=dpi, back=back)
    scan = folder / f"{name}.{fmt}"
    scan.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        page.save(scan, "PDF", resolution=dpi)
    else:
        page.save(scan, dpi=(dpi, dpi))
    (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    return scan
