"""The Ray runner (``enrich index --engine ray [--ray-address ADDR]``).

The runner protocol of :mod:`enrich.runners`: one :class:`BatchResult` per batch, in
submission order, so the indexer commits (store and search index) in order in the
driver. The work runs as a Ray Data pipeline over one row per batch, each actor
holding one :class:`~enrich.worker.Worker` (models load once per actor) and calling
its public steps, as a local worker process does:

* without GPUs in the cluster: one stage, an actor pool of CPU actors that crack,
  enrich and finish each batch (:meth:`Worker.process`);
* with GPUs (``ray.cluster_resources()["GPU"] > 0``) and skills that would run on one
  (those declaring ``uses_device`` whose device is not ``cpu``: caption, tags, labels,
  unless ``--device cpu`` or their own ``device`` parameter says so): up to three
  stages - CPU actors crack and run the skills before the first GPU skill, an actor
  pool with one GPU per actor runs the GPU skills over several batches at once (larger
  model batches), and CPU actors run the rest (merge, join, text skills) and finish.
  Each stage names the skills it runs (the plan is never edited); the skill status
  travels with the batch, so a skill an earlier stage disabled stays disabled.

Pools are sized from what Ray reports (``ray.available_resources()``), one CPU per
actor and one CPU left for the driver and Ray Data's own tasks: an actor pool that
asks for every CPU of a small machine deadlocks. A batch whose actor dies (a crash in
native code) is not lost: its items come back failed at stage ``worker``. The
per-document timeout of the local runner is not enforced on Ray.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any

from skills.base import RunContext

from enrich.errors import optional_import
from enrich.plan import BoundSkill, Plan, build_plan
from enrich.runners.base import RunnerError
from enrich.skillset import Skillset
from enrich.worker import (Batch, BatchResult, ItemResult, SkillStatus, WorkerConfig,
                           merge_skills, start_worker)

__all__ = ["RayRunner", "Stage", "actor_cpus", "gpu_skill", "pool_size", "split_stages"]

log = logging.getLogger(__name__)

GPU_BATCHES = 4  # batches a GPU actor runs together: larger model batches


@dataclass(frozen=True)
class Stage:
    """One map stage: the skills it runs, and whether its actors hold a GPU."""

    skills: tuple[str, ...]
    gpu: bool = False
    first: bool = False  # reads and cracks the items
    last: bool = False  # attaches the graph part and returns the BatchResult


class RayRunner:
    """Ray Data actor pools behind the runner protocol of :mod:`enrich.runners`.

    ``address``: a Ray cluster (``auto``, ``ray://host:10001``); None starts a local Ray
    unless one is already initialised (a Ray this runner started, it shuts down).
    """

    def __init__(self, skillset: Skillset, config: WorkerConfig, *, workers: int,
                 address: str | None = None) -> None:
        self.ray = _import_ray()  # a missing package is refused before the run starts
        self.skillset, self.config = skillset, config
        self.workers, self.address = workers, address
        self._started = False

    def __enter__(self) -> "RayRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, batches: Iterable[Batch], patience: float | None = None
            ) -> Iterator[BatchResult | None]:
        """See ``Runner.run``; results come as the dataset gives them (no waiting
        ticks: ``patience`` is not used)."""
        todo = list(batches)  # item listings only: the bytes are read in the actors
        if not todo:
            return
        self._started = _connect(self.ray, self.address) or self._started
        stages = split_stages(build_plan(self.skillset), _gpus(self.ray), self.config.context)
        yield from _run(self.ray, todo, self.skillset, self.config, stages, self.workers)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False


def _import_ray() -> Any:
    ray = optional_import("ray", "ray", "--engine ray")
    optional_import("ray.data", "ray", "--engine ray")
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


def gpu_skill(bound: BoundSkill, context: RunContext = RunContext()) -> bool:
    """Whether the skill would run on a GPU where there is one: it declares
    ``uses_device`` and its device (its own ``device``, else the run's) is not the CPU
    (``auto`` picks CUDA when it is there)."""
    return bound.cls.uses_device and context.device_for(bound.spec.params) != "cpu"


def split_stages(plan: Plan, gpus: int, context: RunContext = RunContext()) -> list[Stage]:
    """The stages for ``plan``: one CPU stage, or CPU / GPU / CPU around the GPU skills
    when the cluster has GPUs. Skills keep the plan's order; a GPU stage runs from the
    first to the last GPU skill (a CPU skill between them runs there too); the first
    stage, which reads and cracks, is always on CPU."""
    names = [b.name for b in plan.document_skills]
    marks = [i for i, b in enumerate(plan.document_skills) if gpu_skill(b, context)]
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


def _run(ray: Any, todo: list[Batch], skillset: Skillset, config: WorkerConfig,
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
    rows = [{"index": i, "payload": pickle.dumps(_State(b))} for i, b in enumerate(todo)]
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


def _ordered(rows: Iterator[dict], todo: list[Batch]) -> Iterator[BatchResult]:
    """The results in batch order; a batch that never came back (its actor died)
    comes back with its items failed at stage ``worker``."""
    expected = 0
    for row in rows:
        index = int(row["index"])
        if index < expected:  # preserve_order is set: this would be a Ray bug
            raise RunnerError(f"Ray returned batch {index} after batch {expected - 1}; "
                              "results must come in order to be committed in order")
        while expected < index:
            yield _lost(todo[expected])
            expected += 1
        yield pickle.loads(row["payload"])
        expected = index + 1
    for batch in todo[expected:]:
        yield _lost(batch)


def _lost(batch: Batch) -> BatchResult:
    message = "the Ray actor processing it died or its task failed (see the Ray logs)"
    log.warning("a batch of %d item(s) was lost on Ray: %s", len(batch), message)
    return _failed(batch, message)


@dataclass
class _State:
    """A batch on its way through the stages (pickled between actors)."""

    batch: Batch
    items: list[ItemResult] = field(default_factory=list)
    skills: SkillStatus = field(default_factory=dict)
    error: str | None = None  # why a stage failed it: the last stage fails its items


class StageActor:
    """A Ray Data actor: one :class:`~enrich.worker.Worker` (its models load once)
    running one stage's steps."""

    def __init__(self, skillset: Skillset, config: WorkerConfig, stage: Stage,
                 processes: int = 1) -> None:
        self.worker = start_worker(skillset, config, processes)
        self.stage = stage

    def __call__(self, rows: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        states = [pickle.loads(p) for p in rows["payload"]]
        try:
            done = self._process(states)
        except Exception as exc:
            log.exception("stage %s failed", self.stage.skills)
            message = f"{type(exc).__name__}: {exc}"
            done = [replace(s, error=s.error or message) for s in states]
        if self.stage.last:
            done = [self._finish(s) for s in done]
        payloads = [pickle.dumps(out) for out in done]
        return {"index": np.asarray(rows["index"]),
                "payload": np.array(payloads + [None], dtype=object)[:-1]}

    def _process(self, states: list[_State]) -> list[_State]:
        """Crack (first stage), then this stage's skills over every live batch at once;
        the skills' counts go to the first batch only (the driver adds them up)."""
        if self.stage.first:
            states = [replace(s, items=self.worker.crack(s.batch)) if s.error is None else s
                      for s in states]
        live = [s for s in states if s.error is None]
        if not live:
            return states
        known = reduce(merge_skills, (s.skills for s in live), {})
        status = self.worker.enrich([r for s in live for r in s.items], self.stage.skills, known)
        return [s if s.error is not None else
                replace(s, skills=merge_skills(s.skills, status if s is live[0] else
                                               _uncounted(status)))
                for s in states]

    def _finish(self, state: _State) -> BatchResult:
        if state.error is not None:
            return _failed(state.batch, state.error)
        return self.worker.finish(state.items, state.skills)


def _uncounted(status: SkillStatus) -> SkillStatus:
    return {name: {**skill, "ran": 0, "cached": 0} for name, skill in status.items()}


def _failed(batch: Batch, message: str) -> BatchResult:
    return BatchResult([ItemResult(item, "failed", stage="worker", message=message)
                        for item, _ in batch], {})
