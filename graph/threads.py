"""Mail threads: the stored messages grouped by Message-ID, In-Reply-To and References.

Pure functions over message headers (``doc_id``, ``message_id``, ``in_reply_to``,
``references``, ``date``...; the e-mail cracker's metadata), and the ``Threads``
mixin of ``KnowledgeGraph`` that reads them from the store
(``GraphReader.mail_headers``).

* A message's **chain** is its References followed by its In-Reply-To (message ids
  ``<...>``, in order, each once, its own id left out). Its **parent** is the last
  id of the chain that is a stored message (so a reply whose direct parent was never
  indexed still hangs under the nearest ancestor its References name); when the
  direct parent (the chain's last id) is not stored, ``missing_parent`` names it.
* A **thread** is a connected group of ids: a message joins every id of its chain,
  so two replies to the same missing message share a thread. Its ``id`` is the
  earliest message's id.
* Cycles (A replies to B, B to A: broken or forged headers) are cut at the earliest
  message of the cycle (by date, then document id), which becomes a root; nothing
  loops. Of several documents holding one message id (a message in two mailboxes),
  the first by uri is the one replies hang under.
* Order: roots and the replies of each message by date (undated last), then uri.

``build_threads(messages)`` gives every thread; ``thread_of(messages, doc_id)`` the
one holding a document (None for a document that is not a stored message). A thread
is ``{"id", "messages": [{doc_id, uri, title, subject, from, date, message_id,
parent (a doc id or None), depth, missing_parent (a message id or None)}]}``, the
messages depth first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from graph.errors import GraphError
from graph.reader import GraphReader, in_snapshot

__all__ = ["Threads", "NotAMessage", "build_threads", "thread_of", "message_ids"]

_ID = re.compile(r"<[^<>\s]+>")


class NotAMessage(GraphError):
    """A thread was asked of a document that is not a stored e-mail message."""

    code = "E830"


def message_ids(value: Any) -> list[str]:
    """The ``<...>`` message ids in a header value (a string or a list of them), in
    order; a bare id without brackets counts when it is the whole value."""
    if not value:
        return []
    parts = [value] if isinstance(value, str) else [str(v) for v in value if v]
    found = []
    for part in parts:
        ids = _ID.findall(part)
        bare = part.strip()
        found.extend(ids or ([f"<{bare}>"] if bare and " " not in bare else []))
    return found


def _own_id(message: Mapping[str, Any]) -> str | None:
    ids = message_ids(message.get("message_id"))
    return ids[0] if ids else None


def _chain(message: Mapping[str, Any]) -> list[str]:
    own = _own_id(message)
    chain = message_ids(message.get("references"))
    direct = message_ids(message.get("in_reply_to"))[:1]
    chain = [i for i in chain if i not in direct] + direct
    return [i for i in dict.fromkeys(chain) if i != own]


def _timestamp(date: Any) -> float | None:
    """An ISO 8601 date as seconds (a date without a zone taken as UTC), else None."""
    try:
        stamp = datetime.fromisoformat(str(date))
    except (TypeError, ValueError):
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).timestamp()


def _order(message: Mapping[str, Any]) -> tuple:
    stamp = _timestamp(message.get("date")) if message.get("date") else None
    return (stamp is None, stamp or 0.0, str(message.get("uri") or ""),
            str(message["doc_id"]))


class _Groups:
    """Union-find over message ids (and documents without one)."""

    def __init__(self) -> None:
        self.up: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = item
        while self.up.setdefault(root, root) != root:
            root = self.up[root]
        while self.up[item] != root:  # path compression
            self.up[item], item = root, self.up[item]
        return root

    def join(self, a: str, b: str) -> None:
        self.up[self.find(a)] = self.find(b)


def _parents(messages: list[dict[str, Any]]) -> dict[str, str | None]:
    """Each document's parent document (cycles cut); ``missing_parent`` set."""
    holder: dict[str, str] = {}  # message id -> the document replies hang under
    for m in sorted(messages, key=lambda m: (str(m.get("uri") or ""), str(m["doc_id"]))):
        own = _own_id(m)
        if own:
            holder.setdefault(own, m["doc_id"])
    parent: dict[str, str | None] = {}
    for m in messages:
        chain = _chain(m)
        known = [holder[i] for i in chain if i in holder and holder[i] != m["doc_id"]]
        parent[m["doc_id"]] = known[-1] if known else None
        m["missing_parent"] = chain[-1] if chain and chain[-1] not in holder else None
    _cut_cycles(parent, {m["doc_id"]: m for m in messages})
    return parent


def _cut_cycles(parent: dict[str, str | None], by_id: dict) -> None:
    """Cut every cycle of parent links at its earliest message; each link is followed
    once (a document whose ancestors were checked is not walked again)."""
    done: set[str] = set()
    for start in sorted(parent, key=lambda d: _order(by_id[d])):
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent.get(node)
        if node is not None and node in on_path:  # a cycle from ``node`` back to it
            cycle = path[path.index(node):]
            parent[min(cycle, key=lambda d: _order(by_id[d]))] = None
        done.update(path)


def _entry(m: Mapping[str, Any], parent: str | None, depth: int) -> dict[str, Any]:
    return {"doc_id": m["doc_id"], "uri": m.get("uri"), "title": m.get("title"),
            "subject": m.get("subject"), "from": m.get("from"), "date": m.get("date"),
            "message_id": _own_id(m), "parent": parent, "depth": depth,
            "missing_parent": m.get("missing_parent")}


def _flatten(roots: list[str], children: dict[str, list[str]],
             by_id: dict[str, dict], parent: dict[str, str | None]) -> list[dict]:
    out: list[dict] = []
    stack = [(doc, 0) for doc in reversed(roots)]
    seen: set[str] = set()
    while stack:
        doc, depth = stack.pop()
        if doc in seen:
            continue
        seen.add(doc)
        out.append(_entry(by_id[doc], parent[doc], depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(doc, [])))
    return out


def _grouped(items: list[dict[str, Any]]) -> dict[str, str]:
    """Each document's thread group: documents joined through the ids they name."""
    groups = _Groups()
    for m in items:
        groups.find(f"doc:{m['doc_id']}")
        for i in ([_own_id(m)] if _own_id(m) else []) + _chain(m):
            groups.join(f"doc:{m['doc_id']}", i)
    return {m["doc_id"]: groups.find(f"doc:{m['doc_id']}") for m in items}


def build_threads(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every thread of ``messages`` (see the module doc), the earliest thread first."""
    items = [dict(m) for m in messages]
    by_id = {m["doc_id"]: m for m in items}
    parent, group = _parents(items), _grouped(items)
    members: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for doc in sorted(by_id, key=lambda d: _order(by_id[d])):
        members.setdefault(group[doc], []).append(doc)
        if parent[doc] is not None:
            children.setdefault(parent[doc], []).append(doc)
    threads = []
    for docs in members.values():
        roots = [d for d in docs if parent[d] is None]
        entries = _flatten(roots, children, by_id, parent)
        threads.append({"id": entries[0]["message_id"] or entries[0]["doc_id"],
                        "messages": entries})
    return threads


def thread_of(messages: Iterable[Mapping[str, Any]], doc_id: str) -> dict[str, Any] | None:
    """The thread holding document ``doc_id``, or None when it is not a message (only
    that thread's messages are ordered and linked)."""
    items = [dict(m) for m in messages]
    group = _grouped(items)
    if doc_id not in group:
        return None
    return build_threads(m for m in items if group[m["doc_id"]] == group[doc_id])[0]


class Threads:
    """The mail-thread queries of ``KnowledgeGraph`` (a mixin over ``reader``)."""

    reader: GraphReader

    @in_snapshot
    def threads(self) -> list[dict[str, Any]]:
        """Every mail thread of the store (see the module doc)."""
        return build_threads(self.reader.mail_headers())

    @in_snapshot
    def thread(self, doc_id: str) -> dict[str, Any] | None:
        """The thread of the stored message ``doc_id``; None for another document."""
        return thread_of(self.reader.mail_headers(), doc_id)
