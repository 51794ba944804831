"""`enrich index` with a skillset holding an Azure custom Web API skill definition,
unchanged but for enrich's allow-list, against a local endpoint started by the test."""

import json

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.searching import search
from enrich.testing.webapi_server import SkillServer

runner = CliRunner()

AZURE_DEFINITION = {  # as Azure exports it; only allowed_hosts is enrich's
    "@odata.type": "#Microsoft.Skills.Custom.WebApiSkill",
    "name": "words",
    "description": "Upper-cased words of the document",
    "context": "/document",
    "uri": None,
    "httpMethod": "POST",
    "timeout": "PT30S",
    "batchSize": 2,
    "degreeOfParallelism": 2,
    "httpHeaders": {"x-functions-key": "${WEBAPI_E2E_KEY}"},
    "inputs": [{"name": "text", "source": "/document/content"}],
    "outputs": [{"name": "words", "targetName": "shout"}, {"name": "count"}],
}


def write_skillset(path, uri):
    definition = {**AZURE_DEFINITION, "uri": uri, "allowed_hosts": ["127.0.0.1"]}
    path.write_text(json.dumps({"skills": [definition], "fields": {
        "shout": {"source": "/document/shout", "type": "keyword", "facetable": True},
        "count": {"source": "/document/count", "type": "number", "filterable": True}}}))


@pytest.fixture
def folder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in [("a.txt", "red fox"), ("b.txt", "blue fox jumps"),
                       ("c.txt", "FAIL here"), ("d.txt", "WARN there")]:
        (docs / name).write_text(text)
    return docs


def test_index_runs_an_azure_web_api_skill(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WEBAPI_E2E_KEY", "e2e-key")
    skillset, data = tmp_path / "skillset.json", tmp_path / "data"
    with SkillServer() as server:
        write_skillset(skillset, server.url("/api/words"))
        result = runner.invoke(app, ["index", str(folder), "--data", str(data), "--skillset",
                                     str(skillset), "--workers", "0", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"]["indexed"] == 4 and summary["documents"]["failed"] == 0
    assert len(server.requests) == 2  # 4 documents, batchSize 2
    assert {r.headers["x-functions-key"] for r in server.requests} == {"e2e-key"}
    messages = " | ".join(e["message"] for e in summary["errors"])
    assert "skill words at /document: the web API says: cannot read this text" in messages
    assert "skill words at /document: warning: this text asked for a warning" in messages
    everything = search(data, "*", facets=["shout"])
    shouts = {b["value"]: b["count"] for b in everything.facets["shout"]}
    assert shouts["FOX"] == 2 and shouts["JUMPS"] == 1 and "FAIL" not in shouts
    assert search(data, "*", filters={"count": ["3"]}).count == 1


def test_a_dead_endpoint_fails_its_records_and_the_run_goes_on(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WEBAPI_E2E_KEY", "e2e-key")
    skillset, data = tmp_path / "skillset.json", tmp_path / "data"
    with SkillServer() as server:
        uri = server.url("/api/words")
    write_skillset(skillset, uri)  # the server is gone
    definition = json.loads(skillset.read_text())
    definition["skills"][0].update(max_attempts=1)
    skillset.write_text(json.dumps(definition))
    result = runner.invoke(app, ["index", str(folder), "--data", str(data), "--skillset",
                                 str(skillset), "--workers", "0", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"]["indexed"] == 4 and summary["documents"]["partial"] == 4
    assert all("cannot connect" in e["message"] for e in summary["errors"])


def test_a_missing_header_variable_stops_before_any_document(folder, tmp_path, monkeypatch):
    monkeypatch.delenv("WEBAPI_E2E_KEY", raising=False)
    skillset = tmp_path / "skillset.json"
    write_skillset(skillset, "https://skills.example.com/api/words")
    result = runner.invoke(app, ["index", str(folder), "--data", str(tmp_path / "data"),
                                 "--skillset", str(skillset), "--workers", "0"])
    assert result.exit_code == 2
    assert "E860" in result.output and "WEBAPI_E2E_KEY" in result.output
