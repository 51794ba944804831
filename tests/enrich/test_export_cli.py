"""``enrich export`` on the command line: the summary, --json, and one clear line per
mistake; the documented schema names every exported column."""

from __future__ import annotations

import json
import re
import sys

import pytest
from typer.testing import CliRunner

import enrich.export
from enrich.cli import app
from enrich.export import TABLES
from enrich.testing.stores import small_store
from indexers.stores import DataDir, SqliteStore
from indexers.stores.sqlite_export import projection


@pytest.fixture
def data(tmp_path):
    return small_store(tmp_path / "data")


def run(*argv: str):
    return CliRunner().invoke(app, ["export", *map(str, argv)])


def one_line(result) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    return lines[0]


def test_prints_rows_per_file(data, tmp_path):
    result = run("--data", data, "--out", tmp_path / "out", "--format", "csv",
                 "--tables", "entities,mentions")
    assert result.exit_code == 0, result.output
    assert re.search(r"entities\.csv\s+4\b", result.stdout)
    assert re.search(r"mentions\.csv\s+8\b", result.stdout)
    assert "12 rows in 2 csv files" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["entities.csv", "mentions.csv"]


def test_json_output(data, tmp_path):
    result = run("--data", data, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["format"] == "jsonl"  # the default
    assert {t["table"]: t["rows"] for t in summary["tables"]}["entities"] == 4
    assert [t["table"] for t in summary["tables"]] == list(TABLES)


@pytest.mark.parametrize(("argv", "starts", "says"), [
    (["--tables", "entities,people"], "error E801:", "people"),
    (["--tables", ","], "error E801:", "the tables are documents,pages"),
    (["--format", "xlsx"], "error E802:", "'xlsx' is not one of jsonl, parquet, csv"),
])
def test_bad_arguments_are_one_line_each(data, tmp_path, argv, starts, says):
    line = one_line(run("--data", data, "--out", tmp_path / "out", *argv))
    assert line.startswith(starts) and says in line, line
    assert not (tmp_path / "out").exists()


def test_out_naming_a_file(data, tmp_path):
    (tmp_path / "file.txt").write_text("mine")
    line = one_line(run("--data", data, "--out", tmp_path / "file.txt"))
    assert line.startswith("error E803:") and "is a file" in line
    assert (tmp_path / "file.txt").read_text() == "mine"


def test_a_missing_out(data):
    line = one_line(run("--data", data))
    assert line.startswith("error E803:") and "missing --out DIR" in line


def test_a_missing_data_directory(tmp_path):
    line = one_line(run("--data", tmp_path / "nowhere", "--out", tmp_path / "out"))
    assert line.startswith("error E002:") and "nowhere" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "nowhere").exists()


def test_parquet_without_pyarrow_names_the_extra(data, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    line = one_line(run("--data", data, "--out", tmp_path / "out", "--format", "parquet"))
    assert line.startswith("error E003:") and "enrich[export]" in line
    assert not (tmp_path / "out").exists()
    assert run("--data", data, "--out", tmp_path / "out").exit_code == 0  # jsonl needs nothing


def test_help_explains_the_default_format():
    result = CliRunner().invoke(app, ["export", "--help"])
    assert result.exit_code == 0
    assert "jsonl (the default" in " ".join(result.stdout.split())


def test_the_documented_schema_names_every_column(data):
    """Each table's paragraph in ``enrich.export``'s docstring names all its columns."""
    doc = enrich.export.__doc__
    sections = dict(re.findall(r"``(\w+)`` - [^\n]*\n((?:    [^\n]*\n)+)", doc))
    assert list(sections) == list(TABLES)
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        for table in TABLES:
            p = projection(store, table, tree=True)
            words = set(re.findall(r"\w+", sections[table]))
            missing = [c.name for c in p.columns if c.name not in words]
            assert not missing, (table, missing)


def test_the_documented_pandas_example_runs(data, tmp_path, monkeypatch):
    """The worked example of ``enrich.export``'s docstring (and the README) runs as written."""
    code = enrich.export.__doc__.split(".. code-block:: python\n")[1]
    code = "\n".join(line[4:] for line in code.splitlines() if line.startswith("    ") or not line)
    assert run("--data", data, "--out", tmp_path / "out", "--format", "parquet").exit_code == 0
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "enrich.export example", "exec"), scope)
    assert scope["top"].name.iloc[0] == "Ilse Marwick" and len(scope["top"]) == 4
    where = scope["where"]
    assert list(where.text) == ["Ilse Marwick", "Marwick", "Ilse Marwick"]
    assert list(where.title) == ["Notes a1", "Notes a1", "Notes a2"]
    assert list(where.author) == ["R. Penhallow"] * 3
    authors = scope["docs"].author
    assert list(authors[:2]) == ["R. Penhallow"] * 2 and authors.isna()[2]
