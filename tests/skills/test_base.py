"""The skill contract's declarations and the run context (skills/base.py)."""

import inspect
from importlib.metadata import entry_points

import pytest

from enrich.errors import ConfigError
from skills.base import RunContext, check_device

BUILT_IN = [ep.load() for ep in entry_points(group="enrich.skills")]  # (pyproject.toml)


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:0", "cuda!", "cuda:12!"])
def test_devices_the_skills_understand(device):
    assert check_device(device) == device
    assert RunContext(device=device).device == device


@pytest.mark.parametrize("device", ["tpu", "CUDA", "cuda:", "cuda:x", "cpu!", "auto!", "", None])
def test_any_other_device_is_one_config_error(device):
    with pytest.raises(ConfigError, match=r"unknown device .*: use auto, cpu, cuda or cuda:N "
                       r"\(cuda! or cuda:N! to disable GPU skills rather than fall back"):
        RunContext(device=device)


def test_a_context_shares_its_cores_and_a_skill_may_name_its_own_device():
    context = RunContext(device="cuda", threads=7)
    assert context.share(2).threads == 3 and context.share(16).threads == 1
    assert context.share(2).device == "cuda"
    assert RunContext().threads >= 1
    assert context.device_for({"device": "cpu"}) == "cpu"
    assert context.device_for({"device": None, "model": "x"}) == "cuda"
    with pytest.raises(ConfigError):
        context.device_for({"device": "gpu"})


def test_every_built_in_skill_declares_how_it_runs():
    assert len(BUILT_IN) == 19
    for cls in BUILT_IN:
        inspect.signature(cls.warm_up).bind(None, RunContext())  # takes the context
        assert isinstance(cls.runtime_params, frozenset) and isinstance(cls.cacheable, bool)
        assert not cls.uses_device or "device" in cls.runtime_params, cls.name
    assert sorted(c.name for c in BUILT_IN if c.uses_device) == ["caption", "clip", "embeddings",
                                                                 "labels", "ner", "tags"]
    # all are functions of their inputs but the web API skill, whose answer is the remote's
    assert [c.name for c in BUILT_IN if not c.cacheable] == ["webapi"]
