"""Throughput of ``enrich index`` against bare spaCy on the same pages.

    .venv/bin/python -m bench.throughput [--docs 200] [--pages 4] [--workers 2] [--out bench/out]
        [--batch-size N] [--split-pages N] [--commit-seconds S] [--folder DIR]

Steps (printed as they run, then one table; nothing is asserted):

a. generate ``--docs`` text PDFs of ``--pages`` pages of English prose full of names,
   organisations, places, dates and amounts (templates x name lists, fixed seed,
   250-400 words a page) into ``OUT/corpus``; reused when ``OUT/corpus.json`` says it
   was made with the same parameters;
b. extract every page's text with pypdfium2 and count pages and words (``str.split``):
   the reference workload;
c. the reference: bare spaCy ``nlp.pipe(page_texts, n_process=P, batch_size=64)`` with
   the entity skill's model and ``exclude`` list, consuming ``doc.ents`` into a list;
d. ``enrich index OUT/corpus --data OUT/data --workers W --json`` as a subprocess,
   from an empty data directory;
e. the same command again, with nothing changed (every document should be skipped).

Targets: enrich pages/s >= 0.8 x reference pages/s (issue 17); second run < 5 % of the first.
Results also go to ``OUT/results.json``. Exit status 2 when ``enrich index`` could not
run (the reference numbers are printed first).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from bench import OUT, prose
from bench.machine import describe, machine_info
from bench.runs import index_argv, parse_summary, run_logged

GENERATOR_VERSION = 2
SEED = 20240115
CREATED = datetime(2024, 1, 15, tzinfo=timezone.utc)  # fixed, so PDFs are reproducible
REF_BATCH_SIZE = 64
RATIO_TARGET = 0.8
RERUN_TARGET_PCT = 5.0

# ------------------------------------------------------------------------- corpus


def write_pdf(args: tuple[Path, int, int, int]) -> str:
    """Write document ``index`` (its own seed, so workers can write any subset)."""
    from fpdf import FPDF

    folder, index, pages, seed = args
    rng = random.Random(f"{seed}-{index}")
    pdf = FPDF(format="letter")
    pdf.set_creation_date(CREATED)
    pdf.set_title(f"Benchmark document {index:05d}")
    pdf.set_margins(20, 18, 20)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 7, f"Report {index:05d}, page {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for para in prose.page_paragraphs(rng):
            pdf.multi_cell(0, 5, para)
            pdf.ln(2)
    path = folder / f"doc-{index:05d}.pdf"
    pdf.output(str(path))
    return path.name


def ensure_corpus(out: Path, docs: int, pages: int, jobs: int) -> tuple[Path, bool]:
    """(corpus folder, reused?) - regenerated unless the manifest matches the parameters."""
    corpus, manifest = out / "corpus", out / "corpus.json"
    params = {"docs": docs, "pages": pages, "seed": SEED, "generator": GENERATOR_VERSION}
    if manifest.exists() and json.loads(manifest.read_text()) == params \
            and len(list(corpus.glob("*.pdf"))) == docs:
        return corpus, True
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    work = [(corpus, i, pages, SEED) for i in range(docs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(write_pdf, work, chunksize=8))
    manifest.write_text(json.dumps(params))
    return corpus, False


# ---------------------------------------------------------------------- reference


def extract_pages(corpus: Path) -> list[str]:
    import pypdfium2 as pdfium

    texts = []
    for path in sorted(corpus.glob("*.pdf")):
        pdf = pdfium.PdfDocument(path)
        try:
            texts.extend(page.get_textpage().get_text_range() for page in pdf)
        finally:
            pdf.close()
    return texts


def entity_settings() -> tuple[str, list[str], str]:
    """(model, exclude, where they came from): exactly what the entity skill loads."""
    import skills.entities as ent

    model = ent.default_model()
    return model, list(ent.ner_exclusions(model)), "skills.entities.ner_exclusions(default_model())"


def run_reference(texts: list[str], model: str, exclude: list[str], processes: int) -> dict:
    import spacy

    t0 = time.perf_counter()
    nlp = spacy.load(model, exclude=exclude)
    t1 = time.perf_counter()
    ents = [[(e.text, e.label_) for e in doc.ents]
            for doc in nlp.pipe(texts, n_process=processes, batch_size=REF_BATCH_SIZE)]
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "pipe_s": t2 - t1, "entities": sum(map(len, ents)),
            "pipes": nlp.pipe_names, "model_version": nlp.meta.get("version", "?")}


# ------------------------------------------------------------------------- enrich


class EnrichFailed(Exception):
    """``enrich index`` exited with an error or printed no JSON summary."""


def run_enrich(corpus: Path, data: Path, workers: int, log: Path, extra: list[str]) -> dict:
    """One ``enrich index`` subprocess: its wall clock and its JSON summary."""
    argv = index_argv(corpus, data, workers, *extra)
    proc, wall = run_logged(argv, log)
    summary = parse_summary(proc.stdout) if proc.returncode == 0 else None
    if summary is None:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise EnrichFailed(f"`{' '.join(argv)}` exited {proc.returncode} without a JSON summary "
                           f"(full output in {log}):\n{tail}")
    return {"wall_s": wall, "summary": summary}


# -------------------------------------------------------------------------- report


def rate(n: float, seconds: float) -> str:
    return f"{n / seconds:>10,.1f}" if seconds > 0 else f"{'-':>10}"


def row(label: str, seconds: float | None, pages: int, words: int, note: str = "") -> str:
    if seconds is None:
        return f"{label:<34}{'-':>9}{'-':>11}{'-':>11}  {note}"
    return f"{label:<34}{seconds:>9.2f}{rate(pages, seconds)}{rate(words, seconds)}  {note}"


def print_table(res: dict) -> None:
    pages, words, ref = res["pages"], res["words"], res["reference"]
    print()
    print(f"{'step':<34}{'seconds':>9}{'pages/s':>11}{'words/s':>11}  note")
    print("-" * 100)
    print(row("text extraction (pypdfium2)", res["extract_s"], pages, words, "not in the reference time"))
    print(row("reference: spaCy nlp.pipe", ref["pipe_s"], pages, words,
              f"n_process={res['ref_processes']}, batch_size={REF_BATCH_SIZE}, {ref['entities']:,} entities"))
    e2e = res["extract_s"] + ref["load_s"] + ref["pipe_s"]
    print(row("reference + load + extraction", e2e, pages, words, f"model load {ref['load_s']:.2f} s"))
    first, second = res.get("enrich_first"), res.get("enrich_second")
    if first is None:
        print(row("enrich index (first run)", None, pages, words, res.get("enrich_note", "did not run")))
        return
    ratio, ratio_e2e = ref["pipe_s"] / first["wall_s"], e2e / first["wall_s"]
    mark = "ok" if ratio >= RATIO_TARGET else "BELOW TARGET"
    print(row(f"enrich index (first, --workers {res['workers']})", first["wall_s"], pages, words,
              f"ratio to reference {ratio:.2f} (target >= {RATIO_TARGET}, {mark}); "
              f"to reference+load+extraction {ratio_e2e:.2f}"))
    if second is not None:
        pct = 100 * second["wall_s"] / first["wall_s"]
        mark = "ok" if pct < RERUN_TARGET_PCT else "ABOVE TARGET"
        print(row("enrich index (second, unchanged)", second["wall_s"], pages, words,
                  f"{pct:.1f} % of the first run (target < {RERUN_TARGET_PCT:g} %, {mark})"))


def describe_summary(label: str, run: dict, docs: int) -> None:
    s = run["summary"]
    d = s.get("documents", {})
    print(f"  {label}: {run['wall_s']:.2f} s wall, summary seconds={s.get('seconds')}, documents={d}, "
          f"errors={len(s.get('errors') or [])}")
    key = "indexed" if label == "first" else "unchanged"
    if d.get(key) != docs:
        print(f"  note: expected documents.{key} == {docs}, got {d.get(key)}")


# ---------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.throughput",
                                description="Throughput of `enrich index` against bare spaCy.")
    p.add_argument("--docs", type=int, default=200, help="number of PDFs (default 200)")
    p.add_argument("--pages", type=int, default=4, help="pages per PDF (default 4)")
    p.add_argument("--workers", type=int, default=2, help="enrich --workers (default 2)")
    p.add_argument("--ref-processes", type=int, default=None,
                   help="spaCy n_process for the reference (default: same as --workers)")
    p.add_argument("--out", type=Path, default=OUT, help="work folder (default bench/out)")
    p.add_argument("--batch-size", type=int, default=None, help="enrich --batch-size (default: enrich's)")
    p.add_argument("--split-pages", type=int, default=None,
                   help="enrich --split-pages (default: enrich's; 0 never splits a document)")
    p.add_argument("--commit-seconds", type=float, default=None,
                   help="enrich --commit-seconds (default: enrich's; 0 commits every batch)")
    p.add_argument("--skip-enrich", action="store_true", help="measure the reference only")
    p.add_argument("--folder", type=Path, default=None,
                   help="index the PDFs of this folder (your own) instead of generated ones")
    p.add_argument("--skillset", type=Path, default=None,
                   help="enrich --skillset (default: language, ngrams, keyphrases and "
                        "entities: the text work, whose NER is what bare spaCy runs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    ref_processes = args.ref_processes or args.workers
    res: dict = {"docs": args.docs, "pages_per_doc": args.pages, "workers": args.workers,
                 "ref_processes": ref_processes, "machine": machine_info("spacy")}
    m = res["machine"]
    print(describe(m))

    t0 = time.perf_counter()
    if args.folder:
        corpus = args.folder.resolve()
        res["docs"], res["pages_per_doc"] = len(list(corpus.glob("*.pdf"))), None
        print(f"(a) corpus: {corpus} (your folder: {res['docs']} PDFs)")
    else:
        corpus, reused = ensure_corpus(out, args.docs, args.pages,
                                       max(1, min(8, m["usable_cores"] or 1)))
        print(f"(a) corpus: {corpus} ({'reused' if reused else f'generated in {time.perf_counter() - t0:.1f} s'})")

    t0 = time.perf_counter()
    texts = extract_pages(corpus)
    res["extract_s"] = time.perf_counter() - t0
    res["pages"], res["words"] = len(texts), sum(len(t.split()) for t in texts)
    print(f"(b) {res['pages']:,} pages, {res['words']:,} words"
          + ("" if args.folder else f" (expected {args.docs * args.pages:,} pages)"))

    model, exclude, source = entity_settings()
    res["model"], res["exclude"], res["exclude_source"] = model, exclude, source
    print(f"(c) reference: spacy.load({model!r}, exclude={exclude}) [{source}], "
          f"nlp.pipe(n_process={ref_processes}, batch_size={REF_BATCH_SIZE})")
    res["reference"] = run_reference(texts, model, exclude, ref_processes)
    print(f"    pipes {res['reference']['pipes']}, model version {res['reference']['model_version']}")

    res["enrich_note"] = "skipped (--skip-enrich)" if args.skip_enrich else "FAILED - see the message above"
    status = 0 if args.skip_enrich else run_enrich_steps(args, res, corpus, out)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
    print_table(res)
    print(f"\nresults: {out / 'results.json'}")
    return status


TEXT_SKILLSET = {
    "name": "text", "entities": ["/document/pages/*/entities"],
    "fields": {"language": "/document/language", "keyphrases": "/document/keyphrases/*/text"},
    "skills": [{"skill": "language"}, {"skill": "ngrams"}, {"skill": "keyphrases"},
               {"skill": "entities"}]}


def _text_skillset(path: Path) -> Path:
    path.write_text(json.dumps(TEXT_SKILLSET), encoding="utf-8")  # JSON is YAML
    return path


def run_enrich_steps(args: argparse.Namespace, res: dict, corpus: Path, out: Path) -> int:
    """(d) and (e): two ``enrich index`` runs on a fresh data directory; 2 when one fails."""
    data = out / "data"
    shutil.rmtree(data, ignore_errors=True)
    extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
    if args.split_pages is not None:
        extra += ["--split-pages", str(args.split_pages)]
    if args.commit_seconds is not None:
        extra += ["--commit-seconds", str(args.commit_seconds)]
    skillset = args.skillset or _text_skillset(out / "text-skillset.yaml")
    extra += ["--skillset", str(skillset)]
    try:
        print(f"(d) enrich index, first run: python -m enrich index ... --workers {args.workers}")
        res["enrich_first"] = run_enrich(corpus, data, args.workers, out / "enrich-run1.log", extra)
        describe_summary("first", res["enrich_first"], res["docs"])
        print("(e) enrich index, second run (unchanged corpus)")
        res["enrich_second"] = run_enrich(corpus, data, args.workers, out / "enrich-run2.log", extra)
        describe_summary("second", res["enrich_second"], res["docs"])
    except EnrichFailed as exc:
        sys.stdout.flush()
        print(f"    FAILED: `enrich index` failed; the reference numbers below "
              f"still stand.\n    {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
