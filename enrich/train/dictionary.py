"""``enrich train dictionary``: the entities analysts vouched for, as a dictionary the
``entity_lookup`` skill reads (:mod:`skills.lookup_dictionary`, Azure's JSON shape).

An entity is in it when an active correction kept it - ``accept``, ``retype``,
``rename``, ``merge`` (the entity merged into), or ``alias`` (adding an alias says the
entity is real) - and it still exists after every correction: a kept key that a later
correction moved (renamed, retyped, merged away) is followed to where it went, and one
rejected later is left out. Each entry carries the entity's current name and type,
its key as ``id``, its description when it has one, and the aliases the ``alias``
corrections gave it. Matching is left to the skill's defaults (case- and
accent-insensitive, exact), which its parameters change.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from graph.corrections import Correction, Corrections
from indexers.stores.files import write_atomic

from enrich.train.errors import NothingToLearn
from enrich.train.rows import StoreRows

__all__ = ["KEEPING", "dictionary_entries", "write_dictionary"]

KEEPING = ("accept", "retype", "rename", "merge", "alias")


def dictionary_entries(rows: StoreRows) -> list[dict[str, Any]]:
    """The dictionary's entries, ordered by name (see the module docstring)."""
    corrections = rows.corrections()
    rules = Corrections(Correction.from_row(c) for c in corrections)  # where keys go now
    aliases: dict[str, set[str]] = defaultdict(set)
    kept: set[str] = set()
    for c in corrections:
        if c["op"] in KEEPING:
            start = c["target"] or c["entity"]
            key = rules.key(start, start)
            if key is None:  # rejected since
                continue
            kept.add(key)
            if c["op"] == "alias" and c["value"]:
                aliases[key].add(c["value"])
    found = rows.entities(sorted(kept))
    entries = []
    for key, entity in sorted(found.items(), key=lambda kv: (kv[1]["name"].casefold(), kv[0])):
        entry = {"name": entity["name"], "type": entity["type"], "id": key,
                 "aliases": sorted(a for a in aliases[key] if a != entity["name"])}
        if entity.get("description"):
            entry["description"] = entity["description"]
        entries.append(entry)
    return entries


def write_dictionary(store: Path, out: Path) -> dict[str, Any]:
    """Write the dictionary (JSON) to ``out``; NothingToLearn when no entity is kept."""
    with StoreRows(store) as rows:
        entries = dictionary_entries(rows)
    if not entries:
        raise NothingToLearn(f"the store {store} has no entity that an active accept, "
                             "retype, rename, merge or alias correction kept: no dictionary "
                             "to write; correct some entities first (`enrich corrections`, "
                             "`enrich review`)")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    return {"out": str(out), "entries": len(entries),
            "aliases": sum(len(e["aliases"]) for e in entries),
            "types": dict(sorted(Counter(e["type"] for e in entries).items()))}
