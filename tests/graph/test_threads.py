"""Mail threads (graph.threads): by Message-ID, In-Reply-To and References.

The pure function on hand-made headers first (chains, missing parents, cycles,
duplicates), then the conversation of :mod:`enrich.testing.mail_threads` indexed for
real (.eml files and an mbox): the Python API and the HTTP route.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from enrich.testing.mail_threads import indexed_conversation
from graph import KnowledgeGraph
from graph.threads import build_threads, message_ids, thread_of


def msg(doc, mid=None, reply=None, refs=None, minute=0, uri=None):
    return {"doc_id": doc, "uri": uri or f"file:///{doc}.eml", "message_id": mid,
            "in_reply_to": reply, "references": refs,
            "date": f"2024-05-01T09:{minute:02d}:00+00:00"}


def shape(thread):
    return [(m["doc_id"], m["parent"], m["depth"], m["missing_parent"])
            for m in thread["messages"]]


def test_message_ids_are_read_from_header_values():
    assert message_ids("<a@x> (comment) <b@x>") == ["<a@x>", "<b@x>"]
    assert message_ids(["<a@x>", "<b@x>"]) == ["<a@x>", "<b@x>"]
    assert message_ids("bare@x") == ["<bare@x>"] and message_ids(None) == []


def test_reply_chain_and_references_only_reply():
    threads = build_threads([
        msg("c", "<c@x>", refs=["<a@x>", "<b@x>"], minute=2),  # no In-Reply-To
        msg("a", "<a@x>", minute=0),
        msg("b", "<b@x>", reply="<a@x>", refs=["<a@x>"], minute=1),
        msg("z", "<z@x>", minute=5)])
    assert [shape(t) for t in threads] == [
        [("a", None, 0, None), ("b", "a", 1, None), ("c", "b", 2, None)],
        [("z", None, 0, None)]]
    assert threads[0]["id"] == "<a@x>"


def test_missing_parent_hangs_under_the_nearest_known_ancestor():
    thread = build_threads([
        msg("a", "<a@x>", minute=0),
        msg("c", "<c@x>", reply="<b@x>", refs=["<a@x>", "<b@x>"], minute=2)])[0]
    assert shape(thread) == [("a", None, 0, None), ("c", "a", 1, "<b@x>")]


def test_replies_to_one_missing_message_share_a_thread():
    threads = build_threads([msg("r1", "<r1@x>", reply="<gone@x>", minute=1),
                             msg("r2", "<r2@x>", reply="<gone@x>", minute=3)])
    assert [shape(t) for t in threads] == [
        [("r1", None, 0, "<gone@x>"), ("r2", None, 0, "<gone@x>")]]


def test_a_cycle_is_cut_at_its_earliest_message():
    threads = build_threads([msg("a", "<a@x>", reply="<b@x>", minute=0),
                             msg("b", "<b@x>", reply="<a@x>", minute=1),
                             msg("s", "<s@x>", reply="<s@x>", minute=2)])  # replies to itself
    assert [shape(t) for t in threads] == [[("a", None, 0, None), ("b", "a", 1, None)],
                                           [("s", None, 0, None)]]


def test_a_message_in_two_documents_and_a_document_without_headers():
    messages = [msg("a", "<a@x>", uri="file:///1.eml"), msg("a2", "<a@x>", uri="file:///2.eml"),
                msg("b", "<b@x>", reply="<a@x>", minute=1)]
    thread = thread_of(messages, "a2")
    assert shape(thread) == [("a", None, 0, None), ("b", "a", 1, None), ("a2", None, 0, None)]
    assert thread_of(messages, "nope") is None


def test_undated_messages_come_last():
    messages = [msg("late", "<l@x>", reply="<a@x>"), msg("a", "<a@x>"),
                msg("early", "<e@x>", reply="<a@x>", minute=3)]
    messages[0]["date"] = None
    assert [m["doc_id"] for m in build_threads(messages)[0]["messages"]] == \
        ["a", "early", "late"]


# --- a real index -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    return indexed_conversation(tmp_path_factory.mktemp("threads"), with_text=True)


EXPECTED = [("plan.eml", None, 0, None), ("reply.eml", "plan.eml", 1, None),
            ("followup.eml", "reply.eml", 2, None)]
ORPHAN = [("orphan.eml", None, 0, "<gone@example.org>"),
          ("box.mbox#message=1", "orphan.eml", 1, None)]


def named(thread, ids):
    names = {v: k for k, v in ids.items()}
    return [(names[m["doc_id"]], names.get(m["parent"]), m["depth"], m["missing_parent"])
            for m in thread["messages"]]


def test_the_stored_messages_form_their_threads(indexed):
    data, ids = indexed
    with KnowledgeGraph.open(data) as kg:
        threads = kg.threads()
        assert [named(t, ids) for t in threads] == [
            EXPECTED, ORPHAN, [("box.mbox#message=2", None, 0, None)]]
        followup = kg.thread(ids["followup.eml"])
        assert named(followup, ids) == EXPECTED
        assert followup["messages"][0]["subject"] == "Plan"
        assert followup["messages"][1]["from"] == ["Bo Chen <BO.CHEN@EXAMPLE.NET>"]
        assert kg.thread(ids["notes.txt"]) is None and kg.thread(ids["box.mbox"]) is None


def test_http_thread_route(indexed):
    data, ids = indexed
    with TestClient(create_app(data)) as client:
        answer = client.get(f"/api/documents/{ids['box.mbox#message=1']}/thread")
        assert answer.status_code == 200, answer.text
        assert named(answer.json(), ids) == ORPHAN
        # a search hit names the people as resolved (Ann, unnamed in followup.eml's
        # headers, by the name other messages give her address)
        hits = client.get("/api/search", params={"q": "Quilmar"}).json()["results"]
        assert [(h["id"], h["people"]) for h in hits] == [
            (ids["followup.eml"], ["Ann Lee", "Bo Chen"])]
        for doc, code in ((ids["notes.txt"], "not_a_message"), ("f" * 32, "not_found")):
            answer = client.get(f"/api/documents/{doc}/thread")
            assert (answer.status_code, answer.json()["error"]["code"]) == (404, code)


def test_cli_shows_the_thread_by_path_or_id(indexed):
    from typer.testing import CliRunner

    from enrich.cli import app
    data, ids = indexed
    docs = data.parent / "docs"
    result = CliRunner().invoke(app, ["graph", "thread", str(docs / "box.mbox") + "#message=1",
                                      "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    import json
    assert named(json.loads(result.stdout), ids) == ORPHAN
    result = CliRunner().invoke(app, ["graph", "thread", ids["reply.eml"], "--data", str(data)])
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert result.exit_code == 0 and len(lines) == 3, result.output
    assert lines[1].startswith(">") and "Re: Plan" in lines[1]  # the message asked about
    result = CliRunner().invoke(app, ["graph", "thread", str(docs / "notes.txt"),
                                      "--data", str(data)])
    assert result.exit_code == 2 and result.stderr.startswith("error E830:"), result.output


def test_a_member_named_as_typed_finds_the_quoted_uri(tmp_path):
    from enrich.cli.graph_thread import document_of
    from enrich.records import document_id
    from indexers.crackers.containers import member_uri

    uri = member_uri(member_uri((tmp_path / "box.mbox").as_uri(), "2", "message"),
                     "my report é.eml", "attachment")
    for typed in ("#message=2&attachment=my report é.eml",
                  "#message=2&attachment=my%20report%20%C3%A9.eml"):
        assert document_of(str(tmp_path / "box.mbox") + typed) == document_id(uri)
