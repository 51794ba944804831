"""``python -m bench.export`` stays runnable: --help, and a real run on tiny stores."""

from __future__ import annotations

import json
import sys

import pytest

from bench import export as bench_export


def test_answers_help(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["python -m bench.export", "--help"])
    with pytest.raises(SystemExit) as stopped:
        bench_export.main()
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m bench.export ")


@pytest.mark.slow
def test_runs_on_tiny_stores(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["bench.export", "--mentions", "150,300", "--formats",
                                      "jsonl,parquet,csv", "--out", str(tmp_path)])
    bench_export.main()
    out = capsys.readouterr().out
    assert "synthetic store of 300 mentions" in out
    results = json.loads((tmp_path / "results.json").read_text())
    assert [(r["mentions"], r["format"], r["rows"]) for r in results] == [
        (n, f, n) for n in (150, 300) for f in ("jsonl", "parquet", "csv")]
    assert all(r["peak_kb"] >= r["baseline_kb"] > 0 and r["bytes"] > 0 for r in results)
    lines = (tmp_path / "files-300" / "mentions.jsonl").read_text().splitlines()
    assert len(lines) == 300 and json.loads(lines[0])["entity_key"].startswith("PERSON:e")
