"""Language detection with py3langid.

``LanguageSkill`` adds ``/document/language`` (an ISO 639-1 code such as ``"en"``)
and ``/document/language_confidence`` (a probability in ``[0, 1]``) from the
document's full text. py3langid ships its model inside the wheel, so this skill
never downloads anything; the model is loaded once per process in ``warm_up``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from skills.base import ModelRef, Record, RunContext, Skill, SkillUnavailable, versioned

__all__ = ["LanguageSkill", "load_identifier", "detect"]

# One identifier per process and language restriction (loading takes ~0.7 s).
_IDENTIFIERS: dict[tuple[str, ...] | None, Any] = {}


def load_identifier(languages: tuple[str, ...] | None = None) -> Any:
    """Return the cached py3langid identifier with normalised probabilities."""
    if languages not in _IDENTIFIERS:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError as exc:
            raise SkillUnavailable(
                "language: py3langid is not installed; install it with "
                "`pip install py3langid`") from exc
        load = getattr(LanguageIdentifier, "from_model_file", None) or \
            LanguageIdentifier.from_pickled_model  # py3langid < 0.3
        identifier = load(MODEL_FILE, norm_probs=True)
        if languages:
            identifier.set_languages(list(languages))
        _IDENTIFIERS[languages] = identifier
    return _IDENTIFIERS[languages]


class LanguageSkill(Skill):
    """Detect the language of a document's text.

    Only the first ``max_chars`` characters (default 5000) are looked at: that is
    plenty for a reliable answer and keeps the cost flat for long documents.

    Text with fewer than ``min_letters`` letters (default 20) gives
    ``language=None`` and ``language_confidence=None``: such text is too short
    (or mostly digits and symbols) for a meaningful guess. A guess whose
    probability is below ``min_confidence`` (default 0, off) gives
    ``language=None`` with its confidence kept, so the reason can be seen.

    Parameters: ``max_chars``, ``min_letters``, ``min_confidence`` and
    ``languages`` (a list of ISO 639-1 codes that restricts the candidates,
    default: all ~97 languages of the model).
    """

    name: ClassVar[str] = "language"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/content"}
    outputs: ClassVar[tuple[str, ...]] = ("language", "language_confidence")
    description: ClassVar[str] = "Language of the text (py3langid), with a probability."

    def __init__(self, max_chars: int = 5000, min_letters: int = 20,
                 min_confidence: float = 0.0, languages: Sequence[str] | None = None,
                 **params: Any) -> None:
        super().__init__(max_chars=max_chars, min_letters=min_letters,
                         min_confidence=min_confidence, languages=languages, **params)
        self.max_chars = int(max_chars)
        self.min_letters = int(min_letters)
        self.min_confidence = float(min_confidence)
        self.languages = tuple(sorted(languages)) if languages else None
        self._identifier: Any = None

    def models(self) -> list[ModelRef]:
        return [ModelRef("py3langid", "bundled", "pip install py3langid")]

    @property
    def model(self) -> str:
        """``py3langid-<version>``."""
        return versioned("py3langid")

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the py3langid model (once per process); idempotent."""
        if self._identifier is None:
            self._identifier = load_identifier(self.languages)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[dict[str, Any]]:
        """Return ``{"language", "language_confidence"}`` per record, in order."""
        self.warm_up()
        return [self._detect(record.get("text")) for record in records]

    def _detect(self, text: Any) -> dict[str, Any]:
        """Classify one text, or answer None/None when there is too little of it."""
        language, confidence = detect(self._identifier, text, self.max_chars, self.min_letters)
        if confidence is not None and confidence < self.min_confidence:
            language = None
        return {"language": language, "language_confidence": confidence}


def detect(identifier: Any, text: Any, max_chars: int = 5000,
           min_letters: int = 20) -> tuple[str | None, float | None]:
    """``(language, probability)`` of the first ``max_chars`` characters of ``text``, or
    ``(None, None)`` when they hold fewer than ``min_letters`` letters (about 0.3 ms per
    1,000 characters: cheap enough to run per page)."""
    sample = text[:max_chars] if isinstance(text, str) else ""
    if sum(ch.isalpha() for ch in sample) < min_letters:
        return None, None
    language, confidence = identifier.classify(sample)
    return language, round(min(max(float(confidence), 0.0), 1.0), 4)
