"""Content sniffing: which MIME type a blob really is.

Magic bytes decide binary formats; the file extension is only a tie-breaker
between text formats (a PDF named ``notes.txt`` is a PDF, a CSV named
``export.txt`` stays plain text). Order of the checks:

1. ``application/x-empty`` for 0 bytes;
2. binary magic: PDF (``%PDF-`` anywhere in the first KB, as readers allow
   leading junk), PNG, JPEG, GIF, BMP, TIFF, WebP, ZIP (DOCX, XLSX, PPTX when it
   holds ``word/document.xml``, ``xl/workbook.xml``, ``ppt/presentation.xml``),
   OLE2 compound files (Outlook .msg, password-protected OOXML, .doc, .xls, .ppt by
   the stream names in their directory),
   gzip, bzip2, xz, 7z, tar (``ustar`` at 257);
3. ``application/octet-stream`` for other binary data (NUL bytes or many
   control characters, unless a UTF-16 byte-order mark says text);
4. text: e-mail (a header block with ``From:``: message/rfc822; after a ``From ``
   line: application/mbox); HTML by its opening tag; then the extension (html/htm with markup,
   csv/tsv, jsonl/ndjson, md/markdown, txt); then the content (every line a
   JSON object -> NDJSON, a consistent delimiter -> CSV); else ``text/plain``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

__all__ = ["sniff", "DOCX", "XLSX", "PPTX", "XLSB", "NDJSON", "OLE2", "MSG", "ENCRYPTED_OOXML",
           "LEGACY_OFFICE"]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSB = "application/vnd.ms-excel.sheet.binary.macroEnabled.12"  # binary parts, not XML
# Office Open XML packages by the main part they hold (checked in this order)
_OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX),
                ("ppt/presentation.xml", PPTX), ("xl/workbook.bin", XLSB))
NDJSON = "application/x-ndjson"

HEAD = 1024  # bytes looked at for magic and text structure
_SIGNATURES = (  # (prefix, MIME type), checked at offset 0
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}  # BITMAP*HEADER sizes
_TEXT_CONTROLS = set(b"\t\n\r\f\b\x1b")
_EXTENSION_TYPES = {
    "csv": "text/csv", "tsv": "text/csv",
    "jsonl": NDJSON, "ndjson": NDJSON,
    "md": "text/markdown", "markdown": "text/markdown",
    "txt": "text/plain", "text": "text/plain", "log": "text/plain",
}
_HTML_START = re.compile(r"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)[\s>]", re.I | re.S)
_TAG = re.compile(r"<[a-zA-Z!/][^>]*>")


def sniff(data: bytes, name: str) -> str:
    """The MIME type of ``data``; ``name`` (a file name) only breaks ties for text."""
    if not data:
        return "application/x-empty"
    head = data[:HEAD]
    magic = _binary_type(data, head)
    if magic:
        return magic
    if _looks_binary(head):
        return "application/octet-stream"
    dot = name.rfind(".")
    return _text_type(head, name[dot + 1:].lower() if dot >= 0 else "", len(data) > HEAD)


def _binary_type(data: bytes, head: bytes) -> str | None:
    """The MIME type given by magic bytes, or None."""
    for prefix, mime in _SIGNATURES:
        if head.startswith(prefix):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if _is_bmp(head):
        return "image/bmp"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _ooxml_type(data) or "application/zip"
    if head[:8] == OLE2_MAGIC:
        return _ole2_type(data)
    if b"%PDF-" in head:
        return "application/pdf"
    return _archive_type(head)


_ARCHIVES = ((b"\x1f\x8b", "application/gzip"), (b"BZh", "application/x-bzip2"),
             (b"\xfd7zXZ\x00", "application/x-xz"),
             (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"))


def _archive_type(head: bytes) -> str | None:
    """gzip, bzip2, xz, 7z by their magic; tar by ``ustar`` at offset 257."""
    for prefix, mime in _ARCHIVES:
        if head.startswith(prefix) and (prefix != b"BZh" or head[3:4].isdigit()):
            return mime
    return "application/x-tar" if head[257:262] == b"ustar" else None


_MAIL_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
                 "mime-version", "delivered-to", "reply-to", "in-reply-to", "x-mailer"}
_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]*):[ \t]")


def _mail_type(text: str, truncated: bool) -> str | None:
    """message/rfc822 for text that starts with a block of header lines, two of them
    mail headers (From, To, Received...); application/mbox when a ``From `` line comes
    before it."""
    lines = text.lstrip("\ufeff").splitlines()
    lines = lines[:-1] if truncated and len(lines) > 1 else lines  # the last may be cut
    if lines and lines[0].startswith("From ") and not lines[0].startswith("From: "):
        return "application/mbox" if _mail_type("\n".join(lines[1:]), False) else None
    names = set()
    for line in lines:
        if not line.strip():
            break
        header = _HEADER_LINE.match(line)
        if header:
            names.add(header.group(1).lower())
        elif line[:1] not in (" ", "\t"):  # neither a header nor its continuation
            return None
    return "message/rfc822" if len(names & _MAIL_HEADERS) >= 2 else None


# OLE2 compound files (legacy Office, Outlook .msg, password-protected OOXML) by the
# name of a stream in their directory (UTF-16LE, NUL-terminated), first match wins: an
# .msg holding a .doc is an .msg; else the main stream that comes first in the file.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2 = "application/x-ole-storage"
MSG = "application/vnd.ms-outlook"
ENCRYPTED_OOXML = "application/x-encrypted-ooxml"  # OOXML inside an OLE2 EncryptedPackage
LEGACY_OFFICE = {"WordDocument": "application/msword", "Workbook": "application/vnd.ms-excel",
                 "Book": "application/vnd.ms-excel",
                 "PowerPoint Document": "application/vnd.ms-powerpoint"}
_MSG_STREAMS = ("__properties_version1.0\0", "__substg1.0_")  # every .msg has both


def _stream_name(name: str) -> bytes:
    return (name + "\0").encode("utf-16-le")


def _ole2_type(data: bytes) -> str:
    """MSG, ENCRYPTED_OOXML, a legacy Office type, or OLE2 for another compound file."""
    if any(name.encode("utf-16-le") in data for name in _MSG_STREAMS):
        return MSG
    if _stream_name("EncryptedPackage") in data:
        return ENCRYPTED_OOXML
    found = [(data.find(_stream_name(name)), mime) for name, mime in LEGACY_OFFICE.items()]
    found = [(at, mime) for at, mime in found if at >= 0]
    return min(found)[1] if found else OLE2


def _is_bmp(head: bytes) -> bool:
    """``BM`` alone is too weak ("BMW ..."); also check the DIB header size field."""
    if len(head) < 18 or head[:2] != b"BM":
        return False
    return int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES


def _ooxml_type(data: bytes) -> str | None:
    """DOCX/XLSX/PPTX for a zip holding its main part (``word/document.xml``, ...), else
    None; a damaged zip is judged by the member names in its first MB."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        return next((mime for part, mime in _OOXML_PARTS if part in names), None)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):  # unknown version
        head = data[:1 << 20]
        return next((mime for part, mime in _OOXML_PARTS if part.encode() in head), None)


def _looks_binary(head: bytes) -> bool:
    """NUL bytes or > 10% control characters, unless a UTF-16 BOM announces text."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS)
    return controls > len(head) // 10


def _text_type(head: bytes, extension: str, truncated: bool) -> str:
    """Text flavour: HTML tag, then extension, then content structure."""
    text = _decode_head(head)
    mail = _mail_type(text, truncated)
    if mail:
        return mail
    if _HTML_START.match(text.lstrip("\ufeff")):
        return "text/html"
    if extension in ("html", "htm", "xhtml"):
        return "text/html" if _TAG.search(text) else "text/plain"
    if extension in _EXTENSION_TYPES:
        return _EXTENSION_TYPES[extension]
    lines = _complete_lines(text, truncated)
    if _all_json_objects(lines):
        return NDJSON
    if _consistent_delimiter(lines):
        return "text/csv"
    return "text/plain"


def _decode_head(head: bytes) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def _complete_lines(text: str, truncated: bool) -> list[str]:
    """Non-empty lines of the head, without a last line cut off by the head limit."""
    lines = text.lstrip("\ufeff").splitlines()
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    return [line for line in lines if line.strip()]


def _all_json_objects(lines: list[str]) -> bool:
    if not lines:
        return False
    for line in lines:
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except ValueError:
            return False
    return True


def _consistent_delimiter(lines: list[str]) -> bool:
    """At least 3 lines that split into the same number (>= 2) of fields."""
    if len(lines) < 3:
        return False
    for delimiter in ",\t;|":
        if delimiter not in lines[0]:
            continue
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(counts) == 1 and counts.pop() >= 2:
            return True
    return False
