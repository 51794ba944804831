"""`enrich cache prune`: the enrichment cache kept within bounds from the shell."""

import json
import re
import os

import pytest
from typer.testing import CliRunner

from enrich.cache import FILE_NAME
from enrich.cli.app import app
from enrich.cli.common import parse_size
from indexers.stores import DataDir
from tests.enrich.toy_skills import Upper

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def data(tmp_path):
    """A data directory indexed once: 3 text files (80 kB, incompressible), cracked and
    upper-cased, cached."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(3):
        (folder / f"note{n}.txt").write_text(f"note {n} " + os.urandom(40_000).hex())
    skillset = tmp_path / "skillset.yaml"
    skillset.write_text("skills: [toy-upper]\n")
    path = tmp_path / "data"
    result = invoke("index", folder, "--data", path, "--skillset", skillset, "--workers", 0,
                    "--json")
    assert result.exit_code == 0, result.output
    return path


def prune(data, *args):
    result = invoke("cache", "prune", "--data", data, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_older_than_keeps_what_the_last_run_used(data):
    out = prune(data, "--older-than", 1)
    assert out["removed"] == {"entries": 0, "bytes": 0}
    assert out["left"]["entries"] == 6  # 3 cracked files, 3 pages upper-cased
    assert out["path"] == str(DataDir(data).cache / FILE_NAME)


def disk(data):
    """Bytes the cache takes on disk (its file and write-ahead log)."""
    return sum(p.stat().st_size for p in DataDir(data).cache.glob(FILE_NAME + "*"))


def test_max_size_evicts_and_gives_the_space_back(data):
    size = disk(data)
    assert size > 3 * 80_000
    out = prune(data, "--max-size", "0")
    assert out["removed"]["entries"] == 6 and out["removed"]["bytes"] > 3 * 80_000
    assert out["left"] == {"entries": 0, "bytes": 0}
    assert disk(data) < 100_000  # vacuumed


def test_max_size_keeps_the_most_recently_used(data):
    out = prune(data, "--max-size", "150kB")
    assert 0 < out["left"]["bytes"] <= 150 * 1024 and out["removed"]["entries"] >= 1


def test_what_was_pruned_is_computed_again(data, tmp_path):
    prune(data, "--max-size", "0")
    Upper.calls.clear()
    result = invoke("index", tmp_path / "docs", "--data", data, "--skillset",
                    tmp_path / "skillset.yaml", "--workers", 0, "--reindex", "--json")
    assert result.exit_code == 0, result.output
    assert sum(Upper.calls) == 3
    assert prune(data, "--older-than", 1)["left"]["entries"] == 6


def test_the_line_says_what_went_and_what_is_left(data):
    result = invoke("cache", "prune", "--data", data, "--max-size", "1GB")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed 0 entries (0 B) from ")
    assert result.stdout.rstrip().endswith("; 6 left (" + result.stdout.split("(")[-1].strip())


@pytest.mark.parametrize("args, message", [
    ((), "say what to keep: --max-size SIZE, --older-than DAYS, or both"),
    (("--max-size", "lots"), "--max-size: 'lots': use a number of bytes"),
])
def test_bad_arguments_are_usage_errors(data, args, message):
    result = invoke("cache", "prune", "--data", data, *args)
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # Rich's error box
    assert result.exit_code == 2 and "Invalid value" in said and message in said


def test_a_data_directory_without_a_store_is_refused(tmp_path):
    result = invoke("cache", "prune", "--data", tmp_path / "nothing", "--max-size", "1G")
    assert result.exit_code == 2 and "error E002" in result.output
    assert not (tmp_path / "nothing").exists()


def test_a_data_directory_without_a_cache_prunes_nothing(data):
    (DataDir(data).cache / FILE_NAME).unlink()
    out = prune(data, "--max-size", "0")
    assert out["removed"] == {"entries": 0, "bytes": 0} and out["left"]["entries"] == 0
    assert not (DataDir(data).cache / FILE_NAME).exists()


@pytest.mark.parametrize("text, size", [("1000", 1000), ("64k", 65536), ("500 MB", 500 << 20),
                                        ("2GiB", 2 << 30), ("1.5G", 3 << 29), ("1tb", 1 << 40)])
def test_sizes(text, size):
    assert parse_size(text) == size
