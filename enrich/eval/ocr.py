"""``enrich eval ocr``: read scans with the real pipeline and score the text against
reference transcripts (CER and WER, :mod:`~enrich.eval.ocr_metrics`).

The gold folder holds pairs: a scan (a PDF, or an image: PNG, JPEG, TIFF, BMP, WebP,
GIF) and its transcript, a UTF-8 text file of the same name with ``.txt`` for the
scan's suffix (``memo-04.pdf`` and ``memo-04.txt``), in any sub-folder. A scan without
a transcript, or a transcript without a scan, is listed as unpaired and left out.

The scans are copied to ``WORK/scans`` and indexed by :func:`enrich.indexer.run_index`
into ``WORK/<engine>``, so the pages are cracked, rendered and OCR'd exactly as
``enrich index`` does (the PDF cracker's page renders, the OCR skill's preprocessing
and line order), then merged into the document's text by ``merge`` and ``join``.
Without a skillset the run's skills are only those three, with ``ocr``'s ``engine``
set to the one asked for; with one, its ``ocr`` skills get that engine. ``params`` set
more of the ``ocr`` skill's parameters (``deskew``, ``min_confidence``...), so that
each setting can be measured (a skillset without an ``ocr`` skill then raises
:class:`~enrich.eval.errors.EvalError`). The text
scored is the document's ``/document/merged_content`` (its pages' text, or OCR text
where a page is a scan); a scan that failed scores as if nothing was read, so a failure
never improves the totals. Nothing is cached between runs, so the pages per second are
those of OCR as it runs, worker processes included.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexers.stores import DataDir, SqliteStore

from enrich import tree
from enrich.eval.errors import EvalError, OcrGoldError
from enrich.eval.evaluate import work_folder
from enrich.eval.ocr_metrics import Rates, error_rates
from enrich.indexer import IndexOptions, run_index
from enrich.records import document_id
from enrich.skillset import Skillset

__all__ = ["SCAN_SUFFIXES", "OcrOptions", "OcrPair", "evaluate_ocr", "read_pairs"]

SCAN_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
_TEXT = tree.parse("/document/merged_content")
_WORDS = tree.parse("/document/images/*/ocr/words/*/confidence")
_ENGINE = tree.parse("/document/images/*/ocr/engine")


@dataclass(frozen=True)
class OcrPair:
    """One scan and its reference transcript; ``name`` is the scan's path in the gold."""

    name: str
    scan: Path
    reference: str


@dataclass
class OcrOptions:
    engine: str = "auto"  # the OCR skill's engine: auto, tesseract or rapidocr
    skillset: Any = None  # None: ocr, merge and join only
    workers: int = 1
    limit: int | None = None
    work: Path | None = None  # kept afterwards; None: a temporary folder
    case: bool = False  # compare letters' case too
    params: dict[str, Any] = field(default_factory=dict)  # more parameters of the ocr skill


def read_pairs(gold: Path) -> tuple[list[OcrPair], list[str]]:
    """The scan/transcript pairs under ``gold`` (sorted by name) and the unpaired files."""
    if not gold.is_dir():
        raise OcrGoldError(f"{gold} is not a folder of scans and their .txt transcripts")
    scans = {p.with_suffix(""): p for p in sorted(gold.rglob("*"))
             if p.suffix.lower() in SCAN_SUFFIXES and p.is_file()}
    texts = {p.with_suffix(""): p for p in sorted(gold.rglob("*.txt")) if p.is_file()}
    pairs = []
    for stem, scan in scans.items():
        if stem in texts:
            try:
                reference = texts[stem].read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise OcrGoldError(f"{texts[stem]}: cannot read the transcript ({exc}); "
                                   "transcripts are UTF-8 text") from None
            pairs.append(OcrPair(scan.relative_to(gold).as_posix(), scan, reference))
    unpaired = sorted(p.relative_to(gold).as_posix() for stem, p in
                      [*scans.items(), *texts.items()] if stem not in scans or stem not in texts)
    if not pairs:
        raise OcrGoldError(f"{gold} holds no scan with a transcript: put memo.pdf (or .png, "
                           ".tif...) next to memo.txt")
    return pairs, unpaired


def evaluate_ocr(gold: Path, options: OcrOptions) -> dict[str, Any]:
    """CER and WER per document and in all (micro), with the run's pages per second."""
    pairs, unpaired = read_pairs(gold)
    pairs = pairs[: options.limit] if options.limit else pairs
    skillset = _skillset(options)
    with work_folder(options.work) as work:
        files = _copy_scans(gold, pairs, work / "scans")
        data = work / options.engine
        started = time.monotonic()
        summary = run_index(str((work / "scans").resolve()), IndexOptions(
            data_dir=data, skillset=skillset, workers=options.workers, cache=False,
            reindex=True))
        seconds = time.monotonic() - started
        documents = _score(pairs, files, data, options.case)
    total = sum((Rates(**d["rates"]) for d in documents), Rates())
    pages = sum(d["pages"] for d in documents)
    return {
        "gold": {"path": str(gold), "pairs": len(pairs), "unpaired": unpaired},
        "engine": options.engine, "params": dict(options.params),
        "engines": sorted({e for d in documents for e in d.pop("engines")}),
        "normalisation": "NFKC, straight quotes and dashes, line-end hyphens joined, "
                         "whitespace collapsed" + ("" if options.case else ", case-folded"),
        "overall": {"cer": round(total.cer, 4), "wer": round(total.wer, 4),
                    "chars": total.chars, "words": total.words, "documents": len(documents)},
        "documents": documents,
        "failed": [{"name": e.get("uri", ""), "reason": e.get("message", "")}
                   for e in summary.errors if e.get("severity") != "warning"],
        "warnings": [{"name": e.get("uri", ""), "warning": e.get("message", "")}
                     for e in summary.errors if e.get("severity") == "warning"],
        "pages": pages, "seconds": round(seconds, 2),
        "pages_per_second": round(pages / seconds, 3) if seconds else None,
        "workers": options.workers,
    }


def _copy_scans(gold: Path, pairs: list[OcrPair], folder: Path) -> list[Path]:
    """The scans copied afresh under ``folder`` by their gold paths (what was there is
    removed: the run reindexes every scan without a cache, so nothing is saved by
    keeping copies). A folder inside the gold, or holding it, is refused: whatever the
    pairs chosen (``--limit``), removing it would remove gold files."""
    at, gold = folder.resolve(), gold.resolve()
    if at in (gold, *gold.parents) or gold in at.parents:
        raise EvalError(f"{folder}, where the scans are copied to and removed from, "
                        f"overlaps the gold folder {gold}: choose another work folder")
    if folder.exists():
        shutil.rmtree(folder)
    files = []
    for pair in pairs:
        target = folder / pair.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pair.scan, target)
        files.append(target.resolve())
    return files


def _skillset(options: OcrOptions) -> Skillset:
    if options.skillset is None:
        return Skillset.from_dict({"name": "ocr-eval", "skills": [
            {"skill": "ocr", "params": {**options.params, "engine": options.engine}},
            {"skill": "merge"}, {"skill": "join"}]})
    skillset = Skillset.load(options.skillset).to_dict()
    ocr = [skill for skill in skillset["skills"] if skill.get("skill") == "ocr"]
    if options.params and not ocr:
        raise EvalError(f"parameters {sorted(options.params)} are for the ocr skill, and "
                        "the skillset has none")
    for skill in ocr:
        skill["params"] = {**(skill.get("params") or {}), **options.params,
                           "engine": options.engine}
    return Skillset.from_dict(skillset)


def _score(pairs: list[OcrPair], files: list[Path], data: Path,
           case: bool) -> list[dict[str, Any]]:
    out = []
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        for pair, path in zip(pairs, files):
            # a failed document (listed with its reason): nothing read, all wrong
            row = store.get_document(document_id(path.as_uri())) or {}
            doc_tree = row.get("tree") or {}
            text = next((v for _, v in tree.expand(doc_tree, _TEXT) if isinstance(v, str)),
                        row.get("content") or "")
            rates = error_rates(pair.reference, text, case)
            confidences = [c for _, c in tree.expand(doc_tree, _WORDS)
                           if isinstance(c, (int, float))]
            out.append({
                "name": pair.name, "pages": (len(row.get("pages") or []) or 1) if row else 0,
                "cer": round(rates.cer, 4), "wer": round(rates.wer, 4),
                "rates": vars(rates),
                "word_confidence": round(sum(confidences) / len(confidences), 3)
                if confidences else None,
                "engines": {e for _, e in tree.expand(doc_tree, _ENGINE) if e},
                **({} if row else {"failed": True}),
            })
    return out
