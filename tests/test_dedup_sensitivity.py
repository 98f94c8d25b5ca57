"""Deduplication sensitivity (`rxcompare signals DRUG --dedup-sensitivity`): the 2x2 tables, estimates
and flags at each level against a brute count in plain Python over the quarters' raw Parquet files
of a synthetic warehouse (with planted cross-case duplicates); a level that cannot be counted is
listed with why."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict

import pyarrow.parquet as pq
import pytest
from helpers import run_cli, synthetic_warehouse

from rxcompare.signals.sensitivity import DEDUP_LEVELS
from rxcompare.signals.study import dedup_sensitivity
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.layout import DATE_PATTERN
from rxcompare.sources.faers.match import match_demographic
from rxcompare.sources.faers.normalise import load_synonyms

DRUG = "ofatumumab"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sensitivity")
    wh = synthetic_warehouse(
        root, reports=3000, quarters=3, seed=5, drugs=200, events=250, duplicates=40
    )
    match_demographic(wh.path)
    return wh, load_synonyms(root / "q" / "synonyms.csv", use_pack=False)


@pytest.fixture(scope="module")
def sens(built):
    wh, syn = built
    with connect_engine(wh.path) as t:
        return dedup_sensitivity(t, drug=DRUG, synonyms=syn)


def _raw(wh, table):
    return [
        r
        for d in sorted((wh.path / "quarters").iterdir())
        for r in pq.read_table(d / f"{table}.parquet").to_pylist()
    ]


def _upper(x):
    x = (x or "").strip().upper()
    return x or None


def _brute_levels(wh, syn) -> dict[str, dict]:
    """Per level: the kept (primaryid, quarter) versions, by the levels' definitions, in Python."""
    demo = _raw(wh, "demo")
    latest = {}
    for r in demo:  # none: one row per primaryid, from its latest file
        if r["primaryid"] is not None and (
            r["primaryid"] not in latest or r["quarter"] > latest[r["primaryid"]]["quarter"]
        ):
            latest[r["primaryid"]] = r
    deleted = {r["caseid"] for r in _raw(wh, "deleted")}

    def key(r):
        d = (r["fda_dt"] or "").strip()
        d = d if re.match(DATE_PATTERN, d) else None
        return (d is not None, d or "", r["primaryid"], r["quarter"])

    best = {}
    for r in demo:
        if r["caseid"] is not None and r["primaryid"] is not None:
            if r["caseid"] not in best or key(r) > key(best[r["caseid"]]):
                best[r["caseid"]] = r
    fda = {(r["primaryid"], r["quarter"]) for c, r in best.items() if c not in deleted}
    groups = pq.read_table(wh.path / "match" / "groups.parquet").to_pylist()
    dropped = {g["primaryid"] for g in groups if not g["kept"]}
    return {
        "none": {(p, r["quarter"]) for p, r in latest.items()},
        "fda": fda,
        "fda+demographic": {v for v in fda if v[0] not in dropped},
    }


def _brute_tables(wh, syn, kept):
    """2x2 tables of every pair of DRUG over the versions ``kept`` (suspect roles, ingredient level)."""
    universe, drugs, events = set(), defaultdict(set), defaultdict(set)
    for r in _raw(wh, "drug"):
        v = (r["primaryid"], r["quarter"])
        if v in kept and _upper(r["role_cod"]) in ("PS", "SS"):
            universe.add(v)
            ing, _ = syn.resolve(r["drugname"], r["prod_ai"])
            if ing is not None:
                drugs[v].add(ing)
    for r in _raw(wh, "reac"):
        v = (r["primaryid"], r["quarter"])
        if v in universe and _upper(r["pt"]):
            events[v].add(_upper(r["pt"]))
    n = len(universe)
    nd = sum(1 for v in universe if DRUG in drugs[v])
    ne, a = defaultdict(int), defaultdict(int)
    for v in universe:
        for e in events[v]:
            ne[e] += 1
            if DRUG in drugs[v]:
                a[e] += 1
    return n, {e: (x, nd - x, ne[e] - x, n - nd - ne[e] + x) for e, x in a.items()}


def test_levels_are_listed_in_order_and_all_counted(sens):
    assert [lv["name"] for lv in sens["levels"]] == list(DEDUP_LEVELS)
    assert all(lv["computed"] and not lv["why_not"] for lv in sens["levels"])
    n = {lv["name"]: lv["n"] for lv in sens["levels"]}
    assert (
        n["none"] > n["fda"] > n["fda+demographic"]
    )  # older versions, then planted duplicates removed


def test_tables_at_each_level_equal_the_brute_count(built, sens):
    wh, syn = built
    kept = _brute_levels(wh, syn)
    cases = {lv["name"]: lv["cases"] for lv in sens["levels"]}
    assert cases == {k: len(v) for k, v in kept.items()}
    for lv in sens["levels"]:
        n, tables = _brute_tables(wh, syn, kept[lv["name"]])
        assert lv["n"] == n, lv["name"]
        got = {
            r["event"]: r["levels"][lv["name"]] for r in sens["rows"] if r["levels"].get(lv["name"])
        }
        assert set(got) == set(tables), lv[
            "name"
        ]  # the shape: one entry per pair counted at this level
        for event, (a, b, c, d) in tables.items():
            g = got[event]
            assert (g["a"], g["b"], g["c"], g["d"]) == (a, b, c, d), (lv["name"], event)
            if min(a, b, c, d) > 0:  # Wald ROR and its flag, by hand
                ror = a * d / (b * c)
                lower = math.exp(
                    math.log(ror) - 1.959963984540054 * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
                )
                assert g["ror"] == pytest.approx(ror, rel=1e-12)
                assert g["ror_lower"] == pytest.approx(lower, rel=1e-9)
                assert ("ror" in g["flags"].split("+")) == (a >= 3 and lower > 1)


def test_every_row_says_how_its_flag_moves(sens):
    assert sens["rows"]
    for r in sens["rows"]:
        flagged = {k for k, v in r["levels"].items() if v and v["flags"]}
        counted = set(DEDUP_LEVELS)
        if flagged == counted:
            assert r["status"] == "flagged at every level"
        elif not flagged:
            assert r["status"] == "flagged at no level"
        else:
            assert r["status"] == (
                "flagged at "
                + ", ".join(x for x in DEDUP_LEVELS if x in flagged)
                + "; not at "
                + ", ".join(x for x in DEDUP_LEVELS if x not in flagged)
            )


def test_head_to_head_at_each_level(built):
    wh, syn = built
    with connect_engine(wh.path) as t:
        s = dedup_sensitivity(t, drug=DRUG, vs="ocrelizumab", synonyms=syn)
    assert s["comparator"] == "ocrelizumab" and all(lv["computed"] for lv in s["levels"])
    for r in s["rows"]:
        for v in r["levels"].values():
            if v:
                assert v["ebgm"] is None  # MGPS does not apply to head-to-head tables


def test_a_level_the_warehouse_cannot_count_is_listed_with_why(tmp_path, capsys):
    wh = synthetic_warehouse(tmp_path, reports=800, quarters=2, seed=3, drugs=60, events=80)
    syn = load_synonyms(tmp_path / "q" / "synonyms.csv", use_pack=False)
    with connect_engine(wh.path) as t:
        s = dedup_sensitivity(t, drug=DRUG, synonyms=syn)
    last = s["levels"][-1]
    assert last["name"] == "fda+demographic" and not last["computed"]
    assert (
        "no demographic match yet" in last["why_not"] and "--match demographic" in last["why_not"]
    )
    assert all("fda+demographic" not in r["levels"] for r in s["rows"])
    text = run_cli(
        capsys,
        "signals",
        DRUG,
        "--warehouse",
        str(wh.path),
        "--dedup-sensitivity",
        "--synonyms",
        str(tmp_path / "q" / "synonyms.csv"),
    )
    assert "not counted: warehouse" in text and "no demographic match yet" in " ".join(text.split())


def test_cli_json_and_markdown(built, sens, capsys):
    wh, _ = built
    syn = str(wh.path.parent / "q" / "synonyms.csv")
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            DRUG,
            "--warehouse",
            str(wh.path),
            "--dedup-sensitivity",
            "--synonyms",
            syn,
            "-f",
            "json",
        )
    )
    assert doc["schema"] == "rxcompare/dedup-sensitivity"
    assert [lv["n"] for lv in doc["levels"]] == [lv["n"] for lv in sens["levels"]]
    assert doc["rows"] == json.loads(json.dumps(sens["rows"]))
    md = run_cli(
        capsys,
        "signals",
        DRUG,
        "--warehouse",
        str(wh.path),
        "--dedup-sensitivity",
        "--synonyms",
        syn,
        "-f",
        "markdown",
    )
    assert "## Deduplication levels" in md and "| pair | level | a | ROR (95% CI) |" in md
    flagged = [r for r in sens["rows"] if any(v and v["flags"] for v in r["levels"].values())]
    assert flagged and all(f"| {r['event']} | none |" in md for r in flagged)
