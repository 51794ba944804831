"""NounPhraseSkill (``phrases``) with ``keyphrases`` on invented texts: noun phrases
rather than fragments, entities never cut, boilerplate never a phrase, and the same
phrases whatever the batch size."""

import pytest

pytest.importorskip("spacy")

from skills.base import SkillUnavailable  # noqa: E402
from skills.keyphrases import KeyPhraseSkill  # noqa: E402
from skills.phrases import NounPhraseSkill, boilerplate_spans  # noqa: E402

FOOTER = "Quarterly orchard bulletin printed for the valley cooperative. Sheet {n}"

ORCHARD = [
    "Harvest report\nThe apple harvest in the northern valley reached nine hundred crates. "
    "Marta Oyelaran counted the crates twice before the cold storage shed closed.\n"
    + FOOTER.format(n=1),
    "Pest control\nThe codling moth returned to the apple harvest area. Pheromone traps "
    "along the northern valley caught fewer moths than last year.\n" + FOOTER.format(n=2),
    "Equipment\nA new hydraulic cider press arrived from Brennholt Machines in May. "
    "The cider press doubles the juice yield of the cooperative.\n" + FOOTER.format(n=3),
]


def entity(page, text, type_):
    start = page.index(text)
    return {"text": text, "type": type_, "name": text, "key": f"{type_}:{text.lower()}",
            "start": start, "end": start + len(text), "confidence": 0.9}


def skill(**params):
    found = NounPhraseSkill(**params)
    try:
        found.warm_up()
    except SkillUnavailable as exc:  # no spaCy model here
        pytest.skip(str(exc))
    return found


def phrases(pages, entities=None, **params):
    return skill(**params).run([{"pages": pages, "entities": entities}])[0]["phrases"]


def test_candidates_are_noun_phrases_not_fragments():
    keys = [c["key"] for c in phrases(ORCHARD)]
    assert "apple harvest" in keys and "cider press" in keys
    assert "hydraulic cider press" in keys or "new hydraulic cider press" in keys
    for key in keys:  # no verb or adverb at either edge: "counted the crates twice" is not one
        assert key.split()[-1] not in {"counted", "twice", "closed", "returned", "doubles"}
    assert not any(k.startswith(("the ", "a ")) for k in keys)
    first = phrases(ORCHARD)[0]
    assert set(first) == {"text", "key", "count", "score"}
    scores = [c["score"] for c in phrases(ORCHARD)]
    assert scores == sorted(scores, reverse=True)


def test_footer_repeated_on_pages_is_never_a_phrase():
    keys = " | ".join(c["key"] for c in phrases(ORCHARD, max_candidates=500))
    assert "orchard bulletin" not in keys and "valley cooperative" not in keys
    spans = boilerplate_spans(ORCHARD)
    assert all(ORCHARD[i][s:e].startswith("Quarterly") for i in range(3) for s, e in spans[i])
    # on one page alone the same line is ordinary text
    alone = [c["key"] for c in phrases([ORCHARD[0]], max_candidates=500)]
    assert any("orchard bulletin" in k for k in alone)


def test_column_labels_of_a_record_are_never_phrases():
    rows = ["grower: Marta Oyelaran\nvariety: winter russet apple\nremark: late frost damage",
            "grower: Ilse Varga\nvariety: early blush pear\nremark: strong hail netting"]
    for row in rows:
        keys = [c["key"] for c in phrases([row], max_candidates=500)]
        assert not {"grower", "variety", "remark"} & set(keys)
        assert any("frost damage" in k or "hail netting" in k for k in keys)
    prose = "The grower said it plainly. Note: the frost came early this year in the valley."
    assert boilerplate_spans([prose]) == [[]]  # one label-like line in prose is kept


def test_a_phrase_never_cuts_an_entity():
    page = ("Brennholt Machines delivered the press. The Brennholt Machines press team "
            "trained Marta Oyelaran and the cooperative staff in cider pressing.")
    ents = [[entity(page, "Brennholt Machines", "ORG"), entity(page, "Marta Oyelaran", "PERSON")]]
    ents[0].append({**entity(page, "Marta Oyelaran", "PERSON"),
                    "start": page.rindex("Brennholt Machines"),
                    "end": page.rindex("Brennholt Machines") + len("Brennholt Machines"),
                    "text": "Brennholt Machines", "type": "ORG"})
    keys = [c["key"] for c in phrases([page], ents, max_candidates=500)]
    assert "brennholt machines" in keys and "marta oyelaran" in keys
    for key in keys:
        for name in ("brennholt machines", "marta oyelaran"):
            for part in name.split():
                if part in key.split():
                    assert name in key, (key, name)  # a part of a name only with the name
    # without the entity the tagger alone may split or join the name: the entity decides
    numeric = "Nine hundred crates of apples left the valley cooperative."
    ents = [[entity(numeric, "Nine hundred", "CARDINAL")]]
    keys = [c["key"] for c in phrases([numeric], ents, max_candidates=500)]
    assert not any("hundred" in k for k in keys)



@pytest.mark.parametrize("inside", [3, 10])  # the limit falls in the first or second word
def test_the_tagging_limit_never_cuts_a_word_or_a_name(inside):
    lead = "The cooperative staff pressed cider in the valley. " * 3
    page = lead + "Brennholt Machines delivered a new hydraulic press to the orchard."
    ents = [[entity(page, "Brennholt Machines", "ORG")]]
    limit = len(lead) + inside
    keys = [c["key"] for c in phrases([page], ents, max_candidates=500, max_chars=limit)]
    assert "brennholt machines" not in keys  # past the limit: not tagged
    assert not any(part in key.split() for key in keys
                   for part in ("brennholt", "machines", "bre", "brennholt machines"))

def test_two_names_side_by_side_are_two_phrases():
    page = "Marta Oyelaran Brennholt Machines visited the orchard."
    ents = [[entity(page, "Marta Oyelaran", "PERSON"), entity(page, "Brennholt Machines", "ORG")]]
    keys = [c["key"] for c in phrases([page], ents, max_candidates=500)]
    assert "marta oyelaran brennholt machines" not in keys
    assert {"marta oyelaran", "brennholt machines"} <= set(keys)


def test_hyphenated_words_stay_whole_and_empty_input():
    keys = [c["key"] for c in phrases(["The four-axis arm and a two-stage pump were tested."],
                                      max_candidates=500)]
    assert "four-axis arm" in keys and "two-stage pump" in keys
    assert "axis arm" not in keys
    assert skill().run([{"pages": [], "entities": None}, {"pages": [""]}]) == \
        [{"phrases": []}, {"phrases": []}]


class MemoryStats:
    def __init__(self):
        self.terms = {}

    def add(self, doc_id, namespace, terms):
        self.terms[(namespace, doc_id)] = set(terms)

    def df(self, namespace, terms):
        return {t: sum(t in v for (ns, _), v in self.terms.items() if ns == namespace)
                for t in terms}

    def documents(self, namespace):
        return sum(bool(v) for (ns, _), v in self.terms.items() if ns == namespace)


def corpus_run(docs, batch_size):
    """phrases then keyphrases over ``docs`` in batches, as the indexer runs them."""
    nouns, keys, stats, out = skill(), KeyPhraseSkill(), MemoryStats(), []
    for start in range(0, len(docs), batch_size):
        batch = docs[start:start + batch_size]
        found = nouns.run([{"pages": pages, "entities": None} for pages in batch])
        records = [{"_doc_id": f"d{start + i}", "candidates": r["phrases"]}
                   for i, r in enumerate(found)]
        out.extend(keys.run(records, corpus=stats))
    return out


def test_key_phrases_do_not_depend_on_batch_size():
    topics = ["cider press", "apple harvest", "codling moth", "cold storage", "frost damage",
              "hail netting", "pear orchard", "juice yield", "pruning shears"]
    docs = []
    for i in range(15):
        a, b = topics[i % len(topics)], topics[(i * 4 + 1) % len(topics)]
        docs.append([f"Notes on the {a}\nThe {a} and the {b} were discussed by the board.\n"
                     + FOOTER.format(n=1),
                     f"The {b} needs a new plan.\n" + FOOTER.format(n=2)])
    one, seven = corpus_run(docs, 1), corpus_run(docs, 7)
    assert one == seven
    assert all(r["keyphrases"] for r in one)
    assert not any("bulletin" in k["key"] for r in one for k in r["keyphrases"])
