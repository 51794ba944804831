"""NerSkill with tiny token classifiers built here (no download).

Two kinds of model: a random one (seed 0: arbitrary labels, for offsets and shapes) and a
rigged one whose logits are a function of the token (see
``enrich.testing.tiny_models.tiny_token_classifier``): "Ada" B-PER, "Quill" I-PER, "Vell"
B-ORG, "Corp" I-ORG at half strength, "Reuters" B-ORG, everything else O. Both run the
real forward pass; the rigged one makes the expected entities known.
"""

import math
import re

import pytest
import spacy
import torch

from enrich.testing.language_models import ruler_pipeline
from enrich.testing.tiny_models import NER_TAGS, tiny_token_classifier
from skills.base import SkillError, SkillUnavailable
from skills.entity_models import model_types
from skills.ner import DEFAULT_MODEL, NerSkill
from skills.ner_spans import windows as token_windows

VOCAB = ["Ada", "Quill", "##on", "met", "in", "Vell", "Corp", "the", "of", "(", "Reuters", ")",
         ".", ",", "'", "s", "Boom", "and", "##ing", "wrote", "to"]
TAGS = {"Ada": "B-PER", "Quill": "I-PER", "Vell": "B-ORG", "Corp": ("I-ORG", 0.5),
        "Reuters": "B-ORG"}
SENTENCE = "Ada Quillon met Vell Corp (Reuters) in the Vell's offices."
FILLER = ["met", "in", "the", "of", "and", "wrote", "to", "zebra", "naïve", "Zoë", "—", "12",
          "Quillon", "Ada", "Vell", "Corp", "Reuters", "(", ")", ",", "Vell Corp", "Ada Quillon"]


def long_text(words=250, seed=7):
    """An invented text: known words, unknown ones, punctuation and line breaks."""
    state, out = seed, []
    for i in range(words):
        state = (state * 1103515245 + 12345) % 2**31
        out.append(FILLER[state % len(FILLER)] + ("\n" if i % 37 == 36 else ""))
    return "met " + " ".join(out) + " met"


def expected(text):
    """The rigged model's entities, ``(text, type, start, end)``: B- opens, I- continues
    (or opens after O), whatever the whitespace between the words."""
    people = r"\b(?:Ada|Quillon)(?:\s+Quillon)*\b"
    orgs = r"\b(?:Vell|Corp|Reuters)(?:\s+Corp)*\b"
    found = [(m.group(), kind, m.start(), m.end())
             for kind, pattern in (("PERSON", people), ("ORG", orgs))
             for m in re.finditer(pattern, text)]
    return sorted(found, key=lambda e: e[2])


def spans(result):
    return [(e["text"], e["type"], e["start"], e["end"]) for e in result["entities"]]


@pytest.fixture(scope="module")
def rigged(tmp_path_factory):
    return tiny_token_classifier(tmp_path_factory.mktemp("ner") / "rigged", VOCAB, TAGS, max_length=12)


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    return tiny_token_classifier(tmp_path_factory.mktemp("ner") / "random", VOCAB, max_length=12)


def skill(folder, **params):
    params.setdefault("device", "cpu")
    ner = NerSkill(model=str(folder), **params)
    ner.warm_up()
    return ner


def rig_probability(strength=1.0):
    """The rigged model's probability of a token's label: one-hot embedding (plus
    ``1 - strength`` of O's), through the five residual LayerNorms, read by the classifier."""
    x = torch.zeros(32)
    x[1] = 1.0
    x[0] += 1.0 - strength
    for _ in range(5):
        x = torch.nn.functional.layer_norm(x, (32,), eps=1e-12)
    return float(x[:len(NER_TAGS)].softmax(-1)[1])


def test_declaration_registration_and_model():
    from enrich.registry import get_skill

    ner = NerSkill()
    assert get_skill("ner") is NerSkill
    assert (ner.name, ner.context, dict(ner.inputs), tuple(ner.outputs)) == (
        "ner", "/document/pages/*", {"text": "/document/pages/*/text"}, ("entities",))
    assert ner.uses_device and ner.runtime_params == {"device", "batch_size"}
    assert ner.model == DEFAULT_MODEL == "dslim/bert-base-NER"
    assert [(m.name, m.source) for m in ner.models()] == [(DEFAULT_MODEL, "huggingface")]


def test_entities_have_the_shape_of_the_spacy_skill(rigged):
    [result] = skill(rigged).run([{"text": SENTENCE}])
    strong, weak = rig_probability(), rig_probability(0.5)
    assert result["entities"] == [
        {"text": "Ada Quillon", "type": "PERSON", "name": "Ada Quillon",
         "key": "PERSON:ada quillon", "start": 0, "end": 11, "confidence": round(strong, 4)},
        {"text": "Vell Corp", "type": "ORG", "name": "Vell Corp", "key": "ORG:vell",
         "start": 16, "end": 25, "confidence": round((strong + weak) / 2, 4)},
        {"text": "Reuters", "type": "ORG", "name": "Reuters", "key": "ORG:reuters",
         "start": 27, "end": 34, "confidence": round(strong, 4)},
        {"text": "Vell", "type": "ORG", "name": "Vell", "key": "ORG:vell",
         "start": SENTENCE.rindex("Vell"), "end": SENTENCE.rindex("Vell") + 4,
         "confidence": round(strong, 4)}]
    assert weak < strong


@pytest.mark.parametrize("max_length, stride", [(6, 0), (6, 2), (7, 3), (12, None), (5, 1)])
def test_long_texts_are_read_in_windows_and_entities_cross_their_boundaries(
        rigged, max_length, stride):
    text = long_text()
    ner = skill(rigged, max_length=max_length, stride=stride)
    assert ner._length == max_length - 2  # [CLS] and [SEP]
    [result] = ner.run([{"text": text}])
    assert spans(result) == expected(text)
    assert all(text[e["start"]:e["end"]] == e["text"] for e in result["entities"])


def test_offsets_of_a_random_model_align_to_the_text_and_never_cut_a_word(random_model):
    text = long_text(300, seed=3)
    for params in ({"max_length": 6, "stride": 2}, {"max_length": 9}, {}):
        [result] = skill(random_model, labels=None, **params).run([{"text": text}])
        found = result["entities"]
        assert len(found) > 20  # random weights tag plenty
        for e in found:
            assert text[e["start"]:e["end"]] == e["text"] and e["text"] == e["text"].strip()
            assert e["start"] == 0 or not (text[e["start"] - 1].isalnum()
                                           and text[e["start"]].isalnum())
            assert e["end"] == len(text) or not (text[e["end"] - 1].isalnum()
                                                 and text[e["end"]].isalnum())
            assert 0.0 < e["confidence"] <= 1.0
        assert all(a["end"] <= b["start"] for a, b in zip(found, found[1:]))


def degrade_window_edges(monkeypatch, ner):
    """Wrap the model: the first and last text token of every window read as O (as a
    token without context on one side might). Returns a counter of the entity labels lost."""
    real, lost = ner._model.forward, []

    def forward(*args, **kwargs):
        out = real(*args, **kwargs)
        lengths = kwargs["attention_mask"].sum(dim=1).tolist()
        for row, length in enumerate(lengths):
            for position in (1, length - 2):
                lost.append(int(out.logits[row, position].argmax()) != 0)
                out.logits[row, position] = torch.tensor([9.0] + [0.0] * 8)
        return out

    monkeypatch.setattr(ner._model, "forward", forward)
    return lost


def test_the_window_whose_centre_is_nearest_decides_each_token(rigged, monkeypatch):
    text = long_text(300, seed=11)
    ner = skill(rigged, max_length=9, stride=4)
    lost = degrade_window_edges(monkeypatch, ner)
    [result] = ner.run([{"text": text}])
    assert sum(lost) > 10  # entity tokens did sit at window edges...
    assert spans(result) == expected(text)  # ...and were read from another window


def test_a_batch_across_documents_equals_one_by_one_in_few_forward_passes(rigged, monkeypatch):
    ner = skill(rigged, max_length=8, stride=2, batch_size=16)
    texts = [long_text(60, seed=s) for s in range(5)] + ["", SENTENCE, "Ada"]
    records = [{"text": t} for t in texts] + [{"text": None}, {}]
    alone = [ner.run([r])[0] for r in records]
    calls = []
    real = ner._model.forward
    monkeypatch.setattr(ner._model, "forward",
                        lambda *a, **k: calls.append(len(k["input_ids"])) or real(*a, **k))
    together = ner.run(records)
    assert together == alone
    assert [spans(r) for r in together[:-2]] == [expected(t) for t in texts]
    assert together[-2:] == [{"entities": []}, {"entities": []}]
    counts = [len(ner._tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    windows = sum(len(token_windows(n, 6, 2)) for n in counts)  # 8 less [CLS] and [SEP]
    assert sum(calls) == windows and len(calls) == math.ceil(windows / 16)


def test_a_failing_text_fails_alone(rigged, monkeypatch):
    ner = skill(rigged)
    boom = ner._tokenizer.convert_tokens_to_ids("Boom")
    real = ner._model.forward

    def forward(*args, **kwargs):
        if (kwargs["input_ids"] == boom).any():
            raise RuntimeError("device fault")
        return real(*args, **kwargs)

    monkeypatch.setattr(ner._model, "forward", forward)
    results = ner.run([{"text": SENTENCE}, {"text": "Boom met Ada"}, {"text": "Ada met"}])
    assert spans(results[0]) == expected(SENTENCE) and spans(results[2]) == expected("Ada met")
    assert isinstance(results[1], SkillError) and "device fault" in results[1].message


def test_min_confidence_drops_the_less_certain_entities(rigged):
    strong, weak = rig_probability(), rig_probability(0.5)
    kept = skill(rigged, min_confidence=(strong + (strong + weak) / 2) / 2).run([{"text": SENTENCE}])
    assert [e["text"] for e in kept[0]["entities"]] == ["Ada Quillon", "Reuters", "Vell"]
    none = skill(rigged, min_confidence=strong + 1e-3).run([{"text": SENTENCE}])
    assert none == [{"entities": []}]


def test_labels_keep_types_or_map_them(rigged):
    people = skill(rigged, labels=["PERSON"]).run([{"text": SENTENCE}])[0]
    assert [e["text"] for e in people["entities"]] == ["Ada Quillon"]
    mapped = skill(rigged, labels={"ORG": "FAC"}).run([{"text": SENTENCE}])[0]
    assert [(e["type"], e["key"]) for e in mapped["entities"]] == [
        ("FAC", "FAC:vell corp"), ("FAC", "FAC:reuters"), ("FAC", "FAC:vell")]
    assert NerSkill(labels={"ORG": "FAC"}).params["labels"] == {"ORG": "FAC"}


@pytest.mark.parametrize("family", ["roberta", "xlm-roberta"])
def test_roberta_and_xlm_roberta_tokenizers_give_the_same_spans(tmp_path, family):
    folder = tiny_token_classifier(tmp_path / family, VOCAB, TAGS, max_length=12, family=family)
    ner = skill(folder, max_length=7)
    assert ner._length == 5  # <s> and </s>
    text = long_text(120, seed=5)
    assert spans(ner.run([{"text": text}])[0]) == expected(text)


def test_a_missing_model_disables_the_skill_with_the_pull_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in (str(tmp_path / "no-such-folder"), "someone/no-such-ner-model"):
        with pytest.raises(SkillUnavailable, match="enrich models pull"):
            NerSkill(model=name, device="cpu").warm_up()


def test_a_model_that_is_not_a_token_classifier_is_refused(tmp_path):
    from transformers import BertConfig, BertForMaskedLM

    BertForMaskedLM(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
                               num_attention_heads=2, intermediate_size=8)).save_pretrained(tmp_path)
    with pytest.raises(SkillUnavailable, match="not a token-classification"):
        NerSkill(model=str(tmp_path), device="cpu").warm_up()


def test_labels_without_names_need_a_map(tmp_path):
    folder = tiny_token_classifier(tmp_path / "m", VOCAB, labels=("LABEL_0", "LABEL_1"))
    with pytest.raises(SkillUnavailable, match="names no entity labels"):
        skill(folder)
    assert skill(folder, labels={"LABEL_1": "PERSON"})._types == {"LABEL_0": None,
                                                                   "LABEL_1": "PERSON"}


def test_the_engine_runs_ner_by_name_and_models_list_finds_it(rigged):
    from enrich.engine import Engine
    from enrich.models import model_status
    from enrich.plan import build_plan
    from enrich.skillset import Skillset

    skillset = Skillset.from_dict({"skills": [
        {"skill": "ner", "params": {"model": str(rigged), "device": "cpu"}}]})
    docs = [{"uri": "a", "pages": [{"number": 1, "text": SENTENCE}, {"number": 2, "text": ""}]}]
    Engine(build_plan(skillset)).run_documents(docs)
    assert spans({"entities": docs[0]["pages"][0]["entities"]}) == expected(SENTENCE)
    assert docs[0]["pages"][1]["entities"] == []
    [status] = model_status(skillset)
    assert (status.skill, status.present, status.where) == ("ner", True, str(rigged))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
def test_ner_runs_on_cuda_in_half_precision_with_the_cpu_results(rigged):
    gpu = NerSkill(model=str(rigged), device="cuda", max_length=8, stride=2)
    gpu.warm_up()
    assert gpu._model.dtype == torch.float16 and gpu._model.device.type == "cuda"
    texts = [long_text(200, seed=s) for s in range(4)]
    on_gpu = gpu.run([{"text": t} for t in texts])
    on_cpu = skill(rigged, max_length=8, stride=2).run([{"text": t} for t in texts])
    assert [spans(r) for r in on_gpu] == [spans(r) for r in on_cpu] == [expected(t) for t in texts]
    for a, b in zip(on_gpu, on_cpu):
        assert [e["confidence"] for e in a["entities"]] == pytest.approx(
            [e["confidence"] for e in b["entities"]], abs=5e-3)


@pytest.mark.parametrize("family", ["bert", "xlm-roberta"])  # mBERT-like, XLM-R-like
def test_multilingual_checkpoints_read_accented_text_and_map_types_as_the_spacy_skill(
        tmp_path, family):
    vocab = ["Zoé", "Müller", "traf", "in", "Genève", "à", "rencontré", "a", ".", "die", "Bank"]
    tags = {"Zoé": "B-PER", "Müller": "I-PER", "Genève": "B-LOC", "Bank": ("B-MISC", 1.0)}
    folder = tiny_token_classifier(tmp_path / family, vocab, tags, max_length=12, family=family)
    text = "Zoé Müller traf die Bank in Genève.\nZoé Müller a rencontré à Genève."
    found = skill(folder, labels=None).run([{"text": text}])[0]["entities"]
    assert [(e["text"], e["type"], e["key"]) for e in found] == [
        ("Zoé Müller", "PERSON", "PERSON:zoé müller"), ("Bank", "NORP", "NORP:bank"),
        ("Genève", "GPE", "GPE:genève"), ("Zoé Müller", "PERSON", "PERSON:zoé müller"),
        ("Genève", "GPE", "GPE:genève")]
    assert all(text[e["start"]:e["end"]] == e["text"] for e in found)
    rules = ruler_pipeline(tmp_path / "rules", "de", {"Zoé Müller": "PER", "Genève": "LOC",
                                                      "Bank": "MISC", "x": "ORG"})
    assert model_types(spacy.load(rules)) == {kind: skill(folder)._types[kind]
                                              for kind in ("PER", "LOC", "MISC", "ORG")}
