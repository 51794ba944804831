"""Running a plan over a batch of documents.

For each skill in order, the engine collects the skill's context nodes from *all*
documents of the batch, builds one input record per node, calls ``run`` once with
the whole list, and writes each result under its node. A record that fails
(``SkillError``, or an exception isolated by re-running records one by one) adds
a warning to its document, which then ends ``partial``; the rest goes on. A skill
whose ``warm_up`` raises ``SkillUnavailable`` is disabled - with every skill that
reads its outputs - and the run summary says so.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

from skills.base import SkillError, SkillUnavailable

from enrich import tree
from enrich.plan import BoundSkill, Plan, needs

__all__ = ["Engine"]

log = logging.getLogger(__name__)


class Engine:
    """Runs the skills of a plan; one per process, skills warmed up on first use."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def status(self) -> dict[str, dict[str, Any]]:
        """``{name: {skill, version, model, disabled}}`` for the run summary."""
        out = {}
        for b in self.plan.skills:
            model = None if b.disabled else _model(b)
            out[b.name] = {"skill": b.spec.skill, "version": b.cls.version,
                           "model": model, "disabled": b.disabled}
        return out

    def run_documents(self, docs: list[dict[str, Any]]) -> None:
        """Run the per-document stage over a batch, in place."""
        for bound in self.plan.document_skills:
            self._run_skill(bound, docs, {})

    def run_corpus(self, docs: list[dict[str, Any]], doc_ids: Sequence[str], corpus: Any) -> None:
        """Run the corpus stage (in the process that holds the store), in place."""
        for bound in self.plan.corpus_skills:
            self._run_skill(bound, docs, {"corpus": corpus}, doc_ids)

    def _ready(self, bound: BoundSkill) -> bool:
        if bound.disabled:
            return False
        blocked = [b.name for b in self.plan.skills if b.disabled and needs(bound, b)]
        if blocked:
            bound.disabled = f"needs the output of disabled skill(s) {blocked}"
            return False
        try:
            bound.skill().warm_up()
        except SkillUnavailable as exc:
            bound.disabled = str(exc)
            log.info("skill %s disabled: %s", bound.name, exc)  # the run summary says it loudly
            return False
        return True

    def _run_skill(self, bound: BoundSkill, docs: list[dict[str, Any]],
                   kwargs: dict[str, Any], doc_ids: Sequence[str] = ()) -> None:
        if bound.disabled:
            return
        items, records = [], []
        for index, doc in enumerate(docs):
            for instance, _ in tree.expand(doc, bound.context):
                record = {name: tree.resolve_input(doc, bound.context, instance, source)
                          for name, source in bound.inputs.items()}
                if doc_ids:
                    record["_doc_id"] = doc_ids[index]
                items.append((index, instance))
                records.append(record)
        # Warm up only when there is work: a batch without images loads no image model.
        if not records or not self._ready(bound):
            return
        results = self._call(bound, records, kwargs)
        self._write(bound, docs, items, results)

    def _call(self, bound: BoundSkill, records: list[dict], kwargs: dict) -> list[Any]:
        skill = bound.skill()
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

    def _write(self, bound: BoundSkill, docs: list[dict], items: list, results: list) -> None:
        provenance = {"skill": bound.name, "version": bound.cls.version,
                      "model": bound.skill().model}
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


def _model(bound: BoundSkill) -> str | None:
    """The skill's model id; ``__init__`` is cheap by contract, so no warm-up needed."""
    try:
        return bound.skill().model
    except Exception:  # noqa: BLE001 - bad parameters surface when the skill runs
        return None
