"""Fixtures shared across the test packages: tiny random vision models."""

import pytest

from enrich.testing.tiny_models import tiny_blip, tiny_clip


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory):
    """A tiny random CLIP model folder (built once per test session)."""
    return tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture(scope="session")
def blip_dir(tmp_path_factory):
    """A tiny random BLIP captioning model folder (built once per test session)."""
    return tiny_blip(tmp_path_factory.mktemp("models") / "tiny-blip")
