"""Containers: files whose members become documents of their own (archive members,
e-mail attachments, the messages of a mailbox).

A container cracker makes its own document (an archive lists its members, an e-mail
has its body) and hands its members to :func:`crack_members`, which cracks each one
with the normal :func:`~indexers.crackers.crack` - recursively, so a zip in a zip or a
zip attached to an e-mail is opened too - and returns the children's documents, which
follow the parent's in the list the cracker returns. A run indexes every one of them.

Children
--------
* ``uri``: the parent's URI and a fragment naming the member (:func:`member_uri`):
  ``file:///d/a.zip#member=docs/a.pdf``; a member of a member chains with ``&``:
  ``...a.zip#member=inner.zip&member=b.txt``; e-mail attachments are
  ``#attachment=report.pdf``, the messages of a mailbox ``#message=3``. The path is
  URL-quoted (``/`` kept).
* ``metadata``: ``parent`` (the parent's URI), ``path`` (the member's path inside the
  parent), ``file_name`` (the path's last part), ``size`` and, where the container
  says, ``modified``.

Names (:class:`MemberNames`)
----------------------------
A member's path is normalised so that it can never name anything outside its
container: backslashes become ``/``; drive letters (``C:``), leading ``/``, ``.`` and
``..`` parts and control characters are dropped (``../../etc/passwd`` ->
``etc/passwd``; the parent gets a warning). A path already taken (two members with one
name, or one that only differs before normalising) gets ``~2``, ``~3``... before its
extension. Nothing is ever written to disk: members are read into memory.

Limits (:class:`Limits`, per item: shared by every container nested in it)
----------------------------------------------------------------------------
``max_depth`` (3: a container inside a container inside a container is listed, its
members are not opened), ``max_members`` (10,000 in all), ``max_member_bytes`` (256 MiB
unpacked), ``max_total_bytes`` (1 GiB unpacked in all) and ``max_ratio`` (100:1 between
unpacked and packed size, for members that unpack to more than ``RATIO_FLOOR``, 1 MiB:
a zip bomb). All members together may unpack to ``max_ratio`` times the item's own size
(:func:`allowance`: at least 64 MiB, at most ``max_total_bytes``), so many members
under the floor cannot add up to a bomb. Every entry counts toward ``max_members``,
folders and empty files included (and then skipped). Sizes are checked on what the
container declares before reading and again on what is read, in chunks of 1 MiB, so a
lying header costs at most one chunk over the limit. A member over a limit, or one that
cannot be read or cracked, is left out with a warning on its parent that gives the
reason (the first 20 listed, then a count); the parent and the other members are
indexed. A run sets other limits with ``enrich index --unpack-limits``
(:func:`~.limits.parse_limits`); they reach every member through its blob.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any
from urllib.parse import quote

from .base import Blob, CrackError, storable_text
from .limits import LIMITS, RATIO_FLOOR, LimitExceeded, Limits, limits_of
from .rows import Problems

__all__ = [
    "CHUNK",
    "RATIO_FLOOR",
    "TOTAL_FLOOR",
    "allowance",
    "Limits",
    "Member",
    "MemberNames",
    "crack_members",
    "declared_problem",
    "depth_of",
    "member_uri",
    "read_member",
    "safe_path",
    "set_member_cracker",
]

CHUNK = 1 << 20  # bytes read at a time
TOTAL_FLOOR = 64 << 20  # an item's members may always unpack to this much in all
_STATE = "container"  # Blob.extra key: the nesting depth and the shared budget
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")




@dataclass
class Member:
    """One member: its path in the container and its bytes, or how to open them.

    ``size`` is the unpacked size the container declares, ``packed`` its stored size
    (both None when unknown); ``open`` returns a binary reader (closed after reading).
    """

    path: str
    data: bytes | None = None
    open: Callable[[], IO[bytes]] | None = None
    size: int | None = None
    packed: int | None = None
    modified: str | None = None
    mime_type: str | None = None
    skip: bool = False  # a folder or a link: listed, not cracked
    error: str | None = None  # why it cannot be read (encrypted...): left out with this


@dataclass
class _Budget:
    limits: Limits
    members: int = 0
    bytes: int = 0
    total: int = 0  # what the item's members may unpack to in all (see allowance)


@dataclass
class _State:
    depth: int
    budget: _Budget = field(repr=False)


_cracker: Callable[[Blob], list[dict[str, Any]]] | None = None


def set_member_cracker(crack: Callable[[Blob], list[dict[str, Any]]]) -> None:
    """Install the function that cracks members (``indexers.crackers`` installs its
    ``crack`` on import; this module cannot import it without an import circle)."""
    global _cracker
    _cracker = crack


def member_uri(parent_uri: str, path: str, key: str = "member") -> str:
    """``parent#key=path``, or ``parent&key=path`` when the parent is a member itself."""
    joint = "&" if "#" in parent_uri else "#"
    return f"{parent_uri}{joint}{key}={quote(path, safe='/')}"


def safe_path(name: str) -> str:
    """``name`` as a relative POSIX path that cannot leave its container ("" if nothing
    is left of it)."""
    name = _CONTROL.sub("", storable_text(name).replace("\\", "/"))
    name = _DRIVE.sub("", name)
    parts = [p for p in name.split("/") if p not in ("", ".", "..")]
    return "/".join(parts)


class MemberNames:
    """Unique safe paths for the members of one container."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.last: dict[str, int] = {}  # the last ~N given to a path: no re-probing

    def add(self, name: str, fallback: str) -> tuple[str, str | None]:
        """(the member's path, a warning when the name had to change)."""
        path = safe_path(name) or fallback
        base, ext = posixpath.splitext(path)
        unique, n = path, self.last.get(path, 1)
        while unique in self.taken:
            n += 1
            unique = f"{base}~{n}{ext}"
        self.last[path] = n
        self.taken.add(unique)
        if unique != name:
            if safe_path(name) != name.rstrip("/") or not safe_path(name):
                return unique, f"member name {name!r} is unsafe; indexed as {unique!r}"
            return unique, f"member name {name!r} is taken twice; indexed as {unique!r}"
        return unique, None


def depth_of(blob: Blob) -> int:
    """How deep ``blob`` sits inside containers (0: an item of the source)."""
    state = blob.extra.get(_STATE)
    return state.depth if isinstance(state, _State) else 0


def crack_members(parent: dict[str, Any], blob: Blob, members: Iterable[Member], *,
                  key: str = "member", limits: Limits | None = None) -> list[dict[str, Any]]:
    """The documents of ``members`` of ``blob`` (whose document is ``parent``): each
    cracked by the normal crackers. Problems become ``parent["warnings"]``."""
    state = blob.extra.get(_STATE)
    if not isinstance(state, _State):
        limits = limits or limits_of(blob)
        size = blob.size or len(blob.data)
        state = _State(0, _Budget(limits, total=allowance(size, limits)))
    problems, names, children = Problems(), MemberNames(), []
    budget = state.budget
    opened = state.depth < budget.limits.max_depth
    if not opened:
        problems.add(f"nested deeper than {budget.limits.max_depth} containers: "
                     "members listed, not opened")
    entries, number = iter(members), 0
    while True:
        try:  # a damaged listing ends the members where it breaks, as a warning
            member = next(entries)
        except StopIteration:
            break
        except (TimeoutError, MemoryError):
            raise
        except Exception as error:  # noqa: BLE001
            problems.add(f"damaged after {number} members ({type(error).__name__}: {error})")
            break
        number += 1
        # every entry counts, folders and empty files too: a listing of millions of
        # them costs time and memory even if none is cracked
        if budget.members >= budget.limits.max_members:
            problems.add(f"more than {budget.limits.max_members:,} members: the rest left out")
            break
        budget.members += 1
        if member.skip:
            continue
        path, renamed = names.add(member.path, f"{key}-{number}")
        if renamed:
            problems.add(renamed)
        if not opened or member.size == 0:
            continue
        if member.error:
            problems.add(f"{path}: {member.error}")
            continue
        try:
            children.extend(_crack_one(blob, member, path, key, state))
        except CrackError as error:
            problems.add(f"{path}: {error}")
        except (TimeoutError, MemoryError):
            raise  # the run's limits on the whole item, not this member's problem
        except Exception as error:  # noqa: BLE001 - a damaged member fails alone
            problems.add(f"{path}: cannot be read ({type(error).__name__}: {error})")
    for problem in problems.lines():
        parent["warnings"].append(problem)
    return children


def _crack_one(blob: Blob, member: Member, path: str, key: str,
               state: _State) -> list[dict[str, Any]]:
    if _cracker is None:
        raise CrackError("no member cracker installed (import indexers.crackers)")
    data = read_member(member, state.budget)
    if not data:
        return []
    uri = member_uri(blob.uri, path, key)
    child = Blob(uri=uri, name=posixpath.basename(path), data=data, size=len(data),
                 modified=member.modified or blob.modified, mime_type=member.mime_type,
                 extra={_STATE: replace(state, depth=state.depth + 1),
                        LIMITS: state.budget.limits})
    documents = _cracker(child)
    for document in documents:
        # the member itself, or a row of it (not a member of a member, whose parent is it)
        if "parent" not in document["metadata"]:
            document["metadata"].update(parent=blob.uri, path=path)
    return documents


def allowance(item_size: int, limits: Limits) -> int:
    """What all the members of an item of ``item_size`` bytes may unpack to together:
    ``max_ratio`` times its size (many members of 1 MiB each are never judged by their
    own ratio), at least ``TOTAL_FLOOR``, at most ``max_total_bytes``."""
    return min(limits.max_total_bytes, max(TOTAL_FLOOR, int(item_size * limits.max_ratio)))


def read_member(member: Member, budget: _Budget) -> bytes:
    """The member's bytes, within the limits (:class:`LimitExceeded` says which)."""
    limits = budget.limits
    total = budget.total or limits.max_total_bytes
    cap = min(limits.max_member_bytes, total - budget.bytes)
    _check_declared(member, limits, cap)
    if member.data is not None:
        data = member.data
        _check_read(len(data), member, limits, cap)
    else:
        data = _read_chunks(member, limits, cap)
    budget.bytes += len(data)
    return data


def declared_problem(member: Member, limits: Limits) -> str | None:
    """Why the sizes ``member`` declares are over a limit of its own, or None."""
    try:
        _check_declared(member, limits, min(limits.max_member_bytes, limits.max_total_bytes))
    except LimitExceeded as error:
        return str(error)
    return None


def _check_declared(member: Member, limits: Limits, cap: int) -> None:
    if member.size is not None:
        _check_read(member.size, member, limits, cap, declared=True)


def _check_read(size: int, member: Member, limits: Limits, cap: int,
                declared: bool = False) -> None:
    says = "declares" if declared else "unpacks to"
    if member.packed and size > RATIO_FLOOR and size / member.packed > limits.max_ratio:
        raise LimitExceeded(f"possible zip bomb: {says} {size:,} bytes from {member.packed:,}"
                            f" (ratio {size / member.packed:,.0f}:1, limit "
                            f"{limits.max_ratio:,.0f}:1)")
    if size > cap:
        which = ("the per-member limit" if cap == limits.max_member_bytes
                 else "what is left of the total limit")
        raise LimitExceeded(f"{says} {size:,} bytes, over {which} ({cap:,} bytes)")


def _read_chunks(member: Member, limits: Limits, cap: int) -> bytes:
    """The member's bytes, read a chunk at a time into one buffer whose value is taken
    without a copy (a list of chunks joined at the end needed twice the member)."""
    if member.open is None:
        return b""
    buffer = io.BytesIO()
    with member.open() as reader:
        while chunk := reader.read(CHUNK):
            buffer.write(chunk)
            _check_read(buffer.tell(), member, limits, cap)
    return buffer.getvalue()
