"""`enrich eval retrieval`: BEIR readers, ranking metrics, and a tiny set end to end."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.eval import retrieval
from enrich.eval.errors import BeirFormatError, UnknownModeError
from enrich.eval.retrieval_data import read_beir, read_corpus, read_qrels, read_queries
from enrich.eval.retrieval_metrics import mean_scores, mrr_at, ndcg_at, recall_at

CORPUS = [
    {"_id": "ferry", "title": "Harbour timetable", "text": "The ferry leaves the harbour at dawn."},
    {"_id": "fruit/7", "title": "", "text": "Orchard apples ripen in late autumn."},
    {"_id": "kiln", "title": "Pottery", "text": "A potter fires clay bowls in a kiln."},
]
QUERIES = [
    {"_id": "q1", "text": "ferry harbour", "metadata": {"group": "shared-words"}},
    {"_id": "q2", "text": "when do orchard apples ripen?", "group": "shared-words"},
    {"_id": "q3", "text": "ceramic oven", "metadata": {"group": "paraphrase"}},
    {"_id": "q4", "text": "unjudged question"},
]
# q2 has two relevant documents; only one shares its words
QRELS = "query-id\tcorpus-id\tscore\nq1\tferry\t1\nq2\tfruit/7\t1\nq2\tferry\t1\nq3\tkiln\t2\n"


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def beir(tmp_path):
    corpus = _jsonl(tmp_path / "corpus.jsonl", CORPUS)
    queries = _jsonl(tmp_path / "queries.jsonl", QUERIES)
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(QRELS, encoding="utf-8")
    skillset = tmp_path / "text-only.yaml"
    skillset.write_text("skills: []\n", encoding="utf-8")
    return {"corpus": corpus, "queries": queries, "qrels": qrels, "skillset": skillset}


# --- metrics (hand-computed) ------------------------------------------------------------

def test_ndcg_uses_graded_gains_and_the_ideal_order():
    judged = {"a": 2, "b": 1}
    # DCG = 1/log2(2) + 0 + 2/log2(4) = 2; ideal = 2/1 + 1/log2(3)
    assert ndcg_at(["b", "x", "a"], judged, 10) == pytest.approx(2 / (2 + 1 / math.log2(3)))
    assert ndcg_at(["a", "b"], judged, 10) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], judged, 1) == 0.0  # the cutoff
    assert ndcg_at(["a"], {"a": 0}, 10) == 0.0  # nothing relevant


def test_recall_counts_relevant_documents_within_the_cutoff():
    judged = {"a": 1, "b": 1, "c": 0}
    assert recall_at(["c", "a"], judged, 100) == 0.5  # a score of 0 is not relevant
    assert recall_at(["x", "a", "b"], judged, 2) == 0.5
    assert recall_at(["b", "a"], judged, 100) == 1.0


def test_mrr_is_the_first_relevant_rank_within_the_cutoff():
    assert mrr_at(["x", "y", "a"], {"a": 1}, 10) == pytest.approx(1 / 3)
    assert mrr_at([f"x{i}" for i in range(10)] + ["a"], {"a": 1}, 10) == 0.0
    assert mrr_at(["z", "a"], {"z": 0, "a": 3}, 10) == 0.5


def test_mean_scores_averages_and_counts():
    rows = [{"mrr@10": 1.0}, {"mrr@10": 0.5}, {"mrr@10": 0.0}]
    assert mean_scores(rows) == {"queries": 3, "mrr@10": 0.5}
    assert mean_scores([])["queries"] == 0


# --- readers -------------------------------------------------------------------------

def test_readers_take_beir_files(beir):
    data = read_beir(beir["corpus"], beir["queries"], beir["qrels"])
    assert [d.id for d in data.corpus] == ["ferry", "fruit/7", "kiln"]
    assert data.corpus[1].title == ""
    assert [q.group for q in data.queries] == ["shared-words", "shared-words", "paraphrase", None]
    assert data.qrels == {"q1": {"ferry": 1}, "q2": {"fruit/7": 1, "ferry": 1}, "q3": {"kiln": 2}}
    assert [q.id for q in data.judged_queries()] == ["q1", "q2", "q3"]


@pytest.mark.parametrize(("line", "says"), [
    ('{"_id": "b", "text": "two"', "line 2: not JSON"),
    ('["b", "two"]', "line 2: a JSON object was expected"),
    ('{"title": "t", "text": "two"}', 'line 2: no "_id"'),
    ('{"_id": "b", "body": "two"}', 'line 2: no "text"'),
    ('{"_id": "a", "text": "again"}', "line 2: _id 'a' appears twice"),
])
def test_a_bad_corpus_line_is_named(tmp_path, line, says):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"_id": "a", "text": "one"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match=says) as caught:
        read_corpus(path)
    assert caught.value.code == "E710"


def test_a_bad_queries_line_is_named(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "q1", "text": "fine"}\n\n{"_id": "q2"}\n', encoding="utf-8")
    with pytest.raises(BeirFormatError, match='line 3: no "text"'):
        read_queries(path)
    path.write_text('{"_id": "q1", "text": "fine"}\n{"_id": "q2", "text": " "}\n', encoding="utf-8")
    with pytest.raises(BeirFormatError, match='line 2: the query "text" is empty'):
        read_queries(path)


def test_qrels_rows_and_the_header(tmp_path):
    path = tmp_path / "qrels.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n", encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1": (1, 2), "d2": (0, 3)}}
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\thigh\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match="line 3: expected query-id, corpus-id"):
        read_qrels(path)


def test_a_qrels_id_missing_from_the_corpus_or_queries_is_an_error(beir):
    beir["qrels"].write_text(QRELS + "q3\tnowhere\t1\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match="line 6: document 'nowhere' is not in"):
        read_beir(beir["corpus"], beir["queries"], beir["qrels"])
    beir["qrels"].write_text(QRELS + "q9\tkiln\t1\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match="line 6: query 'q9' is not in"):
        read_beir(beir["corpus"], beir["queries"], beir["qrels"])


# --- modes ---------------------------------------------------------------------------

def test_modes_parse_repeated_and_comma_lists():
    assert retrieval.parse_modes(["keyword", "Keyword,"]) == ("keyword",)
    assert retrieval.parse_modes([]) == ("keyword",)
    with pytest.raises(UnknownModeError, match="--mode semantic: unknown"):
        retrieval.parse_modes(["keyword,semantic"])


def test_every_search_mode_is_offered():
    assert retrieval.parse_modes(["vector,hybrid", "keyword"]) == ("vector", "hybrid", "keyword")


def test_the_ranking_drops_the_query_and_strangers_and_breaks_ties_by_id():
    results = [{"id": "x", "score": 3.0}, {"id": "y", "score": 2.0}, {"id": "z", "score": 1.0},
               {"id": "w", "score": 1.0}, {"id": "not-ours", "score": 0.5}]
    ids = {"x": "d1", "y": "q", "z": "d9", "w": "d2"}
    # the query's own id is dropped, as BEIR does; a tie is ordered by BEIR id
    assert retrieval.ranking(results, "q", ids) == ["d1", "d2", "d9"]


# --- end to end ----------------------------------------------------------------------

def _run(beir, *more):
    return CliRunner().invoke(app, [
        "eval", "retrieval", "--corpus", str(beir["corpus"]), "--queries", str(beir["queries"]),
        "--qrels", str(beir["qrels"]), "--skillset", str(beir["skillset"]), "--workers", "0",
        *map(str, more)])


def test_keyword_retrieval_end_to_end(beir, tmp_path):
    result = _run(beir, "--json", "--mode", "keyword", "--data", tmp_path / "work")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["corpus"]["documents"] == 3
    assert report["queries"] == {"path": str(beir["queries"]), "queries": 4, "scored": 3,
                                 "groups": {"paraphrase": 1, "shared-words": 2}}
    assert report["qrels"]["judgements"] == 4 and report["qrels"]["relevant"] == 4
    assert report["cutoffs"] == {"ndcg": 10, "recall": 100, "mrr": 10}
    assert report["pipeline"]["documents"]["indexed"] == 3
    keyword = report["modes"]["keyword"]
    # q1 finds its one document first; q2 finds one of its two first (nDCG 1/(1+1/log2 3));
    # q3 shares no word with its document
    q2 = round(1 / (1 + 1 / math.log2(3)), 4)
    assert keyword["per_query"] == {
        "q1": {"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0},
        "q2": {"ndcg@10": q2, "recall@100": 0.5, "mrr@10": 1.0},
        "q3": {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}}
    assert keyword["overall"] == {"queries": 3, "ndcg@10": round((1 + q2) / 3, 4),
                                  "recall@100": 0.5, "mrr@10": round(2 / 3, 4)}
    assert keyword["groups"]["paraphrase"] == {"queries": 1, "ndcg@10": 0.0,
                                               "recall@100": 0.0, "mrr@10": 0.0}
    assert keyword["groups"]["shared-words"]["mrr@10"] == 1.0
    assert (tmp_path / "work" / "index").is_dir()  # --data keeps the index


def test_the_table_names_modes_and_groups(beir):
    result = _run(beir)
    assert result.exit_code == 0, result.output
    assert "paraphrase" in result.stdout and "shared-words" in result.stdout
    assert "0.6667" in result.stdout  # overall MRR@10


def test_an_unknown_mode_is_one_line_before_indexing(beir, tmp_path):
    result = _run(beir, "--mode", "keyword,sparse", "--data", tmp_path / "work")
    assert result.exit_code == 2
    assert result.stderr.startswith("error E712:"), result.stderr
    assert not (tmp_path / "work").exists()


@pytest.mark.slow  # embeds the corpus with the real all-MiniLM-L6-v2
def test_vector_and_hybrid_modes_find_the_paraphrase(beir, tmp_path):
    result = CliRunner().invoke(app, [
        "eval", "retrieval", "--corpus", str(beir["corpus"]), "--queries",
        str(beir["queries"]), "--qrels", str(beir["qrels"]), "--workers", "0", "--json",
        "--mode", "keyword,vector,hybrid"])  # no --skillset: the built-in one embeds
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["pipeline"]["skillset"] == "default"
    modes = report["modes"]
    assert list(modes) == ["keyword", "vector", "hybrid"]
    assert modes["keyword"]["per_query"]["q3"]["mrr@10"] == 0.0  # no word in common
    assert modes["vector"]["per_query"]["q3"]["mrr@10"] > 0.0
    assert modes["hybrid"]["per_query"]["q3"]["mrr@10"] > 0.0
    assert modes["hybrid"]["per_query"]["q1"]["mrr@10"] == 1.0


def test_a_vector_mode_over_a_skillset_without_embeddings_says_so(beir, tmp_path):
    result = _run(beir, "--mode", "vector")
    assert result.exit_code == 2
    assert result.stderr.startswith("error E406:") and "embeddings" in result.stderr


def test_a_bad_file_is_one_line(beir):
    beir["qrels"].write_text("query-id\tcorpus-id\tscore\nq1 ferry\n", encoding="utf-8")
    result = _run(beir)
    assert result.exit_code == 2
    assert result.stderr.startswith("error E710:") and "line 2" in result.stderr, result.stderr


def test_the_development_set_reads():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "bench" / "retrieval"
    data = read_beir(folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels.tsv")
    judged = data.judged_queries()
    assert len(judged) == len(data.queries)  # every query has a relevant document
    assert {q.group for q in judged} == {"paraphrase", "shared-words"}
    assert all(1 <= len(data.qrels[q.id]) <= 2 for q in judged)
