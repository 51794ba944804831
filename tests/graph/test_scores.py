import doctest
import math

import numpy as np
import pytest

import graph.scores
from graph.scores import llr, npmi


def test_doctests():
    assert doctest.testmod(graph.scores).failed == 0


def test_npmi_bounds_and_independence():
    assert npmi(7, 7, 7, 7) == 1.0                     # p_ab == 1
    assert npmi(4, 4, 4, 50) == pytest.approx(1.0)     # always together
    assert npmi(0, 10, 10, 100) == -1.0                # never together
    assert npmi(5, 10, 50, 100) == pytest.approx(0.0)  # independent
    p_ab, p_a, p_b = 3 / 40, 6 / 40, 9 / 40
    assert npmi(3, 6, 9, 40) == pytest.approx(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))


def g2(k11: int, k12: int, k21: int, k22: int) -> float:
    """G² the textbook way: 2 * sum(observed * ln(observed / expected))."""
    table = np.array([[k11, k12], [k21, k22]], dtype=float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    nonzero = table > 0
    return 2 * float((table[nonzero] * np.log(table[nonzero] / expected[nonzero])).sum())


@pytest.mark.parametrize("n_ab, n_a, n_b, n", [(3, 12, 3, 100), (10, 12, 90, 100),
                                               (1, 1, 1, 2), (5, 5, 5, 5), (20, 40, 60, 1000)])
def test_llr_is_dunnings_g2_signed_by_direction(n_ab, n_a, n_b, n):
    expected = g2(n_ab, n_a - n_ab, n_b - n_ab, n - n_a - n_b + n_ab)
    sign = -1 if n_ab < n_a * n_b / n else 1
    assert llr(n_ab, n_a, n_b, n) == pytest.approx(sign * expected, abs=1e-9)


def test_vectorised_and_scalar_agree():
    n_ab, n_a, n_b = np.array([3, 10, 0]), np.array([12, 12, 5]), np.array([3, 90, 5])
    for score in (npmi, llr):
        out = score(n_ab, n_a, n_b, 100)
        assert isinstance(out, np.ndarray) and out.shape == (3,)
        assert list(out) == pytest.approx([score(int(a), int(b), int(c), 100)
                                           for a, b, c in zip(n_ab, n_a, n_b)])
        assert isinstance(score(1, 2, 3, 10), float)


def test_inconsistent_counts_never_give_nan():
    for args in [(0, 0, 0, 0), (5, 2, 2, 1), (3, 2, 9, 4), (1, 0, 0, 0)]:
        assert not math.isnan(npmi(*args)) and not math.isnan(llr(*args))
        assert -1.0 <= npmi(*args) <= 1.0
