"""The query layer of the knowledge graph, on stores written row by row.

``build_store`` writes documents, pages and mentions, and the aggregate tables
summed from them (entities, entity_names, edges per scope, graph_units), into a
store file that ``SqliteStore`` created; the tests assert exact answers on it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from graph.knowledge import (
    AmbiguousEntity,
    EntityNotFound,
    GraphError,
    IndexNotFound,
    KnowledgeGraph,
    NoPath,
)
from graph.normalize import sentence_of, sentence_spans
from graph.scores import llr, npmi
from indexers.stores import DocumentRecord, SourceState, SqliteStore

LEBRON, NIKE, LAKERS, LA = ("PERSON:lebron james", "ORG:nike", "ORG:lakers",
                            "GPE:los angeles")
MJ, JORDAN_P, JORDAN_G, BULLS = ("PERSON:michael jordan", "PERSON:jordan", "GPE:jordan",
                                 "ORG:bulls")
FBI, ZORRO = "ORG:federal bureau of investigation", "PERSON:zorro"


def m(key: str, text: str, page: int | None = 1, name: str | None = None, nth: int = 0,
      image: str | None = None, label: str | None = None, raw: str | None = None) -> dict:
    """A mention of ``key`` by ``text`` (its ``nth`` occurrence on ``page``)."""
    return {"key": key, "text": text, "page": page, "name": name or text, "nth": nth,
            "image": image, "label": label or key.split(":")[0], "raw": raw or key}


def _place(mention: dict, pages: list[str]) -> dict:
    """Offsets and sentence of a text mention; none for an image label."""
    if mention["image"]:
        return {**mention, "start": None, "end": None, "sentence": None}
    text, start = pages[mention["page"] - 1], -1
    for _ in range(mention["nth"] + 1):
        start = text.index(mention["text"], start + 1)
    sentence = sentence_of(sentence_spans(text), start)
    return {**mention, "start": start, "end": start + len(mention["text"]),
            "sentence": sentence}


def _units(doc_id: str, mentions: list[dict]) -> dict[str, dict]:
    units: dict[str, dict] = {s: defaultdict(set) for s in ("document", "page", "image",
                                                            "sentence")}
    for x in mentions:
        units["document"][doc_id].add(x["key"])
        if x["page"] is not None:
            units["page"][(doc_id, x["page"])].add(x["key"])
        if x["image"]:
            units["image"][(doc_id, x["image"])].add(x["key"])
        if x["sentence"] is not None:
            units["sentence"][(doc_id, x["page"], x["sentence"])].add(x["key"])
    return units


def _aggregate(docs: list[dict]) -> tuple[dict, dict, Counter]:
    """Per-entity unit counts, edges ``{(scope, a, b): [count, docs]}``, units per scope."""
    seen: dict[str, Counter] = defaultdict(Counter)
    edges: dict[tuple, list] = defaultdict(lambda: [0, set()])
    n_units: Counter = Counter()
    for doc in docs:
        for scope, groups in _units(doc["id"], doc["mentions"]).items():
            for keys in groups.values():
                n_units[scope] += 1
                for key in keys:
                    seen[key][scope] += 1
                for a, b in combinations(sorted(keys), 2):
                    edges[(scope, a, b)][0] += 1
                    edges[(scope, a, b)][1].add(doc["id"])
    return seen, edges, n_units


def _write_documents(conn: sqlite3.Connection, docs: list[dict]) -> None:
    for doc in docs:
        uri = f"file:///corpus/{doc['id']}.pdf"
        conn.execute("INSERT INTO sources (uri, size, mtime, sha256, status, message, "
                     "updated_at) VALUES (?, 1, 0, 'h', 'ok', '', 'now')", (uri,))
        conn.execute("INSERT INTO documents (id, uri, source_uri, status, title, content, "
                     "indexed_at) VALUES (?, ?, ?, 'ok', ?, ?, 'now')",
                     (doc["id"], uri, uri, doc.get("title", f"Title {doc['id']}"),
                      "\n\n".join(doc["pages"])))
        for number, text in enumerate(doc["pages"], 1):
            conn.execute("INSERT INTO pages (doc_id, number, text) VALUES (?, ?, ?)",
                         (doc["id"], number, text))
        for x in doc["mentions"]:
            conn.execute("INSERT INTO mentions (doc_id, entity_key, raw_key, label, name, "
                         'text, page, sentence, start, "end", image_id) VALUES '
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (doc["id"], x["key"], x["raw"], x["label"], x["name"], x["text"],
                          x["page"], x["sentence"], x["start"], x["end"], x["image"]))


def _write_aggregates(conn: sqlite3.Connection, docs: list[dict]) -> None:
    seen, edges, n_units = _aggregate(docs)
    mentions = [x for doc in docs for x in doc["mentions"]]
    names = Counter((x["key"], x["name"]) for x in mentions)
    for key, units in seen.items():
        name = max((n for k, n in names if k == key), key=lambda n: (names[(key, n)], n))
        conn.execute("INSERT INTO entities VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                     (key, key.split(":")[0], name, units["document"],
                      sum(x["key"] == key for x in mentions), units["page"], units["image"],
                      units["sentence"]))
    conn.executemany("INSERT INTO entity_names VALUES (?, ?, ?)",
                     [(k, n, c) for (k, n), c in names.items()])
    conn.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)",
                     [(s, a, b, c, len(d)) for (s, a, b), (c, d) in edges.items()])
    conn.executemany("INSERT INTO graph_units VALUES (?, ?)", n_units.items())


def build_store(path: Path, docs: list[dict], aliases: tuple = ()) -> Path:
    """A store file holding ``docs`` ({id, pages, mentions}) and their aggregates."""
    SqliteStore(path).close()
    docs = [{**d, "mentions": [_place(x, d["pages"]) for x in d["mentions"]]} for d in docs]
    conn = sqlite3.connect(path)
    with conn:
        _write_documents(conn, docs)
        _write_aggregates(conn, docs)
        conn.executemany("INSERT INTO aliases VALUES (?, ?, ?)", aliases)
    conn.close()
    return path


def basketball() -> list[dict]:
    """Six short documents about players, brands, teams, places and the FBI."""
    return [
        {"id": "d1", "title": "Game notes", "pages": [
            "LeBron James wore Nike shoes. The Lakers won in Los Angeles.",
            "King James thanked Nike after the game."],
         "mentions": [m(LEBRON, "LeBron James"), m(NIKE, "Nike"), m(LAKERS, "Lakers"),
                      m(LA, "Los Angeles"), m(LEBRON, "King James", 2, name="LeBron James"),
                      m(NIKE, "Nike", 2), m(LEBRON, "LeBron James", image="p1-i0"),
                      m(NIKE, "Nike", image="p1-i0", label="BRAND")]},
        {"id": "d2", "title": "Legends", "pages": [
            "Lebron James met Michael Jordan.", "Nike signed Michael Jordan."],
         "mentions": [m(LEBRON, "Lebron James"), m(MJ, "Michael Jordan"),
                      m(NIKE, "Nike", 2), m(MJ, "Michael Jordan", 2)]},
        {"id": "d3", "title": "Travels", "pages": [
            "Michael Jordan visited Jordan with the Bulls."],
         "mentions": [m(MJ, "Michael Jordan"), m(JORDAN_G, "Jordan", nth=1),
                      m(BULLS, "Bulls")]},
        {"id": "d4", "title": "Watched", "pages": [
            "Jordan scored for the Bulls. The Federal Bureau of Investigation (FBI) watched."],
         "mentions": [m(JORDAN_P, "Jordan"), m(BULLS, "Bulls"),
                      m(FBI, "Federal Bureau of Investigation")]},
        {"id": "d5", "title": "Files", "pages": ["The FBI and the Bulls."],
         "mentions": [m(FBI, "FBI", name="Federal Bureau of Investigation", raw="ORG:fbi"),
                      m(BULLS, "Bulls")]},
        {"id": "d6", "title": "Alone", "pages": ["Zorro rode alone."],
         "mentions": [m(ZORRO, "Zorro")]},
    ]


@pytest.fixture
def kg(tmp_path):
    build_store(tmp_path / "enrich.sqlite", basketball(), aliases=[("fbi", FBI, 2)])
    with KnowledgeGraph.open(tmp_path) as graph:
        yield graph


# --- opening -------------------------------------------------------------------------

def test_open_without_an_index_says_how_to_make_one(tmp_path):
    with pytest.raises(IndexNotFound, match=r"no enrich index in .*; run `enrich index "
                                            r"SOURCE --data .*` first"):
        KnowledgeGraph.open(tmp_path)


def test_open_rejects_a_file_that_is_not_a_store(tmp_path):
    (tmp_path / "enrich.sqlite").write_text("not a database")
    with pytest.raises(GraphError, match="not an enrich index"):
        KnowledgeGraph.open(tmp_path)


def test_the_store_is_opened_read_only(kg):
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        kg._conn.execute("DELETE FROM entities")


def test_open_rejects_a_store_from_before_graph_units(tmp_path):
    conn = sqlite3.connect(tmp_path / "enrich.sqlite")
    conn.executescript("CREATE TABLE entities (key TEXT); CREATE TABLE edges (a TEXT);"
                       "PRAGMA user_version = 2")
    conn.close()
    with pytest.raises(GraphError, match=r"older enrich \(store schema version 2\); "
                                         "re-index it"):
        KnowledgeGraph.open(tmp_path)


def test_doctests():
    import doctest

    import graph.knowledge
    assert doctest.testmod(graph.knowledge).failed == 0


def test_reads_while_the_store_is_open_for_writing(tmp_path):
    path = build_store(tmp_path / "enrich.sqlite", basketball())
    with SqliteStore(path) as store, KnowledgeGraph(path) as graph:
        with store.transaction():
            store._conn.execute("UPDATE entities SET name = 'Changed' WHERE key = ?",
                                (NIKE,))
            assert graph.entity(NIKE)["name"] == "Nike"  # not committed yet
        assert graph.entity(NIKE)["name"] == "Changed"


# --- finding entities ----------------------------------------------------------------

@pytest.mark.parametrize("name, kind, key", [
    (LEBRON, None, LEBRON), ("person:LeBron  James", None, LEBRON),
    ("lebron james", None, LEBRON), ("Mr. LeBron James", None, LEBRON),
    ("FBI", None, FBI), ("f.b.i.", None, FBI), ("Lakers", "org", LAKERS),
    ("Jordan", "PERSON", JORDAN_P),
    ("jordan", ["gpe", "LOC"], JORDAN_G), ("LOS ANGELES", None, LA)])
def test_resolve_loose_names(kg, name, kind, key):
    assert kg.resolve(name, kind) == key


def test_a_shared_name_is_ambiguous_and_names_the_candidates(kg):
    with pytest.raises(AmbiguousEntity) as err:
        kg.resolve("Jordan")
    assert [c["key"] for c in err.value.candidates] == [JORDAN_G, JORDAN_P]
    assert err.value.candidates[0] == {"key": JORDAN_G, "name": "Jordan", "type": "GPE",
                                       "documents": 1}
    message = str(err.value)
    assert "Jordan (GPE:jordan, 1 documents)" in message and "PERSON:jordan" in message
    assert "kind=" in message and "key" in message


def test_a_prefix_is_not_found_but_suggested(kg):
    with pytest.raises(EntityNotFound) as err:
        kg.resolve("Lebron")
    assert err.value.suggestions[0]["key"] == LEBRON
    assert "did you mean LeBron James (PERSON:lebron james, 2 documents)" in str(err.value)
    assert isinstance(err.value, KeyError) and isinstance(err.value, GraphError)


def test_a_typo_gets_fuzzy_suggestions(kg):
    with pytest.raises(EntityNotFound) as err:
        kg.resolve("Micheal Jordon")
    assert err.value.suggestions[0]["key"] == MJ


def test_a_kind_that_does_not_match_suggests_the_other_types(kg):
    with pytest.raises(EntityNotFound, match="of type ORG") as err:
        kg.resolve("Zorro", kind="ORG")
    assert [s["key"] for s in err.value.suggestions] == [ZORRO]


def test_nothing_alike_has_no_suggestions(kg):
    with pytest.raises(EntityNotFound, match="look names up"):
        kg.resolve("qqqqqq")


def test_entities_ranks_matches(kg):
    frame = kg.entities("jordan")
    assert list(frame.columns) == ["key", "name", "type", "documents", "mentions", "match"]
    assert frame.set_index("key")["match"].to_dict()[JORDAN_P] == "exact"
    assert frame.set_index("key")["match"].to_dict()[MJ] == "fuzzy"
    assert list(frame["key"][:2]) == [JORDAN_G, JORDAN_P]
    assert list(kg.entities("Lebron")["match"]) == ["prefix"]
    assert list(kg.entities("FBI")[["key", "match"]].iloc[0]) == [FBI, "alias"]


def test_entities_without_a_query_are_the_most_documented(kg):
    frame = kg.entities(limit=3)
    assert list(frame["key"]) == [BULLS, FBI, NIKE]  # ties by key
    assert list(frame.iloc[0]) == [BULLS, "Bulls", "ORG", 3, 3]
    assert list(kg.entities(kind="org")["key"]) == [BULLS, FBI, NIKE, LAKERS]


def test_entity_card(kg):
    card = kg.entity("lebron james")
    assert {k: card[k] for k in ("key", "name", "type", "description", "documents",
                                 "mentions", "pages", "images", "sentences")} == {
        "key": LEBRON, "name": "LeBron James", "type": "PERSON", "description": "",
        "documents": 2, "mentions": 4, "pages": 3, "images": 1, "sentences": 3}
    assert card["names"] == {"LeBron James": 3, "Lebron James": 1}
    assert card["aliases"] == {"King James": 1}
    assert card["labels"] == {"PERSON": 4}
    assert kg.entity("Nike")["labels"] == {"ORG": 3, "BRAND": 1}


def test_entity_acronym_aliases(kg):
    card = kg.entity("FBI")
    assert card["key"] == FBI and card["acronyms"] == {"fbi": 2}
    assert card["aliases"] == {"FBI": 1}


# --- neighbours ----------------------------------------------------------------------

def test_neighbors_by_count(kg):
    frame = kg.neighbors("LeBron James")
    assert list(frame.columns) == ["key", "name", "type", "count", "documents", "npmi", "llr"]
    assert list(frame["key"]) == [NIKE, LA, LAKERS, MJ]
    assert list(frame["count"]) == [2, 1, 1, 1] and list(frame["documents"]) == [2, 1, 1, 1]
    assert frame["npmi"][0] == pytest.approx(npmi(2, 2, 2, 6))
    assert frame["llr"][0] == pytest.approx(llr(2, 2, 2, 6))


def test_neighbors_at_other_scopes(kg):
    page = kg.neighbors(LEBRON, scope="page")
    assert dict(zip(page["key"], page["count"])) == {NIKE: 2, LAKERS: 1, LA: 1, MJ: 1}
    assert list(kg.neighbors(LEBRON, scope="image")["key"]) == [NIKE]
    sentence = kg.neighbors(LEBRON, scope="sentence")
    assert dict(zip(sentence["key"], sentence["count"])) == {NIKE: 2, MJ: 1}
    assert sentence["npmi"][0] == pytest.approx(npmi(2, 3, 3, 10))


def test_neighbors_kind_limit_and_min_count(kg):
    assert list(kg.neighbors(LEBRON, kind="org")["key"]) == [NIKE, LAKERS]
    assert list(kg.neighbors(LEBRON, kind=["GPE", "person"])["key"]) == [LA, MJ]
    assert list(kg.neighbors(LEBRON, limit=2)["key"]) == [NIKE, LA]
    assert list(kg.neighbors(LEBRON, min_count=2)["key"]) == [NIKE]
    assert kg.neighbors(ZORRO).empty


def test_neighbors_validate_scope_and_rank(kg):
    with pytest.raises(ValueError, match="unknown scope 'paragraph'; choose one of "
                                         "document, page, image, sentence"):
        kg.neighbors(LEBRON, scope="paragraph")
    with pytest.raises(ValueError, match="choose one of count, npmi, llr"):
        kg.neighbors(LEBRON, rank="pmi")


UNCOVERED = ("DROP INDEX entities_units", "DROP INDEX edges_b",
             "CREATE INDEX edges_b ON edges(scope, b)")


def test_covering_indexes_are_used_and_change_no_answer(tmp_path, kg):
    """The store has them; a store without them (an older layout) answers the same."""
    path = build_store(tmp_path / "plain" / "enrich.sqlite", basketball(),
                       aliases=[("fbi", FBI, 2)])
    conn = sqlite3.connect(path)
    for statement in UNCOVERED:
        conn.execute(statement)
    conn.commit()
    conn.close()
    assert kg._hints == {"edges_b": "INDEXED BY edges_b", "entities": "INDEXED BY entities_units"}
    with KnowledgeGraph(path) as plain:
        assert plain._hints["entities"] == ""
        for rank in ("count", "npmi", "llr"):
            for kind in (None, "ORG"):
                for key in (LEBRON, NIKE, BULLS):
                    args = {"rank": rank, "kind": kind, "limit": 3}
                    assert plain.neighbors(key, **args).equals(kg.neighbors(key, **args))


def exclusive_and_incidental(tmp_path: Path) -> Path:
    """100 documents. X (12 docs) always has Y (3 docs): rare but exclusive.
    Z is in 90 docs, 10 of them X's: frequent, and less often with X than chance."""
    keys = {i: [] for i in range(100)}
    for i in range(90):
        keys[i].append("ORG:z")
    for i in range(80, 92):
        keys[i].append("ORG:x")
    for i in (89, 90, 91):
        keys[i].append("ORG:y")
    for i in range(92, 100):
        keys[i].append("GPE:filler")
    docs = [{"id": f"d{i:03}", "pages": [" ".join(k.split(":")[1] for k in ks)],
             "mentions": [m(k, k.split(":")[1]) for k in ks]} for i, ks in keys.items()]
    return build_store(tmp_path / "enrich.sqlite", docs)


def test_a_rare_exclusive_pair_outranks_a_frequent_incidental_one(tmp_path):
    with KnowledgeGraph.open(exclusive_and_incidental(tmp_path)) as graph:
        by_count = graph.neighbors("ORG:x")
        assert list(zip(by_count["key"], by_count["count"])) == [("ORG:z", 10), ("ORG:y", 3)]
        for rank in ("npmi", "llr"):
            assert list(graph.neighbors("ORG:x", rank=rank)["key"]) == ["ORG:y", "ORG:z"]
        scores = graph.neighbors("ORG:x", rank="llr").set_index("key")
    assert scores.loc["ORG:y", "npmi"] == pytest.approx(npmi(3, 12, 3, 100))
    assert scores.loc["ORG:z", "npmi"] == pytest.approx(npmi(10, 12, 90, 100))
    assert scores.loc["ORG:y", "llr"] > 10.83  # p < 0.001
    assert scores.loc["ORG:z", "llr"] < 0  # together less often than chance


# --- co-occurrence and evidence -------------------------------------------------------

def test_cooccurrence_counts_per_scope(kg):
    found = kg.cooccurrence("lebron james", "Nike")
    assert found["a"] == {"key": LEBRON, "name": "LeBron James", "type": "PERSON",
                          "documents": 2}
    assert found["b"]["key"] == NIKE
    assert {s: v["count"] for s, v in found["scopes"].items()} == {
        "document": 2, "page": 2, "image": 1, "sentence": 2}
    assert found["scopes"]["page"]["npmi"] == pytest.approx(npmi(2, 3, 3, 8))
    assert found["scopes"]["image"]["llr"] == pytest.approx(llr(1, 1, 1, 1))


def test_cooccurrence_evidence_and_snippets(kg):
    d1, d2 = kg.cooccurrence(LEBRON, NIKE)["evidence"]
    assert (d1["doc_id"], d1["title"], d1["uri"]) == ("d1", "Game notes",
                                                      "file:///corpus/d1.pdf")
    assert d1["pages"] == [1, 2] and d1["images"] == ["p1-i0"]
    assert d1["sentences"] == [(1, 0), (2, 0)]
    assert d1["snippets"] == [
        {"page": 1, "text": "LeBron James wore Nike shoes. The Lakers won in Los Angeles."},
        {"page": 2, "text": "King James thanked Nike after the game."}]
    assert (d2["pages"], d2["images"], d2["sentences"]) == ([], [], [])
    assert d2["snippets"] == [{"page": 1, "text": "Lebron James met Michael Jordan."},
                              {"page": 2, "text": "Nike signed Michael Jordan."}]


def test_cooccurrence_limit_and_long_pages(tmp_path):
    filler = "word " * 100
    docs = [{"id": f"d{i}", "pages": [f"{filler}Nike and LeBron James {filler}"],
             "mentions": [m(NIKE, "Nike"), m(LEBRON, "LeBron James")]} for i in range(4)]
    with KnowledgeGraph.open(build_store(tmp_path / "e.sqlite", docs)) as graph:
        evidence = graph.cooccurrence(NIKE, LEBRON, limit=2)["evidence"]
    assert [e["doc_id"] for e in evidence] == ["d0", "d1"]
    text = evidence[0]["snippets"][0]["text"]
    assert text.startswith("…word") and text.endswith("word…") and len(text) <= 242
    assert "Nike and LeBron James" in text


def test_cooccurrence_of_one_entity_with_itself_is_an_error(kg):
    with pytest.raises(ValueError, match="same entity"):
        kg.cooccurrence("LeBron James", LEBRON)


# --- graphs --------------------------------------------------------------------------

def test_ego_graph(kg):
    G = kg.ego_graph("LeBron James")
    assert set(G) == {LEBRON, NIKE, LAKERS, LA, MJ}
    assert G.number_of_edges() == 4 + 4  # the star, Nike-Lakers-LA, Nike-MJ
    assert G.nodes[LEBRON] == {"name": "LeBron James", "type": "PERSON", "documents": 2,
                               "mentions": 4, "description": ""}
    edge = G.edges[LEBRON, NIKE]
    assert edge == {"weight": 2, "count": 2, "documents": 2, "npmi": npmi(2, 2, 2, 6),
                    "llr": llr(2, 2, 2, 6), "scope": "document"}
    assert G.edges[NIKE, MJ]["count"] == 1


def test_ego_graph_radius_and_limit(kg):
    assert set(kg.ego_graph(LEBRON, limit=1)) == {LEBRON, NIKE}
    two = kg.ego_graph(LEBRON, radius=2)
    assert set(two) == {LEBRON, NIKE, LAKERS, LA, MJ, JORDAN_G, BULLS}
    assert set(kg.ego_graph(LEBRON, min_count=2)) == {LEBRON, NIKE}


def test_documents_graph_counts_hits_within_the_documents(kg):
    G = kg.documents_graph(["d1", "d2", "d3"], limit=4)
    # mentioned in d1-d3: LeBron 2, Nike 2, MJ 2; then Bulls, Jordan (GPE), Lakers, LA 1
    # each, of which the first by key (GPE:jordan) fills the 4th place
    assert {k: G.nodes[k]["hits"] for k in G} == {LEBRON: 2, NIKE: 2, MJ: 2, JORDAN_G: 1}
    assert G.edges[LEBRON, NIKE]["hits"] == 2 and G.edges[LEBRON, MJ]["hits"] == 1
    assert G.edges[MJ, JORDAN_G]["hits"] == 1 and not G.has_edge(LEBRON, JORDAN_G)
    corpus = kg.cooccurrence(LEBRON, NIKE)["scopes"]["document"]
    assert (G.edges[LEBRON, NIKE]["count"], G.edges[LEBRON, NIKE]["npmi"]) == \
        (corpus["count"], corpus["npmi"])  # corpus-wide scores
    people = kg.documents_graph(["d1", "d2", "d3"], kind="PERSON")
    assert set(people) == {LEBRON, MJ}
    assert set(kg.documents_graph([])) == set()


def edges(G) -> set[tuple[str, str]]:
    """The edges of ``G`` as sorted pairs."""
    return {tuple(sorted(e)) for e in G.edges}


def test_to_networkx_builds_the_whole_scope(kg):
    G = kg.to_networkx()
    assert set(G) == {LEBRON, NIKE, LAKERS, LA, MJ, JORDAN_G, JORDAN_P, BULLS, FBI}
    assert G.number_of_edges() == 6 + 1 + 3 + 3 + 1
    assert G.edges[BULLS, FBI]["count"] == 2
    assert set(kg.to_networkx(kind="org")) == {NIKE, LAKERS, BULLS, FBI}
    assert edges(kg.to_networkx(min_count=2)) == {(NIKE, LEBRON), (BULLS, FBI)}
    assert edges(kg.to_networkx(scope="image")) == {(NIKE, LEBRON)}


def test_stats(kg):
    stats = kg.stats()
    assert stats["entities"] == 10
    assert stats["scopes"]["document"] == {"nodes": 10, "edges": 14, "units": 6}
    assert stats["scopes"]["image"] == {"nodes": 2, "edges": 1, "units": 1}


# --- paths ---------------------------------------------------------------------------

def test_path_hops_with_evidence(kg):
    hops = kg.path("LeBron James", "FBI")
    assert [(h["a"], h["b"]) for h in hops] == [(LEBRON, MJ), (MJ, BULLS), (BULLS, FBI)]
    assert hops[0]["a_name"] == "LeBron James" and hops[0]["b_name"] == "Michael Jordan"
    assert [h["count"] for h in hops] == [1, 1, 2]
    assert hops[2]["evidence"] == [{"doc_id": "d4", "title": "Watched"},
                                   {"doc_id": "d5", "title": "Files"}]
    assert hops[2]["npmi"] == pytest.approx(npmi(2, 3, 2, 6))
    assert kg.path(LEBRON, LEBRON) == []


def test_no_path(kg):
    with pytest.raises(NoPath, match="no path between PERSON:lebron james and "
                                     "PERSON:zorro within 4 hops"):
        kg.path(LEBRON, "Zorro")
    with pytest.raises(NoPath):
        kg.path(LEBRON, BULLS, max_hops=1)
    assert len(kg.path(LEBRON, BULLS, max_hops=2)) == 2


def test_path_prefers_the_stronger_of_equally_short_chains(tmp_path):
    docs = ([{"id": f"w{i}", "pages": ["S W T"], "mentions": [
        m("X:s", "S"), m("X:w", "W"), m("X:t", "T")]} for i in range(1)] +
            [{"id": f"v{i}", "pages": ["S V T"], "mentions": [
                m("X:s", "S"), m("X:v", "V"), m("X:t", "T")]} for i in range(3)] +
            [{"id": f"u{i}", "pages": ["S U"], "mentions": [
                m("X:s", "S"), m("X:u", "U")]} for i in range(5)])
    with KnowledgeGraph.open(build_store(tmp_path / "e.sqlite", docs)) as graph:
        assert [h["b"] for h in graph.path("X:s", "X:t")] == ["X:t"]
        assert [h["count"] for h in graph.path("X:u", "X:t")] == [5, 4]
        assert [h["b"] for h in graph.path("X:u", "X:w")] == ["X:s", "X:w"]
        assert [h["a"] for h in graph.path("X:w", "X:u")] == ["X:w", "X:s"]


# --- through the store's write path ---------------------------------------------------

def record(doc_id: str, pages: list[str], mentions: list[dict],
           aliases: list[tuple[str, str]] = ()) -> DocumentRecord:
    """A ``DocumentRecord`` whose mentions are placed with ``_place`` and linked with
    ``graph.contributions``, as the indexer writes them."""
    from graph import contributions
    placed = [_place(x, pages) for x in mentions]
    entities = [{"key": x["raw"], "type": x["key"].split(":")[0], "label": x["label"],
                 "name": x["name"], "text": x["text"], "page": x["page"],
                 "sentence": x["sentence"], "start": x["start"], "end": x["end"],
                 "image": x["image"], "skill": "entities", "version": "1"} for x in placed]
    doc = DocumentRecord(
        id=doc_id, uri=f"file:///{doc_id}.pdf", source_uri=f"file:///{doc_id}.pdf",
        status="ok", title=doc_id.upper(), content="\n\n".join(pages), metadata={},
        pages=[{"number": n, "text": t, "offset": 0, "needs_ocr": False}
               for n, t in enumerate(pages, 1)],
        images=[], entities=entities, edges=contributions(entities), fields={}, tree={},
        warnings=[])
    doc.aliases = list(aliases)
    return doc


def test_queries_read_what_the_store_writes(tmp_path):
    docs = [record("a", ["The Federal Bureau of Investigation (FBI) watched LeBron James.",
                         "LeBron James wore Nike."],
                   [m(FBI, "Federal Bureau of Investigation"), m(LEBRON, "LeBron James"),
                    m(LEBRON, "LeBron James", 2), m(NIKE, "Nike", 2),
                    m(NIKE, "Nike", 2, image="p2-i0", label="BRAND"),
                    m(LEBRON, "LeBron James", 2, image="p2-i0")],
                   aliases=[("ORG:fbi", FBI)]),
            record("b", ["The FBI met Nike."], [m("ORG:fbi", "FBI"), m(NIKE, "Nike")])]
    with SqliteStore(tmp_path / "enrich.sqlite") as store, store.transaction():
        for doc in docs:
            store.put_source(SourceState(uri=doc.source_uri, size=1, mtime=0.0,
                                         sha256=doc.id, status="ok"), [doc])
    with KnowledgeGraph.open(tmp_path) as graph:
        assert graph.resolve("F.B.I.") == FBI and graph.entity("FBI")["acronyms"] == {"fbi": 1}
        near = graph.neighbors("FBI")
        assert dict(zip(near["key"], near["count"])) == {NIKE: 2, LEBRON: 1}
        found = graph.cooccurrence("LeBron James", "Nike")
        assert {s: v["count"] for s, v in found["scopes"].items()} == {
            "document": 1, "page": 1, "image": 1, "sentence": 1}
        assert found["evidence"][0]["snippets"] == [{"page": 2, "text":
                                                     "LeBron James wore Nike."}]
        assert graph.entity(NIKE)["labels"] == {"ORG": 2, "BRAND": 1}
        assert [h["b"] for h in graph.path("LeBron James", "Nike", scope="page")] == [NIKE]
