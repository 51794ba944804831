"""Throughput of ``enrich index`` against bare spaCy on the same pages.

    .venv/bin/python bench/throughput.py [--docs 200] [--pages 4] [--workers 2] [--out bench/out]

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

Targets: enrich pages/s >= 0.7 x reference pages/s; second run < 5 % of the first.
Results also go to ``OUT/results.json``. Exit status 2 when ``enrich index`` could not
run (the reference numbers are printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 2
SEED = 20240115
CREATED = datetime(2024, 1, 15, tzinfo=timezone.utc)  # fixed, so PDFs are reproducible
REF_BATCH_SIZE = 64
RATIO_TARGET = 0.7
RERUN_TARGET_PCT = 5.0

# ------------------------------------------------------------------ prose generator

FIRST = ["Maria", "James", "Aisha", "Daniel", "Sofia", "Wei", "Olivia", "Mateo", "Hannah", "Kwame",
         "Elena", "Rahul", "Grace", "Tomasz", "Leila", "Samuel", "Ingrid", "Diego", "Yuki", "Patrick"]
LAST = ["Okafor", "Lindqvist", "Moreno", "Chen", "Fitzgerald", "Novak", "Haddad", "Brennan", "Ito",
        "Kowalski", "Delgado", "Abernathy", "Mensah", "Petrov", "Castillo", "Whitaker", "Osei", "Larsen"]
FAMOUS = ["LeBron James", "Stephen Curry", "Jayson Tatum", "Anthony Davis", "Jaylen Brown",
          "Draymond Green", "Klay Thompson", "Nikola Jokic", "Giannis Antetokounmpo", "Luka Doncic"]
ORGS = ["Nike", "Adidas", "Under Armour", "the Los Angeles Lakers", "the Boston Celtics",
        "the Golden State Warriors", "the Denver Nuggets", "the Milwaukee Bucks", "Microsoft",
        "the United Nations", "Reuters", "the Red Cross", "Harbor Logistics", "Northwind Traders",
        "Contoso Pharmaceuticals", "the city council", "Bluefin Capital", "the World Bank"]
PLACES = ["Los Angeles", "Boston", "San Francisco", "Denver", "Milwaukee", "Chicago", "New York City",
          "London", "Paris", "Nairobi", "Tokyo", "Mexico City", "Toronto", "Madrid", "Berlin",
          "Lagos", "Seattle", "Miami", "Dallas", "New Orleans"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOPICS = ["the new training centre", "a shoe sponsorship", "the regional budget", "the travel schedule",
          "a youth basketball programme", "the stadium lease", "a merger proposal", "the annual report",
          "a community clinic", "the broadcast contract", "the supply agreement", "a charity auction"]

TEMPLATES = [
    "{person} met {person2} in {place} on {day} to discuss {topic}.",
    "According to {org}, {person} will travel to {place} in {month} {year}.",
    "The agreement between {org} and {org2} is worth about ${amount} million.",
    "{person} told reporters in {place} that {topic} was still under review.",
    "On {month} {date}, {org} announced {topic} in {place}.",
    "{famous} scored {num} points as {team} beat {team2} in {place}.",
    "{famous} wore new shoes from {brand} during the game in {place}.",
    "Analysts at {org} expect {topic} to cost {place} more than ${amount} million.",
    "A spokesperson for {org} said {person} had left the company in {year}.",
    "{person} and {person2} both worked for {org} before moving to {place}.",
    "The meeting in {place} lasted {num} minutes and ended without a decision on {topic}.",
    "Fans waited outside the arena in {place} for {famous} on {day} night.",
    "{brand} opened a store in {place} and invited {famous} to sign shoes.",
    "In {year}, {org} moved its headquarters from {place} to {place2}.",
    "{person}, who advises {org}, called {topic} a long-term priority.",
    "The report from {org} mentions {person} {num} times and {place} twice.",
    "Tickets for the game between {team} and {team2} sold out within {num} minutes.",
    "{famous} and {famous2} appeared together at a {brand} event in {place}.",
    "The flight from {place} to {place2} was delayed by {num} minutes on {day}.",
    "{person} signed the contract with {org} in {place} on {month} {date}, {year}.",
    "Officials in {place} said the storm caused about ${amount} million in damage.",
    "The committee chaired by {person} will publish its findings in {month}.",
    "{team} hired {person} as an assistant coach after a season in {place}.",
    "Students from {place} visited {org} and met {person2} during the tour.",
]
TEAMS = ["the Los Angeles Lakers", "the Boston Celtics", "the Golden State Warriors", "the Denver Nuggets",
         "the Milwaukee Bucks", "the Dallas Mavericks", "the Miami Heat", "the New York Knicks"]
BRANDS = ["Nike", "Adidas", "Under Armour", "Puma", "New Balance"]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def sentence(rng: random.Random) -> str:
    """One sentence: a template filled from the name lists (unused fields are ignored)."""
    return rng.choice(TEMPLATES).format(
        person=person(rng), person2=person(rng), famous=rng.choice(FAMOUS), famous2=rng.choice(FAMOUS),
        org=rng.choice(ORGS), org2=rng.choice(ORGS), place=rng.choice(PLACES), place2=rng.choice(PLACES),
        team=rng.choice(TEAMS), team2=rng.choice(TEAMS), brand=rng.choice(BRANDS), topic=rng.choice(TOPICS),
        month=rng.choice(MONTHS), day=rng.choice(DAYS), date=rng.randint(1, 28), year=rng.randint(1990, 2024),
        num=rng.randint(2, 60), amount=rng.randint(2, 900))


def page_paragraphs(rng: random.Random) -> list[str]:
    """250-400 words of prose as paragraphs of 3-7 sentences."""
    target, words, sentences = rng.randint(250, 400), 0, []
    while words < target:
        sentences.append(sentence(rng))
        words += len(sentences[-1].split())
    paragraphs = []
    while sentences:
        take = rng.randint(3, 7)
        paragraphs.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    return paragraphs


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
        for para in page_paragraphs(rng):
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
    sys.path.insert(0, str(ROOT))
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


def enrich_command() -> list[str] | None:
    script = Path(sys.executable).parent / "enrich"
    if script.exists():
        return [str(script)]
    if (ROOT / "enrich" / "__main__.py").exists():
        return [sys.executable, "-m", "enrich"]
    found = shutil.which("enrich")
    return [found] if found else None


def parse_summary(stdout: str) -> dict | None:
    """The JSON summary: the whole output, or the last line-started JSON object in it."""
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        pass
    lines = stdout.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].lstrip().startswith("{"):
            try:
                return json.loads("\n".join(lines[i:]))
            except json.JSONDecodeError:
                continue
    return None


class EnrichFailed(Exception):
    pass


def run_enrich(cmd: list[str], corpus: Path, data: Path, workers: int, log: Path,
               extra: list[str] = ()) -> dict:
    argv = [*cmd, "index", str(corpus), "--data", str(data), "--workers", str(workers),
            *extra, "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    log.write_text(f"$ {' '.join(argv)}\n# rc={proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    summary = parse_summary(proc.stdout) if proc.returncode == 0 else None
    if summary is None:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise EnrichFailed(f"`{' '.join(argv)}` exited {proc.returncode} without a JSON summary "
                           f"(full output in {log}):\n{tail}")
    return {"wall_s": wall, "summary": summary}


# -------------------------------------------------------------------------- report


def cpu_name() -> str:
    """The CPU's model name (Linux), else what the platform module says."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine_info(model_version: str | None = None) -> dict:
    import spacy

    cpu = cpu_name()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable,
            "python": platform.python_version(), "spacy": spacy.__version__}


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
    p = argparse.ArgumentParser(description="Throughput of `enrich index` against bare spaCy.")
    p.add_argument("--docs", type=int, default=200, help="number of PDFs (default 200)")
    p.add_argument("--pages", type=int, default=4, help="pages per PDF (default 4)")
    p.add_argument("--workers", type=int, default=2, help="enrich --workers (default 2)")
    p.add_argument("--ref-processes", type=int, default=None,
                   help="spaCy n_process for the reference (default: same as --workers)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="work folder (default bench/out)")
    p.add_argument("--batch-size", type=int, default=None, help="enrich --batch-size (default: enrich's)")
    p.add_argument("--skip-enrich", action="store_true", help="measure the reference only")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    ref_processes = args.ref_processes or args.workers
    res: dict = {"docs": args.docs, "pages_per_doc": args.pages, "workers": args.workers,
                 "ref_processes": ref_processes, "machine": machine_info()}
    m = res["machine"]
    print(f"machine: {m['platform']}; {m['cpu']}; {m['cores']} cores ({m['usable_cores']} usable); "
          f"Python {m['python']}; spaCy {m['spacy']}")

    t0 = time.perf_counter()
    corpus, reused = ensure_corpus(out, args.docs, args.pages, max(1, min(8, m["usable_cores"] or 1)))
    print(f"(a) corpus: {corpus} ({'reused' if reused else f'generated in {time.perf_counter() - t0:.1f} s'})")

    t0 = time.perf_counter()
    texts = extract_pages(corpus)
    res["extract_s"] = time.perf_counter() - t0
    res["pages"], res["words"] = len(texts), sum(len(t.split()) for t in texts)
    print(f"(b) {res['pages']:,} pages, {res['words']:,} words "
          f"(expected {args.docs * args.pages:,} pages)")

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


def run_enrich_steps(args: argparse.Namespace, res: dict, corpus: Path, out: Path) -> int:
    cmd = enrich_command()
    if cmd is None:
        sys.stdout.flush()
        print("(d) FAILED: no `enrich` command found (no .venv/bin/enrich, no `python -m enrich`); "
              "install the project with `pip install -e .`", file=sys.stderr)
        return 2
    data = out / "data"
    shutil.rmtree(data, ignore_errors=True)
    extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
    try:
        print(f"(d) enrich index, first run: {' '.join(cmd)} index ... --workers {args.workers}")
        res["enrich_first"] = run_enrich(cmd, corpus, data, args.workers, out / "enrich-run1.log", extra)
        describe_summary("first", res["enrich_first"], args.docs)
        print("(e) enrich index, second run (unchanged corpus)")
        res["enrich_second"] = run_enrich(cmd, corpus, data, args.workers, out / "enrich-run2.log", extra)
        describe_summary("second", res["enrich_second"], args.docs)
    except EnrichFailed as exc:
        sys.stdout.flush()
        print(f"    FAILED: `enrich index` is not available or failed; the reference numbers below "
              f"still stand.\n    {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
