"""docs/warehouse.md's schema table is the case tables' real columns and types, as DuckDB reads
them from a warehouse made from synthetic quarters."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from rxcompare.sources.faers.sql import sql_literal

DOC = Path(__file__).resolve().parents[1] / "docs" / "warehouse.md"


def documented() -> dict[str, list[tuple[str, str]]]:
    text = DOC.read_text(encoding="utf-8").split("## Schema of the case tables", 1)[1]
    table = text.split("\n## ", 1)[0]
    out = {}
    for name, cells in re.findall(r"^\| `(\w+)` \| (.+) \|$", table, flags=re.M):
        out[name] = re.findall(r"`(\w+)` ([A-Z]+)", cells)
    return out


def test_the_documented_schema_is_the_warehouses(synthetic_warehouses):
    wh = synthetic_warehouses(reports=3000, quarters=4, seed=11, drugs=250, events=300)
    doc = documented()
    assert {"cases", "case_drugs", "case_reactions", "case_indications", "case_therapies"} <= set(
        doc
    )
    con = duckdb.connect()
    for name, columns in doc.items():
        path = wh.path / f"{name}.parquet"
        real = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({sql_literal(str(path))})"
        ).fetchall()
        assert [(c[0], c[1]) for c in real] == columns, name
