"""CaptionSkill with a tiny random BLIP (loaded from a folder like a real model).

The tiny model's captions are random words: the tests check the plumbing (order,
batching, errors, skipping, confidence arithmetic), not what the captions say.
"""

import io
import math

import pytest
import torch
from PIL import Image, ImageDraw

from skills.base import SkillError, SkillUnavailable
from skills.caption import CaptionSkill, geometric_mean_confidence


def image_bytes(size=(120, 90), shade=128, fmt="PNG"):
    image = Image.new("RGB", size, (shade, 255 - shade, 60))
    ImageDraw.Draw(image).ellipse((10, 10, size[0] - 10, size[1] - 10), fill=(20, 20, shade))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def skill(blip_dir):
    skill = CaptionSkill(model=str(blip_dir), device="cpu", batch_size=3, max_new_tokens=8)
    skill.warm_up()
    return skill


def count_calls(monkeypatch, obj, method):
    """Wrap ``obj.method`` to record the batch size of each call."""
    sizes, real = [], getattr(obj, method)

    def spy(*args, **kwargs):
        sizes.append(len(kwargs.get("pixel_values", args[0] if args else None)))
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, method, spy)
    return sizes


def test_caption_is_text_with_a_confidence(skill):
    [result] = skill.run([{"image": image_bytes()}])
    caption = result["caption"]
    assert isinstance(caption["text"], str) and caption["text"] == caption["text"].strip()
    assert 0.0 < caption["confidence"] <= 1.0


def test_one_result_per_record_in_order_across_chunks(skill):
    ok, small, bad = image_bytes(), image_bytes((40, 200)), b"not an image at all"
    records = [{"image": ok}, {"image": small}, {"image": bad}, {"image": ok},
               {"image": image_bytes(fmt="JPEG")}, {"image": None}, {}, {"image": ok}]
    results = skill.run(records)
    assert len(results) == len(records)
    kinds = ["error" if isinstance(r, SkillError) else
             "none" if r["caption"] is None else "caption" for r in results]
    assert kinds == ["caption", "none", "error", "caption", "caption", "error", "error", "caption"]
    assert "unreadable image" in results[2].message and results[2].message.startswith("caption:")
    assert results[5].message == "caption: no image data"
    alone = skill.run([{"image": ok}])[0]
    assert results[0] == results[3] == results[7] == alone


def test_results_follow_their_records_through_the_chunks(skill, monkeypatch):
    # The tiny model captions every image alike, so name each image by its red level instead.
    def by_brightness(pixels):
        return [{"text": f"{float(p[0].mean()):+.4f}", "confidence": 1.0} for p in pixels]

    monkeypatch.setattr(skill, "_caption", by_brightness)
    records = [{"image": image_bytes(shade=20 * i)} for i in range(8)]
    records.insert(4, {"image": image_bytes((30, 30))})
    results = skill.run(records)
    assert results[4] == {"caption": None}
    levels = [float(r["caption"]["text"]) for i, r in enumerate(results) if i != 4]
    singles = [float(skill.run([r])[0]["caption"]["text"]) for i, r in enumerate(records) if i != 4]
    assert levels == singles and len(set(levels)) == 8


def test_a_batch_larger_than_batch_size_is_split_into_generate_calls(skill, monkeypatch):
    sizes = count_calls(monkeypatch, skill._model, "generate")
    results = skill.run([{"image": image_bytes(shade=i * 10)} for i in range(8)])
    assert sizes == [3, 3, 2]
    assert all(r["caption"] is not None for r in results)


def test_skipped_and_broken_images_cost_no_generate_call(skill, monkeypatch):
    sizes = count_calls(monkeypatch, skill._model, "generate")
    results = skill.run([{"image": image_bytes((49, 300))}, {"image": b"\x89PNG\r\n\x1a\n broken"}])
    assert sizes == [] and results[0] == {"caption": None}
    assert isinstance(results[1], SkillError)


def test_min_side_is_a_parameter(blip_dir, skill):
    strict = CaptionSkill(model=str(blip_dir), device="cpu", min_side=100)
    strict.warm_up()
    assert strict._model is skill._model  # loaded once per process
    assert strict.run([{"image": image_bytes((120, 90))}]) == [{"caption": None}]


def test_geometric_mean_stops_at_the_first_end_of_sequence_token():
    eos, pad = 3, 0
    tokens = torch.tensor([[7, 8, eos, pad, pad], [7, 8, 9, 10, 11], [eos, pad, pad, pad, pad]])
    probs = torch.tensor([[0.5, 0.8, 0.9, 1e-6, 1e-6], [0.5] * 5, [0.25, 1e-6, 1e-6, 1e-6, 1e-6]])
    confidence = geometric_mean_confidence(probs.log(), tokens, {eos})
    assert confidence == pytest.approx([(0.5 * 0.8 * 0.9) ** (1 / 3), 0.5, 0.25])


def test_confidence_is_the_geometric_mean_of_the_chosen_tokens(skill, monkeypatch):
    captured = {}
    real = skill._model.generate

    def keep_output(*args, **kwargs):
        captured["out"] = out = real(*args, **kwargs)
        return out

    monkeypatch.setattr(skill._model, "generate", keep_output)
    [result] = skill.run([{"image": image_bytes()}])
    out = captured["out"]
    steps = len(out.scores)
    chosen = out.sequences[:, -steps:]
    log_probs = torch.log_softmax(torch.stack(out.scores, dim=1).float(), dim=-1)
    picked = log_probs.gather(2, chosen.unsqueeze(-1)).squeeze(-1)[0]
    ends = [i for i, t in enumerate(chosen[0].tolist()) if t in skill._eos_ids()]
    picked = picked[:ends[0] + 1] if ends else picked
    expected = math.exp(float(picked.mean()))
    assert result["caption"]["confidence"] == pytest.approx(expected, rel=1e-4)


def test_declaration_and_provenance(blip_dir):
    skill = CaptionSkill(model=str(blip_dir))
    assert (skill.name, skill.context, dict(skill.inputs), tuple(skill.outputs)) == (
        "caption", "/document/images/*", {"image": "/document/images/*/data"}, ("caption",))
    assert skill.model == str(blip_dir)
    assert [(m.name, m.source) for m in skill.models()] == [(str(blip_dir), "huggingface")]
    assert skill.params == {"model": str(blip_dir), "device": None, "batch_size": 16,
                            "max_new_tokens": 30, "min_side": 50}  # device None: the run's


def test_the_engine_runs_caption_and_tags_by_name(blip_dir, clip_dir):
    from enrich.engine import Engine
    from enrich.plan import build_plan
    from enrich.skillset import Skillset

    skillset = Skillset.from_dict({"skills": [
        {"skill": "caption", "params": {"model": str(blip_dir), "device": "cpu"}},
        {"skill": "tags", "params": {"model": str(clip_dir), "device": "cpu", "threshold": 0}}]})
    docs = [{"uri": "a", "images": [{"id": "i0", "data": image_bytes()},
                                    {"id": "i1", "data": image_bytes((20, 20))}]},
            {"uri": "b", "images": [{"id": "i0", "data": b"garbage"}]}]
    Engine(build_plan(skillset)).run_documents(docs)
    first, tiny = docs[0]["images"]
    assert isinstance(first["caption"]["text"], str) and len(first["tags"]) == 10
    assert tiny["caption"] is None and tiny["tags"] is None
    assert {e["skill"] for e in docs[1]["skill_errors"]} == {"caption", "tags"}
    assert docs[0]["provenance"]["/document/images/*/caption"]["model"] == str(blip_dir)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
def test_both_image_skills_run_on_cuda_in_half_precision(blip_dir, clip_dir):
    from skills.tags import TagSkill

    caption = CaptionSkill(model=str(blip_dir), device="cuda", batch_size=4, max_new_tokens=8)
    tags = TagSkill(model=str(clip_dir), device="cuda", vocabulary=["dog", "cat", "shoe"],
                    threshold=0.0)
    caption.warm_up()
    tags.warm_up()
    assert caption._model.dtype == torch.float16 and caption._model.device.type == "cuda"
    assert tags._model.dtype == torch.float16 and tags._model.device.type == "cuda"
    records = [{"image": image_bytes(shade=i * 30)} for i in range(6)] + [{"image": b"bad"}]
    captions, tagged = caption.run(records), tags.run(records)
    for c, t in zip(captions[:6], tagged[:6]):
        assert isinstance(c["caption"]["text"], str) and 0 < c["caption"]["confidence"] <= 1
        assert sum(tag["score"] for tag in t["tags"]) == pytest.approx(1.0, abs=1e-2)
    assert isinstance(captions[6], SkillError) and isinstance(tagged[6], SkillError)
