"""ROR, PRR, chi-square (Yates), E and IC on 2x2 tables: reference values, policies, properties."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from rxcompare.errors import StatisticsError
from rxcompare.stats.bcpnn import ic_bcpnn
from rxcompare.stats.contingency import chi_square_yates, expected_count
from rxcompare.stats.ror_prr import prr_rothman, ror_head_to_head, ror_wald

Z95 = 1.959963984540054

# Tables without zero cells. Reference values are computed independently below, by the textbook
# formula with exact fractions for the point estimates (Woolf 1955 for the ROR; Evans et al. 2001
# for the PRR) and math.log/math.sqrt for the interval; no published table of these is at hand.
TABLES = [
    (10, 990, 100, 98900),
    (3, 297, 1000, 198700),
    (25, 75, 50, 850),
    (1, 1, 1, 1),
    (120, 34000, 9100, 4100000),
]


def _ror_reference(a, b, c, d):
    est = Fraction(a * d, b * c)
    se = math.sqrt(sum(1 / Fraction(x) for x in (a, b, c, d)))
    return float(est), float(est) * math.exp(-Z95 * se), float(est) * math.exp(Z95 * se)


def _prr_reference(a, b, c, d):
    est = Fraction(a, a + b) / Fraction(c, c + d)
    se = math.sqrt(Fraction(1, a) - Fraction(1, a + b) + Fraction(1, c) - Fraction(1, c + d))
    return float(est), float(est) * math.exp(-Z95 * se), float(est) * math.exp(Z95 * se)


@pytest.mark.parametrize("table", TABLES)
def test_ror_wald_against_formula(table):
    r = ror_wald(*table)
    ref = _ror_reference(*table)
    got = (float(r.value), float(r.lower), float(r.upper))
    assert got == pytest.approx(ref, rel=1e-12)
    assert not bool(r.corrected)
    assert str(r.methods()) == "ror_wald"


@pytest.mark.parametrize("table", TABLES)
def test_prr_against_formula(table):
    r = prr_rothman(*table)
    got = (float(r.value), float(r.lower), float(r.upper))
    assert got == pytest.approx(_prr_reference(*table), rel=1e-12)


def test_ror_textbook_value_by_hand():
    # 10 x 98900 / (990 x 100) = 9.98990 (by hand); SE = sqrt(1/10+1/990+1/100+1/98900) = 0.333197
    r = ror_wald(10, 990, 100, 98900)
    assert float(r.value) == pytest.approx(9.98990, abs=5e-6)
    assert float(r.lower) == pytest.approx(9.98990 * math.exp(-Z95 * 0.333197), rel=1e-5)


@pytest.mark.parametrize("table", TABLES)
def test_chi_square_yates_matches_scipy(table):
    a, b, c, d = table
    ref = stats.chi2_contingency(np.array([[a, b], [c, d]]), correction=True)[0]
    assert float(chi_square_yates(*table)) == pytest.approx(ref, rel=1e-9)


def test_chi_square_yates_small_difference_is_zero():
    # |ad - bc| = 0 < N/2: the corrected statistic is 0, not negative or inflated.
    assert float(chi_square_yates(5, 5, 5, 5)) == 0.0


@pytest.mark.parametrize("table", TABLES)
def test_expected_count(table):
    a, b, c, d = table
    assert float(expected_count(*table)) == pytest.approx(
        float(Fraction((a + b) * (a + c), a + b + c + d)), rel=1e-14
    )


# ---- policies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "ror_corrected", "prr_corrected"),
    [
        ((5, 0, 10, 100), True, False),  # b = 0
        ((5, 10, 0, 100), True, True),  # c = 0
        ((5, 10, 10, 0), True, False),  # d = 0
        ((5, 10, 10, 100), False, False),
    ],
)
def test_haldane_only_when_a_cell_is_zero(table, ror_corrected, prr_corrected):
    r = ror_wald(*table)
    p = prr_rothman(*table)
    assert bool(r.corrected) is ror_corrected
    assert bool(p.corrected) is prr_corrected
    if ror_corrected:
        a, b, c, d = (x + 0.5 for x in table)
        assert float(r.value) == pytest.approx(a * d / (b * c), rel=1e-12)
        assert str(r.methods()) == "ror_wald_haldane"
    for x in (r, p):
        assert np.isfinite(x.value) and x.lower <= x.value <= x.upper


def test_a_zero_gives_nan():
    r = ror_wald(0, 10, 5, 100)
    p = prr_rothman(0, 10, 5, 100)
    for x in (r, p):
        assert np.isnan(x.value) and np.isnan(x.lower) and np.isnan(x.upper)
        assert not bool(x.corrected)


def test_head_to_head_is_ror_on_a_vs_b_table():
    h = ror_head_to_head(12, 388, 30, 1570)
    r = ror_wald(12, 388, 30, 1570)
    assert (h.value, h.lower, h.upper) == (r.value, r.lower, r.upper)


def test_vectorised_mixed_pairs():
    a = np.array([10, 0, 5, 3])
    b = np.array([990, 10, 0, 297])
    c = np.array([100, 5, 10, 1000])
    d = np.array([98900, 100, 100, 198700])
    r = ror_wald(a, b, c, d)
    assert r.value.shape == (4,)
    assert np.isnan(r.value[1])
    assert list(r.methods()) == ["ror_wald", "ror_wald", "ror_wald_haldane", "ror_wald"]
    assert r.value[0] == pytest.approx(_ror_reference(10, 990, 100, 98900)[0])


@pytest.mark.parametrize(
    ("cells", "fragment"),
    [
        ((-1, 2, 3, 4), "cell a of pair 0 is -1;"),
        ((1, 2.5, 3, 4), "cell b"),
        ((1, 2, np.nan, 4), "cell c"),
        ((np.array([1, 2]), np.array([1, 2, 3]), 1, 1), "do not match"),
    ],
)
def test_bad_cells_raise(cells, fragment):
    with pytest.raises(StatisticsError, match=fragment):
        ror_wald(*cells)


# ---- IC (BCPNN) -------------------------------------------------------------------------------


def _gamma_quantile_by_quadrature(q, shape, rate):
    """Independent route: integrate the gamma density and solve for the quantile."""

    def cdf(x):
        return integrate.quad(lambda t: stats.gamma.pdf(t, shape, scale=1 / rate), 0, x, limit=200)[
            0
        ]

    hi = shape / rate
    while cdf(hi) < q:
        hi *= 2
    return optimize.brentq(lambda x: cdf(x) - q, 1e-300, hi, xtol=1e-14, rtol=1e-12)


@pytest.mark.parametrize("table", TABLES + [(0, 50, 50, 900)])
def test_ic_against_quadrature(table):
    a, b, c, d = table
    e = (a + b) * (a + c) / (a + b + c + d)
    r = ic_bcpnn(*table)
    assert float(r.value) == pytest.approx(math.log2((a + 0.5) / (e + 0.5)), rel=1e-12)
    lo = _gamma_quantile_by_quadrature(0.025, a + 0.5, e + 0.5)
    hi = _gamma_quantile_by_quadrature(0.975, a + 0.5, e + 0.5)
    assert float(r.lower) == pytest.approx(math.log2(lo), abs=1e-6)
    assert float(r.upper) == pytest.approx(math.log2(hi), abs=1e-6)


@pytest.mark.parametrize(
    "table", [(10, 990, 100, 98900), (25, 75, 50, 850), (120, 34000, 9100, 4100000)]
)
def test_ic025_close_to_noren_2006_approximation(table):
    # Norén et al. 2006 (Stat Med 25:3740): IC025 ~ IC - 3.3 (O+1/2)^-1/2 - 2 (O+1/2)^-3/2,
    # an approximation; agreement within 0.1 on counts >= 10.
    r = ic_bcpnn(*table)
    o = table[0] + 0.5
    approx = float(r.value) - 3.3 * o**-0.5 - 2 * o**-1.5
    assert float(r.lower) == pytest.approx(approx, abs=0.1)


# ---- properties -------------------------------------------------------------------------------

counts = st.integers(0, 10**6)


@given(st.integers(1, 10**5), counts, counts, counts)
def test_property_interval_contains_estimate(a, b, c, d):
    for r in (ror_wald(a, b, c, d), prr_rothman(a, b, c, d), ic_bcpnn(a, b, c, d)):
        assert r.lower <= r.value * (1 + 1e-12) and r.value <= r.upper * (1 + 1e-12)


@given(st.integers(1, 10**4), st.integers(1, 10**4), st.integers(1, 10**4), st.integers(1, 10**5))
def test_property_ror_rises_with_a(a, b, c, d):
    r = ror_wald(np.array([a, a + 1]), b, c, d)
    assert r.value[1] > r.value[0]
