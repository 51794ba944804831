"""The knowledge graph's query API: entities and their co-occurrences, read from the store.

``KnowledgeGraph.open(data_dir)`` opens ``<data_dir>/enrich.sqlite`` **read-only**
(an indexer may write to it meanwhile; each query reads one consistent snapshot).
Every query reads only what it needs through the store's indexes, so a graph of
millions of edges is never loaded whole; ``to_networkx`` and ``export`` are the
exceptions, and build the whole graph (of one scope) on purpose. Neighbour queries
name ``edges_b`` with ``INDEXED BY`` (without statistics the planner scans the
whole scope instead), and use an index on ``entities`` that starts with ``key`` and
holds ``type`` and the unit counts when the store has one.

**Entities** are named by their key (``"PERSON:lebron james"``) or loosely by a
name. ``resolve(name, kind=None)`` tries, in order, and stops at the first step that
matches: the exact key (its type part case-insensitively), the normalised name under
every entity type (``graph.normalize.entity_key``, so ``"lebron james"`` and
``"Mr. LeBron James"`` find ``PERSON:lebron james``), an acronym's normalised name
(``"F.B.I."``, table ``aliases``; most documents win), then a display name compared
case-insensitively (``entity_names``). ``kind`` (a type, a comma list or a list of
types, any case) keeps the matches of those types. One match is the answer; several
raise ``AmbiguousEntity`` (its ``candidates`` and message list them with their type
and document counts); none raises ``EntityNotFound`` with up to 5 ``suggestions``
(prefix matches, then fuzzy ones drawn from a bounded set of alphabetically nearby
names), those of the ``kind`` asked for first.

**Scopes and scores.** Co-occurrence is counted per scope (``SCOPES``: document,
page, image, sentence): ``count`` is the number of units holding both entities,
``documents`` the number of documents in which they co-occur at that scope. ``npmi``
and ``llr`` (signed; see :mod:`graph.scores`) are computed when queried from
``count``, both entities' unit counts and ``graph_units``. ``neighbors`` ranks by
``count``, ``npmi`` or ``llr`` (``RANKS``), then by count, then by key.

**Answers.** ``entity`` gives a dict: the ``entities`` row (``description`` is ""
when there is none), ``names`` (display name: mentions), ``aliases`` (surface forms
that differ from every display name: mentions), ``acronyms`` (alias names from the
``aliases`` table: documents defining them) and ``labels`` (each skill's type:
mentions); ``aliases`` and ``labels`` count at most ``MENTION_SAMPLE`` mentions.
``entities`` and ``neighbors`` give pandas frames. ``ego_graph`` and ``to_networkx``
give ``networkx.Graph`` objects whose node ids are entity keys, with node attributes
``name, type, documents, mentions, description`` and edge attributes ``weight``
(= ``count``), ``count, documents, npmi, llr, scope`` (plain scalars, so GEXF and
GraphML can hold them); ``to_networkx`` keeps only entities with at least one kept
edge. ``cooccurrence`` gives the counts per scope (only scopes where they co-occur)
and the evidence: documents mentioning both (at most ``limit``, by id), with the
pages, images and ``(page, sentence)`` pairs holding both and up to 3 snippets of
about 240 characters around the two mentions, taken first from a shared sentence,
then a shared page, else one around each. ``path`` finds a shortest chain of
co-occurrences (bidirectional breadth-first search, expanding the smaller frontier;
among shortest chains the one whose weakest link is strongest) and raises ``NoPath``
when there is none within ``max_hops`` or when the search expanded more than
``MAX_VISITED`` entities.

Errors derive from ``GraphError``; a bad ``scope``, ``rank`` or format is a
``ValueError`` that lists the choices.
"""

from __future__ import annotations

from enrich.errors import EnrichError

import functools
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from graph.cooccurrence import RANKS, SCOPES
from graph.scores import llr, npmi

if TYPE_CHECKING:  # heavy-ish imports stay lazy
    import networkx as nx
    import pandas as pd

__all__ = ["KnowledgeGraph", "GraphError", "IndexNotFound", "EntityNotFound",
           "AmbiguousEntity", "NoPath", "SCOPES", "RANKS", "DB_FILE"]

UNITS = {"document": "documents", "page": "pages", "image": "images",
         "sentence": "sentences"}
DB_FILE = "enrich.sqlite"
MENTION_SAMPLE = 50_000   # mentions read to count an entity's surface forms and labels
NEARBY_NAMES = 400        # names read on each side of a query word for fuzzy suggestions
MAX_VISITED = 100_000     # entities a path search may expand before giving up
SNIPPET = 240             # characters in a snippet
NEIGHBOR_COLUMNS = ["key", "name", "type", "count", "documents", "npmi", "llr"]
ENTITY_COLUMNS = "key, name, type, coalesce(description, ''), documents, mentions, " \
                 "pages, images, sentences"
CARD = ("key", "name", "type", "description", "documents", "mentions", "pages", "images",
        "sentences")


# --- errors ------------------------------------------------------------------------

class GraphError(EnrichError):
    """Base of the knowledge graph's errors."""

    code = "E500"


class IndexNotFound(GraphError):
    """No enrich index where one was expected."""

    code = "E501"


class NoPath(GraphError):
    """No chain of co-occurrences links the two entities within the bounds."""

    code = "E502"


def _describe(cards: Sequence[dict]) -> str:
    return ", ".join(f"{c['name']} ({c['key']}, {c['documents']} documents)" for c in cards)


class EntityNotFound(GraphError, KeyError):
    """No entity by that name; ``suggestions`` holds up to 5 near ones (cards)."""

    def __init__(self, name: str, suggestions: Sequence[dict] = (), kind: Any = None):
        self.name, self.kind, self.suggestions = name, kind, list(suggestions)
        of = f" of type {', '.join(_kinds(kind))}" if kind else ""
        hint = (f"; did you mean {_describe(self.suggestions)}? Pass a name or a key"
                if self.suggestions else "; look names up with `entities(QUERY)`")
        super().__init__(f"no entity named {name!r}{of}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousEntity(GraphError):
    """A name that several entities share; ``candidates`` holds their cards."""

    def __init__(self, name: str, candidates: Sequence[dict]):
        self.name, self.candidates = name, list(candidates)
        first = self.candidates[0]
        super().__init__(
            f"{name!r} names {len(self.candidates)} entities: {_describe(self.candidates)}; "
            f"pick one by passing its key (e.g. {first['key']!r}) or kind= "
            f"(e.g. kind={first['type']!r})")


# --- argument checks ---------------------------------------------------------------

def _choice(value: str, choices: Sequence[str], what: str) -> str:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value


def _kinds(kind: Any) -> list[str] | None:
    """``None``, or the upper-cased types of a type, a comma list or a list of types."""
    if kind is None:
        return None
    parts = kind.split(",") if isinstance(kind, str) else list(kind)
    return [p.strip().upper() for p in parts if p and p.strip()] or None


def _snapshot(method: Callable) -> Callable:
    """Run a query method in one read transaction (one consistent snapshot)."""
    @functools.wraps(method)
    def wrapper(self: KnowledgeGraph, *args: Any, **kwargs: Any) -> Any:
        with self._read():
            return method(self, *args, **kwargs)
    return wrapper


# --- the graph ---------------------------------------------------------------------

class KnowledgeGraph:
    """Read-only queries over the knowledge graph in an enrich store (see module doc)."""

    def __init__(self, path: str | Path) -> None:
        self.file = Path(path)
        if not self.file.is_file():
            raise IndexNotFound(f"no enrich index at {self.file}")
        uri = self.file.resolve().as_uri() + "?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                     check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._check_schema()
            self._hints = self._index_hints()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open(cls, data_dir: str | Path = "enrich-data") -> KnowledgeGraph:
        """The graph of ``<data_dir>/enrich.sqlite`` (or of that file itself)."""
        data_dir = Path(data_dir)
        path = data_dir if data_dir.is_file() else data_dir / DB_FILE
        if not path.is_file():
            raise IndexNotFound(f"no enrich index in {data_dir}; run "
                                f"`enrich index SOURCE --data {data_dir}` first")
        return cls(path)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeGraph({str(self.file)!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- plumbing ----------------------------------------------------------------

    def _check_schema(self) -> None:
        try:
            tables = {r[0] for r in self._rows("SELECT name FROM sqlite_master")}
            version = self._rows("PRAGMA user_version")[0][0]
        except sqlite3.DatabaseError as exc:
            raise GraphError(f"{self.file} is not an enrich index: {exc}") from None
        if "entities" not in tables or "edges" not in tables:
            raise GraphError(f"{self.file} is not an enrich index (it has no entities "
                             "or edges table)")
        if "graph_units" not in tables:
            raise GraphError(f"{self.file} was written by an older enrich (store schema "
                             f"version {version}); re-index it with `enrich index SOURCE "
                             f"--data {self.file.parent}`")

    def _index_hints(self) -> dict[str, str]:
        """``INDEXED BY`` clauses for the neighbour query (the planner, without
        statistics, scans the whole scope instead of using ``edges_b``)."""
        found = {"edges_b": ("edges", ["scope", "b"]),
                 "entities": ("entities", ["key", "type", *UNITS.values()])}
        hints = {}
        for name, (table, columns) in found.items():
            index = self._index_on(table, columns, exact_prefix=name == "edges_b")
            hints[name] = f"INDEXED BY {index}" if index else ""
        return hints

    def _index_on(self, table: str, columns: list[str], exact_prefix: bool) -> str | None:
        """An index of ``table`` starting with ``columns`` (or with ``key`` and
        covering ``columns``)."""
        for _, index, *_ in self._rows(f"PRAGMA index_list({table})"):
            have = [r[2] for r in self._rows(f"PRAGMA index_info({index})")]
            if (have[:len(columns)] == columns if exact_prefix
                    else have[:1] == ["key"] and set(columns) <= set(have)):
                return index
        return None

    @contextmanager
    def _read(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _units(self) -> dict[str, int]:
        """N per scope: units holding at least one entity."""
        return dict(self._rows("SELECT scope, units FROM graph_units"))

    def _cards(self, keys: Iterable[str]) -> dict[str, dict]:
        """Entity rows by key (missing keys left out)."""
        rows = self._rows(f"SELECT {ENTITY_COLUMNS} FROM entities WHERE key IN "
                          "(SELECT value FROM json_each(?))", (json.dumps(list(keys)),))
        return {row[0]: dict(zip(CARD, row)) for row in rows}

    def _short(self, keys: Iterable[str]) -> list[dict]:
        """``{key, name, type, documents}`` of each key, most documents first."""
        cards = self._cards(keys).values()
        short = [{k: c[k] for k in ("key", "name", "type", "documents")} for c in cards]
        return sorted(short, key=lambda c: (-c["documents"], c["key"]))

    # --- finding entities ----------------------------------------------------------

    def _types(self) -> list[str]:
        """The type parts of the keys, by skipping along the key index."""
        types, after = [], ""
        while row := self._rows("SELECT key FROM entities WHERE key > ? ORDER BY key "
                                "LIMIT 1", (after,)):
            types.append(row[0][0].split(":", 1)[0])
            after = types[-1] + ";"  # ";" sorts right after ":"
        return types

    def _existing(self, keys: Iterable[str]) -> list[str]:
        return sorted(self._cards(dict.fromkeys(keys)))

    def _by_key(self, name: str) -> list[str]:
        if ":" not in name:
            return []
        exact = self._existing([name])
        if exact:
            return exact
        type_, rest = name.split(":", 1)
        from graph.normalize import entity_key
        stored = {t.upper(): t for t in self._types()}  # types as written (dictionaries')
        type_ = stored.get(type_.strip().upper(), type_.strip())
        return self._existing([name, entity_key(type_, rest)])

    def _normal_keys(self, name: str) -> list[str]:
        from graph.normalize import entity_key
        return [entity_key(t, name) for t in self._types()]

    def _by_name(self, name: str) -> list[str]:
        return self._existing(self._normal_keys(name))

    def _by_alias(self, name: str) -> list[str]:
        from graph.normalize import normalize_name
        names = {k.split(":", 1)[1] for k in self._normal_keys(name)}
        rows = self._rows("SELECT alias, entity_key, documents FROM aliases WHERE alias IN "
                          "(SELECT value FROM json_each(?))",
                          (json.dumps(sorted(names | {normalize_name(name, "")})),))
        best: dict[str, tuple[int, str]] = {}
        for alias, key, documents in rows:  # as the store: most documents, then first key
            best[alias] = min(best.get(alias, (1, "")), (-documents, key))
        return sorted({key for _, key in best.values()})

    def _by_display_name(self, name: str) -> list[str]:
        rows = self._rows("SELECT DISTINCT entity_key FROM entity_names "
                          "WHERE name = ? COLLATE NOCASE", (name,))
        return sorted(r[0] for r in rows)

    def _of_kind(self, keys: list[str], kinds: list[str] | None) -> list[str]:
        if not kinds or not keys:
            return keys
        return [k for k, c in self._cards(keys).items() if c["type"].upper() in kinds]

    def _matches(self, name: str, kind: Any = None) -> tuple[list[str], str]:
        """The keys of the first lookup step that matches, and the step's name."""
        name, kinds = " ".join(str(name).split()), _kinds(kind)
        steps = (("exact", self._by_key), ("exact", self._by_name),
                 ("alias", self._by_alias), ("exact", self._by_display_name))
        for match, step in steps:
            keys = self._of_kind(step(name), kinds) if name else []
            if keys:
                return sorted(keys), match
        return [], ""

    @_snapshot
    def resolve(self, name: str, kind: Any = None) -> str:
        """The key of the one entity ``name`` denotes (see module doc)."""
        keys, _ = self._matches(name, kind)
        if len(keys) == 1:
            return keys[0]
        if keys:
            raise AmbiguousEntity(name, self._short(keys))
        found = [key for key, _ in self._search(name, None, 20)]
        kinds = _kinds(kind) or []
        cards = sorted(self._short(found),
                       key=lambda c: (c["type"].upper() not in kinds, found.index(c["key"])))
        raise EntityNotFound(name, cards[:5], kind)

    def _prefixed(self, query: str, limit: int = 50) -> list[str]:
        """Keys whose display name or normalised name starts with ``query``."""
        bound = query + "\U0010ffff"
        rows = self._rows("SELECT entity_key FROM entity_names WHERE name >= ? COLLATE "
                          "NOCASE AND name < ? COLLATE NOCASE LIMIT ?", (query, bound, limit))
        keys = [r[0] for r in rows]
        for prefix in self._normal_keys(query):
            keys += [r[0] for r in self._rows(
                "SELECT key FROM entities WHERE key >= ? AND key < ? LIMIT ?",
                (prefix, prefix + "\U0010ffff", limit))]
        return list(dict.fromkeys(keys))

    def _nearby(self, query: str) -> dict[str, list[str]]:
        """Display names alphabetically near each word of ``query``: name -> keys."""
        names: dict[str, list[str]] = {}
        for word in dict.fromkeys([query] + query.split()[:3]):
            for op, order in ((">=", "ASC"), ("<", "DESC")):
                for key, name in self._rows(
                        f"SELECT entity_key, name FROM entity_names WHERE name {op} ? "
                        f"COLLATE NOCASE ORDER BY name COLLATE NOCASE {order} LIMIT ?",
                        (word, NEARBY_NAMES)):
                    names.setdefault(name, []).append(key)
        return names

    def _fuzzy(self, query: str, limit: int) -> list[str]:
        from rapidfuzz import fuzz, process, utils
        names = self._nearby(query)
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
        how_of = {}
        for key, match in found:
            how_of.setdefault(key, match)
        return [(k, how_of[k]) for k in unique if k in kept]

    @_snapshot
    def entities(self, query: str | None = None, kind: Any = None,
                 limit: int = 20) -> pd.DataFrame:
        """Entities matching ``query`` (with a ``match`` column), or the most documented."""
        import pandas as pd
        columns = ["key", "name", "type", "documents", "mentions"]
        kinds = _kinds(kind)
        if query is None or not str(query).strip():
            return pd.DataFrame(self._top(kinds, limit), columns=columns)
        found = self._search(query, kinds, limit)
        cards = self._cards(k for k, _ in found)
        found = [(k, m) for k, m in found if k in cards]
        order = {"exact": 0, "alias": 1, "prefix": 2, "fuzzy": 3}
        rows = [[cards[k][c] for c in columns] + [m] for k, m in found]
        rows.sort(key=lambda r: (order[r[-1]], -r[3], r[0]))
        return pd.DataFrame(rows[:limit], columns=columns + ["match"])

    def _top(self, kinds: list[str] | None, limit: int) -> list[tuple]:
        where = "WHERE upper(type) IN (SELECT value FROM json_each(?))" if kinds else ""
        params = ([json.dumps(kinds)] if kinds else []) + [limit]
        return self._rows(f"SELECT key, name, type, documents, mentions FROM entities "
                          f"{where} ORDER BY documents DESC, key LIMIT ?", params)

    @_snapshot
    def entity(self, name_or_key: str, kind: Any = None) -> dict:
        """One entity's card, display names, aliases, acronyms and labels."""
        key = self.resolve(name_or_key, kind)
        card = self._cards([key])[key]
        names = dict(self._rows("SELECT name, mentions FROM entity_names WHERE "
                                "entity_key = ? ORDER BY mentions DESC, name", (key,)))
        texts, labels = self._surface_forms(key)
        aliases = {t: n for t, n in texts.most_common() if t not in names}
        acronyms = dict(self._rows("SELECT alias, documents FROM aliases WHERE "
                                   "entity_key = ? ORDER BY documents DESC, alias", (key,)))
        return {**card, "names": names, "aliases": aliases, "acronyms": acronyms,
                "labels": dict(labels.most_common())}

    def _surface_forms(self, key: str) -> tuple[Counter, Counter]:
        texts, labels = Counter(), Counter()
        for text, label, n in self._rows(
                "SELECT text, label, count(*) FROM (SELECT text, label FROM mentions "
                "WHERE entity_key = ? LIMIT ?) GROUP BY text, label", (key, MENTION_SAMPLE)):
            texts[text] += n
            if label:
                labels[label] += n
        return texts, labels

    # --- neighbours ----------------------------------------------------------------

    def _edges_of(self, select: str = "count, documents") -> str:
        """SQL: the edges of ``:key`` at ``:scope`` with ``count >= :min``, as ``key, ...``."""
        return (f"SELECT b AS key, {select} FROM edges WHERE scope = :scope AND a = :key AND "
                f"count >= :min UNION ALL SELECT a AS key, {select} FROM edges "
                f"{self._hints['edges_b']} WHERE scope = :scope AND b = :key AND count >= :min")

    def _adjacent(self, key: str, scope: str, min_count: int, kinds: list[str] | None = None,
                  limit: int | None = None) -> list[tuple[str, int, int, int]]:
        """``(neighbour, count, documents, neighbour's units)``; by count when limited."""
        edges, order = self._edges_of(), ""
        if limit is not None and not kinds:  # the strongest first, then only their units
            edges = f"SELECT * FROM ({edges}) ORDER BY count DESC, key LIMIT :limit"
        elif limit is not None:
            order = "ORDER BY n.count DESC, n.key LIMIT :limit"
        where = "WHERE upper(t.type) IN (SELECT value FROM json_each(:kinds))" if kinds else ""
        sql = (f"SELECT n.key, n.count, n.documents, t.{UNITS[scope]} FROM ({edges}) AS n "
               f"CROSS JOIN entities AS t {self._hints['entities']} ON t.key = n.key "
               f"{where} {order}")
        return self._rows(sql, {"scope": scope, "key": key, "min": min_count,
                                "kinds": json.dumps(kinds), "limit": limit})

    def _scored(self, key: str, scope: str, rows: list[tuple]) -> dict[str, np.ndarray]:
        """Columns of ``_adjacent`` rows with ``npmi`` and ``llr`` added."""
        def column(i: int) -> np.ndarray:
            return np.fromiter((r[i] for r in rows), np.int64, len(rows))
        keys = np.empty(len(rows), dtype=object)
        keys[:] = [r[0] for r in rows]
        count, units = column(1), column(3)
        n_a, n = self._cards([key])[key][UNITS[scope]], self._units().get(scope, 0)
        return {"key": keys, "count": count, "documents": column(2),
                "npmi": np.asarray(npmi(count, n_a, units, n)),
                "llr": np.asarray(llr(count, n_a, units, n))}

    def _strongest(self, key: str, scope: str, rank: str, limit: int | None,
                   min_count: int, kinds: list[str] | None = None) -> dict[str, np.ndarray]:
        """The ``limit`` strongest neighbours by ``rank``, sorted (columns as arrays)."""
        pushed = limit if rank == "count" else None
        cols = self._scored(key, scope, self._adjacent(key, scope, min_count, kinds, pushed))
        order = _top_order(cols[rank], cols["count"], cols["key"], limit)
        return {name: col[order] for name, col in cols.items()}

    @_snapshot
    def neighbors(self, entity: str, kind: Any = None, scope: str = "document",
                  rank: str = "count", limit: int | None = 10,
                  min_count: int = 1) -> pd.DataFrame:
        """The entities co-occurring with ``entity``, strongest first (``kind`` filters them)."""
        import pandas as pd
        _choice(scope, SCOPES, "scope")
        _choice(rank, RANKS, "rank")
        key = self.resolve(entity)
        cols = self._strongest(key, scope, rank, limit, min_count, _kinds(kind))
        cards = self._cards(cols["key"].tolist())
        frame = pd.DataFrame({name: cols[name] for name in NEIGHBOR_COLUMNS
                              if name in cols})
        frame.insert(1, "name", [cards[k]["name"] for k in cols["key"]])
        frame.insert(2, "type", [cards[k]["type"] for k in cols["key"]])
        return frame.astype({"key": str, "name": str, "type": str})[NEIGHBOR_COLUMNS]

    # --- co-occurrence and evidence ------------------------------------------------

    @_snapshot
    def cooccurrence(self, a: str, b: str, limit: int = 20) -> dict:
        """Counts and scores per scope, and the documents where ``a`` and ``b`` meet."""
        ka, kb = self.resolve(a), self.resolve(b)
        if ka == kb:
            raise ValueError(f"{a!r} and {b!r} are the same entity ({ka})")
        cards, units = self._cards([ka, kb]), self._units()
        scopes = {}
        for scope, count, documents in self._edge_rows(ka, kb):
            scopes[scope] = {"count": count, "documents": documents,
                             **_scores(count, cards[ka], cards[kb], scope, units)}
        short = {k: {f: cards[k][f] for f in ("key", "name", "type", "documents")}
                 for k in (ka, kb)}
        return {"a": short[ka], "b": short[kb], "scopes": scopes,
                "evidence": self._evidence(ka, kb, limit)}

    def _edge_rows(self, ka: str, kb: str) -> list[tuple[str, int, int]]:
        lo, hi = sorted((ka, kb))
        rows = self._rows("SELECT scope, count, documents FROM edges WHERE scope IN "
                          "(SELECT value FROM json_each(?)) AND a = ? AND b = ?",
                          (json.dumps(SCOPES), lo, hi))
        return sorted(rows, key=lambda r: SCOPES.index(r[0]))

    def _shared_docs(self, ka: str, kb: str, limit: int) -> list[str]:
        """Ids of documents mentioning both, by id (driven by the rarer entity)."""
        cards = self._cards([ka, kb])
        rare, other = sorted((ka, kb), key=lambda k: cards.get(k, {}).get("documents", 0))
        rows = self._rows("SELECT DISTINCT m.doc_id FROM mentions AS m WHERE "
                          "m.entity_key = ? AND EXISTS (SELECT 1 FROM mentions WHERE "
                          "entity_key = ? AND doc_id = m.doc_id) ORDER BY m.doc_id LIMIT ?",
                          (rare, other, limit))
        return [r[0] for r in rows]

    def _evidence(self, ka: str, kb: str, limit: int) -> list[dict]:
        ids = self._shared_docs(ka, kb, limit)
        docs = {r[0]: r for r in self._rows("SELECT id, uri, title FROM documents WHERE id "
                                            "IN (SELECT value FROM json_each(?))",
                                            (json.dumps(ids),))}
        found: dict[str, dict[str, list[tuple]]] = {i: {ka: [], kb: []} for i in ids}
        for row in self._rows(
                'SELECT doc_id, entity_key, page, sentence, start, "end", image_id FROM '
                "mentions WHERE entity_key IN (?, ?) AND doc_id IN (SELECT value FROM "
                "json_each(?)) ORDER BY id", (ka, kb, json.dumps(ids))):
            found[row[0]][row[1]].append(row[2:])
        return [self._document_evidence(docs[i], found[i][ka], found[i][kb])
                for i in ids if i in docs]

    def _document_evidence(self, doc: tuple, ms_a: list[tuple], ms_b: list[tuple]) -> dict:
        def shared(pick: Callable[[tuple], Any]) -> set:
            return {pick(m) for m in ms_a} & {pick(m) for m in ms_b} - {None}
        sentences = shared(lambda m: (m[0], m[1]) if m[1] is not None else None)
        return {"doc_id": doc[0], "uri": doc[1], "title": doc[2],
                "pages": sorted(shared(lambda m: m[0])),
                "images": sorted(shared(lambda m: m[4])),
                "sentences": sorted(sentences, key=lambda s: (s[0] or 0, s[1])),
                "snippets": self._snippets(doc[0], ms_a, ms_b, sentences)}

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
        sql = ("SELECT substr(text, ?, ?), length(text) FROM pages WHERE doc_id = ? AND "
               "number = ?" if page is not None else
               "SELECT substr(content, ?, ?), length(content) FROM documents WHERE id = ?")
        params = (start + 1, width, doc_id) + ((page,) if page is not None else ())
        rows = self._rows(sql, params)
        if not rows or rows[0][0] is None:
            return ""
        return _tidy(rows[0][0], start > 0, start + width < rows[0][1], lo - start, hi - start)

    # --- graphs --------------------------------------------------------------------

    @_snapshot
    def ego_graph(self, entity: str, radius: int = 1, scope: str = "document",
                  min_count: int = 1, rank: str = "count", limit: int = 25) -> nx.Graph:
        """``entity``, its ``limit`` strongest neighbours (theirs too, up to ``radius``)."""
        _choice(scope, SCOPES, "scope")
        _choice(rank, RANKS, "rank")
        center = self.resolve(entity)
        nodes, frontier, edges = {center}, [center], {}
        for _ in range(radius):
            following = []
            for key in frontier:
                cols = self._strongest(key, scope, rank, limit, min_count)
                for other, count, docs in zip(cols["key"], cols["count"], cols["documents"]):
                    edges[tuple(sorted((key, other)))] = (int(count), int(docs))
                    if other not in nodes:
                        nodes.add(other)
                        following.append(other)
            frontier = following
        edges.update(self._edges_among(nodes, scope, min_count))
        return self._build(nodes, edges, scope)

    def _edges_among(self, nodes: set[str], scope: str, min_count: int) -> dict:
        """The edges between ``nodes``: one primary-key lookup per pair (a planner's
        choice of scanning each node's edges costs a hub's whole degree)."""
        rows = self._rows("SELECT e.a, e.b, e.count, e.documents FROM json_each(:k) AS x "
                          "CROSS JOIN json_each(:k) AS y CROSS JOIN edges AS e ON "
                          "e.scope = :s AND e.a = x.value AND e.b = y.value "
                          "WHERE x.value < y.value AND e.count >= :m",
                          {"k": json.dumps(sorted(nodes)), "s": scope, "m": min_count})
        return {(a, b): (count, docs) for a, b, count, docs in rows}

    def _build(self, nodes: Iterable[str], edges: dict, scope: str,
               cards: dict[str, dict] | None = None) -> nx.Graph:
        """A ``networkx.Graph`` of the nodes (cards) and ``{(a, b): (count, documents)}``."""
        import networkx as nx
        cards = cards if cards is not None else self._cards(nodes)
        graph = nx.Graph(scope=scope)
        for key, card in cards.items():
            graph.add_node(key, **{f: card[f] for f in ("name", "type", "documents",
                                                        "mentions", "description")})
        pairs = [p for p in edges if p[0] in cards and p[1] in cards]
        count = np.array([edges[p][0] for p in pairs], dtype=float)
        n_a = np.array([cards[a][UNITS[scope]] for a, _ in pairs], dtype=float)
        n_b = np.array([cards[b][UNITS[scope]] for _, b in pairs], dtype=float)
        n = self._units().get(scope, 0)
        scores = zip(np.atleast_1d(npmi(count, n_a, n_b, n)).tolist(),
                     np.atleast_1d(llr(count, n_a, n_b, n)).tolist())
        for (a, b), (p, g) in zip(pairs, scores):
            c, d = edges[(a, b)]
            graph.add_edge(a, b, weight=int(c), count=int(c), documents=int(d), npmi=p,
                           llr=g, scope=scope)
        return graph

    @_snapshot
    def documents_graph(self, doc_ids: Sequence[str], limit: int = 25, scope: str = "document",
                        kind: Any = None) -> nx.Graph:
        """The ``limit`` entities in most of ``doc_ids`` (a search's matches), and
        the edges among them.

        Nodes get ``hits`` (documents of ``doc_ids`` mentioning them), edges ``hits``
        (documents of ``doc_ids`` mentioning both); an edge is there when ``hits > 0``.
        ``count``, ``documents``, ``npmi`` and ``llr`` are corpus-wide, at ``scope``
        (0 and None where the pair never shares a unit of that scope).
        """
        _choice(scope, SCOPES, "scope")
        kinds = _kinds(kind)
        where = "AND upper(e.type) IN (SELECT value FROM json_each(:k))" if kinds else ""
        ids = json.dumps(list(dict.fromkeys(doc_ids)))
        top = self._rows(
            "SELECT m.entity_key, count(DISTINCT m.doc_id) AS n FROM json_each(:d) AS d "
            "CROSS JOIN mentions AS m ON m.doc_id = d.value CROSS JOIN entities AS e "
            f"ON e.key = m.entity_key WHERE 1 {where} GROUP BY m.entity_key "
            "ORDER BY n DESC, m.entity_key LIMIT :l", {"d": ids, "k": json.dumps(kinds),
                                                       "l": limit})
        hits = dict(top)
        by_doc: dict[str, set[str]] = {}
        for doc, key in self._rows(
                "SELECT DISTINCT m.doc_id, m.entity_key FROM json_each(:d) AS d CROSS JOIN "
                "mentions AS m ON m.doc_id = d.value WHERE m.entity_key IN "
                "(SELECT value FROM json_each(:t))", {"d": ids, "t": json.dumps(list(hits))}):
            by_doc.setdefault(doc, set()).add(key)
        shared: Counter = Counter()
        for keys in by_doc.values():
            ordered = sorted(keys)
            shared.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:])
        known = self._edges_among(set(hits), scope, 1)
        graph = self._build(hits, {pair: known.get(pair, (0, 0)) for pair in shared}, scope)
        for key, n in hits.items():
            graph.nodes[key]["hits"] = n
        for (a, b), n in shared.items():
            graph.edges[a, b]["hits"] = n
            if (a, b) not in known:
                graph.edges[a, b].update(npmi=None, llr=None)
        return graph

    @_snapshot
    def to_networkx(self, scope: str = "document", min_count: int = 1,
                    kind: Any = None) -> nx.Graph:
        """The whole graph of ``scope`` (edges with ``count >= min_count``, ``kind`` only)."""
        _choice(scope, SCOPES, "scope")
        kinds = _kinds(kind)
        where = ("AND upper(ta.type) IN (SELECT value FROM json_each(:k)) AND upper(tb.type) "
                 "IN (SELECT value FROM json_each(:k))") if kinds else ""
        cursor = self._conn.execute(
            "SELECT e.a, e.b, e.count, e.documents FROM edges AS e CROSS JOIN entities AS ta "
            "ON ta.key = e.a CROSS JOIN entities AS tb ON tb.key = e.b WHERE e.scope = :s "
            f"AND e.count >= :m {where}", {"s": scope, "m": min_count, "k": json.dumps(kinds)})
        edges = {(a, b): (c, d) for a, b, c, d in cursor}
        keys = sorted({k for pair in edges for k in pair})
        cards: dict[str, dict] = {}
        for i in range(0, len(keys), 20_000):
            cards.update(self._cards(keys[i:i + 20_000]))
        return self._build(keys, edges, scope, cards)

    def export(self, path: str | Path, format: str | None = None, scope: str = "document",
               min_count: int = 1, kind: Any = None) -> Path:
        """Write ``to_networkx(scope, min_count, kind)`` as GEXF, GraphML or d3 JSON."""
        from graph.export import check_format, write
        fmt = check_format(path, format)  # fail before building the graph
        return write(self.to_networkx(scope, min_count, kind), path, fmt)

    @_snapshot
    def stats(self) -> dict:
        """``{"entities": n, "scopes": {scope: {"nodes", "edges", "units"}}}``."""
        row = self._rows("SELECT count(*), " + ", ".join(
            f"coalesce(sum({UNITS[s]} > 0), 0)" for s in SCOPES) + " FROM entities")[0]
        edges = dict(self._rows("SELECT scope, count(*) FROM edges GROUP BY scope"))
        units = self._units()
        return {"entities": row[0],
                "scopes": {s: {"nodes": row[1 + i], "edges": edges.get(s, 0),
                               "units": units.get(s, 0)} for i, s in enumerate(SCOPES)}}

    # --- paths ---------------------------------------------------------------------

    @_snapshot
    def path(self, a: str, b: str, scope: str = "document", min_count: int = 1,
             max_hops: int = 4) -> list[dict]:
        """A shortest chain of co-occurrences from ``a`` to ``b``, one dict per hop."""
        _choice(scope, SCOPES, "scope")
        ka, kb = self.resolve(a), self.resolve(b)
        if ka == kb:
            return []
        from graph.algorithms import shortest_chain
        sql = self._edges_of("count")
        chain = shortest_chain(
            lambda k: self._rows(sql, {"scope": scope, "key": k, "min": min_count}),
            ka, kb, max_hops, MAX_VISITED)
        if chain is None:
            raise NoPath(f"no path between {ka} and {kb} within {max_hops} hops at {scope} "
                         f"scope (min_count={min_count}, searching at most {MAX_VISITED:,} "
                         "entities); raise max_hops or lower min_count")
        return self._hops(chain, scope)

    def _hops(self, chain: list[str], scope: str) -> list[dict]:
        cards, units = self._cards(chain), self._units()
        hops = []
        for x, y in pairwise(chain):
            count, docs = self._edges_among({x, y}, scope, 1)[tuple(sorted((x, y)))]
            evidence = [{"doc_id": r[0], "title": r[1]} for r in self._rows(
                "SELECT id, title FROM documents WHERE id IN (SELECT value FROM json_each(?))"
                " ORDER BY id", (json.dumps(self._shared_docs(x, y, 3)),))]
            hops.append({"a": x, "b": y, "a_name": cards[x]["name"],
                         "b_name": cards[y]["name"], "count": count, "documents": docs,
                         **_scores(count, cards[x], cards[y], scope, units),
                         "evidence": evidence})
        return hops


# --- helpers -----------------------------------------------------------------------

def _scores(count: int, card_a: dict, card_b: dict, scope: str,
            units: dict[str, int]) -> dict[str, float]:
    """NPMI and LLR of one pair at ``scope``, from the two cards and ``graph_units``."""
    n_a, n_b, n = card_a[UNITS[scope]], card_b[UNITS[scope]], units.get(scope, 0)
    return {"npmi": npmi(count, n_a, n_b, n), "llr": llr(count, n_a, n_b, n)}


def _top_order(score: np.ndarray, count: np.ndarray, keys: np.ndarray,
               limit: int | None) -> list[int]:
    """Indexes of the ``limit`` best rows: score desc, count desc, key asc."""
    if limit is not None and limit <= 0:
        return []
    index = np.arange(len(keys))
    if limit is not None and len(keys) > limit:
        kth = np.partition(score, len(score) - limit)[len(score) - limit]
        index = index[score >= kth]  # ties at the cut stay for the exact sort
    best = sorted(index.tolist(), key=lambda i: (-score[i], -count[i], keys[i]))
    return best[:limit] if limit is not None else best


def _tidy(text: str, cut_left: bool, cut_right: bool, keep_from: int, keep_to: int) -> str:
    """Partial words at cut edges dropped (never inside ``text[keep_from:keep_to]``),
    whitespace collapsed, ellipses added.

    >>> _tidy("rning. LeBron James wore Ni", True, True, 7, 19)
    '…LeBron James wore…'
    """
    first = text.find(" ")
    if cut_left and 0 <= first <= keep_from:
        text, keep_to = text[first:], keep_to - first
    last = text.rfind(" ")
    if cut_right and last >= keep_to:
        text = text[:last]
    return ("…" if cut_left else "") + " ".join(text.split()) + ("…" if cut_right else "")
