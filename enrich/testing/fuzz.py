"""Mutation fuzzing of the crackers: real files of every supported format, damaged in
random ways, cracked the way a run cracks them.

A run never crashes on a bad file (the worker turns any exception into that item's
failure), but a cracker that raises anything other than ``CrackError``, hangs, or
takes the process down is a bug to fix: the item's reason is then a stack-trace
fragment instead of a sentence. ``outcome`` classifies one input:

* ``ok``: documents, no warnings; ``partial``: documents with warnings (text recovered
  from a damaged file); ``failed``: a ``CrackError`` saying why;
* ``error``: any other exception (a bug); ``timeout``: over ``TIME_LIMIT`` seconds.

``seeds()`` are the samples' files (PDF, scanned PDF, PNG, JPEG, DOCX, CSV, Markdown)
plus generated HTML, JSON lines and plain text; ``mutate()`` flips, deletes, duplicates,
inserts, truncates and splices bytes; ``mutate_member()`` damages one member of a zip
(an Office file) and packs it again. The short run is a test
(``tests/indexers/test_crackers_fuzz.py``, hypothesis); the long one is
``python -m bench.fuzz_crackers``.
"""

from __future__ import annotations

import random
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["seeds", "mutate", "mutate_member", "outcome", "OUTCOMES", "TIME_LIMIT"]

OUTCOMES = ("ok", "partial", "failed", "error", "timeout")
TIME_LIMIT = 20  # seconds one input may take to crack
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"
_GENERATED = {
    "page.html": b"<html><head><title>Ferry notes</title><script>x()</script></head><body>"
                 b"<h1>Harbour</h1><p>The ferry left at dawn &amp; the gulls followed.</p>"
                 b"<table><tr><td>a</td><td>b</td></tr></table></body></html>",
    "rows.jsonl": b'{"id": 1, "text": "The ferry left.", "port": "North"}\n'
                  b'{"id": 2, "text": "It came back late.", "port": "South"}\n',
    "notes.txt": "Plain notes about a ferry, with an accent: Mu\u00f1oz.\n".encode(),
}


def seeds() -> dict[str, bytes]:
    """File name -> bytes: every supported format, from the samples where they have it."""
    found = {path.name: path.read_bytes() for path in sorted(SAMPLES.iterdir())
             if path.is_file() and path.suffix.lower() in
             (".pdf", ".png", ".jpg", ".jpeg", ".docx", ".csv", ".md")}
    from enrich.testing.office_factories import seed_files  # generated XLSX, PPTX, DOCX

    from enrich.testing.container_factories import seed_files as containers  # zip, tar, mail
    from enrich.testing.msg_factory import seed_files as messages  # Outlook .msg
    return {**found, **_GENERATED, **seed_files(), **containers(), **messages()}


def mutate(data: bytes, rng: random.Random, others: list[bytes] | None = None,
           steps: int | None = None) -> bytes:
    """``data`` damaged by 1 to 4 random edits (``steps``)."""
    out = bytearray(data)
    for _ in range(steps or rng.randint(1, 4)):
        if not out:
            out += rng.randbytes(rng.randint(1, 64))
            continue
        at = rng.randrange(len(out))
        size = rng.randint(1, max(1, min(4096, len(out) // 8)))
        kind = rng.choice(("flip", "delete", "duplicate", "insert", "truncate", "splice",
                           "zero"))
        if kind == "flip":
            for _ in range(rng.randint(1, 16)):
                spot = rng.randrange(len(out))
                out[spot] ^= 1 << rng.randrange(8)
        elif kind == "delete":
            del out[at:at + size]
        elif kind == "duplicate":
            out[at:at] = out[at:at + size]
        elif kind == "insert":
            out[at:at] = rng.randbytes(size)
        elif kind == "truncate":
            del out[at:]
        elif kind == "zero":
            out[at:at + size] = bytes(len(out[at:at + size]))
        elif others:
            other = rng.choice(others)
            start = rng.randrange(max(1, len(other)))
            out[at:at + size] = other[start:start + size]
    return bytes(out)


def mutate_member(data: bytes, rng: random.Random) -> bytes:
    """A zip (DOCX, XLSX, PPTX, an archive) re-packed with one member damaged by
    :func:`mutate`: the damage reaches the parser behind the zip's CRC checks, which
    turn almost every byte-level mutation of a zip into a plain "bad zip"."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    members = source.infolist()
    victim = rng.randrange(len(members))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for n, info in enumerate(members):
            body = source.read(info)
            target.writestr(info.filename, mutate(body, rng) if n == victim else body)
    return out.getvalue()


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """SIGALRM after ``seconds`` (main thread, POSIX); no limit elsewhere."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def stop(signum, frame):  # noqa: ARG001 - the signal handler's signature
        raise TimeoutError(f"over {seconds} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(name: str, data: bytes, time_limit: int = TIME_LIMIT) -> tuple[str, str]:
    """``(outcome, detail)`` of cracking ``data`` named ``name`` (see the module docstring)."""
    from indexers.crackers import Blob, CrackError, crack

    try:
        with _time_limit(time_limit):
            documents = crack(Blob(uri=f"file:///fuzz/{name}", name=name, data=data,
                                   size=len(data)))
    except CrackError as error:
        return "failed", str(error)
    except TimeoutError as error:
        return "timeout", str(error)
    except Exception as error:  # noqa: BLE001 - what the fuzzing is looking for
        return "error", f"{type(error).__name__}: {error}"
    unstorable = _unstorable(documents)
    if unstorable is not None:
        return "error", f"text a store cannot hold (not UTF-8): {unstorable!r}"
    warnings = [w for doc in documents for w in doc.get("warnings") or ()]
    return ("partial", warnings[0]) if warnings else ("ok", f"{len(documents)} documents")


def _unstorable(node: object) -> str | None:
    """The first string of a document tree that cannot be encoded as UTF-8, if any."""
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            return node[:80]
        return None
    items = (node.items() if isinstance(node, dict)
             else node if isinstance(node, (list, tuple)) else ())
    for item in items:
        found = _unstorable(item)
        if found is not None:
            return found
    return None
