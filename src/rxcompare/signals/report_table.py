"""Count unique reports per drug-event pair from any long table of reports (CSV or Parquet).

A *long table* has one row per report x drug x event (FAERS after joining DRUG and REAC, openEBGM's
``caers`` data, any spontaneous-reporting export). The counting unit is the distinct report id:
a report that names the same drug twice, or the same event twice, counts once.

For drug D and event E, with n the number of distinct reports in the table::

    a = reports naming D and E          b = reports naming D - a
    c = reports naming E - a            d = n - a - b - c

so E = (a+b)(a+c)/n equals openEBGM's ``processRaw`` expected count (distinct-id margins).
Rows with an empty report id, drug or event are left out of every count; how many is reported
in :attr:`PairCounts.excluded_rows`.

:class:`PairCounts` is the hand-over to :mod:`rxcompare.signals.score`: any counting function (this
module's, or the FAERS warehouse's) returns one.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np

from rxcompare.errors import SourceError
from rxcompare.models import PairCounts, SignalTable
from rxcompare.signals.score import run_signals, with_listed
from rxcompare.sources.faers.sql import sql_identifier, sql_literal
from rxcompare.stats.thresholds import Thresholds

__all__ = ["count_head_to_head", "count_report_pairs", "signals_from_reports"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")


MAX_COLUMNS = 1000
"""Columns of a reports table at most: a long table has a few; 100,000 would cost DuckDB a minute
and a gigabyte before any row is read."""
MAX_HEADER = 1 << 20


def _check_width(path: Path) -> None:
    """Refuse a CSV whose header line is longer than ``MAX_HEADER`` or has more than ``MAX_COLUMNS``
    fields by any usual delimiter, before DuckDB is given it."""
    try:
        with gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb") as fh:
            head = fh.readline(MAX_HEADER + 1)
    except (OSError, EOFError) as exc:
        raise SourceError(
            f"reports table {str(path)!r} cannot be read ({exc}); give a CSV or Parquet file"
        ) from None
    if len(head) > MAX_HEADER:
        raise SourceError(
            f"reports table {str(path)!r}: its header line is longer than {MAX_HEADER:,} bytes; "
            "a long table has a few columns (report id, drug, event): give such a table"
        )
    widest = max(head.count(d) for d in (b",", b"\t", b";", b"|")) + 1
    if widest > MAX_COLUMNS:
        raise SourceError(
            f"reports table {str(path)!r} has {widest:,} columns, more than {MAX_COLUMNS:,}; "
            "a long table has a few columns (report id, drug, event): keep those and run again"
        )


MAX_FOOTER = 4 << 20
"""Bytes of a Parquet file's footer (its schema and row-group index) parsed at most: 100,000
columns take 15 MB of footer and seconds to parse; a long table of three columns takes about 300
bytes per row group (4 MB is some 13,000 row groups, over a billion rows as DuckDB writes them)."""


def _check_parquet_width(path: Path) -> None:
    """Refuse a Parquet file whose footer is longer than ``MAX_FOOTER`` or whose schema has more
    than ``MAX_COLUMNS`` columns, from its footer alone (its last 8 bytes give the footer's length)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 8))
            tail = fh.read(8)
        footer = int.from_bytes(tail[:4], "little") if len(tail) == 8 else 0
        if tail[4:] == b"PAR1" and footer > MAX_FOOTER:
            raise SourceError(
                f"reports table {str(path)!r}: its Parquet footer (schema and row-group index) "
                f"is {footer:,} bytes, more than {MAX_FOOTER:,}, as for thousands of columns; a "
                "long table has a few columns (report id, drug, event): keep those and run again"
            )
        widest = pq.read_metadata(path).num_columns
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(
            f"reports table {str(path)!r} cannot be read as Parquet ({exc}); give a CSV or "
            "Parquet file"
        ) from None
    if widest > MAX_COLUMNS:
        raise SourceError(
            f"reports table {str(path)!r} has {widest:,} columns, more than {MAX_COLUMNS:,}; "
            "a long table has a few columns (report id, drug, event): keep those and run again"
        )


def _open(path: Path, columns: Sequence[str]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the file read once into the table ``src``, its columns checked.

    The file is parsed once, by one SQL ``read_csv``/``read_parquet`` (the relation API's reader
    sniffs the file again, and a view over the file would parse it in every query)."""
    if not path.is_file():
        raise SourceError(f"reports table {str(path)!r} does not exist; give a CSV or Parquet file")
    name = path.name.lower()
    if name.endswith(_PARQUET):
        _check_parquet_width(path)
        reader = f"read_parquet({sql_literal(str(path))})"
    elif name.endswith(_CSV):
        _check_width(path)
        reader = f"read_csv({sql_literal(str(path))}, header = true, all_varchar = true)"
    else:
        raise SourceError(
            f"reports table {str(path)!r}: unknown file type; name it .csv, .tsv or .parquet"
        )
    con = duckdb.connect()
    try:
        wanted = ", ".join(dict.fromkeys(sql_identifier(c) for c in columns))
        try:
            con.execute(f"CREATE TEMP TABLE src AS SELECT {wanted} FROM {reader}")
        except duckdb.BinderException:  # a column is missing: name them all
            present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
            for col in columns:
                if col not in present:
                    raise SourceError(
                        f"reports table {str(path)!r} has no column {col!r}; its columns are "
                        f"{', '.join(present)}; choose them with --report-col, --drug-col, --event-col"
                    ) from None
            raise
    except duckdb.Error as exc:
        con.close()
        raise SourceError(f"reports table {str(path)!r} cannot be read: {exc}") from None
    except SourceError:
        con.close()
        raise
    return con


def _rows(con, report_col: str, drug_col: str, event_col: str) -> int:
    """Create the table ``t`` of distinct (report, drug, event) rows from ``src`` (then dropped);
    return rows left out."""
    r, dr, ev = (sql_identifier(c) for c in (report_col, drug_col, event_col))
    kept = (
        f"{r} IS NOT NULL AND {dr} IS NOT NULL AND {ev} IS NOT NULL"
        f" AND trim(CAST({r} AS VARCHAR)) <> '' AND trim(CAST({dr} AS VARCHAR)) <> ''"
        f" AND trim(CAST({ev} AS VARCHAR)) <> ''"
    )
    con.execute(
        f"""
        CREATE TEMP TABLE t AS
        SELECT DISTINCT CAST({r} AS VARCHAR) AS r, CAST({dr} AS VARCHAR) AS dr,
               CAST({ev} AS VARCHAR) AS ev
        FROM src WHERE {kept}
        """
    )
    total, left_out = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT ({kept})) FROM src"
    ).fetchone()
    con.execute("DROP TABLE src")  # its rows are in ``t`` now: the memory goes back before counting
    return int(left_out)


def _arrays(con, sql: str, params: list) -> dict[str, np.ndarray]:
    res = con.execute(sql, params).fetchnumpy()
    out = {}
    for k, v in res.items():
        arr = np.asarray(v)
        out[k] = arr.astype(object) if k in ("drug", "event") else arr.astype(np.int64)
    return out


def count_report_pairs(
    path: str | Path,
    report_col: str = "id",
    drug_col: str = "var1",
    event_col: str = "var2",
    *,
    drugs: Sequence[str] = (),
    events: Sequence[str] = (),
) -> PairCounts:
    """Count distinct reports for every drug-event pair of a long table (one row per pair seen).

    ``drugs`` / ``events`` restrict the pairs returned (exact labels); margins and n are always
    those of the whole table. Pairs are sorted by drug, then event. Raises :class:`SourceError`
    for a missing or unreadable file or a missing column.
    """
    path = Path(path)
    con = _open(path, (report_col, drug_col, event_col))
    try:
        excluded = _rows(con, report_col, drug_col, event_col)
        n = int(con.execute("SELECT count(DISTINCT r) FROM t").fetchone()[0])
        where, params = [], []
        if drugs:
            where.append(f"p.dr IN ({', '.join('?' for _ in drugs)})")
            params += list(drugs)
        if events:
            where.append(f"p.ev IN ({', '.join('?' for _ in events)})")
            params += list(events)
        sql = f"""
            WITH p AS (SELECT dr, ev, count(*) AS a FROM t GROUP BY dr, ev),
                 md AS (SELECT dr, count(DISTINCT r) AS nd FROM t GROUP BY dr),
                 me AS (SELECT ev, count(DISTINCT r) AS ne FROM t GROUP BY ev)
            SELECT p.dr AS drug, p.ev AS event, p.a AS a, md.nd - p.a AS b, me.ne - p.a AS c,
                   {n} - md.nd - me.ne + p.a AS d
            FROM p JOIN md USING (dr) JOIN me USING (ev)
            {("WHERE " + " AND ".join(where)) if where else ""}
            ORDER BY p.dr, p.ev
        """
        arr = _arrays(con, sql, params)
    except duckdb.Error as exc:
        raise SourceError(f"reports table {str(path)!r}: counting failed: {exc}") from None
    finally:
        con.close()
    filters = tuple(
        [("drugs", ", ".join(drugs))] * bool(drugs) + [("events", ", ".join(events))] * bool(events)
    )
    return PairCounts(
        drug=arr["drug"],
        event=arr["event"],
        a=arr["a"],
        b=arr["b"],
        c=arr["c"],
        d=arr["d"],
        n_reports=n,
        source=str(path.name),
        excluded_rows=excluded,
        filters=filters,
    )


def count_head_to_head(
    path: str | Path,
    drug_a: str,
    drug_b: str,
    report_col: str = "id",
    drug_col: str = "var1",
    event_col: str = "var2",
    *,
    events: Sequence[str] = (),
) -> PairCounts:
    """Head-to-head tables of drug A against drug B, one per event reported with either.

    Among reports naming A or B but not both (reports naming both are left out and counted in
    the ``filters``): a = A & event, b = A & not event, c = B & event, d = B & not event.
    """
    path = Path(path)
    con = _open(path, (report_col, drug_col, event_col))
    try:
        excluded = _rows(con, report_col, drug_col, event_col)
        con.execute(
            """CREATE TEMP TABLE g AS
               SELECT r, bool_or(dr = ?) AS has_a, bool_or(dr = ?) AS has_b FROM t GROUP BY r""",
            [drug_a, drug_b],
        )
        n_a, n_b, both = con.execute(
            """SELECT count(*) FILTER (WHERE has_a AND NOT has_b),
                      count(*) FILTER (WHERE has_b AND NOT has_a),
                      count(*) FILTER (WHERE has_a AND has_b) FROM g"""
        ).fetchone()
        where, params = "", []
        if events:
            where = f"WHERE ev IN ({', '.join('?' for _ in events)})"
            params = list(events)
        sql = f"""
            WITH x AS (SELECT DISTINCT t.r, t.ev, g.has_a FROM t JOIN g USING (r)
                       WHERE g.has_a <> g.has_b),
                 p AS (SELECT ev, count(*) FILTER (WHERE has_a) AS a,
                              count(*) FILTER (WHERE NOT has_a) AS c FROM x GROUP BY ev)
            SELECT ? AS drug, ev AS event, a, {n_a} - a AS b, c, {n_b} - c AS d
            FROM p {where} ORDER BY ev
        """
        arr = _arrays(con, sql, [drug_a] + params)
    except duckdb.Error as exc:
        raise SourceError(f"reports table {str(path)!r}: counting failed: {exc}") from None
    finally:
        con.close()
    filters = (("reports naming both, left out", str(both)),)
    if events:
        filters += (("events", ", ".join(events)),)
    return PairCounts(
        drug=arr["drug"],
        event=arr["event"],
        a=arr["a"],
        b=arr["b"],
        c=arr["c"],
        d=arr["d"],
        n_reports=int(n_a + n_b),
        source=str(path.name),
        comparator=drug_b,
        excluded_rows=excluded,
        filters=filters,
    )


def signals_from_reports(
    path: str | Path,
    report_col: str = "id",
    drug_col: str = "var1",
    event_col: str = "var2",
    *,
    drug: str | None = None,
    events: Sequence[str] = (),
    vs: str | None = None,
    thresholds: Thresholds | None = None,
    level: float = 0.95,
) -> SignalTable:
    """:func:`run_signals` on a long table of reports (CSV or Parquet), counted by DuckDB."""
    table = run_signals(
        lambda: count_report_pairs(path, report_col, drug_col, event_col),
        drug=drug,
        events=events,
        vs=vs,
        thresholds=thresholds,
        level=level,
        count_pair=lambda x, y: count_head_to_head(path, x, y, report_col, drug_col, event_col),
    )
    origin = {
        "system": f"long table of reports ({Path(path).name})",
        "quarters": [],
        "counting_unit": table.counting_unit,
        "roles": "as in the table",
        "indication": None,
        "window": "every row of the table",
    }
    return with_listed(replace(table, origin=origin))
