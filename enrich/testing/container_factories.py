"""Containers for tests, made in code: zips, tars, e-mails and mailboxes with members
and attachments of real formats, and their bad variants (truncated, encrypted, bombs,
unsafe names, deep nesting)."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

__all__ = [
    "email_bytes",
    "encrypted_zip",
    "mbox_bytes",
    "nested_zip",
    "seed_files",
    "sevenzip_bytes",
    "tar_bytes",
    "zip_bomb",
    "zip_bytes",
]


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``members`` (path -> bytes), in that order; names are kept as given
    (``../x`` included)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 5, 1, 12, 0, 0)), data,
                             compress_type=compression)
    return out.getvalue()


def tar_bytes(members: dict[str, bytes], compression: str = "gz") -> bytes:
    """A tar of ``members``; ``compression``: "", "gz", "bz2" or "xz"."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=f"w:{compression}" if compression else "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1714564800
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def nested_zip(depth: int, leaf: bytes = b"the innermost words") -> bytes:
    """A zip holding a zip ... ``depth`` levels deep, a text file in the innermost."""
    data = zip_bytes({"leaf.txt": leaf})
    for level in range(depth - 1, 0, -1):
        data = zip_bytes({f"level{level + 1}.zip": data})
    return data


def encrypted_zip(members: dict[str, bytes], encrypted: set[str]) -> bytes:
    """A zip whose members named in ``encrypted`` carry the encryption flag (bit 0 of
    the local and central headers), as a password-protected (ZipCrypto) member does;
    their bytes are scrambled."""
    scrambled = {name: bytes(12) + bytes(b ^ 0x5A for b in data) if name in encrypted
                 else data for name, data in members.items()}
    out = bytearray(zip_bytes(scrambled, compression=zipfile.ZIP_STORED))
    with zipfile.ZipFile(io.BytesIO(bytes(out))) as archive:
        infos = archive.infolist()
    central = out.index(b"PK\x01\x02")
    for info in infos:
        if info.filename in encrypted:
            out[info.header_offset + 6] |= 0x1  # local header flags
            spot = out.index(b"PK\x01\x02", central)
            while out[spot + 46: spot + 46 + len(info.filename)] != info.filename.encode():
                spot = out.index(b"PK\x01\x02", spot + 4)
            out[spot + 8] |= 0x1  # central directory flags
    return bytes(out)


def zip_bomb(unpacked: int = 64 << 20, *, lie: bool = False) -> bytes:
    """A zip of one member of ``unpacked`` zero bytes (deflate: about 1000:1). With
    ``lie=True`` its headers declare 1 KB, so only reading can find the ratio out."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk, packed = bytes(1 << 20), []
    for _ in range(unpacked >> 20):
        packed.append(packer.compress(chunk))
    packed.append(packer.flush())
    body = b"".join(packed)
    crc = 0
    for _ in range(unpacked >> 20):
        crc = zlib.crc32(chunk, crc)
    declared = 1024 if lie else unpacked
    name = b"zeros.txt"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body),
                        declared, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(body),
                          declared, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central),
                      len(local) + len(body), 0)
    return local + body + central + end


def email_bytes(*, subject: str = "Quarterly figures",
                sender: str = "Ada Lovelace <ada@example.org>",
                to: str = "Charles Babbage <charles@example.org>", cc: str | None = None,
                text: str | None = None, html: str | None = None,
                attachments: dict[str, tuple[bytes, str]] | None = None,
                in_reply_to: str | None = None, message_id: str | None = None,
                date: datetime | None = None) -> bytes:
    """An RFC 5322 message: text and/or HTML body, attachments (name -> (bytes, MIME
    type))."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    if cc:
        message["Cc"] = cc
    message["Date"] = format_datetime(date or datetime(2024, 5, 1, 9, 30, tzinfo=UTC))
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, (data, mime) in (attachments or {}).items():
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def mbox_bytes(messages: list[bytes]) -> bytes:
    """An mbox file of ``messages`` (``From `` lines; body lines starting "From " quoted)."""
    parts = []
    for message in messages:
        body = b"\n".join(b">" + line if line.startswith(b"From ") else line
                          for line in message.replace(b"\r\n", b"\n").split(b"\n"))
        parts.append(b"From sender@example.org Wed May  1 09:30:00 2024\n" + body.rstrip(b"\n")
                     + b"\n\n")
    return b"".join(parts)


def sevenzip_bytes(members: dict[str, bytes], password: str | None = None) -> bytes:
    """A 7z archive of ``members`` (py7zr), encrypted with ``password`` when given."""
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password=password) as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()


def seed_files() -> dict[str, bytes]:
    """File name -> bytes: a small file of every container format, for the fuzzing
    harness (enrich/testing/fuzz.py) and the crackers' contract test."""
    inner = zip_bytes({"inner/notes.md": b"# Harbour\n\nThe ferry left at dawn.\n"})
    return {
        "members.zip": zip_bytes({"a.txt": b"Plain words about a ferry.", "inner.zip": inner}),
        "members.tar.gz": tar_bytes({"docs/a.txt": b"Tar words.", "b.md": b"# B\n"}, "gz"),
        "message.eml": email_bytes(text="The ferry left at dawn.", html="<p>The ferry</p>",
                                   attachments={"a.txt": (b"Attached words.", "text/plain")}),
        "members.7z": sevenzip_bytes({"a.txt": b"Seven words.", "b.md": b"# B\n"}),
        "box.mbox": mbox_bytes([email_bytes(subject=f"Note {n}", text=f"Body {n}.")
                                for n in (1, 2)]),
    }
