"""Signals from the FAERS warehouse, on any engine: count (:mod:`rxcompare.sources.faers.counts`),
score (:func:`rxcompare.signals.score.score_counts`), select.

:func:`signals_from_warehouse` scores every pair of the cases a query selects (the MGPS prior fitted
on all of them) and keeps the pairs asked for, or a head-to-head table of two drugs;
:func:`signals_by_quarter` scores the cumulative database at each quarter received.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from rxcompare.errors import ConfigError, FaersError, UnknownDrugError
from rxcompare.models import PairCounts, SignalTable
from rxcompare.signals.score import run_signals, score_counts, select_pairs, with_listed
from rxcompare.sources.faers.counts import CountQuery, count_cells, cumulate, head_to_head
from rxcompare.stats.thresholds import Thresholds

__all__ = ["score_warehouse_counts", "signals_by_quarter", "signals_from_warehouse"]


def _check_drug(labels: np.ndarray, drug: str, where: str) -> None:
    if drug not in set(labels.tolist()):
        close = tuple(
            difflib.get_close_matches(drug, sorted(set(labels.tolist())), n=5, cutoff=0.6)
        )
        product = _pack_product(drug)
        hint = (
            f"; {drug!r} is a product of the knowledge pack (ingredient {product.ingredient.lower()}): give "
            f"{product.ingredient.lower()!r}, or {product.id!r} with --level product"
            if product is not None
            else ""
        )
        raise UnknownDrugError(
            f"no case {where} names {drug!r}; warehouse labels are lower-case ingredients (or product "
            "ids with --level product)"
            + hint
            + (f"; close labels: {', '.join(close)}" if close else ""),
            ((product.ingredient.lower(),) if product is not None else ()) + close,
        )


def _pack_product(name: str) -> Any:
    """The knowledge pack's product whose id or brand is ``name``, else None (no pack: None)."""
    from rxcompare.errors import PackError
    from rxcompare.sources.pack import load_pack

    try:
        pack = load_pack()
    except PackError:
        return None
    return next((p for p in pack.products if name in (p.id, p.brand.lower())), None)


def score_warehouse_counts(
    counts: PairCounts,
    thresholds: Thresholds | None = None,
    level: float = 0.95,
    expected: np.ndarray | None = None,
) -> SignalTable:
    """:func:`score_counts` with positional thresholds, level and stratified E (the warehouse's
    call shape)."""
    return score_counts(counts, thresholds, level=level, expected=expected)


def signals_from_warehouse(
    tables: Any,
    *,
    drug: str | None = None,
    events: Sequence[str] = (),
    vs: str | None = None,
    query: Any = None,
    strata: Sequence[str] = (),
    thresholds: Thresholds | None = None,
    level: float = 0.95,
) -> SignalTable:
    """:func:`run_signals` on a FAERS warehouse opened on any engine
    (:func:`rxcompare.sources.faers.engines.connect_engine`), counted by
    :mod:`rxcompare.sources.faers.counts` with ``query`` (a ``CountQuery``: roles, level, indication,
    quarters, country, sex, age band, seriousness). With ``strata`` (``sex``, ``age_band``,
    ``country``) the MGPS expected counts are stratified. ``drug``/``vs`` are warehouse labels
    (ingredient, or product id with ``level="product"``), ``events`` preferred terms; case does not
    matter. Raises :class:`UnknownDrugError` for a drug no counted case names. When the MGPS prior
    has no interior maximum, the constrained one is used (see the prior's ``method``).
    """
    query = CountQuery() if query is None else query
    drug = drug.strip().lower() if drug else None
    events = tuple(e.strip().upper() for e in events)
    if vs is not None:
        vs = vs.strip().lower()
        if strata:
            raise ConfigError(
                f"--strata {','.join(strata)} applies to MGPS; head-to-head tables (--vs) are not stratified"
            )

        def count_pair(x: str, y: str) -> PairCounts:
            counts = head_to_head(tables, x, y, query, events)
            arms = {
                x: int(counts.a[0] + counts.b[0]) if len(counts) else 0,
                y: int(counts.c[0] + counts.d[0]) if len(counts) else 0,
            }
            empty = [k for k, n in arms.items() if n == 0]
            if empty:
                raise FaersError(
                    f"head to head {x!r} vs {y!r}: no case names {empty[0]!r} without the other drug "
                    f"(filters: {'; '.join(f'{k}={v}' for k, v in query.describe())}); check the label "
                    "(`rxcompare signals DRUG` suggests close ones) or widen the filters"
                )
            return counts

        table = run_signals(
            lambda: count_pair(drug or "", vs),
            drug=drug,
            vs=vs,
            count_pair=count_pair,
            thresholds=thresholds,
            level=level,
        )
        return _warehouse_table(table, tables, query)
    counts, expected = cumulate(count_cells(tables, query, strata))
    if drug is not None:
        _check_drug(counts.drug, drug, "counted with these filters")
    table = score_warehouse_counts(counts, thresholds, level, expected)
    return _warehouse_table(select_pairs(table, drug, events), tables, query)


def _warehouse_table(table: SignalTable, tables: Any, query: Any) -> SignalTable:
    """A warehouse table with its source named and its rows' listedness."""
    from rxcompare.sources.faers.provenance import describe_source

    origin = describe_source(tables.location, query, table.counting_unit, tables.description)
    return with_listed(replace(table, origin=origin), query.level)


def signals_by_quarter(
    tables: Any,
    *,
    drug: str | None = None,
    events: Sequence[str] = (),
    query: Any = None,
    strata: Sequence[str] = (),
    thresholds: Thresholds | None = None,
    level: float = 0.95,
) -> tuple[tuple[str, SignalTable], ...]:
    """Cumulative scoring by quarter received (retrospective signal detection): for each quarter
    q, every statistic over the cases received up to q, with the MGPS prior refitted on all pairs
    of that cumulative database; one engine pass counts every quarter. Arguments as
    :func:`signals_from_warehouse`; returns ``((quarter, table), ...)`` in time order.
    """
    query = CountQuery() if query is None else query
    drug = drug.strip().lower() if drug else None
    events = tuple(e.strip().upper() for e in events)
    cells = count_cells(tables, query, strata, by_quarter=True)
    if drug is not None:
        _check_drug(cells.drugs, drug, "counted with these filters")
    out = []
    for quarter in cells.quarters:
        counts, expected = cumulate(cells, quarter)
        table = score_warehouse_counts(counts, thresholds, level, expected)
        out.append((quarter, _warehouse_table(select_pairs(table, drug, events), tables, query)))
    return tuple(out)
