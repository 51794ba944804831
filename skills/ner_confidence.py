"""How sure spaCy's entity recogniser is of each entity it finds.

spaCy's ``ner`` is a greedy transition parser: on every token it picks one action
(``B-``/``I-``/``L-``/``U-`` + label, or ``O``) and it reports no probability. Its
network was trained with a softmax over the actions of each step, so each step has a
distribution; an entity's confidence is the total probability of the parses (action
sequences) that contain that exact span with that label, under that distribution.

Two ways to compute it (the skill's ``confidence`` parameter):

``marginal`` (default): exact. The recogniser's features at a step are the current
token, the first token of the open entity and the tokens between them (spaCy's
``ner`` state: 3 or 6 feature tokens); they do not depend on anything earlier. So
the probability that the parse is outside any entity before token ``s`` (``alpha``)
is one forward pass over the tokens, and the confidence of the span ``s..e`` with
label ``L`` is ``alpha[s] * p(B-L | s) * p(I-L | s+1) * ... * p(L-L | e-1)`` (or
``alpha[s] * p(U-L | s)`` for one token). That is the probability mass a beam of
unlimited width would give the span. Step distributions are over the actions that
are valid in that state (the ones the decoder can choose). Only entity starts whose
probability exceeds ``epsilon`` (1e-4) are followed, and an open entity is followed
while its continuation keeps more than ``epsilon``: each start loses at most
``epsilon`` of mass. The token vectors are computed once and shared with the greedy
parse, whose entities stay exactly those spaCy finds.

``beam``: spaCy's own beam search (``BeamBatch``) of width ``beam_width`` over the
same step distributions (log-softmax of the scores, so a parse's score is its log
probability); the confidence is the share of the beam's probability held by the
parses containing the span (``moves.get_beam_parses``, as
``EntityRecognizer.scored_ents`` sums them). The beam is renormalised over its
``beam_width`` parses, so it overstates confidence when the mass is spread wide.
Used where ``marginal`` cannot be (a recogniser whose features are not the
``ner`` state, or entities preset before it runs).

Either way the greedy parse decides the entities; a greedy entity outside the
explored mass gets its (tiny) computed share, possibly 0.0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["METHODS", "EntityScorer", "CONFIDENCE_KEY", "scored_pipe", "find_recogniser"]

METHODS = ("marginal", "beam", "none")
# Doc.user_data key of {(start token, end token, label): confidence} for the entities
# the scored recogniser set.
CONFIDENCE_KEY = "enrich.entity_confidence"
_MAX_ENTITY_TOKENS = 64
_ROWS_AT_ONCE = 16384  # states scored per matrix product (about 5 MB of scores)


def find_recogniser(nlp: "Language") -> Any | None:
    """The pipeline's statistical entity recogniser (``ner``/``beam_ner``), if any."""
    from spacy.pipeline import EntityRecognizer

    found = [proc for _, proc in nlp.pipeline if isinstance(proc, EntityRecognizer)]
    return found[-1] if found else None


def scored_pipe(nlp: "Language", texts: Iterable[str], batch_size: int,
                scorer: "EntityScorer") -> Iterator["Doc"]:
    """``nlp.pipe(texts)`` with the scorer's recogniser replaced by the scored parse."""
    docs: Iterator[Doc] = (nlp.make_doc(text) for text in texts)
    for _, proc in nlp.pipeline:
        if proc is scorer.ner:
            docs = scorer.pipe(docs, batch_size)
        elif hasattr(proc, "pipe"):
            docs = proc.pipe(docs, batch_size=batch_size)
        else:
            docs = (proc(doc) for doc in docs)
    return docs


class EntityScorer:
    """Greedy entities of ``ner`` with a confidence each (see the module docstring)."""

    def __init__(self, ner: Any, method: str = "marginal", beam_width: int = 8,
                 epsilon: float = 1e-4) -> None:
        if method not in METHODS[:2]:
            raise ValueError(f"unknown confidence method {method!r}: use one of {METHODS[:2]}")
        self.ner = ner
        self.method = method
        self.beam_width = int(beam_width)
        self.epsilon = float(epsilon)
        self._columns = _columns(ner.moves)

    def pipe(self, docs: Iterable["Doc"], batch_size: int) -> Iterator["Doc"]:
        """Parse and score ``docs`` as ``ner.pipe`` does: by length, in sub-batches."""
        from spacy.util import minibatch

        for batch in minibatch(docs, size=batch_size):
            batch = list(batch)
            by_length = sorted(batch, key=len)
            for sub in minibatch(by_length, size=max(batch_size // 4, 2)):
                self.parse(list(sub))
            yield from batch

    def parse(self, docs: list["Doc"]) -> None:
        """Set ``doc.ents`` (greedy) and ``doc.user_data[CONFIDENCE_KEY]`` on ``docs``."""
        from spacy.pipeline._parser_internals._beam_utils import BeamBatch

        ner, moves = self.ner, self.ner.moves
        if not any(len(doc) for doc in docs):
            ner.set_annotations(docs, moves.init_batch(docs))
            for doc in docs:
                doc.user_data[CONFIDENCE_KEY] = {}
            return
        ner._ensure_labels_are_added(docs)
        method = self.method if self.method == "beam" or self._lattice_ok(docs) else "beam"
        greedy = BeamBatch(moves, moves.init_batch(docs), None, 1, density=0.0)
        beam = BeamBatch(moves, moves.init_batch(docs), None, self.beam_width, density=0.0) \
            if method == "beam" else None
        step = ner.model.predict(docs)
        try:
            while not greedy.is_done or (beam is not None and not beam.is_done):
                mine = greedy.get_unfinished_states()
                theirs = beam.get_unfinished_states() if beam is not None else []
                if not mine and not theirs:
                    break
                scores = _to_numpy(step.predict(mine + theirs))
                if mine:
                    greedy.advance(numpy.ascontiguousarray(scores[:len(mine)]))
                if theirs:
                    beam.advance(_log_softmax(scores[len(mine):]))
            ner.set_annotations(docs, greedy)
            found = self._marginals(step, docs) if beam is None else _beam_shares(moves, beam)
        finally:
            step.clear_memory()
        for doc, shares in zip(docs, found):
            doc.user_data[CONFIDENCE_KEY] = {
                key: min(1.0, max(0.0, shares.get(key, 0.0)))
                for key in ((e.start, e.end, e.label_) for e in doc.ents)}

    def _lattice_ok(self, docs: list["Doc"]) -> bool:
        """Whether the exact computation applies: ``ner`` features, no preset entities."""
        from spacy.attrs import ENT_IOB

        return (self._columns is not None and _n_features(self.ner) in (3, 6)
                and not any(doc.to_array(ENT_IOB).any() for doc in docs if len(doc)))

    def _marginals(self, step: Any, docs: list["Doc"]) -> list[dict[tuple, float]]:
        """Exact span probabilities of every doc's greedy entities (module docstring)."""
        cols = self._columns
        assert cols is not None
        lat = _Lattice(step, docs, cols)
        p_out, p_begin, p_unit = lat.outside()
        starts, ends, probs = lat.chains(p_begin, self.epsilon)
        stay = (p_out + p_unit.sum(axis=1)).tolist()
        closing: dict[int, list[tuple[int, float]]] = {}
        for s, e, q in zip(starts.tolist(), ends.tolist(), probs.sum(axis=1).tolist()):
            closing.setdefault(e, []).append((s, q))
        row = {(s, e): i for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist()))}
        found = []
        for base, doc in zip(lat.offsets.tolist(), docs):
            alpha = {base: 1.0}  # p(outside any entity before global token t)
            previous = 1.0
            for t in range(base + 1, base + len(doc) + 1):
                previous = previous * stay[t - 1] + sum(alpha[s] * q for s, q in closing.get(t, ()))
                alpha[t] = previous
            shares = {}
            for ent in doc.ents:
                label = cols.label_index.get(ent.label_)
                s, e = base + ent.start, base + ent.end
                if label is None:
                    continue
                q = p_unit[s, label] if e - s == 1 else \
                    (probs[row[(s, e)], label] if (s, e) in row else 0.0)
                shares[(ent.start, ent.end, ent.label_)] = alpha[s] * float(q)
            found.append(shares)
        return found


class _Columns:
    """Indices of the O/B-/I-/L-/U- actions in the score vectors, per label."""

    def __init__(self, out: int, labels: list[str], begin: list[int], inside: list[int],
                 last: list[int], unit: list[int]) -> None:
        self.out = out
        self.labels = labels
        self.label_index = {label: i for i, label in enumerate(labels)}
        self.begin, self.inside = numpy.array(begin), numpy.array(inside)
        self.last, self.unit = numpy.array(last), numpy.array(unit)



def _columns(moves: Any) -> _Columns | None:
    """The action columns of a BILUO transition system, or None when it is not one."""
    names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    where = {name: i for i, name in enumerate(names)}
    labels = sorted({n[2:] for n in names if n[:2] in ("B-", "I-", "L-", "U-") and n[2:]})
    if "O" not in where or not labels or not all(
            f"{a}-{label}" in where for a in "BILU" for label in labels):
        return None
    pick = {a: [where[f"{a}-{label}"] for label in labels] for a in "BILU"}
    return _Columns(where["O"], labels, pick["B"], pick["I"], pick["L"], pick["U"])


def _n_features(ner: Any) -> int | None:
    try:
        return int(ner.model.get_ref("lower").get_dim("nF"))
    except (KeyError, ValueError, AttributeError):
        return None


class _Lattice:
    """The step distributions of one sub-batch, computed in bulk from spaCy's step model."""

    def __init__(self, step: Any, docs: list["Doc"], cols: _Columns) -> None:
        from spacy.attrs import IS_SPACE, SENT_START

        self.step, self.cols = step, cols
        self.n_features = step.state2vec.nF
        lengths = [len(doc) for doc in docs]
        self.offsets = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]]).astype(int)
        total = int(sum(lengths))
        space = numpy.zeros(total, dtype=bool)
        next_starts = numpy.zeros(total, dtype=bool)  # the next token opens a sentence
        last = numpy.zeros(total, dtype=bool)  # the last token of its doc
        for base, doc in zip(self.offsets, docs):
            if len(doc):
                arr = doc.to_array([IS_SPACE, SENT_START])
                space[base:base + len(doc)] = arr[:, 0] != 0
                next_starts[base:base + len(doc) - 1] = arr[1:, 1] == 1
                last[base + len(doc) - 1] = True
        self.can_begin = ~space & ~last & ~next_starts
        self.can_unit = ~space
        self.can_continue = ~last & ~next_starts

    def scores(self, pos: numpy.ndarray, start: numpy.ndarray | None) -> numpy.ndarray:
        """Action scores of the states at tokens ``pos``, entity open since ``start``."""
        ids = numpy.full((len(pos), self.n_features), -1, dtype="i")
        ids[:, 0] = pos
        if start is not None:
            if self.n_features == 3:
                ids[:, 1], ids[:, 2] = start, pos - 1
            else:
                for j in range(1, self.n_features):
                    tok = start + j - 1
                    ids[:, j] = numpy.where(tok < pos, tok, -1)
        upper = self.step.vec2scores
        parts = []
        for at in range(0, len(ids), _ROWS_AT_ONCE):  # bounded memory on long pages
            hidden = self.step.state2vec.predict(ids[at:at + _ROWS_AT_ONCE])
            parts.append(_to_numpy(upper.predict(hidden) if upper is not None else hidden))
        out = numpy.concatenate(parts) if parts else numpy.zeros((0, self.step.nO), "f")
        unseen = self.step._class_mask == 0
        if unseen.any():
            out[:, unseen] = numpy.nanmin(out)
        return out

    def outside(self) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """p(O), p(B-L), p(U-L) at every token, outside any entity (valid actions only)."""
        cols = self.cols
        sc = self.scores(numpy.arange(len(self.can_begin)), None)
        out = sc[:, cols.out][:, None]
        begin = numpy.where(self.can_begin[:, None], sc[:, cols.begin], -numpy.inf)
        unit = numpy.where(self.can_unit[:, None], sc[:, cols.unit], -numpy.inf)
        probs = _softmax(numpy.hstack([out, begin, unit]))
        k = len(cols.labels)
        return probs[:, 0], probs[:, 1:1 + k], probs[:, 1 + k:]

    def chains(self, p_begin: numpy.ndarray, epsilon: float) -> tuple[numpy.ndarray, ...]:
        """Every followed span of two tokens or more: ``(starts, ends, probs)``, where
        ``probs[k, label]`` is p(the span with that label | outside at its start).
        Starts and continuations above ``epsilon`` are followed."""
        cols = self.cols
        start = numpy.flatnonzero(p_begin.sum(axis=1) > epsilon)
        mass, pos = p_begin[start], start + 1
        found: list[tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]] = []
        for _ in range(_MAX_ENTITY_TOKENS):
            if not len(start):
                break
            sc = self.scores(pos, start)
            inside = numpy.where(self.can_continue[pos][:, None], sc[:, cols.inside], -numpy.inf)
            last = sc[:, cols.last]
            top = numpy.maximum(inside, last)
            p_in, p_last = numpy.exp(inside - top), numpy.exp(last - top)
            norm = p_in + p_last
            found.append((start, pos + 1, mass * (p_last / norm)))
            mass = mass * (p_in / norm)
            keep = mass.sum(axis=1) > epsilon
            start, mass, pos = start[keep], mass[keep], pos[keep] + 1
        if not found:
            return numpy.zeros(0, int), numpy.zeros(0, int), numpy.zeros((0, len(cols.labels)))
        return tuple(numpy.concatenate(parts) for parts in zip(*found))


def _beam_shares(moves: Any, beams: Any) -> list[dict[tuple, float]]:
    """``scored_ents``: each (start, end, label)'s share of its beam's probability."""
    found = []
    for beam in beams:
        shares: dict[tuple, float] = {}
        for prob, ents in moves.get_beam_parses(beam):
            for key in ents:
                shares[key] = shares.get(key, 0.0) + float(prob)
        found.append(shares)
    return found


def _to_numpy(array: Any) -> numpy.ndarray:
    return array.get() if hasattr(array, "get") and not isinstance(array, numpy.ndarray) \
        else numpy.asarray(array)


def _softmax(x: numpy.ndarray) -> numpy.ndarray:
    e = numpy.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(x: numpy.ndarray) -> numpy.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    return numpy.ascontiguousarray(x - numpy.log(numpy.exp(x).sum(axis=1, keepdims=True)),
                                   dtype="f")
