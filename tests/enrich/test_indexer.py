"""The indexer end to end, in process (workers=0) with the built-in skillset."""

import sqlite3

from enrich.indexer import IndexOptions, run_index
from enrich.searching import search
from enrich.testing import factories
from skills.entities import EntitySkill


def index(folder, data, **options):
    return run_index(str(folder), IndexOptions(data_dir=data, workers=0, **options))


def rows(data, sql):
    with sqlite3.connect(data / "enrich.sqlite") as db:
        return db.execute(sql).fetchall()


def test_index_then_search_finds_the_pdf_with_a_word_only_it_has(corpus, tmp_path):
    data = tmp_path / "data"
    summary = index(corpus, data)
    assert summary.status == "ok"
    assert summary.documents["seen"] == 4
    assert summary.documents["indexed"] == 5  # 2 PDFs + markdown + 2 CSV rows
    result = search(data, "quixotic", mode="keyword")
    assert [hit["uri"] for hit in result.results] == [(corpus / "notes1.pdf").as_uri()]
    assert "<b>quixotic</b>" in result.results[0]["highlights"][0]


def test_facets_list_entity_values_with_counts(corpus, tmp_path):
    data = tmp_path / "data"
    index(corpus, data)
    facets = search(data, "*", facets=["people", "organizations", "file_type"]).facets
    people = {b["value"]: b["count"] for b in facets["people"]}
    assert people["LeBron James"] == 2  # notes1.pdf and report.md
    assert {b["value"]: b["count"] for b in facets["file_type"]} == {"pdf": 2, "csv": 2, "markdown": 1}
    orgs = {b["value"] for b in facets["organizations"]}
    assert "Nike" in orgs
    filtered = search(data, "*", filters={"people": ["LeBron James"]})
    assert filtered.count == 2


def test_mentions_pages_edges_and_provenance_are_stored(corpus, tmp_path):
    data = tmp_path / "data"
    index(corpus, data)
    lebron_pages = rows(data, "SELECT DISTINCT m.page FROM mentions m JOIN documents d ON d.id = m.doc_id "
                              "WHERE d.uri LIKE '%notes1.pdf' AND m.text = 'LeBron James' ORDER BY 1")
    assert lebron_pages == [(1,), (2,)]
    skill, = rows(data, "SELECT DISTINCT skill || ' ' || skill_version || ' ' || model FROM mentions")
    assert skill[0].startswith(f"entities {EntitySkill.version} en_core_web_sm")
    edges = dict(((a, b), n) for a, b, n in rows(
        data, "SELECT a, b, count FROM edges WHERE scope = 'document'"))
    assert edges[("ORG:nike", "PERSON:lebron james")] == 2
    page_edges = rows(data, "SELECT count FROM edges WHERE scope = 'page' "
                            "AND a = 'ORG:nike' AND b = 'PERSON:lebron james'")
    assert page_edges == [(3,)]  # two pages of notes1.pdf, one of report.md


def test_language_and_keyphrases_are_indexed(corpus, tmp_path):
    data = tmp_path / "data"
    index(corpus, data)
    facets = search(data, "*", facets=["language", "keyphrases"], facet_size=50).facets
    assert {b["value"] for b in facets["language"]} >= {"en"}
    assert facets["keyphrases"], "key phrases should be indexed as a facet"


def test_unchanged_folder_processes_nothing(corpus, tmp_path):
    data = tmp_path / "data"
    first = index(corpus, data)
    second = index(corpus, data)
    assert second.documents == {"seen": 4, "indexed": 0, "unchanged": 4, "partial": 0,
                                "failed": 0, "deleted": 0}
    assert search(data, "*").count == first.documents["indexed"]


def test_touched_but_identical_file_is_not_reprocessed(corpus, tmp_path):
    data = tmp_path / "data"
    index(corpus, data)
    path = corpus / "report.md"
    path.write_bytes(path.read_bytes())  # new mtime, same bytes
    again = index(corpus, data)
    assert again.documents["indexed"] == 0 and again.documents["unchanged"] == 4


def test_changed_and_deleted_files_update_store_index_and_edges(corpus, tmp_path):
    data = tmp_path / "data"
    index(corpus, data)
    (corpus / "notes1.pdf").unlink()
    (corpus / "report.md").write_text("# Report\n\nKevin Durant joined Nike in Phoenix.\n")
    summary = index(corpus, data)
    assert summary.documents["deleted"] == 1 and summary.documents["indexed"] == 1
    assert search(data, "quixotic", mode="keyword").count == 0
    assert search(data, "Durant", mode="keyword").count == 1
    assert rows(data, "SELECT count(*) FROM edges WHERE a = 'ORG:nike' AND b = 'PERSON:lebron james'") == [(0,)]
    people = {b["value"] for b in search(data, "*", facets=["people"]).facets["people"]}
    assert "LeBron James" not in people and "Kevin Durant" in people


def test_csv_rows_are_documents(corpus, tmp_path):
    data = tmp_path / "data"
    index(corpus, data)
    hits = search(data, "Tatum", mode="keyword").results
    assert [h["uri"] for h in hits] == [(corpus / "players.csv").as_uri() + "#row=1"]


def test_limit_and_max_failed(corpus, tmp_path):
    data = tmp_path / "data"
    factories.encrypted_pdf(corpus / "locked.pdf")
    limited = index(corpus, data, limit=2)
    assert limited.documents["seen"] == 5
    assert rows(data, "SELECT uri FROM sources ORDER BY uri") == [
        ((corpus / "locked.pdf").as_uri(),), ((corpus / "notes1.pdf").as_uri(),)]
    strict = index(corpus, tmp_path / "strict", max_failed=0)
    assert strict.status == "failed" and strict.documents["failed"] == 1
    lenient = index(corpus, tmp_path / "lenient")
    assert lenient.status == "ok"
    assert lenient.errors[0]["uri"].endswith("locked.pdf") and "password" in lenient.errors[0]["message"]


def test_a_transient_read_error_keeps_old_documents_and_is_retried(corpus, tmp_path, monkeypatch):
    from indexers.sources.local import LocalSource
    data = tmp_path / "data"
    index(corpus, data)
    target = corpus / "report.md"
    target.write_text(target.read_text() + "\nKevin Durant visited.\n")
    real_read = LocalSource.read

    def flaky(self, item):
        if item.name == "report.md":
            raise OSError(5, "Input/output error")
        return real_read(self, item)

    monkeypatch.setattr(LocalSource, "read", flaky)
    failed = index(corpus, data)
    assert failed.documents["failed"] == 1 and failed.errors[0]["stage"] == "read"
    assert search(data, "Scouting", mode="keyword").count == 1  # the old version is still there
    monkeypatch.setattr(LocalSource, "read", real_read)
    retried = index(corpus, data)
    assert retried.documents["indexed"] == 1 and search(data, "Durant", mode="keyword").count == 1


def test_a_file_vanishing_while_listing_is_skipped(corpus, monkeypatch):
    from pathlib import Path
    real_stat = Path.stat

    def vanished(self, *args, **kwargs):
        if self.name == "report.md":
            raise FileNotFoundError(2, "No such file or directory")
        return real_stat(self, *args, **kwargs)

    from indexers.sources import LocalSource
    source = LocalSource(str(corpus))
    monkeypatch.setattr(Path, "stat", vanished)
    assert [i.name for i in source.list()] == ["notes1.pdf", "notes2.pdf", "players.csv"]


def test_a_crashing_run_is_recorded_as_crashed(corpus, tmp_path, monkeypatch):
    import pytest
    from enrich.worker import Worker
    data = tmp_path / "data"

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Worker, "crack", boom)  # workers=0: the runner runs it inline
    with pytest.raises(RuntimeError):
        index(corpus, data)
    status, summary = rows(data, "SELECT status, summary FROM runs")[0]
    assert status == "crashed"
    assert "disk on fire" in summary


def test_the_stored_run_summary_has_the_run_time(corpus, tmp_path):
    import json
    data = tmp_path / "data"
    summary = index(corpus, data)
    stored, = rows(data, "SELECT summary FROM runs")
    seconds = json.loads(stored[0])["seconds"]
    assert seconds > 0 and seconds <= summary.seconds


def test_max_failed_stops_the_run_at_the_limit(tmp_path, monkeypatch):
    """With 30 items that all fail, in batches of 16, ``max_failed=2`` commits the
    three failures that cross the limit and no more, and processes one batch."""
    from enrich.worker import Worker
    folder = tmp_path / "bad"
    folder.mkdir()
    for n in range(30):
        factories.zero_byte_pdf(folder / f"z{n:02}.pdf")
    cracked = []
    real_crack = Worker.crack
    monkeypatch.setattr(Worker, "crack", lambda self, batch: cracked.extend(batch)
                        or real_crack(self, batch))
    data = tmp_path / "data"
    summary = index(folder, data, batch_size=16, max_failed=2, skillset={"skills": ["language"]})
    assert summary.status == "failed"
    assert summary.documents["failed"] == 3
    assert rows(data, "SELECT count(*) FROM sources") == [(3,)]
    assert len(cracked) == 16  # the first batch; the second is never started
    again = index(folder, data, batch_size=16, skillset={"skills": ["language"]})
    assert again.documents["failed"] == 27  # the rest were left for the next run


def test_max_failed_is_exact_when_batches_commit_together(tmp_path):
    """Batches of one that finish together commit together, failures too, but the
    failure that takes the run past the limit commits at once and stops it: the limit
    counts the failures still waiting for their commit."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    for n in range(3):
        (folder / f"a{n}.txt").write_text(f"note {n} about the harbour", encoding="utf-8")
        factories.zero_byte_pdf(folder / f"b{n}.pdf")
        (folder / f"c{n}.txt").write_text(f"later note {n}", encoding="utf-8")
    data = tmp_path / "data"
    summary = index(folder, data, batch_size=1, max_failed=1, commit_seconds=3600,
                    skillset={"skills": ["language"]})
    assert summary.status == "failed" and summary.documents["failed"] == 2
    assert rows(data, "SELECT count(*) FROM sources WHERE status = 'failed'") == [(2,)]
    assert rows(data, "SELECT count(*) FROM sources") == [(5,)]  # a0-a2, b0, b1
    # batches of two: [a0, a1], [a2, b0], [b1, b2]; b0's failure waits in the group, so
    # the third batch is cut after b1, not after b2
    summary = index(folder, tmp_path / "two", batch_size=2, max_failed=1, commit_seconds=3600,
                    skillset={"skills": ["language"]})
    assert summary.documents["failed"] == 2
    assert rows(tmp_path / "two", "SELECT count(*) FROM sources") == [(5,)]


def test_one_run_per_data_directory(corpus, tmp_path):
    import pytest
    from indexers.stores import StoreError, TantivyIndex
    data = tmp_path / "data"
    index(corpus, data)
    holder = TantivyIndex(data / "index")
    holder.writer  # another process holds the writer
    try:
        with pytest.raises(StoreError, match="Another enrich process"):
            index(corpus, data)
    finally:
        holder.close()


def test_the_data_directory_cannot_be_the_source(corpus):
    import pytest
    from indexers.sources import SourceError
    with pytest.raises(SourceError, match="data directory"):
        index(corpus, corpus)


def test_a_changed_skillset_or_reindex_enriches_everything_again(corpus, tmp_path):
    data = tmp_path / "data"
    light = {"skills": ["language"], "fields": {"language": "/document/language"}}
    index(corpus, data, skillset=light)
    assert search(data, "*", facets=["people"]).facets["people"] == []
    full = index(corpus, data)  # the default skillset: a new fingerprint
    assert full.documents["indexed"] == 5
    assert search(data, "*", facets=["people"]).facets["people"]
    assert index(corpus, data).documents["indexed"] == 0
    assert index(corpus, data, reindex=True).documents["indexed"] == 5
