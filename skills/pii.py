"""``pii``: personal data in text - found with a confidence, and redacted on request.

Runs Microsoft Presidio's pattern recognizers (``skills.pii_engine``: offline, no NER
model) on each page's text and outputs:

* ``pii``: ``[{type, text, start, end, confidence}]`` (offsets in the input text),
  types as Presidio names them: ``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ``CREDIT_CARD``
  (Luhn-checked), ``IBAN_CODE`` (checksum-checked), ``IP_ADDRESS`` (v4 and v6),
  national ids (``US_SSN``, ``UK_NHS``, ``ES_NIF``, ``PL_PESEL``... :data:`NATIONAL_IDS`);
* ``redacted_text``: in ``mode: redact``, the text with each finding replaced by
  ``placeholder`` (``[US_SSN]``); in ``mode: detect`` the text unchanged, so the redaction
  wiring below switched to ``detect`` still passes the page text on;
* ``pii_entities``: with ``as_entities: true`` the findings as entity values (add the
  path to the skillset's ``entities:`` to put them in the graph); empty otherwise, so
  personal data never becomes graph nodes unless asked.

Parameters: ``entities`` (types to look for; ``all`` for every type Presidio has,
dates and URLs included; list parameters also take one string, comma-separated), ``min_confidence`` (0.4: Presidio's score of a valid phone
number without a context word), ``languages`` (``[en]``: the text is analysed once per
language, with Presidio's recognizers and context words of that language; the
language-neutral ones - cards, IBAN, IP, phone, e-mail, national ids - run for every
language), ``mode`` (``detect`` or ``redact``), ``placeholder`` (``[{type}]``),
``needs_context`` (:data:`NEEDS_CONTEXT`: national ids that are bare checksummed numbers
count only with a context word such as "NHS" nearby; ``[]`` to take them all),
``keep_original`` (``false``: read by the indexer, see ``enrich.redaction``) and
``as_entities`` (``false``).

More than page text: another instance (its own ``name``) with ``context: /document``
and ``inputs: {text: /document/metadata/subject}`` (or ``/document/metadata/to``, a list)
looks at a header too; the indexer redacts what any pii instance found everywhere.

Redaction end to end: wire the skill between ``merge`` and everything that reads
``merged_text``, so the search index, the stored page text, chunks, embeddings and
entities all see the redacted text (``enrich/default_skillset.yaml`` shows how)::

  - skill: merge
    outputs: {merged_text: raw_text}
  - skill: pii
    inputs: {text: /document/pages/*/raw_text}
    outputs: {redacted_text: merged_text}
    params: {mode: redact}
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from graph.normalize import entity_key

from skills.base import ModelRef, Skill, SkillUnavailable, versioned
from skills.pii_redact import redact_text

__all__ = ["PiiSkill", "CONTACT", "NATIONAL_IDS", "DEFAULT_ENTITIES", "NEEDS_CONTEXT", "MODES"]

CONTACT = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS")
NATIONAL_IDS = ("US_SSN", "US_ITIN", "US_PASSPORT", "UK_NHS", "UK_NINO", "ES_NIF", "ES_NIE",
                "IT_FISCAL_CODE", "IT_IDENTITY_CARD", "PL_PESEL", "FI_PERSONAL_IDENTITY_CODE",
                "SE_PERSONNUMMER", "DE_TAX_ID", "IN_AADHAAR", "IN_PAN", "SG_NRIC_FIN", "AU_TFN",
                "CA_SIN", "KR_RRN", "TR_NATIONAL_ID", "TH_TNIN", "NG_NIN", "ZA_ID_NUMBER")
DEFAULT_ENTITIES = CONTACT + NATIONAL_IDS
# Bare numbers whose checksum one random number in ten or eleven passes: found only with
# a context word of their recognizer nearby ("NHS number", "TFN", "PESEL").
NEEDS_CONTEXT = ("UK_NHS", "AU_TFN", "PL_PESEL", "IN_AADHAAR", "CA_SIN", "KR_RRN",
                 "TR_NATIONAL_ID", "TH_TNIN", "NG_NIN", "ZA_ID_NUMBER", "DE_TAX_ID")
MODES = ("detect", "redact")
INSTALL = "pip install presidio-analyzer tldextract phonenumbers"
ENGINE_PACKAGES = ("presidio-analyzer", "phonenumbers", "tldextract")


class PiiSkill(Skill):
    """Personal data (e-mail, phone, card, IBAN, IP, national ids) with confidence."""

    name = "pii"
    version = "2"  # 2: detect mode passes the text on as redacted_text
    context = "/document/pages/*"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/pages/*/merged_text"}
    outputs: ClassVar[tuple[str, ...]] = ("pii", "redacted_text", "pii_entities")
    description = "personal data (Presidio recognizers, offline) found and optionally redacted"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.mode = params.get("mode", "detect")
        if self.mode not in MODES:
            raise ValueError(f"pii: mode {self.mode!r} is not one of {', '.join(MODES)}")
        entities = _items(params.get("entities", list(DEFAULT_ENTITIES)))
        self.entities = None if [e.lower() for e in entities] == ["all"] \
            else [e.upper() for e in entities]
        self.min_confidence = float(params.get("min_confidence", 0.4))
        self.languages = _items(params.get("languages", ["en"]))
        self.placeholder = str(params.get("placeholder", "[{type}]"))
        self.as_entities = bool(params.get("as_entities", False))
        self.keep_original = params.get("keep_original", False) is True  # for the indexer
        self.needs_context = {e.upper() for e in _items(params.get("needs_context", NEEDS_CONTEXT))}
        self._analyzer: Any = None

    @property
    def model(self) -> str | None:
        """The analyzer and the packages its recognizers check with, versioned, so that
        cached findings are not reused after an upgrade."""
        return " ".join(versioned(p) for p in ENGINE_PACKAGES)

    def models(self) -> list[ModelRef]:
        return [ModelRef("presidio_analyzer", "bundled", INSTALL)]  # its recognizers

    def warm_up(self, context: Any = None) -> None:
        if self._analyzer is not None:
            return
        try:
            from skills.pii_engine import build_analyzer
        except ImportError as exc:
            raise SkillUnavailable(f"pii needs Presidio's analyzer ({exc}): {INSTALL}") from exc
        self._analyzer = build_analyzer(self.languages, self.entities)

    def run(self, records: Sequence[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        self.warm_up()
        return [self._one(_text(r.get("text"))) for r in records]

    def _one(self, text: str) -> dict[str, Any]:
        from skills.pii_engine import find

        found = find(self._analyzer, text, self.languages, self.entities, self.min_confidence,
                     self.needs_context)
        return {"pii": found,
                "redacted_text": redact_text(text, found, self.placeholder)
                if self.mode == "redact" else text,
                "pii_entities": [_entity(f) for f in found] if self.as_entities else []}


def _items(value: Any) -> list[str]:
    """A list parameter's items: a list as given, a string as one item or comma-separated
    ones (``US_SSN`` or ``"en, de"``), never its characters."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def _text(value: Any) -> str:
    """The text of an input: a string, or a list of them (``/document/metadata/to``) one a
    line."""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


def _entity(finding: dict[str, Any]) -> dict[str, Any]:
    return {"text": finding["text"], "type": finding["type"], "name": finding["text"],
            "key": entity_key(finding["type"], finding["text"]), "start": finding["start"],
            "end": finding["end"], "confidence": finding["confidence"]}
