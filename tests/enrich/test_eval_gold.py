"""Gold readers of `enrich eval`: CoNLL, DocRED, spaCy JSONL; span mapping; bad input."""

from __future__ import annotations

import json

import pytest

from enrich.eval import GoldFormatError, guess_format, read_gold
from enrich.eval.gold import GoldDoc, clean_text, from_tokens
from enrich.eval.readers import bio_spans

CONLL = ("Nora\tB-person\nPell\tI-person\nleft\tO\nOslo\tB-location\n\n"
         "Quill\tB-product\nrocks\tO\n")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _surface(doc: GoldDoc, start: int, end: int) -> str:
    return doc.text[doc.tokens[start][0]:doc.tokens[end - 1][1]]


def test_conll_sentences_become_documents_with_token_spans(tmp_path):
    fmt, docs = read_gold(_write(tmp_path, "g.conll", CONLL))
    assert fmt == "conll" and len(docs) == 2
    assert docs[0].text == "Nora Pell left Oslo" and docs[0].name == "line 1"
    assert [(m.start, m.end, m.type) for m in docs[0].mentions] == [(0, 2, "person"),
                                                                  (3, 4, "location")]
    assert _surface(docs[0], 0, 2) == "Nora Pell"
    assert docs[1].name == "line 6" and docs[1].mentions[0].type == "product"


def test_conll_groups_sentences_and_follows_docstart(tmp_path):
    _, grouped = read_gold(_write(tmp_path, "g.conll", CONLL), sentences_per_doc=2)
    assert len(grouped) == 1 and grouped[0].text == "Nora Pell left Oslo\nQuill rocks"
    assert [(m.start, m.end) for m in grouped[0].mentions] == [(0, 2), (3, 4), (4, 5)]
    four = ("-DOCSTART- -X- -X- O\n\nAmy NNP B-NP B-PER\nran VBD B-VP O\n\n"
            "Bo NNP B-NP B-PER\n\n-DOCSTART- -X- -X- O\n\nCy NNP B-NP B-PER\n")
    _, docs = read_gold(_write(tmp_path, "four.conll", four))
    assert [d.text for d in docs] == ["Amy ran\nBo", "Cy"]
    assert [len(d.mentions) for d in docs] == [2, 1]


@pytest.mark.parametrize(("tags", "spans"), [
    (["B-A", "I-A", "O", "B-B"], [(0, 2, "A"), (3, 4, "B")]),
    (["I-A", "I-A", "B-A", "I-B"], [(0, 2, "A"), (2, 3, "A"), (3, 4, "B")]),  # IOB1
    (["S-A", "B-B", "I-B", "E-B", "O"], [(0, 1, "A"), (1, 4, "B")]),  # BIOES
    (["O", "I-A"], [(1, 2, "A")]),
])
def test_bio_spans(tags, spans):
    assert bio_spans(tags) == spans


@pytest.mark.parametrize(("text", "line", "words"), [
    ("Nora\tB-person\nPell\n", 2, "a token without a tag"),
    ("Nora\tB-person\nPell\tI-person\tx\n", 2, "3 columns where the first line has 2"),
    ("Nora\tB-person\n\nPell\tPERSON\n", 3, "is not a BIO tag"),
    ("Nora\tB-person\n\tO\n", 2, "an empty token"),
    ('[{"title": "x"}]\n', 1, "looks like JSON"),
])
def test_bad_conll_names_the_line(tmp_path, text, line, words):
    path = _write(tmp_path, "bad.conll", text)
    with pytest.raises(GoldFormatError) as caught:
        read_gold(path, "conll")
    assert f"line {line}:" in str(caught.value) and words in str(caught.value)
    assert caught.value.code == "E701" and str(path) in str(caught.value)


DOCRED = [{"title": "Teller Lake", "sents": [["Ivo", "Teller", "founded", "Lakeworks", "."],
                                             ["Teller", "lives", "in", "Brandvik", "."]],
           "vertexSet": [[{"name": "Ivo Teller", "pos": [0, 2], "sent_id": 0, "type": "PER"},
                          {"name": "Teller", "pos": [0, 1], "sent_id": 1, "type": "PER"}],
                         [{"name": "Lakeworks", "pos": [3, 4], "sent_id": 0, "type": "ORG"}],
                         [{"name": "Brandvik", "pos": [3, 4], "sent_id": 1, "type": "LOC"}]],
           "labels": [{"h": 0, "t": 1, "r": "P112"}, {"h": 1, "t": 0, "r": "P112"}]}]


def test_docred_clusters_and_relations(tmp_path):
    fmt, docs = read_gold(_write(tmp_path, "g.json", json.dumps(DOCRED, indent=1)))
    doc = docs[0]
    assert fmt == "docred" and doc.name == "Teller Lake"
    assert doc.text == "Ivo Teller founded Lakeworks .\nTeller lives in Brandvik ."
    assert [(m.start, m.end, m.type, m.cluster) for m in doc.mentions] == [
        (0, 2, "PER", 0), (5, 6, "PER", 0), (3, 4, "ORG", 1), (8, 9, "LOC", 2)]
    assert _surface(doc, 5, 6) == "Teller" and _surface(doc, 8, 9) == "Brandvik"
    assert doc.relations == [(0, 1)]  # both directions, one pair


def test_docred_as_json_lines(tmp_path):
    path = _write(tmp_path, "g.jsonl", json.dumps(DOCRED[0]) + "\n" + json.dumps(DOCRED[0]))
    fmt, docs = read_gold(path)
    assert fmt == "docred" and len(docs) == 2


def test_bad_docred_names_the_line_and_the_entry(tmp_path):
    bad = json.loads(json.dumps(DOCRED))
    bad[0]["vertexSet"][2][0]["pos"] = [3, 9]
    text = "[\n" + json.dumps(DOCRED[0]) + ",\n" + json.dumps(bad[0]) + "\n]"
    with pytest.raises(GoldFormatError) as caught:
        read_gold(_write(tmp_path, "g.json", text))
    message = str(caught.value)
    assert "line 3: document 2 ('Teller Lake'): vertexSet[2][0]: pos [3, 9]" in message
    assert "sentence 1 (5 tokens)" in message


@pytest.mark.parametrize(("text", "words"), [
    ('[{"sents": [["a"]], "vertexSet": []},\n {"sents": [["a"]] "vertexSet": []}]',
     "line 2, column 20: not valid JSON"),
    ('[{"sents": [["a"]], "vertexSet": [[{"pos": [0, 1], "sent_id": 3, "type": "X"}]]}]',
     "sent_id 3 is not a sentence"),
    ('[{"sents": [["a", "b"]], "vertexSet": [[{"pos": [0, 1], "sent_id": 0, "type": "X"}]],'
     ' "labels": [{"h": 0, "t": 4}]}]', "labels[0] needs 'h' and 't'"),
    ('[{"text": "no sentences"}]', "with 'sents' and 'vertexSet'"),
])
def test_bad_docred(tmp_path, text, words):
    with pytest.raises(GoldFormatError) as caught:
        read_gold(_write(tmp_path, "g.json", text), "docred")
    assert words in str(caught.value)


def test_spacy_jsonl_character_spans(tmp_path):
    lines = [{"text": "Mila Voss met Ferro Ltd.", "spans": [{"start": 0, "end": 9, "label": "PERSON"}]},
             {"text": "In Kastel.", "entities": [[3, 9, "GPE"]]}]
    fmt, docs = read_gold(_write(tmp_path, "g.jsonl", "\n".join(map(json.dumps, lines))))
    assert fmt == "spacy-jsonl" and docs[0].tokens is None
    assert [(m.start, m.end, m.type) for d in docs for m in d.mentions] == [
        (0, 9, "PERSON"), (3, 9, "GPE")]
    assert docs[1].name == "line 2" and docs[0].units(0, 9) == (0, 9)


@pytest.mark.parametrize(("line", "words"), [
    ('{"text": "abc", "spans": [{"start": 1, "end": 7, "label": "X"}]}', "span 1"),
    ('{"text": "abc", "spans": {"sc": []}}', "'spans' must be a list"),
    ('{"words": ["abc"]}', "a 'text' string"),
    ("not json", "not a JSON object"),
])
def test_bad_spacy_jsonl_names_the_line(tmp_path, line, words):
    good = json.dumps({"text": "ok", "spans": []})
    with pytest.raises(GoldFormatError) as caught:
        read_gold(_write(tmp_path, "g.jsonl", good + "\n\n" + line), "spacy-jsonl")
    assert "line 3:" in str(caught.value) and words in str(caught.value)


def test_formats_are_guessed_from_suffix_and_content(tmp_path):
    assert guess_format(_write(tmp_path, "a.conll", CONLL)) == "conll"
    assert guess_format(_write(tmp_path, "a.data", CONLL)) == "conll"
    assert guess_format(_write(tmp_path, "a.data", json.dumps(DOCRED))) == "docred"
    assert guess_format(_write(tmp_path, "b.data", '{"text": "x", "spans": []}')) == "spacy-jsonl"
    assert guess_format(_write(tmp_path, "c.jsonl", json.dumps(DOCRED[0]))) == "docred"


def test_missing_file_empty_file_and_unknown_format(tmp_path):
    with pytest.raises(GoldFormatError, match="no gold file"):
        read_gold(tmp_path / "none.conll")
    with pytest.raises(GoldFormatError, match="no documents"):
        read_gold(_write(tmp_path, "e.conll", "\n\n"))
    with pytest.raises(GoldFormatError, match="unknown gold format 'xml'"):
        read_gold(_write(tmp_path, "x.conll", CONLL), "xml")
    (tmp_path / "latin.conll").write_bytes(b"Nora\tO\n\xe9t\tO\n")
    with pytest.raises(GoldFormatError, match="line 2: not UTF-8"):
        read_gold(tmp_path / "latin.conll")


def test_character_spans_map_to_the_tokens_they_overlap():
    text, offsets = from_tokens("", [["#Vela", "rocks", "Kiruna"], ["ok"]])
    doc = GoldDoc("d", text, offsets)
    assert text == "#Vela rocks Kiruna\nok"
    assert doc.units(0, 5) == (0, 1) and doc.aligned(0, 5)
    assert doc.units(1, 5) == (0, 1) and not doc.aligned(1, 5)  # inside "#Vela"
    assert doc.units(6, 18) == (1, 3) and doc.units(12, 21) == (2, 4)
    assert doc.units(5, 6) is None  # only the space between tokens


def test_tokens_and_texts_keep_their_length():
    text, offsets = from_tokens("", [["a\u00a0b", "c\r"], ["\ufeffd"]])
    assert text == "a b c \n d" and offsets == [(0, 3), (4, 6), (7, 9)]
    assert clean_text("x\r\ny\x00z\u200b") == "x \ny z "


def test_texts_are_rewritten_only_when_changed_and_stale_ones_go(tmp_path):
    from enrich.eval.runner import write_texts

    docs = ["Ada ran", "Bo sat"]
    first = write_texts(docs, tmp_path)
    assert [p.read_text() for p in first] == ["Ada ran", "Bo sat"]
    stamp = first[0].stat().st_mtime_ns
    again = write_texts(docs[:1], tmp_path)
    assert again == first[:1] and again[0].stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d000001.txt"]
