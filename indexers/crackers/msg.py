"""Outlook messages (.msg, MS-OXMSG): the MAPI property streams of an OLE2 compound
file, read with olefile (BSD-2-Clause); no GPL code (extract-msg is GPL-3.0).

A message is one document shaped like an .eml's (:mod:`.mail`): ``metadata`` holds
``from``, ``to``, ``cc`` (and ``bcc`` when the file names them; lists of
``Name <addr>``), ``date`` (ISO 8601), ``subject`` (also the ``title``),
``message_id``, ``in_reply_to`` and ``references``; its one page is the body.

Where they come from: the transport headers (``PR_TRANSPORT_MESSAGE_HEADERS``, a
received message's RFC 5322 header block) are read first, with the stdlib parser as
for an .eml; what they lack comes from the properties: subject (0037), sender name and
SMTP address (0C1A, 5D01/0C1F), the recipient storages ``__recip_version1.0_#N``
(display name 3001, SMTP address 39FE/3003, type 0C15: To, Cc, Bcc; else the display
lists 0E04/0E03), date (client submit time 0039, else delivery time 0E06), ids
(1035, 1042, 1039). Strings are UTF-16LE (type 001F) or 8-bit (001E) in the message's
code page (3FFD, else 3FDE, else cp1252). The body is the plain text (1000), else the
HTML body (1013) made text by the HTML cracker; a body only in compressed RTF (1009)
is not read (a warning says so).

Attachments (``__attach_version1.0_#N``: long file name 3707, else 3704, else the
display name; data 3701) are child documents through
:func:`~.containers.crack_members`: ``...mail.msg#attachment=report.pdf``, within the
container limits. An attached message (3701 as a storage) is rewritten as RFC 5322
(``name.eml``) and cracked by the e-mail cracker, its own attachments included. An
S/MIME message (class ``IPM.Note.SMIME``) is indexed with a warning: an encrypted
body is not decrypted, a signature not checked. A file that is not a compound file,
is damaged, or has no property stream raises :class:`CrackError` with the reason.
"""

from __future__ import annotations

import codecs
import io
import struct
from datetime import datetime, timedelta, timezone
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import format_datetime
from typing import Any

import olefile

from .base import Blob, Cracker, CrackError, new_document
from .containers import Member, crack_members
from .mail import decode_body, html_text, message_headers
from .sniff import MSG

__all__ = ["MsgCracker"]

PROPERTIES = "__properties_version1.0"
_RECIPIENT, _ATTACHMENT = "__recip_version1.0_#", "__attach_version1.0_#"
_KINDS = {1: "to", 2: "cc", 3: "bcc"}
_CODECS = {65001: "utf-8", 20127: "ascii", 1200: "utf-16-le", 50220: "iso2022_jp",
           50221: "iso2022_jp", 50222: "iso2022_jp", 51932: "euc_jp", 52936: "hz",
           20866: "koi8_r", 21866: "koi8_u", **{28590 + n: f"iso8859_{n}" for n in range(1, 16)}}
_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_MAX_NESTING = 8  # messages attached to attached messages, rewritten as .eml
_DAMAGE = (OSError, ValueError, struct.error, IndexError, KeyError, TypeError,
           AttributeError, RecursionError, ZeroDivisionError, UnicodeError, MessageError)


class MsgCracker(Cracker):
    """application/vnd.ms-outlook (.msg): the message, its attachments as children."""

    name = "outlook-msg"
    mime_types = (MSG,)
    extensions = ("msg",)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        try:
            data = bytes(blob.data)
            ole = olefile.OleFileIO(io.BytesIO(data))
        except _DAMAGE as error:
            raise CrackError(f"damaged Outlook message (.msg): not a readable compound file "
                             f"({type(error).__name__}: {error})") from None
        with ole:
            try:
                _check_length(ole, data)
                message = _Object(ole, [], 32)
                metadata, body, warnings = _message(message)
            except _DAMAGE as error:
                raise CrackError(f"damaged Outlook message (.msg): "
                                 f"{type(error).__name__}: {error}") from None
            doc = new_document(blob, title=metadata.get("subject"), **metadata)
            doc["pages"] = [{"number": 1, "text": body, "needs_ocr": False}]
            doc["warnings"] = warnings + [f"damaged compound file: {issue}"
                                          for _kind, issue in ole.parsing_issues[:5]]
            children = crack_members(doc, blob, _attachments(message), key="attachment")
        return [doc, *children]


def _check_length(ole: Any, data: bytes) -> None:
    """A truncated file (its FAT uses sectors past the end) raises :class:`CrackError`
    (olefile reads missing sectors as nothing). The FAT sectors the header lists are
    read from the bytes: olefile cuts its FAT to the file's length."""
    size, sector = len(data), ole.sectorsize
    count = min(struct.unpack_from("<I", data, 0x2C)[0], 109)
    last = -1
    for n, at in enumerate(struct.unpack_from(f"<{count}I", data, 0x4C)):
        if at >= olefile.MAXREGSECT:
            continue
        table = data[(at + 1) * sector:(at + 2) * sector]
        if len(table) < sector:
            last = max(last, at)
            continue
        used = [i for i, v in enumerate(struct.unpack(f"<{sector // 4}I", table))
                if v != olefile.FREESECT]
        last = max([last, *(n * sector // 4 + i for i in used[-1:])])
    if (last + 2) * sector > size:
        raise CrackError(f"damaged Outlook message (.msg): truncated at {size:,} bytes, "
                         f"its sector table reaches byte {(last + 2) * sector:,}")
    if ole.parsing_issues and not ole.exists(PROPERTIES):
        raise CrackError("damaged Outlook message (.msg): " + "; ".join(
            issue for _kind, issue in ole.parsing_issues[:3]))


class _Object:
    """A message, recipient or attachment: the properties of one storage."""

    def __init__(self, ole: Any, path: list[str], header: int, codec: str | None = None):
        self.ole, self.path = ole, path
        table = self.stream(PROPERTIES)
        if table is None and not path:
            raise CrackError(f"not an Outlook message: no {PROPERTIES} stream in "
                             f"{'/'.join(path) or 'the root storage'}")
        self.fixed = {}
        for at in range(header, len(table or b"") - 15, 16):
            tag, _flags, value = struct.unpack_from("<IIQ", table, at)
            self.fixed[tag >> 16] = (tag & 0xFFFF, value)
        self.codec = codec or _codec(self.long(0x3FFD) or self.long(0x3FDE))

    def stream(self, name: str) -> bytes | None:
        path = "/".join([*self.path, name])
        if not self.ole.exists(path) or self.ole.get_type(path) != 2:  # STGTY_STREAM
            return None
        return self.ole.openstream(path).read()

    def text(self, prop: int) -> str | None:
        data = self.stream(f"__substg1.0_{prop:04X}001F")
        if data is not None:
            text = data.decode("utf-16-le", errors="replace")
        else:
            data = self.stream(f"__substg1.0_{prop:04X}001E")
            if data is None:
                return None
            text = data.decode(self.codec, errors="replace")
        return text.split("\0", 1)[0].strip() or None

    def long(self, prop: int) -> int | None:
        kind, value = self.fixed.get(prop, (None, 0))
        return value & 0xFFFFFFFF if kind == 0x0003 else None

    def time(self, prop: int) -> str | None:
        kind, value = self.fixed.get(prop, (None, 0))
        if kind != 0x0040 or not value:
            return None
        try:
            return (_EPOCH + timedelta(microseconds=value // 10)).isoformat()
        except OverflowError:
            return None

    def children(self, prefix: str) -> list[list[str]]:
        depth = len(self.path) + 1
        return sorted(entry for entry in self.ole.listdir(streams=False, storages=True)
                      if len(entry) == depth and entry[:-1] == self.path
                      and entry[-1].lower().startswith(prefix.lower()))


def _codec(codepage: int | None) -> str:
    name = _CODECS.get(codepage or 0, f"cp{codepage}" if codepage else "cp1252")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


def _message(message: _Object) -> tuple[dict[str, Any], str, list[str]]:
    """(metadata, body text, warnings) of a message."""
    metadata, warnings = {}, []
    headers = message.text(0x007D)
    if headers:
        first, _, rest = headers.lstrip().partition("\n")
        if ":" not in first:  # "Microsoft Mail Internet Headers Version 2.0"
            headers = rest
        parsed = HeaderParser(policy=policy.default).parsestr(headers)
        metadata, warnings = message_headers(parsed)
    for key, value in _properties(message).items():
        if value and not metadata.get(key):
            metadata[key] = value
    body, body_warnings = _body(message)
    return metadata, body, warnings + body_warnings + _smime(message)


def _properties(message: _Object) -> dict[str, Any]:
    """What the MAPI properties say of the headers."""
    found: dict[str, Any] = {"subject": message.text(0x0037),
                             "message_id": message.text(0x1035),
                             "in_reply_to": message.text(0x1042),
                             "date": message.time(0x0039) or message.time(0x0E06)}
    references = message.text(0x1039)
    if references:
        found["references"] = references.split()
    sender = _address(message.text(0x0C1A), message.text(0x5D01) or message.text(0x0C1F))
    if sender:
        found["from"] = [sender]
    found.update(_recipients(message))
    for key, prop in (("to", 0x0E04), ("cc", 0x0E03)):
        names = None if key in found else message.text(prop)
        if names:
            found[key] = [n.strip() for n in names.split(";") if n.strip()]
    return found


def _recipients(message: _Object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in message.children(_RECIPIENT):
        recipient = _Object(message.ole, path, 8, message.codec)
        address = _address(recipient.text(0x3001),
                           recipient.text(0x39FE) or recipient.text(0x3003))
        kind = _KINDS.get(recipient.long(0x0C15) or 1)
        if address and kind:
            found.setdefault(kind, []).append(address)
    return found


def _address(name: str | None, address: str | None) -> str | None:
    """``Name <addr>`` (an Exchange X.500 address, without ``@``, is left out)."""
    address = address if address and "@" in address else None
    if not address:
        return name
    try:
        return str(Address(display_name=name or "", addr_spec=address))
    except (ValueError, TypeError, IndexError, MessageError):  # an unparsable address
        return f"{name} <{address}>" if name else address


def _body(message: _Object) -> tuple[str, list[str]]:
    text = message.text(0x1000)
    if text:
        return text.replace("\r\n", "\n").strip(), []
    html = message.stream("__substg1.0_10130102")
    if html is not None:
        codepage = message.long(0x3FDE) or message.long(0x3FFD)
        text, warnings = decode_body(html, _codec(codepage) if codepage else None)
    else:
        text, warnings = message.text(0x1013), []
    if text:
        return html_text(text), warnings
    if message.stream("__substg1.0_10090102") is not None:
        return "", ["the body is in compressed RTF only, which is not read"]
    return "", []


def _smime(message: _Object) -> list[str]:
    kind = (message.text(0x001A) or "").lower()
    if not kind.startswith("ipm.note.smime"):
        return []
    if "multipartsigned" in kind:
        return ["signed (S/MIME) message: the signature is not checked"]
    return [("encrypted or opaque-signed (S/MIME) message: its content, in the smime.p7m "
             "attachment, is not decrypted")]


def _attachments(message: _Object, nesting: int = 0):
    for number, path in enumerate(message.children(_ATTACHMENT), 1):
        attachment = _Object(message.ole, path, 8, message.codec)
        name = (attachment.text(0x3707) or attachment.text(0x3704)
                or attachment.text(0x3001) or f"attachment-{number}")
        data_path = "/".join([*path, "__substg1.0_37010102"])
        inner = [*path, "__substg1.0_3701000D"]
        if message.ole.exists(data_path):
            size = message.ole.get_size(data_path)
            yield Member(path=name, size=size, open=lambda p=data_path: message.ole.openstream(p))
        elif message.ole.exists("/".join(inner)) and attachment.long(0x3705) != 6:
            yield _embedded(message, inner, name, nesting)
        else:
            yield Member(path=name, error="no data in the file (attached by reference or "
                                          "an OLE object)")


def _embedded(message: _Object, path: list[str], name: str, nesting: int) -> Member:
    """An attached message, as an .eml file."""
    stem = name[:-4] if name.lower().endswith((".msg", ".eml")) else name
    if nesting >= _MAX_NESTING:
        return Member(path=f"{stem}.eml", error=f"attached messages nested deeper than "
                                                f"{_MAX_NESTING}: not read")

    def open_eml() -> io.BytesIO:
        # on demand: crack_members checks its depth and count limits first, and turns
        # the CrackError into this attachment's warning
        try:
            return io.BytesIO(_as_eml(_Object(message.ole, path, 24, message.codec),
                                      nesting + 1))
        except _DAMAGE as error:
            raise CrackError(f"unreadable attached message "
                             f"({type(error).__name__}: {error})") from None

    return Member(path=f"{stem}.eml", open=open_eml, mime_type="message/rfc822")


_EML_HEADERS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("subject", "Subject"),
                ("date", "Date"), ("message_id", "Message-ID"),
                ("in_reply_to", "In-Reply-To"), ("references", "References"))


def _as_eml(message: _Object, nesting: int) -> bytes:
    metadata, body, _ = _message(message)
    eml = EmailMessage()
    for key, header in _EML_HEADERS:
        value = metadata.get(key)
        if key == "date" and value:
            value = format_datetime(datetime.fromisoformat(value))
        if value:
            text = ", ".join(value) if key in ("from", "to", "cc") else \
                " ".join(value) if isinstance(value, list) else value
            try:
                eml[header] = " ".join(text.split())  # no line breaks in a header
            except (ValueError, TypeError, IndexError, MessageError):
                continue
    eml.set_content(body or "")
    for member in _attachments(message, nesting):
        try:
            data = member.open().read() if member.open else None
        except CrackError:  # an unreadable attached message is left out
            data = None
        if data is not None:
            eml.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=member.path)
    return bytes(eml)
