"""Redaction of what ``pii`` found: in one text by offsets, in a whole tree by value,
and the entity mentions that personal data must not become.

Pure functions on plain data (no Presidio), used by the skill and by the indexer
(``enrich.redaction``), which decides where they apply. Values match whatever their
case (``Anna.Schmidt@Example.org`` where written ``anna.schmidt@example.org``; letters
of an IBAN or a NIF): no recognizer tells two values apart by case.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["redact_text", "placeholder_for", "replacements", "scrub", "is_pii_mention",
           "KEEP_KEYS"]

# Keys whose strings are identifiers, never redacted (a document's id comes from its URI).
# Not ``key``: an entity's key is its type and name (``PERSON:ann@example.org``).
KEEP_KEYS = frozenset({"uri", "source_uri", "parent", "parent_uri", "id", "content_type",
                       "type", "skill", "version", "model"})


def placeholder_for(pattern: str, kind: str) -> str:
    """``pattern`` with ``{type}`` filled in: ``[{type}]`` -> ``[US_SSN]``."""
    return pattern.replace("{type}", kind)


def redact_text(text: str, findings: Sequence[Mapping[str, Any]], pattern: str) -> str:
    """``text`` with every finding's span (``start``, ``end``) replaced by its placeholder."""
    out, at = [], 0
    for f in sorted(findings, key=lambda f: f["start"]):
        if f["start"] < at:  # overlapping spans: the earlier one already covers it
            continue
        out += [text[at:f["start"]], placeholder_for(pattern, f["type"])]
        at = f["end"]
    out.append(text[at:])
    return "".join(out)


def replacements(findings: Iterable[Mapping[str, Any]], pattern: str) -> dict[str, str]:
    """``{original value: placeholder}``, so text copies elsewhere can be redacted too."""
    return {f["text"]: placeholder_for(pattern, f["type"]) for f in findings
            if isinstance(f, Mapping) and f.get("text") and f.get("type")}


def _compiled(values: Mapping[str, str]) -> re.Pattern[str] | None:
    if not values:
        return None
    ordered = sorted(values, key=len, reverse=True)  # a long value before its prefixes
    return re.compile("|".join(re.escape(v) for v in ordered), re.IGNORECASE)


def scrub(node: Any, values: Mapping[str, str], keep: frozenset[str] = KEEP_KEYS) -> Any:
    """``node`` (a tree of dicts, lists and strings) with every occurrence of each value,
    in any case, replaced by its placeholder, in every string except those under
    ``keep`` keys."""
    pattern = _compiled(values)
    folded: dict[str, str] = {}
    for value, placeholder in values.items():
        folded.setdefault(value.casefold(), placeholder)
    return node if pattern is None else _scrub(node, pattern, folded, keep)


def _scrub(node: Any, pattern: re.Pattern[str], values: Mapping[str, str],
           keep: frozenset[str]) -> Any:
    if isinstance(node, str):
        return pattern.sub(lambda m: values.get(m.group(0).casefold(), m.group(0)), node)
    if isinstance(node, dict):
        return {k: v if k in keep else _scrub(v, pattern, values, keep) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v, pattern, values, keep) for v in node]
    if isinstance(node, tuple):
        return tuple(_scrub(v, pattern, values, keep) for v in node)
    return node


_PLACEHOLDER = re.compile(r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b|\b(?:EMAIL|PHONE|IBAN|IP)_[A-Z]+\b")


def is_pii_mention(mention: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> bool:
    """Whether an entity mention is personal data or its noise: it contains a found value,
    is a piece of one with a digit in it (``536``, a number cut short), holds a placeholder
    (``US_SSN``), or all its words are context words of a finding (``SSN``, ``Social
    Security`` next to a social security number). A name inside an address
    (``Anna`` of ``Anna.Schmidt@...``) is no piece: it has no digit. Case does not matter."""
    raw = str(mention.get("text") or mention.get("name") or "")
    text = raw.casefold()
    if not text:
        return False
    digits = any(c.isdigit() for c in text)
    if any(f.get("text") and (str(f["text"]).casefold() in text
                              or (digits and text in str(f["text"]).casefold()))
           for f in findings):
        return True
    if _PLACEHOLDER.search(raw) and any(f.get("type") and f["type"] in raw for f in findings):
        return True
    words = {str(w).casefold() for f in findings for w in f.get("context") or ()}
    tokens = re.findall(r"\w+", text)
    return bool(tokens) and all(t in words for t in tokens)
