"""E-mail: headers as metadata, the body as text (HTML made text), attachments as child
documents cracked by the normal crackers; mbox messages as children; a malformed
message ends with warnings or the reason; a run indexes the children
(indexers/crackers/mail.py)."""

from __future__ import annotations

import sqlite3

import pytest

from enrich.indexer import IndexOptions, run_index
from enrich.testing import container_factories as cf
from enrich.testing import factories
from indexers.crackers import Blob, CrackError, crack
from indexers.crackers.sniff import sniff

URI = "file:///mail/m.eml"


def cracked(data: bytes, name: str = "m.eml", uri: str = URI) -> dict[str, dict]:
    return {doc["uri"]: doc for doc in crack(Blob(uri=uri, name=name, data=data))}


def test_an_email_with_an_html_body_and_a_pdf_attachment(tmp_path):
    pdf = factories.text_pdf(tmp_path / "r.pdf", ["Tonnage rose in May."]).read_bytes()
    data = cf.email_bytes(subject="Harbour report", cc="Mary Somerville <mary@example.org>",
                          html="<html><body><p>See the <b>report</b>.</p><script>bad()</script>"
                               "</body></html>", in_reply_to="<first@example.org>",
                          message_id="<second@example.org>",
                          attachments={"report.pdf": (pdf, "application/pdf")})
    assert sniff(data, "m") == "message/rfc822"
    docs = cracked(data)
    assert list(docs) == [URI, f"{URI}#attachment=report.pdf"]
    meta = docs[URI]["metadata"]
    assert meta["from"] == ["Ada Lovelace <ada@example.org>"]
    assert meta["to"] == ["Charles Babbage <charles@example.org>"]
    assert meta["cc"] == ["Mary Somerville <mary@example.org>"]
    assert meta["subject"] == meta["title"] == "Harbour report"
    assert meta["date"] == "2024-05-01T09:30:00+00:00"
    assert meta["message_id"] == "<second@example.org>"
    assert meta["in_reply_to"] == "<first@example.org>"
    assert meta["references"] == ["<first@example.org>"]
    assert docs[URI]["content"] == "See the report."  # the HTML cracker's text, no script
    attachment = docs[f"{URI}#attachment=report.pdf"]
    assert "Tonnage rose" in attachment["content"]
    assert attachment["metadata"]["parent"] == URI
    assert attachment["metadata"]["path"] == "report.pdf"


def test_plain_text_wins_over_html_and_unnamed_attachments_get_a_name():
    data = cf.email_bytes(text="Plain body.", html="<p>HTML body.</p>",
                          attachments={"": (b"no name", "text/plain")})
    docs = cracked(data)
    assert docs[URI]["content"] == "Plain body."
    assert f"{URI}#attachment=attachment-1.txt" in docs


def test_an_mbox_of_three_messages():
    box = cf.mbox_bytes([cf.email_bytes(subject=f"Note {n}", text=f"Body {n}.\nFrom the quay.")
                         for n in (1, 2, 3)])
    uri = "file:///mail/box.mbox"
    assert sniff(box, "box") == "application/mbox"
    docs = cracked(box, "box.mbox", uri)
    assert list(docs) == [uri] + [f"{uri}#message={n}" for n in (1, 2, 3)]
    assert docs[uri]["metadata"]["message_count"] == 3
    assert docs[uri]["content"].splitlines()[0] == "Note 1 - Ada Lovelace <ada@example.org>"
    second = docs[f"{uri}#message=2"]
    assert second["metadata"]["subject"] == "Note 2"
    assert second["content"] == "Body 2.\nFrom the quay."  # mbox quoting undone
    assert second["metadata"]["parent"] == uri


def test_an_mbox_over_the_members_limit_still_counts_every_message():
    from indexers.crackers import Blob, crack
    from indexers.crackers.limits import LIMITS, Limits

    box = cf.mbox_bytes([cf.email_bytes(subject=f"Note {n}", text=f"Body {n}.")
                         for n in range(1, 6)])
    uri = "file:///mail/box.mbox"
    docs = crack(Blob(uri=uri, name="box.mbox", data=box, extra={LIMITS: Limits(max_members=2)}))
    assert [d["uri"] for d in docs] == [uri, f"{uri}#message=1", f"{uri}#message=2"]
    assert docs[0]["metadata"]["message_count"] == 5
    assert docs[0]["content"].splitlines()[-1] == "... and 2 more"
    assert "more than 2 members: the rest left out" in docs[0]["warnings"]


def test_a_malformed_email_is_partial_or_failed_with_the_reason():
    broken = (b"From: Ada <ada@example.org>\nTo: <<<\nSubject: cut\nContent-Type: multipart/"
              b"mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nstarted but never")
    docs = cracked(broken)
    doc = docs[URI]
    assert doc["metadata"]["subject"] == "cut" and "started but never" in doc["content"]
    assert any(w.startswith("malformed message: ") for w in doc["warnings"])
    with pytest.raises(CrackError, match="^not an e-mail"):
        crack(Blob(uri=URI, name="m.eml", data=b"just words, no headers at all",
                   mime_type="message/rfc822"))  # as a source that says so sends it


def test_a_run_indexes_members_and_attachments_as_documents(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "box.zip").write_bytes(cf.zip_bytes({"a.txt": b"Zipped harbour words.",
                                                   "../b.md": b"# Beacon\n\nLight words."}))
    (folder / "m.eml").write_bytes(cf.email_bytes(
        text="Mail body words.", attachments={"note.txt": (b"Attached quay words.",
                                                            "text/plain")}))
    summary = run_index(str(folder), IndexOptions(
        data_dir=str(tmp_path / "data"), workers=0,
        skillset={"skills": ["language"], "entities": []}))
    assert summary.status == "ok" and summary.documents["seen"] == 2
    zip_uri, eml_uri = (folder / "box.zip").as_uri(), (folder / "m.eml").as_uri()
    with sqlite3.connect(tmp_path / "data" / "enrich.sqlite") as db:
        uris = {row[0] for row in db.execute("SELECT uri FROM documents")}
    assert uris == {zip_uri, f"{zip_uri}#member=a.txt", f"{zip_uri}#member=b.md",
                    eml_uri, f"{eml_uri}#attachment=note.txt"}


def test_a_body_mislabelled_utf_8_reads_as_windows_1252_and_a_bad_date_is_a_warning():
    raw = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Menu\r\n"
           b"Date: the day after tomorrow\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"The caf\xe9 by the quay serves cr\xeapes on Mondays and Fridays.\r\n")
    doc, = [d for d in crack(Blob(uri="file:///d/m.eml", name="m.eml", data=raw,
                                  size=len(raw)))]
    assert "café by the quay serves crêpes" in doc["content"]
    assert "date" not in doc["metadata"]
    assert any(w.startswith("header date: not a date") for w in doc["warnings"])
    assert ("body is not valid utf-8: its encoding was worked out from the bytes"
            in doc["warnings"])
