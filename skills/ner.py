"""Named entities with a Hugging Face token-classification model (BERT, RoBERTa, XLM-R...).

``NerSkill`` adds ``/document/pages/*/entities`` in the shape of the spaCy
``entities`` skill (``{text, type, name, key, start, end, confidence}``), so either can
feed the graph. Any checkpoint whose config is a transformers token classifier works,
from a hub name or a local folder; the default is ``dslim/bert-base-NER`` (BERT base
cased fine-tuned on CoNLL-2003: PER, ORG, LOC, MISC). Multilingual checkpoints (XLM-R,
mBERT) read every language with one model, so this skill takes no language; their types
are mapped as the ``entities`` skill maps its non-English pipelines' (PER -> PERSON, LOC ->
GPE, MISC -> NORP: :func:`skills.ner_spans.type_map`). Models load like the image
skills' (:func:`skills.vision.load_pretrained`): local folder or Hugging Face cache
first, the hub only when reachable and allowed; a missing model disables the skill
with the ``enrich models pull`` hint. On CUDA the weights are half precision.

Speed. Every page of the batch is tokenized in one call of the fast tokenizer (no
special tokens, no truncation), cut into windows of the model's length (see
:mod:`skills.ner_spans`), and all windows of all pages go through the model
``batch_size`` at a time, longest first so that padding stays small.

Spans. Each token is decided by the window whose centre is nearest; words take the
label of their first token; BIO/BILOU tags are decoded over the words of the whole page;
offsets come from the tokenizer's offset mapping, so ``text[start:end]`` is the
entity's text and a span never starts or ends inside a word.

Confidence is the mean, over the entity's words, of the softmax probability of the
chosen label at each word's first token (the token the label was read from).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Mapping, Sequence

from graph.normalize import entity_key
from skills.base import ModelRef, Record, RunContext, Skill, SkillError, SkillUnavailable
from skills.entities import DEFAULT_LABELS, display_name
from skills.ner_spans import decode, owners, parse_tag, type_map, windows, words
from skills.vision import PULL_HINT, batched, load_pretrained, model_class, require_torch, \
    resolve_device

__all__ = ["NerSkill", "DEFAULT_MODEL"]

DEFAULT_MODEL = "dslim/bert-base-NER"
_UNNAMED = re.compile(r"LABEL_\d+")
_UNSET_LENGTH = 100_000  # tokenizers without a model_max_length report ~1e30


class NerSkill(Skill):
    """Named entities of each page from a token-classification checkpoint.

    Parameters: ``model`` (hub name or folder; default ``dslim/bert-base-NER``),
    ``labels`` (a list: the entity types kept, after mapping, as in the ``entities``
    skill, default the same ten; a mapping: checkpoint type -> entity type, the whole
    map, a null value drops a type, e.g. ``{PER: PERSON, ORG: ORG, LOC: LOC}``),
    ``min_confidence`` (entities below it are dropped; 0), ``max_length`` (tokens per
    window with the special tokens; default the model's), ``stride`` (tokens shared by
    consecutive windows; default a quarter of a window, at most 128), ``device``
    (default: the run's ``--device``) and ``batch_size`` (windows per forward pass, 32).
    """

    name: ClassVar[str] = "ner"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document/pages/*"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/pages/*/text"}
    outputs: ClassVar[tuple[str, ...]] = ("entities",)
    description: ClassVar[str] = "Named entities (transformers token classification) with keys."
    uses_device: ClassVar[bool] = True
    runtime_params: ClassVar[frozenset[str]] = frozenset({"device", "batch_size"})

    def __init__(self, model: str = DEFAULT_MODEL,
                 labels: Sequence[str] | Mapping[str, str | None] | None = DEFAULT_LABELS,
                 min_confidence: float = 0.0, max_length: int | None = None,
                 stride: int | None = None, device: str | None = None, batch_size: int = 32,
                 **params: Any) -> None:
        mapping = isinstance(labels, Mapping)
        labels_param = dict(labels) if mapping else list(labels) if labels else None
        super().__init__(model=model, labels=labels_param, min_confidence=min_confidence,
                         max_length=max_length, stride=stride, device=device,
                         batch_size=batch_size, **params)
        self.model_name = str(model)
        self.label_map = dict(labels) if mapping else None
        self.keep = None if mapping or not labels else frozenset(labels)
        self.min_confidence = float(min_confidence)
        self.max_length = int(max_length) if max_length else None
        self.stride = int(stride) if stride is not None else None
        self.batch_size = max(1, int(batch_size))
        self._model: Any = None
        self._tokenizer: Any = None
        self._device = "cpu"
        self._tags: list[tuple[str, str]] = []
        self._types: dict[str, str | None] = {}
        self._frame: tuple[list[int], list[int]] = ([], [])
        self._length = 0

    @property
    def model(self) -> str:
        """The model name or folder, as configured."""
        return self.model_name

    def models(self) -> list[ModelRef]:
        return [ModelRef(self.model_name, "huggingface", PULL_HINT)]

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the tokenizer and the model once; SkillUnavailable when they cannot be."""
        if self._model is not None:
            return
        device = resolve_device(context.device_for(self.params))
        from transformers import AutoTokenizer

        cls = model_class(self.model_name, "MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING",
                          f"a token-classification (NER) model; use e.g. {DEFAULT_MODEL!r}")
        tokenizer = load_pretrained(AutoTokenizer, self.model_name)
        if not getattr(tokenizer, "is_fast", False):
            raise SkillUnavailable(f"ner: model {self.model_name!r} has no fast tokenizer "
                                   "(tokenizer.json), which the character offsets need")
        model = load_pretrained(cls, self.model_name, device)
        # Pages are tokenized whole and cut into windows here: not a too-long sequence.
        getattr(tokenizer, "deprecation_warnings", {})[
            "sequence-length-is-longer-than-the-specified-maximum"] = True
        self._tags = self._read_tags(model.config)
        self._types = type_map(sorted({kind for _, kind in self._tags if kind}), self.label_map)
        self._frame = _special_frame(tokenizer)
        self._length = self._window(tokenizer, model)
        self._device, self._tokenizer, self._model = device, tokenizer, model

    def _read_tags(self, config: Any) -> list[tuple[str, str]]:
        names = [str(config.id2label[i]) for i in range(config.num_labels)]
        if self.label_map is None and all(_UNNAMED.fullmatch(n) for n in names):
            raise SkillUnavailable(f"ner: model {self.model_name!r} names no entity labels "
                                   f"({', '.join(names[:3])}...); pass a `labels` mapping")
        return [parse_tag(n) for n in names]

    def _window(self, tokenizer: Any, model: Any) -> int:
        """Tokens of text per window (the model's length less its special tokens)."""
        positions = int(getattr(model.config, "max_position_embeddings", 512) or 512)
        declared = int(getattr(tokenizer, "model_max_length", 0) or 0)
        limit = min(declared, positions) if 0 < declared < _UNSET_LENGTH else positions - 2
        if self.max_length:
            limit = min(limit, self.max_length)
        length = limit - sum(len(part) for part in self._frame)
        if length < 1:
            raise SkillUnavailable(f"ner: max_length {limit} leaves no room for text")
        return length

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return ``{"entities": [...]}`` (or a SkillError) per record, in order."""
        self.warm_up()
        texts = [r.get("text") if isinstance(r.get("text"), str) else "" for r in records]
        try:
            return [{"entities": found} for found in self._entities(texts)]
        except Exception:  # noqa: BLE001 - isolate the failing record below
            return [self._one(text) for text in texts]

    def _one(self, text: str) -> Any:
        try:
            return {"entities": self._entities([text])[0]}
        except Exception as exc:  # noqa: BLE001 - becomes that record's error
            return SkillError(f"ner: the model failed on this text: {exc!r}")

    def _entities(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        """Entities of each text: tokenize all, run all windows, decode each text."""
        encoded = self._tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True,
                                  return_attention_mask=False, return_token_type_ids=False,
                                  verbose=False)
        stride = self.stride if self.stride is not None else min(128, self._length // 4)
        plans = [windows(len(ids), self._length, stride) for ids in encoded["input_ids"]]
        jobs = [(doc, a, b) for doc, plan in enumerate(plans) for a, b in plan]
        probs = self._predict([encoded["input_ids"][doc][a:b] for doc, a, b in jobs])
        out, at = [], 0
        for doc, plan in enumerate(plans):
            chosen = self._assemble(plan, probs[at:at + len(plan)])
            at += len(plan)
            out.append(self._spans(texts[doc], encoded["offset_mapping"][doc],
                                   encoded.word_ids(doc), chosen))
        return out

    def _predict(self, pieces: list[list[int]]) -> list[Any]:
        """Label probabilities ``[tokens, labels]`` (CPU, float32) of each token window."""
        torch = require_torch()
        head, tail = self._frame
        pad = self._tokenizer.pad_token_id or 0
        order = sorted(range(len(pieces)), key=lambda i: -len(pieces[i]))
        out: list[Any] = [None] * len(pieces)
        for chunk in batched(order, self.batch_size):
            width = len(head) + len(pieces[chunk[0]]) + len(tail)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):
                seq = head + list(pieces[i]) + tail
                ids[row, :len(seq)] = torch.tensor(seq)
                mask[row, :len(seq)] = 1
            with torch.inference_mode():
                logits = self._model(input_ids=ids.to(self._device),
                                     attention_mask=mask.to(self._device)).logits
            probs = logits.float().softmax(dim=-1).cpu()
            for row, i in enumerate(chunk):
                out[i] = probs[row, len(head):len(head) + len(pieces[i])]
        return out

    @staticmethod
    def _assemble(plan: list[tuple[int, int]], probs: list[Any]) -> tuple[list[float], list[int]]:
        """Score and label of each token, from the window whose centre is nearest."""
        if not plan:
            return [], []
        torch = require_torch()
        parts = [p[lo - a:hi - a] for (a, _), (lo, hi), p in zip(plan, owners(plan), probs)]
        best = torch.cat(parts).max(dim=-1)
        return best.values.tolist(), best.indices.tolist()

    def _spans(self, text: str, offsets: Any, word_ids: Any,
               chosen: tuple[list[float], list[int]]) -> list[dict[str, Any]]:
        """Entity dicts of one text from its tokens' scores and labels."""
        scores, labels = chosen
        tagged = [(start, end, self._tags[labels[first]], scores[first])
                  for start, end, first in words(text, offsets, word_ids)]
        found = []
        for start, end, kind, word_scores in decode(tagged):
            entity = self._entity(text, start, end, kind, sum(word_scores) / len(word_scores))
            if entity is not None:
                found.append(entity)
        return found

    def _entity(self, text: str, start: int, end: int, kind: str,
                confidence: float) -> dict[str, Any] | None:
        """The entity dict, or None when its type is dropped, its name has no letter or
        digit, or its confidence is too low."""
        label = self._types.get(kind)
        if label is None or (self.keep is not None and label not in self.keep):
            return None
        surface = text[start:end]
        name = display_name(surface, label)
        if confidence < self.min_confidence or not any(c.isalnum() for c in name):
            return None  # a lone punctuation mark is no name
        return {"text": surface, "type": label, "name": name, "key": entity_key(label, name),
                "start": start, "end": end, "confidence": round(confidence, 4)}


def _special_frame(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after one text (``[CLS]``, ``[SEP]``)."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for at in range(len(full) - len(bare) + 1):
        if full[at:at + len(bare)] == bare:
            return list(full[:at]), list(full[at + len(bare):])
    return [], []
