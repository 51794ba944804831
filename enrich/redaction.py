"""What the ``pii`` skill's findings change when a document becomes a record.

* Entity mentions that are personal data or its noise (a found value, a placeholder,
  the ``SSN`` in front of a social security number) are dropped, whatever skill made
  them, unless they come from a ``pii`` skill itself (``as_entities: true``).
* With a ``pii`` skill in ``mode: redact``, every string of the document (page texts,
  content, metadata, OCR text, chunks, the findings themselves; ids and URIs excepted)
  has each found value replaced by its placeholder, so the search fields, the stored
  texts and the store's tree hold the redacted text. With ``keep_original: true`` the
  store keeps the original tree and metadata (for reviewers with access to the store);
  the search index still gets only redacted text, and the stored chunks are redacted
  either way (vector-search hits show their text).
* E-mail addresses that entity skills report (the ``correspondents`` skill's From/To/Cc
  people: the address is their ``text`` and ``alias``, and their name without a display
  name) are personal data whether or not the page text holds them: when a ``pii`` skill
  in redact mode looks for ``EMAIL_ADDRESS`` (the default), such a mention keeps only
  its display name (a header mention without one is dropped; a text mention holding an
  address too), and each such address is redacted in the document like a finding.
* The store keeps the original only when every ``pii`` skill in redact mode says
  ``keep_original: true`` (one that does not wins: its findings are never stored);
  otherwise the indexer runs without the enrichment cache too (:func:`cache_allowed`),
  which would keep the original text in ``DATA/cache``.

The text the search index, chunks and embeddings see is redacted by wiring (the skill
writes ``merged_text``, see ``skills.pii``); this step covers the copies of the text
that skills do not rewrite: the cracker's page text and content, metadata, image OCR.
"""

from __future__ import annotations

import re
from typing import Any

from graph.normalize import entity_key
from skills.pii import PiiSkill
from skills.pii_redact import is_pii_mention, placeholder_for, replacements, scrub

from enrich import tree
from enrich.plan import BoundSkill, Plan

__all__ = ["pii_findings", "drop_pii_mentions", "redact_document", "cache_allowed", "GRAPH_KEY"]

GRAPH_KEY = "_graph"  # records.attach_graph's work in a tree: never scrubbed or stored
EMAIL = "EMAIL_ADDRESS"
# An e-mail address inside any text (the parts Presidio's own e-mail pattern allows).
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def _pii_skills(plan: Plan) -> list[BoundSkill]:
    return [b for b in plan.skills if issubclass(b.cls, PiiSkill) and "pii" in b.outputs]


def pii_findings(doc: dict[str, Any], plan: Plan) -> dict[Any, list[dict[str, Any]]]:
    """The findings of every ``pii`` skill, by page number (None: not under a page)."""
    found: dict[Any, list[dict[str, Any]]] = {}
    for bound in _pii_skills(plan):
        for where, values in tree.expand(doc, bound.context + (bound.outputs["pii"],)):
            page = None
            if len(where) >= 2 and where[0] == "pages" and isinstance(where[1], int):
                page = doc["pages"][where[1]].get("number")
            found.setdefault(page, []).extend(v for v in values or [] if isinstance(v, dict))
    return found


def drop_pii_mentions(mentions: list[dict[str, Any]], doc: dict[str, Any],
                      plan: Plan) -> list[dict[str, Any]]:
    """``mentions`` without those that are personal data (see the module docstring)."""
    own = {b.name for b in _pii_skills(plan)}
    if not own:
        return mentions
    found = pii_findings(doc, plan)
    everything = [f for findings in found.values() for f in findings]
    kept = [m for m in mentions if m.get("skill") in own
            or not is_pii_mention(m, found.get(m.get("page"), []) if m.get("page") is not None
                                  else everything)]
    redacting = _redacting(plan)
    if not _redacts_addresses(redacting):
        return kept
    return _without_addresses(kept, own, placeholder_for(_placeholder(redacting), EMAIL))


def _redacts_addresses(redacting: tuple[PiiSkill, ...]) -> bool:
    """Whether a ``pii`` skill in redact mode looks for e-mail addresses."""
    return any(skill.entities is None or EMAIL in skill.entities for skill in redacting)


def _without_addresses(mentions: list[dict[str, Any]], own: set[str],
                       placeholder: str) -> list[dict[str, Any]]:
    """The mentions with no e-mail address left in them (see the module docstring); the
    key counts too, and in a tree already redacted the placeholder stands for one."""
    out = []
    for m in mentions:
        forms = [str(m.get(k) or "") for k in ("text", "alias", "name", "key")]
        if m.get("skill") in own or not any(ADDRESS.search(f) or placeholder in f
                                            for f in forms):
            out.append(m)
            continue
        name = str(m.get("name") or "").strip()
        if (name and not ADDRESS.search(name) and placeholder not in name
                and m.get("start") is None):
            out.append({**m, "text": name, "alias": None, "key": entity_key(m["type"], name)})
    return out


def _entity_addresses(doc: dict[str, Any], plan: Plan) -> set[str]:
    """The e-mail addresses in the entity values of ``plan.entities``."""
    found: set[str] = set()
    for pattern in plan.entities:
        for _, values in tree.expand(doc, pattern):
            for entity in values if isinstance(values, list) else []:
                if isinstance(entity, dict):
                    found.update(a for k in ("text", "alias", "name")
                                 for a in ADDRESS.findall(str(entity.get(k) or "")))
    return found


def _redacting(plan: Plan) -> tuple[PiiSkill, ...]:
    """The plan's ``pii`` skills in redact mode, as instances (cheap to build: the plan
    was validated, and a skill's ``__init__`` only keeps its parameters)."""
    return tuple(skill for skill in (b.skill() for b in _pii_skills(plan))
                 if skill.mode == "redact")


def _placeholder(redacting: tuple[PiiSkill, ...]) -> str:
    """The placeholder pattern redaction uses (the first redacting skill's)."""
    return redacting[0].placeholder if redacting else ""


def _keeps_original(redacting: tuple[PiiSkill, ...]) -> bool:
    """Whether the store keeps the original tree: unless a ``pii`` skill redacts without
    ``keep_original: true`` (with none redacting, the tree is the original)."""
    return all(skill.keep_original for skill in redacting)


def cache_allowed(plan: Plan) -> bool:
    """False when a ``pii`` skill redacts without ``keep_original``: the enrichment cache
    (``DATA/cache``) would keep the cracked text and the findings as they were."""
    return _keeps_original(_redacting(plan))


def redact_document(doc: dict[str, Any], plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(redacted, kept)``: the document with found values redacted everywhere, and the
    tree the store keeps (the original with ``keep_original: true``, else the redacted
    one). Without a ``pii`` skill in redact mode, both are ``doc`` itself."""
    redacting = _redacting(plan)
    if not redacting:
        return doc, doc
    pattern = _placeholder(redacting)
    values = replacements((f for fs in pii_findings(doc, plan).values() for f in fs), pattern)
    if _redacts_addresses(redacting):
        for address in sorted(_entity_addresses(doc, plan)):
            values.setdefault(address, placeholder_for(pattern, EMAIL))
    graph = doc.pop(GRAPH_KEY, None)
    redacted = scrub(doc, values)
    if graph is not None:
        redacted[GRAPH_KEY] = graph
    if not _keeps_original(redacting):
        return redacted, redacted
    # The store keeps the original, but its chunk texts are what vector-search hits show.
    return redacted, {**doc, "chunks": redacted["chunks"]} if "chunks" in doc else doc
