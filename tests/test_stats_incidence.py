"""Wilson and Newcombe intervals against Newcombe's published examples."""

from __future__ import annotations

from fractions import Fraction
from math import isclose, sqrt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rxcompare.errors import StatisticsError
from rxcompare.stats.incidence import risk_difference_newcombe, wilson_interval

# Newcombe RG. Interval estimation for the difference between independent proportions: comparison
# of eleven methods. Stat Med 1998;17:873-890, Table II, method 10 (hybrid score, no continuity
# correction). Values printed to 4 decimals; tolerance 5e-5 (half a unit in the last place).
NEWCOMBE_1998_TABLE_II = [
    ((56, 70, 48, 80), (0.2000, 0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.6000, 0.1705, 0.8090)),
    ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
    ((0, 10, 0, 20), (0.0, -0.1611, 0.2775)),
    ((0, 10, 0, 10), (0.0, -0.2775, 0.2775)),
    ((10, 10, 0, 20), (1.0, 0.6791, 1.0)),
    ((10, 10, 0, 10), (1.0, 0.6075, 1.0)),
]

# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 1998;17:857-872, Table I, method 3 (Wilson score, no continuity correction).
NEWCOMBE_1998_WILSON = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_1998_TABLE_II)
def test_newcombe_method_10_published(counts, expected):
    got = risk_difference_newcombe(*counts)
    for g, e in zip(got, expected):
        assert abs(g - e) <= 5e-5, (counts, got, expected)


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_1998_WILSON)
def test_wilson_published(counts, expected):
    got = wilson_interval(*counts)
    for g, e in zip(got, expected):
        assert abs(g - e) <= 5e-5, (counts, got, expected)


def _wilson_by_quadratic(x: int, n: int, z: float) -> tuple[float, float]:
    """Independent route: the roots of (p - x/n)^2 = z^2 p (1 - p) / n, solved as a quadratic."""
    ph = Fraction(x, n)
    # (1 + z^2/n) p^2 - (2 ph + z^2/n) p + ph^2 = 0
    qa = 1 + z * z / n
    qb = -(2 * float(ph) + z * z / n)
    qc = float(ph) ** 2
    disc = sqrt(qb * qb - 4 * qa * qc)
    return (-qb - disc) / (2 * qa), (-qb + disc) / (2 * qa)


@pytest.mark.parametrize(
    ("x", "n"), [(6, 7), (2, 7), (1, 3), (17, 400), (399, 400), (0, 1), (1, 1)]
)
def test_wilson_matches_quadratic_roots(x, n):
    z = 1.959963984540054
    lo, hi = wilson_interval(x, n)
    rlo, rhi = _wilson_by_quadratic(x, n, z)
    assert isclose(lo, max(rlo, 0.0), abs_tol=1e-12)
    assert isclose(hi, min(rhi, 1.0), abs_tol=1e-12)


def test_vectorised_equals_scalar():
    x1 = np.array([56, 9, 6, 5, 0])
    n1 = np.array([70, 10, 7, 56, 10])
    x2 = np.array([48, 3, 2, 0, 0])
    n2 = np.array([80, 10, 7, 29, 20])
    rd, lo, hi = risk_difference_newcombe(x1, n1, x2, n2)
    assert rd.shape == (5,)
    for i in range(5):
        s = risk_difference_newcombe(int(x1[i]), int(n1[i]), int(x2[i]), int(n2[i]))
        assert (rd[i], lo[i], hi[i]) == pytest.approx(s, abs=1e-15)


def test_level_changes_width():
    _, lo90, hi90 = risk_difference_newcombe(56, 70, 48, 80, level=0.90)
    _, lo99, hi99 = risk_difference_newcombe(56, 70, 48, 80, level=0.99)
    assert lo99 < lo90 and hi90 < hi99


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((5, 4, 1, 10), "5 events of 4 patients"),
        ((-1, 4, 1, 10), "-1 events"),
        ((1, 0, 1, 10), "at least 1 patient"),
        ((1.5, 4, 1, 10), "whole numbers"),
        ((np.array([1, 2]), np.array([3, 4, 5]), 1, 10), "do not match"),
    ],
)
def test_impossible_counts_raise(args, fragment):
    with pytest.raises(StatisticsError, match=fragment):
        risk_difference_newcombe(*args)


@pytest.mark.parametrize("level", [0.0, 1.0, 95])
def test_bad_level_raises(level):
    with pytest.raises(StatisticsError, match="outside"):
        wilson_interval(1, 10, level=level)


@st.composite
def two_arms(draw):
    n1 = draw(st.integers(1, 5000))
    n2 = draw(st.integers(1, 5000))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@given(two_arms())
def test_property_interval_contains_estimate(arms):
    rd, lo, hi = risk_difference_newcombe(*arms)
    assert -1.0 - 1e-12 <= lo <= rd <= hi <= 1.0 + 1e-12
    wl, wh = wilson_interval(arms[0], arms[1])
    assert 0.0 <= wl <= arms[0] / arms[1] <= wh <= 1.0


@pytest.mark.parametrize(
    "x1, n1, x2, n2", [(56, 70, 48, 80), (0, 10, 3, 20), (10, 10, 0, 5), (63, 314, 45, 301)]
)
def test_plain_int_counts_take_the_scalar_path_and_agree_with_arrays(x1, n1, x2, n2):
    scalar = risk_difference_newcombe(x1, n1, x2, n2)
    arrays = risk_difference_newcombe(*(np.array([v]) for v in (x1, n1, x2, n2)))
    assert all(isinstance(v, float) for v in scalar)
    assert scalar == pytest.approx([float(a[0]) for a in arrays], abs=1e-12)


def test_the_scalar_path_refuses_impossible_counts():
    with pytest.raises(StatisticsError, match="events of"):
        risk_difference_newcombe(5, 4, 1, 10)
    with pytest.raises(StatisticsError, match="confidence level"):
        risk_difference_newcombe(1, 4, 1, 10, level=1.5)
