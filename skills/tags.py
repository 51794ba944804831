"""Image tags: zero-shot CLIP over a vocabulary of everyday objects, scenes and activities.

``TagSkill`` adds ``/document/images/*/tags`` = ``[{"name", "score"}]``, best first.
The default model is ``openai/clip-vit-base-patch32``; the default vocabulary is the
shipped ``skills/data/tags_en.txt`` (about 300 tags), and a user may pass a file of
their own (one tag a line, ``#`` starts a comment) or a list.

Scores. Each tag is written into a template (``"a photo of {}"``) and embedded once
per process (in ``warm_up``, cached per model, device, template and vocabulary).
Each image is embedded, both are L2-normalised, and

    score = softmax(logit_scale * image @ tags.T)   over the vocabulary,

with the model's own learned ``logit_scale`` (100 for OpenAI CLIP): exactly CLIP's
zero-shot classification. The raw cosine similarities of CLIP sit in a narrow band
(0.15-0.35) whatever the image, so a threshold on them means little; the softmax
turns them into a share of belief that sums to 1 over the vocabulary. With 300 tags
the uniform share is 0.0033, and the default ``threshold`` of 0.05 (15x that) keeps
the few tags that clearly stand out - usually 1 to 4 on a photo, none on a page
of text - at most ``top`` (10) of them. Because the shares depend on the vocabulary,
raise the threshold for a small vocabulary (with 20 tags, uniform is 0.05).

:func:`clip_image_embeddings` is shared with the ``labels`` skill; its signature is
stable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Sequence

from skills.base import RunContext, SkillUnavailable
from skills.vision import (ImageModelSkill, model_class, batched, load_pretrained, require_torch, resolve_device)

__all__ = ["TagSkill", "DEFAULT_MODEL", "DEFAULT_VOCABULARY", "DEFAULT_THRESHOLD",
           "clip_class", "clip_image_embeddings", "clip_pixel_values", "clip_embed_pixels",
           "clip_text_embeddings", "load_vocabulary"]

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
DEFAULT_VOCABULARY = Path(__file__).resolve().parent / "data" / "tags_en.txt"
DEFAULT_TEMPLATE = "a photo of {}"
DEFAULT_THRESHOLD = 0.05
MAX_LOGIT_SCALE = 100.0  # CLIP clamps its learned temperature here in training
TEXT_BATCH = 256

# Text embeddings of a vocabulary: (model, device, template, tags) -> [tags, d] float32 CPU.
_TEXT_CACHE: dict[tuple, Any] = {}


def load_vocabulary(source: str | Path | Sequence[str] | None = None) -> list[str]:
    """Tags from a file (one a line, ``#`` comments, blanks skipped) or a list; no duplicates."""
    if source is None:
        source = DEFAULT_VOCABULARY
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise SkillUnavailable(f"tags: vocabulary file {str(path)!r} does not exist; pass "
                                   "a text file with one tag a line")
        lines = path.read_text(encoding="utf-8").splitlines()
    else:
        lines = list(source)
    tags = [" ".join(line.split("#", 1)[0].split()) for line in lines]
    tags = list(dict.fromkeys(tag for tag in tags if tag))
    if not tags:
        raise SkillUnavailable(f"tags: the vocabulary {str(source)[:200]!r} has no tags")
    return tags


def clip_class(name: str) -> Any:
    """The concrete transformers class of the image-text model ``name`` (reads its config).

    A model of transformers' zero-shot image classification family: CLIP and its
    relatives (OpenCLIP and MetaCLIP checkpoints in transformers format, AltCLIP,
    Chinese-CLIP). SkillUnavailable for other configs and for weights saved for
    another head (a BLIP captioner). SigLIP loads too, but it was trained with a
    sigmoid and max-length text padding, so its softmax scores are only a ranking.
    """
    return model_class(name, "MODEL_FOR_ZERO_SHOT_IMAGE_CLASSIFICATION_MAPPING",
                       f"a CLIP-style image-text model; use e.g. {DEFAULT_MODEL!r}")


def _pooled(output: Any) -> Any:
    """A features tensor from ``get_*_features``: a tensor (transformers 4) or an output object."""
    return output if require_torch().is_tensor(output) else output.pooler_output


def _normalised(features: Any) -> Any:
    features = features.float().cpu()
    return features / features.norm(dim=-1, keepdim=True).clamp(min=1e-12)


def clip_pixel_values(processor: Any, images: Sequence[Any]) -> Any:
    """Pre-process PIL images into the model's pixel tensor (CPU, float32)."""
    return processor(images=list(images), return_tensors="pt")["pixel_values"]


def clip_embed_pixels(model: Any, pixel_values: Any, device: str) -> Any:
    """L2-normalised image embeddings ``[n, d]`` (CPU, float32) of pre-processed pixels."""
    torch = require_torch()
    pixels = pixel_values.to(device, dtype=model.dtype)
    with torch.inference_mode():
        return _normalised(_pooled(model.get_image_features(pixel_values=pixels)))


def clip_image_embeddings(model: Any, processor: Any, images: Sequence[Any],
                          device: str) -> Any:
    """L2-normalised CLIP embeddings of PIL ``images``: a float32 CPU tensor ``[n, d]``.

    ``model`` and ``processor`` are a loaded CLIP-family model (anything with
    ``get_image_features``) and its processor; ``device`` is where the model is.
    An empty list gives a ``[0, d]`` tensor.
    """
    if not images:
        torch = require_torch()
        dim = getattr(model.config, "projection_dim", None) or model.config.hidden_size
        return torch.empty((0, dim), dtype=torch.float32)
    return clip_embed_pixels(model, clip_pixel_values(processor, images), device)


def clip_text_embeddings(model: Any, processor: Any, texts: Sequence[str], device: str) -> Any:
    """L2-normalised CLIP embeddings of ``texts``: a float32 CPU tensor ``[n, d]``."""
    torch = require_torch()
    tokenizer = getattr(processor, "tokenizer", processor)
    parts = []
    for chunk in batched(list(texts), TEXT_BATCH):
        tokens = tokenizer(list(chunk), padding=True, truncation=True, return_tensors="pt")
        tokens = {k: v.to(device) for k, v in tokens.items()
                  if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            parts.append(_normalised(_pooled(model.get_text_features(**tokens))))
    return torch.cat(parts)


def _logit_scale(model: Any) -> float:
    scale = getattr(model, "logit_scale", None)
    if scale is None:
        return MAX_LOGIT_SCALE
    return min(MAX_LOGIT_SCALE, float(scale.detach().float().exp()))


class TagSkill(ImageModelSkill):
    """Zero-shot tags of each image from a vocabulary, with CLIP.

    Each result is ``{"tags": [{"name": str, "score": float}, ...]}``: the tags whose
    score (softmax over the vocabulary, see the module docstring) is at least
    ``threshold``, best first, at most ``top``. An image smaller than ``min_side``
    pixels on either side gives ``{"tags": None}``; one that cannot be decoded gives a
    ``SkillError`` for that record alone.

    Parameters: ``model`` (hub name or folder, default CLIP ViT-B/32), ``vocabulary``
    (a file path or a list of tags; default the shipped English list), ``template``
    (``"a photo of {}"``), ``threshold`` (0.05), ``top`` (10), ``device`` (default: the
    run's ``--device``; half precision on CUDA), ``batch_size`` (32 images per forward
    pass) and ``min_side`` (50 px).
    """

    name: ClassVar[str] = "tags"
    version: ClassVar[str] = "1"
    outputs: ClassVar[tuple[str, ...]] = ("tags",)
    description: ClassVar[str] = "Zero-shot image tags (CLIP) from a vocabulary."

    def __init__(self, model: str = DEFAULT_MODEL, vocabulary: str | Sequence[str] | None = None,
                 template: str = DEFAULT_TEMPLATE, threshold: float = DEFAULT_THRESHOLD,
                 top: int = 10, device: str | None = None, batch_size: int = 32, min_side: int = 50,
                 **params: Any) -> None:
        vocab_param = vocabulary if vocabulary is None or isinstance(vocabulary, str) \
            else [str(v) for v in vocabulary]
        super().__init__(model=model, vocabulary=vocab_param, template=template,
                         threshold=threshold, top=top, device=device, batch_size=batch_size,
                         min_side=min_side, **params)
        self.model_name = str(model)
        self.vocabulary_source = vocab_param
        self.template = template if "{}" in template else template + " {}"
        self.threshold = float(threshold)
        self.top = max(0, int(top))
        self.batch_size = max(1, int(batch_size))
        self.min_side = int(min_side)
        self.vocabulary: list[str] | None = None
        self._device: str | None = None
        self._model: Any = None
        self._processor: Any = None
        self._text: Any = None
        self._scale = MAX_LOGIT_SCALE

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load CLIP and embed the vocabulary once; SkillUnavailable when it cannot run."""
        if self._model is not None:
            return
        vocabulary = load_vocabulary(self.vocabulary_source)
        device = resolve_device(context.device_for(self.params))
        from transformers import AutoProcessor

        processor = load_pretrained(AutoProcessor, self.model_name)
        model = load_pretrained(clip_class(self.model_name), self.model_name, device)
        key = (self.model_name, device, self.template, tuple(vocabulary))
        if key not in _TEXT_CACHE:
            prompts = [self.template.format(tag) for tag in vocabulary]
            _TEXT_CACHE[key] = clip_text_embeddings(model, processor, prompts, device)
        self.vocabulary, self._text, self._scale = vocabulary, _TEXT_CACHE[key], _logit_scale(model)
        self._device, self._processor, self._model = device, processor, model

    def tags_of(self, embeddings: Any) -> list[list[dict[str, Any]]]:
        """Tags per row of normalised image embeddings (after ``warm_up``)."""
        probs = (self._scale * embeddings @ self._text.T).softmax(dim=-1)
        best = probs.topk(min(self.top, probs.shape[-1]), dim=-1)
        return [[{"name": self.vocabulary[i], "score": float(s)}
                 for s, i in zip(scores.tolist(), indices.tolist()) if s >= self.threshold]
                for scores, indices in zip(best.values, best.indices)]

    def preprocess(self, images: Sequence[Any]) -> Any:
        return clip_pixel_values(self._processor, images)

    def infer(self, pixels: Any) -> list[list[dict[str, Any]]]:
        return self.tags_of(clip_embed_pixels(self._model, pixels, self._device))
