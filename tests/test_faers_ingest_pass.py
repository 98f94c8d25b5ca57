"""Ingest in one pass (issue 15): the one-COPY path equals the full read, orphans counted at ingest,
the cached drug-name dictionary, and the synthetic history the history job ingests."""

from __future__ import annotations

import json
import zipfile

import duckdb
import pytest

from rxcompare.sources.faers import dedup, tables
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.synth_history import synth_history
from rxcompare.sources.faers.warehouse import Warehouse

TABLES = ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")
DERIVED = ("cases", "case_drugs", "case_reactions", "case_indications", "case_therapies")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    truth = synth_quarters(out, reports=3000, quarters=2, seed=3, drugs=200, events=300)
    return out, truth


def _rows(path) -> list[tuple]:
    return sorted(duckdb.connect().execute(f"SELECT * FROM '{path}'").fetchall(), key=repr)


def test_one_pass_equals_the_full_read(clean, tmp_path, monkeypatch):
    out, truth = clean
    syn = load_synonyms(out / "synonyms.csv", use_pack=False)
    zips = [out / f"faers_ascii_{q}.zip" for q in truth.quarters]
    fast = Warehouse(tmp_path / "fast")
    calls = {"clean": 0}
    real = tables.write_clean_table

    def counted(*args, **kwargs):
        got = real(*args, **kwargs)
        calls["clean"] += got is not None
        return got

    monkeypatch.setattr("rxcompare.sources.faers.ingest.write_clean_table", counted)
    for z in zips:
        fast.ingest(z, synonyms=syn)
    assert calls["clean"] == 2 * len(
        TABLES
    )  # every table of these clean quarters took the one pass
    monkeypatch.setattr("rxcompare.sources.faers.ingest.write_clean_table", lambda *a, **k: None)
    full = Warehouse(tmp_path / "full")
    for z in zips:
        full.ingest(z, synonyms=syn)
    for q in truth.quarters:
        for t in TABLES:
            assert _rows(fast.path / "quarters" / q / f"{t}.parquet") == _rows(
                full.path / "quarters" / q / f"{t}.parquet"
            ), (q, t)
        a = json.loads((fast.path / "quarters" / q / "manifest.json").read_text())
        b = json.loads((full.path / "quarters" / q / "manifest.json").read_text())
        for key in ("rows", "rejects", "flagged", "reasons", "orphans", "deleted"):
            assert a[key] == b[key], key
    for n in DERIVED:
        assert _rows(fast.path / f"{n}.parquet") == _rows(full.path / f"{n}.parquet"), n


def test_a_bad_date_takes_the_full_read_and_is_listed(clean, tmp_path):
    out, truth = clean
    src = out / f"faers_ascii_{truth.quarters[0]}.zip"
    z = tmp_path / src.name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(z, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("ASCII/DEMO"):
                lines = data.split(b"\n")
                f = lines[5].split(b"$")
                f[4] = b"20231399"
                lines[5] = b"$".join(f)
                data = b"\n".join(lines)
            zout.writestr(info, data)
    wh = Warehouse(tmp_path / "wh")
    res = wh.ingest(z, synonyms=load_synonyms(out / "synonyms.csv", use_pack=False))
    assert res.flagged == 1 and res.rejects == 0
    rejects = (wh.path / "rejects" / f"{res.quarter}.csv").read_text(encoding="utf-8")
    assert ",6,event_dt," in rejects and "20231399" in rejects
    n = (
        duckdb.connect()
        .execute(
            f"SELECT count(*) FROM '{wh.path / 'quarters' / res.quarter / 'demo.parquet'}' WHERE event_dt = '20231399'"
        )
        .fetchall()[0][0]
    )
    assert n == 1  # kept as written in the quarter's file; the case tables read it as unknown


def test_orphans_counted_at_ingest_equal_a_count_over_the_files(clean, tmp_path):
    out, truth = clean
    src = out / f"faers_ascii_{truth.quarters[0]}.zip"
    z = tmp_path / src.name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(z, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith(("ASCII/DRUG", "ASCII/REAC")):
                data = (
                    data.rstrip(b"\n")
                    + b"\n"
                    + b"$".join(
                        [b"999999999991", b"99999999"]
                        + [b""] * (data.split(b"\n", 1)[0].count(b"$") - 1)
                    )
                    + b"\n"
                )
            zout.writestr(info, data)
    wh = Warehouse(tmp_path / "wh")
    res = wh.ingest(z, synonyms=load_synonyms(out / "synonyms.csv", use_pack=False))
    manifest = json.loads((wh.path / "quarters" / res.quarter / "manifest.json").read_text())
    assert manifest["orphans"]["drug"] == 1 and manifest["orphans"]["reac"] == 1
    assert dict(wh.status().dedup.orphans) == manifest["orphans"]
    # a quarter ingested before orphans were recorded is counted by the deduplication itself
    del manifest["orphans"]
    (wh.path / "quarters" / res.quarter / "manifest.json").write_text(
        json.dumps(manifest), encoding="utf-8"
    )
    assert dict(wh.dedupe(load_synonyms(out / "synonyms.csv", use_pack=False)).orphans)["drug"] == 1


def test_the_name_dictionary_is_a_cache_only(clean, tmp_path):
    out, truth = clean
    syn = load_synonyms(out / "synonyms.csv", use_pack=False)
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters:
        wh.ingest(out / f"faers_ascii_{q}.zip", synonyms=syn, rebuild=False)
    wh.dedupe(syn)
    names = wh.path / dedup.NAMES_FILE
    assert names.exists()
    first = _rows(wh.path / "case_drugs.parquet")
    # read back in a fresh process state, then damaged: the same case tables every time
    dedup._RESOLVED.clear()
    wh.dedupe(syn)
    assert _rows(wh.path / "case_drugs.parquet") == first
    dedup._RESOLVED.clear()
    names.write_bytes(b"not parquet")
    wh.dedupe(syn)
    assert _rows(wh.path / "case_drugs.parquet") == first
    # another synonym table: the cache is not used, the new mapping is
    other = tmp_path / "other.csv"
    other.write_text("name,ingredient,product\nKESIMPTA,somethingelse,\n", encoding="utf-8")
    wh.dedupe(load_synonyms(other, use_pack=False))
    got = (
        duckdb.connect()
        .execute(
            f"SELECT DISTINCT ingredient FROM '{wh.path / 'case_drugs.parquet'}' WHERE upper(drugname) = 'KESIMPTA'"
        )
        .fetchall()
    )
    assert got == [("somethingelse",)]


def test_synthetic_history_has_versions_deletions_and_messy_names(tmp_path):
    truth = synth_history(tmp_path / "h", quarters=4, reports=3000, seed=2, drugs=300, events=400)
    assert truth.reports > truth.cases > truth.expected_cases  # follow-ups, then deleted cases
    wh = Warehouse(tmp_path / "wh")
    syn = load_synonyms(use_pack=False)
    results = [
        wh.ingest(tmp_path / "h" / f"faers_ascii_{q}.zip", synonyms=syn, rebuild=False)
        for q in truth.quarters
    ]
    assert all(r.rejects == 0 and r.flagged == 0 for r in results)
    assert sum(dict(r.rows)["demo"] for r in results) == truth.reports
    report = wh.dedupe(syn)
    assert report.after == truth.expected_cases
    assert report.removed_older_versions == truth.reports - truth.cases
    assert report.removed_deleted == truth.cases - truth.expected_cases > 0
    con = wh.connect()
    # the kept version is a case's last: every kept follow-up is in a later quarter than its first
    assert con.execute("SELECT count(*) FROM cases WHERE caseversion > 1").fetchall()[0][0] > 0
    assert (
        con.execute("SELECT count(*) FROM cases WHERE fda_dt < init_fda_dt").fetchall()[0][0] == 0
    )
    # messy spellings of one drug meet in one ingredient
    spellings = con.execute(
        "SELECT count(DISTINCT drugname) FROM case_drugs WHERE ingredient = 'ofatumumab'"
    ).fetchall()[0][0]
    assert spellings >= 3
