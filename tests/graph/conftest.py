"""The basketball corpus's graph, for the tests of every query."""

import pytest

from graph import KnowledgeGraph
from tests.graph.corpus import FBI, basketball, build_store


@pytest.fixture
def kg(tmp_path):
    with KnowledgeGraph.open(build_store(tmp_path, basketball(),
                                         aliases=[("fbi", FBI, 2)])) as graph:
        yield graph
