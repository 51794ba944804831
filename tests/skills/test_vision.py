"""What the model-backed image skills share (skills/vision.py), tested once per skill."""

import pytest

from skills.base import SkillUnavailable
from skills.caption import CaptionSkill
from skills.tags import TagSkill


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
