"""Minimum detectable relative risk: hand computations, the power it promises, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rxcompare.errors import StatisticsError
from rxcompare.stats.mdrr import mdrr_cohort_schoenfeld, mdrr_ror_wald, mdrr_z


def test_z_of_the_usual_design():
    # z_0.975 = 1.959964, z_0.8 = 0.841621 (normal tables)
    assert mdrr_z() == pytest.approx(1.959964 + 0.841621, abs=1e-6)


def test_schoenfeld_by_hand():
    # 500 and 500 subjects, 100 events: exp(2.801585 / sqrt(100 * 0.5 * 0.5)) = exp(0.560317) = 1.751228
    assert float(mdrr_cohort_schoenfeld(500, 500, 100)) == pytest.approx(1.751228, abs=1e-5)
    # unequal groups 200 / 800, 50 events: exp(2.801585 / sqrt(50 * 0.2 * 0.8)) = exp(0.990510) = 2.692607
    assert float(mdrr_cohort_schoenfeld(200, 800, 50)) == pytest.approx(2.692607, abs=1e-5)
    assert math.isinf(float(mdrr_cohort_schoenfeld(0, 800, 50)))


def test_ror_mdrr_by_hand():
    # n1 = a + b = 1000, c = 1000, d = 99000: o0 = 1/99, 1/c + 1/d = 0.00101010, k = 2.801585.
    # R = 1.92: o = 0.019394, SE^2 = 1.019394^2 / 19.394 + 0.00101 = 0.054592, k SE = 0.654587 > ln 1.92 = 0.652325
    # R = 1.93: o = 0.019495, SE^2 = 1.019495^2 / 19.495 + 0.00101 = 0.054325, k SE = 0.652987 < ln 1.93 = 0.657520
    # so the MDRR lies in (1.92, 1.93); a itself does not matter, only a + b
    for a in (0, 7, 500):
        r = float(mdrr_ror_wald(a, 1000 - a, 1000, 99000))
        assert 1.92 < r < 1.93


@pytest.mark.parametrize(
    "table", [(3, 97, 50, 20000), (0, 40, 900, 90000), (10, 5000, 3000, 400000)]
)
def test_power_at_the_mdrr_is_the_power_asked(table):
    a, b, c, d = table
    r = float(mdrr_ror_wald(a, b, c, d))
    o = r * c / d
    n1 = a + b
    se = math.sqrt((1 + o) ** 2 / (n1 * o) + 1 / c + 1 / d)
    power = stats.norm.cdf(math.log(r) / se - stats.norm.ppf(0.975))
    assert power == pytest.approx(0.8, abs=1e-9)
    # alpha 0.01 and power 0.9 need a larger relative risk
    assert float(mdrr_ror_wald(a, b, c, d, alpha=0.01, power=0.9)) > r


def test_more_reports_detect_smaller_risks_and_vectorised():
    n1 = np.array([10, 100, 1000, 10000])
    got = mdrr_ror_wald(np.zeros(4), n1, 500, 100000)
    assert np.all(np.diff(got) < 0)
    one_by_one = [float(mdrr_ror_wald(0, n, 500, 100000)) for n in n1]
    assert got.tolist() == one_by_one


@pytest.mark.parametrize("one_database", [True, False])
def test_each_design_computed_once_gives_every_table_its_own_value(one_database):
    """Pairs that share a design (n1 = a + b, c, d) share one computation; every pair still gets
    exactly the value it has alone, in either way designs are told apart (one database, where
    n1 and c name the design, or tables of several sizes)."""
    rng = np.random.default_rng(7)
    n1 = rng.integers(0, 40, 300)
    a = rng.integers(0, 5, 300) % (n1 + 1)
    c = rng.integers(0, 30, 300)
    n = np.full(300, 5000) if one_database else rng.integers(4000, 6000, 300)
    cells = (a, n1 - a, c, n - n1 - c)
    got = mdrr_ror_wald(*cells)
    alone = [float(mdrr_ror_wald(*(x[i] for x in cells))) for i in range(300)]
    assert got.tolist() == alone
    assert len(set(zip(n1.tolist(), c.tolist()))) < 300  # designs were shared


def test_nothing_detectable_is_inf():
    got = mdrr_ror_wald([0, 1, 1, 1], [0, 1, 5, 0], [5, 0, 5, 5], [100, 100, 0, 100])
    assert np.isinf(got[:3]).all()
    # one report of the drug: SE >= sqrt((1 + o)^2 / o) >= 2 grows with R faster than ln R
    assert np.isinf(got[3])


def test_bad_design_is_an_error():
    with pytest.raises(StatisticsError, match="alpha"):
        mdrr_ror_wald(1, 2, 3, 4, alpha=1.5)
    with pytest.raises(StatisticsError, match="cell b"):
        mdrr_ror_wald(1, -2, 3, 4)
