"""The Ibis counting layer on DuckDB against an independent count in plain Python (pyarrow rows and
sets) on a synthetic warehouse: every 2x2 cell, with each filter, strata, quarters and head to head."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow.parquet as pq
import pytest

from rxcompare.errors import ConfigError, FaersError
from rxcompare.sources.faers.counts import (
    CountQuery,
    count_cells,
    count_pairs,
    cumulate,
    head_to_head,
    parse_quarters,
)
from rxcompare.sources.faers.engines import connect_engine


@pytest.fixture(scope="module")
def warehouse(synthetic_warehouses):
    return synthetic_warehouses(reports=3000, quarters=4, seed=11, drugs=250, events=300)


@pytest.fixture(scope="module")
def tables(warehouse):
    t = connect_engine(warehouse.path)
    yield t
    t.close()


@pytest.fixture(scope="module")
def rows(warehouse):
    return {
        name: pq.read_table(warehouse.path / f"{name}.parquet").to_pylist()
        for name in ("cases", "case_drugs", "case_reactions", "case_indications")
    }


def _received(case: dict) -> str:
    d = case["init_fda_dt"]
    if d and len(d) >= 6:
        return f"{d[:4]}q{(int(d[4:6]) - 1) // 3 + 1}"
    return case["quarter"]


def _brute(rows, q: CountQuery, strata=()):
    """Counts by the module doc's definitions, with Python sets only."""
    cases = {}
    for c in rows["cases"]:
        rq = _received(c)
        if q.quarters and not q.quarters[0] <= rq <= q.quarters[1]:
            continue
        if any(
            getattr(q, k) is not None and c[k] != getattr(q, k)
            for k in ("country", "sex", "age_band")
        ):
            continue
        if q.serious is not None and c["serious"] != q.serious:
            continue
        cases[c["primaryid"]] = "|".join(c[s] or "unknown" for s in strata)
    given_for = {
        (r["primaryid"], r["drug_seq"])
        for r in rows["case_indications"]
        if q.indication and q.indication in (r["indi_pt"] or "")
    }
    selected = [
        r
        for r in rows["case_drugs"]
        if r["role_cod"] in q.roles
        and r["primaryid"] in cases
        and (not q.indication or (r["primaryid"], r["drug_seq"]) in given_for)
    ]
    universe = {r["primaryid"] for r in selected}
    drugs, events = defaultdict(set), defaultdict(set)
    for r in selected:
        if r[q.level] is not None:
            drugs[r["primaryid"]].add(r[q.level])
    for r in rows["case_reactions"]:
        if r["primaryid"] in universe and r["pt"] is not None:
            events[r["primaryid"]].add(r["pt"])
    return universe, drugs, events, cases


def _tables(rows, q: CountQuery):
    universe, drugs, events, _ = _brute(rows, q)
    a, nd, ne = defaultdict(int), defaultdict(int), defaultdict(int)
    for pid in universe:
        for d in drugs[pid]:
            nd[d] += 1
            for e in events[pid]:
                a[d, e] += 1
        for e in events[pid]:
            ne[e] += 1
    n = len(universe)
    return n, {
        k: (v, nd[k[0]] - v, ne[k[1]] - v, n - nd[k[0]] - ne[k[1]] + v) for k, v in a.items()
    }


QUERIES = [
    CountQuery(),
    CountQuery(roles=("PS",)),
    CountQuery(roles=("PS", "SS", "C", "I")),
    CountQuery(level="product"),
    CountQuery(indication="multiple sclerosis"),
    CountQuery(quarters=("2023q2", "2023q3")),
    CountQuery(country="us"),
    CountQuery(sex="F"),
    CountQuery(age_band="18-44"),
    CountQuery(serious=True),
    CountQuery(serious=False, sex="M", level="product", roles=("PS", "C")),
]


@pytest.mark.parametrize(
    "query", QUERIES, ids=lambda q: ";".join(f"{k}={v}" for k, v in q.describe())
)
def test_pair_counts_equal_the_brute_force_count(tables, rows, query):
    got = count_pairs(tables, query)
    n, expect = _tables(rows, query)
    assert got.n_reports == n and got.counting_unit == "deduplicated case"
    keys = list(zip(got.drug.tolist(), got.event.tolist()))
    assert keys == sorted(expect)
    for cell, i in zip("abcd", range(4)):
        assert getattr(got, cell).tolist() == [expect[k][i] for k in keys], cell
    assert dict(got.filters)["roles"] == "+".join(query.roles)


def test_filters_change_the_counts(tables):
    base = count_pairs(tables)
    for q in QUERIES[1:]:
        got = count_pairs(tables, q)
        assert len(got) != len(base) or got.a.tolist() != base.a.tolist(), q


@pytest.mark.parametrize("strata", [("sex",), ("sex", "age_band"), ("country", "age_band", "sex")])
def test_stratified_expected_equals_the_brute_force_sum(tables, rows, strata):
    q = CountQuery()
    counts, expected = cumulate(count_cells(tables, q, strata))
    universe, drugs, events, stratum = _brute(rows, q, strata)
    n_s, nd_s, ne_s = defaultdict(int), defaultdict(int), defaultdict(int)
    for pid in universe:
        s = stratum[pid]
        n_s[s] += 1
        for d in drugs[pid]:
            nd_s[d, s] += 1
        for e in events[pid]:
            ne_s[e, s] += 1
    want = [
        sum(nd_s[d, s] * ne_s[e, s] / n_s[s] for s in n_s)
        for d, e in zip(counts.drug, counts.event)
    ]
    np.testing.assert_allclose(expected, want, rtol=1e-12)
    assert counts.a.tolist() == count_pairs(tables, q).a.tolist()  # strata change E only


def test_one_stratum_gives_the_crude_expected_count(tables):
    counts, expected = cumulate(count_cells(tables, CountQuery(sex="F"), ("sex",)))
    crude = (counts.a + counts.b) * (counts.a + counts.c) / counts.n_reports
    np.testing.assert_allclose(expected, crude, rtol=1e-12)


def test_cumulative_quarters_equal_counting_with_a_quarter_range(tables):
    cells = count_cells(tables, CountQuery(), ("sex",), by_quarter=True)
    assert cells.quarters == ("2023q1", "2023q2", "2023q3", "2023q4")
    sizes = []
    for q in cells.quarters:
        got, e_got = cumulate(cells, q)
        want, e_want = cumulate(count_cells(tables, CountQuery(quarters=("2023q1", q)), ("sex",)))
        for k in ("drug", "event", "a", "b", "c", "d"):
            assert getattr(got, k).tolist() == getattr(want, k).tolist(), (q, k)
        np.testing.assert_allclose(e_got, e_want, rtol=1e-12)
        sizes.append(got.n_reports)
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def _h2h_brute(rows, a: str, b: str, q: CountQuery):
    universe, _, events, _ = _brute(rows, q)
    sel = [r for r in rows["case_drugs"] if r["role_cod"] in q.roles and r["primaryid"] in universe]
    xa = {r["primaryid"] for r in sel if r[q.level] == a}
    xb = {r["primaryid"] for r in sel if r[q.level] == b}
    all_a = {r["primaryid"] for r in rows["case_drugs"] if r[q.level] == a}
    all_b = {r["primaryid"] for r in rows["case_drugs"] if r[q.level] == b}
    arm_a, arm_b = xa - all_b, xb - all_a
    ev = defaultdict(lambda: [0, 0])
    for pid in arm_a | arm_b:
        for e in events[pid]:
            ev[e][pid in arm_b] += 1
    return arm_a, arm_b, (xa & all_b) | (xb & all_a), ev


@pytest.mark.parametrize(
    ("a", "b", "query"),
    [
        ("ofatumumab", "ocrelizumab", CountQuery()),
        ("kesimpta", "arzerra", CountQuery(level="product")),
        ("ocrelizumab", "ublituximab", CountQuery(indication="MULTIPLE SCLEROSIS", sex="F")),
    ],
)
def test_head_to_head_equals_the_brute_force_count(tables, rows, a, b, query):
    got = head_to_head(tables, a.upper(), b, query)
    arm_a, arm_b, both, ev = _h2h_brute(rows, a, b, query)
    assert got.comparator == b and set(got.drug.tolist()) <= {a}
    assert got.n_reports == len(arm_a) + len(arm_b) and len(arm_a) > 0 and len(arm_b) > 0
    assert dict(got.filters)["cases naming both, left out"] == str(len(both))
    assert got.event.tolist() == sorted(ev)
    assert got.a.tolist() == [ev[e][0] for e in got.event]
    assert got.c.tolist() == [ev[e][1] for e in got.event]
    assert (got.a + got.b).tolist() == [len(arm_a)] * len(got) and (got.c + got.d).tolist() == [
        len(arm_b)
    ] * len(got)


def test_head_to_head_restricted_to_events(tables):
    full = head_to_head(tables, "ofatumumab", "ocrelizumab")
    some = head_to_head(
        tables, "ofatumumab", "ocrelizumab", events=["Headache", "injection site reaction"]
    )
    keep = np.isin(full.event, ["HEADACHE", "INJECTION SITE REACTION"])
    assert (
        some.event.tolist() == full.event[keep].tolist()
        and some.a.tolist() == full.a[keep].tolist()
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"roles": ("PX",)}, "--role PX"),
        ({"roles": ()}, "--role (none)"),
        ({"level": "brand"}, "--level 'brand'"),
        ({"indication": "  "}, "--indication is empty"),
        ({"quarters": ("2024q1", "2023q1")}, "comes after the last"),
        ({"quarters": ("2023-1", "2023q4")}, "YYYYqN"),
        ({"quarters": ("2023q5", "2023q4")}, "YYYYqN"),
        ({"sex": "X"}, "--sex 'X'"),
        ({"age_band": "30-40"}, "--age-band '30-40'"),
    ],
)
def test_bad_queries_say_what_to_do(kwargs, fragment):
    with pytest.raises(ConfigError) as exc:
        CountQuery(**kwargs)
    assert fragment in str(exc.value)


@pytest.mark.parametrize(
    ("text", "want"), [("2023q1-2024q4", ("2023q1", "2024q4")), ("2023Q2", ("2023q2", "2023q2"))]
)
def test_parse_quarters(text, want):
    assert parse_quarters(text) == want


def test_bad_strata_and_engine(tables, tmp_path):
    with pytest.raises(ConfigError, match="--strata weight"):
        count_cells(tables, CountQuery(), ("weight",))
    with pytest.raises(ConfigError, match="--engine 'polars'"):
        connect_engine(tables.location, "polars")
    with pytest.raises(ConfigError, match="applies to --engine spark only"):
        connect_engine(tables.location, spark_master="local[2]")
    with pytest.raises(FaersError, match="faers ingest"):
        connect_engine(tmp_path)
