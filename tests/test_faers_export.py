"""`faers export`: the live case tables as plain Parquet read by any tool equal what
Warehouse.connect() reads, update layers applied; dates are DATE only where FDA gave a whole day."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from rxcompare.cli import app
from rxcompare.errors import FaersError
from rxcompare.sources.faers.export import (
    DATE_COLUMNS,
    EXPORT_TABLES,
    _date_columns,
    export_warehouse,
)
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    """Three synthetic quarters ingested one by one: the first built, the others update layers."""
    src = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(src, reports=3000, quarters=3, seed=5, drugs=120, events=150)
    syn = load_synonyms(src / "synonyms.csv", use_pack=False)
    wh = Warehouse(tmp_path_factory.mktemp("wh"))
    for q in truth.quarters:
        wh.ingest(src / f"faers_ascii_{q}.zip", synonyms=syn)
    assert wh.status().updates  # the point: later quarters are layers over the first
    return wh, truth


def _live(wh: Warehouse, name: str, cols: list[str]) -> list[tuple]:
    con = wh.connect()
    try:
        return con.sql(f"SELECT {', '.join(cols)} FROM {name} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_export_equals_the_live_tables_and_raw_files_do_not(layered, tmp_path):
    wh, truth = layered
    result = export_warehouse(wh.path, tmp_path / "out")
    rows = dict(result.rows)
    for name in EXPORT_TABLES:
        path = tmp_path / "out" / f"{name}.parquet"
        plain = [c for c in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
        cols = [
            c[0]
            for c in plain
            if not c[0].endswith(("_text", "_precision")) and c[0] not in DATE_COLUMNS.get(name, ())
        ]
        got = duckdb.sql(f"SELECT {', '.join(cols)} FROM '{path}' ORDER BY ALL").fetchall()
        assert got == _live(wh, name, cols), name
        assert rows[name] == len(got)
        # the date text is FDA's, whole, beside its DATE
        for c in DATE_COLUMNS.get(name, ()):
            text = duckdb.sql(f"SELECT {c}_text FROM '{path}' ORDER BY ALL").fetchall()
            assert text == _live(wh, name, [c]), c
    assert rows["cases"] == truth.expected_cases
    raw = duckdb.sql(f"SELECT count(*) FROM read_parquet('{wh.path}/**/cases.parquet')").fetchall()[
        0
    ][0]
    assert raw != rows["cases"]  # reading the warehouse's own files counts layers' retired rows too
    doc = json.loads((tmp_path / "out" / "export.json").read_text(encoding="utf-8"))
    assert doc["rows"] == rows and doc["quarters"] == list(truth.quarters)


def test_truncated_dates_are_never_a_made_up_day():
    got = duckdb.sql(
        f"SELECT {_date_columns('d')} FROM (VALUES ('20230315'), ('202303'), ('2023'), ('20230231'), ('2023x'), "
        "(''), (NULL)) t(d)"
    ).fetchall()
    assert [(str(x[0]) if x[0] else None, x[1], x[2]) for x in got] == [
        ("2023-03-15", "20230315", "day"),
        (None, "202303", "month"),
        (None, "2023", "year"),
        (None, "20230231", "invalid"),
        (None, "2023x", "invalid"),
        (None, "", None),
        (None, None, None),
    ]


def test_export_refuses_a_folder_in_use_and_leaves_nothing_half_written(layered, tmp_path):
    wh, _ = layered
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FaersError, match="not empty"):
        export_warehouse(wh.path, used)
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    with pytest.raises(FaersError):
        export_warehouse(tmp_path / "no-warehouse", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["used"]  # no temporary folder left


def test_cli_export(layered, tmp_path):
    wh, _ = layered
    r = CliRunner().invoke(
        app, ["faers", "export", "--warehouse", str(wh.path), "--out", str(tmp_path / "x")]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == sorted(
        [*(f"{t}.parquet" for t in EXPORT_TABLES), "export.json"]
    )
