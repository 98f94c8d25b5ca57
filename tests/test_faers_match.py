"""The demographic match (`rxcompare faers dedup --match demographic`): planted cross-case duplicates
found and merged, planted near copies that differ in one key field kept apart, groups recorded."""

from __future__ import annotations

import csv
from dataclasses import replace

import pyarrow.parquet as pq
import pytest
from helpers import run_cli, synthetic_warehouse

from rxcompare.errors import FaersError
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.match import demographic_tables, match_demographic, read_match_report
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse

COPIES = 24


@pytest.fixture(scope="module")
def matched(tmp_path_factory):
    root = tmp_path_factory.mktemp("match")
    wh = synthetic_warehouse(
        root, reports=5000, quarters=3, seed=13, drugs=300, events=400, duplicates=COPIES
    )
    with (root / "q" / "duplicates.csv").open(encoding="utf-8", newline="") as fh:
        planted = list(csv.DictReader(fh))
    report = match_demographic(wh.path)
    groups = pq.read_table(wh.path / "match" / "groups.parquet").to_pylist()
    return wh, planted, report, groups, root


def _groups(groups) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for g in groups:
        out.setdefault(g["group_id"], set()).add(g["caseid"])
    return out


def test_planted_duplicates_are_merged_and_distinct_copies_are_not(matched):
    _, planted, report, groups, _ = matched
    assert len(planted) == COPIES
    sets = list(_groups(groups).values())
    for row in planted:
        pair = {int(row["caseid"]), int(row["copy_caseid"])}
        together = any(pair <= s for s in sets)
        assert together == row["kind"].startswith("duplicate"), row
        if row["kind"].startswith("distinct"):  # the near copy is merged with nothing
            assert not any(int(row["copy_caseid"]) in s for s in sets), row
    dups = sum(r["kind"].startswith("duplicate") for r in planted)
    assert report.groups >= dups and report.removed == report.cases_in_groups - report.groups
    assert report.cases_after == report.cases_before - report.removed
    assert dict(report.joined_with_missing)["age"] >= sum(
        r["kind"] == "duplicate_age_missing" for r in planted
    )


def test_each_group_records_its_cases_key_and_one_kept_report(matched):
    wh, _, report, groups, _ = matched
    fda_dt = dict(
        zip(
            *pq.read_table(wh.path / "cases.parquet", columns=["primaryid", "fda_dt"])
            .to_pydict()
            .values()
        )
    )
    by: dict[int, list[dict]] = {}
    for g in groups:
        by.setdefault(g["group_id"], []).append(g)
    assert len(by) == report.groups and len(groups) == report.cases_in_groups
    for members in by.values():
        assert len(members) >= 2 and sum(m["kept"] for m in members) == 1
        assert len({m["caseid"] for m in members}) == len(members)  # across case ids
        assert all("suspects " in m["key"] and "reactions " in m["key"] for m in members)
        kept = next(m for m in members if m["kept"])
        assert (
            kept["primaryid"]
            == max((fda_dt[m["primaryid"]] or "", m["primaryid"]) for m in members)[1]
        )


def test_demographic_level_counts_leave_out_the_merged_cases(matched):
    wh, _, report, groups, _ = matched
    with connect_engine(wh.path) as t:
        n_fda = t.fetch(t["cases"].aggregate(n=t["cases"].count())).column("n")[0].as_py()
        m = demographic_tables(t)
        n_dem = m.fetch(m["cases"].aggregate(n=m["cases"].count())).column("n")[0].as_py()
        dropped = {g["primaryid"] for g in groups if not g["kept"]}
        left = set(
            m.fetch(m["case_drugs"].select("primaryid").distinct()).column("primaryid").to_pylist()
        )
    assert n_fda == report.cases_before and n_dem == report.cases_after
    assert not dropped & left


def test_status_shows_counts_and_fields_by_quarter(matched, capsys):
    wh, _, report, _, _ = matched
    out = run_cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    out = " ".join(out.split())  # the terminal wraps long lines
    assert f"cases after {report.cases_after:,}" in out and "demographic match" in out
    assert "2023q1: matched on event_dt 100%" in out


def test_stale_match_is_refused_after_a_rebuild(matched, tmp_path):
    wh, _, _, _, root = matched
    import shutil

    copy = Warehouse(tmp_path / "wh")
    shutil.copytree(wh.path, copy.path)
    copy.dedupe(load_synonyms(root / "q" / "synonyms.csv", use_pack=False))
    assert read_match_report(copy.path)[1] is True
    with (
        connect_engine(copy.path) as t,
        pytest.raises(FaersError, match="older than the case tables"),
    ):
        demographic_tables(t)


def test_cli_dedup_match_demographic(matched, tmp_path, capsys):
    wh, _, report, _, root = matched
    import shutil

    shutil.copytree(wh.path, tmp_path / "wh")
    (tmp_path / "wh" / "match" / "match.json").unlink()
    out = run_cli(
        capsys,
        "faers",
        "dedup",
        "--match",
        "demographic",
        "--synonyms",
        str(root / "q" / "synonyms.csv"),
        "--warehouse",
        str(tmp_path / "wh"),
    )
    assert f"{report.groups:,} groups of {report.cases_in_groups:,} cases merged" in " ".join(
        out.split()
    )
    again, stale = read_match_report(
        tmp_path / "wh"
    )  # the CLI rebuilt FDA's rule first, then matched
    assert not stale and again.dedup_build != report.dedup_build
    assert replace(again, dedup_build="") == replace(report, dedup_build="")
