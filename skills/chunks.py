"""Page-aware passages of a document for the embeddings skill.

``ChunkSkill`` (``chunks``) cuts each page's text into overlapping chunks whose size
is counted in tokens of the embedding model (its own tokenizer, so a chunk fits the
model without truncation). A chunk never crosses a page. Each chunk is
``{"text", "page", "start", "end", "index"}``: ``page`` is the page number,
``page_text[start:end] == text``, ``index`` counts the document's chunks from 0.

Cutting. A page is tokenized once (no special tokens) with its offset mapping. A
chunk starts at token ``s`` and ends at the last sentence boundary
(:func:`graph.normalize.sentence_spans`) that keeps it within the budget (``max_tokens``
less the model's special tokens); with none, at the last word start; with none (one
huge word), at the budget. The next chunk starts at the first word start at or after
``end - overlap_tokens``, so consecutive chunks share at most ``overlap_tokens``
tokens and never cut a word in two at their start (they share none when the word
before the cut is longer than the overlap).
"""

from __future__ import annotations

import bisect
from typing import Any, ClassVar, Sequence

from enrich.errors import ConfigError
from graph.normalize import sentence_spans
from skills.base import ModelRef, Record, RunContext, Skill, SkillError
from skills.sentence_model import DEFAULT_MODEL, load_tokenizer, model_folder, model_id, \
    model_refs, read_pooling, sequence_limit

__all__ = ["ChunkSkill", "cut_points"]


def cut_points(offsets: Sequence[tuple[int, int]], sentence_starts: Sequence[int],
               budget: int, overlap: int) -> list[tuple[int, int]]:
    """Token ranges ``[s, e)`` of the chunks of one page (see the module docstring).

    ``offsets`` are the tokens' character spans; ``sentence_starts`` the character
    offsets where sentences start."""
    n = len(offsets)
    word = [i for i in range(n) if i == 0 or offsets[i][0] > offsets[i - 1][1]]
    token_starts = [a for a, _ in offsets]
    sentence = sorted({i for i in (bisect.bisect_left(token_starts, c) for c in sentence_starts)
                       if i < n})
    ranges, s = [], 0
    while s < n:
        limit = s + budget
        if limit >= n:
            ranges.append((s, n))
            break
        e = _last_in(sentence, s + overlap, limit) or _last_in(word, s + overlap, limit) or limit
        ranges.append((s, e))
        at = bisect.bisect_left(word, e - overlap)
        s = word[at] if at < len(word) and word[at] <= e else e - overlap
    return ranges


def _last_in(points: Sequence[int], low: int, high: int) -> int | None:
    """The largest point in ``(low, high]``, or None."""
    at = bisect.bisect_right(points, high) - 1
    return points[at] if at >= 0 and points[at] > low else None


class ChunkSkill(Skill):
    """Overlapping, page-aware chunks sized in the embedding model's tokens.

    Inputs: ``pages`` (page texts, ``/document/pages/*/merged_text``) and ``numbers``
    (their page numbers, ``/document/pages/*/number``; when they do not line up with
    the texts, pages are numbered from 1). Output ``chunks``: ``[{text, page, start,
    end, index}]``. Parameters: ``model`` (whose tokenizer counts; default the
    embeddings skill's, ``sentence-transformers/all-MiniLM-L6-v2``), ``max_tokens``
    (per chunk with the special tokens; default and ceiling the model's
    ``max_seq_length``, 256 for MiniLM) and ``overlap_tokens`` (32).
    """

    name: ClassVar[str] = "chunks"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[dict[str, str]] = {"pages": "/document/pages/*/merged_text",
                                        "numbers": "/document/pages/*/number"}
    outputs: ClassVar[tuple[str, ...]] = ("chunks",)
    description: ClassVar[str] = "Page-aware overlapping text chunks sized in model tokens."

    def __init__(self, model: str = DEFAULT_MODEL, max_tokens: int | None = None,
                 overlap_tokens: int = 32, **params: Any) -> None:
        super().__init__(model=model, max_tokens=max_tokens, overlap_tokens=overlap_tokens,
                         **params)
        self.model_name = str(model)
        self.max_tokens = int(max_tokens) if max_tokens else None
        self.overlap = int(overlap_tokens)
        self._tokenizer: Any = None
        self._budget = 0

    @property
    def model(self) -> str:
        """The tokenizer's model id (the bundled default with its package version)."""
        return model_id(self.model_name)

    def models(self) -> list[ModelRef]:
        return model_refs(self.model_name)

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the tokenizer once and size the chunks; SkillUnavailable without it."""
        if self._tokenizer is not None:
            return
        tokenizer = load_tokenizer(self.model_name)
        limit = sequence_limit(tokenizer, read_pooling(model_folder(self.model_name)))
        size = min(self.max_tokens or limit, limit)
        budget = size - len(tokenizer("a")["input_ids"]) + \
            len(tokenizer("a", add_special_tokens=False)["input_ids"])
        if budget < 2 or not 0 <= self.overlap < budget:
            raise ConfigError(f"chunks: max_tokens {size} leaves {budget} tokens of text; "
                              f"overlap_tokens must be from 0 to {max(0, budget - 1)}")
        self._tokenizer, self._budget = tokenizer, budget

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return ``{"chunks": [...]}`` (or a SkillError) per record, in order."""
        self.warm_up()
        out = []
        for record in records:
            try:
                out.append({"chunks": self._chunks(record)})
            except Exception as exc:  # noqa: BLE001 - becomes that record's error
                out.append(SkillError(f"chunks: {type(exc).__name__}: {exc}"))
        return out

    def _chunks(self, record: Record) -> list[dict[str, Any]]:
        pages = [p if isinstance(p, str) else "" for p in record.get("pages") or []]
        numbers = record.get("numbers") or []
        if len(numbers) != len(pages):
            numbers = list(range(1, len(pages) + 1))
        found: list[dict[str, Any]] = []
        texts = [p for p in pages if p.strip()]
        encoded = self._tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True,
                                  return_attention_mask=False, return_token_type_ids=False,
                                  verbose=False)["offset_mapping"] if texts else []
        at = 0
        for text, number in zip(pages, numbers):
            if not text.strip():
                continue
            offsets = [tuple(o) for o in encoded[at]]
            at += 1
            starts = [a for a, _ in sentence_spans(text)]
            for s, e in cut_points(offsets, starts, self._budget, self.overlap):
                begin, end = offsets[s][0], offsets[e - 1][1]
                found.append({"text": text[begin:end], "page": number, "start": begin,
                              "end": end, "index": len(found)})
        return found

