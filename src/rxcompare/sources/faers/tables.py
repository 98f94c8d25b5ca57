"""One FAERS table file parsed by DuckDB and written as the quarter's Parquet file.

The header is checked against the table's columns (:mod:`.layout`); DuckDB's CSV reader (``$``, no
quoting, all text) loads the rows and keeps every line it cannot load with its line number; keys that
are not integers reject their row, malformed dates are kept as unknown and flagged; the columns are
mapped to the canonical names and the result written as zstd Parquet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from rxcompare.errors import FaersError
from rxcompare.sources.faers import layout
from rxcompare.sources.faers.sourcefiles import Reject
from rxcompare.sources.faers.sql import sql_identifier, sql_literal


def read_header(path: Path) -> str:
    with path.open("rb") as fh:
        line = fh.readline(1 << 16)
    return line.decode("utf-8", "replace").lstrip("\ufeff")


def _header_problem(table: str, header: str, names: list[str]) -> str | None:
    """Why a header is not the table's (None when it is), with what the file seems to be instead."""
    problem = layout.check_header(table, names)
    if problem is None and len(set(names)) != len(names):
        problem = "header repeats a column name"
    if problem is None:
        return None
    for sep, what in ((",", "comma"), ("\t", "tab"), (";", "semicolon"), ("|", "pipe")):
        if "$" not in header and header.count(sep) >= 2:
            return f"{problem} (the header is {what}-separated; FAERS tables are $-separated)"
    if not header.strip():
        return f"{problem} (the file is empty)"
    return problem


def _find_lines(path: Path, raws: list[str]) -> dict[str, list[int]]:
    """Line numbers (1-based, header = 1) of the given raw lines: the slow path, used only for flagged rows."""
    wanted = set(raws)
    out: dict[str, list[int]] = {}
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for n, line in enumerate(fh, 1):
            s = line.rstrip("\r\n")
            if s in wanted or s.rstrip("$") in wanted:
                out.setdefault(s if s in wanted else s.rstrip("$"), []).append(n)
    return out


def _csv_source(table: str, path: Path, names: list[str], lenient: bool) -> str:
    """DuckDB's reader of one table file: ``$``, no quoting, all text, bad lines into ``rj_<table>``."""
    cols = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
    rj = f"rj_{table}"
    return (
        f"read_csv({sql_literal(str(path))}, delim='$', quote='', escape='', header=false, skip=1, columns={cols}, "
        f"encoding='utf-8', auto_detect=false, store_rejects=true, rejects_table='{rj}', "
        f"rejects_scan='{rj}_scan', max_line_size=10000000{', strict_mode=false' if lenient else ''})"
    )


def _run_csv(
    con: duckdb.DuckDBPyConnection,
    run: Callable[[str], object],
    table: str,
    path: Path,
    names: list[str],
    origin: str,
    name: str,
) -> object:
    """``run(source)`` with the strict reader, then (damaged bytes) the lenient one; errors named."""
    try:
        try:
            return run(_csv_source(table, path, names, lenient=False))
        except duckdb.InvalidInputException:
            # DuckDB's strict CSV state machine gives up on some damaged bytes (stray CRs, control
            # characters); read such a file leniently, every line that does not fit is still a reject
            return run(_csv_source(table, path, names, lenient=True))
    except duckdb.IOException:
        raise
    except duckdb.Error as exc:
        raise FaersError(
            f"{origin}: {name} cannot be read as a $-separated table "
            f"({str(exc).splitlines()[0][:160]}); nothing was ingested"
        ) from None


def _field_rejects(
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], name: str
) -> list[Reject]:
    """The lines DuckDB could not load (wrong number of fields), from ``rj_<table>``, which is dropped."""
    rj = f"rj_{table}"
    out = []
    for line, etype, raw in con.execute(
        f"SELECT line, min(error_type), any_value(csv_line) FROM {rj} GROUP BY line ORDER BY line"
    ).fetchall():
        want = len(names)
        raw = (raw or "").lstrip("\r\n")
        got = raw.count("$") + 1
        out.append(
            Reject(
                name,
                int(line),
                "fields",
                f"{etype.lower()}: {got} fields, expected {want}; row not loaded",
                raw,
            )
        )
    con.execute(f"DROP TABLE IF EXISTS {rj}; DROP TABLE IF EXISTS {rj}_scan")
    return out


_KEY_TYPES = {"primaryid": "BIGINT", "caseid": "BIGINT"}


def _checks(table: str, names: list[str], is_legacy: bool) -> list[tuple[str, str, bool]]:
    """(raw column, SQL condition on the raw text that is true for a bad value, row kept?)."""
    key_src = "isr" if is_legacy else "primaryid"
    checks: list[tuple[str, str, bool]] = [
        (key_src, f"TRY_CAST(trim({sql_identifier(key_src)}) AS BIGINT) IS NULL", False),
    ]
    if table == "demo":
        case_src = "case" if is_legacy else "caseid"
        if case_src in names:
            checks.append(
                (case_src, f"TRY_CAST(trim({sql_identifier(case_src)}) AS BIGINT) IS NULL", False)
            )
    for col in layout.DATE_COLUMNS.get(table, ()):
        if col in names:
            c = sql_identifier(col)
            checks.append(
                (
                    col,
                    f"{c} IS NOT NULL AND NOT regexp_matches(trim({c}), '{layout.DATE_PATTERN}')",
                    True,
                )
            )
    return checks


def _select(table: str, names: list[str], is_legacy: bool) -> str:
    """Canonical columns first (mapped from legacy names where needed, keys as integers), then the
    rest as read."""
    renames = layout.LEGACY_RENAMES[table] if is_legacy else {}
    select = []
    present = set(names)
    for col in layout.CANONICAL[table]:
        src = next(
            (s for s, d in renames.items() if d == col and s in present),
            col if col in present else None,
        )
        if col in _KEY_TYPES:
            if src is None and col == "caseid" and table != "demo":
                select.append("CAST(NULL AS BIGINT) AS caseid")
            elif src is None:
                select.append(f"CAST(NULL AS BIGINT) AS {col}")
            else:
                select.append(f"TRY_CAST(trim({sql_identifier(src)}) AS BIGINT) AS {col}")
        elif src is None:
            select.append(f"CAST(NULL AS VARCHAR) AS {col}")
        else:
            select.append(f"{sql_identifier(src)} AS {col}")
    for n in names:
        if n not in layout.CANONICAL[table] and n != "_extra" and not n.startswith("_col"):
            select.append(sql_identifier(n))
    return ", ".join(select)


def _table_names(
    table: str, path: Path, name: str, rejects: list[Reject] | None
) -> list[str] | None:
    """The header's column names, or None (noted in ``rejects`` when given) when it is not the table's."""
    header = read_header(path)
    names = layout.header_names(header)
    problem = _header_problem(table, header, names)
    if problem is not None:
        if rejects is not None:
            rejects.append(
                Reject(
                    name, 1, "header", f"{problem}; file not loaded", header.rstrip("\r\n")[:2000]
                )
            )
        return None
    return names


Write = Callable[[duckdb.DuckDBPyConnection, str, Path], int]
"""The Parquet writer's signature (:func:`write_parquet`)."""


def write_clean_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    origin: str,
    name: str,
    quarter: str,
    out: Path,
    write: Write,
) -> tuple[int, list[Reject]] | None:
    """One pass for a table of the current layout: parse and write ``out`` in one COPY (no table in
    memory), then check keys and dates on the columns written, which hold them as read (keys cast to
    integers, NULL when not). Returns (rows written, lines with a wrong number of fields), or None
    -- ``out`` removed, nothing noted -- when the header is not the table's or any row fails a check:
    :func:`load_table` then reads the file again and lists each such line."""
    names = _table_names(table, path, name, None)
    if names is None:
        return None
    select = _select(table, names, is_legacy=False)

    def run(source: str) -> int:
        return write(con, f"SELECT {select}, {sql_literal(quarter)} AS quarter FROM {source}", out)

    n = int(_run_csv(con, run, table, path, names, origin, name))  # type: ignore[arg-type]
    fields = _field_rejects(con, table, names, name)
    conds = []
    for col, cond, _ in _checks(table, names, is_legacy=False):
        conds.append(f"{col} IS NULL" if col in _KEY_TYPES else cond)
    bad = con.execute(
        f"SELECT count(*) FROM read_parquet({sql_literal(str(out))}) "
        f"WHERE {' OR '.join(f'coalesce({c}, false)' for c in conds)}"
    ).fetchall()[0][0]
    if bad:
        out.unlink()
        return None
    return n, fields


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    origin: str,
    name: str,
    is_legacy: bool,
    rejects: list[Reject],
) -> str | None:
    """Parse one table file into the DuckDB table ``raw_<table>`` and return the query of its rows to
    write (bad keys left out, each bad key or date listed with its line); None when the file is not
    that table."""
    names = _table_names(table, path, name, rejects)
    if names is None:
        return None
    _run_csv(
        con,
        lambda source: con.execute(
            f"CREATE OR REPLACE TABLE raw_{table} AS SELECT * FROM {source}"
        ),
        table,
        path,
        names,
        origin,
        name,
    )
    rejects += _field_rejects(con, table, names, name)
    checks = _checks(table, names, is_legacy)
    raw_concat = " || '$' || ".join(f"coalesce({sql_identifier(n)}, '')" for n in names)
    flagged: list[tuple[str, str, bool]] = []
    hits = con.execute(
        f"SELECT {raw_concat}, {', '.join(f'coalesce({c}, false)' for _, c, _ in checks)} FROM raw_{table} "
        f"WHERE {' OR '.join(f'({c})' for _, c, _ in checks)}"
    ).fetchall()
    for raw, *flags in hits:
        for (col, _, kept), hit in zip(checks, flags):
            if hit:
                flagged.append((col, raw, kept))
    bad_rows = " OR ".join(f"({cond})" for _, cond, kept in checks if not kept)
    if flagged:
        lines = _find_lines(path, [r for _, r, _ in flagged])
        for col, raw, kept in flagged:
            hits = lines.get(raw) or [None]
            n = hits.pop(0) if len(hits) > 1 else hits[0]
            value = (
                raw.split("$")[names.index(col)] if names.index(col) < len(raw.split("$")) else ""
            )
            what = "bad date (YYYY, YYYYMM or YYYYMMDD)" if kept else "not an integer"
            action = "row kept, date treated as unknown" if kept else "row not loaded"
            rejects.append(Reject(name, n, col, f"{col} {value!r}: {what}; {action}", raw, kept))
    where = f"WHERE NOT coalesce({bad_rows}, false)" if bad_rows else ""
    return f"SELECT {_select(table, names, is_legacy)} FROM raw_{table} {where}"


def write_parquet(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> int:
    """COPY a query to a zstd Parquet file (the single write step of every table); rows written."""
    return int(
        con.execute(
            f"COPY ({query}) TO {sql_literal(str(out))} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()[0]
    )


def read_deleted(path: Path, name: str, rejects: list[Reject]) -> list[int]:
    ids = []
    text = path.read_bytes().decode("latin-1")
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip().rstrip("$").strip()
        if not s:
            continue
        if s.isdigit():
            ids.append(int(s))
        else:
            rejects.append(
                Reject(name, n, "caseid", f"{s!r} is not a case id; line not loaded", line)
            )
    return ids
