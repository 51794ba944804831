"""Clustered unit vectors shaped like sentence embeddings, for the vector index's tests
and ``bench.vector_index``.

Random unit cluster centres (one per ``per_cluster`` vectors) plus Gaussian noise,
normalised: with ``noise=0.045`` at 384 dimensions a vector's cosine to its own centre
is about 0.75, so nearest neighbours are cluster mates, as with MiniLM vectors of
related texts, rather than the near-orthogonal neighbours of uniform noise.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clustered", "normalised"]


def normalised(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length, as float32."""
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, dim: int = 384, *, seed: int = 0, centres: np.ndarray | None = None,
              per_cluster: int = 200, noise: float = 0.045) -> tuple[np.ndarray, np.ndarray]:
    """``n`` normalised float32 vectors around ``centres`` (drawn when None), and the
    centres; pass the centres back to draw queries from the same clusters."""
    rng = np.random.default_rng(seed)
    if centres is None:
        centres = normalised(rng.standard_normal((max(1, n // per_cluster), dim), np.float32))
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        picks = rng.integers(0, len(centres), size)
        jitter = rng.standard_normal((size, dim), np.float32) * noise
        out[start:start + size] = normalised(centres[picks] + jitter)
    return out, centres
