"""``enrich graph thread DOC``: the mail thread of a stored message, from the shell."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote

import typer
from rich.markup import escape

from enrich.cli.common import DataOption, JsonOption, console, emit_json
from enrich.cli.graph import graph_app, open_graph
from graph.threads import NotAMessage

__all__ = ["thread_command", "document_of"]

_ID = re.compile(r"[0-9a-f]{32}")


def document_of(doc: str) -> str:
    """The document id ``doc`` names: an id, a URI as indexed, or a file path (a part of
    a container after ``#``, as in ``box.mbox#message=2``)."""
    from enrich.records import document_id  # the pipe's modules, only when asked
    if _ID.fullmatch(doc):
        return doc
    if "://" in doc:
        return document_id(doc)
    path, hash_, part = doc.partition("#")
    return document_id(Path(path).expanduser().resolve().as_uri() + hash_ + _quoted(part))


def _quoted(part: str) -> str:
    """``message=2&attachment=my report.pdf`` as member URIs write it: each name
    URL-quoted (``/`` kept), whether it was typed quoted or not."""
    pieces = (piece.partition("=") for piece in part.split("&")) if part else ()
    return "&".join(f"{key}{eq}{quote(unquote(value), safe='/')}" for key, eq, value in pieces)


@graph_app.command("thread")
def thread_command(
    doc: Annotated[str, typer.Argument(help=(
        "The message: its document id (as `enrich search --json` shows it), or its file "
        "path or URI as indexed; a message in a mailbox is FILE#message=N, an attached "
        "one FILE#attachment=NAME."))],
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """The e-mail thread a message belongs to, by Message-ID, In-Reply-To and References:
    every message of it, each reply under the message it answers, oldest first."""
    doc_id = document_of(doc)
    with open_graph(data) as kg:
        thread = kg.thread(doc_id)
    if thread is None:
        raise NotAMessage(f"{doc!r} is not a stored e-mail message (no document "
                          f"{doc_id} with a Message-ID, In-Reply-To or References)")
    if json_output:
        emit_json(thread)
        return
    for m in thread["messages"]:
        mark = "[bold]>[/]" if m["doc_id"] == doc_id else " "
        who = ", ".join(m.get("from") or [])
        date = str(m.get("date") or "")[:16].replace("T", " ")
        missing = f"  (replies to {m['missing_parent']}, not indexed)" \
            if m["missing_parent"] else ""
        console.print(f"{mark} {'  ' * m['depth']}[bold]{escape(m['subject'] or m['title'] or '')}"
                      f"[/]  {escape(who)}  {date}  [dim]{m['doc_id']}{escape(missing)}[/]",
                      highlight=False, soft_wrap=True)
