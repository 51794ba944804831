"""Label maps: the entity types the pipeline gives (spaCy/OntoNotes) -> the gold's.

The default map depends on the gold's types. For CoNLL-style gold (PER, ORG, LOC,
MISC; Re-DocRED adds TIME and NUM): PERSON->PER, GPE/LOC/FAC->LOC, ORG->ORG,
NORP/EVENT/PRODUCT/WORK_OF_ART/LAW/LANGUAGE->MISC, DATE/TIME->TIME and the numeric
types ->NUM. For WNUT-17 gold (person, location, group, corporation, product,
creative-work): PERSON->person, GPE/LOC/FAC->location, ORG->corporation (OntoNotes
describes ORG as "companies, agencies, institutions"; its groups of people are
NORP), NORP->group, PRODUCT->product, WORK_OF_ART->creative-work. An OntoNotes type
that the gold itself uses maps to itself. Entries whose target the gold does not
have are dropped, so numeric and date types only count where the gold has them.

A map value is a gold type, several joined by ``|`` (a found mention counts as
right when the gold span has any of them: ``ORG=corporation|group``), or empty
(the type is not evaluated).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import yaml

from enrich.eval.errors import LabelMapError

__all__ = ["ONTONOTES", "LabelMap", "default_label_map", "parse_labels", "build_label_map"]

ONTONOTES = ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
             "LAW", "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL",
             "CARDINAL")
_NUMERIC = ("CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL")
_FAMILIES: dict[str, dict[str, str]] = {
    "conll": {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG",
              **dict.fromkeys(("NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"),
                              "MISC"),
              "DATE": "TIME", "TIME": "TIME", **dict.fromkeys(_NUMERIC, "NUM")},
    "wnut": {"PERSON": "person", "GPE": "location", "LOC": "location", "FAC": "location",
             "ORG": "corporation", "NORP": "group", "PRODUCT": "product",
             "WORK_OF_ART": "creative-work"},
}

LabelMap = dict[str, tuple[str, ...]]  # pipeline type -> gold types it may match


def _by_fold(gold_types: Iterable[str]) -> dict[str, str]:
    return {t.casefold(): t for t in gold_types}


def default_label_map(gold_types: Iterable[str]) -> LabelMap:
    """The default map for gold with these types (see the module docstring)."""
    gold = _by_fold(gold_types)
    family = max(_FAMILIES.values(), key=lambda f: len({v.casefold() for v in f.values()}
                                                       & gold.keys()))
    mapping: LabelMap = {}
    for source in ONTONOTES:
        target = source if source.casefold() in gold else family.get(source)
        if target and target.casefold() in gold:
            mapping[source] = (gold[target.casefold()],)
    return mapping


def parse_labels(value: str) -> dict[str, Any]:
    """``--labels``: a YAML or JSON file of ``{type: gold type}``, or ``A=B,C=D``."""
    path = Path(value)
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise LabelMapError(f"label map {path} is not YAML or JSON: {exc}") from None
        if not isinstance(data, dict):
            raise LabelMapError(f"label map {path} must be a mapping of type -> gold type, "
                                f"got {json.dumps(data)[:80]}")
        return {str(k): v for k, v in data.items()}
    pairs = [p.strip() for p in value.split(",") if p.strip()]
    if not pairs or any("=" not in p for p in pairs):
        raise LabelMapError(f"--labels {value!r}: give a YAML/JSON file or pairs like "
                            "PERSON=PER,ORG=ORG (an empty right side drops a type)")
    return {k.strip(): v.strip() for k, v in (p.split("=", 1) for p in pairs)}


def build_label_map(gold_types: Iterable[str], overrides: dict[str, Any] | None = None
                    ) -> LabelMap:
    """The default map with ``overrides`` applied; an unknown label is an error that
    lists the known ones."""
    gold_types = sorted(set(gold_types))
    gold = _by_fold(gold_types)
    known = {t.casefold(): t for t in (*ONTONOTES, *gold_types)}
    mapping = default_label_map(gold_types)
    for source, target in (overrides or {}).items():
        if source.casefold() not in known:
            raise LabelMapError(f"unknown label {source!r} in the label map; known: "
                                f"{', '.join(sorted(set(known.values())))}")
        targets = _targets(target)
        wrong = [t for t in targets if t.casefold() not in gold]
        if wrong:
            raise LabelMapError(f"label map {source}={target}: {', '.join(map(repr, wrong))} "
                                f"is not a gold type; the gold has {', '.join(gold_types)}")
        name = known[source.casefold()]
        if targets:
            mapping[name] = tuple(gold[t.casefold()] for t in targets)
        else:
            mapping.pop(name, None)
    return mapping


def _targets(value: Any) -> list[str]:
    if value is None or value is False:
        return []
    items = value if isinstance(value, list) else str(value).split("|")
    return [str(t).strip() for t in items if str(t).strip()]
