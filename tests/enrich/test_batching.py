"""How work is cut into batches and commits, and that the result never depends on
them: the same corpus indexed one document and one commit at a time in this process
and in batches over two worker processes, committed together, gives the same store
(documents, entities, mentions, edges, terms)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from enrich import commits as rules
from enrich import indexer
from enrich.indexer import IndexOptions, batch_size, run_index
from enrich.testing import factories
from indexers.stores import DataDir

SKILLSET = {"name": "text", "entities": ["/document/pages/*/entities"],
            "fields": {"language": "/document/language",
                       "keyphrases": "/document/keyphrases/*/text"},
            "skills": [{"skill": "language"}, {"skill": "ngrams"}, {"skill": "keyphrases"},
                       {"skill": "entities"}]}
PAGES = [
    "Marta Quell of the Harbor Trust met Ivo Brandt in Lisbon on Monday.",
    "Ivo Brandt later wrote to the Harbor Trust from Porto about the ferry contract.",
    "The ferry contract was signed by Marta Quell and the Northwind Line in Lisbon.",
]


@pytest.mark.parametrize(("items", "workers", "cap", "size"), [
    (10, 2, 16, 2),       # few large documents: every worker gets several batches
    (1, 2, 16, 1),
    (1000, 2, 16, 16),    # many: the cap
    (30, 3, 16, 3),
    (0, 2, 16, 1),
    (30, 1, 16, 16),      # one worker or none: nothing to balance
    (5, 0, 16, 16),
])
def test_few_items_come_in_small_batches(items, workers, cap, size):
    assert batch_size(items, IndexOptions(workers=workers, batch_size=cap)) == size


def _rows(data_dir) -> dict[str, list[tuple]]:
    queries = {
        "documents": "SELECT uri, title, status FROM documents",
        "entities": "SELECT key, type, name, documents, mentions FROM entities",
        "mentions": "SELECT d.uri, m.page, m.start, m.\"end\", m.entity_key FROM mentions AS m "
                    "JOIN documents AS d ON d.id = m.doc_id",
        "edges": "SELECT scope, a, b, count, documents FROM edges",
        "terms": "SELECT * FROM term_df",
    }
    with closing(sqlite3.connect(DataDir(data_dir).store)) as conn:
        return {name: sorted(map(tuple, conn.execute(sql).fetchall()))
                for name, sql in queries.items()}


def _corpus(tmp_path, n=7):
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(n):  # different documents sharing names
        factories.text_pdf(folder / f"note{n}.pdf", [PAGES[(n + i) % 3] for i in range(1 + n % 3)])
    return folder


@pytest.fixture
def commits(monkeypatch):
    """The number of batches in each commit of the runs."""
    counted = []
    real = indexer._Run.commit
    monkeypatch.setattr(indexer._Run, "commit", lambda run, batches, **how: counted.append(
        len(batches)) or real(run, batches, **how))
    return counted


def test_batches_finished_together_commit_together(tmp_path, commits, monkeypatch):
    folder, shown = _corpus(tmp_path, 4), []
    summary = run_index(str(folder), IndexOptions(
        data_dir=str(tmp_path / "a"), workers=0, batch_size=1, skillset=SKILLSET,
        commit_seconds=3600), progress=lambda done, total: shown.append((done, total)))
    assert summary.documents["indexed"] == 4 and commits == [4]
    assert shown == [(n, 4) for n in range(5)]  # as they are enriched
    commits.clear()
    run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "b"), workers=0, batch_size=1,
                                        skillset=SKILLSET, commit_seconds=0))
    assert commits == [1, 1, 1, 1]
    commits.clear()
    monkeypatch.setattr(rules, "COMMIT_BATCHES", 3)  # what waits for a commit is bounded
    run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "c"), workers=0, batch_size=1,
                                        skillset=SKILLSET, commit_seconds=3600))
    assert commits == [3, 1]


class _Scripted:
    """The inline runner's results, with a clock moved and ticks or an interrupt put
    in after the first two results: what a slow batch or Ctrl-C does to the loop."""

    def __init__(self, inner, clock: list[float], after_two) -> None:
        self.inner, self.clock, self.after_two, self.patience = inner, clock, after_two, None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.inner.close()

    def run(self, batches, patience=None):
        self.patience = patience
        for n, result in enumerate(self.inner.run(batches)):
            if n == 2:
                yield from self.after_two(self.clock)
            yield result


def _scripted(monkeypatch, after_two) -> list[_Scripted]:
    clock, opened = [0.0], []
    monkeypatch.setattr(rules, "clock", lambda: clock[0])
    real = indexer.open_runner
    monkeypatch.setattr(indexer, "open_runner", lambda *a, **k: opened.append(
        _Scripted(real(*a, **k), clock, after_two)) or opened[-1])
    return opened


def _slow_third(clock):
    clock[0] += 7  # the third batch takes 7 s: the loop is told every `patience`
    yield None


def test_batches_waiting_on_a_slow_one_commit_when_their_time_comes(tmp_path, commits,
                                                                     monkeypatch):
    opened = _scripted(monkeypatch, _slow_third)
    run_index(str(_corpus(tmp_path, 4)), IndexOptions(
        data_dir=str(tmp_path / "a"), workers=0, batch_size=1, skillset=SKILLSET,
        commit_seconds=5))
    assert opened[0].patience == rules.TICK_SECONDS
    assert commits == [2, 2]  # the two first at the tick, not with the slow one


def _interrupted(clock):
    raise KeyboardInterrupt
    yield  # a generator


def test_ctrl_c_commits_what_was_enriched(tmp_path, commits, monkeypatch):
    _scripted(monkeypatch, _interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_index(str(_corpus(tmp_path, 4)), IndexOptions(
            data_dir=str(tmp_path / "a"), workers=0, batch_size=1, skillset=SKILLSET,
            commit_seconds=3600))
    assert commits == [2]
    assert len(_rows(tmp_path / "a")["documents"]) == 2


def test_a_commit_holds_at_most_commit_pages(tmp_path, commits, monkeypatch):
    monkeypatch.setattr(rules, "COMMIT_PAGES", 3)  # the corpus's notes have 1, 2, 3, 1 pages
    run_index(str(_corpus(tmp_path, 4)), IndexOptions(
        data_dir=str(tmp_path / "a"), workers=0, batch_size=1, skillset=SKILLSET,
        commit_seconds=3600))
    assert commits == [2, 1, 1]


@pytest.mark.slow  # two runs, one with two worker processes
def test_the_store_does_not_depend_on_batches_commits_or_workers(tmp_path, commits):
    folder = _corpus(tmp_path)
    alone = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "a"), workers=0,
                                                batch_size=1, skillset=SKILLSET,
                                                commit_seconds=0))
    assert commits == [1] * 7
    pooled = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "b"), workers=2,
                                                 batch_size=3, skillset=SKILLSET,
                                                 commit_seconds=3600))
    assert commits[7:] == [7]  # the pooled run: seven batches of one, in one commit
    assert alone.documents["indexed"] == pooled.documents["indexed"] == 7
    first, second = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert first["entities"] and first["edges"]
    for table in first:
        assert first[table] == second[table], table


def _pressing_ctrl_c(monkeypatch, times: int) -> None:
    """Ctrl-C (SIGINT to this process) ``times`` times, once per item, as the first
    items of a commit are stored."""
    import os
    import signal
    real, pressed = indexer._Run._commit_safely, []

    def press(run, result):
        if len(pressed) < times:
            pressed.append(1)
            os.kill(os.getpid(), signal.SIGINT)
        return real(run, result)

    monkeypatch.setattr(indexer._Run, "_commit_safely", press)


def _stored_run(data) -> tuple[str, dict]:
    import json
    with closing(sqlite3.connect(DataDir(data).store)) as conn:
        status, summary = conn.execute("SELECT status, summary FROM runs").fetchone()
    return status, json.loads(summary)


def _interrupted_run(tmp_path) -> tuple[int, str, int]:
    """Index four notes in one commit, stopped by Ctrl-C: the documents stored, and the
    stored run's status and indexed count."""
    with pytest.raises(KeyboardInterrupt):
        run_index(str(_corpus(tmp_path, 4)), IndexOptions(
            data_dir=str(tmp_path / "a"), workers=0, batch_size=1, skillset=SKILLSET,
            commit_seconds=3600))
    status, summary = _stored_run(tmp_path / "a")
    return len(_rows(tmp_path / "a")["documents"]), status, summary["documents"]["indexed"]


def test_ctrl_c_during_a_commit_waits_for_it(tmp_path, monkeypatch):
    _pressing_ctrl_c(monkeypatch, 1)
    assert _interrupted_run(tmp_path) == (4, "interrupted", 4)  # the commit was done first


def test_a_second_ctrl_c_rolls_the_commit_back_and_the_summary_with_it(tmp_path,
                                                                        monkeypatch):
    _pressing_ctrl_c(monkeypatch, 2)
    assert _interrupted_run(tmp_path) == (0, "interrupted", 0)


def test_after_a_ctrl_c_one_more_stops_its_commit_at_once(tmp_path, monkeypatch):
    """Ctrl-C while waiting commits what was enriched; pressed again during that
    commit, it stops at once (rolled back), not after it."""
    _scripted(monkeypatch, _interrupted)
    _pressing_ctrl_c(monkeypatch, 1)
    assert _interrupted_run(tmp_path) == (0, "interrupted", 0)
