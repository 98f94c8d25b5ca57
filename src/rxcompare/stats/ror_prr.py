"""Reporting odds ratio and proportional reporting ratio with Wald intervals on the log scale.

Policies (the same for every caller, tested in tests/test_stats_ror_prr.py):

- **a = 0**: the ratio and its interval are ``nan``. With no report of the drug and the event
  there is nothing to estimate; the count a = 0 itself is the result, and such a pair is never
  flagged.
- **a zero in a cell the estimate or its standard error divides by** (and a > 0): the
  Haldane-Anscombe correction adds 0.5 to all four cells of that pair, and the pair's method is
  ``ror_wald_haldane`` / ``prr_rothman_haldane`` (``corrected`` is True). Tables without a zero are
  never corrected. For the ROR that is any zero cell (its standard error divides by all four); for
  the PRR it is c = 0 (b = 0 or d = 0 leave the PRR defined).
- Full precision is returned; only renderers round.

``ror_head_to_head`` is simply :func:`ror_wald` applied to the head-to-head table of drug A against
drug B among reports of either (a = A & event, b = A & not event, c = B & event, d = B & not
event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rxcompare.stats.contingency import as_cells, haldane, z_value

__all__ = ["RatioArrays", "prr_rothman", "ror_head_to_head", "ror_wald"]


@dataclass(frozen=True)
class RatioArrays:
    """A ratio per pair with its interval; ``corrected`` marks pairs given the +0.5 correction."""

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    corrected: np.ndarray
    method: str  # the method of uncorrected pairs; corrected pairs add "_haldane"
    level: float

    def methods(self) -> np.ndarray:
        """The method name of each pair (``ror_wald`` or ``ror_wald_haldane``, ...)."""
        names = np.array([self.method, self.method + "_haldane"], dtype=object)
        return names[np.asarray(self.corrected, dtype=np.intp)]


def _interval(log_value: np.ndarray, se: np.ndarray, z: float, valid: np.ndarray):
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.where(valid, np.exp(log_value), np.nan)
        lower = np.where(valid, np.exp(log_value - z * se), np.nan)
        upper = np.where(valid, np.exp(log_value + z * se), np.nan)
    return value, lower, upper


def ror_wald(a: Any, b: Any, c: Any, d: Any, level: float = 0.95) -> RatioArrays:
    """Reporting odds ratio with the Wald (Woolf) interval on the log scale::

        ROR = (a d) / (b c)
        SE(ln ROR) = sqrt(1/a + 1/b + 1/c + 1/d)
        CI = exp(ln ROR -/+ z SE)

    Woolf B, Ann Hum Genet 1955;19:251-253; van Puijenbroek EP et al., Pharmacoepidemiol Drug Saf
    2002;11:3-10 (the ROR in pharmacovigilance). Zero cells: see the module policy.
    """
    z = z_value(level)
    a, b, c, d = as_cells(a, b, c, d)
    valid = a > 0
    fix = valid & ((b == 0) | (c == 0) | (d == 0))
    a2, b2, c2, d2 = haldane(a, b, c, d, fix)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ror = np.log(a2) + np.log(d2) - np.log(b2) - np.log(c2)
        se = np.sqrt(1.0 / a2 + 1.0 / b2 + 1.0 / c2 + 1.0 / d2)
    value, lower, upper = _interval(log_ror, se, z, valid)
    return RatioArrays(value, lower, upper, fix, "ror_wald", level)


def ror_head_to_head(a: Any, b: Any, c: Any, d: Any, level: float = 0.95) -> RatioArrays:
    """Head-to-head ROR of drug A against drug B: :func:`ror_wald` on the A-vs-B table.

    The table counts reports of A or B (not both): a = A & event, b = A & not event,
    c = B & event, d = B & not event. ROR > 1 means the event is reported relatively more often
    with A than with B.
    """
    return ror_wald(a, b, c, d, level)


def prr_rothman(a: Any, b: Any, c: Any, d: Any, level: float = 0.95) -> RatioArrays:
    """Proportional reporting ratio with the log-scale interval of the risk ratio::

        PRR = (a / (a + b)) / (c / (c + d))
        SE(ln PRR) = sqrt(1/a - 1/(a + b) + 1/c - 1/(c + d))
        CI = exp(ln PRR -/+ z SE)

    Evans SJW, Waller PC, Davis S, Pharmacoepidemiol Drug Saf 2001;10:483-486 (the PRR); the
    interval is the usual one for a ratio of proportions (Rothman KJ, Greenland S, Modern
    Epidemiology). Zero cells: see the module policy (c = 0 triggers the correction).
    """
    z = z_value(level)
    a, b, c, d = as_cells(a, b, c, d)
    valid = a > 0
    fix = valid & (c == 0)
    a2, b2, c2, d2 = haldane(a, b, c, d, fix)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_prr = np.log(a2) - np.log(a2 + b2) - np.log(c2) + np.log(c2 + d2)
        var = 1.0 / a2 - 1.0 / (a2 + b2) + 1.0 / c2 - 1.0 / (c2 + d2)
        se = np.sqrt(np.maximum(var, 0.0))
    value, lower, upper = _interval(log_prr, se, z, valid)
    return RatioArrays(value, lower, upper, fix, "prr_rothman", level)
