"""Glue from counts to signals: every statistic for every pair, thresholds and flags.

``counts (PairCounts) -> score_counts -> SignalTable`` (columnar, numpy) ``-> Signal`` records;
the table's files (JSON, CSV, Parquet) are :mod:`rxcompare.signals.files`'.

Any counting function that returns a :class:`~rxcompare.models.PairCounts` plugs in: the
long-table counter of :mod:`rxcompare.signals.report_table` and the FAERS warehouse's
(:mod:`rxcompare.sources.faers.counts`). MGPS needs
the prior fitted over *all* pairs of the database, so score all pairs, then :meth:`SignalTable.select`
the ones asked for. Head-to-head tables (``counts.comparator`` set) get ROR, PRR, chi-square and IC;
MGPS does not apply to them (its columns are nan and no prior is fitted).

When the prior cannot be fitted at all (fewer than five distinct (N, E) points, or no starting
point converges -- a table too small to identify five parameters), the table is still scored:
ROR, PRR, chi-square and IC as usual, the MGPS columns nan, no pair flagged by EBGM, and
:attr:`SignalTable.mgps_note` says why (it is in every output: JSON ``mgps_note``, Parquet
metadata, the terminal table). A prior on a parameter bound is a fitted prior (see
:mod:`rxcompare.stats.mgps`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from rxcompare.errors import ConfigError, StatisticsError
from rxcompare.models import MgpsPrior, PairCounts, SignalTable
from rxcompare.stats.bcpnn import ic_bcpnn
from rxcompare.stats.contingency import chi_square_yates, expected_count
from rxcompare.stats.mdrr import MDRR_METHOD, mdrr_ror_wald
from rxcompare.stats.mgps import distinct_points, fit_mgps_prior, mgps_scores
from rxcompare.stats.ror_prr import prr_rothman, ror_wald
from rxcompare.stats.thresholds import Thresholds, flag_labels, flag_pairs

__all__ = [
    "LISTED_NOTE",
    "MDRR_NOTE",
    "run_signals",
    "score_counts",
    "select_pairs",
    "with_listed",
]

MDRR_NOTE = {
    "method": MDRR_METHOD,
    "alpha": 0.05,
    "sided": "two",
    "power": 0.8,
    "rows": "pairs without a signal; a flagged pair has none (null); an unflagged pair whose mdrr is null (inf in "
    "Parquet) could detect no ROR up to 1e6",
    "formula": "smallest R with ln R >= (z_0.975 + z_0.8) sqrt((1 + R c/d)^2 / ((a + b) R c/d) + 1/c + 1/d): the "
    "Wald test of ln ROR (Woolf's variance) at the cells expected under ROR = R, with a + b, c and d "
    "held as observed",
}
"""How the ``mdrr`` column is computed (in every JSON envelope and the Parquet metadata)."""
LISTED_NOTE = (
    "listed: the event's MedDRA term (or its topic) appears in the product label's boxed warning, 5 Warnings "
    "and Precautions or 6 Adverse Reactions as the knowledge pack holds it (listed_where: the section); "
    "unlisted: it does not, and the pack holds those sections whole (the label may word the event otherwise); "
    "unknown: the pack cannot tell (listed_where says why)"
)
"""What the ``listed`` column's three values mean."""


def score_counts(
    counts: PairCounts,
    thresholds: Thresholds | None = None,
    *,
    level: float = 0.95,
    prior: MgpsPrior | None = None,
    squash: bool | None = None,
    expected: np.ndarray | None = None,
) -> SignalTable:
    """Every statistic for every pair of ``counts``: ROR, PRR (with ``level`` intervals),
    chi-square (Yates), IC with IC025/IC975, E, and EBGM/EB05/EB95 from an MGPS prior fitted by
    maximum likelihood on these pairs (or the given ``prior``); then the threshold flags.

    ``expected`` replaces E = (a+b)(a+c)/n for MGPS (and the ``e`` column), e.g. the stratified
    E = sum_s n_s(drug) n_s(event) / n_s of DuMouchel (1999); ROR, PRR, chi-square and IC
    stay crude.
    """
    thresholds = Thresholds() if thresholds is None else thresholds
    a, b, c, d = counts.a, counts.b, counts.c, counts.d
    ror = ror_wald(a, b, c, d, level)
    prr = prr_rothman(a, b, c, d, level)
    ic = ic_bcpnn(a, b, c, d, level)
    e = expected_count(a, b, c, d)
    if expected is not None:
        expected = np.asarray(expected, dtype=float)
        if expected.shape != e.shape:
            raise StatisticsError(
                f"expected counts: {expected.size} values for {e.size} pairs; give one E per pair"
            )
        e = expected
    nan = np.full(a.shape, np.nan)
    note = ""
    points = None  # the distinct (N, E) points, found once for the fit and the scores
    if counts.comparator is None and a.size and prior is None:
        try:
            points = distinct_points(a, e)
            prior = fit_mgps_prior(a, e, squash=squash, points=points)
        except StatisticsError as exc:
            note = f"MGPS not estimated: {exc}"
    if counts.comparator is None and prior is not None:
        eb = mgps_scores(prior, a, e, points=points)
        ebgm, eb05, eb95 = eb.ebgm, eb.eb05, eb.eb95
    else:
        prior, ebgm, eb05, eb95 = None, nan, nan, nan
    flags = flag_pairs(a, ror.lower, eb05, ic.lower, thresholds)
    labels = flag_labels(flags)
    quiet = labels == ""  # what could have been detected is asked of the pairs without a signal
    mdrr = np.full(a.shape, np.nan)
    if quiet.any():
        mdrr[quiet] = mdrr_ror_wald(a[quiet], b[quiet], c[quiet], d[quiet])
    cols = {
        "drug": counts.drug,
        "event": counts.event,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "ror": ror.value,
        "ror_lower": ror.lower,
        "ror_upper": ror.upper,
        "prr": prr.value,
        "prr_lower": prr.lower,
        "prr_upper": prr.upper,
        "chi2": chi_square_yates(a, b, c, d),
        "ic": ic.value,
        "ic025": ic.lower,
        "ic975": ic.upper,
        "e": e,
        "ebgm": ebgm,
        "eb05": eb05,
        "eb95": eb95,
        "ror_method": ror.methods(),
        "prr_method": prr.methods(),
        "flags": labels,
        "mdrr": mdrr,
        "listed": np.full(a.shape, "unknown", dtype=object),
        "listed_where": np.full(a.shape, "not looked up", dtype=object),
    }
    return SignalTable(
        columns=cols,
        prior=prior,
        thresholds=thresholds,
        n_reports=counts.n_reports,
        source=counts.source,
        counting_unit=counts.counting_unit,
        comparator=counts.comparator,
        level=level,
        filters=counts.filters,
        excluded_rows=counts.excluded_rows,
        rules=thresholds.describe(),
        mgps_note=note,
    )


def run_signals(
    count_all: Callable[[], PairCounts],
    *,
    drug: str | None = None,
    events: Sequence[str] = (),
    vs: str | None = None,
    count_pair: Callable[[str, str], PairCounts] | None = None,
    thresholds: Thresholds | None = None,
    level: float = 0.95,
) -> SignalTable:
    """Count, score and select, whatever the source.

    ``count_all()`` returns the tables of every drug-event pair of the database (the MGPS prior is
    fitted on all of them); the result keeps the pairs of ``drug`` (all drugs when None) and of
    ``events`` (all when empty). With ``vs``, ``count_pair(drug, vs)`` returns the head-to-head
    tables of ``drug`` against ``vs`` instead. A warehouse plugs in by passing its own two
    counting functions.
    """
    if vs is not None:
        if drug is None or count_pair is None:
            raise ConfigError(
                f"--vs {vs!r} needs a first drug and a source that can count head-to-head tables"
            )
        if drug == vs:
            raise ConfigError(f"--vs {vs!r} is the drug itself; compare two different drugs")
        table = score_counts(count_pair(drug, vs), thresholds, level=level)
        return table.select(events=events) if events else table
    return select_pairs(score_counts(count_all(), thresholds, level=level), drug, events)


def select_pairs(table: SignalTable, drug: str | None, events: Sequence[str]) -> SignalTable:
    """The pairs of ``drug`` (all drugs when None) and ``events`` (all when empty)."""
    filters: tuple[tuple[str, str], ...] = ()
    if drug is not None:
        filters += (("drug", drug),)
    if events:
        filters += (("events", ", ".join(events)),)
    if drug is None and not events:
        return table
    return table.select(drugs=[drug] if drug else (), events=events, filters=filters)


def with_listed(table: SignalTable, level: str = "ingredient", pack: Any = None) -> SignalTable:
    """The table with its ``listed`` and ``listed_where`` columns filled from the knowledge pack
    (:func:`rxcompare.sources.pack.listed.listed_columns`; the drug of each row, drug A of a
    head-to-head table). A pack that cannot be loaded leaves every row ``unknown``, saying so."""
    from rxcompare.errors import PackError
    from rxcompare.sources.pack import load_pack
    from rxcompare.sources.pack.listed import listed_columns

    if pack is None:
        try:
            pack = load_pack()
        except PackError:
            pack = None
    state, where = listed_columns(pack, table.columns["drug"], table.columns["event"], level)
    return replace(table, columns={**table.columns, "listed": state, "listed_where": where})
