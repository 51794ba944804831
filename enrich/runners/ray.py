"""Running batches on Ray (``enrich index --engine ray [--ray-address ADDR]``).

The same contract as :func:`enrich.pool.run_batches`: one :class:`BatchResult` per
batch, in submission order, so the indexer commits (store and search index) batch by
batch in the driver. The work runs as a Ray Data pipeline over one row per batch:

* without GPUs in the cluster: one stage, an actor pool of CPU actors, each holding a
  :class:`~enrich.worker.Worker` (models load once per actor) that reads, cracks and
  runs every per-document skill - exactly what a local worker process does;
* with GPUs (``ray.cluster_resources()["GPU"] > 0``) and skills that would run on one
  (those taking a ``device`` that is not ``cpu``: caption, tags, labels): up to three
  stages - CPU actors read, crack and run the skills before the first GPU skill, an
  actor pool with one GPU per actor runs the GPU skills over several batches at once
  (larger model batches), and CPU actors run the rest (merge, join, text skills).

Pools are sized from what Ray reports (``ray.available_resources()``), one CPU per
actor and one CPU left for the driver and Ray Data's own tasks: an actor pool that
asks for every CPU of a small machine deadlocks. A batch whose actor dies (a crash in
native code) is not lost: its items come back failed at stage ``worker``. The
per-document timeout of the local engine is not enforced on Ray.
"""

from __future__ import annotations

import inspect
import logging
import os
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from enrich.errors import EnrichError
from enrich.plan import BoundSkill, Plan
from enrich.records import attach_graph
from enrich.skillset import Skillset
from enrich.worker import BatchResult, ItemResult, Worker, WorkerConfig

__all__ = ["actor_cpus", "gpu_skill", "pool_size", "run_batches_on_ray", "split_stages"]

log = logging.getLogger(__name__)

RAY_HINT = "install it with `pip install 'enrich[ray]'` (or `pip install 'ray[data]'`)"
GPU_BATCHES = 4  # batches a GPU actor runs together: larger model batches


@dataclass(frozen=True)
class Stage:
    """One map stage: the skills it runs, and whether its actors hold a GPU."""

    skills: tuple[str, ...]
    gpu: bool = False
    first: bool = False  # reads and cracks the items
    last: bool = False  # attaches the graph part and returns the BatchResult


def run_batches_on_ray(batches: Iterable[list], skillset: Skillset, config: WorkerConfig, *,
                       workers: int, doc_timeout: float, address: str | None = None,
                       split: list[Stage] | None = None) -> Iterator[BatchResult]:
    """Yield one result per batch, in order, the work running on Ray.

    ``address``: a Ray cluster (``auto``, ``ray://host:10001``); None starts a local
    Ray unless one is already initialised. ``split`` overrides the stages (tests).
    """
    ray = _import_ray()
    started = _connect(ray, address)
    try:
        todo = list(batches)  # item listings only: the bytes are read in the actors
        if todo:
            stages = split or split_stages(skillset.build(), _gpus(ray))
            yield from _run(ray, todo, skillset, config, stages, workers)
    finally:
        if started:
            ray.shutdown()


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise EnrichError(f"--engine ray needs Ray Data: {exc}; {RAY_HINT}") from exc
    return ray


def _connect(ray: Any, address: str | None) -> bool:
    """Initialise Ray unless it is; True when this call started it (and shuts it down)."""
    if ray.is_initialized():
        return False
    ray.init(address=address, ignore_reinit_error=True, include_dashboard=False,
             log_to_driver=False, configure_logging=False)
    return True


def _gpus(ray: Any) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def gpu_skill(bound: BoundSkill) -> bool:
    """Whether the skill would run on a GPU where there is one: it takes a ``device``
    and is not pinned to the CPU (``auto`` picks CUDA when it is there)."""
    if "device" not in inspect.signature(bound.cls.__init__).parameters:
        return False
    return str(bound.spec.params.get("device", "auto") or "auto") != "cpu"


def split_stages(plan: Plan, gpus: int) -> list[Stage]:
    """The stages for ``plan``: one CPU stage, or CPU / GPU / CPU around the GPU skills
    when the cluster has GPUs. Skills keep the plan's order; a GPU stage runs from the
    first to the last GPU skill (a CPU skill between them runs there too); the first
    stage, which reads and cracks, is always on CPU."""
    names = [b.name for b in plan.document_skills]
    marks = [i for i, b in enumerate(plan.document_skills) if gpu_skill(b)]
    if gpus <= 0 or not marks:
        return [Stage(tuple(names), first=True, last=True)]
    start, end = marks[0], marks[-1] + 1
    stages = [Stage(tuple(names[:start])), Stage(tuple(names[start:end]), gpu=True)]
    if names[end:]:  # the crack stage stays, empty or not: cracking is CPU work
        stages.append(Stage(tuple(names[end:])))
    stages[0] = Stage(stages[0].skills, stages[0].gpu, first=True)
    stages[-1] = Stage(stages[-1].skills, stages[-1].gpu, stages[-1].first, last=True)
    return stages


def pool_size(workers: int, cpu_stages: int = 1) -> int:
    """Actors per CPU stage, from the CPUs Ray reports as available: one CPU each, one
    CPU left over (the driver, Ray Data's tasks), shared among the CPU stages, at most
    ``workers`` when that is set."""
    import ray
    cpus = int(ray.available_resources().get("CPU", 1))
    size = max(1, (cpus - 1) // max(1, cpu_stages))
    return min(size, workers) if workers > 0 else size


def actor_cpus(actors: int) -> float:
    """CPUs each CPU actor asks for: one, less when the actors of every stage would ask
    for more than the CPUs left over (actors that cannot all start deadlock the run)."""
    import ray
    spare = max(1.0, float(ray.available_resources().get("CPU", 1)) - 1)
    return min(1.0, spare / max(1, actors))


def _gpu_pool_size() -> int:
    import ray
    return max(1, int(ray.available_resources().get("GPU", 1)))


def _run(ray: Any, todo: list, skillset: Skillset, config: WorkerConfig,
         stages: list[Stage], workers: int) -> Iterator[BatchResult]:
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.max_errored_blocks)
    context.execution_options.preserve_order = True
    context.max_errored_blocks = -1  # a dead actor loses its batch, not the run
    try:
        dataset = _pipeline(ray, todo, skillset, config, stages, workers)
        yield from _ordered(dataset.iter_rows(), todo)
    finally:
        context.execution_options.preserve_order, context.max_errored_blocks = saved


def _pipeline(ray: Any, todo: list, skillset: Skillset, config: WorkerConfig,
              stages: list[Stage], workers: int) -> Any:
    rows = [{"index": i, "payload": pickle.dumps({"batch": b})} for i, b in enumerate(todo)]
    dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
    cpu_stages = sum(not s.gpu for s in stages)
    size = pool_size(workers, cpu_stages)
    cpus = actor_cpus(size * cpu_stages)
    for stage in stages:
        kwargs = {"skillset": skillset, "config": config, "stage": stage,
                  "processes": size}
        if stage.gpu:
            dataset = dataset.map_batches(
                StageActor, fn_constructor_kwargs=kwargs, batch_size=GPU_BATCHES,
                concurrency=_gpu_pool_size(), num_gpus=1, num_cpus=0)
        else:
            dataset = dataset.map_batches(
                StageActor, fn_constructor_kwargs=kwargs, batch_size=1,
                concurrency=size, num_cpus=cpus)
    return dataset


def _ordered(rows: Iterator[dict], todo: list) -> Iterator[BatchResult]:
    """The results in batch order; a batch that never came back (its actor died)
    comes back with its items failed at stage ``worker``."""
    expected = 0
    for row in rows:
        index = int(row["index"])
        if index < expected:  # preserve_order is set: this would be a Ray bug
            raise EnrichError(f"Ray returned batch {index} after batch {expected - 1}; "
                              "results must come in order to be committed in order")
        while expected < index:
            yield _lost(todo[expected])
            expected += 1
        yield pickle.loads(row["payload"])
        expected = index + 1
    for batch in todo[expected:]:
        yield _lost(batch)


def _lost(batch: list) -> BatchResult:
    message = "the Ray actor processing it died or its task failed (see the Ray logs)"
    log.warning("a batch of %d item(s) was lost on Ray: %s", len(batch), message)
    return BatchResult([ItemResult(item, "failed", stage="worker", message=message)
                        for item, _ in batch], {})


class StageActor:
    """A Ray Data actor: one :class:`Worker` (its models load once) running one stage."""

    def __init__(self, skillset: Skillset, config: WorkerConfig, stage: Stage,
                 processes: int = 1) -> None:
        os.environ["ENRICH_PROCESSES"] = str(processes)
        logging.basicConfig(level=logging.WARNING)
        self.worker = Worker(skillset, config)
        self.stage = stage

    def __call__(self, rows: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        states = [pickle.loads(p) for p in rows["payload"]]
        try:
            self._process(states)
            payloads = [pickle.dumps(self._output(s)) for s in states]
        except Exception as exc:
            log.exception("stage %s failed", self.stage.skills)
            payloads = [pickle.dumps(_failed(s, exc) if self.stage.last else {**s, "error": exc})
                        for s in states]
        return {"index": np.asarray(rows["index"]),
                "payload": np.array(payloads + [None], dtype=object)[:-1]}

    def _process(self, states: list[dict]) -> None:
        live = [s for s in states if "error" not in s]
        if self.stage.first:
            for state in live:
                state["items"] = [self.worker._crack(item, sha) for item, sha in state["batch"]]
        docs = [d for s in live for r in s["items"] for d in r.documents]
        self._disable_upstream(live)
        engine, plan = self.worker.engine, self.worker.engine.plan
        every = plan.document_skills
        plan.document_skills = [b for b in every if b.name in self.stage.skills or b.disabled]
        try:
            engine.run_documents(docs)
        finally:
            plan.document_skills = every
        if self.stage.last:
            attach_graph(docs, plan)
        self._merge_status(live)

    def _disable_upstream(self, states: list[dict]) -> None:
        """A skill an earlier stage disabled is disabled here too (its readers skip)."""
        for state in states:
            for bound in self.worker.engine.plan.document_skills:
                reason = state.get("skills", {}).get(bound.name, {}).get("disabled")
                if reason and not bound.disabled:
                    bound.disabled = reason

    def _merge_status(self, states: list[dict]) -> None:
        """This stage's skill status and counts; the counts go to the first batch only
        (the driver adds them up)."""
        status = self.worker.engine.status()
        counts = self.worker.engine.take_counts()
        for n, state in enumerate(states):
            skills = dict(state.get("skills") or status)
            for name in self.stage.skills:
                skills[name] = {**status[name], **(counts.get(name, {}) if n == 0 else {})}
            state["skills"] = skills

    def _output(self, state: dict) -> Any:
        if "error" in state:
            return _failed(state, state["error"]) if self.stage.last else state
        if self.stage.last:
            return BatchResult(items=state["items"], skills=state["skills"])
        return state


def _failed(state: dict, exc: BaseException) -> BatchResult:
    message = f"{type(exc).__name__}: {exc}"
    return BatchResult([ItemResult(item, "failed", stage="worker", message=message)
                        for item, _ in state["batch"]], {})
