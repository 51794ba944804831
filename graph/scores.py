"""Significance of a co-occurrence: NPMI and Dunning's log-likelihood ratio.

Both take the same four counts, for one scope (documents, pages, images or
sentences): ``n_ab`` units holding both entities, ``n_a`` and ``n_b`` units holding
each, and ``n`` units in all (``graph_units``). They accept scalars (and return a
``float``) or numpy arrays (and return an array, element-wise).

Counts are first made consistent (``0 <= n_ab <= min(n_a, n_b)`` and
``n >= n_a + n_b - n_ab``), so a store read mid-update never yields NaN.

- ``npmi`` is ``ln(p_ab / (p_a p_b)) / -ln(p_ab)`` with ``p = count / n``: 1.0 when
  the two always occur together (and ``p_ab == 1``), 0.0 when independent, -1.0
  when they never co-occur (``n_ab == 0``). It ignores how much evidence there is,
  so two entities seen once, together, score 1.0.
- ``llr`` is Dunning's G² of the 2x2 table ``k11 = n_ab, k12 = n_a - n_ab,
  k21 = n_b - n_ab, k22 = n - n_a - n_b + n_ab``, in the entropy formulation
  ``2 (H(rows) + H(cols) - H(table))`` with ``H(k) = x ln x (sum k) - sum(k ln k)``.
  It is **signed**: negative when the pair co-occurs less often than independence
  predicts (``n_ab < n_a n_b / n``), so ranking by it puts avoidance last. Its
  magnitude grows with the evidence: about 3.84 is p = 0.05, 10.83 is p = 0.001.

>>> round(npmi(10, 10, 10, 100), 4), npmi(5, 5, 5, 5), npmi(0, 3, 4, 100)
(1.0, 1.0, -1.0)
>>> round(npmi(1, 10, 10, 100), 4)          # independent: p_ab == p_a p_b
0.0
>>> round(llr(10, 10, 10, 100), 2), llr(1, 10, 10, 100)
(65.02, 0.0)
>>> round(llr(0, 50, 50, 100), 2)           # never together although both are common
-138.63
>>> import numpy as np
>>> np.round(npmi(np.array([2, 9]), np.array([2, 10]), np.array([2, 90]), 100), 3)
array([1., 0.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["npmi", "llr"]


def _table(n_ab: Any, n_a: Any, n_b: Any, n: Any) -> tuple[np.ndarray, ...]:
    """Consistent float arrays ``(n_ab, n_a, n_b, n)``."""
    n_a, n_b = np.asarray(n_a, dtype=float), np.asarray(n_b, dtype=float)
    n_ab = np.clip(np.asarray(n_ab, dtype=float), 0.0, np.minimum(n_a, n_b))
    n_ab = np.maximum(n_ab, 0.0)
    n = np.maximum(np.asarray(n, dtype=float), n_a + n_b - n_ab)
    return n_ab, n_a, n_b, n


def _out(value: np.ndarray, *inputs: Any) -> Any:
    """A ``float`` when every input was a scalar, else the array."""
    return float(value) if all(np.ndim(x) == 0 for x in inputs) else value


def npmi(n_ab: Any, n_a: Any, n_b: Any, n: Any) -> Any:
    """Normalised pointwise mutual information, in [-1, 1] (see the module doc).

    >>> round(npmi(2, 2, 90, 100), 3)
    0.027
    """
    k, a, b, total = _table(n_ab, n_a, n_b, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(k * total) - np.log(a * b)
        value = pmi / (np.log(total) - np.log(k))
    value = np.where(k >= total, 1.0, value)
    value = np.where(k <= 0, -1.0, value)
    return _out(np.clip(value, -1.0, 1.0), n_ab, n_a, n_b, n)


def _xlogx(x: np.ndarray) -> np.ndarray:
    """``x ln x`` with ``0 ln 0 = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0)


def _entropy(*counts: np.ndarray) -> np.ndarray:
    """Unnormalised Shannon entropy ``x ln x (sum) - sum(x ln x)`` of counts."""
    return _xlogx(sum(counts)) - sum(_xlogx(c) for c in counts)


def llr(n_ab: Any, n_a: Any, n_b: Any, n: Any) -> Any:
    """Signed log-likelihood ratio G² (see the module doc).

    >>> round(llr(2, 2, 2, 100), 2), round(llr(2, 2, 90, 100), 2)
    (19.61, 0.43)
    """
    k11, a, b, total = _table(n_ab, n_a, n_b, n)
    k12, k21 = a - k11, b - k11
    k22 = total - a - b + k11
    rows, cols = _entropy(k11 + k12, k21 + k22), _entropy(k11 + k21, k12 + k22)
    g2 = 2.0 * (rows + cols - _entropy(k11, k12, k21, k22))
    g2 = np.where(g2 > 1e-9 * (1.0 + _xlogx(total)), g2, 0.0)  # rounding noise
    expected = np.divide(a * b, total, out=np.zeros_like(g2), where=total > 0)
    return _out(np.where(k11 < expected, -g2, g2), n_ab, n_a, n_b, n)
