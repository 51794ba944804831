"""What the ``pii`` skill's findings change when a document becomes a record.

* Entity mentions that are personal data or its noise (a found value, a placeholder,
  the ``SSN`` in front of a social security number) are dropped, whatever skill made
  them, unless they come from a ``pii`` skill itself (``as_entities: true``).
* With a ``pii`` skill in ``mode: redact``, every string of the document (page texts,
  content, metadata, OCR text, chunks, the findings themselves; ids and URIs excepted)
  has each found value replaced by its placeholder, so the search fields, the stored
  texts and the store's tree hold the redacted text. With ``keep_original: true`` the
  store keeps the original tree and metadata (for reviewers with access to the store);
  the search index still gets only redacted text.
* Without ``keep_original``, the indexer runs without the enrichment cache
  (:func:`cache_allowed`), which would keep the original text in ``DATA/cache``.

The text the search index, chunks and embeddings see is redacted by wiring (the skill
writes ``merged_text``, see ``skills.pii``); this step covers the copies of the text
that skills do not rewrite: the cracker's page text and content, metadata, image OCR.
"""

from __future__ import annotations

from typing import Any

from skills.pii import PiiSkill
from skills.pii_redact import is_pii_mention, replacements, scrub

from enrich import tree
from enrich.plan import BoundSkill, Plan

__all__ = ["pii_findings", "drop_pii_mentions", "redact_document", "cache_allowed", "GRAPH_KEY"]

GRAPH_KEY = "_graph"  # records.attach_graph's work in a tree: never scrubbed or stored


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
    found = pii_findings(doc, plan)
    if not found:
        return mentions
    own = {b.name for b in _pii_skills(plan)}
    everything = [f for findings in found.values() for f in findings]
    return [m for m in mentions if m.get("skill") in own
            or not is_pii_mention(m, found.get(m.get("page"), []) if m.get("page") is not None
                                  else everything)]


def _redacting(plan: Plan) -> list[BoundSkill]:
    return [b for b in _pii_skills(plan) if b.spec.params.get("mode") == "redact"]


def cache_allowed(plan: Plan) -> bool:
    """False when a ``pii`` skill redacts without ``keep_original``: the enrichment cache
    (``DATA/cache``) would keep the cracked text and the findings as they were."""
    return all(b.spec.params.get("keep_original", False) is True for b in _redacting(plan))


def redact_document(doc: dict[str, Any], plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(redacted, kept)``: the document with found values redacted everywhere, and the
    tree the store keeps (the original with ``keep_original: true``, else the redacted
    one). Without a ``pii`` skill in redact mode, both are ``doc`` itself."""
    redacting = _redacting(plan)
    if not redacting:
        return doc, doc
    pattern = str(redacting[0].spec.params.get("placeholder", "[{type}]"))
    values = replacements((f for fs in pii_findings(doc, plan).values() for f in fs), pattern)
    graph = doc.pop(GRAPH_KEY, None)
    redacted = scrub(doc, values)
    if graph is not None:
        redacted[GRAPH_KEY] = graph
    keep = any(b.spec.params.get("keep_original", False) is True for b in redacting)
    return redacted, doc if keep else redacted
