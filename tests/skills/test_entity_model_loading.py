"""Loading a spaCy pipeline imports only the plugin factories its config names: spaCy
itself imports every installed package's ``spacy_factories`` entry point each time it
builds a pipeline, and one of ours imports transformers (seconds per worker process)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from skills import entity_models

pytestmark = pytest.mark.slow

PROBE = """
import json, sys, importlib.metadata as md
from skills.entity_models import default_model, load_model, ner_exclusions, _factories_of
model = default_model()
nlp = load_model(model, ner_exclusions(model))
named = _factories_of(model)
points = [ep for ep in md.entry_points(group="spacy_factories")]
unused = sorted({ep.value.split(":")[0] for ep in points if ep.name not in named})
print(json.dumps({"unused": unused, "imported": [m for m in unused if m in sys.modules],
                  "ents": [e.label_ for e in nlp("Ada Lovelace met Charles Babbage in London.").ents]}))
"""


def test_a_pipeline_loads_without_importing_the_plugins_it_does_not_use():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["unused"], "no unused spacy_factories plugin installed: nothing was tested"
    assert found["imported"] == [], found
    assert "PERSON" in found["ents"] and "GPE" in found["ents"], found


def test_the_limit_loads_only_the_named_entry_points_and_is_undone():
    from spacy import util

    points = util.registry._entry_point_factories
    asked: list[str] = []
    original = points.get_entry_point
    points.get_entry_point = lambda name, default=None: asked.append(name) or default
    try:
        with entity_models._entry_points_limited_to({"b_factory", "a_factory"}):
            assert points.get_all() == {}
        assert asked == ["a_factory", "b_factory"]
        assert "get_all" not in vars(points)  # the registry's own method again
    finally:
        del points.get_entry_point
    assert points.get_entry_point == original


def test_limited_loads_in_two_threads_do_not_undo_each_other():
    import threading
    import time

    from spacy import util

    points = util.registry._entry_point_factories
    errors: list[BaseException] = []

    def load(name: str) -> None:
        try:
            with entity_models._entry_points_limited_to({name}):
                time.sleep(0.05)
                assert "get_all" in vars(points)  # still limited while this one loads
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(f"f{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "get_all" not in vars(points)


def test_loads_wait_for_a_limited_one_and_a_model_loads_once(monkeypatch):
    import threading
    import time

    from spacy import util

    points = util.registry._entry_point_factories
    limited_while_loading: list[bool] = []

    def load(model, exclude):
        limited_while_loading.append("get_all" in vars(points))
        time.sleep(0.05)
        return object()

    monkeypatch.setattr(entity_models, "_load", load)
    monkeypatch.setattr(entity_models, "_MODELS", {})
    started = threading.Event()

    def limited() -> None:
        with entity_models._entry_points_limited_to({"some_factory"}):
            started.set()
            time.sleep(0.1)

    loaded: list[object] = []
    threads = [threading.Thread(target=limited)]
    threads += [threading.Thread(target=lambda: loaded.append(entity_models.load_model("m", [])))
                for _ in range(2)]
    threads[0].start()
    started.wait()
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert limited_while_loading == [False]  # once, and not while another load was limited
    assert len(loaded) == 2 and loaded[0] is loaded[1]
