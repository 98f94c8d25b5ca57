"""The one SQL quoting helper: values with quotes reach DuckDB whole, as a literal or a name."""

from __future__ import annotations

import duckdb
import pytest

from rxcompare.sources.faers.sql import sql_identifier, sql_literal

AWKWARD = ["plain", "it's", "''", 'a"b', "x'); DROP TABLE t; --", "", "naïve $ ; \\"]


@pytest.mark.parametrize("value", AWKWARD)
def test_a_literal_reads_back_as_the_value(value):
    con = duckdb.connect()
    try:
        assert con.execute(f"SELECT {sql_literal(value)}").fetchone()[0] == value
    finally:
        con.close()


@pytest.mark.parametrize("name", [v for v in AWKWARD if v])
def test_an_identifier_names_the_column(name):
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE t ({sql_identifier(name)} INTEGER)")
        con.execute(f"INSERT INTO t ({sql_identifier(name)}) VALUES (1)")
        assert [d[0] for d in con.execute("SELECT * FROM t").description] == [name]
    finally:
        con.close()
