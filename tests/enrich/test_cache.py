"""The enrichment cache: what hits, what re-runs, and that cached trees equal fresh ones."""

import copy
import shutil
import sqlite3
import time

import pytest

from enrich.cache import FILE_NAME, EnrichmentCache
from enrich.cache_keys import crack_key, record_keys
from enrich.engine import Engine
from enrich.registry import register
from enrich.plan import build_plan
from enrich.skillset import Skillset
from enrich.worker import Worker, WorkerConfig
from indexers.sources import open_source
from skills.base import RunContext, Skill
from enrich.testing import factories
from tests.enrich.test_engine import DictTerms, docs
from tests.enrich.toy_skills import Corpus, Picky

# ------------------------------------------------------------------ toy skills


class Affix(Skill):
    """Appends ``suffix`` to each page's text; counts warm-ups. Runs on a device, which
    (a declared runtime parameter) does not change what it outputs."""

    name = "cache-affix"
    context = "/document/pages/*"
    inputs = {"text": "/document/pages/*/text"}
    outputs = ("affixed",)
    uses_device = True
    runtime_params = frozenset({"device"})
    warm_ups = 0

    def __init__(self, suffix: str = "!", **params):
        super().__init__(suffix=suffix, **params)

    def warm_up(self, context=RunContext()):
        Affix.warm_ups += 1

    @property
    def model(self):
        return "affix-model-1"

    def run(self, records, **kwargs):
        return [{"affixed": r["text"] + self.params["suffix"]} for r in records]


class Length(Skill):
    """Lengths of the affixed pages of a document (reads cache-affix)."""

    name = "cache-length"
    inputs = {"pages": "/document/pages/*/affixed"}
    outputs = ("lengths",)

    def run(self, records, **kwargs):
        return [{"lengths": [len(p) for p in r["pages"]]} for r in records]


class Words(Skill):
    """Word count of the content (independent of cache-affix)."""

    name = "cache-words"
    inputs = {"text": "/document/content"}
    outputs = ("words",)

    def run(self, records, **kwargs):
        return [{"words": len(r["text"].split())} for r in records]


class Clock(Skill):
    """Opts out of the cache: its output is not a function of its inputs."""

    name = "cache-clock"
    cacheable = False
    inputs = {"text": "/document/content"}
    outputs = ("at",)

    def run(self, records, **kwargs):
        return [{"at": time.monotonic()} for _ in records]


@pytest.fixture(autouse=True, scope="module")
def cache_skills():
    for cls in (Affix, Length, Words, Clock):
        register(cls)


class Runs(dict):
    """``runs[name]``: how many records the skill's ``run`` saw, summed over calls."""

    def __init__(self, monkeypatch):
        super().__init__()
        self.monkeypatch = monkeypatch

    def spy(self, cls):
        original, runs = cls.run, self

        def run(skill, records, **kwargs):
            runs[cls.name] = runs.get(cls.name, 0) + len(records)
            return original(skill, records, **kwargs)
        self.monkeypatch.setattr(cls, "run", run)


@pytest.fixture
def runs(monkeypatch):
    spies = Runs(monkeypatch)
    for cls in (Affix, Length, Words, Clock, Picky, Corpus):
        spies.spy(cls)
    return spies


def counts(runs):
    return dict(runs)


SKILLS = ["cache-affix", "cache-length", "cache-words"]


def engine(cache, *skills, params=None):
    specs = [{"skill": s, "params": (params or {}).get(s, {})} for s in skills or SKILLS]
    return Engine(build_plan(Skillset.from_dict({"skills": specs})), cache=cache)


@pytest.fixture
def cache(tmp_path):
    with EnrichmentCache.open(tmp_path / "cache") as opened:
        yield opened


def batch():
    return docs(["one", "two"], ["three"])


# ------------------------------------------------------------------ the engine


def test_a_second_run_takes_every_output_from_the_cache_and_writes_the_same_tree(cache, runs):
    cold = batch()
    first = engine(cache)
    first.run_documents(cold)
    assert counts(runs) == {"cache-affix": 3, "cache-length": 2, "cache-words": 2}
    assert first.take_counts()["cache-affix"] == {"ran": 3, "cached": 0}
    runs.clear()
    warm = batch()
    again = engine(cache)  # a new process: nothing warm
    again.run_documents(warm)
    assert counts(runs) == {}
    assert warm == cold  # outputs and provenance alike
    assert warm[0]["provenance"]["/document/pages/*/affixed"]["model"] == "affix-model-1"
    assert again.take_counts()["cache-length"] == {"ran": 0, "cached": 2}
    assert again.status()["cache-affix"]["model"] == "affix-model-1"


def test_a_skill_whose_records_all_hit_is_not_warmed_up(cache):
    engine(cache).run_documents(batch())
    Affix.warm_ups = 0
    engine(cache).run_documents(batch())
    assert Affix.warm_ups == 0
    engine(cache).run_documents(docs(["new page"]))  # a miss: now it loads
    assert Affix.warm_ups == 1


def test_a_new_version_reruns_that_skill_and_not_those_whose_inputs_are_unchanged(
        cache, runs, monkeypatch):
    engine(cache).run_documents(batch())
    runs.clear()
    monkeypatch.setattr(Affix, "version", "2")
    again = batch()
    engine(cache).run_documents(again)
    # Its outputs came out the same, so the skill reading them finds its inputs known.
    assert counts(runs) == {"cache-affix": 3}
    assert again[0]["provenance"]["/document/pages/*/affixed"]["version"] == "2"


def test_a_new_parameter_reruns_that_skill_and_the_skills_that_read_it(cache, runs):
    engine(cache).run_documents(batch())
    runs.clear()
    again = batch()
    engine(cache, params={"cache-affix": {"suffix": "?"}}).run_documents(again)
    assert counts(runs) == {"cache-affix": 3, "cache-length": 2}  # not cache-words
    assert again[0]["pages"][0]["affixed"] == "one?"


def test_runtime_params_are_not_part_of_the_key_other_params_are(cache, runs):
    engine(cache).run_documents(batch())
    runs.clear()
    engine(cache, params={"cache-affix": {"device": "cuda"}}).run_documents(batch())
    assert counts(runs) == {}  # cache-affix declares device a runtime parameter
    engine(cache, params={"cache-words": {"device": "cuda"}}).run_documents(batch())
    assert counts(runs) == {"cache-words": 2}  # cache-words does not


def test_a_new_model_reruns_that_skill(cache, runs, monkeypatch):
    engine(cache).run_documents(batch())
    runs.clear()
    monkeypatch.setattr(Affix, "model", property(lambda self: "affix-model-2"))
    again = batch()
    engine(cache).run_documents(again)
    assert counts(runs) == {"cache-affix": 3}
    assert again[0]["provenance"]["/document/pages/*/affixed"]["model"] == "affix-model-2"


def test_a_model_file_that_changes_reruns_the_skill(cache, runs, tmp_path):
    dictionary = tmp_path / "terms.csv"
    dictionary.write_text("a\n")
    params = {"cache-affix": {"dictionary": str(dictionary)}}
    engine(cache, params=params).run_documents(batch())
    runs.clear()
    engine(cache, params=params).run_documents(batch())
    assert counts(runs) == {}
    dictionary.write_text("a\nb\n")
    engine(cache, params=params).run_documents(batch())
    assert counts(runs) == {"cache-affix": 3}


def test_skill_errors_are_not_cached(cache, runs):
    engine(cache, "toy-picky").run_documents(docs(["fine"], ["bad page"]))
    assert runs["toy-picky"] == 2
    runs.clear()
    again = docs(["fine"], ["bad page"])
    engine(cache, "toy-picky").run_documents(again)
    assert runs["toy-picky"] == 1  # only the failed record runs again
    assert again[0]["ok"] is True and again[1]["skill_errors"][0]["message"] == "bad text"


def test_corpus_skills_and_skills_that_opt_out_are_not_cached(cache, runs):
    for _ in range(2):
        e = engine(cache, "toy-corpus", "cache-clock")
        e.run_corpus(batch(), ["d1", "d2"], DictTerms())
        e.run_documents(batch())
    assert runs["toy-corpus"] == 4 and runs["cache-clock"] == 4
    assert cache.stats()["skills"] == {}


def test_identical_inputs_in_a_batch_run_once(cache, runs):
    same = docs(["logo", "logo", "logo"], ["logo"])
    engine(cache, "cache-affix").run_documents(same)
    assert runs["cache-affix"] == 1
    assert [p["affixed"] for d in same for p in d["pages"]] == ["logo!"] * 4
    same[0]["pages"][0]["affixed"] += "x"  # copies, not one shared object
    assert same[0]["pages"][1]["affixed"] == "logo!"


def test_forget_skill_reruns_only_that_skill(cache, runs):
    engine(cache).run_documents(batch())
    assert cache.forget_skill("cache-affix") == 3
    runs.clear()
    engine(cache).run_documents(batch())
    assert counts(runs) == {"cache-affix": 3}


def test_clear_and_prune(cache, runs):
    engine(cache).run_documents(batch())
    stats = cache.stats()
    assert stats["entries"] == 7 and stats["skills"]["cache-affix"]["entries"] == 3
    assert cache.prune(max_bytes=stats["bytes"]) == 0
    assert cache.prune(max_bytes=0) == 7
    engine(cache).run_documents(batch())
    assert cache.prune(older_than=3600) == 0
    assert cache.clear() == 7
    runs.clear()
    engine(cache).run_documents(batch())
    assert counts(runs) == {"cache-affix": 3, "cache-length": 2, "cache-words": 2}


def test_an_unreadable_cache_runs_the_skills(tmp_path, runs):
    with EnrichmentCache.open(tmp_path / "cache") as cache:
        engine(cache).run_documents(batch())
        cache._db.execute("DROP TABLE payloads")  # as if the file were damaged
        runs.clear()
        out = batch()
        engine(cache).run_documents(out)
    assert counts(runs) == {"cache-affix": 3, "cache-length": 2, "cache-words": 2}
    assert out[1]["lengths"] == [6]


def test_keys_follow_values_not_objects_or_key_order():
    image = b"\x89PNG" + bytes(5000)
    a = {"image": image, "node": {"id": "p1", "page": 1}, "texts": ["x", "y"]}
    b = {"texts": ["x", "y"], "node": {"page": 1, "id": "p1"}, "image": bytes(bytearray(image))}
    c = {**a, "image": image[:-1] + b"\x01"}
    d = {**a, "texts": ["x", "y", None]}
    keys = record_keys("identity", [a, b, c, d, {"odd": object()}], {})
    assert keys[0] == keys[1] and len({keys[0], keys[2], keys[3]}) == 3
    assert keys[4] is None  # not hashable: runs, uncached
    assert record_keys("other identity", [a], {}) != keys[:1]


# ------------------------------------------------------------------ the worker


def process(folder, cache_dir, skills=("cache-affix", "cache-words")):
    skillset = Skillset.from_dict({"skills": list(skills)})
    config = WorkerConfig(source_uri=str(folder), cache_dir=str(cache_dir))
    worker = Worker(skillset, config)
    items = list(open_source(str(folder)).list())
    result = worker.process([(item, None) for item in items])
    worker.cache.close()
    return {r.item.name: r for r in result.items}, result.skills


@pytest.fixture
def cracks(monkeypatch):
    import indexers.crackers
    seen = []
    original = indexers.crackers.crack

    def crack(blob):
        seen.append(blob.name)
        return original(blob)
    monkeypatch.setattr(indexers.crackers, "crack", crack)
    return seen


def test_known_bytes_are_not_cracked_again_and_keep_their_own_uri(tmp_path, cracks, runs):
    folder = tmp_path / "docs"
    folder.mkdir()
    factories.text_pdf(folder / "a.pdf", ["Alpha page one.", "Alpha page two."])
    factories.csv_file(folder / "rows.csv", [("name", "team"), ("Ann", "Reds"), ("Bo", "Blues")])
    cold, skills = process(folder, tmp_path / "cache")
    assert sorted(cracks) == ["a.pdf", "rows.csv"]
    assert skills["cache-affix"]["ran"] == 4
    cracks.clear()
    runs.clear()
    moved = tmp_path / "moved"
    shutil.copytree(folder, moved)  # new URIs and times, same bytes
    warm, skills = process(moved, tmp_path / "cache")
    assert cracks == [] and counts(runs) == {}
    assert skills["cache-affix"] == {**skills["cache-affix"], "ran": 0, "cached": 4}
    rows = warm["rows.csv"].documents
    assert [d["uri"] for d in rows] == [(moved / "rows.csv").as_uri() + f"#row={n}" for n in (1, 2)]
    assert [d["metadata"]["origin"] for d in rows] == [(moved / "rows.csv").as_uri()] * 2
    pdf = warm["a.pdf"].documents[0]
    assert pdf["uri"] == (moved / "a.pdf").as_uri()
    expected = copy.deepcopy(cold["a.pdf"].documents[0])
    expected["uri"], expected["metadata"]["modified"] = pdf["uri"], pdf["metadata"]["modified"]
    assert pdf == expected


def test_a_worker_without_a_cache_folder_has_no_cache(tmp_path):
    skillset = Skillset.from_dict({"skills": ["cache-words"]})
    worker = Worker(skillset, WorkerConfig(source_uri=str(tmp_path)))
    assert worker.cache is None and worker.engine.cache is None


def test_the_crack_key_depends_on_bytes_name_size_and_content_type():
    sha = "ab" * 32
    keys = {crack_key(sha, "a.txt", 5), crack_key("cd" * 32, "a.txt", 5),
            crack_key(sha, "a.csv", 5), crack_key(sha, "a.txt", 6),
            crack_key(sha, "a.txt", 5, "text/csv")}
    assert len(keys) == 5


# ------------------------------------------------------------------ end to end

MEMOS = ["MEMORANDUM FOR THE RECORD\nMeeting in Dallas with John Smith",
         "MINUTES\nJane Doe flew to Chicago on Monday",
         "NOTICE\nThe office in Boston closes early"]


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    for n, memo in enumerate(MEMOS):
        factories.scanned_pdf(folder / f"memo{n}.pdf", memo)
    factories.text_image(folder / "board.png", "SCOREBOARD\nLAKERS 112")
    (folder / "notes.txt").write_text("Plain notes about the Boston game with Maria Garcia.")
    return folder


def image_skillset(blip_dir):
    return {"skills": [
        {"skill": "ocr", "params": {"engine": "rapidocr"}},
        {"skill": "caption", "params": {"model": str(blip_dir)}},
        "merge", "join",
        {"skill": "entities", "inputs": {"text": "/document/pages/*/merged_text"}}],
        "entities": ["/document/pages/*/entities"]}


@pytest.fixture
def image_runs(runs, monkeypatch):
    from skills.caption import CaptionSkill
    from skills.entities import EntitySkill
    from skills.merge import JoinSkill, MergeSkill
    from skills.ocr import OcrSkill
    for cls in (OcrSkill, CaptionSkill, MergeSkill, JoinSkill, EntitySkill):
        runs.spy(cls)
    runs.warm_ups = []
    original = CaptionSkill.warm_up

    def warm_up(self, context=RunContext()):
        runs.warm_ups.append("caption")
        return original(self, context)
    monkeypatch.setattr(CaptionSkill, "warm_up", warm_up)
    return runs


def stored(data, sql):
    with sqlite3.connect(data / "enrich.sqlite") as db:
        return db.execute(sql).fetchall()


MENTIONS = "SELECT d.uri, m.page, m.start, m.text, m.entity_key, m.model FROM mentions m " \
           "JOIN documents d ON d.id = m.doc_id ORDER BY 1, 2, 3, 4"
TREES = "SELECT uri, title, content, metadata, tree, fields FROM documents ORDER BY uri"


@pytest.mark.slow
def test_a_new_entities_version_reuses_ocr_and_captions(scans, tmp_path, blip_dir, image_runs,
                                                        monkeypatch):
    from enrich.indexer import IndexOptions, run_index
    from skills.entities import EntitySkill
    runs = image_runs
    data = tmp_path / "data"

    def index(**options):
        runs.clear()
        runs.warm_ups.clear()
        started = time.perf_counter()
        summary = run_index(str(scans), IndexOptions(data_dir=data, workers=0, device="cpu",
                                                     skillset=image_skillset(blip_dir), **options))
        assert summary.status == "ok" and summary.documents["indexed"] == 5, summary
        return time.perf_counter() - started, dict(runs)

    cold_s, cold = index()
    assert cold["ocr"] == 4 and cold["caption"] == 4 and cold["entities"] == 5
    mentions, trees = stored(data, MENTIONS), stored(data, TREES)
    assert (data / "cache" / FILE_NAME).exists()

    original = EntitySkill.version
    monkeypatch.setattr(EntitySkill, "version", original + "-new")  # every item again
    warm_s, warm = index()
    assert warm.get("ocr", 0) == 0 and warm.get("caption", 0) == 0
    assert runs.warm_ups == []  # no caption model was even loaded
    assert warm.get("merge", 0) == 0 and warm.get("join", 0) == 0
    assert warm["entities"] == 5  # every page of every document
    assert stored(data, MENTIONS) == mentions
    # One process: the spaCy model the cold run loaded stays loaded; bench/cache.py
    # times separate `enrich index` processes.
    print(f"\ncache: cold run {cold_s:.2f} s {cold}; entities v2 run {warm_s:.2f} s {warm}; "
          f"ratio {warm_s / cold_s:.2f}")

    monkeypatch.setattr(EntitySkill, "version", original)
    again_s, again = index(reindex=True)  # everything from the cache: the same records
    assert again == {}
    assert stored(data, TREES) == trees and stored(data, MENTIONS) == mentions

    reset_s, reset = index(reset_skills=("ocr",))
    assert reset.get("ocr") == 4 and reset.get("caption", 0) == 0
    assert reset.get("entities", 0) == 0  # the same OCR text: the same entity inputs
    assert stored(data, TREES) == trees
    print(f"cache: everything cached {again_s:.2f} s; --reset-skill ocr {reset_s:.2f} s {reset}")


@pytest.mark.slow
def test_worker_processes_share_one_cache(corpus, tmp_path):
    from enrich.indexer import IndexOptions, run_index
    data = tmp_path / "data"
    options = dict(data_dir=data, workers=2, batch_size=1,
                   skillset={"skills": ["language", "ngrams"]})
    first = run_index(str(corpus), IndexOptions(**options))
    trees = stored(data, TREES)
    with EnrichmentCache.open(data / "cache") as cache:
        stats = cache.stats()
    assert stats["cracked"]["entries"] == 4  # two PDFs, a markdown file, a CSV
    assert stats["skills"]["language"]["entries"] == first.documents["indexed"] == 5
    again = run_index(str(corpus), IndexOptions(**options, reindex=True))
    assert again.documents["indexed"] == 5 and stored(data, TREES) == trees
    with EnrichmentCache.open(data / "cache") as cache:
        assert cache.stats() == stats
