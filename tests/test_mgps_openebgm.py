"""MGPS against openEBGM (FDA's R package, the reference implementation) on its own caers data.

Reference figures are openEBGM 0.9.1's own output, printed in its vignettes (files of the CRAN
package, cran/openEBGM on GitHub, commit 6e6885cc875a4b3bd653b73cdbcff1ee74bbe0ca):

- inst/doc/vignette03-hyperparameterEstimation.html, "autoHyper()" section:
  ``autoHyper(processed, theta_init, squashed = FALSE)`` (full data, 3 starts) gives
  alpha1 3.25596685, beta1 0.39998994, alpha2 2.02376139, beta2 1.90614108, P 0.06530755 with
  minimum negative log-likelihood 4162.456; the squashed fit gives 3.25374319 0.39988512
  2.02611022 1.90806892 0.06534614.
- inst/doc/vignette04-posteriorCalculation.html: with theta_hat = 3.25379356 0.39988854
  2.02612692 1.90807970 0.06534557 (squashed fit, 5 starts), the first six pairs' Qn, EBGM,
  QUANT_05, QUANT_95, the five pairs with the largest QUANT_05, and 131 pairs with QUANT_05 >= 2.

openEBGM rounds EBGM and quantiles to 2 decimals, and its quantBisect stops its bisection at a
tolerance set by that ``digits`` argument (its manual, section Warning), so its printed quantiles
can be one unit off in the second decimal: quantiles are compared within 0.01, EBGM after rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path
from scipy import stats

from rxcompare.models import MgpsPrior
from rxcompare.signals.report_table import count_report_pairs
from rxcompare.signals.score import score_counts
from rxcompare.stats.mgps import fit_mgps_prior, mgps_scores, negloglik

pytestmark = pytest.mark.shared

FULL_FIT = (3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755)
FULL_NEGLL = 4162.456
SQUASHED_FIT_V3 = (3.25374319, 0.39988512, 2.02611022, 1.90806892, 0.06534614)
THETA_V4 = (3.25379356, 0.39988854, 2.02612692, 1.90807970, 0.06534557)
# autoHyper's default tolerances for "the same estimate" (its manual: tol = c(0.05, 0.05, 0.2,
# 0.2, 0.025)); the likelihood is flat in alpha1 (openEBGM reports SE 2.29 for it).
AUTOHYPER_TOL = (0.05, 0.05, 0.2, 0.2, 0.025)

# First six rows of processRaw(caers): Qn, EBGM, QUANT_05, QUANT_95 (vignette 04).
HEAD = [
    ("1-PHENYLALANINE", "HEART RATE INCREASED", 0.2819737, 2.23, 0.49, 13.85),
    ("11 UNSPECIFIED VITAMINS", "ASTHMA", 0.3409653, 2.58, 0.52, 15.78),
    ("11 UNSPECIFIED VITAMINS", "CARDIAC FUNCTION TEST", 0.3482317, 2.63, 0.52, 16.02),
    ("11 UNSPECIFIED VITAMINS", "CHEST PAIN", 0.2819737, 2.23, 0.49, 13.85),
    ("11 UNSPECIFIED VITAMINS", "DYSPNOEA", 0.2226356, 1.92, 0.47, 11.77),
    ("11 UNSPECIFIED VITAMINS", "HYPERSENSITIVITY", 0.2556670, 2.09, 0.48, 12.95),
]
# The five pairs with the largest QUANT_05 (vignette 04): N, E, QUANT_05, EBGM, QUANT_95.
TOP = [
    ("REUMOFAN PLUS", "WEIGHT INCREASED", 16, 0.40643623, 15.68, 23.26, 33.48),
    (
        "HYDROXYCUT REGULAR RAPID RELEASE CAPLETS",
        "EMOTIONAL DISTRESS",
        19,
        0.89690107,
        11.65,
        16.78,
        23.55,
    ),
    ("REUMOFAN PLUS", "IMMOBILE", 6, 0.07866508, 10.16, 18.28, 30.83),
    (
        "HYDROXYCUT HARDCORE CAPSULES",
        "CARDIO-RESPIRATORY DISTRESS",
        8,
        0.30482718,
        9.00,
        15.25,
        24.52,
    ),
    ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "INJURY", 11, 0.56317044, 8.98, 14.28, 21.78),
]


@pytest.fixture(scope="module")
def counts():
    return count_report_pairs(shared_path("openebgm", "caers.csv"), "id", "var1", "var2")


@pytest.fixture(scope="module")
def reference():
    # E read as text and converted by Python's float (exact on every pandas release; older
    # pandas defaults to a faster, inexact parser, and pandas 4 deprecates choosing one)
    ref = pd.read_csv(
        shared_path("openebgm", "caers_counts.csv"), keep_default_na=False, dtype={"E": str}
    )
    ref["E"] = ref["E"].map(float)
    return ref


@pytest.fixture(scope="module")
def frame(counts):
    e = (counts.a + counts.b) / (counts.a + counts.b + counts.c + counts.d) * (counts.a + counts.c)
    return pd.DataFrame({"var1": counts.drug, "var2": counts.event, "N": counts.a, "E": e})


def test_counts_equal_openebgm_processraw_exactly(counts, reference, frame):
    assert counts.n_reports == 3356
    assert len(counts) == len(reference) == 17189
    m = reference.merge(
        frame, on=["var1", "var2"], how="outer", suffixes=("_ref", ""), indicator=True
    )
    assert (m["_merge"] == "both").all()
    assert (m["N"] == m["N_ref"]).all()
    assert (m["E"] == m["E_ref"]).all()  # bit for bit


def test_negloglik_matches_openebgm(frame):
    assert negloglik(FULL_FIT, frame.N, frame.E) == pytest.approx(FULL_NEGLL, abs=5e-4)


def test_full_fit_matches_autohyper(frame):
    prior = fit_mgps_prior(frame.N, frame.E, squash=False)
    assert prior.converged and not prior.squashed and prior.n_pairs == 17189
    for got, ref in zip(prior.theta, FULL_FIT):
        assert got == pytest.approx(ref, rel=1e-3)  # well inside autoHyper's tolerance
    assert -prior.loglik <= FULL_NEGLL + 5e-4


def test_squashed_fit_effect_is_small(frame):
    full = fit_mgps_prior(frame.N, frame.E, squash=False)
    sq = fit_mgps_prior(frame.N, frame.E, squash=True, max_points=300)
    assert sq.squashed and sq.n_points < 400
    for got, ref, tol in zip(sq.theta, SQUASHED_FIT_V3, AUTOHYPER_TOL):
        assert abs(got - ref) <= tol
    # Measured effect of squashing on caers: likelihood loss < 0.01, EBGM/EB05 moved < 0.02.
    assert negloglik(sq.theta, frame.N, frame.E) - negloglik(full.theta, frame.N, frame.E) < 0.01
    s_full, s_sq = mgps_scores(full, frame.N, frame.E), mgps_scores(sq, frame.N, frame.E)
    assert np.max(np.abs(s_full.ebgm - s_sq.ebgm)) < 0.02
    assert np.max(np.abs(s_full.eb05 - s_sq.eb05)) < 0.02


def _prior(theta):
    return MgpsPrior(
        *theta,
        loglik=float("nan"),
        converged=True,
        method="openEBGM vignette",
        n_pairs=0,
        squashed=True,
    )


@pytest.fixture(scope="module")
def scored(frame):
    s = mgps_scores(_prior(THETA_V4), frame.N, frame.E)
    return frame.assign(qn=s.qn, ebgm=s.ebgm, eb05=s.eb05, eb95=s.eb95).set_index(["var1", "var2"])


@pytest.mark.parametrize(("drug", "event", "qn", "ebgm", "q05", "q95"), HEAD)
def test_scores_first_rows(scored, drug, event, qn, ebgm, q05, q95):
    row = scored.loc[(drug, event)]
    assert row.qn == pytest.approx(qn, abs=5e-8)
    assert round(row.ebgm, 2) == pytest.approx(ebgm, abs=1e-9)
    assert abs(row.eb05 - q05) <= 0.01
    assert abs(row.eb95 - q95) <= 0.01


@pytest.mark.parametrize(("drug", "event", "n", "e", "q05", "ebgm", "q95"), TOP)
def test_scores_top_pairs(scored, drug, event, n, e, q05, ebgm, q95):
    row = scored.loc[(drug, event)]
    assert row.N == n and row.E == pytest.approx(e, abs=5e-9)
    assert round(row.ebgm, 2) == pytest.approx(ebgm, abs=1e-9)
    assert abs(row.eb05 - q05) <= 0.01
    assert abs(row.eb95 - q95) <= 0.01


def test_number_of_pairs_with_eb05_at_least_2(scored):
    assert int((scored.eb05 >= 2).sum()) == 131


def test_quantiles_are_exact_posterior_quantiles(scored):
    # Independent check with scipy.stats: the mixture CDF at EB05 / EB95 is 0.05 / 0.95.
    a1, b1, a2, b2, _ = THETA_V4
    sub = scored.iloc[::997]
    for _, r in sub.iterrows():
        for x, q in ((r.eb05, 0.05), (r.eb95, 0.95)):
            cdf = r.qn * stats.gamma.cdf(x, a1 + r.N, scale=1 / (b1 + r.E)) + (
                1 - r.qn
            ) * stats.gamma.cdf(x, a2 + r.N, scale=1 / (b2 + r.E))
            assert cdf == pytest.approx(q, abs=1e-9)


def test_score_counts_end_to_end(counts):
    table = score_counts(counts)
    assert table.prior is not None and table.prior.n_pairs == 17189
    assert int(np.sum(table.columns["eb05"] >= 2)) == 131
    flagged = table.select(flagged_only=True)
    assert all(a >= 3 for a in flagged.columns["a"])
