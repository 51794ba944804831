"""The keyboard loop of ``enrich review``: one key per decision, the I/O injected.

:class:`ReviewSession` walks the queue's items; for each it shows the item (``show``),
reads one key (``read_key``) and, for a decision, turns it into a correction in the
JSONL shape, asking for what it needs (``ask``, with the suggestion as the default),
and makes it (``apply``). The keys (:data:`KEYS`): ``a`` accept, ``r`` reject, ``t``
retype, ``m`` merge, ``l`` alias, ``s`` skip, ``u`` undo the last decision (its item
comes back), ``q`` quit. A correction the store refuses (an unknown entity, a merge
into itself) is said (``say``) and the item stays; an empty answer to a question
cancels the decision. The CLI gives it a terminal; the tests give it scripted keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from enrich.errors import EnrichError
from enrich.review import ReviewItem

__all__ = ["ReviewSession", "KEYS", "HELP"]

KEYS = {"a": "accept", "r": "reject", "t": "retype", "m": "merge", "l": "alias",
        "s": "skip", "u": "undo", "q": "quit"}
HELP = "  ".join(f"{k}={v}" for k, v in KEYS.items())


@dataclass
class ReviewSession:
    """One pass over ``items`` (see the module doc). ``apply(correction) -> row`` and
    ``undo(id) -> row`` write; ``ask(question, default) -> answer``."""

    items: Sequence[ReviewItem]
    apply: Callable[[dict[str, Any]], dict[str, Any]]
    undo: Callable[[int], dict[str, Any]]
    read_key: Callable[[], str]
    ask: Callable[[str, str], str]
    show: Callable[[ReviewItem, int, int], None]
    say: Callable[[str], None]
    made: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (item, row)
    skipped: int = 0
    undone: int = 0

    def run(self) -> dict[str, Any]:
        """Go through the items until the last one or ``q``; what was done."""
        at = 0
        while at < len(self.items):
            item = self.items[at]
            self.show(item, at, len(self.items))
            key = (self.read_key() or "").strip().lower()[:1]
            action = KEYS.get(key)
            if action == "quit":
                break
            if action == "skip":
                self.skipped += 1
                at += 1
            elif action == "undo":
                at = self._undo(at)
            elif action is None:
                self.say(f"keys: {HELP}")
            elif (row := self._decide(item, action)) is not None:
                self.made.append((at, row))
                at += 1
        return {"corrections": [row for _, row in self.made], "skipped": self.skipped,
                "undone": self.undone, "left": len(self.items) - at}

    def _decide(self, item: ReviewItem, op: str) -> dict[str, Any] | None:
        correction = self.correction(item, op)
        if correction is None:
            self.say("cancelled")
            return None
        try:
            row = self.apply(correction)
        except EnrichError as exc:  # the store refused it: say why, stay on the item
            self.say(f"not done: error {exc.code}: {exc}")
            return None
        self.say(f"{op} {item.key}: done (correction {row.get('id')})")
        return row

    def correction(self, item: ReviewItem, op: str) -> dict[str, Any] | None:
        """The correction of ``op`` on ``item``, asking for its value (None: cancelled)."""
        out: dict[str, Any] = {"op": op, "entity": item.key}
        suggested = item.suggestion if item.suggestion.get("op") == op else {}
        question = {"retype": ("type", "new type"), "merge": ("into", "merge into"),
                    "alias": ("alias", "alias")}.get(op)
        if question is None:
            return out
        name, text = question
        answer = self.ask(text, str(suggested.get(name, ""))).strip()
        if not answer:
            return None
        out[name] = answer.upper() if op == "retype" else answer
        return out

    def _undo(self, at: int) -> int:
        if not self.made:
            self.say("nothing to undo")
            return at
        back, row = self.made.pop()
        try:
            self.undo(row["id"])
        except EnrichError as exc:
            self.made.append((back, row))
            self.say(f"not undone: error {exc.code}: {exc}")
            return at
        self.undone += 1
        self.say(f"undone: correction {row['id']} ({row['op']} {row['entity']})")
        return back
