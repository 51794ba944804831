"""Run the real pipeline over gold texts and read back what it found.

Each gold document is written as a text file (``WORK/texts/dNNNNNN.txt``) and the
folder is indexed by :func:`enrich.indexer.run_index` with the skillset given (the
built-in one by default) into the data directory ``WORK/<name>``, so the entity
skills and the corpus-level resolution run exactly as they do for users. Then:

* **before resolution**: the entities the skills wrote into each stored enrichment
  tree (``documents.tree``, at the skillset's ``entities:`` paths);
* **after resolution**: the store's resolved mentions, ``store.graph.mentions_of``.

Offsets of page-level values are turned into offsets in the document's content
(the page's ``offset``), which is the gold text: the runner checks that the stored
content is the text it wrote, so no offset is trusted blindly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from indexers.stores import DataDir, SqliteStore

from enrich import tree
from enrich.eval.errors import EvalError, EvalRunError
from enrich.eval.gold import GoldDoc
from enrich.eval.labels import LabelMap
from enrich.eval.metrics import Found
from enrich.indexer import IndexOptions, RunSummary, run_index
from enrich.records import document_id
from enrich.skillset import Skillset

__all__ = ["PipelineRun", "write_texts", "index_texts", "run_pipeline", "bare_spacy"]


@dataclass
class PipelineRun:
    """What one indexing of the gold texts found, before and after resolution."""

    before: list[Found] = field(default_factory=list)
    after: list[Found] = field(default_factory=list)
    seconds: float = 0.0
    documents: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    misaligned: dict[str, int] = field(default_factory=lambda: {"before": 0, "after": 0})
    # found spans that start or end inside a gold token (counted as the tokens they overlap)


def write_texts(texts: Sequence[str], folder: Path) -> list[Path]:
    """One UTF-8 text file per text (``d000001.txt``...); a file already holding its
    text is left alone (so a kept work folder indexes only what changed), and files of a
    longer earlier set are deleted (the indexer deletes their documents too)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"d{i + 1:06d}.txt"
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path.resolve())
    names = {path.name for path in paths}
    for stale in folder.glob("d*.txt"):
        if stale.name not in names:
            stale.unlink()
    return paths


def index_texts(texts: Sequence[str], work: Path, *, folder: str = "texts",
                name: str = "index", skillset: Any = None, workers: int = 1,
                batch_size: int = 16) -> tuple[list[Path], RunSummary, float]:
    """Write ``texts`` under ``work/folder`` and index them into ``work/name`` with the
    real indexer: the files, the run's summary and its seconds."""
    files = write_texts(texts, work / folder)
    started = time.monotonic()
    summary = run_index(str((work / folder).resolve()), IndexOptions(
        data_dir=work / name, skillset=skillset, workers=workers, batch_size=batch_size,
        cache=True))
    return files, summary, round(time.monotonic() - started, 2)


def run_pipeline(docs: Sequence[GoldDoc], label_map: LabelMap, work: Path, *,
                 skillset: Any = None, name: str = "index", workers: int = 1,
                 batch_size: int = 16) -> PipelineRun:
    """Index the gold texts into ``work/name`` and read back the mentions."""
    files, summary, seconds = index_texts([doc.text for doc in docs], work, name=name,
                                          skillset=skillset, workers=workers,
                                          batch_size=batch_size)
    data = DataDir(work / name)
    run = PipelineRun(seconds=seconds, documents=dict(summary.documents),
                      errors=list(summary.errors))
    patterns = [tree.parse(p) for p in Skillset.load(skillset).entities]
    with SqliteStore(data.store, read_only=True) as store:
        ids = [document_id(path.as_uri()) for path in files]
        stored = [_stored(store, doc_id, doc) for doc_id, doc in zip(ids, docs)]
        for i, (doc, row) in enumerate(zip(docs, stored)):
            if row is not None:
                run.before += _convert(i, doc, _tree_entities(row, patterns), label_map,
                                       run.misaligned, "before")
        by_id = {doc_id: i for i, doc_id in enumerate(ids)}
        for mention in store.graph.mentions_of(ids):
            i = by_id[mention["doc_id"]]
            if stored[i] is not None:
                offset = _page_offsets(stored[i]).get(mention.get("page"), 0)
                run.after += _convert(i, docs[i], [(offset, mention)], label_map,
                                      run.misaligned, "after")
    return run


def _stored(store: SqliteStore, doc_id: str, doc: GoldDoc) -> dict[str, Any] | None:
    """The stored document (None when it failed), checked to hold the gold text."""
    row = store.get_document(doc_id)
    if row is not None and row["content"] != doc.text:
        raise EvalRunError(f"the pipeline stored document {doc.name!r} with other text than "
                           "was written (a cracker or skill changed it), so its offsets "
                           "cannot be compared with the gold")
    return row


def _page_offsets(row: dict[str, Any]) -> dict[Any, int]:
    return {page["number"]: page.get("offset") or 0 for page in row.get("pages", [])}


def _tree_entities(row: dict[str, Any], patterns: Sequence[tree.Pattern]
                   ) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(offset of its text in the content, entity)`` of each entity in the tree."""
    offsets, doc_tree = _page_offsets(row), row["tree"]
    for pattern in patterns:
        for where, values in tree.expand(doc_tree, pattern):
            if where[:1] == ("images",):
                continue  # recognised in an image: no text span
            offset = 0
            if where[:1] == ("pages",) and len(where) > 1:
                offset = offsets.get(doc_tree["pages"][where[1]].get("number"), 0)
            for entity in values if isinstance(values, list) else []:
                if isinstance(entity, dict):
                    yield offset, entity


def _convert(i: int, doc: GoldDoc, items: Iterable[tuple[int, dict[str, Any]]],
             label_map: LabelMap, misaligned: dict[str, int] | None = None,
             stage: str = "") -> list[Found]:
    """Entities or mentions -> :class:`Found` in the gold's units and types."""
    out = []
    for offset, item in items:
        types = label_map.get(str(item.get("type")))
        start, end = item.get("start"), item.get("end")
        if not types or not isinstance(start, int) or not isinstance(end, int):
            continue
        span = doc.units(offset + start, offset + end)
        if span is None:
            continue
        if misaligned is not None and not doc.aligned(offset + start, offset + end):
            misaligned[stage] += 1
        out.append(Found(i, span[0], span[1], types, item.get("confidence"),
                         item.get("entity_key") or item.get("key")))
    return out


def bare_spacy(docs: Sequence[GoldDoc], label_map: LabelMap,
               model: str | None = None) -> tuple[list[Found], float, str]:
    """A spaCy model's own ``doc.ents`` on the gold texts (the whole pipeline as
    ``spacy.load`` gives it; no skill, no resolution): found, seconds, model."""
    import spacy

    from skills.entities import default_model

    model = model or default_model()
    try:
        nlp = spacy.load(model)
    except (OSError, ImportError, ValueError) as exc:
        raise EvalError(f"--bare-spacy: cannot load spaCy model {model!r}: {exc}") from None
    started, found = time.monotonic(), []
    for i, (doc, parsed) in enumerate(zip(docs, nlp.pipe((d.text for d in docs), batch_size=64))):
        found += _convert(i, doc, ((0, {"type": e.label_, "start": e.start_char,
                                        "end": e.end_char}) for e in parsed.ents),
                          label_map)
    meta = nlp.meta
    return found, round(time.monotonic() - started, 2), f"{meta['lang']}_{meta['name']}-{meta['version']}"
