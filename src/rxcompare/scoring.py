"""Glue from counts to signals: every statistic for every pair, thresholds and flags.

``counts (PairCounts) -> score_counts -> SignalTable`` (columnar, numpy) ``-> Signal`` records.

Any counting function that returns a :class:`~rxcompare.models.PairCounts` plugs in: the
long-table counter of :mod:`rxcompare.sources.report_table` and, later, the FAERS warehouse. MGPS needs
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

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from rxcompare.errors import ConfigError, FaersError, StatisticsError, UnknownDrugError
from rxcompare.models import Citation, Contingency, Estimate, PairCounts, Signal
from rxcompare.stats.bcpnn import ic_bcpnn
from rxcompare.stats.contingency import chi_square_yates, expected_count
from rxcompare.stats.mdrr import MDRR_METHOD, mdrr_ror_wald
from rxcompare.stats.mgps import MgpsPrior, distinct_points, fit_mgps_prior, mgps_scores
from rxcompare.stats.ror_prr import prr_rothman, ror_wald
from rxcompare.stats.thresholds import Thresholds, flag_labels, flag_pairs

__all__ = [
    "COLUMNS",
    "SORT_KEYS",
    "SignalTable",
    "by_quarter_arrow",
    "by_quarter_csv",
    "by_quarter_json",
    "prior_dict",
    "run_signals",
    "score_counts",
    "score_warehouse_counts",
    "signals_by_quarter",
    "signals_csv",
    "signals_from_reports",
    "signals_from_warehouse",
    "signals_json",
    "with_listed",
]

COLUMNS = (
    "drug", "event", "a", "b", "c", "d",
    "ror", "ror_lower", "ror_upper", "prr", "prr_lower", "prr_upper", "chi2",
    "ic", "ic025", "ic975", "e", "ebgm", "eb05", "eb95",
    "ror_method", "prr_method", "flags", "mdrr", "listed", "listed_where",
)
SORT_KEYS = ("ror", "ror_lower", "prr", "chi2", "ic", "ic025", "ebgm", "eb05", "a", "mdrr")
"""The columns ``signals --sort`` orders by (largest first; ``a`` is the number of cases, nan last)."""


@dataclass(frozen=True)
class SignalTable:
    """All statistics of many pairs as columns (numpy arrays in :data:`COLUMNS` order)."""

    columns: dict[str, np.ndarray]
    prior: MgpsPrior | None
    thresholds: Thresholds
    n_reports: int
    source: str
    counting_unit: str
    comparator: str | None = None
    level: float = 0.95
    filters: tuple[tuple[str, str], ...] = ()
    excluded_rows: int = 0
    rules: dict[str, str] = field(default_factory=dict)
    mgps_note: str = ""  # why MGPS was not estimated, when it was not (empty otherwise)
    # system, quarters or snapshot, counting unit, roles, indication, window
    # (rxcompare.sources.faers.provenance.describe_source)
    origin: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.columns["a"].size)

    def select(
        self, mask: np.ndarray | None = None, *, drugs=(), events=(), flagged_only: bool = False,
        filters: tuple[tuple[str, str], ...] = (),
    ) -> SignalTable:
        """Rows kept by ``mask`` and by exact drug / event labels (scores are unchanged)."""
        keep = np.ones(len(self), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if drugs:
            keep &= np.isin(self.columns["drug"], list(drugs))
        if events:
            keep &= np.isin(self.columns["event"], list(events))
        if flagged_only:
            keep &= self.columns["flags"] != ""
        cols = {k: v[keep] for k, v in self.columns.items()}
        return replace(self, columns=cols, filters=self.filters + filters)

    def ordered(self, key: str | None = None, top: int | None = None) -> SignalTable:
        """Rows sorted by ``key`` (:data:`SORT_KEYS`, largest first, nan last; ties by drug and
        event), then the first ``top``."""
        if key is not None and key not in SORT_KEYS:
            raise ConfigError(f"--sort {key!r} is not one of {', '.join(SORT_KEYS)}")
        if top is not None and top < 1:
            raise ConfigError(f"--top {top} must be 1 or more")
        order = np.arange(len(self))
        if key is not None:
            value = np.asarray(self.columns[key], dtype=float)
            value = np.where(np.isnan(value), -np.inf, value)
            order = np.lexsort((self.columns["event"], self.columns["drug"], -value))
        if top is not None:
            order = order[:top]
        return replace(self, columns={k: v[order] for k, v in self.columns.items()})

    def rows(self) -> list[dict[str, Any]]:
        """One dict per pair in column order, plain Python values (nan stays nan)."""
        py = [self.columns[k].tolist() for k in COLUMNS]
        return [dict(zip(COLUMNS, values)) for values in zip(*py)]

    def to_signals(self, citation_kind: str = "reports") -> tuple[Signal, ...]:
        """:class:`~rxcompare.models.Signal` records, one per pair, citing the counts."""
        out = []
        for r in self.rows():
            est = [
                Estimate(r["ror_method"], r["ror"], r["ror_lower"], r["ror_upper"], self.level),
                Estimate(r["prr_method"], r["prr"], r["prr_lower"], r["prr_upper"], self.level),
                Estimate("chi2_yates", r["chi2"]),
                Estimate("ic_bcpnn", r["ic"], r["ic025"], r["ic975"], self.level),
            ]
            if self.prior is not None:
                est.append(Estimate("ebgm_mgps", r["ebgm"], r["eb05"], r["eb95"], 0.90))
            table = Contingency(int(r["a"]), int(r["b"]), int(r["c"]), int(r["d"]))
            detail = (
                ("source", self.source), ("counting_unit", self.counting_unit),
                ("n_reports", str(self.n_reports)), ("a", str(table.a)), ("b", str(table.b)),
                ("c", str(table.c)), ("d", str(table.d)),
            )
            cite = Citation(kind=citation_kind, title=self.source, detail=detail + self.filters)
            flags = tuple(x for x in str(r["flags"]).split("+") if x)
            out.append(
                Signal(
                    drug=str(r["drug"]), event=str(r["event"]), table=table, estimates=tuple(est),
                    citation=cite, counting_unit=self.counting_unit, comparator=self.comparator,
                    filters=self.filters, flags=flags, extra=(("e", r["e"]),),
                )
            )
        return tuple(out)

    def to_arrow(self):
        """A pyarrow Table of the columns, with the counting unit, filters and prior as metadata."""
        import json

        from rxcompare.signal_files import arrow_columns

        meta = {
            "counting_unit": self.counting_unit, "source": self.source,
            "n_reports": str(self.n_reports), "filters": json.dumps(dict(self.filters)),
            "prior": json.dumps(prior_dict(self.prior)), "rules": json.dumps(self.rules),
            "mgps_note": self.mgps_note, "origin": json.dumps(source_of(self)),
            "mdrr": json.dumps(MDRR_NOTE), "listed": LISTED_NOTE,
        }
        return arrow_columns(self).replace_schema_metadata(meta)


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


def prior_dict(prior: MgpsPrior | None) -> dict[str, Any] | None:
    """The fitted prior as JSON-ready values (full precision)."""
    if prior is None:
        return None
    return {
        "alpha1": prior.alpha1, "beta1": prior.beta1, "alpha2": prior.alpha2,
        "beta2": prior.beta2, "p": prior.p, "loglik": prior.loglik, "converged": prior.converged,
        "method": prior.method, "n_pairs": prior.n_pairs, "n_points": prior.n_points,
        "squashed": prior.squashed, "n_starts": prior.n_starts, "n_converged": prior.n_converged,
    }


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
        "drug": counts.drug, "event": counts.event, "a": a, "b": b, "c": c, "d": d,
        "ror": ror.value, "ror_lower": ror.lower, "ror_upper": ror.upper,
        "prr": prr.value, "prr_lower": prr.lower, "prr_upper": prr.upper,
        "chi2": chi_square_yates(a, b, c, d), "ic": ic.value, "ic025": ic.lower, "ic975": ic.upper,
        "e": e, "ebgm": ebgm, "eb05": eb05, "eb95": eb95,
        "ror_method": ror.methods(), "prr_method": prr.methods(),
        "flags": labels, "mdrr": mdrr,
        "listed": np.full(a.shape, "unknown", dtype=object),
        "listed_where": np.full(a.shape, "not looked up", dtype=object),
    }
    return SignalTable(
        columns=cols, prior=prior, thresholds=thresholds, n_reports=counts.n_reports,
        source=counts.source, counting_unit=counts.counting_unit, comparator=counts.comparator,
        level=level, filters=counts.filters, excluded_rows=counts.excluded_rows,
        rules=thresholds.describe(), mgps_note=note,
    )


# ---- running a signals query from any counting function -----------------------------------------


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
    return _select(score_counts(count_all(), thresholds, level=level), drug, events)


def _select(table: SignalTable, drug: str | None, events: Sequence[str]) -> SignalTable:
    """The pairs of ``drug`` (all drugs when None) and ``events`` (all when empty)."""
    filters: tuple[tuple[str, str], ...] = ()
    if drug is not None:
        filters += (("drug", drug),)
    if events:
        filters += (("events", ", ".join(events)),)
    if drug is None and not events:
        return table
    return table.select(drugs=[drug] if drug else (), events=events, filters=filters)


def signals_from_reports(
    path: str | Path,
    report_col: str = "id",
    drug_col: str = "var1",
    event_col: str = "var2",
    *,
    drug: str | None = None,
    events: Sequence[str] = (),
    vs: str | None = None,
    thresholds: Thresholds | None = None,
    level: float = 0.95,
) -> SignalTable:
    """:func:`run_signals` on a long table of reports (CSV or Parquet), counted by DuckDB."""
    from rxcompare.sources.report_table import count_head_to_head, count_report_pairs

    table = run_signals(
        lambda: count_report_pairs(path, report_col, drug_col, event_col),
        drug=drug, events=events, vs=vs, thresholds=thresholds, level=level,
        count_pair=lambda x, y: count_head_to_head(path, x, y, report_col, drug_col, event_col),
    )
    origin = {"system": f"long table of reports ({Path(path).name})", "quarters": [],
              "counting_unit": table.counting_unit, "roles": "as in the table", "indication": None,
              "window": "every row of the table"}
    return with_listed(replace(table, origin=origin))


# ---- the FAERS warehouse, on any engine --------------------------------------------------------


def _check_drug(labels: np.ndarray, drug: str, where: str) -> None:
    import difflib

    if drug not in set(labels.tolist()):
        close = tuple(difflib.get_close_matches(drug, sorted(set(labels.tolist())), n=5, cutoff=0.6))
        product = _pack_product(drug)
        hint = (f"; {drug!r} is a product of the knowledge pack (ingredient {product.ingredient.lower()}): give "
                f"{product.ingredient.lower()!r}, or {product.id!r} with --level product" if product is not None else "")
        raise UnknownDrugError(
            f"no case {where} names {drug!r}; warehouse labels are lower-case ingredients (or product "
            "ids with --level product)" + hint + (f"; close labels: {', '.join(close)}" if close else ""),
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
    counts: PairCounts, thresholds: Thresholds | None = None, level: float = 0.95,
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
    from rxcompare.sources.faers.counts import CountQuery, count_cells, cumulate, head_to_head

    query = CountQuery() if query is None else query
    drug = drug.strip().lower() if drug else None
    events = tuple(e.strip().upper() for e in events)
    if vs is not None:
        vs = vs.strip().lower()
        if strata:
            raise ConfigError(f"--strata {','.join(strata)} applies to MGPS; head-to-head tables (--vs) are not stratified")

        def count_pair(x: str, y: str) -> PairCounts:
            counts = head_to_head(tables, x, y, query, events)
            arms = {x: int(counts.a[0] + counts.b[0]) if len(counts) else 0,
                    y: int(counts.c[0] + counts.d[0]) if len(counts) else 0}
            empty = [k for k, n in arms.items() if n == 0]
            if empty:
                raise FaersError(
                    f"head to head {x!r} vs {y!r}: no case names {empty[0]!r} without the other drug "
                    f"(filters: {'; '.join(f'{k}={v}' for k, v in query.describe())}); check the label "
                    "(`rxcompare signals DRUG` suggests close ones) or widen the filters"
                )
            return counts

        table = run_signals(lambda: count_pair(drug or "", vs), drug=drug, vs=vs, count_pair=count_pair,
                            thresholds=thresholds, level=level)
        return _warehouse_table(table, tables, query)
    counts, expected = cumulate(count_cells(tables, query, strata))
    if drug is not None:
        _check_drug(counts.drug, drug, "counted with these filters")
    table = score_warehouse_counts(counts, thresholds, level, expected)
    return _warehouse_table(_select(table, drug, events), tables, query)


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
    from rxcompare.sources.faers.counts import CountQuery, count_cells, cumulate

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
        out.append((quarter, _warehouse_table(_select(table, drug, events), tables, query)))
    return tuple(out)


def by_quarter_json(results: Sequence[tuple[str, SignalTable]]) -> dict[str, Any]:
    """The versioned JSON envelope of cumulative scoring: one :func:`signals_json` per quarter."""
    return {
        "schema": "rxcompare/signals-by-quarter",
        "version": 2,
        "quarters": [{"quarter": q, **signals_json(t)} for q, t in results],
    }


def by_quarter_csv(results: Sequence[tuple[str, SignalTable]]) -> str:
    """CSV text: :func:`signals_csv` of each quarter with the quarter as first column."""
    from rxcompare.signal_files import write_signals

    buf = io.StringIO()
    write_signals(results, "csv", buf)
    return buf.getvalue()


def by_quarter_arrow(results: Sequence[tuple[str, SignalTable]]):
    """One pyarrow Table of every quarter's rows, with a leading ``quarter`` column."""
    import pyarrow as pa

    parts = []
    for quarter, table in results:
        t = table.to_arrow()
        parts.append(t.add_column(0, "quarter", pa.array([quarter] * t.num_rows, pa.string())))
    return pa.concat_tables(parts) if parts else None


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


MDRR_NOTE = {
    "method": MDRR_METHOD, "alpha": 0.05, "sided": "two", "power": 0.8,
    "rows": "pairs without a signal; a flagged pair has none (null); an unflagged pair whose mdrr is null (inf in "
            "Parquet) could detect no ROR up to 1e6",
    "formula": "smallest R with ln R >= (z_0.975 + z_0.8) sqrt((1 + R c/d)^2 / ((a + b) R c/d) + 1/c + 1/d): the "
               "Wald test of ln ROR (Woolf's variance) at the cells expected under ROR = R, with a + b, c and d "
               "held as observed",
}
LISTED_NOTE = (
    "listed: the event's MedDRA term (or its topic) appears in the product label's boxed warning, 5 Warnings "
    "and Precautions or 6 Adverse Reactions as the knowledge pack holds it (listed_where: the section); "
    "unlisted: it does not, and the pack holds those sections whole (the label may word the event otherwise); "
    "unknown: the pack cannot tell (listed_where says why)"
)


def source_of(table: SignalTable) -> dict[str, Any]:
    """The envelope's ``source``: system, quarters or snapshot, counting unit, roles, indication,
    window, and the engine's description."""
    return {**table.origin, "description": table.source} if table.origin else {
        "system": table.source, "counting_unit": table.counting_unit, "description": table.source}


def signals_json(table: SignalTable) -> dict[str, Any]:
    """The versioned JSON envelope: rows at full precision, prior, thresholds, filters, unit."""
    return {**envelope_head(table), "rows": [{k: _plain(v) for k, v in r.items()} for r in table.rows()]}


def envelope_head(table: SignalTable) -> dict[str, Any]:
    """The JSON envelope of :func:`signals_json` without its rows."""
    return {
        "schema": "rxcompare/signals",
        "version": 2,
        "source": source_of(table),
        "counting_unit": table.counting_unit,
        "n_reports": table.n_reports,
        "excluded_rows": table.excluded_rows,
        "comparator": table.comparator,
        "filters": dict(table.filters),
        "level": table.level,
        "thresholds": table.rules,
        "prior": prior_dict(table.prior),
        "mgps_note": table.mgps_note,
        "mdrr": MDRR_NOTE,
        "listed": LISTED_NOTE,
    }


def signals_csv(table: SignalTable) -> str:
    """CSV text: the :data:`COLUMNS` plus ``counting_unit`` and ``filters`` on every row (written
    column-wise by :mod:`rxcompare.signal_files`; floats at full precision, nan as an empty field)."""
    from rxcompare.signal_files import write_signals

    buf = io.StringIO()
    write_signals([(None, table)], "csv", buf)
    return buf.getvalue()
