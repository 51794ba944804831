"""Outlook .msg messages (indexers/crackers/msg.py), on files written by
enrich/testing/msg_factory.py: headers, body, attachments as child documents, limits,
damaged files, and an index run whose correspondents become entities."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone

import olefile
import pytest

from enrich.indexer import IndexOptions, run_index
from enrich.testing import factories
from enrich.testing.msg_factory import compound_file, message_tree, outlook_message
from indexers.crackers import Blob, CrackError, crack, pick_cracker, sniff
from indexers.crackers.limits import LIMITS, Limits
from indexers.crackers.sniff import MSG, OLE2

WHEN = datetime(2024, 5, 1, 7, 30, tzinfo=timezone.utc)
PEOPLE = {"sender": ("Ann Lee", "ann@harbour.example"),
          "recipients": [("Bo Chen", "bo@harbour.example", 1),
                         ("Cy Dunn", "cy@harbour.example", 2),
                         ("Di Eve", "di@harbour.example", 3)]}


def cracked(path, **extra):
    data = path.read_bytes()
    return crack(Blob(uri=path.as_uri(), name=path.name, data=data, size=len(data), **extra))


def test_the_factory_writes_compound_files_that_olefile_and_file_read(tmp_path):
    path = outlook_message(tmp_path / "m.msg", subject="Tide", body="x" * 5000,
                           attachments=[("a.txt", b"small")])
    assert olefile.isOleFile(str(path))
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.openstream("__substg1.0_0037001F").read() == "Tide\0".encode("utf-16-le")
        assert len(ole.openstream("__substg1.0_1000001F").read()) == 10002  # regular sectors
        assert ole.openstream("__attach_version1.0_#00000000/__substg1.0_37010102").read() \
            == b"small"  # the mini stream
        assert not ole.parsing_issues
    if shutil.which("file"):
        described = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True,
                                   check=True)
        assert "CDFV2" in described.stdout or "Composite Document" in described.stdout


def test_properties_give_the_headers_and_the_body(tmp_path):
    path = outlook_message(tmp_path / "plan.msg", subject="Ferry plan", date=WHEN,
                           body="We sail at dawn.\r\nBring coats.", message_id="<p1@harbour>",
                           in_reply_to="<p0@harbour>", references="<a@h> <p0@harbour>",
                           **PEOPLE)
    doc, = cracked(path)
    meta = doc["metadata"]
    assert pick_cracker(Blob(uri="x", name="plan.msg", data=b"", mime_type=MSG)).name \
        == "outlook-msg"
    assert (meta["title"], meta["subject"]) == ("Ferry plan", "Ferry plan")
    assert meta["from"] == ["Ann Lee <ann@harbour.example>"]
    assert (meta["to"], meta["cc"], meta["bcc"]) == (
        ["Bo Chen <bo@harbour.example>"], ["Cy Dunn <cy@harbour.example>"],
        ["Di Eve <di@harbour.example>"])
    assert meta["date"] == "2024-05-01T07:30:00+00:00"
    assert (meta["message_id"], meta["in_reply_to"]) == ("<p1@harbour>", "<p0@harbour>")
    assert meta["references"] == ["<a@h>", "<p0@harbour>"]
    assert doc["content"] == "We sail at dawn.\nBring coats."
    assert doc["warnings"] == []


def test_transport_headers_come_first_and_properties_fill_the_gaps(tmp_path):
    headers = ("Microsoft Mail Internet Headers Version 2.0\r\n"
               "From: \"Lee, Ann\" <ann.lee@quay.example>\r\nTo: bo@quay.example, "
               "Cy <cy@quay.example>\r\nDate: Thu, 02 May 2024 09:00:00 +0200\r\n"
               "Message-ID: <h1@quay>\r\nReferences: <h0@quay>\r\n\r\n")
    path = outlook_message(tmp_path / "m.msg", subject="Tide tables", headers=headers,
                           body="Tables attached.", in_reply_to="<h0@quay>", date=WHEN,
                           **PEOPLE)
    meta = cracked(path)[0]["metadata"]
    assert meta["from"] == ['"Lee, Ann" <ann.lee@quay.example>']
    assert meta["to"] == ["bo@quay.example", "Cy <cy@quay.example>"]
    assert meta["date"] == "2024-05-02T09:00:00+02:00"
    assert (meta["message_id"], meta["references"]) == ("<h1@quay>", ["<h0@quay>"])
    # not in the headers: from the properties
    assert meta["cc"] == ["Cy Dunn <cy@harbour.example>"]
    assert (meta["subject"], meta["in_reply_to"]) == ("Tide tables", "<h0@quay>")


def test_an_html_only_body_is_made_text_and_8_bit_strings_use_the_code_page(tmp_path):
    path = outlook_message(tmp_path / "m.msg", subject="Caf\u00e9 M\u00fcller",
                           html="<html><body><h1>Menu</h1><p>Cr\u00eapes &amp; tea</p>"
                                "<script>x()</script></body></html>", ansi="cp1252",
                           display_to="Bo Chen; Cy Dunn")
    doc, = cracked(path)
    assert doc["metadata"]["subject"] == "Caf\u00e9 M\u00fcller"
    assert doc["metadata"]["to"] == ["Bo Chen", "Cy Dunn"]
    assert "Menu" in doc["content"] and "Cr\u00eapes & tea" in doc["content"]
    assert "x()" not in doc["content"]


def test_a_body_only_in_rtf_and_an_smime_message_are_warnings(tmp_path):
    rtf = outlook_message(tmp_path / "r.msg", subject="Rich", rtf_only=True)
    doc, = cracked(rtf)
    assert doc["content"] == ""
    assert doc["warnings"] == ["the body is in compressed RTF only, which is not read"]
    locked = outlook_message(tmp_path / "s.msg", subject="Sealed",
                             message_class="IPM.Note.SMIME", **PEOPLE)
    doc, = cracked(locked)
    assert doc["metadata"]["from"] == ["Ann Lee <ann@harbour.example>"]
    assert any(w.startswith("encrypted or opaque-signed (S/MIME)") for w in doc["warnings"])


def test_attachments_are_child_documents_and_an_attached_message_an_eml(tmp_path):
    pdf = factories.text_pdf(tmp_path / "report.pdf", ["Quarterly tonnage rose."]).read_bytes()
    inner = {"subject": "Earlier note", "body": "The pier is closed.",
             "sender": ("Bo Chen", "bo@harbour.example"),
             "attachments": [("list.txt", b"Nets and ropes.")]}
    path = outlook_message(tmp_path / "mail.msg", subject="Report", body="See attached.",
                           attachments=[("report.pdf", pdf), ("notes.txt", b"Harbour notes."),
                                        ("Earlier note.msg", inner)], **PEOPLE)
    docs = cracked(path)
    uri = path.as_uri()
    by_uri = {d["uri"]: d for d in docs}
    assert list(by_uri) == [uri, f"{uri}#attachment=report.pdf", f"{uri}#attachment=notes.txt",
                            f"{uri}#attachment=Earlier%20note.eml",
                            f"{uri}#attachment=Earlier%20note.eml&attachment=list.txt"]
    assert "Quarterly tonnage rose." in by_uri[f"{uri}#attachment=report.pdf"]["content"]
    notes = by_uri[f"{uri}#attachment=notes.txt"]
    assert (notes["metadata"]["parent"], notes["metadata"]["path"]) == (uri, "notes.txt")
    earlier = by_uri[f"{uri}#attachment=Earlier%20note.eml"]
    assert earlier["metadata"]["from"] == ["Bo Chen <bo@harbour.example>"]
    assert earlier["content"] == "The pier is closed."
    assert docs[0]["warnings"] == []


def test_attachments_over_the_limits_are_left_out_with_a_warning(tmp_path):
    path = outlook_message(tmp_path / "m.msg", subject="Big", body="Two files.", attachments=[
        ("big.txt", b"tide " * 2000), ("small.txt", b"Short words.")])
    docs = cracked(path, extra={LIMITS: Limits(max_member_bytes=5000)})
    assert [d["metadata"].get("path") for d in docs] == [None, "small.txt"]
    assert docs[0]["warnings"] == [
        "big.txt: declares 10,000 bytes, over the per-member limit (5,000 bytes)"]
    nested = cracked(path, extra={LIMITS: Limits(max_depth=0)})
    assert len(nested) == 1 and "members listed, not opened" in nested[0]["warnings"][0]


def test_an_attached_message_is_rewritten_only_when_opened(tmp_path, monkeypatch):
    from indexers.crackers import msg
    inner = {"subject": "Earlier note", "body": "The pier is closed."}
    path = outlook_message(tmp_path / "m.msg", subject="Outer", body="b",
                           attachments=[("Earlier note.msg", inner), ("a.txt", b"Nets.")])

    calls = []

    def broken(*args):
        calls.append(args)
        raise ValueError("bad sector")

    monkeypatch.setattr(msg, "_as_eml", broken)
    docs = cracked(path, extra={LIMITS: Limits(max_depth=0)})  # listed, never opened
    assert len(docs) == 1 and docs[0]["warnings"] == [
        "nested deeper than 0 containers: members listed, not opened"]
    assert calls == []
    docs = cracked(path)  # opened: its failure is that attachment's warning alone
    assert [d["metadata"].get("path") for d in docs] == [None, "a.txt"]
    assert docs[0]["warnings"] == [
        "Earlier note.eml: unreadable attached message (ValueError: bad sector)"]


def test_a_truncated_file_fails_with_the_reason(tmp_path):
    data = compound_file(message_tree(subject="Cut", body="b" * 6000, **PEOPLE))
    for cut in (len(data) // 2, len(data) - 512):
        with pytest.raises(CrackError, match=r"^damaged Outlook message \(\.msg\): truncated"):
            crack(Blob(uri="file:///d/cut.msg", name="cut.msg", data=data[:cut]))
    with pytest.raises(CrackError, match=r"^damaged Outlook message \(\.msg\)"):
        crack(Blob(uri="file:///d/cut.msg", name="cut.msg", data=data[:600]))


def test_a_compound_file_without_message_properties_is_refused(tmp_path):
    data = compound_file({"__substg1.0_0037001F": "Lost".encode("utf-16-le")})
    assert sniff(data, "m.msg") == MSG
    with pytest.raises(CrackError, match="^not an Outlook message: no __properties_version1.0"):
        crack(Blob(uri="file:///d/m.msg", name="m.msg", data=data))
    other = compound_file({"Contents": b"drawing data"})
    assert sniff(other, "thing.bin") == OLE2
    with pytest.raises(CrackError, match="^OLE2 compound file of an unknown kind"):
        crack(Blob(uri="file:///d/thing.bin", name="thing.bin", data=other))


def test_an_index_run_makes_the_correspondents_entities(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    outlook_message(docs / "plan.msg", subject="Ferry plan", body="We sail at dawn.",
                    date=WHEN, attachments=[("notes.txt", b"Harbour notes.")], **PEOPLE)
    summary = run_index(str(docs), IndexOptions(
        data_dir=tmp_path / "data", workers=0,
        skillset={"name": "mail", "skills": [{"skill": "correspondents"}],
                  "entities": ["/document/correspondents"]}))
    assert summary.status == "ok" and summary.documents["failed"] == 0, summary.errors
    uri = (docs / "plan.msg").as_uri()
    with sqlite3.connect(tmp_path / "data" / "enrich.sqlite") as db:
        uris = {row[0] for row in db.execute("SELECT uri FROM documents")}
    assert uris == {uri, f"{uri}#attachment=notes.txt"}
    from graph import KnowledgeGraph
    with KnowledgeGraph.open(tmp_path / "data") as kg:
        for name, address in (("Ann Lee", "ann@harbour.example"),
                              ("Bo Chen", "bo@harbour.example"),
                              ("Cy Dunn", "cy@harbour.example")):
            card = kg.entity(address)
            assert (card["name"], card["type"], card["documents"]) == (name, "PERSON", 1)


def test_an_address_the_parser_refuses_is_kept_as_written(tmp_path):
    path = outlook_message(tmp_path / "m.msg", subject="Odd", body="b",
                           sender=("Ann Lee", "@harbour.example"),
                           recipients=[("Bo", "bo@@harbour.example", 1)])
    meta = cracked(path)[0]["metadata"]
    assert (meta["from"], meta["to"]) == (["Ann Lee <@harbour.example>"],
                                          ["Bo <bo@@harbour.example>"])
