"""Change detection by version, deletion under any root, failures by kind, --retry-failed.

Runs the real indexer in process over ``mem://``: a source kept in a dict, whose
items carry a ``version`` as blob stores and record sources do, and whose reads are
counted, so a test can say which items were read at all.
"""

from __future__ import annotations

import pytest

import indexers.sources as sources
from indexers.sources import SourceError, SourceItem, TooLarge, TransientSourceError
from indexers.stores import SqliteStore

from enrich.indexer import IndexOptions, run_index
from enrich.searching import search

ROOT = "mem://box"
SKILLSET = {"skills": [{"skill": "language"}]}


class MemorySource:
    """Items of ``BLOBS`` (uri -> (version, bytes, or an exception to raise on read))."""

    BLOBS: dict[str, tuple[str, object]] = {}
    READS: list[str] = []

    def __init__(self, uri: str, max_bytes: int | None = None) -> None:
        self.uri, self.max_bytes = uri, max_bytes

    def list(self):
        for uri, (version, data) in sorted(self.BLOBS.items()):
            size = len(data) if isinstance(data, bytes) else 10
            yield SourceItem(uri=uri, name=uri.rsplit("/", 1)[-1], size=size, mtime=1.0,
                             version=version, content_type="text/plain")

    def read(self, item: SourceItem) -> bytes:
        self.READS.append(item.uri)
        data = self.BLOBS[item.uri][1]
        if isinstance(data, Exception):
            raise data
        if self.max_bytes is not None and len(data) > self.max_bytes:
            raise TooLarge(f"{len(data)} bytes, over {self.max_bytes}")
        return data


@pytest.fixture
def mem(monkeypatch):
    monkeypatch.setitem(sources.SCHEMES, "mem", f"{__name__}:MemorySource")
    MemorySource.BLOBS, MemorySource.READS = {}, []
    return MemorySource


def run(data, **options):
    return run_index(ROOT, IndexOptions(data_dir=data, workers=0, skillset=SKILLSET,
                                        **options))


def test_the_version_decides_what_is_read(mem, tmp_path):
    data = tmp_path / "data"
    mem.BLOBS.update({f"{ROOT}/a.txt": ("v1", b"alpha words here"),
                      f"{ROOT}/b.txt": ("v1", b"bravo words here"),
                      f"{ROOT}/c.txt": ("v1", b"charlie words here")})
    assert run(data).documents["indexed"] == 3
    mem.READS.clear()
    mem.BLOBS[f"{ROOT}/a.txt"] = ("v2", b"alpha changed now")
    del mem.BLOBS[f"{ROOT}/c.txt"]
    summary = run(data)
    assert mem.READS == [f"{ROOT}/a.txt"]  # b's version is the same: not even read
    assert {k: summary.documents[k] for k in ("indexed", "unchanged", "deleted")} == {
        "indexed": 1, "unchanged": 1, "deleted": 1}
    assert search(data, "changed").count == 1 and search(data, "charlie").count == 0


def test_records_of_a_root_are_deleted_when_gone(mem, tmp_path):
    data = tmp_path / "data"
    mem.BLOBS.update({f"{ROOT}#id=1": ("h1", b"first record"),
                      f"{ROOT}#id=2": ("h2", b"second record"),
                      "mem://boxes/other": ("h3", b"not under the root")})
    run(data)
    del mem.BLOBS[f"{ROOT}#id=2"]
    del mem.BLOBS["mem://boxes/other"]
    assert run(data).documents["deleted"] == 1  # "mem://boxes" is not under "mem://box"
    with SqliteStore(data / "enrich.sqlite") as store:
        assert sorted(store.states()) == [f"{ROOT}#id=1", "mem://boxes/other"]


def test_failures_are_kept_by_kind_and_retried_as_they_should(mem, tmp_path):
    data = tmp_path / "data"
    mem.BLOBS.update({f"{ROOT}/ok.txt": ("v1", b"fine text"),
                      f"{ROOT}/flaky.txt": ("v1", TransientSourceError("connection reset")),
                      f"{ROOT}/gone.txt": ("v1", SourceError("deleted since listing")),
                      f"{ROOT}/big.txt": ("v1", b"x" * 200)})
    first = run(data, max_bytes=100)
    assert first.documents["failed"] == 3
    stages = {e["uri"].rsplit("/", 1)[-1]: e["stage"] for e in first.errors}
    assert stages == {"flaky.txt": "read", "gone.txt": "source", "big.txt": "size"}
    with SqliteStore(data / "enrich.sqlite") as store:
        assert store.stats()["failed"] == {"transient": 1, "permanent": 2}
    # The next run retries the transient failure only; permanent ones wait for a change.
    mem.READS.clear()
    mem.BLOBS[f"{ROOT}/flaky.txt"] = ("v1", b"flaky text at last")
    second = run(data, max_bytes=100)
    assert mem.READS == [f"{ROOT}/flaky.txt"] and second.documents["indexed"] == 1
    # --retry-failed runs the failed ones (and nothing else), whatever their kind.
    mem.READS.clear()
    mem.BLOBS[f"{ROOT}/gone.txt"] = ("v1", b"back again")
    third = run(data, retry_failed=True)
    assert sorted(mem.READS) == [f"{ROOT}/big.txt", f"{ROOT}/gone.txt"]
    assert third.documents["indexed"] == 2 and third.documents["failed"] == 0
    with SqliteStore(data / "enrich.sqlite") as store:
        assert store.stats()["failed"] == {"transient": 0, "permanent": 0}


def test_the_summary_adds_up_skill_runs_and_cache_hits_over_batches(mem, tmp_path):
    data = tmp_path / "data"
    for n in range(5):
        mem.BLOBS[f"{ROOT}/{n}.txt"] = ("v1", f"text number {n} in english words".encode())
    first = run(data, batch_size=2)  # three batches
    assert (first.skills["language"]["ran"], first.skills["language"]["cached"]) == (5, 0)
    again = run(data, batch_size=2, reindex=True)  # same inputs: all from the cache
    assert (again.skills["language"]["ran"], again.skills["language"]["cached"]) == (0, 5)


def test_a_partial_run_does_not_swallow_a_skillset_change(mem, tmp_path):
    data = tmp_path / "data"
    mem.BLOBS.update({f"{ROOT}/a.txt": ("v1", b"alpha words"),
                      f"{ROOT}/b.txt": ("v1", SourceError("not yet"))})
    run(data)
    mem.BLOBS[f"{ROOT}/b.txt"] = ("v1", b"bravo words")
    wider = {"skills": [{"skill": "language"}, {"skill": "ngrams"}]}
    retried = run_index(ROOT, IndexOptions(data_dir=data, workers=0, skillset=wider,
                                           retry_failed=True))
    assert retried.documents["indexed"] == 1  # b only, with the new skillset
    full = run_index(ROOT, IndexOptions(data_dir=data, workers=0, skillset=wider))
    assert full.documents["indexed"] == 2  # the change still re-enriches everything


def test_secrets_among_the_source_options_are_never_stored(mem, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setattr(MemorySource, "__init__",
                        lambda self, uri, connection_string=None, max_bytes=None:
                        setattr(self, "uri", uri) or setattr(self, "max_bytes", None))
    mem.BLOBS[f"{ROOT}/a.txt"] = ("v1", b"alpha words")
    secret = "AccountName=x;AccountKey=c2VjcmV0LWtleQ=="
    run(data, source_options={"connection_string": secret})
    with SqliteStore(data / "enrich.sqlite") as store:
        config = store.runs(1)[0]["config"]
    assert secret not in str(config) and "(redacted)" in config["source_options"]


def test_options_a_source_does_not_take_are_refused_by_name(mem, tmp_path):
    with pytest.raises(SourceError, match="endpoint_url do not apply"):
        run(tmp_path / "data", source_options={"endpoint_url": "http://x"})


def test_an_unknown_skill_to_reset_is_refused(mem, tmp_path):
    from enrich.errors import EnrichError
    with pytest.raises(EnrichError, match="--reset-skill entitys: not in the skillset"):
        run(tmp_path / "data", reset_skills=("entitys",))


def test_a_source_that_lists_nothing_deletes_nothing_unless_allowed(mem, tmp_path):
    data = tmp_path / "data"
    mem.BLOBS.update({f"{ROOT}/a.txt": ("v1", b"alpha words"),
                      f"{ROOT}/b.txt": ("v1", b"bravo words")})
    run(data)
    mem.BLOBS.clear()  # a wrong container, or credentials that see nothing
    kept = run(data)
    assert kept.documents["deleted"] == 0 and search(data, "alpha").count == 1
    assert any("lists nothing" in e["message"] for e in kept.errors)
    emptied = run(data, allow_empty=True)
    assert emptied.documents["deleted"] == 2 and search(data, "alpha").count == 0


def test_status_shows_failures_of_both_kinds(mem, tmp_path):
    from typer.testing import CliRunner

    from enrich.cli import app
    data = tmp_path / "data"
    mem.BLOBS.update({f"{ROOT}/flaky.txt": ("v1", TransientSourceError("connection reset")),
                      f"{ROOT}/gone.txt": ("v1", SourceError("deleted since listing"))})
    run(data)
    shown = CliRunner().invoke(app, ["status", "--data", str(data)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "1 transient" in shown.output and "1 permanent" in shown.output
    assert "transient [read] mem://box/flaky.txt: cannot read: connection reset" in shown.output


def test_the_run_summary_shows_each_error_with_its_stage(mem, tmp_path):
    from typer.testing import CliRunner

    from enrich.cli import app
    mem.BLOBS[f"{ROOT}/[draft].txt"] = ("v1", SourceError("access [denied]"))
    shown = CliRunner().invoke(app, ["index", ROOT, "--data", str(tmp_path / "d"),
                                     "--workers", "0"], env={"COLUMNS": "200"})
    assert "mem://box/[draft].txt [source]: cannot read: access [denied]" in shown.output


def test_an_unknown_engine_is_refused_before_anything_runs(mem, tmp_path):
    from enrich.errors import EnrichError
    with pytest.raises(EnrichError, match="unknown engine 'spark'"):
        run(tmp_path / "data", engine="spark")
    assert not (tmp_path / "data").exists()
