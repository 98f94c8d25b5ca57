"""Minimum detectable relative risk (MDRR): what a null result could have detected.

A drug-event pair without a signal says nothing by itself: with few reports of the drug, only a
large relative risk could have been flagged. OHDSI reports, for every estimate, the minimum
detectable relative risk at a type I error alpha (two-sided) and a power 1 - beta; this module
gives it for the two designs rxcompare meets.

**Disproportionality 2x2 table** (:func:`mdrr_ror_wald`, the one scored on signal rows). The ROR
is tested by the Wald z test of ln ROR with Woolf's variance (:func:`rxcompare.stats.ror_prr.ror_wald`).
Hold the drug's reports n1 = a + b and the other cells c, d at their observed values; under a
true ROR = R the drug's event odds are R o0 with o0 = c / d, so its expected cells are::

    a_R = n1 p_R,  b_R = n1 (1 - p_R),  p_R = R o0 / (1 + R o0)
    SE_R = sqrt(1/a_R + 1/b_R + 1/c + 1/d) = sqrt((1 + R o0)^2 / (n1 R o0) + 1/c + 1/d)

and the test rejects with probability about Phi(ln R / SE_R - z_{1-alpha/2}) (the normal
approximation, the far tail neglected). The MDRR is the smallest R > 1 with::

    ln R >= (z_{1-alpha/2} + z_{1-beta}) SE_R

It does not depend on a, only on the design (n1, c, d): it is what could have been detected, not
what was seen. When no R satisfies it (no report of the drug, c = 0 or d = 0, or so few reports
that even a huge R leaves the drug's cells too small) the MDRR is ``inf``. Woolf B, Ann Hum Genet
1955;19:251-253 (the variance); the power of a z test: any textbook (e.g. Rosner B, Fundamentals
of Biostatistics).

**Cohort comparison** (:func:`mdrr_cohort_schoenfeld`): OHDSI CohortMethod's ``computeMdrr``
(Schuemie et al.; the formula of Schoenfeld DA, Biometrics 1983;39:499-503, for the number of events
a proportional-hazards comparison needs)::

    MDRR = exp(sqrt((z_{1-alpha/2} + z_{1-beta})^2 / (D p_A p_B)))

with D events in all, and p_A, p_B the shares of subjects in the two groups. It is given for
reference and for tables read as two cohorts (head to head: reports of A and of B).

Defaults: alpha = 0.05 two-sided, power = 0.8 (z = 1.95996 and 0.84162).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rxcompare.errors import StatisticsError
from rxcompare.stats.contingency import as_cells

__all__ = ["MDRR_METHOD", "mdrr_cohort_schoenfeld", "mdrr_ror_wald", "mdrr_z"]

MDRR_METHOD = "mdrr_ror_wald"
_LOG_MAX = float(np.log(1e6))  # relative risks searched: (1, 1e6]
_GRID = 128  # points from the lower bound to ln 1e6, refined by bisection
_CHUNK = 8192  # pairs per block (the grid is _GRID x _CHUNK floats)


def mdrr_z(alpha: float = 0.05, power: float = 0.8) -> float:
    """z_{1-alpha/2} + z_{power}: 2.8016 for alpha 0.05 two-sided and power 0.8."""
    from scipy.special import ndtri

    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise StatisticsError(
            f"alpha {alpha!r} and power {power!r} must lie in (0, 1); the usual values are 0.05 and 0.8"
        )
    return float(ndtri(1.0 - alpha / 2.0) + ndtri(power))


def _shortfall(
    x: np.ndarray, k: float, n1: np.ndarray, o0: np.ndarray, v0: np.ndarray
) -> np.ndarray:
    """ln R - k SE_R at x = ln R (>= 0 where R is detectable)."""
    o = o0 * np.exp(x)
    return x - k * np.sqrt((1.0 + o) ** 2 / (n1 * o) + v0)


def mdrr_ror_wald(
    a: Any, b: Any, c: Any, d: Any, alpha: float = 0.05, power: float = 0.8
) -> np.ndarray:
    """The minimum detectable ROR of each 2x2 table (see the module doc for the formula).

    Vectorised over pairs; cells are checked by :func:`~rxcompare.stats.contingency.as_cells`.
    ``inf`` where no ROR up to 1e6 is detectable. The root is bracketed on a grid of ln R and
    refined by bisection to 1e-9 on the log scale. Since (1 + o)^2 / o >= 4, no R below
    exp(k sqrt(4 / n1 + 1/c + 1/d)) is detectable: the grid starts there.
    """
    k = mdrr_z(alpha, power)
    a, b, c, d = as_cells(a, b, c, d)
    shape = a.shape
    first, inverse = _designs((a + b).ravel(), c.ravel(), d.ravel())
    n1, c, d = (a + b).ravel()[first], c.ravel()[first], d.ravel()[first]
    out = np.full(n1.shape, np.inf)
    ok = (n1 > 0) & (c > 0) & (d > 0)
    idx = np.flatnonzero(ok)
    steps = np.linspace(0.0, 1.0, _GRID + 1)[:, None]
    for start in range(0, idx.size, _CHUNK):
        i = idx[start : start + _CHUNK]
        n, o0 = n1[i], c[i] / d[i]
        v0 = 1.0 / c[i] + 1.0 / d[i]
        floor = np.minimum(k * np.sqrt(4.0 / n + v0), _LOG_MAX)  # f < 0 below it
        grid = floor + steps * (_LOG_MAX - floor)  # (grid, pairs)
        hit = _shortfall(grid, k, n, o0, v0) >= 0
        found = hit.any(axis=0)
        first = np.argmax(hit, axis=0)
        cols = np.arange(i.size)
        lo = np.where(first > 0, grid[np.maximum(first - 1, 0), cols], 0.0)
        hi = grid[first, cols]
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            up = _shortfall(mid, k, n, o0, v0) >= 0
            hi = np.where(up, mid, hi)
            lo = np.where(up, lo, mid)
        out[i] = np.where(found, np.exp(hi), np.inf)
    return out[inverse].reshape(shape)


def _designs(n1: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One table of each distinct design (n1, c, d) (its index) and, for each table, the number of
    its design: the MDRR is a function of the design, and a database's pairs share few designs
    (CAERS: 17,189 pairs, 2,221 designs). Each design is computed once, as it would be alone."""
    if n1.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    n = n1 + c + d
    top = float(n.max()) + 1.0
    if (n == n[0]).all() and top * top < 2.0**53:  # one database: d = n - n1 - c
        _, first, inverse = np.unique(n1 * top + c, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(
            np.stack([n1, c, d], axis=1), axis=0, return_index=True, return_inverse=True
        )
    return first, inverse.ravel()


def mdrr_cohort_schoenfeld(
    n_target: Any, n_comparator: Any, events: Any, alpha: float = 0.05, power: float = 0.8
) -> np.ndarray:
    """OHDSI CohortMethod's MDRR (Schoenfeld 1983): exp(sqrt(k^2 / (D p_A p_B))) with
    k = z_{1-alpha/2} + z_{power}, D the events, p_A and p_B the groups' shares. ``inf`` where a
    group or the events are 0."""
    k = mdrr_z(alpha, power)
    nt, nc, ev, _ = as_cells(n_target, n_comparator, events, 0)
    total = nt + nc
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = np.where(total > 0, nt / np.where(total > 0, total, 1.0), 0.0)
        info = ev * pa * (1.0 - pa)
        out = np.where(info > 0, np.exp(np.sqrt(k * k / np.where(info > 0, info, 1.0))), np.inf)
    return out
