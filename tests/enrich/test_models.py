"""`enrich models list|pull` and the run-wide --device default."""

import json

import huggingface_hub
import pytest
from typer.testing import CliRunner

from skills.base import RunContext

from enrich.cli.app import app
from enrich.engine import Engine
from enrich.errors import SkillsetError
from enrich.plan import build_plan
from enrich.skillset import Skillset

runner = CliRunner()


def skillset_file(tmp_path, folder):
    path = tmp_path / "s.yaml"
    path.write_text(f"skills:\n  - toy-hub\n  - skill: toy-hub\n    name: local\n"
                    f"    outputs: {{hub: hub2}}\n    params: {{model: {folder}}}\n  - language\n")
    return path


def test_list_shows_what_is_present_and_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    folder = tmp_path / "my-model"
    folder.mkdir()
    result = runner.invoke(app, ["models", "list", "--skillset", str(skillset_file(tmp_path, folder)), "--json"])
    rows = {r["skill"]: r for r in json.loads(result.stdout)}
    assert rows["toy-hub"]["present"] is False and rows["toy-hub"]["name"] == "toy-org/toy-model"
    assert rows["local"]["present"] is True and rows["local"]["where"] == str(folder)
    assert rows["language"]["source"] == "bundled" and rows["language"]["present"] is True


def test_pull_downloads_only_missing_hub_models(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    calls = []

    def fake_download(repo_id, **kwargs):
        calls.append(repo_id)
        return str(tmp_path / "hf" / repo_id)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    folder = tmp_path / "my-model"
    folder.mkdir()
    result = runner.invoke(app, ["models", "pull", "--skillset", str(skillset_file(tmp_path, folder)), "--json"])
    assert result.exit_code == 0, result.output
    assert calls == ["toy-org/toy-model"]
    actions = {r["skill"]: r["action"] for r in json.loads(result.stdout)}
    assert actions == {"toy-hub": "downloaded", "local": "present", "language": "present"}


def test_pull_failure_exits_1(tmp_path, monkeypatch):
    def no_network(repo_id, **kwargs):
        raise OSError("no route to the hub")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    result = runner.invoke(app, ["models", "pull", "--skillset", str(skillset_file(tmp_path, tmp_path))])
    assert result.exit_code == 1 and "failed: OSError: no route to the hub" in result.stdout


def test_the_run_device_reaches_device_skills_unless_they_set_their_own():
    skillset = Skillset.from_dict({"skills": ["toy-hub", {"skill": "toy-hub", "name": "own",
                                                          "outputs": {"hub": "own"},
                                                          "params": {"device": "cuda:1!"}},
                                              "toy-upper"]})
    doc = {"uri": "u", "content": "x", "pages": [{"number": 1, "text": "x"}]}
    Engine(build_plan(skillset), context=RunContext(device="cpu")).run_documents([doc])
    assert doc["hub"] == "cpu" and doc["own"] == "cuda:1!"
    assert doc["pages"][0]["upper"] == "X"  # a skill without a device runs as ever


def test_a_bad_device_of_a_skill_is_a_skillset_error():
    skillset = Skillset.from_dict({"skills": [{"skill": "toy-hub", "params": {"device": "tpu"}}]})
    with pytest.raises(SkillsetError, match=r"skill 'toy-hub': unknown device 'tpu': use auto"):
        build_plan(skillset)


def test_a_worker_process_gets_the_run_device_and_its_share_of_the_cores(tmp_path):
    from enrich.worker import WorkerConfig, start_worker

    config = WorkerConfig(source_uri=str(tmp_path), context=RunContext(device="cpu", threads=8))
    worker = start_worker(Skillset.from_dict({"skills": ["toy-hub"]}), config, processes=4)
    assert worker.engine.context == RunContext(device="cpu", threads=2)
    doc = {"uri": "u", "content": "x"}
    worker.engine.run_documents([doc])
    assert doc["hub"] == "cpu"
