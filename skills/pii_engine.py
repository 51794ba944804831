"""Presidio's analyzer, wired to run offline and without a NER model (for ``pii``).

Microsoft Presidio (``presidio-analyzer``, MIT) brings the recognizers: e-mail,
phone numbers (``phonenumbers``), credit cards (Luhn-checked), IBANs (mod-97
checked), IP addresses, and national id numbers of many countries (US SSN, ITIN and
passport, UK NHS and NINO, Spanish NIF/NIE, Italian fiscal code, Polish PESEL,
Indian Aadhaar and PAN, Singapore NRIC/FIN, Australian TFN...), each with a score
that a checksum or a context word ("ssn", "card", "iban" near the match) raises.

Two parts of Presidio are replaced here, so that nothing needs the network or a
large model:

* the NLP engine: only the pattern recognizers run, so no NER model is loaded
  (Presidio's default would load ``en_core_web_lg``). Their context words still
  count: :class:`TokenNlpEngine` gives them tokens and lower-cased "lemmas" from
  spaCy's rule-based tokenizer (``spacy.blank``), which exists for every language
  spaCy knows and costs a fraction of a tagger or parser;
* the e-mail recognizer: Presidio checks an address's domain with ``tldextract``,
  whose default extractor fetches the public-suffix list from the web on first use;
  :class:`OfflineEmailRecognizer` uses tldextract's bundled snapshot instead.

Importing Presidio imports torch and transformers when they are installed (its
optional transformer engines), so this module is imported in ``warm_up`` only.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any, Collection, Iterable, Iterator

from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer,
                                                      IbanRecognizer, IpRecognizer,
                                                      PhoneRecognizer, SpacyRecognizer)

__all__ = ["TokenNlpEngine", "OfflineEmailRecognizer", "build_analyzer", "find"]

log = logging.getLogger(__name__)

# Recognizers that do not depend on a language: added for a language whose Presidio
# configuration has none (its context words stay English).
GENERIC = (CreditCardRecognizer, IbanRecognizer, IpRecognizer, PhoneRecognizer)


@lru_cache(maxsize=None)
def _blank(language: str) -> Any:
    import spacy

    try:
        return spacy.blank(language)
    except Exception:  # noqa: BLE001 - a language spaCy lacks: its multi-language tokenizer
        return spacy.blank("xx")


class TokenNlpEngine(NlpEngine):
    """Tokens and lower-cased forms for Presidio's context words; no entities."""

    def __init__(self, languages: Iterable[str]) -> None:
        self.languages = list(languages)

    def load(self) -> None:
        for language in self.languages:
            _blank(language)

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        doc = _blank(language)(text)
        return NlpArtifacts(entities=[], tokens=doc, tokens_indices=[t.idx for t in doc],
                            lemmas=[t.lower_ for t in doc], nlp_engine=self, language=language)

    def process_batch(self, texts: Iterable[str], language: str, batch_size: int = 1,
                      n_process: int = 1, as_tuples: bool = False,
                      **kwargs: Any) -> Iterator[Any]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return _blank(language).vocab[word].is_stop

    def is_punct(self, word: str, language: str) -> bool:
        return _blank(language).vocab[word].is_punct

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return self.languages


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, its domain check on tldextract's bundled snapshot."""

    def validate_result(self, pattern_text: str) -> bool:
        return _tld_extractor()(pattern_text).fqdn != ""


@lru_cache(maxsize=1)
def _tld_extractor() -> Any:
    import tldextract

    # No suffix-list URLs: the snapshot inside the package, no fetch, no disk cache.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _country_recognizers(language: str, wanted: set[str] | None) -> Iterator[Any]:
    """Presidio's national-id recognizers for the ``wanted`` types (all when None),
    whatever their own language: a Spanish NIF can stand in an English letter."""
    import presidio_analyzer.predefined_recognizers as predefined

    for name in predefined.__all__:
        cls = getattr(predefined, name)
        if not (isinstance(cls, type) and issubclass(cls, PatternRecognizer)
                and getattr(cls, "COUNTRY_CODE", None)):
            continue
        try:
            recognizer = cls(supported_language=language)
        except Exception as exc:  # noqa: BLE001 - one odd recognizer must not stop the rest
            log.debug("presidio recognizer %s skipped: %s", name, exc)
            continue
        if wanted is None or set(recognizer.supported_entities) & wanted:
            yield recognizer


def build_analyzer(languages: Iterable[str], entities: Iterable[str] | None) -> AnalyzerEngine:
    """An analyzer with Presidio's predefined pattern recognizers for ``languages``, and
    its national-id recognizers of every country for the ``entities`` asked for."""
    languages = list(dict.fromkeys(languages))
    wanted = None if entities is None else set(entities)
    engine = TokenNlpEngine(languages)
    registry = RecognizerRegistry(supported_languages=languages)
    presidio_log = logging.getLogger("presidio-analyzer")
    level = presidio_log.level
    presidio_log.setLevel(logging.ERROR)  # a warning per recognizer of another language
    try:
        registry.load_predefined_recognizers(languages=languages, nlp_engine=engine)
    finally:
        presidio_log.setLevel(level)
    registry.recognizers = [r for r in registry.recognizers  # no NER; e-mail offline
                            if not isinstance(r, (EmailRecognizer, SpacyRecognizer))]
    for language in languages:
        have = {type(r) for r in registry.recognizers if r.supported_language == language}
        extra = [OfflineEmailRecognizer(supported_language=language)]
        extra += [cls(supported_language=language) for cls in GENERIC if cls not in have]
        extra += [r for r in _country_recognizers(language, wanted) if type(r) not in have]
        for recognizer in extra:
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=languages)


def find(analyzer: AnalyzerEngine, text: str, languages: Iterable[str],
         entities: list[str] | None, min_confidence: float,
         needs_context: Collection[str] = ()) -> list[dict[str, Any]]:
    """The PII in ``text``: ``{type, text, start, end, confidence, context}`` sorted by
    start, overlaps resolved for the higher confidence (then the longer span);
    ``context`` lists the recognizer's context words found just before the match.
    A type in ``needs_context`` counts only with such a word."""
    if not text.strip():
        return []
    words = _context_words(analyzer)
    found = []
    for language in languages:
        for r in analyzer.analyze(text=text, language=language, entities=entities,
                                  score_threshold=min_confidence):
            context = _context_before(text, r.start, words.get(_recognizer(r), ()))
            if context or r.entity_type not in needs_context:
                found.append((r, context))
    kept: list[tuple[Any, list[str]]] = []
    for r, context in sorted(found, key=lambda f: (-f[0].score, f[0].start - f[0].end)):
        if all(r.end <= k.start or r.start >= k.end for k, _ in kept):
            kept.append((r, context))
    return [{"type": r.entity_type, "text": text[r.start:r.end], "start": r.start,
             "end": r.end, "confidence": round(float(r.score), 4), "context": context}
            for r, context in sorted(kept, key=lambda f: f[0].start)]


CONTEXT_WINDOW = 60  # characters before a match searched for its context words


def _recognizer(result: Any) -> str:
    return (result.recognition_metadata or {}).get("recognizer_name", "")


def _context_words(analyzer: AnalyzerEngine) -> dict[str, tuple[str, ...]]:
    return {r.name: tuple(getattr(r, "context", None) or ()) for r in analyzer.registry.recognizers}


def _context_before(text: str, start: int, words: Iterable[str]) -> list[str]:
    before = text[max(0, start - CONTEXT_WINDOW):start].lower()
    tokens = set(re.findall(r"\w+", before))
    return list(dict.fromkeys(w.lower() for w in words if w.lower() in tokens))
