"""E-mail crackers: RFC 5322 messages (.eml) and mbox mailboxes, with the stdlib
``email`` package (``policy.default``).

A message is one document: its ``metadata`` holds the headers ``from``, ``to``, ``cc``
(lists of addresses as written, ``Name <addr>``), ``date`` (ISO 8601), ``subject``
(also the ``title``), ``message_id``, ``in_reply_to`` and ``references`` (a list); its
one page is the body: the text/plain part, else the HTML part made text by the HTML
cracker. Every attachment (and an attached message) is a child document through
:func:`~.containers.crack_members`: ``...mail.eml#attachment=report.pdf``, with
``parent`` and ``path`` metadata; an attachment without a name is ``attachment-N``.
A mailbox is a document listing its messages (``subject - from``, one a line) and each
message a child ``...box.mbox#message=3`` (from 1), whose attachments chain:
``...box.mbox#message=3&attachment=a.pdf``. Header and body problems the parser
notes (``defects``) become warnings; a message with no header the parser recognises
raises :class:`CrackError`.
"""

from __future__ import annotations

import email
import mailbox
import os
import re
import tempfile
from email import policy
from email.message import EmailMessage
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .containers import Member, crack_members
from .text import HtmlCracker, decode_text

__all__ = ["EmailCracker", "MboxCracker", "decode_body", "html_text", "message_document",
           "message_headers"]

_ADDRESS_HEADERS = ("from", "to", "cc")
_UNQUOTE = re.compile(rb"(?m)^>(>*From )")  # mbox quoting of body lines
_KNOWN = ("from", "to", "cc", "subject", "date", "message-id")


class EmailCracker(Cracker):
    """message/rfc822 (.eml): the message, its attachments as child documents."""

    name = "email"
    mime_types = ("message/rfc822",)
    extensions = ("eml",)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        message = email.message_from_bytes(bytes(blob.data), policy=policy.default)
        if not any(message.get(name) for name in _KNOWN):
            raise CrackError("not an e-mail: no From, To, Subject, Date or Message-ID header")
        return message_document(blob, message)


def message_document(blob: Blob, message: EmailMessage) -> list[dict[str, Any]]:
    """The message's document followed by its attachments' documents."""
    headers, warnings = message_headers(message)
    doc = new_document(blob, title=headers.get("subject"), **headers)
    body, body_warnings = _body(message)
    doc["pages"] = [{"number": 1, "text": body, "needs_ocr": False}]
    doc["warnings"] = warnings + body_warnings + [_defect(d) for d in message.defects][:20]
    children = crack_members(doc, blob, _attachments(message), key="attachment")
    return [doc, *children]


def message_headers(message: EmailMessage) -> tuple[dict[str, Any], list[str]]:
    """The metadata of a message's headers (see the module docstring) and the warnings
    of the headers that could not be read; the .msg cracker reads transport headers
    with it too."""
    found: dict[str, Any] = {}
    warnings = []
    for name in ("subject", "message-id", "in-reply-to"):
        value = _header(message, name, warnings)
        if value:
            found[name.replace("-", "_")] = str(value).strip()
    for name in _ADDRESS_HEADERS:
        value = _header(message, name, warnings)
        if value is not None:
            addresses = [str(a) for a in getattr(value, "addresses", ()) if str(a)]
            found[name] = addresses or [str(value)]
    references = _header(message, "references", warnings)
    if references:
        found["references"] = str(references).split()
    date = _header(message, "date", warnings)
    if date is not None:
        stamp = getattr(date, "datetime", None)
        if stamp is not None:
            found["date"] = stamp.isoformat()
        elif str(date).strip():
            warnings.append(f"header date: not a date ({str(date).strip()[:60]!r})")
    return found, warnings


def _header(message: EmailMessage, name: str, warnings: list[str]) -> Any:
    try:
        return message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError) as error:  # malformed
        warnings.append(f"header {name}: unreadable ({error})")
        return None


def _body(message: EmailMessage) -> tuple[str, list[str]]:
    """The text/plain body, else the HTML one as text (no body: empty text)."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError, AttributeError):
        part = None
    if part is None:
        return "", []
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset()
    text, warnings = decode_body(data, charset)
    if part.get_content_subtype() == "html":
        return html_text(text), warnings
    return text.replace("\r\n", "\n").strip(), warnings


def html_text(html: str) -> str:
    """An HTML body as text, by the HTML cracker (the .msg cracker's HTML bodies too)."""
    page = Blob(uri="mem://body.html", name="body.html", data=html.encode("utf-8"),
                mime_type="text/html")
    text = HtmlCracker().crack(page)[0]["pages"][0]["text"]
    return text.replace("\r\n", "\n").strip()


def decode_body(data: bytes, charset: str | None) -> tuple[str, list[str]]:
    """A body's text in its declared charset; when that is wrong or unknown, decoded
    as a text file is (:func:`~.text.decode_text`), with a warning (the .msg cracker
    decodes its HTML bodies with it, in the message's code page)."""
    if not charset:
        return decode_text(data)
    try:
        return data.decode(charset), []
    except (LookupError, UnicodeDecodeError, ValueError):  # a charset name with a NUL
        text, warnings = decode_text(data)
        return text, [f"body is not valid {charset}: its encoding was worked out from "
                      "the bytes", *warnings]


def _attachments(message: EmailMessage):
    for number, part in enumerate(message.iter_attachments(), 1):
        name = part.get_filename() or f"attachment-{number}{_extension(part)}"
        try:
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                data = bytes(inner[0] if isinstance(inner, list) else inner)
            else:
                data = part.get_payload(decode=True) or b""
        except (ValueError, TypeError, IndexError, AttributeError) as error:
            yield Member(path=name, error=f"unreadable attachment ({error})")
            continue
        yield Member(path=name, data=data, size=len(data))


def _extension(part: EmailMessage) -> str:
    import mimetypes
    return {"message/rfc822": ".eml"}.get(part.get_content_type()) or \
        mimetypes.guess_extension(part.get_content_type()) or ""


def _defect(defect: Exception) -> str:
    return f"malformed message: {type(defect).__name__}" + (f" ({defect})" if str(defect) else "")


class MboxCracker(Cracker):
    """application/mbox: the mailbox lists its messages; each message a child document."""

    name = "mbox"
    mime_types = ("application/mbox",)
    extensions = ("mbox", "mbx")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        doc = new_document(blob)
        lines: list[str] = []
        with tempfile.TemporaryDirectory() as folder:  # mailbox reads files only
            path = os.path.join(folder, "box.mbox")
            with open(path, "wb") as file:
                file.write(blob.data)
            box = mailbox.mbox(path, factory=None, create=False)
            try:  # one message in memory at a time, cracked as it is read
                children = crack_members(doc, blob, _messages(box, lines), key="message")
                count = len(box)  # all of them, also past the members limit
            finally:
                box.close()
        if not lines:
            raise CrackError("not a mailbox: no message after a 'From ' line")
        if count > len(lines):
            lines.append(f"... and {count - len(lines):,} more")
        doc["metadata"]["message_count"] = count
        doc["pages"] = [{"number": 1, "text": "\n".join(lines), "needs_ocr": False}]
        return [doc, *children]


def _messages(box: mailbox.mbox, lines: list[str]):
    for number, key in enumerate(box.iterkeys(), 1):
        data = _UNQUOTE.sub(rb"\1", box.get_bytes(key))
        message = email.message_from_bytes(data, policy=policy.default)
        try:
            summary = f"{message.get('subject') or ''} - {message.get('from') or ''}"
        except (ValueError, TypeError, IndexError, AttributeError):
            summary = f"message {number}"
        lines.append(summary.strip(" -") or f"message {number}")
        yield Member(path=str(number), data=data, size=len(data), mime_type="message/rfc822")
