"""The counting layer on the FAERS warehouse, written once in Ibis, run by DuckDB or Spark.

The unit is the deduplicated case (one row of ``cases``). A :class:`CountQuery` selects:

- the **case filters** -- quarter received, country, sex, age band, seriousness -- on ``cases``;
- the **drug rows** -- roles (suspect = PS + SS by default), optionally only the rows whose own
  indication (``case_indications`` with the same ``drug_seq``) contains a text -- labelled at the
  ingredient or the product level (``case_drugs.ingredient`` / ``.product``).

The *universe* is the cases passing the case filters that have at least one selected drug row, at
either level (so n does not depend on the level; a drug row without a product is simply not counted
as a product). For drug D and event E, over the universe::

    a = cases with D and E       b = cases with D - a
    c = cases with E - a         d = n - a - b - c

as in :mod:`rxcompare.sources.report_table` (so E = (a+b)(a+c)/n). A case's *quarter received* is the
quarter of ``init_fda_dt`` (the date FDA first received the case) when that date has a month, else the
quarter of the file holding its kept version.

One engine job (:func:`count_cells`: four aggregates of the same expressions -- cases, drug margins,
event margins, pairs) returns integer counts per *cell* -- a combination of the
quarter received (``by_quarter``) and the stratum values (``strata``, unknown values form their own
level) -- and everything else is numpy on those integers, so both engines give identical numbers:
:func:`cumulate` sums the cells up to a quarter into the 2x2 tables (:class:`PairCounts`) and, with
strata, the Mantel-Haenszel-style stratified expected counts of DuMouchel (1999, Am Stat 53:177-190)::

    E_ij = sum over strata s of  n_s(drug i) * n_s(event j) / n_s

Head-to-head tables (:func:`head_to_head`) compare drug A with drug B among cases of either and not
both (a case naming the other drug in any role is left out), as the comparison does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rxcompare.errors import ConfigError
from rxcompare.models import PairCounts
from rxcompare.sources.faers.dedup import AGE_BANDS
from rxcompare.sources.faers.engines import WarehouseTables
from rxcompare.sources.faers.layout import parse_quarter

__all__ = [
    "COUNTING_UNIT",
    "LEVELS",
    "ROLES",
    "STRATA",
    "SUSPECT",
    "CellCounts",
    "CountQuery",
    "arms_table",
    "count_cells",
    "count_pairs",
    "cumulate",
    "drug_rows",
    "event_rows",
    "group_counts",
    "head_to_head",
    "parse_quarters",
    "received_quarter",
    "universe_table",
]

COUNTING_UNIT = "deduplicated case"
SUSPECT = ("PS", "SS")
ROLES = ("PS", "SS", "C", "I")
LEVELS = ("ingredient", "product")
STRATA = ("sex", "age_band", "country")
SEXES = ("F", "M")
UNKNOWN = "unknown"
_SEP = "|"


def parse_quarters(text: str) -> tuple[str, str]:
    """``"2023q1-2024q4"`` (or one quarter, ``"2023q1"``) -> ``("2023q1", "2024q4")``."""
    parts = [p.strip() for p in str(text).split("-")]
    if len(parts) not in (1, 2) or not all(parts):
        raise ConfigError(f"--quarters {text!r}: write one quarter YYYYqN or a range, e.g. 2023q1-2024q4")
    try:
        first, last = parse_quarter(parts[0]), parse_quarter(parts[-1])
    except Exception:
        raise ConfigError(f"--quarters {text!r}: quarters are written YYYYqN, e.g. 2023q1-2024q4") from None
    if first > last:
        raise ConfigError(f"--quarters {text!r}: the first quarter comes after the last; swap them")
    return first, last


@dataclass(frozen=True)
class CountQuery:
    """What to count: drug rows (roles, indication, level) and case filters (see the module doc)."""

    roles: tuple[str, ...] = SUSPECT
    level: str = "ingredient"
    indication: str | None = None
    quarters: tuple[str, str] | None = None
    country: str | None = None
    sex: str | None = None
    age_band: str | None = None
    serious: bool | None = None

    def __post_init__(self) -> None:
        roles = tuple(dict.fromkeys(str(r).strip().upper() for r in self.roles))
        bad = [r for r in roles if r not in ROLES]
        if not roles or bad:
            raise ConfigError(
                f"--role {', '.join(bad) or '(none)'}: roles are {', '.join(ROLES)} (PS primary suspect, "
                "SS secondary suspect, C concomitant, I interacting); the default is PS and SS"
            )
        object.__setattr__(self, "roles", roles)
        if self.level not in LEVELS:
            raise ConfigError(f"--level {self.level!r} is not one of {', '.join(LEVELS)}")
        if self.indication is not None:
            text = self.indication.strip().upper()
            if not text:
                raise ConfigError("--indication is empty; give words of the indication, e.g. 'multiple sclerosis'")
            object.__setattr__(self, "indication", text)
        if self.quarters is not None:
            object.__setattr__(self, "quarters", parse_quarters("-".join(self.quarters)))
        if self.country is not None:
            object.__setattr__(self, "country", self.country.strip().upper())
        if self.sex is not None:
            sex = self.sex.strip().upper()[:1]
            if sex not in SEXES:
                raise ConfigError(f"--sex {self.sex!r}: use F or M")
            object.__setattr__(self, "sex", sex)
        bands = tuple(label for _, label in AGE_BANDS)
        if self.age_band is not None and self.age_band not in bands:
            raise ConfigError(f"--age-band {self.age_band!r} is not one of {', '.join(bands)}")

    def describe(self) -> tuple[tuple[str, str], ...]:
        """The query as (name, value) pairs, for citations and output headers."""
        out = [("roles", "+".join(self.roles)), ("level", self.level)]
        if self.indication:
            out.append(("indication contains", self.indication))
        if self.quarters:
            out.append(("quarters received", "-".join(self.quarters)))
        for name in ("country", "sex", "age_band"):
            if getattr(self, name) is not None:
                out.append((name, str(getattr(self, name))))
        if self.serious is not None:
            out.append(("serious", "yes" if self.serious else "no"))
        return tuple(out)


# ---- Ibis expressions (the same for every engine) -----------------------------------------------


def received_quarter(cases):
    """The quarter FDA first received a case (``init_fda_dt`` with a month), else its file's quarter."""
    import ibis

    d = cases.init_fda_dt
    month = d.substr(4, 2)
    q = ibis.cases(
        *[(month.isin([f"{m:02d}" for m in range(3 * k - 2, 3 * k + 1)]), f"q{k}") for k in range(1, 5)],
        else_=None,
    )
    return ibis.cases((d.length() >= 6, d.substr(0, 4) + q), else_=cases.quarter)


def _stratum(cases, strata: Sequence[str]):
    key = None
    for s in strata:
        part = cases[s].fill_null(UNKNOWN)
        key = part if key is None else key + _SEP + part
    return key


def _has_case_part(query: CountQuery, strata: Sequence[str] = (), by_quarter: bool = False) -> bool:
    """Whether ``cases`` must be read: a case filter, strata or quarters (every drug row's case is
    in ``cases``: the warehouse keeps drug rows of kept cases only)."""
    filters = (query.quarters, query.country, query.sex, query.age_band, query.serious)
    return bool(strata) or by_quarter or any(f is not None for f in filters)


def _cases(t: WarehouseTables, query: CountQuery, strata: Sequence[str] = (), by_quarter: bool = False):
    """Filtered cases with their cell columns ``rq`` (quarter received) and ``stratum``."""
    c = t["cases"]
    rq = received_quarter(c)
    preds = []
    if query.quarters:
        preds.append(rq.between(*query.quarters))
    for name in ("country", "sex", "age_band"):
        value = getattr(query, name)
        if value is not None:
            preds.append(c[name] == value)
    if query.serious is not None:
        preds.append(c.serious == query.serious)
    cols = {"primaryid": c.primaryid}
    if by_quarter:
        cols["rq"] = rq
    if strata:
        cols["stratum"] = _stratum(c, strata)
    return (c.filter(*preds) if preds else c).select(**cols)


def drug_rows(t: WarehouseTables, query: CountQuery):
    """Rows of ``case_drugs`` in the query's roles (and, with an indication, given for it)."""
    d = t["case_drugs"]
    d = d.filter(d.role_cod.isin(list(query.roles)))
    if query.indication:
        i = t["case_indications"]
        i = i.filter(i.indi_pt.contains(query.indication))
        d = d.semi_join(i, [d.primaryid == i.primaryid, d.drug_seq == i.drug_seq])
    return d


def universe_table(t: WarehouseTables, query: CountQuery, strata=(), by_quarter=False):
    """Ibis table of the universe: filtered cases with a selected drug row, with cell columns."""
    u = drug_rows(t, query).select("primaryid").distinct()
    if _has_case_part(query, strata, by_quarter):
        u = u.join(_cases(t, query, strata, by_quarter), "primaryid")
    return u


def _labelled(t: WarehouseTables, query: CountQuery, strata=(), by_quarter=False):
    """Distinct (primaryid, drug) at the query's level, in the universe, with cell columns."""
    d = drug_rows(t, query)
    label = d[query.level]
    rows = d.filter(label.notnull()).select(primaryid=d.primaryid, drug=label).distinct()
    if _has_case_part(query, strata, by_quarter):
        rows = rows.join(_cases(t, query, strata, by_quarter), "primaryid")
    return rows


def event_rows(t: WarehouseTables, universe):
    """Ibis table of distinct (primaryid, event) in ``universe``, with its cell columns."""
    r = t["case_reactions"]
    return r.filter(r.pt.notnull()).select(primaryid=r.primaryid, event=r.pt).distinct().join(
        universe, "primaryid"
    )


def _plain_events(t: WarehouseTables):
    r = t["case_reactions"]
    return r.filter(r.pt.notnull()).select(primaryid=r.primaryid, event=r.pt).distinct()


# ---- cells: the engine pass -------------------------------------------------------------------------


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


def _index(values, labels: pa.Array) -> np.ndarray:
    return pc.index_in(values, value_set=labels).to_numpy(zero_copy_only=False).astype(np.int64)


def _ints(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy().astype(np.int64)


def _sorted_labels(column) -> pa.Array:
    uniq = pc.unique(column)
    return pc.take(uniq, pc.sort_indices(uniq))


def count_cells(
    t: WarehouseTables, query: CountQuery = CountQuery(), strata: Sequence[str] = (),
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
    with_cells = _labelled(t, query, strata, by_quarter)  # (primaryid, drug, cells...)
    events = event_rows(t, u)
    pairs = with_cells.join(_plain_events(t), "primaryid")  # a drug row puts the case in the universe

    def grouped(expr, keys):
        keys = list(keys) + cellcols
        return expr.group_by(keys).agg(n=expr.count()) if keys else expr.agg(n=expr.count())

    cells = t.fetch(grouped(u, []))
    dm = t.fetch(grouped(with_cells, ["drug"]))
    em = t.fetch(grouped(events, ["event"]))
    pm = t.fetch(grouped(pairs, ["drug", "event"]))

    cell_keys = _sorted_labels(_cell_key(cells))
    order = pc.sort_indices(_index(_cell_key(cells), cell_keys))
    cells = cells.take(order)
    cell_n = _ints(cells, "n")
    n_cells = len(cell_n)
    cq = cells.column("rq").to_pylist() if "rq" in cells.column_names else [""] * n_cells
    cs = cells.column("stratum").to_pylist() if "stratum" in cells.column_names else [""] * n_cells
    drug_labels = _sorted_labels(dm.column("drug"))
    event_labels = _sorted_labels(em.column("event"))
    # canonical row order (whatever order the engine returned): by label indices, then cell
    dm_d, dm_c = _index(dm.column("drug"), drug_labels), _index(_cell_key(dm), cell_keys)
    em_e, em_c = _index(em.column("event"), event_labels), _index(_cell_key(em), cell_keys)
    pc_d, pc_e = _index(pm.column("drug"), drug_labels), _index(pm.column("event"), event_labels)
    pc_c = _index(_cell_key(pm), cell_keys)
    o_dm, o_em, o_pc = np.lexsort((dm_c, dm_d)), np.lexsort((em_c, em_e)), np.lexsort((pc_c, pc_e, pc_d))
    return CellCounts(
        query=query, strata=strata, by_quarter=by_quarter, source=t.description,
        cell_quarter=np.array(cq, dtype=object), cell_stratum=np.array(cs, dtype=object), cell_n=cell_n,
        drugs=np.array(drug_labels.to_pylist(), dtype=object),
        events=np.array(event_labels.to_pylist(), dtype=object),
        dm_drug=dm_d[o_dm], dm_cell=dm_c[o_dm], dm_n=_ints(dm, "n")[o_dm],
        em_event=em_e[o_em], em_cell=em_c[o_em], em_n=_ints(em, "n")[o_em],
        pc_drug=pc_d[o_pc], pc_event=pc_e[o_pc], pc_cell=pc_c[o_pc], pc_a=_ints(pm, "n")[o_pc],
        engine=t.engine,
    )


# ---- from cells to 2x2 tables (numpy, engine-independent) ------------------------------------------


def _sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of ``weights`` grouped by ``index`` (float64 is exact below 2**53)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.int64)


def _stratified_expected(cells: CellCounts, keep: np.ndarray, d_idx: np.ndarray, e_idx: np.ndarray):
    """E per pair = sum over strata s of n_s(drug) n_s(event) / n_s (cells merged per stratum)."""
    from scipy import sparse

    strata_labels, cell_sid = np.unique(cells.cell_stratum.astype(str), return_inverse=True)
    n_s = np.bincount(cell_sid[keep], weights=cells.cell_n[keep], minlength=strata_labels.size)

    def matrix(rows, cell, n, shape0):
        m = keep[cell]
        mat = sparse.coo_matrix((n[m].astype(float), (rows[m], cell_sid[cell[m]])),
                                shape=(shape0, strata_labels.size)).tocsr()
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
    nd = _sum_by(cells.dm_drug[keep[cells.dm_cell]], cells.dm_n[keep[cells.dm_cell]], cells.drugs.size)
    ne = _sum_by(cells.em_event[keep[cells.em_cell]], cells.em_n[keep[cells.em_cell]], cells.events.size)
    m = keep[cells.pc_cell]
    key = cells.pc_drug[m] * np.int64(max(cells.events.size, 1)) + cells.pc_event[m]
    uniq, inverse = np.unique(key, return_inverse=True)
    a = _sum_by(inverse.ravel(), cells.pc_a[m], uniq.size)
    d_idx, e_idx = uniq // max(cells.events.size, 1), uniq % max(cells.events.size, 1)
    filters = cells.query.describe()
    if upto is not None:
        filters += (("received up to", upto),)
    if cells.strata:
        filters += (("expected count", "stratified by " + ", ".join(cells.strata) + " (Mantel-Haenszel)"),)
    counts = PairCounts(
        drug=cells.drugs[d_idx], event=cells.events[e_idx], a=a, b=nd[d_idx] - a, c=ne[e_idx] - a,
        d=n - nd[d_idx] - ne[e_idx] + a, n_reports=n, source=cells.source, counting_unit=COUNTING_UNIT,
        filters=filters,
    )
    expected = _stratified_expected(cells, keep, d_idx, e_idx) if cells.strata else None
    return counts, expected


def count_pairs(t: WarehouseTables, query: CountQuery = CountQuery()) -> PairCounts:
    """The 2x2 table of every drug-event pair seen in the universe of ``query``."""
    return cumulate(count_cells(t, query))[0]


# ---- head to head ---------------------------------------------------------------------------------


def arms_table(
    t: WarehouseTables, a: tuple[str, str], b: tuple[str, str], query: CountQuery = CountQuery(),
    case_filters: bool = True,
):
    """Ibis table (primaryid, arm) of the two arms: cases with a selected drug row of A (``a`` is
    ``(column, value)``, column ``ingredient`` or ``product``) that name B in no role (arm ``"a"``),
    and the reverse (arm ``"b"``); and an expression counting the cases left out for naming both."""
    import ibis

    rows = drug_rows(t, query)
    every = t["case_drugs"]
    xa = rows.filter(rows[a[0]] == a[1]).select("primaryid").distinct()
    xb = rows.filter(rows[b[0]] == b[1]).select("primaryid").distinct()
    all_a = every.filter(every[a[0]] == a[1]).select("primaryid").distinct()
    all_b = every.filter(every[b[0]] == b[1]).select("primaryid").distinct()
    if case_filters and _has_case_part(query):
        cases = _cases(t, query)
        xa, xb = xa.semi_join(cases, "primaryid"), xb.semi_join(cases, "primaryid")
    arms = xa.anti_join(all_b, "primaryid").mutate(arm=ibis.literal("a")).union(
        xb.anti_join(all_a, "primaryid").mutate(arm=ibis.literal("b"))
    )
    both = xa.semi_join(all_b, "primaryid").union(xb.semi_join(all_a, "primaryid"), distinct=True)
    return arms, both


def head_to_head(
    t: WarehouseTables, drug_a: str, drug_b: str, query: CountQuery = CountQuery(),
    events: Sequence[str] = (),
) -> PairCounts:
    """Head-to-head tables of drug A against drug B (labels at the query's level), one per event
    reported in either arm: a = A & event, b = A & not event, c = B & event, d = B & not event."""
    a_label, b_label = drug_a.strip().lower(), drug_b.strip().lower()
    arms, both = arms_table(t, (query.level, a_label), (query.level, b_label), query)
    sizes = t.fetch(arms.group_by("arm").agg(n=arms.count()))
    n_arm = dict(zip(sizes.column("arm").to_pylist(), sizes.column("n").to_pylist()))
    n_both = int(t.fetch(both.agg(n=both.count())).column("n")[0].as_py())
    r = t["case_reactions"]
    ev = r.filter(r.pt.notnull()).select(primaryid=r.primaryid, event=r.pt).distinct()
    if events:
        ev = ev.filter(ev.event.isin([e.strip().upper() for e in events]))
    per = ev.join(arms, "primaryid")
    got = t.fetch(per.group_by(["event", "arm"]).agg(n=per.count()))
    labels = _sorted_labels(got.column("event"))
    idx = _index(got.column("event"), labels)
    arm = np.array(got.column("arm").to_pylist(), dtype=object)
    n = _ints(got, "n")
    a = _sum_by(idx[arm == "a"], n[arm == "a"], len(labels))
    c = _sum_by(idx[arm == "b"], n[arm == "b"], len(labels))
    na, nb = int(n_arm.get("a", 0)), int(n_arm.get("b", 0))
    filters = query.describe() + (("cases naming both, left out", str(n_both)),)
    if events:
        filters += (("events", ", ".join(events)),)
    return PairCounts(
        drug=np.full(len(labels), a_label, dtype=object), event=np.array(labels.to_pylist(), dtype=object),
        a=a, b=na - a, c=c, d=nb - c, n_reports=na + nb, source=t.description,
        counting_unit=COUNTING_UNIT, comparator=b_label, filters=filters,
    )


def group_counts(
    t: WarehouseTables, arms, groups: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, tuple[int, int]]]:
    """Per event group and arm: (cases with an event of the group, of which serious). A group's
    terms are preferred terms, or ``@outcome:CODE`` for cases with that outcome (DE, HO, ...)."""
    import ibis

    c = t["cases"]
    r = t["case_reactions"]
    parts = []
    for name, terms in groups.items():
        pts = [x for x in terms if not x.startswith("@")]
        codes = [x.split(":", 1)[1] for x in terms if x.startswith("@outcome:")]
        if pts:
            parts.append(r.filter(r.pt.isin(pts)).select(primaryid=r.primaryid, grp=ibis.literal(name)))
        for code in codes:
            has = ("," + c.outcomes.fill_null("") + ",").contains("," + code + ",")
            parts.append(c.filter(has).select(primaryid=c.primaryid, grp=ibis.literal(name)))
    out: dict[str, dict[str, tuple[int, int]]] = {name: {} for name in groups}
    if not parts:
        return out
    hits = parts[0]
    for p in parts[1:]:
        hits = hits.union(p, distinct=False)
    hits = hits.distinct().join(arms, "primaryid").join(c.select("primaryid", "serious"), "primaryid")
    got = t.fetch(hits.group_by(["grp", "arm"]).agg(
        n=hits.count(), serious=hits.primaryid.count(where=hits.serious)))
    for g, arm, n, s in zip(*(got.column(k).to_pylist() for k in ("grp", "arm", "n", "serious"))):
        out[g][arm] = (int(n), int(s))
    return out


def arm_sizes_by_year(t: WarehouseTables, arms) -> list[tuple[str, int, int]]:
    """(arm, year first received by FDA, cases), from ``init_fda_dt`` (else ``fda_dt``)."""
    c = t["cases"]
    year = c.init_fda_dt.fill_null(c.fda_dt).substr(0, 4)
    x = arms.join(c.select(primaryid=c.primaryid, y=year), "primaryid")
    x = x.filter(x.y.re_search("^[0-9]{4}$"))
    got = t.fetch(x.group_by(["arm", "y"]).agg(n=x.count()))
    rows = zip(*(got.column(k).to_pylist() for k in ("arm", "y", "n")))
    return sorted((arm, int(y), int(n)) for arm, y, n in rows)
