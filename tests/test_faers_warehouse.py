"""FAERS warehouse: ingest, deduplication, rejects, atomicity, on synthetic quarters and the real samples."""

from __future__ import annotations

import csv
import errno
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from conftest import shared_path

from rxcompare.errors import FaersError
from rxcompare.sources.faers import ingest as ingest_mod
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(
        out, reports=2500, quarters=2, seed=7, faults=True, drugs=300, events=400
    )
    return out, truth


@pytest.fixture(scope="module")
def loaded(synth, tmp_path_factory):
    out, truth = synth
    wh = Warehouse(tmp_path_factory.mktemp("wh"))
    syn = load_synonyms(out / "synonyms.csv", use_pack=False)
    results = [wh.ingest(out / f"faers_ascii_{q}.zip", synonyms=syn) for q in truth.quarters]
    return wh, results, syn


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_cases_equal_truth_after_dedup(loaded, synth):
    wh, _, _ = loaded
    _, truth = synth
    con = wh.connect()
    n, distinct = con.execute("SELECT count(*), count(DISTINCT caseid) FROM cases").fetchone()
    assert n == distinct == truth.expected_cases
    report = wh.status().dedup
    assert report.rows_before == truth.reports
    assert report.removed_older_versions == truth.older_versions
    assert report.removed_deleted == truth.deleted_cases


def test_kept_version_is_latest(loaded, synth):
    out, truth = synth
    wh, _, _ = loaded
    con = wh.connect()
    # read the DEMO files ourselves and find each case's latest (fda_dt, primaryid)
    latest: dict[int, tuple[str, int]] = {}
    for q in truth.quarters:
        with zipfile.ZipFile(out / f"faers_ascii_{q}.zip") as zf:
            name = next(n for n in zf.namelist() if "DEMO" in n)
            lines = zf.read(name).decode("latin-1").splitlines()[1:]
        for line in lines:
            f = line.split("$")
            key = (f[7], int(f[0]))
            case = int(f[1])
            if case not in latest or key > latest[case]:
                latest[case] = key
    got = dict(con.execute("SELECT caseid, primaryid FROM cases").fetchall())
    for case, pid in got.items():
        assert latest[case][1] == pid


def test_deleted_cases_are_gone(loaded, synth):
    out, truth = synth
    wh, _, _ = loaded
    deleted = set()
    for q in truth.quarters:
        with zipfile.ZipFile(out / f"faers_ascii_{q}.zip") as zf:
            for n in zf.namelist():
                if n.startswith("Deleted/"):
                    deleted |= {int(x) for x in zf.read(n).decode().split() if x.strip()}
    assert len(deleted) == truth.deleted_cases
    con = wh.connect()
    con.execute("CREATE TABLE d(caseid BIGINT)")
    con.executemany("INSERT INTO d VALUES (?)", [(c,) for c in deleted])
    assert con.execute("SELECT count(*) FROM cases JOIN d USING (caseid)").fetchone()[0] == 0


def test_rejects_counted_and_written(loaded, synth):
    wh, results, _ = loaded
    _, truth = synth
    first = results[0]
    assert first.rejects == truth.rejected_lines
    assert first.flagged == truth.flagged_lines
    rows = list(_read_csv(wh.path / "rejects" / f"{first.quarter}.csv"))
    assert len(rows) == truth.rejected_lines + truth.flagged_lines
    for r in rows:
        assert r["file"].startswith("ASCII/") and int(r["line"]) > 1 and r["raw"]
    by_field = {r["field"] for r in rows}
    assert by_field == {"fields", "event_dt", "encoding"}
    latin = next(r for r in rows if r["field"] == "encoding")
    assert "CAF\u00e9INE" in latin["raw"] and latin["kept"] == "yes"
    # the Latin-1 row was loaded with its text decoded
    con = duckdb.connect()
    drug = wh.path / "quarters" / first.quarter / "drug.parquet"
    assert (
        con.execute(
            f"SELECT count(*) FROM '{drug}' WHERE drugname = 'CAF\u00e9INE CITRATE'"
        ).fetchone()[0]
        == 1
    )


def test_rejected_lines_are_the_lines_in_the_file(loaded, synth):
    out, _ = synth
    wh, results, _ = loaded
    q = results[0].quarter
    with zipfile.ZipFile(out / f"faers_ascii_{q}.zip") as zf:
        texts = {n: zf.read(n).decode("latin-1").split("\n") for n in zf.namelist()}
    for r in _read_csv(wh.path / "rejects" / f"{q}.csv"):
        assert texts[r["file"]][int(r["line"]) - 1] == r["raw"]


def test_row_counts_match_files_minus_rejects(loaded, synth):
    out, _ = synth
    wh, results, _ = loaded
    for res in results:
        with zipfile.ZipFile(out / f"faers_ascii_{res.quarter}.zip") as zf:
            for n in zf.namelist():
                if n.startswith("ASCII/"):
                    table = n[6:10].lower()
                    lines = zf.read(n).count(b"\n") - 1
                    rejected = sum(
                        1
                        for r in _read_csv(wh.path / "rejects" / f"{res.quarter}.csv")
                        if r["file"] == n and r["kept"] == "no"
                    )
                    assert dict(res.rows)[table] == lines - rejected, n


def test_normalisation_matches_truth(loaded, synth):
    out, _ = synth
    wh, _, _ = loaded
    con = wh.connect()
    con.execute(
        f"CREATE TABLE names AS SELECT * FROM read_csv('{out / 'names.csv'}', all_varchar=true)"
    )
    wrong = con.execute("""
        SELECT d.drugname, d.prod_ai, d.ingredient, d.product, n.ingredient, n.product
        FROM case_drugs d JOIN names n ON d.drugname = n.drugname AND coalesce(d.prod_ai, '') = coalesce(n.prod_ai, '')
        WHERE d.ingredient <> n.ingredient OR coalesce(d.product, '') <> coalesce(n.product, '')
        LIMIT 5""").fetchall()
    assert wrong == []
    products = dict(
        con.execute(
            "SELECT product, count(*) FROM case_drugs WHERE product IN "
            "('kesimpta', 'arzerra', 'ocrevus', 'briumvi') GROUP BY product"
        ).fetchall()
    )
    assert set(products) == {"kesimpta", "arzerra", "ocrevus", "briumvi"}
    assert (
        con.execute("SELECT count(*) FROM case_drugs WHERE ingredient IS NULL").fetchone()[0] == 0
    )


def test_planted_associations_are_found(loaded, synth):
    out, _ = synth
    wh, _, _ = loaded
    con = wh.connect()
    rows = list(_read_csv(out / "truth.csv"))
    n = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    for r in rows[:4]:  # the anti-CD20 products, planted with ratio 8
        a, with_drug = con.execute(
            "SELECT count(DISTINCT d.primaryid) FILTER (WHERE r.pt = upper(?)), count(DISTINCT d.primaryid) "
            "FROM case_drugs d LEFT JOIN case_reactions r USING (primaryid) WHERE d.product = ?",
            [r["event"], r["product"]],
        ).fetchone()
        e = con.execute(
            "SELECT count(DISTINCT primaryid) FROM case_reactions WHERE pt = upper(?)", [r["event"]]
        ).fetchone()[0]
        assert with_drug > 0 and a / with_drug > 2 * (e - a) / (n - with_drug), r


def test_contract_columns(loaded):
    wh, _, _ = loaded
    con = wh.connect()
    expect = {
        "cases": [
            "primaryid",
            "caseid",
            "caseversion",
            "quarter",
            "fda_dt",
            "event_dt",
            "init_fda_dt",
            "age_years",
            "age_band",
            "sex",
            "country",
            "serious",
            "outcomes",
            "rept_cod",
            "occp_cod",
        ],
        "case_drugs": [
            "primaryid",
            "caseid",
            "drug_seq",
            "role_cod",
            "drugname",
            "prod_ai",
            "ingredient",
            "product",
            "route",
        ],
        "case_reactions": ["primaryid", "caseid", "pt"],
        "case_indications": ["primaryid", "caseid", "drug_seq", "indi_pt"],
        "case_therapies": ["primaryid", "caseid", "drug_seq", "start_dt", "end_dt"],
    }
    for view, cols in expect.items():
        assert [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()] == cols
    types = {r[0]: r[1] for r in con.execute("DESCRIBE cases").fetchall()}
    assert types["primaryid"] == types["caseid"] == "BIGINT" and types["serious"] == "BOOLEAN"
    bands = {r[0] for r in con.execute("SELECT DISTINCT age_band FROM cases").fetchall()}
    assert bands <= {"<18", "18-44", "45-64", "65-74", ">=75", None}
    assert con.execute("SELECT count(*) FROM cases WHERE event_dt = '20231345'").fetchone()[0] == 0
    assert (
        con.execute("SELECT count(*) FROM case_reactions WHERE pt <> upper(trim(pt))").fetchone()[0]
        == 0
    )


def test_reingest_is_a_noop(loaded, synth):
    out, truth = synth
    wh, _, syn = loaded
    before = _snapshot(wh.path)
    res = wh.ingest(out / f"faers_ascii_{truth.quarters[0]}.zip", synonyms=syn)
    assert res.skipped
    assert _snapshot(wh.path) == before


@pytest.mark.parametrize("target", ["_write_parquet", "_copy"])
def test_interrupted_ingest_leaves_warehouse_unchanged(synth, tmp_path, monkeypatch, target):
    out, truth = synth
    wh = Warehouse(tmp_path / "wh")
    syn = load_synonyms(out / "synonyms.csv", use_pack=False)
    wh.ingest(out / f"faers_ascii_{truth.quarters[0]}.zip", synonyms=syn)
    before = _snapshot(wh.path)
    calls = {"n": 0}

    def boom(*args, **kwargs):
        calls["n"] += 1
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "wh" / "x.parquet"))

    if target == "_write_parquet":
        monkeypatch.setattr(ingest_mod, "_write_parquet", boom)
    else:
        from rxcompare.sources.faers import dedup

        monkeypatch.setattr(dedup, "_copy", boom)
    with pytest.raises(
        FaersError, match=r"x\.parquet: no space left on the device.*left as it was"
    ):
        wh.ingest(out / f"faers_ascii_{truth.quarters[1]}.zip", synonyms=syn)
    assert calls["n"] == 1
    assert _snapshot(wh.path) == before
    assert [p.name for p in (wh.path / "quarters").iterdir()] == [truth.quarters[0]]


def test_strict_raises_naming_file_line_field(synth, tmp_path):
    out, truth = synth
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(FaersError, match=r"FAERS file ASCII/\w+\.txt line \d+, field \w+"):
        wh.ingest(out / f"faers_ascii_{truth.quarters[0]}.zip", strict=True)
    assert not (wh.path / "cases.parquet").exists()
    assert list((wh.path / "quarters").iterdir()) == []


def test_truncated_zip_is_an_error(synth, tmp_path):
    out, truth = synth
    data = (out / f"faers_ascii_{truth.quarters[1]}.zip").read_bytes()
    bad = tmp_path / f"faers_ascii_{truth.quarters[1]}.zip"
    bad.write_bytes(data[: len(data) // 2])
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(FaersError, match="truncated"):
        wh.ingest(bad)
    assert list((wh.path / "quarters").iterdir()) == []


def test_file_of_the_wrong_table_is_rejected(synth, tmp_path):
    out, truth = synth
    q = truth.quarters[1]
    folder = tmp_path / f"faers_ascii_{q}"
    with zipfile.ZipFile(out / f"faers_ascii_{q}.zip") as zf:
        zf.extractall(folder)
    yy = f"{q[2:4]}Q{q[5]}"
    (folder / "ASCII" / f"INDI{yy}.txt").write_bytes(
        (folder / "ASCII" / f"OUTC{yy}.txt").read_bytes()
    )
    with pytest.raises(
        FaersError, match=rf"INDI{yy}.txt cannot be read as the INDI table \(header lacks"
    ):
        Warehouse(tmp_path / "wh0").ingest(folder)
    wh = Warehouse(tmp_path / "wh")
    res = wh.ingest(folder, allow_missing=True)
    assert "indi" not in dict(res.rows) and res.rejects == 1 and res.missing == ("indi",)
    assert wh.status().quarters[0].missing == ("indi",)
    rows = list(_read_csv(wh.path / "rejects" / f"{q}.csv"))
    assert (
        rows[0]["file"].endswith(f"INDI{yy}.txt")
        and rows[0]["line"] == "1"
        and rows[0]["field"] == "header"
    )
    with pytest.raises(FaersError, match="header"):
        Warehouse(tmp_path / "wh2").ingest(folder, strict=True, allow_missing=True)


def test_different_file_for_same_quarter_replaces_it(synth, tmp_path):
    out, truth = synth
    q = truth.quarters[1]
    folder = tmp_path / f"faers_ascii_{q}"
    with zipfile.ZipFile(out / f"faers_ascii_{q}.zip") as zf:
        zf.extractall(folder)
    wh = Warehouse(tmp_path / "wh")
    first = wh.ingest(folder)
    demo = folder / "ASCII" / f"DEMO{q[2:4]}Q{q[5]}.txt"
    lines = demo.read_text(encoding="utf-8").splitlines(keepends=True)
    demo.write_text("".join(lines[:-10]), encoding="utf-8")
    second = wh.ingest(folder)
    assert not second.skipped and second.sha256 != first.sha256
    assert dict(second.rows)["demo"] == dict(first.rows)["demo"] - 10
    assert wh.status().reports_before == dict(second.rows)["demo"]
    assert not wh.status().stale


# --- the real samples ------------------------------------------------------------------------


def _count_lines(zip_path: Path) -> dict[str, int]:
    out = {}
    with zipfile.ZipFile(zip_path) as zf:
        for n in zf.namelist():
            base = n.rsplit("/", 1)[-1].lower()
            if base.endswith(".txt") and base[:4] in (
                "demo",
                "drug",
                "reac",
                "outc",
                "rpsr",
                "ther",
                "indi",
            ):
                data = zf.read(n)
                lines = [x for x in data.split(b"\n") if x.strip()]
                out[base[:4]] = len(lines) - 1
            elif "/deleted/" in "/" + n.lower():
                out["deleted"] = len([x for x in zf.read(n).split() if x.strip()])
    return out


REAL = [
    ("aers_ascii_2004q1.zip", "2004q1", "laers"),
    ("faers_ascii_2017q2.zip", "2017q2", "faers"),
    ("faers_ascii_2022Q4.zip", "2022q4", "faers"),
]


@pytest.fixture(scope="module")
def real_wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("real"))
    results = {}
    for name, _, _ in REAL:
        path = shared_path("faers-ascii", name)
        results[name] = wh.ingest(path, synonyms=load_synonyms(use_pack=False))
    return wh, results


@pytest.mark.shared
@pytest.mark.parametrize(("name", "quarter", "kind"), REAL)
def test_real_quarters_ingest_with_file_counts(real_wh, name, quarter, kind):
    wh, results = real_wh
    res = results[name]
    assert (res.quarter, res.layout, res.rejects) == (quarter, kind, 0)
    counts = _count_lines(shared_path("faers-ascii", name))
    for table, n in dict(res.rows).items():
        assert n == counts[table], table
    assert res.deleted == counts.get("deleted", 0)
    manifest = json.loads(
        (wh.path / "quarters" / quarter / "manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["sha256"] == res.sha256 and manifest["layout"] == kind


@pytest.mark.shared
def test_real_dedup_and_orphans(real_wh):
    wh, results = real_wh
    status = wh.status()
    con = wh.connect()
    n_demo = sum(dict(r.rows)["demo"] for r in results.values())
    assert status.reports_before == n_demo
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == status.dedup.after
    assert (
        status.dedup.after
        == n_demo - status.dedup.removed_older_versions - status.dedup.removed_deleted
    )
    # orphans counted by hand: OUTC rows of 2022q4 whose primaryid has no DEMO row
    with zipfile.ZipFile(shared_path("faers-ascii", "faers_ascii_2022Q4.zip")) as zf:
        demo = {ln.split("$")[0] for ln in zf.read("ASCII/DEMO22Q4.txt").decode().splitlines()[1:]}
        outc = [
            ln.split("$")[0] for ln in zf.read("ASCII/OUTC22Q4.txt").decode().splitlines()[1:] if ln
        ]
    assert dict(status.dedup.orphans)["outc"] >= sum(1 for p in outc if p not in demo)
    legacy = con.execute(
        "SELECT count(*), count(sex) FROM cases WHERE quarter = '2004q1'"
    ).fetchone()
    assert legacy[0] == 100 and legacy[1] > 0
    pids = con.execute(
        "SELECT min(primaryid) FROM case_drugs WHERE primaryid IN "
        "(SELECT primaryid FROM cases WHERE quarter = '2004q1')"
    ).fetchone()[0]
    assert pids is not None
