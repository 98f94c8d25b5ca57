"""The engine pass and what numpy makes of it: :func:`count_cells` (integer counts per cell) and
:func:`cumulate` (the 2x2 tables, and the stratified expected counts, up to a quarter)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rxcompare.errors import ConfigError, FaersError
from rxcompare.models import PairCounts
from rxcompare.sources.faers.counts.query import (
    COUNTING_UNIT,
    DEFAULT_QUERY,
    STRATA,
    CountQuery,
    event_rows,
    labelled_drugs,
    plain_events,
    universe_table,
)
from rxcompare.sources.faers.engines import WarehouseTables

__all__ = [
    "CellCounts",
    "count_cells",
    "count_pairs",
    "cumulate",
    "index_in",
    "int_column",
    "sorted_labels",
    "sum_by",
]


@dataclass(frozen=True)
class CellCounts:
    """Integer counts per cell (quarter received x stratum), as index arrays (see :func:`count_cells`).

    ``drugs``/``events`` are the sorted labels; ``dm_*`` the drug margins (drug index, cell index,
    cases), ``em_*`` the event margins, ``pc_*`` the pair counts (drug, event, cell, a);
    ``cell_n`` the cases per cell.
    """

    query: CountQuery
    strata: tuple[str, ...]
    by_quarter: bool
    source: str
    cell_quarter: np.ndarray
    cell_stratum: np.ndarray
    cell_n: np.ndarray
    drugs: np.ndarray
    events: np.ndarray
    dm_drug: np.ndarray
    dm_cell: np.ndarray
    dm_n: np.ndarray
    em_event: np.ndarray
    em_cell: np.ndarray
    em_n: np.ndarray
    pc_drug: np.ndarray
    pc_event: np.ndarray
    pc_cell: np.ndarray
    pc_a: np.ndarray
    engine: str = ""

    @property
    def quarters(self) -> tuple[str, ...]:
        """The quarters received present in the counts (sorted), when counted by quarter."""
        return tuple(sorted(set(self.cell_quarter.tolist()))) if self.by_quarter else ()


def _cell_key(table: pa.Table) -> pa.Array:
    cols = [table.column(c) for c in ("rq", "stratum") if c in table.column_names]
    if not cols:
        return pa.array([""] * table.num_rows, pa.string())
    if len(cols) == 1:
        return cols[0].combine_chunks()
    return pc.binary_join_element_wise(cols[0], cols[1], "\x1f").combine_chunks()


def index_in(values, labels: pa.Array) -> np.ndarray:
    """Where each of ``values`` stands in ``labels`` (a null value at the null label). A value
    that is not among the labels (read from another state of the warehouse than they were: a
    commit came between the two reads) is a :class:`FaersError`, never a garbage index."""
    found = pc.index_in(values, value_set=labels)
    if found.null_count:
        raise FaersError(
            f"{found.null_count:,} value(s) read from the warehouse are missing from the labels read "
            "with them: the warehouse changed while it was read; run again"
        )
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def int_column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy().astype(np.int64)


def sorted_labels(column) -> pa.Array:
    uniq = pc.unique(column)
    return pc.take(uniq, pc.sort_indices(uniq))


def count_cells(
    t: WarehouseTables,
    query: CountQuery = DEFAULT_QUERY,
    strata: Sequence[str] = (),
    by_quarter: bool = False,
) -> CellCounts:
    """Run the counting expressions on ``t``'s engine: cases, drug margins, event margins and pair
    counts per cell. Unknown stratum values form their own level (``"unknown"``)."""
    strata = tuple(dict.fromkeys(strata))
    bad = [s for s in strata if s not in STRATA]
    if bad:
        raise ConfigError(f"--strata {','.join(bad)}: strata are {', '.join(STRATA)}")
    u = universe_table(t, query, strata, by_quarter)
    cellcols = [c for c in ("rq", "stratum") if c in u.columns]
    with_cells = labelled_drugs(t, query, strata, by_quarter)  # (primaryid, drug, cells...)
    events = event_rows(t, u)
    pairs = with_cells.join(
        plain_events(t), "primaryid"
    )  # a drug row puts the case in the universe

    def grouped(expr, keys):
        keys = list(keys) + cellcols
        return expr.group_by(keys).agg(n=expr.count()) if keys else expr.agg(n=expr.count())

    cells = t.fetch(grouped(u, []))
    dm = t.fetch(grouped(with_cells, ["drug"]))
    em = t.fetch(grouped(events, ["event"]))
    pm = t.fetch(grouped(pairs, ["drug", "event"]))

    cell_keys = sorted_labels(_cell_key(cells))
    order = pc.sort_indices(index_in(_cell_key(cells), cell_keys))
    cells = cells.take(order)
    cell_n = int_column(cells, "n")
    n_cells = len(cell_n)
    cq = cells.column("rq").to_pylist() if "rq" in cells.column_names else [""] * n_cells
    cs = cells.column("stratum").to_pylist() if "stratum" in cells.column_names else [""] * n_cells
    drug_labels = sorted_labels(dm.column("drug"))
    event_labels = sorted_labels(em.column("event"))
    # canonical row order (whatever order the engine returned): by label indices, then cell
    dm_d, dm_c = index_in(dm.column("drug"), drug_labels), index_in(_cell_key(dm), cell_keys)
    em_e, em_c = index_in(em.column("event"), event_labels), index_in(_cell_key(em), cell_keys)
    pc_d, pc_e = (
        index_in(pm.column("drug"), drug_labels),
        index_in(pm.column("event"), event_labels),
    )
    pc_c = index_in(_cell_key(pm), cell_keys)
    o_dm, o_em, o_pc = (
        np.lexsort((dm_c, dm_d)),
        np.lexsort((em_c, em_e)),
        np.lexsort((pc_c, pc_e, pc_d)),
    )
    return CellCounts(
        query=query,
        strata=strata,
        by_quarter=by_quarter,
        source=t.description,
        cell_quarter=np.array(cq, dtype=object),
        cell_stratum=np.array(cs, dtype=object),
        cell_n=cell_n,
        drugs=np.array(drug_labels.to_pylist(), dtype=object),
        events=np.array(event_labels.to_pylist(), dtype=object),
        dm_drug=dm_d[o_dm],
        dm_cell=dm_c[o_dm],
        dm_n=int_column(dm, "n")[o_dm],
        em_event=em_e[o_em],
        em_cell=em_c[o_em],
        em_n=int_column(em, "n")[o_em],
        pc_drug=pc_d[o_pc],
        pc_event=pc_e[o_pc],
        pc_cell=pc_c[o_pc],
        pc_a=int_column(pm, "n")[o_pc],
        engine=t.engine,
    )


# ---- from cells to 2x2 tables (numpy, engine-independent) ------------------------------------------


def sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of ``weights`` grouped by ``index`` (float64 is exact below 2**53)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.int64)


def _stratified_expected(cells: CellCounts, keep: np.ndarray, d_idx: np.ndarray, e_idx: np.ndarray):
    """E per pair = sum over strata s of n_s(drug) n_s(event) / n_s (cells merged per stratum)."""
    from scipy import sparse

    strata_labels, cell_sid = np.unique(cells.cell_stratum.astype(str), return_inverse=True)
    n_s = np.bincount(cell_sid[keep], weights=cells.cell_n[keep], minlength=strata_labels.size)

    def matrix(rows, cell, n, shape0):
        m = keep[cell]
        mat = sparse.coo_matrix(
            (n[m].astype(float), (rows[m], cell_sid[cell[m]])), shape=(shape0, strata_labels.size)
        ).tocsr()
        mat.sum_duplicates()
        mat.sort_indices()
        return mat

    nd = matrix(cells.dm_drug, cells.dm_cell, cells.dm_n, cells.drugs.size)
    ne = matrix(cells.em_event, cells.em_cell, cells.em_n, cells.events.size)
    inv_n = sparse.diags(np.divide(1.0, n_s, out=np.zeros_like(n_s), where=n_s > 0))
    out = np.empty(d_idx.size)
    step = 200_000
    for lo in range(0, d_idx.size, step):
        hi = min(lo + step, d_idx.size)
        prod = nd[d_idx[lo:hi]].multiply(ne[e_idx[lo:hi]]).tocsr() @ inv_n
        prod.sort_indices()
        out[lo:hi] = np.asarray(prod.sum(axis=1)).ravel()
    return out


def cumulate(cells: CellCounts, upto: str | None = None) -> tuple[PairCounts, np.ndarray | None]:
    """The 2x2 tables of every pair seen, over the cells received up to quarter ``upto`` (all cells
    when None), sorted by drug then event; and, when counted with strata, the stratified E per pair
    (None without strata: the statistics use (a+b)(a+c)/n)."""
    keep = np.ones(cells.cell_n.size, dtype=bool)
    if upto is not None:
        if not cells.by_quarter:
            raise ConfigError("counts by quarter need count_cells(..., by_quarter=True)")
        keep = cells.cell_quarter <= upto
    n = int(cells.cell_n[keep].sum())
    nd = sum_by(
        cells.dm_drug[keep[cells.dm_cell]], cells.dm_n[keep[cells.dm_cell]], cells.drugs.size
    )
    ne = sum_by(
        cells.em_event[keep[cells.em_cell]], cells.em_n[keep[cells.em_cell]], cells.events.size
    )
    m = keep[cells.pc_cell]
    key = cells.pc_drug[m] * np.int64(max(cells.events.size, 1)) + cells.pc_event[m]
    uniq, inverse = np.unique(key, return_inverse=True)
    a = sum_by(inverse.ravel(), cells.pc_a[m], uniq.size)
    d_idx, e_idx = uniq // max(cells.events.size, 1), uniq % max(cells.events.size, 1)
    filters = cells.query.describe()
    if upto is not None:
        filters += (("received up to", upto),)
    if cells.strata:
        filters += (
            ("expected count", "stratified by " + ", ".join(cells.strata) + " (Mantel-Haenszel)"),
        )
    counts = PairCounts(
        drug=cells.drugs[d_idx],
        event=cells.events[e_idx],
        a=a,
        b=nd[d_idx] - a,
        c=ne[e_idx] - a,
        d=n - nd[d_idx] - ne[e_idx] + a,
        n_reports=n,
        source=cells.source,
        counting_unit=COUNTING_UNIT,
        filters=filters,
    )
    expected = _stratified_expected(cells, keep, d_idx, e_idx) if cells.strata else None
    return counts, expected


def count_pairs(t: WarehouseTables, query: CountQuery = DEFAULT_QUERY) -> PairCounts:
    """The 2x2 table of every drug-event pair seen in the universe of ``query``."""
    return cumulate(count_cells(t, query))[0]
