"""``enrich review``: the listing, --json, and the one-key session driven by scripted
keys against a real store (each decision a correction, undo, quit)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.corrections import local_user
from enrich.cli.review import _queue, session
from enrich.errors import EnrichError
from enrich.review import ReviewItem
from enrich.review_session import HELP, ReviewSession
from enrich.testing.review_corpus import review_store
from indexers.stores import DataDir, SqliteStore


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    review_store(folder, documents=30, index=True)
    return folder


def _corrections(data) -> list[dict]:
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        return store.corrections()


def test_json_lists_the_queue(data):
    result = CliRunner().invoke(app, ["review", "--data", str(data), "--json", "--limit", "7"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert len(items) == 7 and items[0]["score"] >= items[-1]["score"]
    assert {"key", "name", "type", "mentions", "documents", "score", "signals", "suggestion",
            "evidence"} <= set(items[0])


def test_without_a_terminal_it_lists_and_asks_nothing(data):
    result = CliRunner().invoke(app, ["review", "--data", str(data), "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "review queue" in result.stdout and "suggestion" in result.stdout
    assert _corrections(data) == []


def test_scripted_keys_make_corrections_and_undo_them(data):
    items = _queue(data, limit=6, evidence=1)
    merge = next(i for i in items if i.suggestion["op"] == "merge")
    items = [i for i in items if i is not merge][:3] + [merge]
    keys = iter(["a", "x", "t", "r", "u", "s", "m", "q"])
    asked = []

    def ask(question, default):
        asked.append((question, default))
        return "event" if question == "new type" else default  # Enter: the suggestion

    done = session(data, items, None, read_key=lambda: next(keys), ask=ask).run()
    # a: accept item 0; x: unknown key; t: retype item 1 to EVENT; r: reject item 2;
    # u: undo that reject (item 2 again); s: skip it; m: merge item 3 as suggested; q
    assert [c["op"] for c in done["corrections"]] == ["accept", "retype", "merge"]
    assert (done["skipped"], done["undone"], done["left"]) == (1, 1, 0)
    assert ("merge into", merge.suggestion["into"]) in asked
    rows = _corrections(data)
    assert [(r["op"], r["entity"], r["undone_at"] is None) for r in rows] == [
        ("accept", items[0].key, True), ("retype", items[1].key, True),
        ("reject", items[2].key, False), ("merge", merge.key, True)]
    assert {r["who"] for r in rows} == {local_user()}
    assert rows[1]["value"] == "EVENT" and rows[3]["value"] == merge.suggestion["into"]


def _item(key: str, suggestion: dict | None = None) -> ReviewItem:
    return ReviewItem(key, key.split(":")[1], key.split(":")[0], "entity", 3, 2,
                      suggestion=suggestion or {"op": "accept", "entity": key})


class Refused(EnrichError):
    code = "E999"


def _session(items, keys, answers=(), refuse=()):
    said, applied = [], []

    def apply(correction):
        if correction["entity"] in refuse:
            raise Refused(f"no entity {correction['entity']!r}")
        applied.append(correction)
        return {"id": len(applied), **correction}

    keys, answers = iter(keys), iter(answers)
    run = ReviewSession(items, apply=apply, undo=lambda i: {"id": i},
                        read_key=lambda: next(keys), ask=lambda q, d: next(answers),
                        show=lambda *a: None, say=said.append)
    return run, said, applied


def test_an_empty_answer_cancels_and_a_refusal_keeps_the_item():
    items = [_item("ORG:kessel"), _item("ORG:pran")]
    run, said, applied = _session(items, ["m", "a", "l", "q"], answers=["", "Pran Co"],
                                  refuse={"ORG:kessel"})
    summary = run.run()
    assert said[0] == "cancelled" and "not done: error E999" in said[1]
    assert applied == [] and summary["left"] == 2  # l on kessel: refused too
    run, said, applied = _session(items, ["s", "l", "?"], answers=["Pran Co"])
    assert run.run()["left"] == 0
    assert applied == [{"op": "alias", "entity": "ORG:pran", "alias": "Pran Co"}]


def test_unknown_keys_show_the_help_and_undo_needs_a_decision():
    run, said, _ = _session([_item("ORG:kessel")], ["z", "u", "q"])
    run.run()
    assert said == [f"keys: {HELP}", "nothing to undo"]
