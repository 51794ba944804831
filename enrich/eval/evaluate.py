"""``enrich eval`` as plain functions: entities (before and after resolution, by
type, with calibration, a bare spaCy model and a rule ablation on request) and the
DocRED graph figures. The CLI (:mod:`enrich.cli.eval`) only formats what these return.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from graph.resolution import RULES
from indexers.stores import DataDir

from enrich.eval.errors import EvalError, LabelMapError
from enrich.eval.gold import GoldDoc
from enrich.eval.labels import LabelMap, build_label_map, parse_labels
from enrich.eval.metrics import calibration, graph_scores, score_entities
from enrich.eval.readers import read_gold
from enrich.eval.runner import PipelineRun, bare_spacy, run_pipeline
from enrich.skillset import DEFAULT_SKILLSET_FILE, Skillset

__all__ = ["EvalOptions", "evaluate_entities", "evaluate_graph", "load_gold",
           "ablation_skillsets", "work_folder"]


@dataclass
class EvalOptions:
    """How to run an evaluation (the CLI's options)."""

    fmt: str | None = None
    skillset: Path | None = None
    labels: str | None = None
    limit: int | None = None
    work: Path | None = None  # kept work folder; None: a temporary one
    workers: int = 1
    batch_size: int = 16
    sentences_per_doc: int | None = None
    bare_spacy: bool = False
    spacy_model: str | None = None
    ablate: bool = False
    types: tuple[str, ...] = ()  # evaluate only these gold types (default: all)


def load_gold(path: Path, options: EvalOptions) -> tuple[str, list[GoldDoc], LabelMap]:
    """The gold format, its documents (``--limit`` applied) and the label map."""
    fmt, docs = read_gold(path, options.fmt, options.sentences_per_doc)
    docs = docs[:options.limit] if options.limit else docs
    types = {m.type for doc in docs for m in doc.mentions}
    overrides = parse_labels(options.labels) if options.labels else None
    label_map = build_label_map(types, overrides)
    if options.types:
        keep = _known_types(options.types, types)
        docs = [GoldDoc(d.name, d.text, d.tokens, [m for m in d.mentions if m.type in keep],
                        d.relations) for d in docs]
        label_map = {k: kept for k, v in label_map.items()
                     if (kept := tuple(t for t in v if t in keep))}
    return fmt, docs, label_map


def _known_types(wanted: tuple[str, ...], types: set[str]) -> set[str]:
    """``--types``: gold types, as the gold spells them."""
    by_fold = {t.casefold(): t for t in types}
    unknown = [t for t in wanted if t.casefold() not in by_fold]
    if unknown:
        raise LabelMapError(f"--types {', '.join(unknown)}: not a type of this gold; it has "
                            f"{', '.join(sorted(types))}")
    return {by_fold[t.casefold()] for t in wanted}


def _gold_summary(path: Path, fmt: str, docs: list[GoldDoc]) -> dict[str, Any]:
    return {"path": str(path), "format": fmt, "documents": len(docs),
            "mentions": sum(len(d.mentions) for d in docs),
            "types": dict(sorted(Counter(m.type for d in docs for m in d.mentions).items()))}


def _label_summary(label_map: LabelMap) -> dict[str, str]:
    return {k: "|".join(v) for k, v in label_map.items()}


def _run(docs: list[GoldDoc], label_map: LabelMap, work: Path, options: EvalOptions,
         **more: Any) -> PipelineRun:
    """:func:`run_pipeline` with the options' skillset (unless ``more`` names one),
    workers and batch size."""
    return run_pipeline(docs, label_map, work, **{
        "skillset": options.skillset, "workers": options.workers,
        "batch_size": options.batch_size, **more})


def _run_summary(run: PipelineRun, options: EvalOptions) -> dict[str, Any]:
    return {"skillset": str(options.skillset or "default"), "seconds": run.seconds,
            "documents": run.documents, "errors": run.errors[:20]}


@contextmanager
def work_folder(work: Path | None) -> Iterator[Path]:
    """``work`` (created), kept afterwards; or a temporary folder removed after."""
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="enrich-eval-") as tmp:
        yield Path(tmp)


def evaluate_entities(gold: Path, options: EvalOptions) -> dict[str, Any]:
    """Exact-span P/R/F1 per type, micro and macro, before and after resolution."""
    fmt, docs, label_map = load_gold(gold, options)
    report: dict[str, Any] = {"gold": _gold_summary(gold, fmt, docs),
                              "label_map": _label_summary(label_map)}
    with work_folder(options.work) as work:
        run = _run(docs, label_map, work, options)
        report["pipeline"] = {**_run_summary(run, options), "misaligned_spans": run.misaligned}
        report["before"] = score_entities(docs, run.before)
        report["after"] = score_entities(docs, run.after)
        report["calibration"] = calibration(docs, run.after)
        if options.ablate:
            report["ablation"] = _ablation(docs, label_map, work, options, report["after"])
    if options.bare_spacy:
        found, seconds, model = bare_spacy(docs, label_map, options.spacy_model)
        report["bare_spacy"] = {"model": model, "seconds": seconds,
                                **score_entities(docs, found)}
    return report


def evaluate_graph(gold: Path, options: EvalOptions) -> dict[str, Any]:
    """DocRED figures: gold pairs found and linked, clusters kept on one key."""
    fmt, docs, label_map = load_gold(gold, options)
    if not any(m.cluster is not None for doc in docs for m in doc.mentions):
        raise EvalError(f"{gold} has no coreference clusters ({fmt}); `enrich eval graph` "
                        "needs DocRED gold (--format docred)")
    with work_folder(options.work) as work:
        run = _run(docs, label_map, work, options)
    return {"gold": {**_gold_summary(gold, fmt, docs),
                     "entities": sum(len({m.cluster for m in d.mentions}) for d in docs),
                     "related_pairs": sum(len(d.relations) for d in docs)},
            "label_map": _label_summary(label_map),
            "pipeline": _run_summary(run, options),
            **graph_scores(docs, run.after)}


def _skillset_data(skillset: Path | None) -> dict[str, Any]:
    path = skillset or DEFAULT_SKILLSET_FILE
    Skillset.load(path)  # a broken file fails here, with the skillset's own error
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def ablation_skillsets(skillset: Path | None) -> list[tuple[str, dict[str, Any]]]:
    """``(name, skillset dict)``: each resolution rule switched off in turn, then all."""
    data = _skillset_data(skillset)
    given = dict(data.get("resolution") or {})
    out = [(f"no {rule}", {**data, "resolution": {**given, rule: False}}) for rule in RULES]
    out.append(("no rules", {**data, "resolution": dict.fromkeys(RULES, False)}))
    return out


def _ablation(docs: list[GoldDoc], label_map: LabelMap, work: Path, options: EvalOptions,
              full: dict[str, Any]) -> list[dict[str, Any]]:
    """After-resolution micro scores with each rule off; the skills' outputs come from
    the first run's enrichment cache, so each row costs only the indexing."""
    rows = [{"variant": "all rules", **full["micro"], "delta_f1": 0.0}]
    for name, data in ablation_skillsets(options.skillset):
        folder = "ablate-" + name.replace(" ", "-")
        _share_cache(work / "index", work / folder)
        run = _run(docs, label_map, work, options, skillset=data, name=folder)
        micro = score_entities(docs, run.after)["micro"]
        rows.append({"variant": name, **micro,
                     "delta_f1": round(micro["f1"] - full["micro"]["f1"], 4)})
    return rows


def _share_cache(source: Path, target: Path) -> None:
    """Point ``target``'s enrichment cache at ``source``'s (same skills, same texts)."""
    cache, shared = DataDir(target).cache, DataDir(source).cache
    if shared.is_dir() and not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.symlink_to(shared.resolve(), target_is_directory=True)
