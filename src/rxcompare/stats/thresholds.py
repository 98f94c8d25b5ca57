"""Signal thresholds: which rule flags a drug-event pair.

The usual defaults of the literature, all parameters:

- ``ror``:  a >= 3 and the lower 95% bound of the ROR > 1 (van Puijenbroek et al. 2002);
- ``ebgm``: EB05 >= 2 (Szarfman, Machado, O'Neill 2002, Drug Saf 25:381-392);
- ``ic``:   IC025 > 0 (Norén et al. 2013).

Policy: every rule also requires a >= ``min_count`` (default 3) -- a pair seen in fewer than three
reports is never flagged, whatever its scores -- and a ``nan`` score never flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rxcompare.errors import StatisticsError

__all__ = ["RULES", "Thresholds", "flag_labels", "flag_pairs"]

RULES = ("ror", "ebgm", "ic")


@dataclass(frozen=True)
class Thresholds:
    """Threshold parameters (see the module doc for the rules and their sources)."""

    min_count: int = 3
    ror_lower: float = 1.0  # flag when the ROR's lower bound is above this
    eb05: float = 2.0  # flag when EB05 is at least this
    ic025: float = 0.0  # flag when IC025 is above this

    def __post_init__(self) -> None:
        if self.min_count < 0 or int(self.min_count) != self.min_count:
            raise StatisticsError(
                f"min_count {self.min_count!r} must be a whole number >= 0 (the usual value is 3)"
            )

    def describe(self) -> dict[str, str]:
        """The rules in words, for output headers."""
        return {
            "ror": f"a >= {self.min_count} and ROR lower bound > {self.ror_lower:g}",
            "ebgm": f"a >= {self.min_count} and EB05 >= {self.eb05:g}",
            "ic": f"a >= {self.min_count} and IC025 > {self.ic025:g}",
        }


def flag_pairs(
    a: Any, ror_lower: Any, eb05: Any, ic025: Any, thresholds: Thresholds = Thresholds()
) -> dict[str, np.ndarray]:
    """Boolean arrays, one per rule in :data:`RULES`, marking the pairs each rule flags."""
    a = np.asarray(a, dtype=float)
    enough = a >= thresholds.min_count
    with np.errstate(invalid="ignore"):
        return {
            "ror": enough & (np.asarray(ror_lower, dtype=float) > thresholds.ror_lower),
            "ebgm": enough & (np.asarray(eb05, dtype=float) >= thresholds.eb05),
            "ic": enough & (np.asarray(ic025, dtype=float) > thresholds.ic025),
        }


def flag_labels(flags: dict[str, np.ndarray]) -> np.ndarray:
    """Per pair, the rules that flagged it joined with '+' (``"ror+ebgm"``), or ``""``."""
    code = np.zeros(np.shape(next(iter(flags.values()))), dtype=np.intp)
    for bit, rule in enumerate(RULES):  # one bit per rule, then one lookup per pair
        code |= np.asarray(flags[rule], dtype=np.intp) << bit
    labels = np.array(
        [
            "+".join(r for bit, r in enumerate(RULES) if k >> bit & 1)
            for k in range(2 ** len(RULES))
        ],
        dtype=object,
    )
    return labels[code].ravel()
