"""Damaged files of every supported format are cracked, partly cracked or refused with a
reason, never an unexpected exception or a hang (enrich/testing/fuzz.py): a short
hypothesis run here; ``python -m bench.fuzz_crackers`` is the long one."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrich.indexer import IndexOptions, run_index
from enrich.testing.fuzz import mutate, mutate_member, outcome, seeds

SEEDS = seeds()
OTHERS = list(SEEDS.values())


def test_every_supported_format_has_a_seed():
    from indexers.crackers import CRACKERS
    formats = {name.rsplit(".", 1)[-1] for name in SEEDS}
    assert {"pdf", "png", "jpg", "docx", "csv", "md", "html", "jsonl", "txt"} <= formats
    assert all(outcome(name, data)[0] in ("ok", "partial") for name, data in SEEDS.items())
    assert set(CRACKERS) >= {"pdf", "image", "docx", "html", "csv", "jsonl", "text"}


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SEEDS)), seed=st.integers(0, 2**32 - 1))
def test_damaged_files_are_cracked_or_refused_with_a_reason(name, seed):
    data = mutate(SEEDS[name], random.Random(seed), OTHERS)
    kind, detail = outcome(name, data)
    assert kind in ("ok", "partial", "failed"), (name, seed, kind, detail)
    assert detail.strip()


ZIPPED = sorted(name for name, data in SEEDS.items() if data[:4] == b"PK\x03\x04")


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(ZIPPED), seed=st.integers(0, 2**32 - 1))
def test_office_files_with_a_damaged_member_are_cracked_or_refused(name, seed):
    data = mutate_member(SEEDS[name], random.Random(seed))
    kind, detail = outcome(name, data)
    assert kind in ("ok", "partial", "failed"), (name, seed, kind, detail)


def test_the_harness_tells_a_cracker_bug_and_a_hang(monkeypatch):
    from indexers.crackers.text import TextCracker

    def broken(self, blob):
        raise ValueError("a bug")
    monkeypatch.setattr(TextCracker, "crack", broken)
    assert outcome("notes.txt", b"plain words") == ("error", "ValueError: a bug")

    def hangs(self, blob):
        time.sleep(5)
    monkeypatch.setattr(TextCracker, "crack", hangs)
    assert outcome("notes.txt", b"plain words", time_limit=1)[0] == "timeout"


@pytest.mark.slow  # one index run over damaged files
def test_a_run_over_damaged_files_ends_with_each_one_recorded(tmp_path):
    rng = random.Random(11)
    folder = tmp_path / "docs"
    folder.mkdir()
    names = sorted(SEEDS)
    for n in range(24):
        name = names[n % len(names)]
        (folder / f"{n:02d}-{name}").write_bytes(mutate(SEEDS[name], rng, OTHERS))
    summary = run_index(str(folder), IndexOptions(
        data_dir=str(tmp_path / "data"), workers=0,
        skillset={"skills": ["language"], "entities": []}))
    documents = summary.documents
    assert documents["seen"] == 24 and summary.status == "ok"
    failed = [e for e in summary.errors if e["severity"] == "error"]
    assert len(failed) == documents["failed"]
    assert all(e["message"] and "Traceback" not in e["message"] for e in failed)
