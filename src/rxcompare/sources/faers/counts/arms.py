"""Two drugs' arms: cases of A that name B in no role and the reverse, their head-to-head tables
(:func:`head_to_head`), event-group counts and cases per year of each arm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rxcompare.models import PairCounts
from rxcompare.sources.faers.counts.cells import index_in, int_column, sorted_labels, sum_by
from rxcompare.sources.faers.counts.query import (
    COUNTING_UNIT,
    DEFAULT_QUERY,
    CountQuery,
    drug_rows,
    filtered_cases,
    has_case_part,
)
from rxcompare.sources.faers.engines import WarehouseTables

__all__ = ["arm_sizes_by_year", "arms_table", "group_counts", "head_to_head"]


def arms_table(
    t: WarehouseTables,
    a: tuple[str, str],
    b: tuple[str, str],
    query: CountQuery = DEFAULT_QUERY,
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
    if case_filters and has_case_part(query):
        cases = filtered_cases(t, query)
        xa, xb = xa.semi_join(cases, "primaryid"), xb.semi_join(cases, "primaryid")
    arms = (
        xa.anti_join(all_b, "primaryid")
        .mutate(arm=ibis.literal("a"))
        .union(xb.anti_join(all_a, "primaryid").mutate(arm=ibis.literal("b")))
    )
    both = xa.semi_join(all_b, "primaryid").union(xb.semi_join(all_a, "primaryid"), distinct=True)
    return arms, both


def head_to_head(
    t: WarehouseTables,
    drug_a: str,
    drug_b: str,
    query: CountQuery = DEFAULT_QUERY,
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
    labels = sorted_labels(got.column("event"))
    idx = index_in(got.column("event"), labels)
    arm = np.array(got.column("arm").to_pylist(), dtype=object)
    n = int_column(got, "n")
    a = sum_by(idx[arm == "a"], n[arm == "a"], len(labels))
    c = sum_by(idx[arm == "b"], n[arm == "b"], len(labels))
    na, nb = int(n_arm.get("a", 0)), int(n_arm.get("b", 0))
    filters = query.describe() + (("cases naming both, left out", str(n_both)),)
    if events:
        filters += (("events", ", ".join(events)),)
    return PairCounts(
        drug=np.full(len(labels), a_label, dtype=object),
        event=np.array(labels.to_pylist(), dtype=object),
        a=a,
        b=na - a,
        c=c,
        d=nb - c,
        n_reports=na + nb,
        source=t.description,
        counting_unit=COUNTING_UNIT,
        comparator=b_label,
        filters=filters,
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
            parts.append(
                r.filter(r.pt.isin(pts)).select(primaryid=r.primaryid, grp=ibis.literal(name))
            )
        for code in codes:
            has = ("," + c.outcomes.fill_null("") + ",").contains("," + code + ",")
            parts.append(c.filter(has).select(primaryid=c.primaryid, grp=ibis.literal(name)))
    out: dict[str, dict[str, tuple[int, int]]] = {name: {} for name in groups}
    if not parts:
        return out
    hits = parts[0]
    for p in parts[1:]:
        hits = hits.union(p, distinct=False)
    hits = (
        hits.distinct().join(arms, "primaryid").join(c.select("primaryid", "serious"), "primaryid")
    )
    got = t.fetch(
        hits.group_by(["grp", "arm"]).agg(
            n=hits.count(), serious=hits.primaryid.count(where=hits.serious)
        )
    )
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
