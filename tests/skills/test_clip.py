"""The clip skill and its query encoder with a tiny random CLIP (a real model folder).

The tiny model's vectors are random but deterministic: the tests check the plumbing
(dimension, unit length, order, batching, errors, the model id, the index run), and
that the image vectors are what plain transformers computes for the same model.
"""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from enrich.testing import factories
from skills.base import SkillError, SkillUnavailable
from skills.clip import (DEFAULT_MODEL, ClipModelIdError, ClipSkill, clip_model_id,
                         clip_model_name, encode_texts)
from skills.embeddings import DECIMALS


noise = factories.noise_png


@pytest.fixture(scope="module")
def skill(clip_dir):
    made = ClipSkill(model=str(clip_dir), device="cpu", batch_size=3)
    made.warm_up()
    return made


def reference(clip_dir, data):
    """Plain transformers: the image tower's features of one image, L2-normalised."""
    from transformers import CLIPModel, CLIPProcessor

    processor, model = CLIPProcessor.from_pretrained(clip_dir), CLIPModel.from_pretrained(clip_dir)
    pixels = processor(images=[Image.open(io.BytesIO(data)).convert("RGB")],
                       return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        features = model.get_image_features(pixel_values=pixels)
    features = features if torch.is_tensor(features) else features.pooler_output
    return (features[0] / features[0].norm()).tolist()


def test_vectors_are_unit_length_of_the_model_dimension(skill, clip_dir):
    results = skill.run([{"image": noise(1)}, {"image": noise(2)}])
    vectors = [r["vector"] for r in results]
    assert skill.dimension == 32 and all(len(v) == 32 for v in vectors)
    assert all(float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5) for v in vectors)
    assert all(x == round(x, DECIMALS) for v in vectors for x in v)
    assert vectors[0] != vectors[1]
    assert vectors[0] == pytest.approx(reference(clip_dir, noise(1)), abs=2e-6)


def test_the_same_image_gives_the_same_vector(skill, clip_dir):
    first, again = skill.run([{"image": noise(3)}, {"image": noise(3)}])
    assert first == again
    other = ClipSkill(model=str(clip_dir), device="cpu", batch_size=1)
    assert other.run([{"image": noise(3)}])[0] == first


def test_batched_results_equal_one_by_one_results(skill, clip_dir):
    records = [{"image": noise(seed, (80 + 7 * seed, 60 + 5 * seed))} for seed in range(7)]
    together = skill.run(records)  # batch_size 3: three chunks, the last one short
    alone = ClipSkill(model=str(clip_dir), device="cpu", batch_size=1)
    for record, batched in zip(records, together):
        assert batched["vector"] == pytest.approx(alone.run([record])[0]["vector"], abs=1e-5)


def test_a_broken_image_fails_alone_and_a_tiny_one_has_no_vector(skill):
    results = skill.run([{"image": noise(4)}, {"image": b"not an image"}, {"image": None},
                         {"image": noise(5, (30, 30))}, {"image": noise(6)}])
    assert len(results[0]["vector"]) == 32 and len(results[4]["vector"]) == 32
    assert isinstance(results[1], SkillError) and "unreadable image" in results[1].message
    assert isinstance(results[2], SkillError) and "no image data" in results[2].message
    assert results[3] == {"vector": None}


def test_text_vectors_are_unit_length_in_the_image_space(skill):
    texts = ["a photo of a dog", "shoe", "", " ".join(["basketball court"] * 200)]
    vectors = encode_texts(skill.model, texts, device="cpu")
    assert vectors.shape == (4, skill.dimension) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(4), abs=1e-5)
    assert not np.allclose(vectors[0], vectors[1])
    one = encode_texts(skill.model, ["a photo of a dog"], device="cpu")
    assert one[0] == pytest.approx(vectors[0], abs=1e-5)  # padding does not change a text
    assert encode_texts(skill.model, [], device="cpu").shape == (0, skill.dimension)


def test_text_vectors_are_clip_text_features(skill, clip_dir):
    from transformers import CLIPModel, CLIPTokenizer

    tokenizer, model = CLIPTokenizer.from_pretrained(clip_dir), CLIPModel.from_pretrained(clip_dir)
    with torch.inference_mode():
        features = model.get_text_features(**tokenizer(["red shoe"], return_tensors="pt"))
    features = features if torch.is_tensor(features) else features.pooler_output
    expected = (features[0] / features[0].norm()).numpy()
    assert encode_texts(skill.model, ["red shoe"], device="cpu")[0] == pytest.approx(
        expected, abs=1e-5)


def test_threads_share_one_loaded_model_and_agree(clip_dir):
    from concurrent.futures import ThreadPoolExecutor

    from skills.clip import load_clip

    model_id = clip_model_id(str(clip_dir))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: encode_texts(model_id, ["a red shoe", "dog"], "cpu"),
                                range(8)))
    assert all(np.allclose(r, results[0], atol=1e-6) for r in results)
    assert load_clip(str(clip_dir), "cpu")[0] is load_clip(str(clip_dir), "cpu")[0]


def test_model_id_prefix_and_model_refs(clip_dir):
    skill = ClipSkill(model=str(clip_dir))
    assert skill.model == f"clip:{clip_dir}" == clip_model_id(str(clip_dir))
    assert clip_model_name(skill.model) == str(clip_dir)
    assert (skill.name, skill.context, dict(skill.inputs), tuple(skill.outputs)) == (
        "clip", "/document/images/*", {"image": "/document/images/*/data"}, ("vector",))
    assert [(m.name, m.source) for m in skill.models()] == [(str(clip_dir), "huggingface")]
    default = ClipSkill()
    assert default.model == "clip:" + DEFAULT_MODEL == "clip:openai/clip-vit-base-patch32"
    assert [(m.name, m.source) for m in default.models()] == [(DEFAULT_MODEL, "huggingface")]
    assert "enrich models pull" in default.models()[0].install


@pytest.mark.parametrize("bad", ["openai/clip-vit-base-patch32", "clip:", "clip:  ",
                                 "sentence-transformers/all-MiniLM-L6-v2"])
def test_a_model_id_without_the_clip_prefix_is_refused(bad):
    with pytest.raises(ClipModelIdError, match="not a CLIP model id: expected 'clip:NAME'"):
        encode_texts(bad, ["a query"])


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-clip"
    with pytest.raises(SkillUnavailable, match=r"no-such-clip.*enrich models pull"):
        ClipSkill(model=str(missing), device="cpu").warm_up()
    with pytest.raises(SkillUnavailable, match=r"no-such-clip.*enrich models pull"):
        encode_texts(clip_model_id(str(missing)), ["a query"], device="cpu")


def test_an_uncached_hub_model_offline_says_how_to_get_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SkillUnavailable, match=r"someone/no-such-clip.*enrich models pull"):
        ClipSkill(model="someone/no-such-clip", device="cpu").warm_up()


def test_a_model_that_is_not_clip_is_refused(blip_dir):
    with pytest.raises(SkillUnavailable, match="not a CLIP-style image-text model"):
        ClipSkill(model=str(blip_dir), device="cpu").warm_up()


@pytest.mark.slow
def test_indexing_a_folder_puts_image_vectors_in_the_tree(clip_dir, tmp_path):
    import sqlite3

    from enrich.indexer import IndexOptions, run_index
    from indexers.stores import DataDir
    from indexers.stores.sqlite import SqliteStore

    folder = tmp_path / "docs"
    folder.mkdir()
    factories.image_file(folder / "photo.png", size=(160, 120))
    factories.text_pdf(folder / "report.pdf", ["A report with a picture."], image=True)
    skillset = {"skills": [{"skill": "clip", "params": {"model": str(clip_dir)}}]}
    summary = run_index(str(folder), IndexOptions(data_dir=tmp_path / "data", skillset=skillset,
                                                  workers=0, device="cpu"))
    assert summary.documents["indexed"] == 2 and summary.documents["failed"] == 0, summary.errors
    assert summary.skills["clip"]["disabled"] is None
    path = DataDir(tmp_path / "data").store
    ids = [doc_id for (doc_id,) in sqlite3.connect(path).execute("SELECT id FROM documents")]
    with SqliteStore(path, read_only=True) as store:
        docs = [store.get_document(doc_id) for doc_id in ids]
    trees = {doc["source_uri"].rsplit("/", 1)[-1]: doc for doc in docs}
    alone = ClipSkill(model=str(clip_dir), device="cpu")
    photo = trees["photo.png"]
    [image] = photo["tree"]["images"]
    expected = alone.run([{"image": (folder / "photo.png").read_bytes()}])[0]["vector"]
    assert image["vector"] == pytest.approx(expected, abs=1e-5)
    report_images = trees["report.pdf"]["tree"]["images"]
    assert report_images and all(len(i["vector"]) == 32 for i in report_images)
    provenance = photo["tree"]["provenance"]["/document/images/*/vector"]
    assert provenance["model"] == f"clip:{clip_dir}"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
def test_clip_on_cuda_in_half_precision_matches_the_cpu(skill, clip_dir):
    gpu = ClipSkill(model=str(clip_dir), device="cuda", batch_size=2)
    gpu.warm_up()
    assert gpu._model.dtype == torch.float16 and gpu._model.device.type == "cuda"
    records = [{"image": noise(seed)} for seed in range(5)]
    for a, b in zip(gpu.run(records), skill.run(records)):
        assert float(np.dot(a["vector"], b["vector"])) > 0.99
    on_gpu = encode_texts(gpu.model, ["a red shoe", "a dog"], device="cuda")
    on_cpu = encode_texts(gpu.model, ["a red shoe", "a dog"], device="cpu")
    assert (on_gpu * on_cpu).sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-2)
