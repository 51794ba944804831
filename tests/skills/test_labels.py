"""LabelSkill with the tiny random CLIP and a gallery of generated pictures.

The tiny CLIP (random weights, 32x32 input) mostly sees colours and coarse layout, so
each label is one pattern in its own colours, and its exemplars are variants of it
(shifted by up to 3 pixels, colours jittered by +-15, pixel noise +-20, fixed seeds).
Similarities observed with this model (cosine, rounded):

* within a label (leave-one-out, the calibration's genuine scores): 0.975-0.999;
* gallery pictures to a label they are not (impostor scores): 0.487-0.653;
* the auto threshold is the midpoint of that gap: 0.814;
* a new LeBron variant: 0.999 to LeBron James, 0.63 to Nike; a new Nike variant 0.998;
  a green gradient: 0.69 at best (Nike); a new negative variant: 0.74 at best (LeBron),
  0.99 to its own negative exemplars.
"""

import io
import logging

import numpy as np
import pytest
from PIL import Image

import skills.labels as labels_module
from skills.base import SkillError, SkillUnavailable
from skills.labels import LabelSkill, calibrate, read_gallery

SIZE = 64
COLOURS = {"red": (210, 20, 20), "blue": (20, 40, 200), "green": (20, 170, 40),
           "yellow": (240, 220, 30), "black": (10, 10, 10), "purple": (120, 0, 160),
           "gray": (128, 128, 128)}
LEBRON = ("checker", "yellow", "purple")   # the Lakers' colours
NIKE = ("dots", "black", "red")
NEGATIVES = [("halves", "gray", "blue"), ("dots", "purple", "green")]


def _mask(kind, shift):
    y, x = np.mgrid[:SIZE, :SIZE]
    return {"checker": ((x + shift) // 8 + y // 8) % 2 == 0,
            "dots": ((x + shift) % 16 < 8) & ((y + shift) % 16 < 8),
            "halves": y < SIZE // 2 + shift}[kind]


def picture(kind, fg, bg, seed):
    """One variant of a pattern: shifted, colours jittered, noisy; the same for a seed."""
    rng = np.random.default_rng(seed)
    shift = int(rng.integers(0, 4))
    jitter = [[int(np.clip(v + rng.integers(-15, 16), 0, 255)) for v in COLOURS[c]]
              for c in (bg, fg)]
    pixels = np.empty((SIZE, SIZE, 3), int)
    pixels[:] = jitter[0]
    pixels[_mask(kind, shift)] = jitter[1]
    noisy = np.clip(pixels + rng.integers(-20, 21, pixels.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy)


def green_gradient():
    pixels = np.zeros((SIZE, SIZE, 3), np.uint8)
    pixels[..., 1] = np.linspace(40, 255, SIZE).astype(np.uint8)[None, :]
    return Image.fromarray(pixels)


def encode(image, fmt="PNG"):
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def make_gallery(root, label_file="labels.csv", negative_folder="_negative"):
    """LeBron James (png) and Nike (jpg), 3 exemplars each; 4 negatives (webp)."""
    for name, pattern, suffix in (("LeBron James", LEBRON, "png"), ("Nike", NIKE, "jpg")):
        (root / name).mkdir(parents=True)
        for seed in range(3):
            picture(*pattern, seed=seed).save(root / name / f"{seed}.{suffix}")
    (root / negative_folder).mkdir()
    for i, pattern in enumerate(NEGATIVES):
        for seed in range(2):
            picture(*pattern, seed=seed).save(root / negative_folder / f"{i}-{seed}.webp",
                                              lossless=True)
    if label_file == "labels.csv":
        (root / label_file).write_text("label,type\nLeBron James,PERSON\nNike,BRAND\n")
    elif label_file == "labels.yaml":
        (root / label_file).write_text(f"LeBron James: PERSON\nnike: brand\n"
                                       f"{negative_folder}: NEGATIVE\n")
    return root


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def gallery(tmp_path):
    return make_gallery(tmp_path / "gallery")


@pytest.fixture
def make(clip_dir):
    def make(gallery, **params):
        skill = LabelSkill(gallery=str(gallery), model=str(clip_dir), device="cpu", **params)
        skill.warm_up()
        return skill
    return make


def recognise(skill, image):
    [result] = skill.run([{"image": encode(image)}])
    return result


def test_new_picture_of_a_label_is_recognised(make, gallery):
    result = recognise(make(gallery), picture(*LEBRON, seed=7))
    [entity] = result["labels"]
    assert entity == {"text": "LeBron James", "name": "LeBron James", "type": "PERSON",
                      "key": "PERSON:lebron james", "start": None, "end": None,
                      "confidence": entity["confidence"]}
    assert entity["confidence"] > 0.99
    recognition = result["recognition"]
    assert recognition["label"] == "LeBron James" and recognition["type"] == "PERSON"
    assert recognition["nearest"] == "LeBron James" and recognition["reason"] is None
    assert recognition["similarity"] == entity["confidence"]


def test_other_label_and_batch_order(make, gallery):
    skill = make(gallery, batch_size=2)
    images = [picture(*NIKE, seed=8), picture(*LEBRON, seed=9), green_gradient()]
    results = skill.run([{"image": encode(image, "JPEG")} for image in images])
    assert [[e["key"] for e in r["labels"]] for r in results] == [
        ["BRAND:nike"], ["PERSON:lebron james"], []]


def test_unrelated_image_is_unknown(make, gallery):
    skill = make(gallery)
    result = recognise(skill, green_gradient())
    assert result["labels"] == []
    recognition = result["recognition"]
    assert recognition["label"] == "unknown" and recognition["type"] is None
    assert recognition["reason"] == "below threshold"
    assert recognition["nearest"] in ("LeBron James", "Nike")
    assert 0.5 < recognition["similarity"] < recognition["threshold"] == skill.threshold


def test_auto_threshold_lies_between_genuine_and_impostor_scores(make, gallery):
    skill = make(gallery)
    calibration = skill.calibration
    assert calibration["method"] == "auto" and calibration["error"] == 0
    low_genuine, high_impostor = calibration["genuine"][0], calibration["impostor"][1]
    assert high_impostor < skill.threshold < low_genuine
    assert skill.threshold == pytest.approx((low_genuine + high_impostor) / 2, abs=1e-3)
    # Observed with the tiny CLIP: genuine 0.975-0.999, impostor 0.487-0.653, cut 0.814.
    assert 0.95 < low_genuine and high_impostor < 0.7 and 0.75 < skill.threshold < 0.9
    similarity = recognise(skill, picture(*LEBRON, seed=7))["recognition"]["similarity"]
    unrelated = recognise(skill, green_gradient())["recognition"]["similarity"]
    assert unrelated < skill.threshold < similarity


def test_a_number_overrides_the_threshold(make, gallery):
    skill = make(gallery, threshold=0.999999)
    assert skill.calibration["method"] == "fixed"
    result = recognise(skill, picture(*LEBRON, seed=7))
    assert result["labels"] == [] and result["recognition"]["reason"] == "below threshold"
    assert result["recognition"]["threshold"] == 1.0  # rounded to 4 places


def test_closer_to_a_negative_example_is_unknown(make, gallery):
    # A low threshold lets the look-alike through on similarity; the negatives stop it.
    result = recognise(make(gallery, threshold=0.5), picture(*NEGATIVES[0], seed=7))
    assert result["labels"] == []
    assert result["recognition"]["label"] == "unknown"
    assert result["recognition"]["reason"] == "closer to a negative example"
    assert result["recognition"]["similarity"] > 0.5


def test_types_from_yaml_and_a_negative_type(make, tmp_path):
    gallery = make_gallery(tmp_path / "g", label_file="labels.yaml", negative_folder="Crowd")
    skill = make(gallery, threshold=0.5)
    assert skill.gallery.labels == ["LeBron James", "Nike"]
    assert skill.gallery.types == {"LeBron James": "PERSON", "Nike": "BRAND"}
    assert skill.gallery.owners.count(None) == 4
    assert recognise(skill, picture(*NEGATIVES[1], seed=7))["labels"] == []
    assert recognise(skill, picture(*NIKE, seed=7))["labels"][0]["key"] == "BRAND:nike"


def test_unlisted_labels_are_type_label(make, tmp_path, caplog):
    gallery = make_gallery(tmp_path / "g", label_file=None)
    with caplog.at_level(logging.WARNING, logger="skills.labels"):
        skill = make(gallery)
    assert skill.gallery.types == {"LeBron James": "LABEL", "Nike": "LABEL"}
    assert recognise(skill, picture(*NIKE, seed=7))["labels"][0]["key"] == "LABEL:nike"
    assert not caplog.records  # negatives present, calibration clean: nothing to warn


def _twins(root, second_type):
    """Two labels whose exemplars are variants of one pattern: too alike to tell apart."""
    for name, seeds in (("LeBron James", (0, 1, 2)), ("Anthony Davis", (10, 11, 12))):
        (root / name).mkdir(parents=True)
        for seed in seeds:
            picture(*LEBRON, seed=seed).save(root / name / f"{seed}.png")
    (root / "labels.csv").write_text(f"LeBron James,PERSON\nAnthony Davis,{second_type}\n")
    return root


def test_labels_of_one_type_within_margin_are_ambiguous(make, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="skills.labels"):
        skill = make(_twins(tmp_path / "g", "PERSON"), threshold=0.8)
    assert "closer to another label than to their own" in caplog.text
    assert "no _negative examples" in caplog.text
    result = recognise(skill, picture(*LEBRON, seed=7))
    assert result["labels"] == []
    assert result["recognition"]["reason"].startswith("ambiguous")
    assert result["recognition"]["similarity"] > 0.99


def test_labels_of_different_types_can_share_an_image(make, tmp_path):
    gallery = _twins(tmp_path / "g", "ORG")
    result = recognise(make(gallery, threshold=0.8), picture(*LEBRON, seed=7))
    keys = [e["key"] for e in result["labels"]]
    assert sorted(keys) == ["ORG:anthony davis", "PERSON:lebron james"]
    confidences = [e["confidence"] for e in result["labels"]]
    assert confidences == sorted(confidences, reverse=True)
    assert result["recognition"]["label"] == result["labels"][0]["name"]
    top_one = recognise(make(gallery, threshold=0.8, top=1), picture(*LEBRON, seed=7))
    assert [e["key"] for e in top_one["labels"]] == keys[:1]


def test_embeddings_are_cached_outside_the_gallery_and_reused(make, gallery, cache,
                                                             monkeypatch):
    before = sorted(p for p in gallery.rglob("*"))
    embedded = []
    original = LabelSkill._embed_files

    def spy(self, files):
        embedded.append([p.name for p in files])
        return original(self, files)

    monkeypatch.setattr(LabelSkill, "_embed_files", spy)
    first = make(gallery)
    assert [len(names) for names in embedded] == [10]
    [cache_file] = cache.glob("gallery-*.pt")
    assert sorted(p for p in gallery.rglob("*")) == before  # nothing written in the gallery

    second = make(gallery)
    assert len(embedded) == 1  # unchanged gallery: nothing embedded again
    assert (second._gallery_embeddings == first._gallery_embeddings).all()
    assert second.threshold == first.threshold

    picture(*NIKE, seed=5).save(gallery / "Nike" / "5.jpg")
    third = make(gallery)
    assert embedded[1] == ["5.jpg"]  # only the new picture
    assert third._gallery_embeddings.shape[0] == 11
    assert list(cache.glob("gallery-*.pt")) == [cache_file]


def test_damaged_cache_is_rebuilt(make, gallery, cache):
    make(gallery)
    [cache_file] = cache.glob("gallery-*.pt")
    cache_file.write_bytes(b"not a torch file")
    assert make(gallery).calibration["error"] == 0


def _bad_galleries(root):
    missing = root / "missing"
    empty = root / "empty"
    empty.mkdir()
    no_images = make_gallery(root / "no-images")
    (no_images / "Adidas").mkdir()
    (no_images / "Adidas" / "notes.txt").write_text("pictures to come")
    only_negatives = root / "only-negatives"
    (only_negatives / "_negative").mkdir(parents=True)
    picture(*NEGATIVES[0], seed=0).save(only_negatives / "_negative" / "0.png")
    no_type = make_gallery(root / "no-type")
    (no_type / "labels.csv").write_text("LeBron James,PERSON\nNike\n")
    return [(missing, "does not exist"), (empty, "no label folders"),
            (no_images, "'Adidas' (found notes.txt)"), (only_negatives, "no label folders"),
            (no_type, "gives no type for ['Nike']")]


def test_gallery_errors_say_what_is_wrong_and_the_layout(tmp_path):
    for folder, problem in _bad_galleries(tmp_path):
        with pytest.raises(SkillUnavailable) as error:
            read_gallery(folder)
        assert problem in str(error.value)
        assert "expected layout: GALLERY/<label>/*.jpg|png|webp" in str(error.value)
    with pytest.raises(SkillUnavailable, match="no gallery given"):
        LabelSkill().warm_up()


def test_unreadable_gallery_picture_disables_the_skill(make, gallery):
    (gallery / "Nike" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(SkillUnavailable, match="broken.png"):
        make(gallery)


def test_undecodable_image_fails_alone(make, gallery):
    skill = make(gallery, batch_size=2)
    records = [{"image": b"not an image"}, {"image": encode(picture(*LEBRON, seed=7))},
               {"image": None}, {}, {"image": encode(picture(*NIKE, seed=7))}]
    results = skill.run(records)
    assert [type(r).__name__ for r in results] == ["SkillError", "dict", "SkillError",
                                                   "SkillError", "dict"]
    assert "unreadable image" in results[0].message and not results[0].transient
    assert results[2] == SkillError("no image data")
    assert results[1]["labels"][0]["name"] == "LeBron James"
    assert results[4]["labels"][0]["name"] == "Nike"
    assert skill.run([]) == []


def test_calibrate_separable_overlapping_and_degenerate():
    import torch

    def unit(*angles):
        return torch.tensor([[np.cos(a), np.sin(a)] for a in angles], dtype=torch.float32)

    # a: 0.2 rad apart, b: 0.1 rad apart, far from a; a negative 0.9 rad from both.
    threshold, stats = calibrate(unit(0.0, 0.2, 2.0, 2.1, 1.1), ["a", "a", "b", "b", None])
    assert stats["genuine"] == [round(np.cos(0.2), 4), round(np.cos(0.1), 4)]
    assert stats["impostor"][1] == round(np.cos(0.9), 4) and stats["error"] == 0
    assert threshold == pytest.approx((np.cos(0.2) + np.cos(0.9)) / 2, abs=1e-5)
    # Overlapping: the cut with the best balanced accuracy (one genuine score of five
    # below it, two impostors of five above it).
    threshold, stats = calibrate(unit(0.0, 0.3, 0.5, 0.7, 1.5), ["a", "a", "b", "b", "b"])
    assert stats["error"] == 0.3 and np.cos(0.4) < threshold < np.cos(0.3)
    # No cut better than chance: the threshold is above every score (labels nothing).
    threshold, stats = calibrate(unit(0.0, 0.5, 0.1, 0.6), ["a", "a", "b", "b"])
    assert stats["error"] == 0.5 and threshold > np.cos(0.1)
    # Single exemplars, or one label and no negatives: nothing to calibrate on.
    assert calibrate(unit(0.0, 1.0), ["a", "b"])[0] is None
    assert calibrate(unit(0.0, 0.1), ["a", "a"])[0] is None


def test_single_exemplars_fall_back_to_the_default_threshold(make, tmp_path):
    root = tmp_path / "g"
    for name, pattern in (("LeBron James", LEBRON), ("Nike", NIKE)):
        (root / name).mkdir(parents=True)
        picture(*pattern, seed=0).save(root / name / "0.png")
    skill = make(root)
    assert skill.calibration["method"] == "default"
    assert skill.threshold == labels_module.DEFAULT_THRESHOLD


def test_through_the_engine_with_the_readme_skillset(clip_dir, gallery):
    import re
    from pathlib import Path

    import yaml

    from enrich.engine import Engine
    from enrich.plan import build_plan
    from enrich.skillset import Skillset

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    heading = "## Recognising people and brands from a reference gallery"
    text = heading + readme.split(heading, 1)[1]
    example = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", text, flags=re.S)[0])
    assert "/document/images/*/labels" in example["entities"]
    build_plan(Skillset.from_dict(example))  # valid as written (nothing is loaded)
    [spec] = [s for s in example["skills"] if s["skill"] == "labels"]
    spec["params"].update(gallery=str(gallery), model=str(clip_dir), device="cpu")
    only_labels = {"skills": [spec], "entities": ["/document/images/*/labels"]}
    engine = Engine(build_plan(Skillset.from_dict(only_labels)))
    doc = {"uri": "u", "images": [{"id": "i1", "data": encode(picture(*LEBRON, seed=7))},
                                  {"id": "i2", "data": encode(green_gradient())}]}
    engine.run_documents([doc])
    assert [e["key"] for e in doc["images"][0]["labels"]] == ["PERSON:lebron james"]
    assert doc["images"][1]["labels"] == []
    assert doc["images"][1]["recognition"]["label"] == "unknown"
    assert engine.status()["labels"]["model"] == str(clip_dir)
