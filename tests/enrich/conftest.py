import pytest

from enrich.registry import register
from tests.enrich.toy_skills import ALL


@pytest.fixture(autouse=True, scope="session")
def toy_skills():
    for cls in ALL:
        register(cls)
