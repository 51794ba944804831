"""Long documents enriched in parts (enrich.page_parts, the local runner): the parts
give the same tree, and the same store, as the whole document enriched in one go."""

from __future__ import annotations

import copy
from concurrent.futures import Future

import pytest

from enrich import page_parts
from enrich.indexer import IndexOptions, run_index, split_pages
from enrich.plan import build_plan
from enrich.page_parts import SPLIT_PAGES
from enrich.runners.local import LocalRunner, _LongDocuments
from enrich.skillset import Skillset
from enrich.testing import factories
from enrich.worker import BatchResult, ItemResult, Worker, WorkerConfig
from indexers.sources import SourceItem
from tests.enrich.test_batching import PAGES, SKILLSET, _rows


def test_the_phases_of_a_plan():
    phases = page_parts.phases(build_plan(Skillset.load(SKILLSET)))
    assert phases.before == ("language", "ngrams")
    assert phases.pages == ("entities",)
    assert phases.after == ()
    # entities reads the page text and the document's language (for a page too short
    # to tell its own): a part carries those two values, not the text again
    assert phases.reads == frozenset({"language", "language_confidence"})
    chunks = {"skill": "chunks", "inputs": {"pages": "/document/pages/*/text"}}
    later = {**SKILLSET, "skills": [*SKILLSET["skills"], chunks]}
    assert page_parts.phases(build_plan(Skillset.load(later))).after == ("chunks",)
    documents_only = {**SKILLSET, "entities": [], "skills": SKILLSET["skills"][:3]}
    assert page_parts.phases(build_plan(Skillset.load(documents_only))).pages == ()


@pytest.mark.parametrize(("pages", "workers", "parts"), [
    (25, 2, 3), (9, 2, 1), (8, 2, 1), (3, 2, 1), (1000, 2, 4), (1000, 4, 8), (17, 3, 2)])
def test_parts_cover_the_pages_in_order(pages, workers, parts):
    bounds = page_parts.part_bounds(pages, workers)
    assert len(bounds) == parts
    assert bounds[0][0] == 0 and bounds[-1][1] == pages
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [end - start for start, end in bounds]
    assert max(sizes) - min(sizes) <= 1
    assert parts == 1 or min(sizes) >= page_parts.MIN_PART_PAGES


@pytest.mark.parametrize(("sizes", "workers", "split"), [
    ([100], 2, True),                 # one long document: only parts keep two workers busy
    ([100, 10, 10, 10], 2, True),
    ([60, 60, 60], 2, True),          # three for two workers
    ([10] * 10, 2, False),            # many alike: whole documents balance already
    ([40, 10, 10, 10, 10, 10, 10, 10, 10, 10], 2, True),   # half a worker's share
    ([20, 10, 10, 10, 10, 10, 10, 10, 10, 10], 2, False),
    ([100], 1, False),                # one worker: nothing to balance
    ([], 2, False),
])
def test_documents_are_split_only_when_that_evens_out_the_work(sizes, workers, split):
    todo = [(SourceItem(uri=f"file:///{n}.pdf", name=f"{n}.pdf", size=size, mtime=0), None)
            for n, size in enumerate(sizes)]
    options = IndexOptions(workers=workers)
    assert split_pages(todo, options) == (SPLIT_PAGES if split else None)
    assert split_pages(todo, IndexOptions(workers=workers, split_pages=None)) is None


def test_merge_puts_pages_errors_and_provenance_back_in_place():
    doc = {"content": "x", "language": "en", "pages": [{"text": str(n)} for n in range(10)],
           "provenance": {"/document/language": {"skill": "language"}}}
    parts = page_parts.split(doc, [(0, 4), (4, 10)], frozenset({"language"}))
    assert [sorted(p) for p in parts] == [["_part", "language", "pages"]] * 2  # no content
    for part in parts:
        for n, page in enumerate(part["pages"]):
            page["seen"] = page["text"]
            if page["text"] in ("2", "7"):
                for skill in ("b", "a"):
                    part.setdefault("skill_errors", []).append(
                        {"skill": skill, "path": f"/document/pages/{n}", "message": "no"})
        part["provenance"] = {"/document/pages/*/seen": {"skill": "a"}}
    merged = page_parts.merge(doc, parts, ("a", "b"))
    assert [p["seen"] for p in merged["pages"]] == [str(n) for n in range(10)]
    assert [(e["skill"], e["path"]) for e in merged["skill_errors"]] == [
        ("a", "/document/pages/2"), ("a", "/document/pages/7"),
        ("b", "/document/pages/2"), ("b", "/document/pages/7")]
    assert set(merged["provenance"]) == {"/document/language", "/document/pages/*/seen"}


def test_a_part_of_the_wrong_size_is_refused():
    doc = {"pages": [{}, {}, {}]}
    with pytest.raises(ValueError, match="came back with 1 pages"):
        page_parts.merge(doc, [{"pages": [{}], page_parts.PART_KEY: (0, 3)}])


def _long_pdf(folder, pages=20):
    return factories.text_pdf(folder / "long.pdf", [PAGES[n % 3] for n in range(pages)])


def _item(path) -> SourceItem:
    stat = path.stat()
    return SourceItem(uri=path.as_uri(), name=path.name, size=stat.st_size,
                      mtime=stat.st_mtime)


def test_a_worker_enriches_a_long_document_in_parts_as_in_one_go(tmp_path):
    path = _long_pdf(tmp_path)
    worker = Worker(Skillset.load(SKILLSET), WorkerConfig(source_uri=str(tmp_path)))
    try:
        whole = worker.process([(_item(path), None)])
        held = worker.process([(_item(path), None)], split_pages=10)
        assert whole.unfinished == [] and held.unfinished == [(0, 0)]
        doc = held.items[0].documents[0]
        assert "language" in doc and not any("entities" in p for p in doc["pages"])
        phases = worker.phases
        parts = page_parts.split(doc, page_parts.part_bounds(20, 2), phases.reads)
        done = [worker.enrich_part(copy.deepcopy(part))[0] for part in parts]
        finished, status = worker.finish_document(page_parts.merge(doc, done, phases.pages))
    finally:
        worker.close()
    expected = whole.items[0].documents[0]
    assert any(p["entities"] for p in expected["pages"])
    assert finished == expected
    assert "entities" in status


class _FailingPool:
    """Stands in for the process pool: every part it is given dies."""

    def schedule(self, function, args, timeout):
        future: Future = Future()
        future.set_exception(RuntimeError("the worker process died"))
        return future


def test_a_part_that_fails_fails_its_item_with_the_reason(tmp_path):
    runner = LocalRunner(Skillset.load(SKILLSET), WorkerConfig(source_uri=str(tmp_path)),
                         workers=2, doc_timeout=10)
    runner._pool = _FailingPool()
    item = SourceItem(uri="file:///long.pdf", name="long.pdf", size=1, mtime=0)
    other = SourceItem(uri="file:///short.pdf", name="short.pdf", size=1, mtime=0)
    doc = {"pages": [{"text": "x"}] * 20}
    result = BatchResult([ItemResult(item, "ok", sha256="s", documents=[doc]),
                          ItemResult(other, "ok", documents=[{"pages": [{"text": "y"}]}])],
                         {}, unfinished=[(0, 0)])
    done: Future = Future()
    _LongDocuments(runner, result, done).start()
    out = done.result(timeout=5)
    assert out.items[0].status == "failed" and out.items[0].stage == "worker"
    assert "a part of its pages" in out.items[0].message and "died" in out.items[0].message
    assert out.items[1].status == "ok" and out.unfinished == []


class _ClosedPool:
    """Stands in for a pool that refuses new work (closing)."""

    def schedule(self, function, args, timeout):
        raise RuntimeError("the pool is closed")


def test_parts_that_cannot_be_sent_fail_the_item_and_never_leave_the_runner_waiting(tmp_path):
    runner = LocalRunner(Skillset.load(SKILLSET), WorkerConfig(source_uri=str(tmp_path)),
                         workers=2, doc_timeout=10)
    runner._pool = _ClosedPool()
    item = SourceItem(uri="file:///long.pdf", name="long.pdf", size=1, mtime=0)
    result = BatchResult([ItemResult(item, "ok", documents=[{"pages": [{"text": "x"}] * 20}])],
                         {}, unfinished=[(0, 0)])
    done: Future = Future()
    _LongDocuments(runner, result, done).start()
    out = done.result(timeout=5)
    assert out.items[0].status == "failed" and "the pool is closed" in out.items[0].message


@pytest.mark.slow  # two worker processes
def test_the_local_runner_finishes_long_documents_in_parts(tmp_path):
    path = _long_pdf(tmp_path, pages=SPLIT_PAGES + 4)
    skillset, config = Skillset.load(SKILLSET), WorkerConfig(source_uri=str(tmp_path))
    worker = Worker(skillset, config)
    try:
        expected = worker.process([(_item(path), None)]).items[0].documents[0]
    finally:
        worker.close()
    with LocalRunner(skillset, config, workers=2, doc_timeout=60) as runner:
        result, = runner.run([[(_item(path), None)]])
        assert runner.documents_in_parts == 1
    assert result.items[0].status == "ok" and result.unfinished == []
    assert result.items[0].documents[0] == expected
    assert result.skills["entities"]["ran"] == SPLIT_PAGES + 4


@pytest.mark.slow  # two runs, one with two worker processes
def test_the_store_does_not_depend_on_splitting_long_documents(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    _long_pdf(folder, pages=SPLIT_PAGES + 6)
    for n in range(3):
        factories.text_pdf(folder / f"note{n}.pdf", [PAGES[(n + i) % 3] for i in range(1 + n)])
    alone = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "a"), workers=0,
                                                skillset=SKILLSET))
    split = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "b"), workers=2,
                                                skillset=SKILLSET))
    assert alone.documents["indexed"] == split.documents["indexed"] == 4
    first, second = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert first["mentions"] and first["edges"]
    for table in first:
        assert first[table] == second[table], table
