from enrich.engine import Engine
from enrich.plan import build_plan
from enrich.skillset import Skillset
from tests.enrich.toy_skills import Upper


class DictTerms:
    def __init__(self):
        self.docs = {}

    def add(self, doc_id, namespace, terms):
        self.docs[(namespace, doc_id)] = set(terms)

    def df(self, namespace, terms):
        return {t: sum(t in v for (ns, _), v in self.docs.items() if ns == namespace) for t in terms}

    def documents(self, namespace):
        return sum(ns == namespace for ns, _ in self.docs)


def docs(*texts):
    return [{"uri": f"u{i}", "content": " ".join(pages),
             "pages": [{"number": n + 1, "text": t} for n, t in enumerate(pages)]}
            for i, pages in enumerate(texts)]


def engine(*skills):
    return Engine(build_plan(Skillset.from_dict({"skills": list(skills)})))


def test_a_skill_sees_the_context_items_of_the_whole_batch_at_once():
    Upper.calls.clear()
    batch = docs(["a", "b"], ["c"], ["d", "e", "f"])
    engine("toy-upper", "toy-count").run_documents(batch)
    assert Upper.calls == [6]
    assert [p["upper"] for p in batch[2]["pages"]] == ["D", "E", "F"]
    assert [d["count"] for d in batch] == [2, 1, 3]


def test_outputs_carry_provenance():
    batch = docs(["a"])
    engine("toy-upper").run_documents(batch)
    assert batch[0]["provenance"]["/document/pages/*/upper"] == {
        "skill": "toy-upper", "version": "1", "model": None}


def test_a_failing_record_marks_only_its_document():
    batch = docs(["fine"], ["bad page"], ["fine too"])
    engine("toy-picky").run_documents(batch)
    assert batch[0]["ok"] is True and batch[2]["ok"] is True
    assert "ok" not in batch[1]
    assert batch[1]["skill_errors"] == [{"skill": "toy-picky", "path": "/document",
                                         "message": "bad text"}]


def test_a_crashing_batch_is_retried_record_by_record():
    batch = docs(["fine"], ["boom here"], ["fine too"])
    engine("toy-picky").run_documents(batch)
    assert batch[0]["ok"] is True and batch[2]["ok"] is True
    assert "RuntimeError: boom in batch" in batch[1]["skill_errors"][0]["message"]


def test_an_unavailable_skill_is_disabled_with_its_dependents():
    e = engine("toy-missing", "toy-after-missing", "toy-upper")
    batch = docs(["a"])
    e.run_documents(batch)
    status = e.status()
    assert "enrich models pull" in status["toy-missing"]["disabled"]
    assert "toy-missing" in status["toy-after-missing"]["disabled"]
    assert status["toy-upper"]["disabled"] is None
    assert batch[0]["pages"][0]["upper"] == "A" and "thing" not in batch[0]


def test_corpus_stage_gets_doc_ids_and_term_stats():
    e = engine("toy-corpus")
    batch = docs(["x y"], ["x z"])
    e.run_corpus(batch, ["d1", "d2"], DictTerms())
    assert batch[0]["df"] == {"x": 2, "y": 1}
    assert batch[1]["df"] == {"x": 2, "z": 1}


def test_a_skill_with_nothing_to_do_is_not_warmed_up():
    e = engine({"skill": "toy-missing", "context": "/document/images/*",
                "inputs": {"text": "/document/images/*/id"}})
    e.run_documents(docs(["a page, no images"]))
    assert e.status()["toy-missing"]["disabled"] is None  # its model was never loaded
    with_image = docs(["a"])
    with_image[0]["images"] = [{"id": "p1-i0"}]
    e.run_documents(with_image)
    assert "toy-model" in e.status()["toy-missing"]["disabled"]
