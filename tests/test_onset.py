"""Time to onset: the date rules case by case, the summary, and the engine pass on real FAERS rows
(../shared samples) against an independent count in plain Python."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import shared_path

from rxcompare.render.onset import onset_csv
from rxcompare.signals.onset import onset_json, summarise_onset, time_to_onset
from rxcompare.sources.faers.counts import CountQuery, count_pairs
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.warehouse import Warehouse


@pytest.mark.parametrize(
    ("event_dt", "start_full", "starts", "cls", "days"),
    [
        ("20230115", "20230110", 1, "usable", 5),
        ("20230110", "20230110", 1, "usable", 0),
        ("20240301", "20240228", 1, "usable", 2),  # 2024 is a leap year
        ("20230301", "20230228", 1, "usable", 1),
        ("20230105", "20230110", 1, "negative", None),
        ("20230231", "20230110", 1, "invalid", None),
        ("20230115", "20221331", 1, "invalid", None),
        ("202301", "20230110", 1, "too_coarse", None),
        ("2023", "20230110", 1, "too_coarse", None),
        ("20230115", None, 2, "too_coarse", None),  # the drug's starts are YYYY or YYYYMM only
        ("20230115", None, 0, "missing", None),
        ("20230115", None, None, "missing", None),  # no therapy row for the drug
        (None, "20230110", 1, "missing", None),
        (None, None, None, "missing", None),
    ],
)
def test_each_case_falls_in_one_class(event_dt, start_full, starts, cls, days):
    (s,) = summarise_onset(["d"], ["e"], [event_dt], [start_full], [starts])
    counts = {k: getattr(s, k) for k in ("usable", "negative", "invalid", "too_coarse", "missing")}
    assert counts == {k: int(k == cls) for k in counts} and s.cases == 1
    if days is None:
        assert math.isnan(s.median_days) and math.isnan(s.min_days)
    else:
        assert s.median_days == s.min_days == s.max_days == days and s.share_usable == 1.0


def test_quartiles_by_linear_interpolation_and_grouping():
    starts = ["20230101"] * 7
    events = ["20230101", "20230111", "20230121", "20230131", "20230411", "202304", None]
    drug = ["b"] * 6 + ["a"]
    (s_b,) = [x for x in summarise_onset(drug, ["e"] * 7, events, starts, [1] * 7) if x.drug == "b"]
    # onsets 0, 10, 20, 30, 100: type-7 quartiles are the 2nd and 4th order statistics here
    assert (s_b.q1_days, s_b.median_days, s_b.q3_days, s_b.min_days, s_b.max_days) == (
        10,
        20,
        30,
        0,
        100,
    )
    assert s_b.cases == 6 and s_b.usable == 5 and s_b.too_coarse == 1 and s_b.share_usable == 5 / 6
    out = summarise_onset(["b", "a", "a"], ["y", "z", "x"], [None] * 3, [None] * 3, [0] * 3)
    assert [(x.drug, x.event) for x in out] == [("a", "x"), ("a", "z"), ("b", "y")]
    doc = onset_json(out, "src")
    assert doc["schema"] == "rxcompare/onset" and doc["rows"][0]["median_days"] is None
    assert onset_csv(out).splitlines()[0].startswith("drug,event,cases,usable,share_usable")


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    zips = [
        shared_path("faers-ascii", z) for z in ("faers_ascii_2017q2.zip", "faers_ascii_2022Q4.zip")
    ]
    wh = Warehouse(tmp_path_factory.mktemp("onset") / "wh")
    for i, z in enumerate(zips):
        wh.ingest(z, rebuild=i == len(zips) - 1)
    t = connect_engine(wh.path)
    yield wh, t
    t.close()


def _brute(wh: Warehouse, roles: tuple[str, ...]):
    """Per (drug, event): the class of each case and the usable onsets, with Python dates."""
    read = {
        n: pq.read_table(wh.path / f"{n}.parquet").to_pylist()
        for n in ("cases", "case_drugs", "case_reactions", "case_therapies")
    }
    event_dt = {c["primaryid"]: c["event_dt"] for c in read["cases"]}
    sel = [r for r in read["case_drugs"] if r["role_cod"] in roles]
    universe = {r["primaryid"] for r in sel}
    seqs = defaultdict(set)
    for r in sel:
        if r["ingredient"]:
            seqs[r["primaryid"], r["ingredient"]].add(r["drug_seq"])
    starts = defaultdict(list)
    for th in read["case_therapies"]:
        if th["start_dt"]:
            starts[th["primaryid"], th["drug_seq"]].append(th["start_dt"])
    events = defaultdict(set)
    for r in read["case_reactions"]:
        if r["primaryid"] in universe and r["pt"]:
            events[r["primaryid"]].add(r["pt"])
    out = defaultdict(lambda: {"classes": defaultdict(int), "days": []})
    for (pid, drug), drug_seqs in seqs.items():
        dated = [s for q in drug_seqs for s in starts[pid, q]]
        full = sorted(s for s in dated if len(s) == 8)
        ev = event_dt[pid]
        for e in events[pid]:
            slot = out[drug, e]
            if not ev or not dated:
                slot["classes"]["missing"] += 1
            elif len(ev) < 8 or not full:
                slot["classes"]["too_coarse"] += 1
            else:
                days = (
                    date(int(ev[:4]), int(ev[4:6]), int(ev[6:]))
                    - date(int(full[0][:4]), int(full[0][4:6]), int(full[0][6:]))
                ).days
                slot["classes"]["usable" if days >= 0 else "negative"] += 1
                if days >= 0:
                    slot["days"].append(days)
    return out


@pytest.mark.parametrize("roles", [("PS", "SS"), ("PS", "SS", "C", "I")])
def test_real_rows_equal_the_independent_count(real, roles):
    wh, t = real
    got = time_to_onset(t, CountQuery(roles=roles))
    want = _brute(wh, roles)
    assert [(s.drug, s.event) for s in got] == sorted(want)
    usable = 0
    for s in got:
        w = want[s.drug, s.event]
        assert {k: getattr(s, k) for k in w["classes"]} == dict(w["classes"]), (s.drug, s.event)
        assert s.cases == sum(w["classes"].values())
        if w["days"]:
            assert s.median_days == np.median(w["days"]) and s.min_days == min(w["days"])
        usable += s.usable
    assert usable > 100  # the real samples carry full dates for many cases
    counts = count_pairs(t, CountQuery(roles=roles))
    assert [s.cases for s in got] == counts.a.tolist()  # the cases of cell a, pair by pair


def test_restricted_to_drugs_and_events(real):
    _, t = real
    every = time_to_onset(t)
    pick = next(s for s in every if s.usable)  # no nan in it, so == compares every field
    some = time_to_onset(t, drugs=[pick.drug.upper()], events=[pick.event.lower()])
    assert some == (pick,)
