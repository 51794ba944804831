"""Finding entities by loose names: ``resolve``, ``entities`` and ``entity``.

Entities are named by their key (``"PERSON:lebron james"``) or loosely by a name.
``resolve(name, kind=None)`` tries, in order, and stops at the first step that
matches: the exact key (its type part case-insensitively), the normalised name under
every entity type (``graph.normalize.entity_key``, so ``"lebron james"`` and
``"Mr. LeBron James"`` find ``PERSON:lebron james``), an acronym's normalised name
(``"F.B.I."``, the store's aliases; most documents win), a display name
compared case-insensitively, then a key that names no entity any more because
resolution or a correction moved its mentions (a link or a note kept from before a
type vote flipped, or a merge): the entity they count under now. ``kind`` (a type, a
comma list or a list of types, any case) keeps the matches of those types. One match
is the answer; several raise ``AmbiguousEntity`` (its ``candidates`` and message list
them with their type and document counts); none raises ``EntityNotFound`` with up to
5 ``suggestions`` (prefix matches, then fuzzy ones drawn from a bounded set of
alphabetically nearby names), those of the ``kind`` asked for first.

``entity`` gives a dict: the card (``description`` is "" when there is none),
``names`` (display name: mentions), ``aliases`` (surface forms that differ from
every display name in any case: mentions; in both, whitespace is folded, so a form
split by a line break is the same form), ``acronyms`` (aliases defined for it: documents
defining them) and ``labels`` (each skill's type: mentions); ``aliases`` and
``labels`` count at most ``MENTION_SAMPLE`` mentions. ``entities`` gives a pandas
frame.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graph.errors import AmbiguousEntity, EntityNotFound, kinds_of
from graph.normalize import entity_key, normalize_name
from graph.reader import GraphReader, in_snapshot

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Lookup", "MENTION_SAMPLE", "NEARBY_NAMES"]

MENTION_SAMPLE = 50_000   # mentions read to count an entity's surface forms and labels
NEARBY_NAMES = 400        # names read on each side of a query word for fuzzy suggestions
MATCH_ORDER = {"exact": 0, "alias": 1, "moved": 1, "prefix": 2, "fuzzy": 3}


class Lookup:
    """The name-resolution queries of ``KnowledgeGraph`` (a mixin over ``reader``)."""

    reader: GraphReader

    def _short(self, keys: Iterable[str]) -> list[dict]:
        """``{key, name, type, documents}`` of each key, most documents first."""
        cards = self.reader.cards(keys).values()
        short = [{k: c[k] for k in ("key", "name", "type", "documents")} for c in cards]
        return sorted(short, key=lambda c: (-c["documents"], c["key"]))

    def _existing(self, keys: Iterable[str]) -> list[str]:
        return sorted(self.reader.cards(dict.fromkeys(keys)))

    def _key_forms(self, name: str, upper: bool = False) -> list[str]:
        """``name`` and its normal form as a key (with ``upper``, also with the type
        upper-case, as the models label, when no entity has that type any more); none
        when it has no ``TYPE:`` part."""
        if ":" not in name:
            return []
        type_, rest = name.split(":", 1)
        stored = {t.upper(): t for t in self.reader.types()}  # as written (dictionaries')
        type_ = stored.get(type_.strip().upper(), type_.strip())
        forms = [name, entity_key(type_, rest)]
        if upper and type_ not in stored.values():
            forms.append(entity_key(type_.upper(), rest))
        return list(dict.fromkeys(forms))

    def _by_key(self, name: str) -> list[str]:
        if ":" not in name:
            return []
        return self._existing([name]) or self._existing(self._key_forms(name))

    def _by_moved(self, name: str) -> list[str]:
        """Where the mentions keyed ``name`` went; the forms still naming an entity (a
        kind filter left them out) are not looked for."""
        forms = self._key_forms(name, upper=True)
        live = set(self._existing(forms))
        return self._existing(key for form in forms if form not in live
                              for key in self.reader.moved_keys(form))

    def _normal_keys(self, name: str) -> list[str]:
        return [entity_key(t, name) for t in self.reader.types()]

    def _by_name(self, name: str) -> list[str]:
        return self._existing(self._normal_keys(name))

    def _by_alias(self, name: str) -> list[str]:
        names = {k.split(":", 1)[1] for k in self._normal_keys(name)}
        targets = self.reader.alias_targets(names | {normalize_name(name, "")})
        return sorted(set(targets.values()))

    def _of_kind(self, keys: list[str], kinds: list[str] | None) -> list[str]:
        if not kinds or not keys:
            return keys
        return [k for k, c in self.reader.cards(keys).items() if c["type"].upper() in kinds]

    def _matches(self, name: str, kind: Any = None) -> tuple[list[str], str]:
        """The keys of the first lookup step that matches, and the step's name."""
        name, kinds = " ".join(str(name).split()), kinds_of(kind)
        steps = (("exact", self._by_key), ("exact", self._by_name),
                 ("alias", self._by_alias), ("exact", self.reader.keys_named),
                 ("moved", self._by_moved))
        for match, step in steps:
            keys = self._of_kind(step(name), kinds) if name else []
            if keys:
                return sorted(keys), match
        return [], ""

    @in_snapshot
    def resolve(self, name: str, kind: Any = None) -> str:
        """The key of the one entity ``name`` denotes (see module doc)."""
        keys, _ = self._matches(name, kind)
        if len(keys) == 1:
            return keys[0]
        if keys:
            raise AmbiguousEntity(name, self._short(keys))
        found = [key for key, _ in self._search(name, None, 20)]
        kinds = kinds_of(kind) or []
        cards = sorted(self._short(found),
                       key=lambda c: (c["type"].upper() not in kinds, found.index(c["key"])))
        raise EntityNotFound(name, cards[:5], kind)

    def _prefixed(self, query: str, limit: int = 50) -> list[str]:
        """Keys whose display name or normalised name starts with ``query``."""
        keys = self.reader.keys_by_name_prefix(query, limit)
        for prefix in self._normal_keys(query):
            keys += self.reader.keys_by_key_prefix(prefix, limit)
        return list(dict.fromkeys(keys))

    def _fuzzy(self, query: str, limit: int) -> list[str]:
        from rapidfuzz import fuzz, process, utils
        names: dict[str, list[str]] = {}  # display names near each word of the query
        for word in dict.fromkeys([query] + query.split()[:3]):
            for key, name in self.reader.names_near(word, NEARBY_NAMES):
                names.setdefault(name, []).append(key)
        hits = process.extract(query, list(names), scorer=fuzz.WRatio, limit=limit,
                               processor=utils.default_process, score_cutoff=75)
        return [key for name, _, _ in hits for key in names[name]]

    def _search(self, query: str, kinds: list[str] | None, limit: int) -> list[tuple[str, str]]:
        """``(key, match)`` pairs, best first: exact, alias, prefix, then fuzzy."""
        query = " ".join(str(query).split())
        exact, how = self._matches(query)
        found = [(k, how) for k in exact]
        found += [(k, "prefix") for k in self._prefixed(query)]
        found += [(k, "fuzzy") for k in self._fuzzy(query, limit)]
        unique = list(dict.fromkeys(k for k, _ in found))
        kept = set(self._of_kind(unique, kinds))
        how_of: dict[str, str] = {}
        for key, match in found:
            how_of.setdefault(key, match)
        return [(k, how_of[k]) for k in unique if k in kept]

    @in_snapshot
    def entities(self, query: str | None = None, kind: Any = None,
                 limit: int = 20) -> pd.DataFrame:
        """Entities matching ``query`` (with a ``match`` column), or the most documented."""
        import pandas as pd
        columns = ["key", "name", "type", "documents", "mentions"]
        kinds = kinds_of(kind)
        if query is None or not str(query).strip():
            top = self.reader.top_entities(kinds, limit)
            return pd.DataFrame([[c[f] for f in columns] for c in top], columns=columns)
        found = self._search(query, kinds, limit)
        cards = self.reader.cards(k for k, _ in found)
        rows = [[cards[k][c] for c in columns] + [m] for k, m in found if k in cards]
        rows.sort(key=lambda r: (MATCH_ORDER[r[-1]], -r[3], r[0]))
        return pd.DataFrame(rows[:limit], columns=columns + ["match"])

    @in_snapshot
    def entity(self, name_or_key: str, kind: Any = None) -> dict:
        """One entity's card, display names, aliases, acronyms and labels."""
        key = self.resolve(name_or_key, kind)
        names, texts, labels = Counter(), Counter(), Counter()
        for name, n in self.reader.names(key).items():
            names[_spaced(name)] += n
        for text, label, n in self.reader.surface_forms(key, MENTION_SAMPLE):
            texts[_spaced(text)] += n
            if label:
                labels[label] += n
        named = {name.lower() for name in names}
        return {**self.reader.cards([key])[key], "names": dict(names.most_common()),
                "aliases": {t: n for t, n in texts.most_common() if t.lower() not in named},
                "acronyms": self.reader.acronyms(key), "labels": dict(labels.most_common())}


def _spaced(text: str) -> str:
    """A name as read with its whitespace folded: one split by a line break ("LeBron\nJames")
    is the same name."""
    return " ".join(text.split())
