"""The Ray runner gives the same store and index as the local one (on the samples)."""

import shutil
import sqlite3
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from enrich.indexer import IndexOptions, run_index
from enrich.plan import build_plan
from enrich.runners.ray import Stage, _ordered, actor_cpus, pool_size, split_stages
from enrich.searching import search
from enrich.skillset import Skillset
from skills.base import RunContext

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"

SKILLSET = {
    "skills": [{"skill": "ocr", "params": {"engine": "rapidocr"}}, "merge", "join",
               {"skill": "language", "inputs": {"text": "/document/merged_content"}},
               {"skill": "entities", "inputs": {"text": "/document/pages/*/merged_text"}}],
    "entities": ["/document/pages/*/entities"],
    "fields": {"language": "/document/language"},
}

QUERIES = ["Lakers", "Celtics", "scouting", "basketball", "memo"]

TABLES = {
    "documents": "SELECT id, uri, status, title, content, fields, warnings FROM documents",
    "pages": "SELECT doc_id, number, text FROM pages",
    "mentions": "SELECT doc_id, entity_key, page, start, end FROM mentions",
    "edges": "SELECT scope, a, b, count, documents FROM edges",
    "entities": "SELECT key, type, name, documents, mentions FROM entities",
    "sources": "SELECT uri, sha256, status, stage FROM sources",
}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield ray
    ray.shutdown()


def _tables(data: Path) -> dict:
    with sqlite3.connect(data / "enrich.sqlite") as db:
        return {name: sorted(db.execute(sql).fetchall(), key=repr)
                for name, sql in TABLES.items()}


def _searches(data: Path) -> dict:
    out = {}
    for query in QUERIES:
        found = search(data, query)
        out[query] = (found.count, sorted(r["id"] for r in found.results))
    return out


@pytest.mark.slow
def test_ray_gives_the_same_store_and_index_as_local(local_ray, tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLES, folder)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    a = run_index(str(folder), IndexOptions(data_dir=str(local), workers=2, skillset=SKILLSET,
                                                batch_size=2))
    b = run_index(str(folder), IndexOptions(data_dir=str(on_ray), workers=2, engine="ray",
                                            skillset=SKILLSET, batch_size=2))
    assert a.documents == b.documents
    assert a.documents["indexed"] > 0
    assert {n: s["disabled"] for n, s in a.skills.items()} == \
        {n: s["disabled"] for n, s in b.skills.items()}
    assert {n: s["ran"] + s["cached"] for n, s in a.skills.items()} == \
        {n: s["ran"] + s["cached"] for n, s in b.skills.items()}
    tables = _tables(local)
    assert tables["documents"] and tables["mentions"]
    assert tables == _tables(on_ray)
    assert _searches(local) == _searches(on_ray)


@pytest.mark.slow
def test_split_stages_run_on_cpu_give_the_same_results(local_ray, tmp_path, monkeypatch):
    """The CPU / GPU / CPU pipeline, its middle stage on CPU here (no GPU in CI)."""
    from enrich.runners import ray as ray_runner
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLES, folder)
    stages = [Stage(("ocr",), first=True), Stage(("merge", "join"), gpu=False),
              Stage(("language", "entities"), last=True)]
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    a = run_index(str(folder), IndexOptions(data_dir=str(local), workers=0, skillset=SKILLSET,
                                            batch_size=3))
    monkeypatch.setattr(ray_runner, "split_stages", lambda plan, gpus, context: stages)
    b = run_index(str(folder), IndexOptions(data_dir=str(on_ray), workers=1, engine="ray",
                                            skillset=SKILLSET, batch_size=3))
    assert _tables(local) == _tables(on_ray)
    # every stage's counts reach the summary once, as in one process
    assert {n: s["ran"] + s["cached"] for n, s in a.skills.items()} == \
        {n: s["ran"] + s["cached"] for n, s in b.skills.items()}


def _plan(skills):
    return build_plan(Skillset.load({"skills": skills}))


def test_split_stages_put_device_skills_in_the_gpu_stage():
    plan = _plan(["ocr", "caption", "tags", "merge", "join", "language"])
    assert split_stages(plan, gpus=0) == [
        Stage(("ocr", "caption", "tags", "merge", "join", "language"), first=True, last=True)]
    assert split_stages(plan, gpus=1) == [
        Stage(("ocr",), first=True), Stage(("caption", "tags"), gpu=True),
        Stage(("merge", "join", "language"), last=True)]


def test_split_stages_keep_cpu_pinned_and_deviceless_skills_on_cpu():
    plan = _plan([{"skill": "caption", "params": {"device": "cpu"}}, "language"])
    assert split_stages(plan, gpus=1) == [Stage(("caption", "language"), first=True, last=True)]
    plan = _plan(["caption", "merge", "join"])
    assert split_stages(plan, gpus=2) == [
        Stage((), first=True), Stage(("caption",), gpu=True), Stage(("merge", "join"), last=True)]
    plan = _plan(["ocr", "caption"])
    assert split_stages(plan, gpus=1) == [
        Stage(("ocr",), first=True), Stage(("caption",), gpu=True, last=True)]
    assert split_stages(plan, 1, RunContext(device="cpu")) == [  # enrich index --device cpu
        Stage(("ocr", "caption"), first=True, last=True)]


@pytest.mark.parametrize("cpus, workers, stages, size", [
    (2, 2, 1, 1), (2, 0, 1, 1), (1, 0, 1, 1), (8, 0, 1, 7), (8, 3, 1, 3), (8, 0, 2, 3),
    (16, 0, 2, 7)])
def test_pool_size_leaves_a_cpu_for_the_driver(monkeypatch, cpus, workers, stages, size):
    monkeypatch.setattr(ray, "available_resources", lambda: {"CPU": float(cpus)})
    assert pool_size(workers, stages) == size


def test_actor_cpus_fit_every_stage_in_the_spare_cpus(monkeypatch):
    monkeypatch.setattr(ray, "available_resources", lambda: {"CPU": 2.0})
    assert actor_cpus(1) == 1.0
    assert actor_cpus(3) == pytest.approx(1 / 3)
    monkeypatch.setattr(ray, "available_resources", lambda: {"CPU": 16.0})
    assert actor_cpus(14) == 1.0


def test_a_batch_that_never_came_back_fails_its_items_at_stage_worker():
    import pickle

    from enrich.worker import BatchResult
    todo = [[("a", None)], [("b", None), ("c", None)], [("d", None)]]
    rows = [{"index": 1, "payload": pickle.dumps(BatchResult([], {"x": {}}))}]
    results = list(_ordered(iter(rows), todo))
    assert len(results) == 3
    assert [(r.item, r.status, r.stage) for r in results[0].items] == [("a", "failed", "worker")]
    assert results[1].skills == {"x": {}}
    assert [r.item for r in results[2].items] == ["d"] and results[2].items[0].stage == "worker"


def test_results_out_of_order_stop_the_run_rather_than_commit_out_of_order():
    import pickle

    from enrich.runners import RunnerError
    from enrich.worker import BatchResult
    rows = iter([{"index": 1, "payload": pickle.dumps(BatchResult([], {}))},
                 {"index": 0, "payload": pickle.dumps(BatchResult([], {}))}])
    found = _ordered(rows, [[], []])
    next(found)  # batch 0 missing before 1: reported lost
    next(found)  # batch 1
    with pytest.raises(RunnerError, match="returned batch 0 after batch 1"):
        next(found)
