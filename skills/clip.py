"""Image vectors with CLIP, so that text queries find photos.

``ClipSkill`` (``clip``) adds ``/document/images/*/vector``: the L2-normalised image
embedding of a CLIP-family model (``get_image_features``), a list of floats rounded to
:data:`skills.embeddings.DECIMALS` like the chunk vectors. :func:`encode_texts` embeds
query texts with the same model's text tower (``get_text_features``), so that a query
and a photo meet in one space: their dot product is CLIP's cosine similarity.

Model id. The skill's ``model`` (provenance and cache key) is ``"clip:" + the model
name`` (:data:`PREFIX`): the search side reads that id from an index's vectors and
hands it back to :func:`encode_texts`, which takes the query encoder from the prefix.
Chunk vectors of a sentence model carry the bare model name, so the two never mix.

Models load like the ``tags`` skill's (it uses the same model by default): from a
folder or the Hugging Face cache, from the hub only when it is reachable and allowed,
otherwise a ``SkillUnavailable`` naming the model and ``enrich models pull``
(:func:`skills.vision.load_pretrained`); on the run's device, half precision on CUDA.
Loaded models are cached per process (one lock around loading, so a server's threads
share one copy); inference itself needs no lock.

Images smaller than ``min_side`` on either side (icons, rules) get no vector, and an
image that cannot be decoded fails alone (:class:`skills.vision.ImageModelSkill`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from enrich.errors import EnrichError
from skills.base import RunContext
from skills.embeddings import DECIMALS
from skills.tags import DEFAULT_MODEL, clip_class, clip_embed_pixels, clip_pixel_values
from skills.vision import ImageModelSkill, batched, load_pretrained, require_torch, \
    resolve_device

__all__ = ["DEFAULT_MODEL", "PREFIX", "ClipModelIdError", "ClipSkill", "clip_model_id",
           "clip_model_name", "encode_texts", "load_clip"]

PREFIX = "clip:"
TEXT_BATCH = 64
_UNSET_LENGTH = 100_000  # tokenizers without a model_max_length report ~1e30
_load_lock = threading.Lock()


class ClipModelIdError(EnrichError, ValueError):
    """A model id handed to the CLIP text encoder that is not ``clip:NAME``."""

    code = "E621"


def clip_model_id(name: str) -> str:
    """The id of CLIP model ``name``'s vectors: ``clip:NAME``."""
    return PREFIX + name


def clip_model_name(model_id: str) -> str:
    """The model name inside a ``clip:NAME`` id (ClipModelIdError for anything else)."""
    if not isinstance(model_id, str) or not model_id.startswith(PREFIX) or \
            not model_id[len(PREFIX):].strip():
        raise ClipModelIdError(f"{model_id!r} is not a CLIP model id: expected "
                               f"'{PREFIX}NAME' (a hub name or folder), as the clip skill "
                               "writes in its provenance")
    return model_id[len(PREFIX):]


def load_clip(name: str, device: str) -> tuple[Any, Any]:
    """CLIP model ``name`` on ``device`` and its processor, loaded once per process."""
    require_torch()
    from transformers import AutoProcessor

    with _load_lock:
        processor = load_pretrained(AutoProcessor, name)
        model = load_pretrained(clip_class(name), name, device)
    return model, processor


def _features(output: Any) -> Any:
    """A features tensor from ``get_*_features``: a tensor, or an output object."""
    return output if require_torch().is_tensor(output) else output.pooler_output


def _dimension(model: Any) -> int:
    return int(getattr(model.config, "projection_dim", 0) or model.config.hidden_size)


def _text_limit(model: Any, tokenizer: Any) -> int:
    """Tokens a text may hold: the text tower's positions, or the tokenizer's if fewer."""
    text_config = getattr(model.config, "text_config", model.config)
    limits = [int(getattr(text_config, "max_position_embeddings", 0) or 0),
              int(getattr(tokenizer, "model_max_length", 0) or 0)]
    limits = [n for n in limits if 0 < n < _UNSET_LENGTH]
    return min(limits) if limits else 77


def encode_texts(model_id: str, texts: Sequence[str], device: str | None = None) -> Any:
    """L2-normalised CLIP text embeddings of ``texts``: numpy float32 ``[len(texts), d]``.

    ``model_id`` is ``clip:NAME`` (the ``clip`` skill's model id); ``device`` a device
    as ``--device`` takes it (None: CUDA when present). Texts longer than the model's
    text length are truncated. SkillUnavailable when the model cannot be loaded.
    """
    import numpy as np

    torch = require_torch()
    model, processor = load_clip(clip_model_name(model_id), resolve_device(device or "auto"))
    tokenizer = getattr(processor, "tokenizer", processor)
    limit, parts = _text_limit(model, tokenizer), []
    for chunk in batched([str(t) for t in texts], TEXT_BATCH):
        tokens = tokenizer(list(chunk), padding=True, truncation=True, max_length=limit,
                           return_tensors="pt")
        tokens = {k: v.to(model.device) for k, v in tokens.items()
                  if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            features = _features(model.get_text_features(**tokens)).float()
        parts.append(torch.nn.functional.normalize(features, p=2, dim=-1).cpu().numpy())
    if not parts:
        return np.zeros((0, _dimension(model)), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False)


class ClipSkill(ImageModelSkill):
    """A CLIP image vector per image, for text-to-image search.

    Each result is ``{"vector": [float, ...]}`` (unit length, ``d`` = the model's
    projection size: 512 for the default); an image smaller than ``min_side`` pixels
    on either side gives ``{"vector": None}``, one that cannot be decoded a
    ``SkillError`` for that record alone.

    Parameters: ``model`` (hub name or folder; default ``openai/clip-vit-base-patch32``),
    ``device`` (default: the run's ``--device``; half precision on CUDA),
    ``batch_size`` (images per forward pass, 32) and ``min_side`` (50 px).
    """

    name: ClassVar[str] = "clip"
    version: ClassVar[str] = "1"
    outputs: ClassVar[tuple[str, ...]] = ("vector",)
    description: ClassVar[str] = "Image vectors (CLIP) that text queries can search."

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None,
                 batch_size: int = 32, min_side: int = 50, **params: Any) -> None:
        super().__init__(model=model, device=device, batch_size=batch_size, min_side=min_side,
                         **params)
        self.model_name = str(model)
        self.batch_size = max(1, int(batch_size))
        self.min_side = int(min_side)
        self._device: str | None = None
        self._model: Any = None
        self._processor: Any = None

    @property
    def model(self) -> str:
        """``clip:NAME``: in the provenance and cache key; the search side gives it to
        :func:`encode_texts` to embed queries with the same model."""
        return clip_model_id(self.model_name)

    @property
    def dimension(self) -> int:
        """The vectors' length (loads the model)."""
        self.warm_up()
        return _dimension(self._model)

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the model and processor once; SkillUnavailable when they cannot be."""
        if self._model is not None:
            return
        device = resolve_device(context.device_for(self.params))
        self._model, self._processor = load_clip(self.model_name, device)
        self._device = device

    def preprocess(self, images: Sequence[Any]) -> Any:
        return clip_pixel_values(self._processor, images)

    def infer(self, pixels: Any) -> list[list[float]]:
        rows = clip_embed_pixels(self._model, pixels, self._device).tolist()
        return [[round(float(x), DECIMALS) for x in row] for row in rows]
