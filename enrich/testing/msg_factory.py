"""Outlook ``.msg`` files for the tests, written from scratch: a small compound file
(MS-CFB) writer and the MAPI property layout of MS-OXMSG on top of it.

:func:`compound_file` writes a version 3 compound file (512-byte sectors) from a tree of
streams (bytes) and storages (mappings): the header, the FAT, the directory, the mini
FAT and mini stream (streams under 4096 bytes, where readers such as olefile look for
them) and the regular sectors. The directory's red-black trees are all black, each
storage's children a right-leaning chain in the CFB name order (length, then upper
case), which is a valid tree. :func:`~enrich.testing.office_factories.ole2` writes its
legacy Office stand-ins with it too.

:func:`outlook_message` writes a message: subject, plain and HTML bodies, transport
headers, sender, recipients (To/Cc/Bcc), dates, message ids, attachments (bytes, or a
nested message given as a mapping of the same arguments: an embedded message).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any, Union

__all__ = ["compound_file", "outlook_message", "message_tree", "filetime", "seed_files"]

Tree = Mapping[str, Union[bytes, "Tree"]]
SECTOR, MINI, CUTOFF = 512, 64, 4096
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def _name_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def _flatten(tree: Tree) -> list[dict[str, Any]]:
    """Directory entries in id order (root first), children linked as right chains."""
    entries: list[dict[str, Any]] = [{"name": "Root Entry", "kind": _ROOT, "child": _NONE,
                                      "right": _NONE, "data": b""}]

    def add(parent: dict[str, Any], children: Tree) -> None:
        previous = None
        for name in sorted(children, key=_name_key):
            value = children[name]
            entry = {"name": name, "child": _NONE, "right": _NONE,
                     "kind": _STREAM if isinstance(value, (bytes, bytearray)) else _STORAGE,
                     "data": bytes(value) if isinstance(value, (bytes, bytearray)) else b""}
            entries.append(entry)
            if previous is None:
                parent["child"] = len(entries) - 1
            else:
                previous["right"] = len(entries) - 1
            previous = entry
            if entry["kind"] == _STORAGE:
                add(entry, value)

    add(entries[0], tree)
    return entries


def _chain(start: int, count: int) -> list[int]:
    return [*range(start + 1, start + count), _END] if count else []


def compound_file(tree: Tree) -> bytes:
    """The bytes of a compound file holding ``tree`` (name -> bytes or sub-tree)."""
    entries = _flatten(tree)
    mini, minifat, big = bytearray(), [], []
    for entry in entries:
        data = entry["data"]
        if entry["kind"] != _STREAM or not data:
            entry["start"] = _END if entry["kind"] == _STREAM else 0
        elif len(data) < CUTOFF:
            entry["start"] = len(mini) // MINI
            count = -(-len(data) // MINI)
            minifat += _chain(entry["start"], count)
            mini += data.ljust(count * MINI, b"\0")
        else:
            big.append(entry)
    dir_n = -(-len(entries) // 4)
    minifat_n = -(-len(minifat) * 4 // SECTOR)
    mini_n = -(-len(mini) // SECTOR)
    big_n = [-(-len(e["data"]) // SECTOR) for e in big]
    others = dir_n + minifat_n + mini_n + sum(big_n)
    fat_n = 1
    while fat_n * SECTOR // 4 < others + fat_n:
        fat_n += 1
    assert fat_n <= 109, "too large for a header-only DIFAT"
    fat = [_FAT] * fat_n + _chain(fat_n, dir_n)
    minifat_start = len(fat) if minifat_n else _END
    fat += _chain(len(fat), minifat_n)
    mini_start = len(fat) if mini_n else _END
    fat += _chain(len(fat), mini_n)
    for entry, count in zip(big, big_n):
        entry["start"] = len(fat)
        fat += _chain(len(fat), count)
    entries[0].update(start=mini_start, data=bytes(mini))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH6xIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, fat_n, fat_n, 0)
              + struct.pack("<IIIII", CUTOFF, minifat_start, minifat_n, _END, 0)
              + struct.pack("<109I", *range(fat_n), *([_FREE] * (109 - fat_n))))
    body = [struct.pack(f"<{fat_n * SECTOR // 4}I", *fat,
                        *([_FREE] * (fat_n * SECTOR // 4 - len(fat))))]
    directory = b"".join(_entry(e) for e in entries)
    body.append(directory.ljust(dir_n * SECTOR, b"\0") if len(entries) % 4 == 0 else
                (directory + _unused() * (4 - len(entries) % 4)))
    body.append(struct.pack(f"<{len(minifat)}I", *minifat).ljust(minifat_n * SECTOR, b"\xff"))
    body.append(bytes(mini).ljust(mini_n * SECTOR, b"\0"))
    body += [e["data"].ljust(n * SECTOR, b"\0") for e, n in zip(big, big_n)]
    return header + b"".join(body)


def _entry(entry: dict[str, Any]) -> bytes:
    encoded = (entry["name"] + "\0").encode("utf-16-le")
    assert len(encoded) <= 64, f"name too long for a compound file: {entry['name']}"
    return (encoded.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(encoded), entry["kind"], 1, _NONE, entry["right"],
                          entry["child"])
            + bytes(16 + 4 + 16) + struct.pack("<IQ", entry["start"], len(entry["data"])))


def _unused() -> bytes:
    return bytes(64) + struct.pack("<HBB3I", 0, 0, 0, _NONE, _NONE, _NONE) + bytes(36) \
        + struct.pack("<IQ", 0, 0)


# --- MS-OXMSG: property streams ---------------------------------------------------

UNICODE, STRING8, BINARY, LONG, SYSTIME, OBJECT = 0x001F, 0x001E, 0x0102, 0x0003, 0x0040, 0x000D


def filetime(moment: datetime) -> int:
    """100-nanosecond intervals since 1601-01-01 UTC (a PT_SYSTIME value)."""
    epoch = datetime(1601, 1, 1, tzinfo=timezone.utc)
    return int((moment - epoch).total_seconds() * 10_000_000)


class _Props:
    """Collects the streams and the ``__properties_version1.0`` table of one object."""

    def __init__(self, header: bytes, ansi: str | None = None) -> None:
        self.header, self.ansi, self.rows, self.tree = header, ansi, [], {}

    def text(self, prop: int, value: str | None) -> None:
        if value is None:
            return
        if self.ansi:
            self.stream(prop, STRING8, value.encode(self.ansi) + b"\0")
        else:
            self.stream(prop, UNICODE, value.encode("utf-16-le") + b"\0\0")

    def stream(self, prop: int, kind: int, data: bytes) -> None:
        self.tree[f"__substg1.0_{prop:04X}{kind:04X}"] = data
        self.rows.append(struct.pack("<IIII", prop << 16 | kind, 6, len(data), 0))

    def fixed(self, prop: int, kind: int, value: int) -> None:
        self.rows.append(struct.pack("<IIQ", prop << 16 | kind, 6, value))

    def done(self) -> dict[str, Any]:
        self.tree["__properties_version1.0"] = self.header + b"".join(self.rows)
        return self.tree


def message_tree(*, subject: str | None = None, body: str | None = None,
                 html: str | bytes | None = None, headers: str | None = None,
                 sender: tuple[str, str] | None = None,
                 recipients: list[tuple[str, str, int]] = (),
                 attachments: list[tuple[str, bytes | Mapping[str, Any]]] = (),
                 date: datetime | None = None, message_id: str | None = None,
                 in_reply_to: str | None = None, references: str | None = None,
                 display_to: str | None = None, message_class: str = "IPM.Note",
                 ansi: str | None = None, rtf_only: bool = False,
                 embedded: bool = False) -> dict[str, Any]:
    """The storage tree of a message (see :func:`outlook_message`)."""
    header = bytes(24) if embedded else struct.pack(
        "<8xIIII8x", len(recipients), len(attachments), len(recipients), len(attachments))
    props = _Props(header, ansi)
    if ansi:
        props.fixed(0x3FFD, LONG, int(ansi.removeprefix("cp")))
    props.text(0x001A, message_class)
    props.text(0x0037, subject)
    props.text(0x1000, body)
    if html is not None:
        props.stream(0x1013, BINARY,  # in the code page, as Outlook writes it
                     html.encode(ansi or "utf-8") if isinstance(html, str) else html)
    if rtf_only:
        props.stream(0x1009, BINARY, b"\x2d\x00\x00\x00" + bytes(12))
    props.text(0x007D, headers)
    if sender:
        props.text(0x0C1A, sender[0])
        props.text(0x5D01, sender[1])
    props.text(0x0E04, display_to)
    props.text(0x1035, message_id)
    props.text(0x1042, in_reply_to)
    props.text(0x1039, references)
    if date:
        props.fixed(0x0039, SYSTIME, filetime(date))
    for n, (name, address, kind) in enumerate(recipients):
        recipient = _Props(bytes(8), ansi)
        recipient.text(0x3001, name)
        recipient.text(0x39FE, address)
        recipient.fixed(0x0C15, LONG, kind)
        props.tree[f"__recip_version1.0_#{n:08X}"] = recipient.done()
    for n, (name, content) in enumerate(attachments):
        props.tree[f"__attach_version1.0_#{n:08X}"] = _attachment(name, content, ansi)
    return props.done()


def _attachment(name: str, content: bytes | Mapping[str, Any], ansi: str | None):
    attachment = _Props(bytes(8), ansi)
    attachment.text(0x3707, name)
    if isinstance(content, Mapping):
        attachment.fixed(0x3705, LONG, 5)  # ATTACH_EMBEDDED_MSG
        attachment.tree["__substg1.0_3701000D"] = message_tree(**content, embedded=True)
        attachment.rows.append(struct.pack("<IIII", 0x3701 << 16 | OBJECT, 6, _NONE, 0))
    else:
        attachment.fixed(0x3705, LONG, 1)  # ATTACH_BY_VALUE
        attachment.stream(0x3701, BINARY, bytes(content))
    return attachment.done()


def outlook_message(path: str | PathLike, **message: Any) -> Path:
    """Write an Outlook message to ``path``; the arguments are :func:`message_tree`'s:
    ``recipients`` are ``(name, address, kind)`` with kind 1 To, 2 Cc, 3 Bcc;
    ``attachments`` are ``(file name, bytes or a mapping of these arguments)``;
    ``ansi`` (a code page such as ``"cp1252"``) writes 8-bit strings instead of UTF-16."""
    Path(path).write_bytes(compound_file(message_tree(**message)))
    return Path(path)


def seed_files() -> dict[str, bytes]:
    """One small message with recipients and an attachment, for the fuzzing seeds."""
    tree = message_tree(subject="Ferry timetable", body="The ferry leaves at dawn.",
                        sender=("Ada Quay", "ada@harbour.example"),
                        recipients=[("Ben Pier", "ben@harbour.example", 1)],
                        date=datetime(2024, 5, 1, 7, tzinfo=timezone.utc),
                        attachments=[("notes.txt", b"Gulls followed the ferry.\n")])
    return {"mail.msg": compound_file(tree)}
