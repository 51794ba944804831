"""Image captions: one sentence per image, with a confidence.

``CaptionSkill`` adds ``/document/images/*/caption`` = ``{"text", "confidence"}``.
The default model is BLIP (``Salesforce/blip-image-captioning-base``); any local
folder or hub name of a captioner works.

Model classes. transformers 5 removed the ``image-to-text`` pipeline task, so the
skill calls the model classes itself. The class is looked up in transformers'
``MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING`` from the model's config (BLIP gives
``BlipForConditionalGeneration``, GIT ``GitForCausalLM``, ViT-GPT2
``VisionEncoderDecoderModel``), and the processor through ``AutoProcessor``. That
serves BLIP and the other unprompted captioners with one code path, while the
concrete class (not the ``Auto`` wrapper) goes to :func:`skills.vision.load_pretrained`,
so device placement and half precision on CUDA apply. A config that is not a
captioner is refused in ``warm_up`` with the model's name. Chat models that need a
text prompt (LLaVA, Qwen-VL) are not supported.

Speed. The engine hands over the images of a whole batch of documents; they go
through ``generate()`` ``batch_size`` at a time, while the next chunk is decoded and
pre-processed in a thread (:func:`skills.vision.prefetch`).

Confidence is the geometric mean of the probabilities of the chosen tokens,
``exp(mean log p)``, over the generated tokens up to and including the first
end-of-sequence token (the padding of finished rows is left out). It comes from
``compute_transition_scores(..., normalize_logits=True)``: probabilities after the
model's own logits processors, as generation saw them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from skills.base import RunContext
from skills.vision import (ImageModelSkill, model_class, load_pretrained, require_torch, resolve_device)

__all__ = ["CaptionSkill", "DEFAULT_MODEL", "captioner_class", "geometric_mean_confidence"]

DEFAULT_MODEL = "Salesforce/blip-image-captioning-base"


def captioner_class(name: str) -> Any:
    """The concrete transformers class that captions with model ``name`` (reads its config).

    SkillUnavailable when the config is not a captioner, or when its weights were saved
    for another head (a BLIP retrieval model would caption with a random decoder).
    """
    return model_class(name, "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING",
                       "an image captioning model; use a BLIP, GIT or vision-encoder-decoder "
                       f"captioner such as {DEFAULT_MODEL!r}")


def geometric_mean_confidence(log_probs: Any, tokens: Any, eos_ids: set[int]) -> list[float]:
    """``exp(mean log p)`` per row over the tokens up to and including the first EOS."""
    torch = require_torch()
    is_eos = torch.zeros_like(tokens, dtype=torch.bool)
    for eos in eos_ids:
        is_eos |= tokens == eos
    # a token counts when no EOS came strictly before it
    eos_before = (is_eos.cumsum(dim=1) - is_eos.long()) > 0
    keep = ~eos_before
    total = torch.where(keep, log_probs.float(), torch.zeros_like(log_probs, dtype=torch.float))
    mean = total.sum(dim=1) / keep.sum(dim=1).clamp(min=1)
    return [min(1.0, max(0.0, float(p))) for p in mean.exp()]


class CaptionSkill(ImageModelSkill):
    """A one-sentence caption of each image, with a confidence in [0, 1].

    Each result is ``{"caption": {"text": str, "confidence": float}}``; an image
    smaller than ``min_side`` pixels on either side gives ``{"caption": None}`` (icons,
    rules, bullets), and one that cannot be decoded gives a ``SkillError`` for that
    record alone.

    Parameters: ``model`` (a hub name or a local folder; default BLIP base),
    ``device`` (default: the run's ``--device``; half precision on CUDA), ``batch_size``
    (images per ``generate()`` call, 16), ``max_new_tokens`` (30) and ``min_side``
    (50 px).
    """

    name: ClassVar[str] = "caption"
    version: ClassVar[str] = "1"
    outputs: ClassVar[tuple[str, ...]] = ("caption",)
    description: ClassVar[str] = "Image captions (BLIP) with a confidence."

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 16,
                 max_new_tokens: int = 30, min_side: int = 50, **params: Any) -> None:
        super().__init__(model=model, device=device, batch_size=batch_size,
                         max_new_tokens=max_new_tokens, min_side=min_side, **params)
        self.model_name = str(model)
        self.batch_size = max(1, int(batch_size))
        self.max_new_tokens = int(max_new_tokens)
        self.min_side = int(min_side)
        self._device: str | None = None
        self._model: Any = None
        self._processor: Any = None
        self._tokenizer: Any = None

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the processor and the model once; SkillUnavailable when they cannot be."""
        if self._model is not None:
            return
        device = resolve_device(context.device_for(self.params))
        from transformers import AutoProcessor, AutoTokenizer

        processor = load_pretrained(AutoProcessor, self.model_name)
        tokenizer = getattr(processor, "tokenizer", None) or \
            load_pretrained(AutoTokenizer, self.model_name)
        model = load_pretrained(captioner_class(self.model_name), self.model_name, device)
        self._device, self._processor, self._tokenizer = device, processor, tokenizer
        self._model = model

    def preprocess(self, images: Sequence[Any]) -> Any:
        return self._processor(images=images, return_tensors="pt")["pixel_values"]

    def infer(self, pixels: Any) -> list[dict[str, Any]]:
        return self._caption(pixels)

    def _caption(self, pixels: Any) -> list[dict[str, Any]]:
        """One ``generate()`` over a chunk: caption text and confidence per image."""
        torch = require_torch()
        model = self._model
        pixels = pixels.to(self._device, dtype=model.dtype)
        with torch.inference_mode():
            out = model.generate(pixel_values=pixels, max_new_tokens=self.max_new_tokens,
                                 output_scores=True, return_dict_in_generate=True)
        log_probs = self._transition_scores(out)
        tokens = out.sequences[:, -log_probs.shape[1]:]
        confidence = geometric_mean_confidence(log_probs, tokens.to(log_probs.device),
                                               self._eos_ids())
        texts = self._tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return [{"text": " ".join(text.split()), "confidence": conf}
                for text, conf in zip(texts, confidence)]

    def _transition_scores(self, out: Any) -> Any:
        """Log-probability of each chosen token, ``[batch, generated tokens]``."""
        torch = require_torch()
        scores = tuple(step.float() for step in out.scores)
        try:
            return self._model.compute_transition_scores(
                out.sequences, scores, getattr(out, "beam_indices", None), normalize_logits=True)
        except (AttributeError, RuntimeError):  # no such method, or a vocabulary size mismatch
            log_probs = torch.log_softmax(torch.stack(scores, dim=1), dim=-1)
            chosen = out.sequences[:, -len(scores):].to(log_probs.device)
            return log_probs.gather(2, chosen.unsqueeze(-1)).squeeze(-1)

    def _eos_ids(self) -> set[int]:
        """Tokens that end a caption: the tokenizer's EOS/SEP and the generation config's EOS."""
        ids = {self._tokenizer.eos_token_id, self._tokenizer.sep_token_id}
        configured = getattr(getattr(self._model, "generation_config", None), "eos_token_id", None)
        ids.update(configured if isinstance(configured, (list, tuple)) else [configured])
        return {int(i) for i in ids if i is not None}
