"""The 2x2 table of disproportionality analysis: checks, expected count, chi-square.

====== ======= ==========
         event  not event
====== ======= ==========
drug      a        b
other     c        d
====== ======= ==========

Cells count deduplicated reports (cases). Every function takes numpy arrays (or scalars) of equal
shape and works on all pairs at once. Input checks live here, in :func:`as_cells`, and nowhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rxcompare.errors import StatisticsError

__all__ = [
    "as_cells",
    "chi_square_yates",
    "expected_count",
    "haldane",
    "per_count",
    "z_value",
]


def z_value(level: float) -> float:
    """The two-sided standard normal quantile for a confidence ``level`` in (0, 1) (1.96 at 0.95)."""
    from scipy.special import ndtri

    if not 0.0 < level < 1.0:
        raise StatisticsError(
            f"confidence level {level!r} is outside (0, 1); give a level such as 0.95"
        )
    return float(ndtri(0.5 + level / 2.0))


def as_cells(
    a: Any, b: Any, c: Any, d: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check and convert the four cells to float64 arrays of one shape.

    Cells must be finite whole numbers >= 0 (counts of reports). Raises :class:`StatisticsError`
    naming the first offending cell and pair otherwise.
    """
    cells = [np.asarray(x, dtype=float) for x in (a, b, c, d)]
    try:
        cells = list(np.broadcast_arrays(*cells))
    except ValueError:
        shapes = ", ".join(str(x.shape) for x in cells)
        raise StatisticsError(
            f"cells a, b, c, d have shapes {shapes} that do not match; give one value per pair"
        ) from None
    for name, x in zip("abcd", cells):
        bad = ~np.isfinite(x) | (x < 0) | (x != np.floor(x))
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            raise StatisticsError(
                f"cell {name} of pair {i} is {x.ravel()[i]:g}; cells are counts of reports and must "
                "be whole numbers >= 0"
            )
    return cells[0], cells[1], cells[2], cells[3]


def per_count(func: Any, counts: np.ndarray) -> np.ndarray:
    """``func(counts)`` evaluated once per distinct count and scattered back (elementwise
    functions of a count, such as a gamma quantile of shape a + 1/2, repeat over many pairs).
    ``counts`` are whole numbers >= 0 (checked by the caller); the values are exactly those of
    ``func(counts)``."""
    counts = np.asarray(counts, dtype=float)
    flat = counts.ravel()
    if flat.size == 0:
        return func(counts)
    top = float(flat.max())
    if top <= 2 * flat.size + 65536:  # a lookup table indexed by the count: no sort
        index = flat.astype(np.int64)
        present = np.flatnonzero(np.bincount(index, minlength=int(top) + 1))
        table = np.zeros(int(top) + 1)
        table[present] = func(present.astype(float))
        out = table[index]
    else:
        values, inverse = np.unique(flat, return_inverse=True)
        out = func(values)[inverse]
    return out.reshape(counts.shape)


def haldane(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, where: np.ndarray):
    """Haldane-Anscombe correction: add 0.5 to all four cells of the pairs selected by ``where``.

    Haldane JBS, Ann Hum Genet 1956;20:309-311; Anscombe FJ, Biometrika 1956;43:461-464.
    Returns the four corrected float arrays (other pairs unchanged).
    """
    h = np.where(where, 0.5, 0.0)
    return a + h, b + h, c + h, d + h


def expected_count(a: Any, b: Any, c: Any, d: Any) -> np.ndarray:
    """Expected count under independence, E = (a + b)(a + c) / N with N = a + b + c + d.

    With cells counted as distinct reports this equals openEBGM's unstratified E,
    n(drug) n(event) / n (DuMouchel 1999, Am Stat 53:177-190). Evaluated as ((a + b) / N)(a + c),
    the order of operations that reproduces openEBGM's E bit for bit. nan where N = 0.
    """
    a, b, c, d = as_cells(a, b, c, d)
    n = a + b + c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (a + b) / np.where(n > 0, n, 1.0) * (a + c), np.nan)


def chi_square_yates(a: Any, b: Any, c: Any, d: Any) -> np.ndarray:
    """Pearson's chi-square with Yates' continuity correction (1 degree of freedom)::

        chi2 = N (max(0, |ad - bc| - N/2))^2 / ((a+b)(c+d)(a+c)(b+d))

    Yates F, Suppl J R Stat Soc 1934;1:217-235. The correction is not allowed to overshoot: when
    |ad - bc| < N/2 the statistic is 0. nan where a margin is 0 (the table has no information).
    """
    a, b, c, d = as_cells(a, b, c, d)
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    diff = np.maximum(np.abs(a * d - b * c) - n / 2.0, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = n * diff * diff / margins
    return np.where(margins > 0, out, np.nan)
