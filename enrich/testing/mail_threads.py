"""Conversations for tests, made in code: e-mails that reply to each other.

``mail_bytes`` writes one RFC 5322 message with any In-Reply-To and References;
``conversation(folder)`` writes a small correspondence of .eml files and an mbox (the
shape below) and returns what it wrote, so tests can check correspondents and threads
against it:

=============  ======================================================================
plan.eml       <plan@...>: Ann Lee -> Bo Chen, cc Cy Dunn; names Zorvex
reply.eml      <reply@...>: Bo Chen (address in capitals) -> "A. Lee"; In-Reply-To plan
followup.eml   <followup@...>: the bare address of Ann -> Bo; References plan reply
               only (no In-Reply-To); names Quilmar
orphan.eml     <orphan@...>: Ann Lee -> Bo Chen; replies to <gone@...>, never indexed
box.mbox       message 1 <late@...> replies to orphan (Bo -> Ann);
               message 2 <other@...> starts another thread (Cy Dunn -> Bo Chen)
=============  ======================================================================
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
import sqlite3
from contextlib import closing
from pathlib import Path

from enrich.testing.container_factories import mbox_bytes

__all__ = ["mail_bytes", "conversation", "document_ids", "indexed_conversation", "DOMAIN",
           "ANN", "BO", "CY"]

SKILLSET = {"name": "mail", "skills": [{"skill": "correspondents"}],
            "entities": ["/document/correspondents"]}

DOMAIN = "example.org"
ANN = "ann.lee@example.org"
BO = "bo.chen@example.net"
CY = "cy.dunn@example.com"


def _id(name: str) -> str:
    return f"<{name}@{DOMAIN}>"


def mail_bytes(*, sender: str, to: str, subject: str, text: str, message_id: str,
               cc: str | None = None, in_reply_to: str | None = None,
               references: list[str] | None = None, minutes: int = 0) -> bytes:
    """One message; ``minutes`` after 2024-05-01 09:00 UTC."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    if cc:
        message["Cc"] = cc
    message["Date"] = format_datetime(datetime(2024, 5, 1, 9, tzinfo=UTC)
                                      + timedelta(minutes=minutes))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message.set_content(text)
    return bytes(message)


def conversation(folder: Path) -> dict[str, bytes]:
    """Write the conversation of the module doc into ``folder``; file name -> bytes."""
    ann, bo, cy = f"Ann Lee <{ANN}>", f"Bo Chen <{BO}>", f"Cy Dunn <{CY}>"
    files = {
        "plan.eml": mail_bytes(sender=ann, to=bo, cc=cy, subject="Plan", minutes=0,
                               text="Zorvex will bring the maps on Friday.",
                               message_id=_id("plan")),
        "reply.eml": mail_bytes(sender=f"Bo Chen <{BO.upper()}>", to=f'"A. Lee" <{ANN}>',
                                subject="Re: Plan", text="Fine by me.", minutes=10,
                                message_id=_id("reply"), in_reply_to=_id("plan"),
                                references=[_id("plan")]),
        "followup.eml": mail_bytes(sender=ANN, to=bo, subject="Re: Plan", minutes=20,
                                   text="Quilmar joins us too.", message_id=_id("followup"),
                                   references=[_id("plan"), _id("reply")]),
        "orphan.eml": mail_bytes(sender=ann, to=bo, subject="Re: Budget", minutes=30,
                                 text="As discussed.", message_id=_id("orphan"),
                                 in_reply_to=_id("gone"), references=[_id("gone")]),
        "box.mbox": mbox_bytes([
            mail_bytes(sender=bo, to=ann, subject="Re: Budget", text="Agreed.", minutes=40,
                       message_id=_id("late"), in_reply_to=_id("orphan"),
                       references=[_id("gone"), _id("orphan")]),
            mail_bytes(sender=cy, to=bo, subject="Lunch", text="Noon?", minutes=50,
                       message_id=_id("other"))]),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def document_ids(data_dir: Path) -> dict[str, str]:
    """The stored documents of a data directory: file name (with its ``#`` part) -> id."""
    with closing(sqlite3.connect(f"file:{Path(data_dir) / 'enrich.sqlite'}?mode=ro",
                                 uri=True)) as db:
        rows = db.execute("SELECT id, uri FROM documents").fetchall()
    return {uri.rsplit("/", 1)[-1]: doc_id for doc_id, uri in rows}


def indexed_conversation(root: Path, *, with_text: bool = False) -> tuple[Path, dict[str, str]]:
    """The conversation (and with ``with_text`` a ``notes.txt`` that is no message) under
    ``root/docs``, indexed in-process with the correspondents skill into ``root/data``:
    (the data directory, :func:`document_ids`). Every file must index."""
    from enrich.indexer import IndexOptions, run_index  # the pipeline, only when asked

    docs = root / "docs"
    docs.mkdir()
    conversation(docs)
    if with_text:
        (docs / "notes.txt").write_text("Not a message.\n")
    summary = run_index(str(docs), IndexOptions(data_dir=root / "data", skillset=SKILLSET,
                                                workers=0))
    if summary.documents["failed"]:
        raise AssertionError(f"the conversation did not index: {summary.errors}")
    return root / "data", document_ids(root / "data")
