"""What the enrichment cache (:mod:`enrich.cache`) is keyed by.

* **cracked documents**: :func:`crack_key`, from the bytes' SHA-256, the item's
  name (the extension can decide the cracker) and size, the content type the source
  gave, and :func:`cracker_version` (a hash of the crackers' source files and the
  libraries they use, so any cracker change re-cracks). The item's URI and
  modification time are not part of the key: a moved or touched file hits.
* **skill outputs**: :func:`record_keys`, from :func:`skill_identity` (skill name and
  type, class ``version``, parameters after the constructor's defaults, model id, and
  the size and mtime of every file or folder a parameter names) and a hash of each
  record's *input values*. Hashing the inputs is what makes a change re-run exactly
  the skill that changed and the skills that read what it wrote: a new entity model
  misses for ``entities`` and for whatever reads entities, while OCR and captions,
  whose inputs (the image bytes) did not change, hit. The item's content hash is in
  the key implicitly, through the inputs; so identical pages or images in different
  files share one entry.

Left out of a skill's key: the instance's place in the tree (a skill sees only its
record), and the parameters its class declares in ``runtime_params`` (``device``,
``threads``, ``batch_size``...: how it runs, not what it outputs). The model id is
the skill's ``model`` *before* ``warm_up`` (cheap by contract), so a batch whose
records all hit loads no model. Not cached at all (:func:`cacheable`): corpus skills
(their outputs depend on the corpus so far) and skills whose class declares
``cacheable = False``.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from skills.base import Skill

from enrich import tree

__all__ = ["CRACK_VERSION", "cracker_version", "crack_key", "cacheable", "skill_identity",
           "record_keys", "Uncacheable"]

CRACK_VERSION = "1"  # bump when cracked documents change in a way the sources do not show
CRACKER_LIBRARIES = ("pypdfium2", "pdfplumber", "pdfminer.six", "pillow", "python-docx", "lxml",
                     "charset-normalizer")


# ------------------------------------------------------------------ cracked documents


@lru_cache(maxsize=1)
def cracker_version() -> str:
    """A hash of :data:`CRACK_VERSION`, the crackers' source files and their libraries'
    versions: any change re-cracks (cheap: skill outputs are keyed by their inputs, so
    documents that crack the same still hit every skill)."""
    import indexers.crackers

    digest = hashlib.sha256(CRACK_VERSION.encode())
    for path in sorted(Path(indexers.crackers.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in CRACKER_LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()[:16]


def crack_key(sha256: str, name: str, size: int | None = None,
              content_type: str | None = None, limits: str | None = None) -> str:
    """The key of an item's cracked documents: what the crackers read besides the URI
    and the modification time (``limits``: the run's container limits, when not the
    defaults)."""
    described = json.dumps([sha256, name, size, content_type, cracker_version()]
                           + ([limits] if limits else []))
    return "cracked:" + hashlib.sha256(described.encode()).hexdigest()


# ------------------------------------------------------------------ skill outputs


def cacheable(cls: type[Skill]) -> bool:
    """Whether the engine may cache this skill class's outputs: it declares them
    ``cacheable`` and they do not depend on the corpus so far (``needs_corpus``)."""
    return cls.cacheable and not cls.needs_corpus


def skill_identity(bound: Any) -> str:
    """What decides a bound skill's outputs besides its inputs (see the module docstring).

    Built on a fresh instance (``__init__`` is cheap by contract), so the model id is
    the same before and after ``warm_up`` in every process."""
    fresh = bound.cls(**bound.spec.params)
    params = getattr(fresh, "params", None)
    params = {name: value for name, value in
              (params if isinstance(params, dict) else bound.spec.params).items()
              if name not in bound.cls.runtime_params}
    try:
        model = fresh.model
    except Exception:  # noqa: BLE001 - the run reports a broken skill, not the key
        model = None
    described = {"name": bound.name, "skill": bound.spec.skill, "version": bound.cls.version,
                 "params": params, "model": model,
                 "files": _files_fingerprint([params, model])}
    text = json.dumps(described, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _files_fingerprint(values: Any) -> dict[str, Any]:
    """``{path: size and mtime}`` of every existing file or folder a value names
    (a dictionary file, a gallery folder, a local model folder)."""
    found: dict[str, Any] = {}
    for text in tree.strings(values):
        if len(text) > 1024 or "\n" in text or not os.path.exists(text):
            continue
        path = Path(text)
        if path.is_file():
            stat = path.stat()
            found[text] = [stat.st_size, stat.st_mtime_ns]
        elif path.is_dir():
            found[text] = _folder_fingerprint(path)
    return found


def _folder_fingerprint(folder: Path, limit: int = 10_000) -> str:
    digest = hashlib.sha256()
    for count, (root, dirs, files) in enumerate(os.walk(folder)):
        dirs.sort()
        for name in sorted(files):
            stat = os.stat(os.path.join(root, name))
            rel = os.path.relpath(os.path.join(root, name), folder)
            digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        if count >= limit:
            break
    return digest.hexdigest()


class Uncacheable(Exception):
    """A record holds a value the cache cannot hash; it runs, uncached."""


def record_keys(identity: str, records: list[dict[str, Any]],
                memo: dict[int, Any]) -> list[str | None]:
    """The key of each record's output; None where a value cannot be hashed.

    ``memo`` keeps the digests of large byte strings by object id for one batch (the
    same image bytes reach OCR, captions and ``merge``). Within one call, each dict
    or list of the tree is hashed once however many records hold it (``merge`` gets
    every image of the document in every page's record): the tree does not change
    while the keys of one skill are computed."""
    nodes: dict[int, Any] = {}
    return [_record_key(identity, record, memo, nodes) for record in records]


def _record_key(identity: str, record: dict[str, Any], memo: dict[int, Any],
                nodes: dict[int, Any]) -> str | None:
    digest = hashlib.sha256(identity.encode())
    try:
        for name in sorted(record):
            _feed(digest, name, memo, nodes)
            _feed(digest, record[name], memo, nodes)
    except Uncacheable:
        return None
    return "skill:" + digest.hexdigest()


def _feed(digest: Any, value: Any, memo: dict[int, Any], nodes: dict[int, Any]) -> None:
    """Type-tagged, length-prefixed, key-sorted: equal values give equal digests."""
    if value is None or isinstance(value, bool):
        digest.update(b"N" if value is None else b"T" if value else b"F")
    elif isinstance(value, int):
        digest.update(b"i%d;" % value)
    elif isinstance(value, float):
        digest.update(b"f" + repr(value).encode() + b";")
    elif isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
        digest.update(b"s%d:" % len(raw) + raw)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        digest.update(b"b" + _bytes_digest(value, memo))
    elif isinstance(value, (dict, list, tuple)):
        digest.update(b"c" + _node_digest(value, memo, nodes))
    elif callable(getattr(value, "tobytes", None)):  # numpy arrays and scalars, PIL images
        shape = getattr(value, "shape", None) or getattr(value, "size", None)
        kind = getattr(value, "dtype", None) or getattr(value, "mode", None)
        digest.update(f"a{type(value).__name__}:{shape}:{kind}:".encode())
        digest.update(_bytes_digest(value.tobytes(), memo))
    else:
        raise Uncacheable(type(value).__name__)


def _node_digest(value: Any, memo: dict[int, Any], nodes: dict[int, Any]) -> bytes:
    known = nodes.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    digest = hashlib.sha256()
    if isinstance(value, dict):
        digest.update(b"d%d:" % len(value))
        for key in sorted(value, key=repr):
            _feed(digest, key, memo, nodes)
            _feed(digest, value[key], memo, nodes)
    else:
        digest.update(b"l%d:" % len(value))
        for item in value:
            _feed(digest, item, memo, nodes)
    nodes[id(value)] = (value, digest.digest())
    return nodes[id(value)][1]


def _bytes_digest(data: Any, memo: dict[int, Any]) -> bytes:
    if len(data) < 4096:
        return hashlib.sha256(data).digest()
    known = memo.get(id(data))
    if known is None or known[0] is not data:
        known = memo[id(data)] = (data, hashlib.sha256(data).digest())
    return known[1]
