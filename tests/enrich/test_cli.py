"""The `enrich` commands, in process through Typer's runner."""

import json

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def indexed(corpus, tmp_path):
    data = tmp_path / "data"
    result = invoke("index", corpus, "--data", data, "--workers", 0, "--json")
    assert result.exit_code == 0, result.output
    return data


def test_index_json_summary_shape(corpus, tmp_path):
    result = invoke("index", corpus, "--data", tmp_path / "d", "--workers", 0, "--json")
    summary = json.loads(result.stdout)
    assert set(summary) >= {"run_id", "documents", "errors", "skills", "seconds"}
    assert summary["documents"]["indexed"] == 5
    assert summary["skills"]["entities"]["model"].startswith("en_core_web_sm")
    assert summary["skills"]["entities"]["disabled"] is None


def test_search_json_with_facets_and_filters(indexed):
    result = invoke("search", "Nike", "--data", indexed, "--facet", "people",
                    "--filter", "file_type=pdf", "--json", "--mode", "keyword")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["count"] == 1 and out["results"][0]["uri"].endswith("notes1.pdf")
    assert {"value": "LeBron James", "count": 1} in out["facets"]["people"]


def test_search_human_output_shows_highlights(indexed):
    result = invoke("search", "quixotic", "--data", indexed, "--mode", "keyword")
    assert "1 documents match 'quixotic' (keyword)" in result.stdout
    assert "quixotic" in result.stdout.split("\n", 1)[1]


@pytest.mark.parametrize("args, message", [
    (("search", "title:(", "--syntax", "strict"), "title:("),
    (("search", "x", "--facet", "colour"), "keyword fields are"),
    (("search", "x", "--filter", "people"), "expected FIELD=VALUE"),
])
def test_bad_search_input_is_a_clear_error(indexed, args, message):
    result = invoke(*args, "--data", indexed)
    assert result.exit_code == 2
    assert message in result.output


def test_search_without_an_index_says_how_to_make_one(tmp_path):
    result = invoke("search", "x", "--data", tmp_path / "nothing")
    assert result.exit_code == 2 and "enrich index" in result.output


def test_index_errors_before_any_document(corpus, tmp_path):
    missing = invoke("index", tmp_path / "nope", "--data", tmp_path / "d")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    skillset = tmp_path / "s.yaml"
    skillset.write_text("skills:\n  - skill: entities\n    inputs: {text: /document/body}\n")
    bad = invoke("index", corpus, "--data", tmp_path / "d", "--skillset", skillset)
    assert bad.exit_code == 2
    assert "/document/body, which nothing produces" in bad.output
    assert "/document/pages/*/text" in bad.output
    assert not (tmp_path / "d" / "enrich.sqlite").exists()


def test_status_and_skills(indexed):
    status = json.loads(invoke("status", "--data", indexed, "--json").stdout)
    assert status["stats"]["documents"] == 5
    assert status["runs"][0]["summary"]["documents"]["indexed"] == 5
    top = {(e["a_name"], e["b_name"]) for e in status["top_edges"]}
    assert ("Nike", "LeBron James") in top or ("LeBron James", "Nike") in top
    skills = {s["name"]: s for s in json.loads(invoke("skills", "--json").stdout)}
    assert {"language", "ngrams", "keyphrases", "entities"} <= set(skills)
    assert skills["keyphrases"]["corpus"] is True


def test_settings_come_from_the_environment(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICH_DATA", str(tmp_path / "envdata"))
    monkeypatch.setenv("ENRICH_WORKERS", "0")
    assert invoke("index", corpus, "--json").exit_code == 0
    assert (tmp_path / "envdata" / "enrich.sqlite").exists()
    monkeypatch.setenv("ENRICH_WORKERS", "many")
    result = invoke("index", corpus)
    assert result.exit_code == 2 and "ENRICH_WORKERS='many' is not valid" in result.output


@pytest.mark.parametrize("flag", [["--limit", "-1"], ["--max-failed", "-1"], ["--workers", "-2"],
                                  ["--batch-size", "0"], ["--device", "tpu"]])
def test_bad_flag_values_are_refused(corpus, tmp_path, flag):
    result = invoke("index", corpus, "--data", tmp_path / "d", *flag)
    assert result.exit_code == 2
    assert not (tmp_path / "d" / "enrich.sqlite").exists()


def test_a_broken_plugin_is_reported_not_fatal(monkeypatch):
    from enrich import registry

    class Broken:
        name, value = "broken", "nowhere:Nothing"

        def load(self):
            raise ImportError("cannot import name 'Nothing'")

    monkeypatch.setattr(registry, "_entry_points", lambda: {"broken": Broken()})
    result = invoke("skills", "--json")
    assert result.exit_code == 0
    row, = [r for r in json.loads(result.stdout) if r["name"] == "broken"]
    assert "failed to load: ImportError" in row["error"]


def test_settings_come_from_the_config_file(corpus, tmp_path, monkeypatch):
    config = tmp_path / "enrich.yaml"
    config.write_text(f"data: {tmp_path / 'filedata'}\nworkers: '0'\n")
    monkeypatch.setenv("ENRICH_CONFIG", str(config))
    assert invoke("index", corpus, "--json").exit_code == 0
    assert (tmp_path / "filedata" / "enrich.sqlite").exists()
    config.write_text("workers: many\n")
    result = invoke("index", corpus)
    assert result.exit_code == 2 and "workers='many' is not valid" in result.output


def test_text_that_looks_like_markup_is_printed_as_it_is(tmp_path):
    """Titles, paths and queries are text: Rich markup in them is neither run nor lost."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("# Budget [/x] and [draft] plans\n\nQuorvane counted the "
                                   "harbour ledgers twice.\n")
    data = tmp_path / "d[/x]"
    assert invoke("index", docs, "--data", data, "--workers", 0, "--json").exit_code == 0
    found = invoke("search", "Quorvane", "--data", data)
    assert found.exit_code == 0, found.output
    assert "Budget [/x] and [draft] plans" in found.output
    status = invoke("status", "--data", data)
    assert status.exit_code == 0 and "d[/x]" in status.output, status.output
    nothing = invoke("entities", "[/x]", "--data", data)
    assert nothing.exit_code == 0 and "no entity matches '[/x]'" in nothing.output


def test_ctrl_c_keeps_what_was_enriched_and_says_so(corpus, tmp_path, monkeypatch):
    from enrich.worker import Worker
    real, calls = Worker.process, []

    def interrupted_third(self, batch):
        calls.append(batch)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, batch)

    monkeypatch.setattr(Worker, "process", interrupted_third)
    data = tmp_path / "data"
    result = invoke("index", corpus, "--data", data, "--workers", 0, "--batch-size", 1,
                    "--commit-seconds", 3600)
    assert result.exit_code == 130
    assert "interrupted (Ctrl-C): what was committed is kept" in result.output
    status = json.loads(invoke("status", "--data", data, "--json", "--runs", 1).stdout)
    assert status["runs"][0]["status"] == "interrupted"
    assert sum(status["stats"]["sources"].values()) == 2  # the two enriched before Ctrl-C
    monkeypatch.setattr(Worker, "process", real)
    again = json.loads(invoke("index", corpus, "--data", data, "--workers", 0, "--json").stdout)
    assert again["documents"]["unchanged"] == 2 and again["documents"]["failed"] == 0
