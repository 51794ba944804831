"""The runner contract: every runner (local inline, local processes, Ray) takes the
same batches and yields the same results, one per batch, in submission order, with
the skill counts of every record; a retried batch counts like a normal one."""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import Future
from functools import reduce

import pytest
from pebble import ProcessExpired

from indexers.sources import LocalSource

from enrich.errors import MissingPackage
from enrich.runners import RunnerError, open_runner
from enrich.runners.local import LocalRunner
from enrich.skillset import Skillset
from enrich.testing import factories
from enrich.worker import Worker, WorkerConfig, merge_skills

SKILLSET = {"skills": ["language", "ngrams"]}
TEXTS = ["Ada Lovelace wrote the first program.", "Der Hund schläft im Garten.",
         "Le chat dort sur le canapé.", "Grace Hopper found a moth in the relay.",
         "El perro duerme en el jardín."]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("items")
    for n, text in enumerate(TEXTS):
        (folder / f"t{n}.txt").write_text(text)
    factories.zero_byte_pdf(folder / "t5-empty.pdf")  # fails at stage crack
    return folder


@pytest.fixture(scope="module")
def batches(folder):
    items = sorted(LocalSource(str(folder)).list(), key=lambda i: i.name)
    return [[(item, None) for item in items[n:n + 2]] for n in range(0, len(items), 2)]


@pytest.fixture(params=["inline", "local", pytest.param("ray", marks=pytest.mark.slow)])
def runner(request, folder, tmp_path):
    config = WorkerConfig(source_uri=str(folder), cache_dir=str(tmp_path / "cache"))
    skillset = Skillset.load(SKILLSET)
    if request.param == "ray":
        ray = pytest.importorskip("ray")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        request.addfinalizer(ray.shutdown)
    name, workers = {"inline": ("local", 0), "local": ("local", 1), "ray": ("ray", 1)}[request.param]
    with open_runner(name, skillset, config, workers=workers, doc_timeout=60) as opened:
        yield opened


def test_results_come_one_per_batch_in_submission_order(runner, batches):
    results = list(runner.run(batches))
    assert [[r.item.name for r in result.items] for result in results] == \
        [[item.name for item, _ in batch] for batch in batches]
    statuses = {r.item.name: (r.status, r.stage) for result in results for r in result.items}
    assert statuses["t5-empty.pdf"] == ("failed", "crack")
    assert all(statuses[f"t{n}.txt"] == ("ok", "") for n in range(len(TEXTS)))
    languages = [r.documents[0]["language"] for result in results for r in result.items
                 if r.status == "ok"]
    assert languages[:3] == ["en", "de", "fr"]


def test_skill_counts_add_up_to_every_record_once(runner, batches):
    skills = reduce(merge_skills, (r.skills for r in runner.run(batches)), {})
    assert skills["language"]["ran"] + skills["language"]["cached"] == len(TEXTS)
    assert skills["ngrams"]["ran"] + skills["ngrams"]["cached"] == len(TEXTS)
    assert skills["language"]["disabled"] is None


def test_graph_parts_are_worked_out_by_the_runner(runner, batches):
    docs = [d for result in runner.run(batches) for r in result.items for d in r.documents]
    assert docs and all("_graph" in doc for doc in docs)


def test_an_empty_run_yields_nothing(runner):
    assert list(runner.run([])) == []


def test_closing_a_local_runner_part_way_leaves_no_process(folder, batches, tmp_path):
    config = WorkerConfig(source_uri=str(folder))
    runner = open_runner("local", Skillset.load(SKILLSET), config, workers=1, doc_timeout=60)
    results = runner.run(batches)
    first = next(results)
    assert [r.item.name for r in first.items] == [item.name for item, _ in batches[0]]
    runner.close()  # two batches still in flight: abandoned, not waited for
    assert multiprocessing.active_children() == []


def test_an_unknown_runner_is_refused(folder):
    with pytest.raises(RunnerError, match="unknown engine 'spark'"):
        open_runner("spark", Skillset.load(SKILLSET), WorkerConfig(str(folder)), workers=0,
                    doc_timeout=1)


def test_a_missing_ray_is_a_missing_package(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails
    with pytest.raises(MissingPackage) as found:
        open_runner("ray", Skillset.load(SKILLSET), WorkerConfig(str(folder)), workers=0,
                    doc_timeout=1)
    assert (found.value.package, found.value.extra, found.value.feature) == \
        ("ray", "ray", "--engine ray")


class RetryingRunner(LocalRunner):
    """The local runner with its pool replaced by a worker in this process whose
    processes 'die' on every batch of more than one item, so each is retried alone."""

    def __init__(self, skillset: Skillset, worker: Worker) -> None:
        super().__init__(skillset, worker.config, workers=1, doc_timeout=60)
        self.worker, self.retried = worker, 0

    def _schedule(self, batch):
        future = Future()
        if len(batch) > 1:
            self.retried += 1
            future.set_exception(ProcessExpired("killed", code=-9))
        else:
            future.set_result(self.worker.process(batch))
        return future


def _worker(folder, cache, batch):
    """A worker with its own cache, holding the first item's outputs already."""
    worker = Worker(Skillset.load(SKILLSET), WorkerConfig(str(folder), cache_dir=str(cache)))
    worker.process(batch[:1])
    worker.engine.take_counts()
    return worker


def test_a_retried_batch_counts_like_a_normal_one(folder, batches, tmp_path):
    batch = batches[0] + batches[1]  # four text items, the first already cached
    normal = _worker(folder, tmp_path / "a", batch).process(batch)
    retrying = RetryingRunner(Skillset.load(SKILLSET), _worker(folder, tmp_path / "b", batch))
    retried, = list(retrying.run([batch]))
    assert retrying.retried == 1
    assert [r.status for r in retried.items] == [r.status for r in normal.items]
    counts = {n: (s["ran"], s["cached"]) for n, s in normal.skills.items()}
    assert counts == {"language": (3, 1), "ngrams": (3, 1)}
    assert {n: (s["ran"], s["cached"]) for n, s in retried.skills.items()} == counts


def test_the_inline_runner_closes_its_worker_when_the_run_ends(folder, batches, tmp_path,
                                                               monkeypatch):
    """Workers=0 runs in this process: its cache and source are released with the run,
    not left to the garbage collector."""
    closed = []
    original = Worker.close
    monkeypatch.setattr(Worker, "close", lambda self: closed.append(original(self)))
    config = WorkerConfig(source_uri=str(folder), cache_dir=str(tmp_path / "cache"))
    with open_runner("local", Skillset.load(SKILLSET), config, workers=0,
                     doc_timeout=60) as runner:
        assert len(list(runner.run(batches))) == len(batches)
    assert len(closed) == 1


def test_the_local_runner_says_when_the_next_result_keeps_it_waiting(folder, tmp_path):
    runner = LocalRunner(Skillset.load(SKILLSET), WorkerConfig(source_uri=str(folder)),
                         workers=1, doc_timeout=60)
    late: Future = Future()
    runner._pending.append(([], late))  # a batch in flight whose result is not back
    results = runner.run([], patience=0.01)
    assert next(results) is None and next(results) is None
    late.set_result("the result")
    assert next(results) == "the result"
    assert list(results) == []


def test_a_failed_batch_re_run_item_by_item_keeps_saying_it_waits(folder, tmp_path):
    """A batch whose process died is run again one item at a time; waiting on those
    runs ticks too, and the batch still comes back as one result, in order."""
    from enrich.worker import BatchResult, ItemResult
    runner = LocalRunner(Skillset.load(SKILLSET), WorkerConfig(source_uri=str(folder)),
                         workers=1, doc_timeout=60)
    died: Future = Future()
    died.set_exception(ProcessExpired("worker died", code=-9))
    first, second = Future(), Future()
    first.set_result(BatchResult([ItemResult("a", "ok")], {"language": {"ran": 1}}))
    singles = iter([first, second])
    runner._schedule = lambda batch: next(singles)
    runner._pending.append(([("a", None), ("b", None)], died))
    results = runner.run([], patience=0.01)
    assert next(results) is None and next(results) is None  # the second re-run is late
    second.set_result(BatchResult([ItemResult("b", "failed", stage="crack")],
                                  {"language": {"ran": 0}}))
    back = next(results)
    assert [(r.item, r.status) for r in back.items] == [("a", "ok"), ("b", "failed")]
    assert back.skills["language"]["ran"] == 1
    assert list(results) == []
