"""Trial incidences: the Wilson score interval and Newcombe's risk difference interval.

Used to compare an adverse reaction's incidence in a trial arm with the same trial's comparator arm
(never across trials). Pure functions on numpy arrays; scalars in give floats out.

References
----------
- Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat Assoc
  1927;22:209-212.
- Newcombe RG. Interval estimation for the difference between independent proportions: comparison
  of eleven methods. Stat Med 1998;17:873-890 (method 10, the hybrid score interval; Table II).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rxcompare.errors import StatisticsError

if TYPE_CHECKING:
    import numpy as np

# numpy (and scipy, for z) are imported where used, for arrays: whole-number scalars (one trial
# arm and its comparator, as a comparison asks) take plain arithmetic, so that the command line
# starts without them.

__all__ = ["risk_difference_newcombe", "wilson_interval"]


def _whole(*values: Any) -> bool:
    """Whether every value is a plain int: the scalar path, without numpy or scipy."""
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _z_scalar(level: float) -> float:
    """The two-sided normal quantile (:func:`rxcompare.stats.contingency.z_value`) without scipy."""
    from statistics import NormalDist

    if not 0.0 < level < 1.0:
        raise StatisticsError(
            f"confidence level {level!r} is outside (0, 1); give a level such as 0.95"
        )
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _wilson_scalar(x: int, n: int, z: float, what: str) -> tuple[float, float]:
    if n < 1 or not 0 <= x <= n:
        raise StatisticsError(
            f"{what}: {x:g} events of {n:g} patients cannot be used; "
            "counts must be whole numbers with 0 <= events <= patients and at least 1 patient"
        )
    z2 = z * z
    centre = (x + z2 / 2.0) / (n + z2)
    half = z * math.sqrt(x * (n - x) / n + z2 / 4.0) / (n + z2)
    lower = 0.0 if x == 0 else min(max(centre - half, 0.0), 1.0)
    upper = 1.0 if x == n else min(max(centre + half, 0.0), 1.0)
    return lower, upper


def _counts(x: Any, n: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Check event counts ``x`` of ``n`` patients: whole numbers, 0 <= x <= n, n >= 1."""
    import numpy as np

    xa = np.asarray(x, dtype=float)
    na = np.asarray(n, dtype=float)
    try:
        xa, na = np.broadcast_arrays(xa, na)
    except ValueError:
        raise StatisticsError(
            f"{what}: counts of shape {xa.shape} and sizes of shape {na.shape} do not match; "
            "give one size per count"
        ) from None
    bad = ~np.isfinite(xa) | ~np.isfinite(na) | (xa != np.round(xa)) | (na != np.round(na))
    bad |= (xa < 0) | (na < 1) | (xa > na)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise StatisticsError(
            f"{what}: {xa.ravel()[i]:g} events of {na.ravel()[i]:g} patients cannot be used; "
            "counts must be whole numbers with 0 <= events <= patients and at least 1 patient"
        )
    return xa, na


def _out(*arrays: np.ndarray) -> Any:
    """Return floats for 0-d results, arrays otherwise."""
    if arrays[0].ndim == 0:
        return tuple(float(a) for a in arrays)
    return arrays


def wilson_interval(x: Any, n: Any, level: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion x/n (no continuity correction).

    With p = x/n and z the two-sided normal quantile for ``level``::

        centre = (x + z^2/2) / (n + z^2)
        half   = z * sqrt(x (n - x) / n + z^2/4) / (n + z^2)
        (lower, upper) = (centre - half, centre + half)

    Wilson 1927; Newcombe 1998 method 3. Vectorised over ``x`` and ``n``; returns ``(lower, upper)``
    as floats for scalar input, else arrays. Raises :class:`StatisticsError` for counts that are
    not whole numbers with 0 <= x <= n and n >= 1.
    """
    if _whole(x, n):  # one arm: plain arithmetic (a comparison on the pack loads no numpy)
        return _wilson_scalar(x, n, _z_scalar(level), "Wilson interval")
    import numpy as np

    from rxcompare.stats.contingency import z_value

    z = z_value(level)
    xa, na = _counts(x, n, "Wilson interval")
    z2 = z * z
    denom = na + z2
    centre = (xa + z2 / 2.0) / denom
    half = z * np.sqrt(xa * (na - xa) / na + z2 / 4.0) / denom
    # At x = 0 (x = n) the bound is exactly 0 (1); clip the rounding error of the subtraction.
    lower = np.clip(centre - half, 0.0, 1.0)
    upper = np.clip(centre + half, 0.0, 1.0)
    lower = np.where(xa == 0, 0.0, lower)
    upper = np.where(xa == na, 1.0, upper)
    return _out(lower, upper)


def risk_difference_newcombe(
    x1: Any, n1: Any, x2: Any, n2: Any, level: float = 0.95
) -> tuple[Any, Any, Any]:
    """Risk difference p1 - p2 with Newcombe's hybrid score interval (1998, method 10).

    With p_i = x_i/n_i and (l_i, u_i) the Wilson score interval of p_i (:func:`wilson_interval`)::

        rd    = p1 - p2
        lower = rd - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        upper = rd + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    Newcombe RG, Stat Med 1998;17:873-890, method 10 (e.g. 56/70 vs 48/80 gives 0.2000, 95% CI
    0.0524 to 0.3339, Table II). Group 1 is the treatment arm, group 2 its comparator in the same
    trial. Vectorised over all arguments; returns ``(rd, lower, upper)`` as floats for scalar
    input, else arrays. Raises :class:`StatisticsError` for impossible counts.
    """
    if _whole(x1, n1, x2, n2):  # one pair of arms: plain arithmetic, the same formulas
        z = _z_scalar(level)
        l1, u1 = _wilson_scalar(x1, n1, z, "risk difference, group 1")
        l2, u2 = _wilson_scalar(x2, n2, z, "risk difference, group 2")
        p1, p2 = x1 / n1, x2 / n2
        rd = p1 - p2
        return (
            rd,
            rd - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            rd + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
        )
    import numpy as np

    xa1, na1 = _counts(x1, n1, "risk difference, group 1")
    xa2, na2 = _counts(x2, n2, "risk difference, group 2")
    try:
        xa1, na1, xa2, na2 = np.broadcast_arrays(xa1, na1, xa2, na2)
    except ValueError:
        raise StatisticsError(
            f"risk difference: group 1 of shape {xa1.shape} and group 2 of shape {xa2.shape} "
            "do not match; give one comparator per arm"
        ) from None
    l1, u1 = (np.asarray(v) for v in wilson_interval(xa1, na1, level))
    l2, u2 = (np.asarray(v) for v in wilson_interval(xa2, na2, level))
    p1 = xa1 / na1
    p2 = xa2 / na2
    rd = p1 - p2
    lower = rd - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = rd + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return _out(rd, lower, upper)
