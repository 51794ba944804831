"""TagSkill with a tiny random CLIP (loaded from a folder like a real model).

The tiny model's scores are random but deterministic: the tests check the plumbing
(order, batching, threshold, top, vocabulary, caching, errors), not its judgement.
"""

import io

import pytest
import torch
from PIL import Image

from enrich.testing import factories

from skills.base import SkillError, SkillUnavailable
from skills.tags import (DEFAULT_VOCABULARY, TagSkill, clip_image_embeddings, load_vocabulary)

# The tiny CLIP tokenizer has no BPE merges: a tag becomes one <unk> per letter, so
# tags of equal length would share an embedding. These all differ in length.
WORDS = ["ox", "cat", "shoe", "court", "street", "playing", "sneakers", "billboard",
         "basketball", "big blue umbrella"]


noise = factories.noise_png


@pytest.fixture(scope="module")
def vocabulary(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "tags.txt"
    path.write_text("# my tags\n" + "\n".join(WORDS) + "\n\n  cat  \nred stop sign # a comment\n")
    return path


@pytest.fixture(scope="module")
def everything(clip_dir, vocabulary):
    """The skill with no threshold and no cut: the full score distribution."""
    skill = TagSkill(model=str(clip_dir), vocabulary=str(vocabulary), device="cpu",
                     threshold=0.0, top=100, batch_size=4)
    skill.warm_up()
    return skill


def names_and_scores(result):
    return [(t["name"], t["score"]) for t in result["tags"]]


def test_vocabulary_file_skips_comments_blanks_and_duplicates(vocabulary):
    assert load_vocabulary(vocabulary) == WORDS + ["red stop sign"]
    shipped = load_vocabulary(DEFAULT_VOCABULARY)
    assert 250 <= len(shipped) <= 400 and len(set(shipped)) == len(shipped)
    assert {"dog", "basketball", "sneakers", "beach"} <= set(shipped)


def test_scores_are_a_softmax_over_the_vocabulary(everything):
    [result] = everything.run([{"image": noise(1)}])
    scores = [s for _, s in names_and_scores(result)]
    assert {n for n, _ in names_and_scores(result)} == set(WORDS + ["red stop sign"])
    assert sum(scores) == pytest.approx(1.0, abs=1e-5)
    assert scores == sorted(scores, reverse=True)


def test_tags_are_sorted_above_threshold_at_most_top(everything, clip_dir, vocabulary):
    image = {"image": noise(2)}
    full = names_and_scores(everything.run([image])[0])
    threshold = full[4][1]  # the fifth best score: the first five pass
    picky = TagSkill(model=str(clip_dir), vocabulary=str(vocabulary), device="cpu",
                     threshold=threshold, top=3)
    picky.warm_up()
    assert names_and_scores(picky.run([image])[0]) == full[:3]
    loose = TagSkill(model=str(clip_dir), vocabulary=str(vocabulary), device="cpu",
                     threshold=threshold, top=10)
    loose.warm_up()
    tags = names_and_scores(loose.run([image])[0])
    assert tags == [(n, s) for n, s in full if s >= threshold] and len(tags) >= 5
    assert all(s >= threshold for _, s in tags)


def test_one_result_per_record_in_order_across_chunks(everything):
    records = [{"image": noise(i)} for i in range(6)]
    records[2] = {"image": b"GIF89a broken"}
    records[4] = {"image": noise(9, size=(49, 200))}
    results = everything.run(records)
    assert len(results) == 6
    assert isinstance(results[2], SkillError) and results[2].message.startswith("tags:")
    assert results[4] == {"tags": None}
    for i in (0, 1, 3, 5):
        alone = everything.run([records[i]])[0]
        assert [t["name"] for t in results[i]["tags"]] == [t["name"] for t in alone["tags"]]
        assert [t["score"] for t in results[i]["tags"]] == pytest.approx(
            [t["score"] for t in alone["tags"]], abs=1e-5)
    assert results[0] != results[1]


def test_a_batch_larger_than_batch_size_is_split_into_forward_calls(everything, monkeypatch):
    sizes, real = [], everything._model.get_image_features

    def spy(*args, **kwargs):
        sizes.append(len(kwargs["pixel_values"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(everything._model, "get_image_features", spy)
    everything.run([{"image": noise(i)} for i in range(10)])
    assert sizes == [4, 4, 2]


def test_vocabulary_is_embedded_once_per_model_template_and_vocabulary(clip_dir, everything,
                                                                       monkeypatch):
    calls, real = [], everything._model.get_text_features

    def spy(*args, **kwargs):
        calls.append(len(kwargs["input_ids"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(everything._model, "get_text_features", spy)
    again = TagSkill(model=str(clip_dir), vocabulary=everything.params["vocabulary"],
                     device="cpu")
    again.warm_up()
    assert calls == []
    TagSkill(model=str(clip_dir), vocabulary=WORDS, template="a drawing of {}",
             device="cpu").warm_up()
    assert calls == [len(WORDS)]


def test_clip_image_embeddings_are_normalised_float32_on_cpu(everything):
    images = [Image.open(io.BytesIO(noise(i))) for i in range(3)]
    embeddings = clip_image_embeddings(everything._model, everything._processor, images, "cpu")
    assert embeddings.shape == (3, 32) and embeddings.dtype == torch.float32
    assert embeddings.device.type == "cpu"
    assert embeddings.norm(dim=-1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    empty = clip_image_embeddings(everything._model, everything._processor, [], "cpu")
    assert empty.shape == (0, 32)


def test_missing_vocabulary_file_disables_the_skill(clip_dir, tmp_path):
    with pytest.raises(SkillUnavailable, match="does not exist"):
        TagSkill(model=str(clip_dir), vocabulary=str(tmp_path / "nope.txt")).warm_up()


def test_declaration_and_defaults(clip_dir):
    skill = TagSkill(model=str(clip_dir))
    assert (skill.name, skill.context, dict(skill.inputs), tuple(skill.outputs)) == (
        "tags", "/document/images/*", {"image": "/document/images/*/data"}, ("tags",))
    assert skill.model == str(clip_dir)
    assert (skill.threshold, skill.top, skill.batch_size, skill.template) == (
        0.05, 10, 32, "a photo of {}")
