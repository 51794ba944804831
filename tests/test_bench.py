"""The benchmarks stay runnable: each is a module of the ``bench`` package that imports
from the repository root with no ``sys.path`` patch and answers ``--help``; the graph
update benchmark runs for real on a tiny store (it uses the store API directly)."""

import importlib
import sys

import pytest

SCRIPTS = {"throughput": "bench.throughput", "images": "bench.images", "cache": "bench.cache",
           "graph_queries": "bench.graph_queries", "graph_update": "bench.graph_update",
           "graph_view": "bench.graph_view",
           "load": "bench.load.__main__", "corrections": "bench.corrections",
           "fuzz_crackers": "bench.fuzz_crackers", "embeddings_cost": "bench.embeddings_cost",
           "memory": "bench.memory", "ocr": "bench.ocr"}


SHARED = {"__init__", "machine", "runs", "prose"}  # helpers of the scripts, not scripts


def test_every_benchmark_is_in_the_readme_table():
    from bench import ROOT
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py")} - SHARED
    scripts |= {p.name for p in (ROOT / "bench").iterdir()
                if (p / "__main__.py").exists()}  # packages run with -m (bench.load)
    table = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    missing = sorted(s for s in scripts if f"| `bench.{s}` |" not in table)
    assert not missing, f"not in bench/README.md's table: {missing}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_benchmark_answers_help(name, monkeypatch, capsys):
    module = importlib.import_module(SCRIPTS[name])
    monkeypatch.setattr(sys, "argv", [f"python -m bench.{name}", "--help"])
    with pytest.raises(SystemExit) as stopped:
        module.main()
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m bench.{name} ")


def test_machine_line_names_the_cores_python_and_packages():
    from bench.machine import describe, machine_info

    info = machine_info("pytest", "no-such-package")
    assert info["cores"] >= info["usable_cores"] >= 1
    assert info["pytest"] == pytest.__version__ and info["no-such-package"] is None
    line = describe(info)
    assert f"({info['usable_cores']} usable)" in line and f"; pytest {pytest.__version__}" in line


def test_graph_update_runs_on_a_tiny_store(monkeypatch, capsys):
    from bench import graph_update

    monkeypatch.setattr(sys, "argv", ["graph_update", "--documents", "40", "--entities", "30",
                                      "--repeat", "1"])
    graph_update.main()
    out = capsys.readouterr().out
    assert "store: 40 documents" in out and "an update costs" in out


def test_corrections_bench_runs_on_a_tiny_store(monkeypatch, capsys, tmp_path):
    from bench import corrections

    monkeypatch.setattr(sys, "argv", ["corrections", "--documents", "30", "--corrections", "20",
                                      "--out", str(tmp_path)])
    corrections.main()
    out = capsys.readouterr().out
    assert "corrections the review queue suggests" in out
    assert "20 corrections over random entities" in out and "undoing the 20" in out
    assert "search index brought up to date" in out


def test_the_crackers_fuzzing_runs_and_reports_every_format(capsys):
    from bench import fuzz_crackers

    assert fuzz_crackers.main(["--limit", "400", "--seconds", "120", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "400 damaged inputs" in out  # enough to draw every seed file (random choice)
    for fmt in ("pdf", "png", "docx", "csv", "html", "all"):
        assert f"\n{fmt}" in out


def test_memory_bench_sees_the_pool_workers_of_each_size(capsys, tmp_path):
    import json

    from bench import memory

    skillset = tmp_path / "language.yaml"
    skillset.write_text(json.dumps({"skills": [{"skill": "language"}]}))
    assert memory.main(["--docs", "6,3", "--workers", "1", "--skillset", str(skillset),
                        "--out", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["docs"] for r in report["rows"]] == [3, 6]
    for row in report["rows"]:
        assert row["documents"]["indexed"] == row["docs"] and row["worker_processes"] == 1
        assert 0 < row["worker_peak_mb"] <= row["children_rusage_mb"]
        assert row["main_peak_mb"] > 0
    assert report["worker_peak_ratio"] > 0
