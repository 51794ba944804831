"""What the embeddings cost an index run: the same PDFs, with and without vectors.

    .venv/bin/python -m bench.embeddings_cost [--docs 40] [--pages 4] [--workers 2]
        [--folder DIR] [--repeat 2] [--out bench/out/embeddings]

Two skillsets run side by side on the same PDFs (``bench.throughput``'s generated
corpus of English prose, or ``--folder`` with your own), from empty data directories,
alternating, ``--repeat`` times each (the median is reported):

* ``text``: the default skillset's text skills (merge, join, language, phrases,
  keyphrases, entities);
* ``text+vectors``: the same, plus ``chunks`` and ``embeddings`` (all-MiniLM-L6-v2 on
  the CPU, from its PyPI package).

Goal (issue 16): ``text+vectors`` takes at most 2x the wall time of ``text``. Nothing is
asserted; the numbers are printed and written to ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path

import yaml

from bench import OUT
from bench.machine import describe, machine_info
from bench.runs import index_argv, parse_summary, run_logged
from bench.throughput import ensure_corpus

TEXT_SKILLS = [{"skill": "merge"}, {"skill": "join"},
               {"skill": "language", "inputs": {"text": "/document/merged_content"}},
               {"skill": "phrases"},
               {"skill": "keyphrases", "inputs": {"candidates": "/document/phrases"}},
               {"skill": "entities", "inputs": {"text": "/document/pages/*/merged_text"}}]
SKILLSETS = {
    "text": {"name": "text", "skills": TEXT_SKILLS,
             "fields": {"language": "/document/language",
                        "keyphrases": "/document/keyphrases/*/text"},
             "entities": ["/document/pages/*/entities"]},
}
SKILLSETS["text+vectors"] = {**SKILLSETS["text"], "name": "text+vectors",
                             "skills": TEXT_SKILLS + [{"skill": "chunks"},
                                                      {"skill": "embeddings"}]}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.embeddings_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40, help="generated PDFs (default 40)")
    parser.add_argument("--pages", type=int, default=4, help="pages per generated PDF")
    parser.add_argument("--folder", type=Path, help="index these PDFs instead")
    parser.add_argument("--workers", type=int, default=2, help="enrich index --workers")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each skillset")
    parser.add_argument("--out", type=Path, default=OUT / "embeddings", help="work folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    print(describe(machine_info("torch", "transformers", "usearch", "spacy")))
    corpus = args.folder or ensure_corpus(out, args.docs, args.pages, 2)[0]
    print(f"corpus: {corpus}")
    seconds: dict[str, list[float]] = {name: [] for name in SKILLSETS}
    chunks = 0
    for round_ in range(args.repeat):
        for name, skillset in SKILLSETS.items():
            path = out / f"{name}.yaml"
            path.write_text(yaml.safe_dump(skillset), encoding="utf-8")
            data = out / f"data-{name}"
            shutil.rmtree(data, ignore_errors=True)
            proc, took = run_logged(index_argv(corpus, data, args.workers, "--skillset",
                                               str(path), "--no-cache"),
                                    out / f"{name}-{round_}.log", offline=True)
            summary = parse_summary(proc.stdout) or {}
            if proc.returncode != 0:
                print(f"{name}: enrich index failed (rc {proc.returncode}); see "
                      f"{out / f'{name}-{round_}.log'}")
                return 2
            seconds[name].append(took)
            print(f"run {round_ + 1} {name:13} {took:7.1f} s  "
                  f"{summary.get('documents', {}).get('indexed', '?')} documents")
            if name == "text+vectors":
                chunks = _chunk_count(data)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    ratio = medians["text+vectors"] / medians["text"]
    print(f"\nmedian wall time: text {medians['text']:.1f} s, text+vectors "
          f"{medians['text+vectors']:.1f} s ({chunks} chunks): {ratio:.2f}x (goal <= 2x)")
    (out / "results.json").write_text(json.dumps(
        {"seconds": seconds, "median": medians, "ratio": ratio, "chunks": chunks,
         "corpus": str(corpus), "workers": args.workers}, indent=2))
    return 0


def _chunk_count(data: Path) -> int:
    """Chunk vectors in the data directory's index (its vector spaces)."""
    from indexers.stores import open_index
    index = open_index(data)
    try:
        return sum(index.vectors.counts().values()) if index.vectors else 0
    finally:
        index.close()

if __name__ == "__main__":
    raise SystemExit(main())
