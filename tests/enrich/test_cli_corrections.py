"""`enrich corrections`: applied at once to the graph and the search index, kept through
`--reindex`, undone, exported and imported all-or-nothing."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.enrich.test_cli_graph import index_with_dictionary, invoke

NAMES = "name,type\nVeskal,PERSON\nDunmar Works,ORG\nDunmar,ORG\nOrrin Bay,GPE\nTallow,ORG\n"
TEXTS = {"a.pdf": "Veskal joined Dunmar Works in Orrin Bay.",
         "b.pdf": "Veskal left Dunmar for Tallow.",
         "c.pdf": "Tallow bought Dunmar Works."}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("corrections-cli")
    index_with_dictionary(root, TEXTS, NAMES)
    return root


@pytest.fixture
def data(indexed, tmp_path):
    shutil.copytree(indexed / "data", tmp_path / "data")
    return tmp_path / "data"


def organizations(data):
    result = invoke("search", "*", "--data", data, "--facet", "organizations", "--json")
    assert result.exit_code == 0, result.output
    return {f["value"]: f["count"] for f in json.loads(result.stdout)["facets"]["organizations"]}


def entity(data, name):
    result = invoke("entities", name, "--data", data, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_merge_shows_in_the_graph_and_the_search_facets_at_once(data, indexed):
    assert organizations(data) == {"Dunmar Works": 2, "Dunmar": 1, "Tallow": 2}
    result = invoke("corrections", "add", "merge", "Dunmar", "--into", "ORG:dunmar works",
                    "--data", data, "--reason", "same firm", "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert (row["op"], row["entity"], row["target"]) == ("merge", "ORG:dunmar", "ORG:dunmar works")
    assert organizations(data) == {"Dunmar Works": 3, "Tallow": 2}
    # kept through a full re-index: the skills run again, the correction applies again
    result = invoke("index", indexed / "corpus", "--data", data, "--workers", 0, "--skillset",
                    indexed / "skillset.yaml", "--reindex")
    assert result.exit_code == 0, result.output
    assert organizations(data) == {"Dunmar Works": 3, "Tallow": 2}
    listed = json.loads(invoke("corrections", "list", "--data", data, "--json").stdout)
    assert [c["id"] for c in listed] == [row["id"]]
    result = invoke("corrections", "undo", row["id"], "--data", data)
    assert result.exit_code == 0, result.output
    assert organizations(data) == {"Dunmar Works": 2, "Dunmar": 1, "Tallow": 2}
    assert invoke("corrections", "list", "--data", data, "--json").stdout.strip() == "[]"
    assert len(json.loads(invoke("corrections", "list", "--all", "--data", data,
                                 "--json").stdout)) == 1


def test_export_and_import_move_corrections_to_another_corpus(data, indexed, tmp_path):
    for args in (["retype", "Tallow", "--type", "PERSON"],
                 ["rename", "ORG:dunmar works", "--name", "Dunmar Works Group"]):
        assert invoke("corrections", "add", *args, "--data", data).exit_code == 0
    exported = tmp_path / "fixes.jsonl"
    result = invoke("corrections", "export", exported, "--data", data)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert lines[0] == {"format": "enrich-corrections", "version": 1}
    assert [(line["op"], line["entity"]) for line in lines[1:]] == [
        ("retype", "ORG:tallow"), ("rename", "ORG:dunmar works")]
    other = tmp_path / "other"
    shutil.copytree(indexed / "data", other)
    result = invoke("corrections", "import", exported, "--data", other)
    assert result.exit_code == 0, result.output
    assert organizations(other) == {"Dunmar Works Group": 2, "Dunmar": 1}
    assert entity(other, "Tallow")[0]["type"] == "PERSON"


def test_a_bad_file_reports_every_bad_line_and_imports_nothing(data, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([
        json.dumps({"op": "accept", "entity": "ORG:tallow"}),
        "{not json",
        json.dumps({"op": "merge", "entity": "ORG:tallow", "into": "ORG:tallow"}),
        json.dumps({"op": "retype", "entity": "ORG:tallow"}),
    ]) + "\n")
    result = invoke("corrections", "import", bad, "--data", data)
    assert result.exit_code == 2
    assert "E120" in result.output and "3 bad line(s)" in result.output
    for number in (2, 3, 4):
        assert f"line {number}:" in result.output
    assert invoke("corrections", "list", "--data", data, "--json").stdout.strip() == "[]"


@pytest.mark.parametrize("lines, code, message", [
    ([{"format": "enrich-corrections", "version": 9}], "E120", "version 9"),
    ([{"op": "accept", "entity": "ORG:tallow"}, {"op": "reject", "entity": "ORG:nowhere"}],
     "E503", "line 2"),
    ([{"op": "merge", "entity": "ORG:dunmar", "into": "ORG:tallow"},
      {"op": "merge", "entity": "ORG:tallow", "into": "ORG:dunmar"}], "E511", "cycle"),
])
def test_an_import_that_cannot_apply_changes_nothing(data, tmp_path, lines, code, message):
    before = organizations(data)
    path = tmp_path / "fixes.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = invoke("corrections", "import", path, "--data", data)
    assert result.exit_code == 2 and code in result.output and message in result.output
    assert organizations(data) == before
    assert invoke("corrections", "list", "--data", data, "--json").stdout.strip() == "[]"


def test_dry_run_checks_against_the_corpus_and_applies_nothing(data, tmp_path):
    path = tmp_path / "fixes.jsonl"
    path.write_text(json.dumps({"op": "reject", "entity": "Tallow"}) + "\n")
    result = invoke("corrections", "import", path, "--data", data, "--dry-run")
    assert result.exit_code == 0 and "checked" in result.output
    assert "Tallow" in organizations(data)


def test_a_search_index_that_cannot_be_written_leaves_the_correction_saved(data, monkeypatch,
                                                                          caplog):
    import enrich.corrections

    def broken(store, index):
        raise OSError("disk full")

    monkeypatch.setattr(enrich.corrections, "sync_index", broken)
    result = invoke("corrections", "add", "reject", "Tallow", "--data", data)
    assert result.exit_code == 0, result.output
    assert "could not be brought up to date" in caplog.text
    monkeypatch.undo()
    assert [c["op"] for c in json.loads(invoke("corrections", "list", "--data", data,
                                                "--json").stdout)] == ["reject"]
    assert "Tallow" in organizations(data)  # the index is behind, the queue holds it
    assert invoke("corrections", "add", "accept", "Veskal", "--data", data).exit_code == 0
    assert "Tallow" not in organizations(data)  # the next correction's sync caught up
