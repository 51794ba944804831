"""Gold types -> the model's labels: the inverse of ``enrich eval``'s label map.

The eval map (:func:`enrich.eval.labels.default_label_map`) says which gold types a
model label counts as (``GPE``, ``LOC`` and ``FAC`` all count as CoNLL's ``LOC``).
To teach the model a gold span it needs one label, so :class:`LabelChooser` picks,
for a gold type, the label the base model itself gives that type most often (counted
on spans where the model and the gold agree), else the first model label that maps to
it, else the gold type itself (a new label for the recogniser).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from enrich.eval.labels import ONTONOTES, LabelMap

__all__ = ["LabelChooser"]


class LabelChooser:
    """Chooses the model label to train a gold type as (see the module docstring)."""

    def __init__(self, label_map: LabelMap) -> None:
        self.label_map = label_map
        self._seen: dict[str, Counter[str]] = defaultdict(Counter)

    def fits(self, label: str, gold_type: str) -> bool:
        """Whether the model's ``label`` counts as ``gold_type``."""
        return gold_type in self.label_map.get(label, ())

    def mapped(self, label: str) -> bool:
        """Whether the gold has any type for ``label`` (else the gold says nothing of it)."""
        return bool(self.label_map.get(label))

    def observe(self, label: str, gold_type: str) -> None:
        """The model gave ``label`` to a span the gold types ``gold_type``."""
        if self.fits(label, gold_type):
            self._seen[gold_type][label] += 1

    def choose(self, gold_type: str, predicted: str | None = None) -> str:
        """The label to train: the model's own ``predicted`` when it fits, else the
        most observed, else the first that maps, else the gold type."""
        if predicted is not None and self.fits(predicted, gold_type):
            return predicted
        seen = self._seen.get(gold_type)
        if seen:
            return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        for label in (*ONTONOTES, *sorted(self.label_map)):
            if self.fits(label, gold_type):
                return label
        return gold_type
