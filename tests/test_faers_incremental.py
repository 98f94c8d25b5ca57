"""A new quarter updates the derived case tables instead of rebuilding them; the result must equal a
rebuild from every quarter, whatever order the quarters arrive in."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.store import DERIVED
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse

COUNTS = ("rows_before", "removed_unkeyed", "removed_older_versions", "removed_deleted", "after",
          "deleted_case_ids_listed", "orphans", "quarters", "synonyms_fingerprint")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(out, reports=6000, quarters=4, seed=11, faults=True, drugs=300, events=300)
    return out, truth, load_synonyms(out / "synonyms.csv", use_pack=False)


def _zip(synth, q: str) -> Path:
    return synth[0] / f"faers_ascii_{q}.zip"


@pytest.fixture(scope="module")
def rebuilt(synth, tmp_path_factory):
    """Every quarter ingested, then the case tables built once from all of them."""
    _, truth, syn = synth
    wh = Warehouse(tmp_path_factory.mktemp("rebuilt"))
    for q in truth.quarters:
        wh.ingest(_zip(synth, q), synonyms=syn, rebuild=False)
    wh.dedupe(syn)
    return wh


def _dedup(wh: Warehouse) -> dict:
    return json.loads((wh.path / "dedup.json").read_text(encoding="utf-8"))


def _rows(wh: Warehouse, name: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        rel = con.sql(f"SELECT * FROM read_parquet('{wh.path / (name + '.parquet')}')")
        cols = ", ".join(f'"{c}"' for c in rel.columns)
        return con.sql(f"SELECT {cols} FROM rel ORDER BY ALL").fetchall()
    finally:
        con.close()


def _assert_same_tables(wh: Warehouse, ref: Warehouse, same_files: bool = True) -> None:
    for name in DERIVED:
        assert _rows(wh, name) == _rows(ref, name), name
    got, want = _dedup(wh), _dedup(ref)
    if not same_files:  # the quarters' files differ (their sha256), not what they hold
        got["quarters"], want["quarters"] = sorted(got["quarters"]), sorted(want["quarters"])
    assert {k: got[k] for k in COUNTS} == {k: want[k] for k in COUNTS}


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (2, 0, 3, 1)], ids=["in-order", "out-of-order"])
def test_quarter_by_quarter_updates_equal_a_rebuild(synth, rebuilt, tmp_path, order):
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    quarters = [truth.quarters[i] for i in order]
    for i, q in enumerate(quarters):
        wh.ingest(_zip(synth, q), synonyms=syn)
        assert _dedup(wh)["built"] == ("rebuilt from every quarter" if i == 0 else f"updated with {q}")
    _assert_same_tables(wh, rebuilt)
    # the data exercise the update: later quarters hold newer versions of earlier cases, and
    # deleted-case lists naming cases kept before
    assert _dedup(rebuilt)["removed_older_versions"] > 0 and _dedup(rebuilt)["removed_deleted"] > 0


def test_other_synonyms_rebuild(synth, rebuilt, tmp_path):
    """Case tables built with other synonyms are rebuilt, not updated (their drug names would mix)."""
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters[:-1]:
        wh.ingest(_zip(synth, q), synonyms=load_synonyms(None, use_pack=False))
    wh.ingest(_zip(synth, truth.quarters[-1]), synonyms=syn)
    assert _dedup(wh)["built"] == "rebuilt from every quarter"
    _assert_same_tables(wh, rebuilt)


def test_a_replaced_quarter_rebuilds(synth, rebuilt, tmp_path):
    """A quarter ingested again from another file replaces the old one's cases: a rebuild."""
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters:
        wh.ingest(_zip(synth, q), synonyms=syn)
    other = tmp_path / "in" / _zip(synth, truth.quarters[1]).name
    other.parent.mkdir()
    other.write_bytes(_zip(synth, truth.quarters[1]).read_bytes() + b"\0")  # same tables, other file
    wh.ingest(other, synonyms=syn)
    assert _dedup(wh)["built"] == "rebuilt from every quarter"
    _assert_same_tables(wh, rebuilt, same_files=False)
