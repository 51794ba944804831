"""Where two entities meet: ``KnowledgeGraph.cooccurrence``.

``cooccurrence(a, b)`` gives the counts and scores per scope (only scopes where they
co-occur) and the evidence: documents mentioning both (at most ``limit``, by id),
with the pages, images and ``(page, sentence)`` pairs holding both and up to 3
snippets of about ``SNIPPET`` characters around the two mentions, taken first from a
shared sentence, then a shared page, else one around each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph.cooccurrence import SCOPES
from graph.errors import GraphArgumentError
from graph.neighbours import pair_scores
from graph.reader import GraphReader, in_snapshot

__all__ = ["Evidence", "SNIPPET"]

SNIPPET = 240  # characters in a snippet


class Evidence:
    """The co-occurrence query of ``KnowledgeGraph`` (a mixin over ``reader``, using
    ``Lookup.resolve``)."""

    reader: GraphReader

    @in_snapshot
    def cooccurrence(self, a: str, b: str, limit: int = 20) -> dict:
        """Counts and scores per scope, and the documents where ``a`` and ``b`` meet."""
        ka, kb = self.resolve(a), self.resolve(b)
        if ka == kb:
            raise GraphArgumentError(f"{a!r} and {b!r} are the same entity ({ka})")
        cards, units = self.reader.cards([ka, kb]), self.reader.units()
        scopes = {}
        for scope, count, documents in sorted(self.reader.pair(ka, kb),
                                              key=lambda r: SCOPES.index(r[0])):
            scopes[scope] = {"count": count, "documents": documents,
                             **pair_scores(count, cards[ka], cards[kb], scope, units)}
        short = {k: {f: cards[k][f] for f in ("key", "name", "type", "documents")}
                 for k in (ka, kb)}
        return {"a": short[ka], "b": short[kb], "scopes": scopes,
                "evidence": self._evidence(ka, kb, limit)}

    def _evidence(self, ka: str, kb: str, limit: int) -> list[dict]:
        ids = self.reader.shared_documents(ka, kb, limit)
        docs = self.reader.documents(ids)
        found: dict[str, dict[str, list[tuple]]] = {i: {ka: [], kb: []} for i in ids}
        for row in self.reader.mentions([ka, kb], ids):
            found[row[0]][row[1]].append(row[2:])
        return [self._document_evidence(docs[i], found[i][ka], found[i][kb])
                for i in ids if i in docs]

    def _document_evidence(self, doc: dict, ms_a: list[tuple], ms_b: list[tuple]) -> dict:
        """One document's evidence; a mention is ``(page, sentence, start, end, image)``."""
        def shared(pick: Callable[[tuple], Any]) -> set:
            return {pick(m) for m in ms_a} & {pick(m) for m in ms_b} - {None}
        sentences = shared(lambda m: (m[0], m[1]) if m[1] is not None else None)
        return {**doc, "pages": sorted(shared(lambda m: m[0])),
                "images": sorted(shared(lambda m: m[4])),
                "sentences": sorted(sentences, key=lambda s: (s[0] or 0, s[1])),
                "snippets": self._snippets(doc["doc_id"], ms_a, ms_b, sentences)}

    def _snippets(self, doc_id: str, ms_a: list[tuple], ms_b: list[tuple],
                  sentences: set) -> list[dict]:
        """Up to 3 snippets: shared sentences first, then shared pages, else one each."""
        text_a = [m for m in ms_a if m[2] is not None][:200]
        text_b = [m for m in ms_b if m[2] is not None][:200]
        pairs = sorted(((a, b) for a in text_a for b in text_b if a[0] == b[0]),
                       key=lambda p: (p[0][:2] not in sentences or p[0][:2] != p[1][:2],
                                      abs(p[0][2] - p[1][2])))
        out, seen = [], set()
        for a, b in pairs:
            if (a[0], a[1], b[1]) not in seen and len(out) < 3:
                seen.add((a[0], a[1], b[1]))
                out.append({"page": a[0], "text": self._window(doc_id, a[0], [a, b])})
        if not out:
            out = [{"page": m[0], "text": self._window(doc_id, m[0], [m])}
                   for m in (text_a[:1] + text_b[:1])]
        return out

    def _window(self, doc_id: str, page: int | None, ms: list[tuple]) -> str:
        """About ``SNIPPET`` characters of text around the mentions ``ms``."""
        lo, hi = min(m[2] for m in ms), max(m[3] if m[3] is not None else m[2] for m in ms)
        if hi - lo > SNIPPET:  # too far apart: a half-width window around each
            return " … ".join(self._clip(doc_id, page, m[2], m[3] or m[2], SNIPPET // 2)
                              for m in sorted(ms, key=lambda m: m[2]))
        return self._clip(doc_id, page, lo, hi, SNIPPET)

    def _clip(self, doc_id: str, page: int | None, lo: int, hi: int, width: int) -> str:
        start = max(0, lo - (width - (hi - lo)) // 2)
        found = self.reader.text(doc_id, page, start, width)
        if found is None:
            return ""
        text, length = found
        return tidy(text, start > 0, start + width < length, lo - start, hi - start)


def tidy(text: str, cut_left: bool, cut_right: bool, keep_from: int, keep_to: int) -> str:
    """Partial words at cut edges dropped (never inside ``text[keep_from:keep_to]``),
    whitespace collapsed, ellipses added.

    >>> tidy("rning. LeBron James wore Ni", True, True, 7, 19)
    '…LeBron James wore…'
    """
    first = text.find(" ")
    if cut_left and 0 <= first <= keep_from:
        text, keep_to = text[first:], keep_to - first
    last = text.rfind(" ")
    if cut_right and last >= keep_to:
        text = text[:last]
    return ("…" if cut_left else "") + " ".join(text.split()) + ("…" if cut_right else "")
