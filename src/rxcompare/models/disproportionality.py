"""Records of disproportionality analysis: the 2x2 table (:class:`Contingency`, and
:class:`PairCounts` for many pairs at once), a statistic with its interval (:class:`Estimate`), a
drug-event :class:`Signal`, whether its event is in the label (:class:`Listedness`), and what a
post-marketing source returns (:class:`PostMarketing`).

The 2x2 cells are the literature's ``a, b, c, d``, defined once in :class:`Contingency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rxcompare.models.evidence import Citation

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Contingency", "Estimate", "Listedness", "PairCounts", "PostMarketing", "Signal"]


@dataclass(frozen=True)
class Estimate:
    """A statistic with its interval and the method that produced it (full precision)."""

    method: str  # "ror_wald", "prr_rothman", "ic_bcpnn", "ebgm_mgps", "rd_newcombe", ...
    value: float
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95


@dataclass(frozen=True)
class Contingency:
    """The 2x2 table of disproportionality analysis, counted in deduplicated cases.

    ====== ======= ==========
             event  not event
    ====== ======= ==========
    drug      a        b
    other     c        d
    ====== ======= ==========
    """

    a: int
    b: int
    c: int
    d: int

    @property
    def n(self) -> int:
        return self.a + self.b + self.c + self.d

    @property
    def expected(self) -> float:
        """E = (a+b)(a+c)/N, the count expected under independence."""
        return (self.a + self.b) * (self.a + self.c) / self.n if self.n else float("nan")


@dataclass(frozen=True)
class Signal:
    """A drug-event 2x2 table with its statistics.

    For a head-to-head signal, ``drug`` is drug A, ``comparator`` drug B, and the table is
    ``a`` = A & event, ``b`` = A & not event, ``c`` = B & event, ``d`` = B & not event, among reports
    of either and not both.
    """

    drug: str
    event: str
    table: Contingency
    estimates: tuple[Estimate, ...]
    citation: Citation
    counting_unit: str = "deduplicated case"
    comparator: str | None = None
    terms: tuple[str, ...] = ()  # MedDRA preferred terms grouped under ``event``
    filters: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()  # which threshold rules flagged the pair
    extra: tuple[tuple[str, Any], ...] = ()  # e.g. ("serious_share", 0.42), ("outcomes", ...)

    def estimate(self, method: str) -> Estimate | None:
        for e in self.estimates:
            if e.method == method:
                return e
        return None


@dataclass(frozen=True)
class PostMarketing:
    """What a post-marketing source returns for a pair of drugs.

    ``signals`` are head-to-head tables, one per event group (statistics may be left empty: the
    comparison computes them); ``per_year`` is (product id, year, count) in the source's counting unit.
    """

    signals: tuple[Signal, ...]
    per_year: tuple[tuple[str, int, int], ...]
    caveats: tuple[str, ...]
    citation: Citation
    provenance: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PairCounts:
    """2x2 tables for many drug-event pairs, as parallel arrays (one entry per pair).

    For a head-to-head table, ``comparator`` names drug B and the cells are a = A & event,
    b = A & not event, c = B & event, d = B & not event among reports of A or B but not both.
    """

    drug: np.ndarray  # str labels
    event: np.ndarray
    a: np.ndarray  # int64
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    n_reports: int
    source: str
    counting_unit: str = "distinct report id"
    comparator: str | None = None
    excluded_rows: int = 0
    filters: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return int(self.a.size)


@dataclass(frozen=True)
class Listedness:
    """Whether a drug-event pair's event is already in the product's label (EMA GVP Module IX's
    first question about a signal).

    ``state`` is ``listed`` (the event's MedDRA term, or its topic, appears in the boxed warning,
    warnings and precautions or adverse reactions; ``section``, ``match`` and ``citation`` say
    where and how), ``unlisted`` (neither appears, and the pack holds the whole text of those
    sections of that label) or ``unknown`` (``why``: the product is not in the pack, the pack holds
    those sections only in part, ...). "Unknown" is never "the label states nothing".
    """

    state: str  # "listed" | "unlisted" | "unknown"
    product: str | None
    event: str
    # how: "term" (the label prints the term), "term words" (all its words in one sentence),
    # "title" (a warning titled with words of the term), "topic" (a warning on the event's topic)
    match: str = ""
    topic: str = ""  # the topic matched (match "topic") or the event's topic
    section: str = ""  # "BW", "5.2", "6.1"
    section_title: str = ""
    citation: Citation | None = None
    why: str = ""

    def describe(self) -> str:
        """One line: ``listed: term in 5.2 Malignancies``, ``unlisted``, ``unknown: why``."""
        if self.state == "listed":
            how = f"topic {self.topic}" if self.match == "topic" else self.match
            return (
                f"listed: {how} in {' '.join(x for x in (self.section, self.section_title) if x)}"
            )
        return self.state + (f": {self.why}" if self.why else "")
