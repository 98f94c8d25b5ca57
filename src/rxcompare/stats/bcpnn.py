"""Information component (IC) of the Bayesian confidence propagation neural network (BCPNN).

The shrinkage form used by the Uppsala Monitoring Centre since Norén et al. (2006), with the
credibility interval from the quantiles of a gamma posterior (Norén, Hopstadius, Bate 2013)::

    IC    = log2((O + 1/2) / (E + 1/2))
    IC025 = log2(G^-1(0.025; O + 1/2, E + 1/2))
    IC975 = log2(G^-1(0.975; O + 1/2, E + 1/2))

where O = a is the observed count, E = (a + b)(a + c)/N the expected count, and G^-1(q; s, r)
the q-quantile of the gamma distribution with shape s and rate r.

References: Bate A et al., Eur J Clin Pharmacol 1998;54:315-321 (BCPNN); Norén GN et al., Stat
Med 2006;25:3740-3757; Norén GN, Hopstadius J, Bate A, Stat Methods Med Res 2013;22:57-69.

Policy: a = 0 is allowed (IC < 0 then, shrunk towards 0). N = 0 gives nan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaincinv

from rxcompare.errors import StatisticsError
from rxcompare.stats.contingency import as_cells, expected_count, per_count

__all__ = ["IcArrays", "ic_bcpnn"]

_LN2 = np.log(2.0)


@dataclass(frozen=True)
class IcArrays:
    """IC per pair with its credibility interval (``lower`` = IC025 at level 0.95)."""

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    method: str
    level: float


def ic_bcpnn(a: Any, b: Any, c: Any, d: Any, level: float = 0.95) -> IcArrays:
    """Shrinkage information component with its gamma credibility interval (see module doc)."""
    if not 0.0 < level < 1.0:
        raise StatisticsError(
            f"credibility level {level!r} is outside (0, 1); give a level such as 0.95"
        )
    a, b, c, d = as_cells(a, b, c, d)
    e = expected_count(a, b, c, d)
    valid = np.isfinite(e)
    shape = a + 0.5
    rate = np.where(valid, e, 0.0) + 0.5
    tail = (1.0 - level) / 2.0
    value = np.where(valid, np.log2(shape / rate), np.nan)
    # the gamma quantiles depend on the count only: once per distinct a
    g_lo = per_count(lambda v: gammaincinv(v + 0.5, tail), a)
    g_hi = per_count(lambda v: gammaincinv(v + 0.5, 1.0 - tail), a)
    lower = np.where(valid, np.log(g_lo / rate) / _LN2, np.nan)
    upper = np.where(valid, np.log(g_hi / rate) / _LN2, np.nan)
    return IcArrays(value, lower, upper, "ic_bcpnn", level)
