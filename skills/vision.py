"""What the image skills share: device choice, offline-aware model loading, decoding.

* :func:`resolve_device` turns a device (``auto``, ``cpu``, ``cuda[:N]``, strict
  ``cuda[:N]!``) into a torch device string, falling back to the CPU with a warning.
* :func:`load_pretrained` loads a transformers class from a local path or the
  Hugging Face cache first, and from the hub only when the environment allows it;
  a model that is neither local nor reachable raises ``SkillUnavailable`` naming the
  model and how to provide it (``enrich models pull``). Loaded models are cached per
  process. On CUDA, weights are half precision.
* :func:`decode_images` turns encoded bytes into RGB PIL images with Pillow's
  decompression-bomb guard on; an image that cannot be decoded comes back as the
  error message, so one bad image fails alone.
* :func:`prefetch` decodes the next batch in a thread while the model runs on this
  one, so the device is not idle waiting for decoding and resizing.

Nothing here imports torch or transformers at import time.
"""

from __future__ import annotations

import io
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar
from urllib.parse import urlparse

from skills.base import ModelRef, Record, Skill, SkillError, SkillUnavailable

__all__ = ["ImageModelSkill", "image_bytes", "model_class", "resolve_device", "load_pretrained", "decode_images", "prefetch", "batched",
           "require_torch", "hub_reachable", "PULL_HINT"]

T = TypeVar("T")
log = logging.getLogger(__name__)
PULL_HINT = ("download it on a machine with internet access with `enrich models pull` "
             "(it fills the Hugging Face cache, HF_HOME), or set the skill's `model` "
             "parameter to a local folder")
_cache: dict[tuple, Any] = {}


def require_torch() -> Any:
    """Import torch, or disable the calling skill with an install hint."""
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise SkillUnavailable(f"{exc.name} is not installed: `pip install torch==2.13.0 "
                               "transformers` (install torch first)") from exc
    return torch


def resolve_device(device: str = "auto") -> str:
    """The torch device for a checked device (:func:`skills.base.check_device`): ``auto``
    takes CUDA when it is there; ``cuda`` (or ``cuda:N``) without it runs on the CPU
    with a warning; ``cuda!`` without it disables the skill (SkillUnavailable)."""
    torch = require_torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    wanted = device.rstrip("!")
    if wanted == "cpu" or _cuda_present(torch, wanted):
        return wanted
    if device.endswith("!"):
        raise SkillUnavailable(f"device {device!r} was asked for but {_no_cuda(torch, wanted)}; "
                               f"use --device {wanted} to fall back to the CPU")
    _warn_fallback(device, _no_cuda(torch, wanted))
    return "cpu"


def _cuda_present(torch: Any, device: str) -> bool:
    index = device.partition(":")[2]
    return torch.cuda.is_available() and (not index or int(index) < torch.cuda.device_count())


def _no_cuda(torch: Any, device: str) -> str:
    if not torch.cuda.is_available():
        return "CUDA is not available here"
    return f"this machine has {torch.cuda.device_count()} CUDA device(s)"


@lru_cache(maxsize=None)
def _warn_fallback(device: str, reason: str) -> None:
    """Once per process and device: the skills run, on the CPU."""
    log.warning("device %r was asked for but %s: the image skills run on the CPU "
                "(--device %s! disables them instead)", device, reason, device.rstrip("!"))


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false") or \
        os.environ.get("TRANSFORMERS_OFFLINE", "0") not in ("0", "", "false")


@lru_cache(maxsize=1)
def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the model hub answers a TCP connect (checked once per process).

    Without it, a download attempt on a closed network retries for ~30 s per model.
    """
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def load_pretrained(cls: Any, name: str, device: str = "cpu", **kwargs: Any) -> Any:
    """``cls.from_pretrained(name)`` on ``device``, local first, cached per process."""
    key = (cls.__name__, name, device, tuple(sorted(kwargs.items())))
    if key in _cache:
        return _cache[key]
    is_model = hasattr(cls, "eval") or cls.__name__.endswith(("Model", "Generation"))
    if is_model and device.startswith("cuda"):
        kwargs.setdefault("dtype", require_torch().float16)
    _quiet_loading()
    try:
        loaded = cls.from_pretrained(name, local_files_only=True, **kwargs)
    except (OSError, ValueError) as local_error:
        if os.path.isdir(name) or _offline() or not hub_reachable():
            raise SkillUnavailable(f"model {name!r} cannot be loaded from {_where(name)}: "
                                   f"{_first_line(local_error)}; {PULL_HINT}") from local_error
        try:
            loaded = cls.from_pretrained(name, **kwargs)
        except Exception as error:  # noqa: BLE001 - no network, no such repo, ...
            raise SkillUnavailable(f"model {name!r} is not in the local cache and could not be "
                                   f"downloaded ({_first_line(error)}); {PULL_HINT}") from error
    if is_model:
        loaded = loaded.to(device).eval()
    _cache[key] = loaded
    return loaded


def _quiet_loading() -> None:
    """No "Loading weights" bar from transformers on a terminal (a search loads the query
    model: its output is results, not progress bars)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()


def model_class(name: str, mapping: str, wanted: str) -> Any:
    """The concrete transformers class for model ``name`` from one of transformers' auto
    mappings (``MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING``...), reading only its config.

    SkillUnavailable when the config is not of that family, or when its weights were
    saved for another head (a BLIP retrieval model would caption with a random decoder).
    ``wanted`` says what would fit, for the message.
    """
    require_torch()
    import transformers

    config = load_pretrained(transformers.AutoConfig, name)
    cls = getattr(transformers, mapping).get(type(config), None)
    saved_as = getattr(config, "architectures", None) or []
    if cls is None or (saved_as and cls.__name__ not in saved_as):
        kind = ", ".join(saved_as) or config.model_type
        raise SkillUnavailable(f"model {name!r} ({kind}) is not {wanted}")
    return cls


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def decode_images(blobs: Sequence[bytes | None], max_side: int | None = None) -> list[Any]:
    """RGB PIL images, or a ``str`` error message in place of each undecodable one."""
    from PIL import Image

    out: list[Any] = []
    for data in blobs:
        if not data:
            out.append("no image data")
            continue
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                rgb = image.convert("RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            out.append(f"image too large to decode: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - any decoder error fails this image only
            out.append(f"unreadable image: {type(exc).__name__}: {exc}")
            continue
        if max_side and max(rgb.size) > max_side:
            rgb.thumbnail((max_side, max_side))
        out.append(rgb)
    return out


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]


def prefetch(chunks: Iterable[T], prepare: Callable[[T], Any]) -> Iterator[tuple[T, Any]]:
    """Yield ``(chunk, prepare(chunk))``, preparing the next chunk in a thread meanwhile."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        iterator = iter(chunks)
        current = next(iterator, None)
        pending = pool.submit(prepare, current) if current is not None else None
        while current is not None:
            following = next(iterator, None)
            ready = pending.result()
            pending = pool.submit(prepare, following) if following is not None else None
            yield current, ready
            current = following


def _where(name: str) -> str:
    if os.path.isdir(name):
        return f"the folder {name}"
    return "the local cache (offline mode)" if _offline() else \
        "the local cache, and the model hub is not reachable"


def image_bytes(record: Record) -> bytes | None:
    """The record's encoded image; anything but bytes-like data counts as missing."""
    data = record.get("image")
    return bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else None


class ImageModelSkill(Skill):
    """What the model-backed image skills share: a model named by ``model_name``, and a
    batched ``run`` that decodes and pre-processes the next chunk in a thread while
    the model runs on this one.

    They run on the run's device unless their ``device`` parameter names one.
    Subclasses set ``model_name``, ``batch_size`` and ``min_side`` in ``__init__`` and
    implement ``preprocess(images) -> model input`` and ``infer(model input) -> one
    value per image``; the value becomes the skill's first output. An image that
    cannot be decoded gives a ``SkillError`` for its record alone; one smaller than
    ``min_side`` on either side gives ``None``.
    """

    context = "/document/images/*"
    inputs = {"image": "/document/images/*/data"}
    uses_device = True
    runtime_params = frozenset({"device", "batch_size"})
    max_side = 1024  # larger images are shrunk to this on decoding
    model_name: str = ""
    batch_size: int = 16
    min_side: int = 50

    @property
    def model(self) -> str:
        """The model name or folder, as configured."""
        return self.model_name

    def models(self) -> list[ModelRef]:
        return [ModelRef(self.model_name, "huggingface", PULL_HINT)]

    def preprocess(self, images: Sequence[Any]) -> Any:
        raise NotImplementedError

    def infer(self, prepared: Any) -> list[Any]:
        raise NotImplementedError

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """One ``{output: value | None}`` (or a SkillError) per record, in order."""
        self.warm_up()
        output, results = self.outputs[0], [None] * len(records)
        chunks = batched(range(len(records)), self.batch_size)
        for _, (kept, prepared, done) in prefetch(chunks, lambda c: self._prepare(records, c)):
            for index, result in done:
                results[index] = result
            if kept:
                for index, value in zip(kept, self.infer(prepared)):
                    results[index] = {output: value}
        return results

    def _prepare(self, records: Sequence[Record], chunk: Sequence[int]) -> tuple:
        """Decode and pre-process one chunk (in the prefetch thread): the indices that
        go to the model, their model input, and the results already known."""
        images = decode_images([image_bytes(records[i]) for i in chunk], self.max_side)
        kept, keep_images, done = [], [], []
        for index, image in zip(chunk, images):
            if isinstance(image, str):
                done.append((index, SkillError(f"{self.name}: {image}")))
            elif min(image.size) < self.min_side:
                done.append((index, {self.outputs[0]: None}))
            else:
                kept.append(index)
                keep_images.append(image)
        return kept, (self.preprocess(keep_images) if keep_images else None), done
