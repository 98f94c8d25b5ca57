"""What each signals row says beyond its scores, on a synthetic warehouse with adalimumab planted
(its label is held whole in the pack): listedness, the minimum detectable ROR of the pairs without a
signal, the source named; and --flagged, --sort, --top."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from rxcompare.models import SORT_KEYS
from rxcompare.signals.warehouse import signals_from_warehouse
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse
from rxcompare.stats.mdrr import mdrr_ror_wald

PLANT = [
    ("adalimumab", "LYMPHOMA", 8.0),
    ("adalimumab", "COMPLETED SUICIDE", 8.0),
    ("adalimumab", "HEADACHE", 1.0),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    src = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(
        src, reports=4000, quarters=2, seed=4, drugs=150, events=150, plant=PLANT
    )
    wh = Warehouse(tmp_path_factory.mktemp("wh"))
    syn = load_synonyms(src / "synonyms.csv")
    for q in truth.quarters:
        wh.ingest(src / f"faers_ascii_{q}.zip", synonyms=syn)
    return wh


@pytest.fixture(scope="module")
def table(warehouse):
    with connect_engine(warehouse.path) as t:
        return signals_from_warehouse(t, drug="adalimumab")


def _row(table, event):
    (r,) = [r for r in table.rows() if r["event"] == event]
    return r


def test_listed_unlisted_and_the_unlisted_signal(table):
    lymphoma, suicide = _row(table, "LYMPHOMA"), _row(table, "COMPLETED SUICIDE")
    assert lymphoma["flags"] and suicide["flags"]
    assert (lymphoma["listed"], lymphoma["listed_where"]) == (
        "listed",
        "term in BW WARNING: SERIOUS INFECTIONS AND MALIGNANCY",
    )
    assert suicide["listed"] == "unlisted" and "held whole" in suicide["listed_where"]
    assert set(table.columns["listed"].tolist()) <= {"listed", "unlisted", "unknown"}


def test_mdrr_only_for_pairs_without_a_signal(table):
    flagged = table.columns["flags"] != ""
    mdrr = table.columns["mdrr"]
    assert np.isnan(mdrr[flagged]).all() and not np.isnan(mdrr[~flagged]).any()
    c = table.columns
    want = mdrr_ror_wald(c["a"][~flagged], c["b"][~flagged], c["c"][~flagged], c["d"][~flagged])
    assert np.array_equal(mdrr[~flagged], want)
    headache = _row(table, "HEADACHE")
    assert not headache["flags"] and 1 < headache["mdrr"] < math.inf


def test_source_and_rows_in_every_format(warehouse, capsys, tmp_path):
    base = ["signals", "adalimumab", "--warehouse", str(warehouse.path)]
    doc = json.loads(run_cli(capsys, *base, "--format", "json"))
    assert (
        doc["version"] == 2
        and doc["mdrr"]["method"] == "mdrr_ror_wald"
        and doc["mdrr"]["power"] == 0.8
    )
    src = doc["source"]
    assert (src["system"], src["counting_unit"], src["roles"], src["indication"]) == (
        "FAERS quarterly data extract",
        "deduplicated case",
        "PS+SS (primary suspect, secondary suspect)",
        None,
    )
    assert src["quarters"] == ["2023q1", "2023q2"] and src["description"].endswith("on DuckDB")
    suicide = [r for r in doc["rows"] if r["event"] == "COMPLETED SUICIDE"][0]
    assert suicide["listed"] == "unlisted" and suicide["mdrr"] is None
    header = run_cli(capsys, *base, "--format", "csv").splitlines()[0].split(",")
    assert header[-5:] == ["mdrr", "listed", "listed_where", "counting_unit", "filters"]
    run_cli(capsys, *base, "-o", str(tmp_path / "p.parquet"))
    meta = pq.read_table(tmp_path / "p.parquet").schema.metadata
    assert json.loads(meta[b"origin"])["system"] == "FAERS quarterly data extract"
    text = run_cli(capsys, *base, "--event", "COMPLETED SUICIDE", "--event", "LYMPHOMA")
    assert (
        "UNLISTED SIGNAL" in text
        and "source: FAERS quarterly data extract; quarters 2023q1-2023q2 (2)"
        in text.replace("\n", " ")
    )


@pytest.mark.parametrize("key", ["eb05", "ror", "a", "mdrr"])
def test_flagged_sort_top(warehouse, capsys, key):
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            "adalimumab",
            "--warehouse",
            str(warehouse.path),
            "--format",
            "json",
            "--sort",
            key,
            "--top",
            "3",
            *(["--flagged"] if key != "mdrr" else []),
        )
    )
    rows = doc["rows"]
    assert len(rows) == 3
    values = [r[key] if r[key] is not None else -math.inf for r in rows]
    assert values == sorted(values, reverse=True)
    if key != "mdrr":
        assert all(r["flags"] for r in rows) and doc["filters"]["flagged"] == "yes"
    assert key in SORT_KEYS


def test_sort_refuses_unknown_keys(warehouse, capsys):
    from rxcompare.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["signals", "adalimumab", "--warehouse", str(warehouse.path), "--sort", "nosuch"])
    assert exc.value.code not in (0, None)
    assert "--sort 'nosuch' is not one of" in capsys.readouterr().err.replace("\n", " ")


def test_a_brand_at_ingredient_level_is_pointed_to_its_ingredient(warehouse, capsys):
    from rxcompare.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["signals", "humira", "--warehouse", str(warehouse.path)])
    assert exc.value.code not in (0, None)
    said = " ".join(capsys.readouterr().err.split())
    assert (
        "'humira' is a product of the knowledge pack (ingredient adalimumab): give 'adalimumab'"
        in said
    )
