"""OCR of document images with Tesseract (default) or RapidOCR.

``OcrSkill`` adds ``/document/images/*/ocr`` to every image (embedded pictures,
page renders of scans, image files)::

    {"text": "line one\\nline two",
     "lines": [{"text": "line one", "box": [x0, y0, x1, y1], "confidence": 0.95}, ...],
     "words": [{"text": "line", "box": [...], "confidence": 0.96}, ...],
     "engine": "tesseract 5.3.0"}

Boxes are in pixels of the image as stored (also when it was downscaled for OCR),
confidences in ``[0, 1]``. ``text`` is the lines joined with ``"\\n"`` in reading
order. An image without text gives ``text=""`` and no lines; an image that cannot
be decoded gives a ``SkillError`` for that image alone.

Engines. ``engine="auto"`` takes Tesseract when its binary answers
``pytesseract.get_tesseract_version()``, else RapidOCR (``rapidocr-onnxruntime``,
PP-OCRv4 Chinese/English models shipped in the wheel).

* Tesseract: one ``image_to_data`` call per image; words are grouped into lines by
  ``(block_num, par_num, line_num)`` and the lines kept in Tesseract's own layout
  order (blocks top to bottom; a column is read before the next one). Line
  confidence is the character-weighted mean of its words'. A word under
  ``min_confidence`` is still kept when it is over 0.4 of it and its line holds at
  least two words over it whose mean is 0.85 or more: a faint word amid clear
  type, which junk read into drawings never is (WER 1.9 % -> 1.6 % on bench.ocr).
* RapidOCR: constructed once per process with ``use_cls=False``: its 0/180 degree
  classifier only helps upside-down lines, costs a model pass per segment and is
  reported to flip upright English (not reproduced on the rendered words and
  sample scan tried here, which read the same either way). It returns text *segments*
  (4-point polygons, often one word, sometimes a phrase); segments whose vertical
  extents overlap by half are one row, a row is read left to right and split into
  separate lines where a horizontal gap exceeds twice the row's height (columns,
  table cells); rows go top to bottom. ``words`` are the segments split on
  whitespace, each spanning its characters' boxes (estimated by RapidOCR from the
  decoding columns) with their mean confidence; without character boxes, a share
  of the segment's box proportional to its characters and the segment's score. The
  shipped recogniser (trained mostly on Chinese) often drops the space between two
  words inside a segment ("NOTICETOALLSTAFF"); :mod:`skills.ocr_spacing` puts it back where the
  blank between two characters' ink is as wide as the page's own word gaps
  (calibrated on the spaces the engine did read; per-character positions from
  ``return_word_box``, which costs nothing measurable, the gap measurement about
  15 ms a page). Full-width punctuation it reads (``，``, ``（``) becomes ASCII.

Quality: ``python -m bench.ocr --workers 2`` (20 typed, scanned pages: 5 fonts,
clean/office/worn/fax) gives Tesseract 1.7 % WER (24.9 % before descreening and the
line rescue: it read no fax page) and RapidOCR 4.1 % (16.1 % with the segments as
read), at the same pages per second as before; README.md ("OCR quality") has the table
of each step. Profiled on one process, a RapidOCR page takes ~3.7 s, of which the
character boxes take ~70 ms and the spacing ~15 ms.

Confidence. Every word keeps its confidence (Tesseract's per word, RapidOCR's
mean over the word's characters); an image whose words' character-weighted mean confidence is under
``warn_confidence`` (default 0.7: real words measured 0.77-1.0, see below) gets a
warning in its result (``_warnings``), which the engine adds to the document's
warnings: the page's text may be unreliable.

Parallelism. Every Tesseract call is a subprocess, so a ``ThreadPoolExecutor``
of ``threads`` (default: this process's share of the cores, ``RunContext.threads``:
the cores divided by the indexer's worker processes) OCRs the images of a batch in parallel
for real; ``warm_up`` sets ``OMP_THREAD_LIMIT=1`` (unless already set) so that each
process stays on one core instead of fighting the others with OpenMP threads.
RapidOCR runs the images one after the other with ``threads`` ONNX Runtime
intra-op threads. Under ``enrich index --workers N`` the worker processes already
share the cores; ``threads = cpu_count / N`` avoids oversubscription.

Measured on this machine (2 cores, Tesseract 5.3.0 with OpenMP, ``eng``): 8 Letter
pages of 11 pt Helvetica prose (400 words each), rendered like the PDF cracker
renders scans (1546x2000 px PNG); one ``run`` of the 8 records on a warm skill,
median of 3 (all 3,200 words read in every configuration):

=======  ================  ===========  ========
threads  OMP_THREAD_LIMIT  8 pages (s)  per page
=======  ================  ===========  ========
1        unset             74.3         9.3
1        1                 18.1         2.3
2        unset             39.0         4.9
2        1                 8.5          1.1
=======  ================  ===========  ========

The OpenMP threads are the surprise: one page with the ``tesseract`` CLI takes
9.9-10.9 s unset (half of it system time, threads spinning) against 1.3 s with
``OMP_THREAD_LIMIT=1``. Both measures together give 8.7x here (74.3 -> 8.5 s);
threads alone give 2.1x on 2 cores, and scale with the cores on bigger machines.
RapidOCR on the same 8 pages with 2 threads: 46 s (5.7 s per page), and 2,807
words because of the dropped spaces (measured before they were restored).

Parameters: ``engine`` (``auto|tesseract|rapidocr``), ``languages`` (Tesseract
language codes, ``"eng"`` or ``"eng+deu"`` or a list; RapidOCR ignores it),
``min_confidence`` (default 0.5), ``threads``, ``only_scans`` (default False: OCR
every image; True: only images whose ``needs_ocr`` is true, the others get
``ocr=None``), ``max_side`` (default 2000: longer images are downscaled for OCR)
and ``timeout`` (seconds per image for Tesseract, default 120, so that a
pathological image fails alone instead of holding the batch; 0 for no limit),
``warn_confidence`` (default 0.7, see Confidence), ``descreen`` (default True: a
dithered bilevel scan is smoothed first, see :mod:`skills.ocr_preprocess`) and
``deskew`` (default False: turn the page straight before OCR, boxes turned back
after; it changed a few words either way, see :mod:`skills.ocr_preprocess`).

Why ``min_confidence=0.5``: every real word measured scored well above it -
Tesseract 0.91-0.96 on rendered text, on the sample typewritten scan and on text
with mild noise; RapidOCR 0.77-1.0 even on blurred, noisy text. The junk Tesseract
reads into drawings and photos spreads over 0-0.9: on a drawing of random lines
and boxes, 119 junk tokens at 0, 66 kept at 0.3, 31 at 0.5. 0.5 halves that junk
against 0.3 without losing measured real words, and is RapidOCR's own default
(``text_score``). Use 0.3 for very poor scans, where recall matters more.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any, ClassVar, Sequence

from skills.base import (
    WARNINGS,
    Record,
    RunContext,
    Skill,
    SkillError,
    SkillUnavailable,
)
from skills.vision import decode_images

__all__ = ["OcrSkill", "tesseract_version"]

ENGINES = ("auto", "tesseract", "rapidocr")
TESSERACT_HINT = ("install it with `apt-get install tesseract-ocr` (`brew install tesseract` "
                  "on macOS) and `pip install pytesseract`")
RAPIDOCR_HINT = "install it with `pip install rapidocr-onnxruntime`"
# Tesseract: a word under min_confidence but over this share of it is kept when its
# line has RESCUE_WORDS sure words of mean confidence RESCUE_LINE (a faint or odd word
# amid clear text, not junk read into a drawing).
RESCUE_SHARE, RESCUE_LINE, RESCUE_WORDS = 0.4, 0.85, 2
ROW_OVERLAP = 0.5  # RapidOCR: segments overlapping this much vertically share a row
COLUMN_GAP = 2.0  # ... and a gap wider than this many row heights starts a new line

# RapidOCR's Chinese-trained recogniser reads some ASCII punctuation as its full-width form.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# RapidOCR engines, one per process and thread count (loading takes ~0.4 s).
_RAPIDOCR: dict[int, Any] = {}


def tesseract_version() -> tuple[str | None, str]:
    """``(version, "")`` when the Tesseract binary answers, else ``(None, reason)``."""
    try:
        import pytesseract
    except ImportError:
        return None, "pytesseract is not installed"
    try:
        return str(pytesseract.get_tesseract_version()), ""
    except (pytesseract.TesseractNotFoundError, OSError, SystemExit) as exc:
        return None, (f"the tesseract binary was not found or does not work "
                      f"(tesseract_cmd={pytesseract.pytesseract.tesseract_cmd!r}: {exc})")


def _load_rapidocr(threads: int) -> Any:
    """The process-wide RapidOCR engine for ``threads`` intra-op threads."""
    if threads not in _RAPIDOCR:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise SkillUnavailable(f"ocr: rapidocr-onnxruntime is not installed; "
                                   f"{RAPIDOCR_HINT}") from exc
        # text_score=0: keep every segment, min_confidence filters; no angle classifier.
        _RAPIDOCR[threads] = RapidOCR(use_cls=False, text_score=0.0,
                                      intra_op_num_threads=threads)
    return _RAPIDOCR[threads]


class OcrSkill(Skill):
    """Read the text in images, with line and word boxes and confidences.

    See the module docstring for the engines, parameters and measured speed.
    """

    name: ClassVar[str] = "ocr"
    version: ClassVar[str] = "3"  # 2: spaces restored, deskew, rescued words; 3: descreen
    context: ClassVar[str] = "/document/images/*"
    inputs: ClassVar[dict[str, str]] = {"image": "/document/images/*/data",
                                        "needs_ocr": "/document/images/*/needs_ocr"}
    outputs: ClassVar[tuple[str, ...]] = ("ocr",)
    description: ClassVar[str] = "Text in images (Tesseract or RapidOCR), with boxes."
    runtime_params: ClassVar[frozenset[str]] = frozenset({"threads", "timeout"})

    def __init__(self, engine: str = "auto", languages: str | Sequence[str] = "eng",
                 min_confidence: float = 0.5, threads: int | None = None,
                 only_scans: bool = False, max_side: int | None = 2000,
                 timeout: float = 120, warn_confidence: float = 0.7,
                 deskew: bool = False, descreen: bool = True, **params: Any) -> None:
        if engine not in ENGINES:
            raise ValueError(f"ocr: unknown engine {engine!r}; use one of {list(ENGINES)}")
        super().__init__(engine=engine, languages=languages, min_confidence=min_confidence,
                         threads=threads, only_scans=only_scans, max_side=max_side,
                         timeout=timeout, warn_confidence=warn_confidence, deskew=deskew,
                         descreen=descreen, **params)
        self.engine = engine
        self.languages = languages if isinstance(languages, str) else "+".join(languages)
        self.min_confidence = float(min_confidence)
        self.threads = max(1, int(threads)) if threads else None  # None: the run's share
        self.only_scans = bool(only_scans)
        self.max_side = int(max_side) if max_side else None
        self.timeout = float(timeout or 0)
        self.warn_confidence = float(warn_confidence)
        self.deskew = bool(deskew)  # turn the page straight first (see ocr_preprocess)
        self.descreen = bool(descreen)  # smooth dithered bilevel scans first
        self._engine_name: str | None = None
        self._rapidocr: Any = None
        self.workers = 1  # threads at once (after warm_up)

    @property
    def model(self) -> str | None:
        """The engine and its version, e.g. ``tesseract 5.3.0`` (after ``warm_up``)."""
        return self._engine_name

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Pick the engine and load it (once); SkillUnavailable when it is missing."""
        if self._engine_name is not None:
            return
        self.workers = self.threads or context.threads
        reason = ""
        if self.engine in ("auto", "tesseract"):
            version, reason = tesseract_version()
            if version is not None:
                self._check_languages()
                os.environ.setdefault("OMP_THREAD_LIMIT", "1")
                self._engine_name = f"tesseract {version}"
                return
            if self.engine == "tesseract":
                raise SkillUnavailable(f"ocr: engine 'tesseract' was asked for but {reason}; "
                                       f"{TESSERACT_HINT}; or use engine: rapidocr")
        try:
            self._rapidocr = _load_rapidocr(self.workers)
        except SkillUnavailable as exc:
            if self.engine == "auto":
                raise SkillUnavailable(f"ocr: no OCR engine here: {reason}, and rapidocr-"
                                       f"onnxruntime is not installed; {TESSERACT_HINT}, "
                                       f"or {RAPIDOCR_HINT}") from exc
            raise
        self._engine_name = f"rapidocr-onnxruntime {metadata.version('rapidocr-onnxruntime')}"

    def _check_languages(self) -> None:
        import pytesseract

        installed = set(pytesseract.get_languages())
        missing = [code for code in self.languages.split("+") if code not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{c.lower().replace('_', '-')}" for c in missing)
            raise SkillUnavailable(f"ocr: tesseract has no language data for {missing} "
                                   f"(installed: {sorted(installed)}); install it with "
                                   f"`apt-get install {packages}`")

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return ``{"ocr": {...}}`` (or ``{"ocr": None}``, or SkillError) per record."""
        self.warm_up()
        todo = [i for i, r in enumerate(records) if not self.only_scans or r.get("needs_ocr")]
        results: list[Any] = [{"ocr": None} for _ in records]
        blobs = [records[i].get("image") for i in todo]
        workers = min(self.workers, len(todo)) if self._rapidocr is None else 1
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                done = list(pool.map(self._ocr_one, blobs))
        else:
            done = [self._ocr_one(blob) for blob in blobs]
        for i, result in zip(todo, done):
            if records[i].get("needs_ocr") and isinstance(result, dict) and \
                    not result["ocr"]["text"].strip():
                result.setdefault(WARNINGS, []).append(
                    "ocr: no text read on this scanned page (blank, or unreadable to "
                    f"{self._engine_name})")
            results[i] = result
        return results

    def _ocr_one(self, blob: Any) -> dict[str, Any] | SkillError:
        """Decode, downscale, OCR one image; any failure is this image's SkillError."""
        [image] = decode_images([blob])
        if isinstance(image, str):
            return SkillError(f"ocr: {image}")
        width, height = image.size
        if self.max_side and max(width, height) > self.max_side:
            image.thumbnail((self.max_side, self.max_side))
        scale = (width / image.size[0], height / image.size[1], width, height)
        try:
            from skills.ocr_preprocess import descreen, deskew, unrotate_box  # numpy: lazy

            if self.descreen:
                image, _ = descreen(image)
            angle, turned = 0.0, image.size
            if self.deskew:
                image, angle = deskew(image)
            lines, words = (self._read_rapidocr(image) if self._rapidocr is not None
                            else self._read_tesseract(image))
        except Exception as exc:  # noqa: BLE001 - a failing image fails alone
            return SkillError(f"ocr ({self._engine_name}): {type(exc).__name__}: {exc}")
        for item in lines + words:
            item["box"] = _scale_box(unrotate_box(item["box"], angle, turned), scale)
        result: dict[str, Any] = {"ocr": {"text": "\n".join(line["text"] for line in lines),
                                          "lines": lines, "words": words,
                                          "engine": self._engine_name}}
        confidence = _mean_confidence(words)
        if confidence is not None and confidence < self.warn_confidence:
            result[WARNINGS] = [(f"ocr: low confidence {confidence:.2f} (under "
                                 f"{self.warn_confidence}) over {len(words)} words of this "
                                 f"image; its text may be unreliable")]
        return result

    def _read_tesseract(self, image: Any) -> tuple[list[dict], list[dict]]:
        """Words from ``image_to_data``, grouped into lines by block, paragraph and line."""
        import pytesseract

        data = pytesseract.image_to_data(image.convert("L"), lang=self.languages,
                                         timeout=self.timeout,
                                         output_type=pytesseract.Output.DICT)
        groups: dict[tuple[int, int, int], list[dict]] = {}
        for i, text in enumerate(data["text"]):
            text, confidence = str(text).strip(), float(data["conf"][i]) / 100
            if not text or confidence < 0:
                continue
            left, top = int(data["left"][i]), int(data["top"][i])
            word = {"text": text, "box": [left, top, left + int(data["width"][i]),
                                          top + int(data["height"][i])],
                    "confidence": round(min(confidence, 1.0), 4)}
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            groups.setdefault(key, []).append(word)
        kept = [words for words in (self._rescue(ws) for ws in groups.values()) if words]
        return [_merge(words) for words in kept], [word for words in kept for word in words]

    def _rescue(self, line: list[dict]) -> list[dict]:
        """The line's words over ``min_confidence``, and those over RESCUE_SHARE of it
        when the others are sure (RESCUE_LINE) and at least RESCUE_WORDS."""
        sure = [w for w in line if w["confidence"] >= self.min_confidence]
        mean = _mean_confidence(sure)
        if len(sure) < RESCUE_WORDS or mean is None or mean < RESCUE_LINE:
            return sure
        floor = self.min_confidence * RESCUE_SHARE
        return [w for w in line if w["confidence"] >= floor]

    def _read_rapidocr(self, image: Any) -> tuple[list[dict], list[dict]]:
        """Segments from RapidOCR, arranged into rows and lines; words split from them."""
        import numpy as np

        from skills.ocr_spacing import char_marks, restore_spaces

        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        # Any keyword resets all three of these to RapidOCR's defaults: name them.
        found, _ = self._rapidocr(bgr, use_cls=False, return_word_box=True,
                                  text_score=0.0, box_thresh=0.5, unclip_ratio=1.6)
        found = found or []
        texts = restore_spaces(np.asarray(image.convert("L")), found) if found else []
        segments, marks = [], []
        for result, text in zip(found, texts):
            points, score = result[0], result[2]
            text, score = str(text).translate(_FULLWIDTH).strip(), float(score)
            if text and score >= self.min_confidence:
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                segments.append({"text": text, "box": [min(xs), min(ys), max(xs), max(ys)],
                                 "confidence": round(min(max(score, 0.0), 1.0), 4)})
                marks.append(char_marks(result))
        lines = [_merge(line) for row in _rows(segments) for line in _split_gaps(row)]
        return lines, [word for segment, chars in zip(segments, marks)
                       for word in _split_words(segment, chars)]


def _mean_confidence(words: list[dict]) -> float | None:
    """The words' confidence weighted by their characters (None without words)."""
    chars = sum(len(w["text"]) for w in words)
    return sum(w["confidence"] * len(w["text"]) for w in words) / chars if chars else None


def _merge(parts: list[dict]) -> dict[str, Any]:
    """One line from its words or segments: joined text, union box, weighted confidence."""
    chars = [len(p["text"]) for p in parts]
    confidence = sum(p["confidence"] * n for p, n in zip(parts, chars)) / sum(chars)
    boxes = [p["box"] for p in parts]
    return {"text": " ".join(p["text"] for p in parts),
            "box": [min(b[0] for b in boxes), min(b[1] for b in boxes),
                    max(b[2] for b in boxes), max(b[3] for b in boxes)],
            "confidence": round(confidence, 4)}


def _rows(segments: list[dict]) -> list[list[dict]]:
    """Segments grouped into rows (vertical overlap), rows top to bottom, each left to right."""
    rows: list[list[dict]] = []
    for segment in sorted(segments, key=lambda s: (s["box"][1] + s["box"][3]) / 2):
        y0, y1 = segment["box"][1], segment["box"][3]
        if rows:
            top, bottom = min(s["box"][1] for s in rows[-1]), max(s["box"][3] for s in rows[-1])
            overlap = min(y1, bottom) - max(y0, top)
            if overlap >= ROW_OVERLAP * min(y1 - y0, bottom - top):
                rows[-1].append(segment)
                continue
        rows.append([segment])
    return [sorted(row, key=lambda s: s["box"][0]) for row in rows]


def _split_gaps(row: list[dict]) -> list[list[dict]]:
    """A row cut into lines where the horizontal gap is wider than COLUMN_GAP heights."""
    height = max(s["box"][3] for s in row) - min(s["box"][1] for s in row)
    lines = [[row[0]]]
    for segment in row[1:]:
        if segment["box"][0] - lines[-1][-1]["box"][2] > COLUMN_GAP * height:
            lines.append([])
        lines[-1].append(segment)
    return lines


def _split_words(segment: dict, chars: list[tuple[list[float], float]] | None = None
                 ) -> list[dict]:
    """The segment's whitespace tokens; with ``chars`` (a box and confidence per
    non-space character) each word spans its characters' boxes and has their mean
    confidence, else a share of the segment's box by characters and its score."""
    text, (x0, y0, x1, y1) = segment["text"], segment["box"]
    tokens = text.split()
    if chars and len(chars) == sum(map(len, tokens)):
        words, start = [], 0
        for token in tokens:
            mine, start = chars[start:start + len(token)], start + len(token)
            boxes = [box for box, _ in mine]
            words.append({"text": token, "box": [min(b[0] for b in boxes), y0,
                                                 max(b[2] for b in boxes), y1],
                          "confidence": round(sum(c for _, c in mine) / len(mine), 4)})
        return words
    per_char, words, start = (x1 - x0) / max(len(text), 1), [], 0
    for token in tokens:
        start = text.index(token, start)
        end = start + len(token)
        words.append({"text": token, "box": [x0 + start * per_char, y0, x0 + end * per_char, y1],
                      "confidence": segment["confidence"]})
        start = end
    return words


def _scale_box(box: Sequence[float], scale: tuple[float, float, int, int]) -> list[int]:
    """A box from OCR pixels back to the original image's pixels, inside the image."""
    sx, sy, width, height = scale
    x0, y0, x1, y1 = box
    return [min(max(round(x0 * sx), 0), width), min(max(round(y0 * sy), 0), height),
            min(max(round(x1 * sx), 0), width), min(max(round(y1 * sy), 0), height)]
