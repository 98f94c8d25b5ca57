"""A new quarter is added to current case tables as an update layer instead of a rebuild from every
quarter; what the layers hold together must equal a rebuild, whatever order the quarters arrive in."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from conftest import shared_path

from rxcompare.sources.faers import dedup, store
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.store import DERIVED
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse

COUNTS = (
    "rows_before",
    "removed_unkeyed",
    "removed_repeated",
    "reports_before",
    "removed_older_versions",
    "removed_deleted",
    "after",
    "deleted_case_ids_listed",
    "orphans",
    "quarters",
    "synonyms_fingerprint",
)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(
        out, reports=6000, quarters=4, seed=11, faults=True, drugs=300, events=300
    )
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


def _layered(synth, root: Path) -> Warehouse:
    """Every quarter ingested one by one: the first built, each later one added as an update."""
    _, truth, syn = synth
    wh = Warehouse(root)
    for q in truth.quarters:
        wh.ingest(_zip(synth, q), synonyms=syn)
    return wh


def _dedup(wh: Warehouse) -> dict:
    return json.loads((wh.path / "dedup.json").read_text(encoding="utf-8"))


def _rows(wh: Warehouse, name: str) -> list[tuple]:
    con = wh.connect()
    try:
        cols = ", ".join(f'"{c}"' for c in con.table(name).columns)
        return con.sql(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()
    finally:
        con.close()


def _assert_same_tables(wh: Warehouse, ref: Warehouse, same_files: bool = True) -> None:
    for name in DERIVED:
        got, want = _rows(wh, name), _rows(ref, name)
        assert len(got) == len(want) and got == want, name
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
        assert _dedup(wh)["built"] == (
            "rebuilt from every quarter" if i == 0 else f"updated with {q}"
        )
    assert len(store.local_layers(wh.path)) == len(quarters)  # the first build and three updates
    _assert_same_tables(wh, rebuilt)
    # the data exercise the update: later quarters hold newer versions of earlier cases, and
    # deleted-case lists naming cases kept before; updates retired cases of earlier layers
    assert _dedup(rebuilt)["removed_older_versions"] > 0 and _dedup(rebuilt)["removed_deleted"] > 0
    assert sum(u["retired"] for u in _dedup(wh)["updates"]) > 0
    # the rebuild folds the layers into one: the same tables, no update left
    wh.dedupe(syn)
    assert store.local_layers(wh.path) == [""] and not (wh.path / store.UPDATES).exists()
    _assert_same_tables(wh, rebuilt)


def test_ingest_many_builds_once_into_new_tables_then_adds_layers(synth, rebuilt, tmp_path):
    # the library call holds the ingest policy the CLI uses: quarters into a warehouse without
    # current case tables are deduplicated once at the end; one quarter into current tables is a layer
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "many")
    steps: list[str] = []
    got = wh.ingest_many(
        [_zip(synth, q) for q in truth.quarters[:-1]],
        synonyms=syn,
        progress=lambda step, done, total: steps.append(step),
    )
    assert [r.quarter for r in got] == list(truth.quarters[:-1]) and not any(r.skipped for r in got)
    assert steps.count("deduplicating") == 1 and _dedup(wh)["built"] == "rebuilt from every quarter"
    assert store.local_layers(wh.path) == [""]
    wh.ingest_many([_zip(synth, truth.quarters[-1])], synonyms=syn)
    assert _dedup(wh)["built"] == f"updated with {truth.quarters[-1]}"
    assert len(store.local_layers(wh.path)) == 2
    _assert_same_tables(wh, rebuilt)
    again = wh.ingest_many([_zip(synth, q) for q in truth.quarters], synonyms=syn)
    assert (
        all(r.skipped for r in again) and len(store.local_layers(wh.path)) == 2
    )  # nothing changed


def _engine_rows(where: str | Path, engine: str) -> dict[str, list[tuple]]:
    with connect_engine(where, engine) as tables:
        out = {}
        for n in DERIVED:
            t = tables.fetch(tables[n])
            out[n] = sorted(
                zip(*(t.column(c).to_pylist() for c in sorted(t.column_names))),
                key=lambda r: tuple((v is None, v) for v in r),
            )
        return out


def test_the_ibis_tables_read_the_layers_as_the_rebuilt_tables(synth, rebuilt, tmp_path):
    wh = _layered(synth, tmp_path / "wh")
    assert len(store.local_layers(wh.path)) == 4
    assert _engine_rows(wh.path, "duckdb") == _engine_rows(rebuilt.path, "duckdb")


@pytest.mark.spark
def test_spark_reads_the_layers_as_duckdb_does(synth, tmp_path):
    from rxcompare.sources.faers.engines import spark_available

    ok, why = spark_available()
    if not ok:
        pytest.skip(f"Spark tests need PySpark and Java: {why}")
    wh = _layered(synth, tmp_path / "wh")
    assert _engine_rows(wh.path, "spark") == _engine_rows(wh.path, "duckdb")


def test_other_synonyms_rebuild(synth, rebuilt, tmp_path):
    """Case tables built with other synonyms are rebuilt, not updated (their drug names would mix)."""
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters[:-1]:
        wh.ingest(_zip(synth, q), synonyms=load_synonyms(None, use_pack=False))
    wh.ingest(_zip(synth, truth.quarters[-1]), synonyms=syn)
    assert _dedup(wh)["built"] == "rebuilt from every quarter" and store.local_layers(wh.path) == [
        ""
    ]
    _assert_same_tables(wh, rebuilt)


def test_a_replaced_quarter_rebuilds(synth, rebuilt, tmp_path):
    """A quarter ingested again from another file replaces the old one's cases: a rebuild."""
    _, truth, syn = synth
    wh = _layered(synth, tmp_path / "wh")
    other = tmp_path / "in" / _zip(synth, truth.quarters[1]).name
    other.parent.mkdir()
    other.write_bytes(
        _zip(synth, truth.quarters[1]).read_bytes() + b"\0"
    )  # same tables, other file
    wh.ingest(other, synonyms=syn)
    assert _dedup(wh)["built"] == "rebuilt from every quarter"
    assert not (wh.path / store.UPDATES).exists()
    _assert_same_tables(wh, rebuilt, same_files=False)


def test_a_full_set_of_layers_is_folded_by_the_next_quarter(synth, rebuilt, tmp_path, monkeypatch):
    _, truth, syn = synth
    monkeypatch.setattr(dedup, "MAX_UPDATES", 2)
    wh = Warehouse(tmp_path / "wh")
    built = []
    for q in truth.quarters:
        wh.ingest(_zip(synth, q), synonyms=syn)
        built.append((_dedup(wh)["built"], len(store.local_layers(wh.path))))
    assert [n for _, n in built] == [1, 2, 3, 1]  # the fourth quarter rebuilt: layers folded
    _assert_same_tables(wh, rebuilt)


def test_an_unlisted_layer_is_removed_on_reopening(synth, tmp_path):
    """An update folder no dedup.json lists (its commit never happened) is removed, never read."""
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters[:2]:
        wh.ingest(_zip(synth, q), synonyms=syn)
    listed = store.local_layers(wh.path)[1]
    stray = wh.path / store.UPDATES / "2099q1-0123456789ab"
    shutil.copytree(wh.path / listed, stray)
    st = wh.status()
    assert f"removed {store.UPDATES}/{stray.name}" in st.recovered
    assert not stray.exists() and (wh.path / listed).is_dir() and not st.damaged


def test_a_damaged_layer_is_reported_and_rebuilt(synth, rebuilt, tmp_path):
    syn = synth[2]
    wh = _layered(synth, tmp_path / "wh")
    layer = wh.path / store.local_layers(wh.path)[2]
    (layer / store.RETIRED).unlink()
    st = wh.status()
    assert any(f"{store.RETIRED} is missing" in p for p in st.damaged), st.damaged
    wh.dedupe(syn)
    assert not wh.status().damaged
    _assert_same_tables(wh, rebuilt)


def test_a_copy_with_its_layers_is_read_from_a_url(synth, rebuilt, tmp_path):
    wh = _layered(synth, tmp_path / "wh")
    copy = tmp_path / "store"
    copy.mkdir()
    for name in [*(f"{n}.parquet" for n in DERIVED), "dedup.json", store.UPDATES]:
        (shutil.copytree if (wh.path / name).is_dir() else shutil.copy)(wh.path / name, copy / name)
    with connect_engine(copy.as_uri(), "duckdb") as tables:
        got = {n: tables.fetch(tables[n]).num_rows for n in DERIVED}
    assert got == {n: len(_rows(rebuilt, n)) for n in DERIVED}


def test_the_command_adds_quarters_as_updates_and_says_so(synth, tmp_path, capsys):
    """`faers ingest` into current case tables adds a layer per quarter; into none, builds once."""
    from rxcompare.cli import main

    _, truth, _ = synth
    wh = tmp_path / "wh"
    synonyms = str(synth[0] / "synonyms.csv")

    def ingest(*zips: Path) -> str:
        with pytest.raises(SystemExit) as exc:
            main(
                ["faers", "ingest", *map(str, zips), "--warehouse", str(wh), "--synonyms", synonyms]
            )
        assert not exc.value.code
        return " ".join(capsys.readouterr().out.split())

    out = ingest(*(_zip(synth, q) for q in truth.quarters[:2]))  # no case tables yet: one build
    assert (
        _dedup(Warehouse(wh))["built"] == "rebuilt from every quarter"
        and "update layers" not in out
    )
    out = ingest(*(_zip(synth, q) for q in truth.quarters[2:]))  # current tables: a layer each
    assert _dedup(Warehouse(wh))["built"] == f"updated with {truth.quarters[-1]}"
    assert f"case tables: {', '.join(truth.quarters[2:])} added as update layers" in out
    folded = tmp_path / "folded"
    shutil.copytree(wh, folded)
    with pytest.raises(SystemExit) as exc:
        main(["faers", "dedup", "--warehouse", str(folded), "--synonyms", synonyms])
    assert not exc.value.code and store.local_layers(folded) == [""]
    _assert_same_tables(Warehouse(wh), Warehouse(folded))


def test_an_update_that_does_not_add_up_is_rebuilt_and_recorded(
    synth, rebuilt, tmp_path, monkeypatch
):
    """Should the update's cases ever disagree with the rebuild's count, the quarter is added by a
    rebuild and dedup.json says why."""
    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters[:-1]:
        wh.ingest(_zip(synth, q), synonyms=syn)
    real = dedup.update_derived

    def off_by_one(root, doc, *args, **kwargs):
        return real(root, {**doc, "after": doc["after"] + 1}, *args, **kwargs)

    monkeypatch.setattr(dedup, "update_derived", off_by_one)
    wh.ingest(_zip(synth, truth.quarters[-1]), synonyms=syn)
    built = _dedup(wh)["built"]
    assert built.startswith(
        f"rebuilt from every quarter (the update with {truth.quarters[-1]} did not add up: "
    )
    assert store.local_layers(wh.path) == [""]
    _assert_same_tables(wh, rebuilt)


def test_web_suggestions_are_read_again_when_a_quarter_is_added_as_a_layer(synth, tmp_path):
    """A layer leaves case_drugs.parquet as it was; the suggestions still see the new quarter."""
    from rxcompare.sources.pack import load_pack
    from rxcompare.web.suggest import DrugIndex

    _, truth, syn = synth
    wh = Warehouse(tmp_path / "wh")
    for q in truth.quarters[:-1]:
        wh.ingest(_zip(synth, q), synonyms=syn)
    index = DrugIndex(load_pack(), wh.path)
    before = index.warehouse_names()
    assert index.ready()
    wh.ingest(_zip(synth, truth.quarters[-1]), synonyms=syn)
    assert _dedup(wh)["built"] == f"updated with {truth.quarters[-1]}"
    assert not index.ready()
    after = index.warehouse_names()
    con = wh.connect()
    want = con.execute(
        "SELECT ingredient, count(DISTINCT caseid) FROM case_drugs WHERE ingredient <> '' "
        "GROUP BY ingredient"
    ).fetchall()
    assert sorted((name, n) for _, name, n in after) == sorted(want) and after != before


@pytest.mark.parametrize(
    "order", list(itertools.permutations(range(3))), ids=lambda o: "".join(map(str, o))
)
def test_real_quarters_added_in_any_order_equal_a_rebuild(order, tmp_path):
    """FDA's own rows (cut-down samples): a legacy AERS quarter and two FAERS quarters, one with its
    deleted-case list, added one by one in every order, equal one rebuild from all three."""
    zips = [
        shared_path("faers-ascii", n)
        for n in ("aers_ascii_2004q1.zip", "faers_ascii_2017q2.zip", "faers_ascii_2022Q4.zip")
    ]
    syn = load_synonyms(None)
    ref = Warehouse(tmp_path / "ref")
    for z in zips:
        ref.ingest(z, synonyms=syn, rebuild=False, allow_missing=True)
    ref.dedupe(syn)
    wh = Warehouse(tmp_path / "wh")
    for i in order:
        wh.ingest(zips[i], synonyms=syn, allow_missing=True)
    assert len(store.local_layers(wh.path)) == 3
    _assert_same_tables(wh, ref)
