"""Toy skills for testing the engine: no models, predictable outputs."""

from __future__ import annotations

from skills.base import ModelRef, RunContext, Skill, SkillError, SkillUnavailable


class Upper(Skill):
    """Upper-cases each page's text; records how many records each call saw."""

    name = "toy-upper"
    context = "/document/pages/*"
    inputs = {"text": "/document/pages/*/text"}
    outputs = ("upper",)
    calls: list[int] = []

    def run(self, records, **kwargs):
        Upper.calls.append(len(records))
        return [{"upper": r["text"].upper()} for r in records]


class Count(Skill):
    """Counts the upper-cased pages of a document (depends on toy-upper)."""

    name = "toy-count"
    inputs = {"pages": "/document/pages/*/upper"}
    outputs = ("count",)

    def run(self, records, **kwargs):
        return [{"count": len(r["pages"])} for r in records]


class Picky(Skill):
    """Fails records whose text contains 'bad'; raises on 'boom' (batch-level crash)."""

    name = "toy-picky"
    inputs = {"text": "/document/content"}
    outputs = ("ok",)

    def run(self, records, **kwargs):
        if any("boom" in r["text"] for r in records):
            raise RuntimeError("boom in batch")
        return [SkillError("bad text") if "bad" in r["text"] else {"ok": True} for r in records]


class Missing(Skill):
    """A skill whose model is never there."""

    name = "toy-missing"
    inputs = {"text": "/document/content"}
    outputs = ("thing",)

    def warm_up(self, context=RunContext()):
        raise SkillUnavailable("model toy-model is not installed; run `enrich models pull`")

    def run(self, records, **kwargs):  # pragma: no cover - never called
        raise AssertionError


class AfterMissing(Skill):
    name = "toy-after-missing"
    inputs = {"thing": "/document/thing"}
    outputs = ("other",)

    def run(self, records, **kwargs):  # pragma: no cover - disabled with its input
        raise AssertionError


class Corpus(Skill):
    """A corpus skill: records document frequency of each word via TermStats."""

    name = "toy-corpus"
    needs_corpus = True
    inputs = {"text": "/document/content"}
    outputs = ("df",)

    def run(self, records, corpus=None, **kwargs):
        for r in records:
            corpus.add(r["_doc_id"], "words", set(r["text"].split()))
        return [{"df": corpus.df("words", r["text"].split())} for r in records]


class Hub(Skill):
    """Needs a Hugging Face model (a hub name or a folder); runs on a device, and says
    which one it was given."""

    name = "toy-hub"
    inputs = {"text": "/document/content"}
    outputs = ("hub",)
    uses_device = True
    runtime_params = frozenset({"device"})

    def __init__(self, model: str = "toy-org/toy-model", **params):
        super().__init__(model=model, **params)
        self.device = None

    def models(self):
        return [ModelRef(self.params["model"], "huggingface")]

    def warm_up(self, context=RunContext()):
        self.device = context.device_for(self.params)

    def run(self, records, **kwargs):
        return [{"hub": self.device} for _ in records]


ALL = [Upper, Count, Picky, Missing, AfterMissing, Corpus, Hub]
