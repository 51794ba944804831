"""bench.review stays runnable: --help, and a run on a tiny invented store."""

from __future__ import annotations

import sys

import pytest

from bench import review


def test_the_review_bench_answers_help(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["python -m bench.review", "--help"])
    with pytest.raises(SystemExit) as stopped:
        review.main()
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m bench.review ")


def test_the_review_bench_runs_on_a_tiny_store(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["review", "--documents", "30", "--limit", "10",
                                      "--repeat", "1", "--out", str(tmp_path)])
    review.main()
    out = capsys.readouterr().out
    assert "store: 30 documents" in out and "first 10 items with 3 evidence sentences" in out
    assert "near_duplicate" in out and "rejected_common_word" in out
