"""``enrich train entities``: fine-tune a spaCy recogniser on the store's corrections.

Examples (:mod:`enrich.train.examples`): every reviewed mention in its sentence, with
only the reviewed spans known (accepted, retyped, renamed, merged, split and aliased
entities' mentions are entities of their key's type; rejected ones are not), plus,
optionally, a gold file (:mod:`enrich.train.gold`).

Forgetting. Updating a trained model on a few hundred sentences of one kind makes it
forget what it knew elsewhere (catastrophic forgetting). The guard is
**pseudo-rehearsal** (Honnibal, "Pseudo-rehearsal: a simple solution to catastrophic
forgetting for NLP", explosion.ai, 2017): sentences of the same store that no
correction touches are labelled by the base model itself and mixed into every epoch
as complete examples, so each update also pulls the model back to its own earlier
answers wherever no analyst said otherwise. ``rehearsal`` is that mix's size, in
rehearsal sentences per learned sentence (default 1.0; see
``python -m bench.train_corrections`` for how F1 moves with it).

Training is spaCy's own: ``nlp.resume_training()`` (Adam, the model's weights as the
start) and ``nlp.update`` on ``Example`` batches of growing size, dropout 0.2, with
only the recogniser (and an embedding layer it listens to) updated; the other
components are saved unchanged, so the folder is a whole pipeline that
``spacy.load(DIR)`` and the ``entities`` skill (``params: {model: DIR}``) load.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from skills.base import SkillUnavailable
from skills.entities import default_model, ner_exclusions, require

from enrich.train.errors import BaseModelMissing, NothingToLearn, OutputExists
from enrich.train.examples import (MAX_CHARS, Counts, Item, Where, correction_items,
                                   rehearsal_texts, to_example)
from enrich.train.rows import StoreRows

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["TrainOptions", "train_entities", "check_output", "META_FILE"]

META_FILE = "enrich-training.json"
_MODEL_FILES = ("config.cfg", "meta.json")


@dataclass
class TrainOptions:
    """What ``enrich train entities`` is asked to do."""

    out: Path
    base: str | None = None        # default: the entities skill's default model
    store: Path | None = None      # the store file (None: gold only)
    gold: Path | None = None
    gold_format: str | None = None
    iterations: int = 10
    seed: int = 0
    rehearsal: float = 1.0         # rehearsal sentences per learned sentence
    dropout: float = 0.2
    force: bool = False
    max_chars: int = MAX_CHARS
    extra: dict[str, Any] = field(default_factory=dict)  # more for the meta note


def check_output(out: Path, force: bool, model: bool = True) -> None:
    """OutputExists unless ``out`` is absent, empty, or replaceable with ``force`` (a
    model folder, or a file when ``model`` is False: never some other folder)."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    replaceable = (out.is_dir() and any((out / f).is_file() for f in _MODEL_FILES)) \
        if model else out.is_file()
    if not force:
        raise OutputExists(f"{out} already exists and is not empty; choose another --out "
                           "or pass --force to replace it")
    if not replaceable:
        kind = "a spaCy model folder" if model else "a file"
        raise OutputExists(f"{out} is not {kind}, so --force will not replace it; "
                           "choose another --out")


def load_base(name: str) -> "Language":
    """The whole base pipeline; BaseModelMissing when it is not here or has no NER."""
    try:
        require(name)
        import spacy

        nlp = spacy.load(name)
    except (SkillUnavailable, OSError, ImportError, ValueError) as exc:
        raise BaseModelMissing(f"base model {name!r} cannot be loaded: {exc}") from None
    if "ner" not in nlp.pipe_names:
        raise BaseModelMissing(f"base model {name!r} has no 'ner' component to train "
                               f"(it has {', '.join(nlp.pipe_names) or 'none'})")
    return nlp


def train_entities(options: TrainOptions,
                   on_iteration: Callable[[int, float], None] | None = None,
                   on_start: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Train, write the model folder, and return the summary (see the module doc)."""
    import spacy

    check_output(options.out, options.force)
    base = options.base or default_model()
    started = time.monotonic()
    spacy.util.fix_random_seed(options.seed)
    nlp = load_base(base)
    trainable = [p for p in nlp.pipe_names if p not in set(ner_exclusions(base))]
    counts = Counts()
    with nlp.select_pipes(enable=trainable):
        items, reviewed = _learned_items(nlp, options, counts)
        if not items:
            raise NothingToLearn(_nothing_message(options))
        items += _rehearsal(nlp, options, reviewed, round(options.rehearsal * len(items)))
        examples = [ex for item in items if (ex := to_example(nlp, item, counts)) is not None]
        if not counts.sentences and not counts.gold:
            raise NothingToLearn("no reviewed span lines up with the model's tokens "
                                 f"({counts.misaligned} misaligned, {counts.cut} cut): "
                                 "nothing to learn from")
        for label in sorted({ent.label_ for ex in examples for ent in ex.reference.ents}):
            nlp.get_pipe("ner").add_label(label)
        losses = _train(nlp, examples, options, on_iteration, on_start)
    summary = {"base": base, "out": str(options.out), "examples": counts.as_dict(),
               "iterations": options.iterations, "seed": options.seed,
               "rehearsal_ratio": options.rehearsal, "losses": losses,
               "seconds": round(time.monotonic() - started, 1), **options.extra}
    _save(nlp, options, summary)
    return summary


def _nothing_message(options: TrainOptions) -> str:
    where = f"the store {options.store}" if options.store else "no store"
    return (f"nothing to learn from: {where} has no active corrections that keep or "
            "reject a mention with offsets, and no --gold file was given; correct some "
            "entities first (`enrich corrections`, `enrich review`) or pass --gold FILE")


def _learned_items(nlp: "Language", options: TrainOptions, counts: Counts
                   ) -> tuple[list[Item], set[Where]]:
    """The items to learn (corrections, then gold) and the sentences reviewed."""
    items: list[Item] = []
    reviewed: set[Where] = set()
    if options.store is not None:
        with StoreRows(options.store) as rows:
            items, reviewed = correction_items(rows, counts, options.max_chars)
    if options.gold is not None:
        from enrich.train.gold import gold_items

        items += gold_items(options.gold, nlp, counts, options.gold_format)
    return items, reviewed


def _rehearsal(nlp: "Language", options: TrainOptions, reviewed: set[Where],
               wanted: int) -> list[Item]:
    """The base model's own entities on unreviewed sentences of the store."""
    if options.store is None or wanted <= 0:
        return []
    with StoreRows(options.store) as rows:
        texts = rehearsal_texts(rows, reviewed, wanted, options.seed, options.max_chars)
    return [Item(text, [(e.start_char, e.end_char, e.label_) for e in doc.ents],
                 complete=True, source="rehearsal")
            for text, doc in zip(texts, nlp.pipe(texts, batch_size=64))]


def _train(nlp: "Language", examples: list, options: TrainOptions,
           on_iteration: Callable[[int, float], None] | None,
           on_start: Callable[[int], None] | None) -> list[float]:
    from spacy.util import compounding, minibatch

    rng = random.Random(options.seed)
    optimizer = nlp.resume_training()
    if on_start:
        on_start(len(examples))
    history = []
    for i in range(options.iterations):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
            nlp.update(batch, drop=options.dropout, sgd=optimizer, losses=losses)
        history.append(round(float(losses.get("ner", 0.0)), 3))
        if on_iteration:
            on_iteration(i + 1, history[-1])
    return history


def _save(nlp: "Language", options: TrainOptions, summary: dict[str, Any]) -> None:
    """Write the folder next to ``out`` and move it in place (a crash leaves no half
    model), with the meta note ``enrich-training.json``."""
    out = options.out
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    meta = nlp.meta
    summary["base_model"] = f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"
    meta["name"] = f"{meta.get('name')}_corrected"
    meta["version"] = f"{meta.get('version')}+{stamp}"
    meta["description"] = (f"{summary['base_model']} fine-tuned by `enrich train entities` "
                           f"on corrections (pseudo-rehearsal against forgetting); see "
                           f"{META_FILE}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        nlp.to_disk(tmp)
        (tmp / META_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

