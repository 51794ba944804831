"""OCR quality and speed of each engine on a development set of typed, scanned pages.

    .venv/bin/python -m bench.ocr [--engines tesseract,rapidocr] [--workers 2]
        [--param KEY=VALUE]... [--out bench/out] [--json]

The development set (``OUT/ocr-dev``, made once and reused while its manifest matches)
is every font of ``enrich.testing.ocr_scans.FONT_NAMES`` found here times every
degradation (clean, office, worn, fax), one typed memo a page, saved in turn as a PNG, an
image-only PDF and a TIFF, with its transcript beside it: a gold folder for
``enrich eval ocr``. Each engine reads the whole set through ``enrich eval ocr`` (the
real cracking and OCR path, no cache) with ``--workers`` processes; the table gives
CER and WER (micro, normalised as that command states) overall and per degradation,
and the pages per second. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import OUT
from bench.machine import describe, machine_info
from enrich.cli.eval_ocr import parse_params
from enrich.eval.ocr import OcrOptions, evaluate_ocr
from enrich.eval.ocr_metrics import Rates
from enrich.testing.ocr_scans import DEGRADATIONS, font_files, memo_texts, write_pair

FORMATS = ("png", "pdf", "tif")
VERSION = 2  # of the set's recipe: a new one remakes the set (2: fax pages)


def dev_set(out: Path) -> Path:
    """The development set's folder (made when missing or made by another recipe)."""
    folder, manifest = out / "ocr-dev", out / "ocr-dev.json"
    fonts = font_files()
    params = {"version": VERSION, "fonts": [f.name for f in fonts],
              "degradations": [d.name for d in DEGRADATIONS]}
    if manifest.exists() and json.loads(manifest.read_text()) == params:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    memos, n = memo_texts(), 0
    for font in fonts or [None]:
        for degradation in DEGRADATIONS:
            name = f"{degradation.name}/{(font.stem if font else 'default').lower()}"
            write_pair(folder, name, memos[n % len(memos)], font, degradation, seed=n,
                       fmt=FORMATS[n % len(FORMATS)], back=memos[(n + 1) % len(memos)])
            n += 1
    manifest.write_text(json.dumps(params))
    return folder


def by_degradation(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Micro CER and WER of each degradation (the documents' first path part)."""
    totals: dict[str, Rates] = defaultdict(Rates)
    for doc in report["documents"]:
        totals[doc["name"].split("/", 1)[0]] += Rates(**doc["rates"])
    return {name: {"cer": round(r.cer, 4), "wer": round(r.wer, 4)} for name, r in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="tesseract,rapidocr")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--param", action="append", default=[],
                        help="a parameter of the ocr skill, KEY=VALUE (deskew=false); repeatable")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args()
    gold = dev_set(args.out)
    results = {}
    for engine in args.engines.split(","):
        report = evaluate_ocr(gold, OcrOptions(engine=engine, workers=args.workers,
                                               work=args.out / "ocr-eval",
                                               params=parse_params(args.param)))
        report["by_degradation"] = by_degradation(report)
        results[engine] = report
    info = machine_info("pytesseract", "rapidocr-onnxruntime", "onnxruntime")
    if args.json:
        print(json.dumps({"machine": info, "results": results}, indent=2))
        return
    print(describe(info))
    print(f"development set: {gold} ({len(next(iter(results.values()))['documents'])} pages)")
    names = [d.name for d in DEGRADATIONS]
    print(f"{'engine':<12}{'CER':>8}{'WER':>8}" + "".join(f"{'WER ' + n:>12}" for n in names)
          + f"{'pages/s':>10}")
    for engine, report in results.items():
        parts = report["by_degradation"]
        print(f"{engine:<12}{report['overall']['cer']:>8.1%}{report['overall']['wer']:>8.1%}"
              + "".join(f"{parts.get(n, {}).get('wer', float('nan')):>12.1%}" for n in names)
              + f"{report['pages_per_second'] or 0:>10.2f}")
        for failed in report["failed"]:
            print(f"  failed {failed['name']}: {failed['reason']}")


if __name__ == "__main__":
    main()
