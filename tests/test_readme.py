"""Every example in README.md runs (STYLE: examples that rot are worse than none)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from indexers.stores.tantivy_query import locate

from enrich.engine import Engine
from enrich.registry import register
from enrich.plan import build_plan
from enrich.skillset import Skillset

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_quick_start_commands_are_the_makefile_demo():
    makefile = (ROOT / "Makefile").read_text()
    for command in blocks("bash")[1].strip().splitlines():
        args = command.replace(".venv/bin/", "$(BIN)/").replace("enrich-data", "$(DATA)")
        assert args in makefile, f"README command not in `make demo`: {command}"


@pytest.mark.slow
def test_python_example_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    code, = blocks("python")[:1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "celtics-vs-warriors-game-notes.pdf" in out.stdout


def test_skill_example_runs_through_the_engine():
    namespace = {}
    exec(blocks("python")[1], namespace)
    register(namespace["Shout"])
    doc = {"uri": "u", "pages": [{"number": 1, "text": "hi"}]}
    Engine(build_plan(Skillset.from_dict({"skills": ["shout"]}))).run_documents([doc])
    assert doc["pages"][0]["shouted"] == "HI"


def test_skillset_example_is_valid():
    plan = build_plan(Skillset.from_dict(yaml.safe_load(blocks("yaml")[0])))
    assert [b.name for b in plan.document_skills] == ["language", "entities", "phrases"]
    assert [b.name for b in plan.corpus_skills] == ["keyphrases"]
    entities, = [b for b in plan.skills if b.name == "entities"]
    assert entities.spec.params["labels"] == ["PERSON", "ORG", "GPE"]


@pytest.mark.slow  # a subprocess per command's --help
def test_json_examples_parse_and_cli_options_exist():
    summary, result, error = (json.loads(b) for b in blocks("json"))
    assert set(summary["documents"]) == {"seen", "indexed", "unchanged", "partial", "failed", "deleted"}
    assert set(result) == {"count", "mode", "results", "facets"}
    assert {"chunk", "ranks"} <= set(result["results"][0])
    usage = re.search(r"```\nenrich index.*?```", README, flags=re.S).group(0)
    assert set(error["error"]) == {"status", "code", "message", "details"}
    query = re.search(r"cannot parse query '(.*?)' at", error["error"]["message"]).group(1)
    assert locate(query) == (error["error"]["details"]["position"], "this quote is never closed")
    for command in ("index", "search", "status", "skills", "serve"):
        help_text = subprocess.run([sys.executable, "-m", "enrich", command, "--help"],
                                   capture_output=True, text=True, env={"COLUMNS": "200", "PATH": ""}).stdout
        line = usage.split(f"enrich {command}")[1].split("\nenrich ")[0]
        for option in re.findall(r"--[a-z-]+", line):
            assert option in help_text, f"{option} missing from `enrich {command} --help`"


@pytest.mark.slow  # a subprocess per command's --help
def test_graph_commands_in_the_usage_block_exist():
    usage = re.search(r"```\nenrich index.*?```", README, flags=re.S).group(0)
    for command in ("entities", "graph neighbors", "graph evidence", "graph path",
                    "graph export", "cache prune", "eval entities", "eval graph",
                    "corrections add", "corrections list", "corrections undo",
                    "corrections export", "corrections import", "train entities",
                    "train dictionary", "export", "review", "eval retrieval", "similar"):
        help_text = subprocess.run([sys.executable, "-m", "enrich", *command.split(), "--help"],
                                   capture_output=True, text=True,
                                   env={"COLUMNS": "200", "PATH": ""}).stdout
        line = usage.split(f"enrich {command}")[1].split("\nenrich ")[0]
        assert re.findall(r"--[a-z-]+", line)
        for option in re.findall(r"--[a-z-]+", line):
            assert option in help_text, f"{option} missing from `enrich {command} --help`"


def test_dictionary_example_builds_a_skillset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "codenames.csv").write_text(blocks("csv")[0])
    snippet, = [yaml.safe_load(b) for b in blocks("yaml") if "skill: entity_lookup" in b]
    plan = build_plan(Skillset.from_dict({"skills": [{"skill": "merge"}, *snippet["skills"],
                                                     {"skill": "entities"}],
                                          "entities": snippet["entities"]}))
    lookup, = [b for b in plan.skills if b.name == "entity_lookup"]
    found = lookup.skill().run([{"text": "Oswald and AM/TRUNK; later AMTRUNC."}])
    assert [(e["name"], e["type"], e["text"]) for e in found[0]["lookup_entities"]] == [
        ("Lee Harvey Oswald", "PERSON", "Oswald"), ("AMTRUNK", "CRYPTONYM", "AM/TRUNK"),
        ("AMTRUNK", "CRYPTONYM", "AMTRUNC")]


@pytest.mark.slow
def test_notebook_example_runs(tmp_path):
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    code = blocks("python")[2]
    assert "KnowledgeGraph.open" in code
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "LeBron James" in out.stdout and "Nike" in out.stdout
    assert "entities," in out.stdout and "links" in out.stdout
    import networkx as nx
    from graph.export import read
    assert "PERSON:lebron james" in read(tmp_path / "lebron.gexf")
    assert "PERSON:lebron james" in nx.read_graphml(tmp_path / "lebron-ego.graphml")
