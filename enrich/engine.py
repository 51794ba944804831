"""Running a plan over a batch of documents.

For each skill in order, the engine collects the skill's context nodes from *all*
documents of the batch, builds one input record per node, calls ``run`` once with
the whole list, and writes each result under its node. A record that fails
(``SkillError``, or an exception isolated by re-running records one by one) adds
a warning to its document, which then ends ``partial``; the rest goes on. A skill
whose ``warm_up`` raises ``SkillUnavailable`` is disabled - with every skill that
reads its outputs - and the run summary says so. The plan is frozen: the skill
instances and which skills are disabled are the engine's (one per process).

With an :class:`~enrich.cache.EnrichmentCache`, each record's output is looked up
first (by the skill's identity and the record's input values, see
``enrich.cache``); ``run`` sees only the records that missed, once per distinct
input, and a skill whose records all hit is not even warmed up. The tree written
is the same as without the cache, provenance included: the model a cached value
came from is stored with it.
"""

from __future__ import annotations

import copy
import logging
from collections import Counter
from typing import Any, Collection, Mapping, Sequence

from skills.base import WARNINGS, RunContext, Skill, SkillError, SkillUnavailable

from enrich import tree
from enrich.cache import EnrichmentCache, Entry
from enrich.cache_keys import cacheable, record_keys, skill_identity
from enrich.plan import BoundSkill, Plan, needs

__all__ = ["Engine"]

log = logging.getLogger(__name__)


class Engine:
    """Runs the skills of a plan; one per process, skills warmed up on first use."""

    def __init__(self, plan: Plan, cache: EnrichmentCache | None = None,
                 context: RunContext = RunContext()) -> None:
        self.plan = plan
        self.cache = cache
        self.context = context  # handed to every warm_up: the device, this process's cores
        self.disabled: dict[str, str] = {}  # skill name -> why it cannot run here
        self._skills: dict[str, Skill] = {}  # instances, made on first use
        self._identities: dict[str, str | None] = {}
        self._warm: set[str] = set()
        self._models: dict[str, str | None] = {}  # the model in the provenance, by skill
        self._counts: dict[str, Counter] = {}  # records run / from the cache, by skill
        self._digests: dict[int, Any] = {}  # large input bytes hashed once per batch

    def status(self) -> dict[str, dict[str, Any]]:
        """``{name: {skill, version, model, disabled}}`` for the run summary."""
        out = {}
        for b in self.plan.skills:
            disabled = self.disabled.get(b.name)
            model = None if disabled else self._models.get(b.name) or _model(b)
            out[b.name] = {"skill": b.spec.skill, "version": b.cls.version,
                           "model": model, "disabled": disabled}
        return out

    def take_counts(self) -> dict[str, dict[str, int]]:
        """``{name: {"ran": records run, "cached": records from the cache}}`` since the
        last call (a batch's worth, for the run summary to add up)."""
        counts, self._counts = self._counts, {}
        return {name: {"ran": c["ran"], "cached": c["cached"]} for name, c in counts.items()}

    def summary(self) -> dict[str, dict[str, Any]]:
        """:meth:`status` with each skill's ``ran``/``cached`` counts since the last call."""
        out = self.status()
        for name, counts in self.take_counts().items():
            out[name].update(counts)
        return out

    def run_documents(self, docs: list[dict[str, Any]], skills: Collection[str] | None = None,
                      disabled: Mapping[str, str] | None = None) -> None:
        """Run the per-document stage over a batch, in place: every skill, or only those
        named in ``skills`` (one stage of a pipeline split across processes), knowing the
        skills ``disabled`` elsewhere (an earlier stage), whose readers then skip."""
        for name, reason in (disabled or {}).items():
            self.disabled.setdefault(name, reason)
        try:
            for bound in self.plan.document_skills:
                if skills is None or bound.name in skills:
                    self._run_skill(bound, docs, {})
        finally:
            self._digests.clear()
            if self.cache is not None:
                self.cache.flush()

    def run_corpus(self, docs: list[dict[str, Any]], doc_ids: Sequence[str], corpus: Any) -> None:
        """Run the corpus stage (in the process that holds the store), in place."""
        for bound in self.plan.corpus_skills:
            self._run_skill(bound, docs, {"corpus": corpus}, doc_ids)

    def _blocked(self, bound: BoundSkill) -> bool:
        blocked = [b.name for b in self.plan.skills if b.name in self.disabled and needs(bound, b)]
        if blocked:
            self.disabled[bound.name] = f"needs the output of disabled skill(s) {blocked}"
        return bool(blocked)

    def _skill(self, bound: BoundSkill) -> Skill:
        if bound.name not in self._skills:
            self._skills[bound.name] = bound.skill()
        return self._skills[bound.name]

    def _ready(self, bound: BoundSkill) -> bool:
        try:
            self._skill(bound).warm_up(self.context)
        except SkillUnavailable as exc:
            self.disabled[bound.name] = str(exc)
            log.info("skill %s disabled: %s", bound.name, exc)  # the run summary says it loudly
            return False
        self._warm.add(bound.name)
        return True

    def _run_skill(self, bound: BoundSkill, docs: list[dict[str, Any]],
                   kwargs: dict[str, Any], doc_ids: Sequence[str] = ()) -> None:
        if bound.name in self.disabled:
            return
        items, records = _records(bound, docs, doc_ids)
        # Warm up only when there is work: a batch without images loads no image model,
        # and neither does a batch whose records are all in the cache.
        if not records or self._blocked(bound):
            return
        keys = self._keys(bound, records, doc_ids)
        hits = self.cache.get_many(k for k in keys if k) if any(keys) else {}
        if _needs_model(keys, hits) and not self._ready(bound):
            return
        model = self._model_for(bound, hits)
        hits = {k: e for k, e in hits.items() if e.model == model}  # from another model: stale
        results = self._results(bound, records, keys, hits, kwargs, model)
        self._models[bound.name] = model
        self._write(bound, docs, items, results, model)

    def _keys(self, bound: BoundSkill, records: list[dict],
              doc_ids: Sequence[str]) -> list[str | None]:
        """One cache key per record; None where the record is not cached."""
        if self.cache is None or doc_ids or not cacheable(bound.cls):
            return [None] * len(records)
        if bound.name not in self._identities:
            try:
                self._identities[bound.name] = skill_identity(bound)
            except Exception as exc:  # noqa: BLE001 - bad parameters surface when it runs
                log.debug("skill %s not cached: %s", bound.name, exc)
                self._identities[bound.name] = None
        identity = self._identities[bound.name]
        if identity is None:
            return [None] * len(records)
        return record_keys(identity, records, self._digests)

    def _model_for(self, bound: BoundSkill, hits: dict[str, Entry]) -> str | None:
        """The loaded model when the skill is warm, else the one its cached values name."""
        if bound.name in self._warm or not hits:
            return self._skill(bound).model
        return next(iter(hits.values())).model

    def _results(self, bound: BoundSkill, records: list[dict], keys: list[str | None],
                 hits: dict[str, Entry], kwargs: dict, model: str | None) -> list[Any]:
        """Cached values where there are, ``run`` once per distinct missing input."""
        results: list[Any] = [hits[k].value() if k in hits else _MISS for k in keys]
        todo = [i for i, result in enumerate(results) if result is _MISS]
        first: dict[str, int] = {}
        unique = [i for i in todo if keys[i] is None or first.setdefault(keys[i], i) == i]
        if unique:
            ran = dict(zip(unique, self._call(bound, [records[i] for i in unique], kwargs)))
            for i in unique:
                if keys[i] is not None and not isinstance(ran[i], SkillError):
                    self.cache.put(keys[i], ran[i], skill=bound.name, model=model)
            for i in todo:
                results[i] = ran[i] if i in ran else copy.deepcopy(ran[first[keys[i]]])
        counts = self._counts.setdefault(bound.name, Counter())
        counts["ran"] += len(unique)
        counts["cached"] += len(records) - len(todo)
        return results

    def _call(self, bound: BoundSkill, records: list[dict], kwargs: dict) -> list[Any]:
        skill = self._skill(bound)
        try:
            results = skill.run(records, **kwargs)
            if len(results) != len(records):
                raise RuntimeError(f"returned {len(results)} results for {len(records)} records")
            return results
        except Exception as exc:  # isolate the failing record(s): retry one by one
            log.warning("skill %s failed on a batch of %d (%s); retrying one by one",
                        bound.name, len(records), exc)
        return [self._call_one(skill, record, kwargs) for record in records]

    @staticmethod
    def _call_one(skill: Any, record: dict, kwargs: dict) -> Any:
        try:
            return skill.run([record], **kwargs)[0]
        except Exception as exc:
            return SkillError(f"{type(exc).__name__}: {exc}")

    def _write(self, bound: BoundSkill, docs: list[dict], items: list, results: list,
               model: str | None) -> None:
        provenance = {"skill": bound.name, "version": bound.cls.version, "model": model}
        for path in bound.writes:
            for doc in docs:
                doc.setdefault("provenance", {})[tree.format_path(path)] = provenance
        for (index, instance), result in zip(items, results):
            if isinstance(result, SkillError):
                where = tree.format_path(instance)
                docs[index].setdefault("skill_errors", []).append(
                    {"skill": bound.name, "path": where, "message": result.message})
                continue
            for output, target in bound.outputs.items():
                tree.set_child(docs[index], instance, target, (result or {}).get(output))
            for warning in (result or {}).get(WARNINGS) or ():  # the record's own warnings
                docs[index].setdefault("skill_errors", []).append(
                    {"skill": bound.name, "path": tree.format_path(instance),
                     "message": f"warning: {warning}"})


_MISS = object()


def _records(bound: BoundSkill, docs: list[dict],
             doc_ids: Sequence[str]) -> tuple[list[tuple[int, Any]], list[dict]]:
    """``(document index, context node)`` and the input record of every context node."""
    items, records = [], []
    for index, doc in enumerate(docs):
        for instance, _ in tree.expand(doc, bound.context):
            record = {name: tree.resolve_input(doc, bound.context, instance, source)
                      for name, source in bound.inputs.items()}
            if doc_ids:
                record["_doc_id"] = doc_ids[index]
            items.append((index, instance))
            records.append(record)
    return items, records


def _needs_model(keys: list[str | None], hits: dict[str, Entry]) -> bool:
    """Whether the skill must be warm: a record to run, or cached values that disagree
    on their model (the loaded model decides which are current)."""
    return (any(k is None or k not in hits for k in keys)
            or len({entry.model for entry in hits.values()}) > 1)


def _model(bound: BoundSkill) -> str | None:
    """The skill's model id; ``__init__`` is cheap by contract, so no warm-up needed."""
    try:
        return bound.skill().model
    except Exception:  # noqa: BLE001 - bad parameters surface when it runs
        return None
