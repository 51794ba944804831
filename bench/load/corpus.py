"""The load benchmark's corpus: three folders of PDFs with prose, every fourth with a photo."""

from __future__ import annotations

import json
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import prose
from bench.machine import usable_cores
from enrich.testing import factories

GENERATOR_VERSION = 1
SEED = 20240611
FOLDERS = ("first", "second", "third")


def write_doc(args: tuple[str, str, int, int]) -> None:
    """One PDF of the corpus (its own seed, so any worker can write any document)."""
    folder, tag, index, pages = args
    rng = random.Random(f"{SEED}-{tag}-{index}")
    texts = ["\n\n".join(prose.page_paragraphs(rng)) for _ in range(pages)]
    title = f"{rng.choice(prose.FAMOUS)}, {rng.choice(prose.ORGS)} and {rng.choice(prose.PLACES)}"
    factories.text_pdf(Path(folder) / f"{tag}-{index:04d}.pdf", texts, image=index % 4 == 0,
                       title=title, author=prose.person(rng))


def ensure_corpus(work: Path, docs: int, pages: int) -> tuple[dict[str, Path], bool]:
    """({folder name: folder}, reused?): regenerated unless ``corpus.json`` matches."""
    corpus, manifest = work / "corpus", work / "corpus.json"
    params = {"docs": docs, "pages": pages, "seed": SEED, "generator": GENERATOR_VERSION}
    folders = {tag: corpus / tag for tag in FOLDERS}
    if manifest.exists() and json.loads(manifest.read_text()) == params and all(
            len(list(f.glob("*.pdf"))) == docs for f in folders.values()):
        return folders, True
    shutil.rmtree(corpus, ignore_errors=True)
    for folder in folders.values():
        folder.mkdir(parents=True)
    jobs = [(str(folders[tag]), tag, i, pages) for tag in FOLDERS for i in range(docs)]
    with ProcessPoolExecutor(max_workers=max(1, min(4, usable_cores()))) as pool:
        list(pool.map(write_doc, jobs, chunksize=16))
    manifest.write_text(json.dumps(params))
    return folders, False
