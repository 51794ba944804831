"""What the model-backed image skills share (skills/vision.py), tested once per skill."""

import logging

import pytest
import torch

from skills import vision
from skills.base import RunContext, SkillUnavailable
from skills.caption import CaptionSkill
from skills.tags import TagSkill
from tests.skills.test_caption import image_bytes

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")


@pytest.mark.parametrize("cls", [CaptionSkill, TagSkill])
def test_missing_model_disables_the_skill_with_a_pull_hint(cls, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SkillUnavailable) as info:
        cls(model="no-such-org/no-such-model", device="cpu").warm_up()
    assert "no-such-org/no-such-model" in str(info.value)
    assert "enrich models pull" in str(info.value)


@pytest.mark.parametrize("cls, other, message", [
    (CaptionSkill, "clip_dir", "not an image captioning model"),
    (TagSkill, "blip_dir", "not a CLIP-style image-text model"),
])
def test_a_model_of_another_family_is_refused(cls, other, message, request):
    folder = request.getfixturevalue(other)
    with pytest.raises(SkillUnavailable, match=message):
        cls(model=str(folder), device="cpu").warm_up()


@pytest.mark.parametrize("cls", [CaptionSkill, TagSkill])
def test_declared_models_are_the_configured_ones(cls, tmp_path):
    ref, = cls(model=str(tmp_path)).models()
    assert (ref.name, ref.source) == (str(tmp_path), "huggingface")


@NO_CUDA
@pytest.mark.parametrize("cls, folder", [(CaptionSkill, "blip_dir"), (TagSkill, "clip_dir")])
def test_cuda_without_cuda_runs_on_the_cpu_with_a_warning(cls, folder, request, caplog):
    vision._warn_fallback.cache_clear()  # (said once per process)
    skill = cls(model=str(request.getfixturevalue(folder)))
    with caplog.at_level(logging.WARNING, logger="skills.vision"):
        skill.warm_up(RunContext(device="cuda"))
    assert skill._device == "cpu" and skill._model.device.type == "cpu"
    assert "device 'cuda' was asked for but CUDA is not available here: the image skills " \
           "run on the CPU (--device cuda! disables them instead)" in caplog.text


@NO_CUDA
@pytest.mark.parametrize("cls, folder", [(CaptionSkill, "blip_dir"), (TagSkill, "clip_dir")])
def test_strict_cuda_without_cuda_disables_the_skill(cls, folder, request):
    skill = cls(model=str(request.getfixturevalue(folder)))
    with pytest.raises(SkillUnavailable, match=r"device 'cuda!' was asked for but CUDA is not "
                       r"available here; use --device cuda to fall back to the CPU"):
        skill.warm_up(RunContext(device="cuda!"))


def test_a_skills_own_device_beats_the_runs(clip_dir):
    skill = TagSkill(model=str(clip_dir), device="cpu")
    skill.warm_up(RunContext(device="cuda:3!"))
    assert skill._device == "cpu"


def test_a_missing_cuda_device_number_is_no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert vision.resolve_device("auto") == "cuda"
    assert vision.resolve_device("cuda:1!") == "cuda:1"
    assert vision.resolve_device("cuda:2") == "cpu"
    with pytest.raises(SkillUnavailable, match="this machine has 2 CUDA device"):
        vision.resolve_device("cuda:2!")


@NO_CUDA
def test_the_engine_hands_the_run_device_to_the_skills(clip_dir):
    from enrich.engine import Engine
    from enrich.plan import build_plan
    from enrich.skillset import Skillset

    plan = build_plan(Skillset.from_dict({"skills": [
        {"skill": "tags", "params": {"model": str(clip_dir), "threshold": 0, "top": 2}}]}))
    strict, lenient = Engine(plan, context=RunContext(device="cuda!")), \
        Engine(plan, context=RunContext(device="cuda"))
    docs = [{"uri": "a", "images": [{"id": "i0", "data": image_bytes()}]}]
    strict.run_documents(docs)
    assert "tags" not in docs[0]["images"][0]
    assert "CUDA is not available here" in strict.status()["tags"]["disabled"]
    lenient.run_documents(docs)
    assert len(docs[0]["images"][0]["tags"]) == 2 and lenient.status()["tags"]["disabled"] is None
