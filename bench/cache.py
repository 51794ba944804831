"""What the enrichment cache saves: ``enrich index`` runs after one skill changed.

    .venv/bin/python -m bench.cache [--scans 6] [--pages 2] [--pictures 4] [--workers 2]
        [--caption-model NAME|FOLDER] [--ocr-engine rapidocr|tesseract] [--out bench/out]

Builds a corpus of scanned PDFs (``--scans`` x ``--pages`` pages of rendered text, no
text layer) and ``--pictures`` images with text, then times five ``enrich index``
subprocesses (interpreter start and model loading included) on one data directory,
with a skillset of ``ocr``, ``caption``, ``merge``, ``join`` and ``entities``:

1. **cold**: empty data directory, nothing cached;
2. **entities changed**: the entities skill gets other ``labels``; the skillset
   fingerprint changes, so every item is enriched again - cracking, OCR, captions,
   merge and join come from the cache, entities run;
3. **all cached**: the same skillset with ``--reindex``: nothing runs;
4. **--reset-skill ocr**: OCR runs again, the rest is cached (its text is the same,
   so the skills that read it find their inputs known);
5. **no cache**: what run 2 costs without the cache (``--reindex --no-cache``).

Prints seconds, the share of the cold run, and the records each skill ran or took
from the cache (from the run summary, when it reports them); saves
``OUT/cache.json``. Without ``--caption-model`` the tiny random BLIP of the tests
captions (fast and meaningless): the OCR share of the work is then the real one,
the caption share is not. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from bench import OUT
from bench.runs import index_argv, parse_summary, run_logged
from enrich.testing import factories

PEOPLE = ["John Smith", "Maria Garcia", "Wei Chen", "Aisha Khan", "Peter Novak"]
PLACES = ["Dallas", "Chicago", "Boston", "Denver", "Seattle"]
ORGS = ["Acme Corporation", "Globex", "Initech", "Umbrella Group", "Stark Industries"]


def page_text(n: int) -> str:
    person, place, org = PEOPLE[n % 5], PLACES[(n // 5) % 5], ORGS[(n * 3) % 5]
    return (f"MEMORANDUM {n}\n{person} met the board of\n{org} in {place}.\n"
            f"The meeting lasted {n % 7 + 1} hours.\nSigned {PEOPLE[(n + 2) % 5]}")


def build_corpus(folder: Path, scans: int, pages: int, pictures: int) -> None:
    """``scans`` scanned PDFs of ``pages`` memo pages and ``pictures`` notices, from scratch."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for s in range(scans):
        factories.scanned_pdf(folder / f"scan{s:03d}.pdf",
                              *(page_text(s * pages + p) for p in range(pages)))
    for i in range(pictures):
        factories.text_image(folder / f"pic{i:03d}.png", f"NOTICE {i}\n{ORGS[i % 5]}")


def skillset(path: Path, caption_model: str, engine: str, labels: list[str] | None) -> Path:
    entities = {"skill": "entities", "inputs": {"text": "/document/pages/*/merged_text"}}
    if labels:
        entities["params"] = {"labels": labels}
    path.write_text(json.dumps({
        "skills": [{"skill": "ocr", "params": {"engine": engine}},
                   {"skill": "caption", "params": {"model": caption_model}},
                   "merge", "join", entities],
        "entities": ["/document/pages/*/entities"]}))
    return path


def run(corpus: Path, data: Path, workers: int, extra: list[str], log: Path) -> dict:
    """One ``enrich index`` subprocess: seconds, documents and each skill's ran/cached counts."""
    argv = index_argv(corpus, data, workers, *extra)
    proc, seconds = run_logged(argv, log)
    summary = parse_summary(proc.stdout)
    if proc.returncode != 0 or summary is None:
        raise SystemExit(f"`{' '.join(argv)}` exited {proc.returncode}; see {log}")
    return {"seconds": round(seconds, 2), "documents": summary["documents"],
            "skills": {name: {k: s.get(k) for k in ("ran", "cached") if k in s}
                       for name, s in summary["skills"].items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache", description=__doc__.split("\n")[0])
    parser.add_argument("--scans", type=int, default=6)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--pictures", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--caption-model", default=None)
    parser.add_argument("--ocr-engine", default="rapidocr", choices=["rapidocr", "tesseract"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    out = args.out / "cache"
    out.mkdir(parents=True, exist_ok=True)
    caption = args.caption_model
    if caption is None:
        from enrich.testing.tiny_models import tiny_blip

        caption = str(out / "tiny-blip")
        if not Path(caption, "config.json").exists():
            tiny_blip(Path(caption))
        print("caption: the tiny random BLIP of the tests (pass --caption-model for a real one)")
    corpus, data = out / "corpus", out / "data"
    build_corpus(corpus, args.scans, args.pages, args.pictures)
    shutil.rmtree(data, ignore_errors=True)
    first = skillset(out / "skillset-1.json", caption, args.ocr_engine, None)
    second = skillset(out / "skillset-2.json", caption, args.ocr_engine, ["PERSON", "ORG"])
    steps = [("cold", ["--skillset", str(first)]),
             ("entities changed", ["--skillset", str(second)]),
             ("all cached", ["--skillset", str(second), "--reindex"]),
             ("--reset-skill ocr", ["--skillset", str(second), "--reset-skill", "ocr"]),
             ("no cache", ["--skillset", str(second), "--reindex", "--no-cache"])]
    print(f"corpus: {args.scans} scanned PDFs x {args.pages} pages, {args.pictures} pictures; "
          f"--workers {args.workers}; OCR {args.ocr_engine}")
    results = {}
    for n, (name, extra) in enumerate(steps, 1):
        results[name] = run(corpus, data, args.workers, extra, out / f"run{n}.log")
        share = results[name]["seconds"] / results["cold"]["seconds"]
        print(f"{n}. {name:<18} {results[name]['seconds']:7.2f} s  {share:6.1%} of cold  "
              f"{results[name]['skills']}")
    (out / "cache.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
