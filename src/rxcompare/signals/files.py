"""Signal tables to CSV, JSON and Parquet at engine speed: column-wise, never a Python loop over cells.

The columns of a :class:`~rxcompare.models.SignalTable` become an Arrow table (zero-copy from
numpy where the dtype allows) for Parquet, pyarrow's writer; CSV and JSON are DuckDB's writers
scanning the numpy columns in place (no Arrow step: building Arrow arrays with ``pyarrow.array``
imports pandas, some 0.3 s of a command's start). What each file holds:

- **CSV**: the :data:`~rxcompare.models.COLUMNS`, then ``counting_unit`` and ``filters`` on every
  row (``quarter`` first in cumulative scoring). A float is written at full precision, as the
  shortest text that reads back to the same double (the text of Python's ``repr``); nan and
  infinite values and empty strings are empty fields; fields are quoted only where needed.
- **JSON**: the versioned envelope of :func:`signals_json` (``rxcompare/signals``; by quarter,
  ``rxcompare/signals-by-quarter`` holding one per quarter), its head written by :mod:`json` and its rows by
  DuckDB, one object per line; nan and infinite values are ``null``; every float reads back to
  the same double.
- **Parquet**: :func:`table_arrow` (nan kept), with the counting unit,
  filters, prior, rules and MGPS note as schema metadata.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from rxcompare.models import COLUMNS, FORMULA_START, SignalTable, envelope, json_value, prior_dict
from rxcompare.signals.score import LISTED_NOTE, MDRR_NOTE
from rxcompare.sources.faers.sql import sql_identifier, sql_literal

__all__ = [
    "FORMATS",
    "arrow_columns",
    "numpy_columns",
    "quarters_arrow",
    "signals_head",
    "signals_json",
    "source_of",
    "table_arrow",
    "write_signals",
]

FORMATS = ("csv", "json", "parquet")
SIGNALS_VERSION = 2
"""Version of ``rxcompare/signals`` and ``rxcompare/signals-by-quarter`` (2: ``source`` is a record,
the ``mdrr``, ``listed`` and ``listed_where`` columns with their notes)."""


def arrow_columns(table: SignalTable, quarter: str | None = None, described: bool = False):
    """The table's columns as a pyarrow Table: ``quarter`` first when given, and with
    ``described`` the ``counting_unit`` and ``filters`` columns of the CSV last."""
    import numpy as np
    import pyarrow as pa

    def constant(value: str):  # one dictionary entry, not one string per row
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(len(table), dtype=np.int8)), pa.array([value])
        )

    arrays, names = [], []
    if quarter is not None:
        arrays.append(constant(quarter))
        names.append("quarter")
    for k in COLUMNS:
        col = table.columns[k]
        arrays.append(pa.array(col, pa.string()) if col.dtype == object else pa.array(col))
        names.append(k)
    if described:
        arrays += [
            constant(table.counting_unit),
            constant("; ".join(f"{k}={v}" for k, v in table.filters)),
        ]
        names += ["counting_unit", "filters"]
    return pa.table(arrays, names=names)


def numpy_columns(table: SignalTable, quarter: str | None = None, described: bool = False) -> dict:
    """The columns of :func:`arrow_columns` as numpy arrays (the table's own, not copied; the
    constant columns as object arrays of one string), in the same order."""
    import numpy as np

    n = len(table)
    cols = {} if quarter is None else {"quarter": np.full(n, quarter, dtype=object)}
    cols.update((k, table.columns[k]) for k in COLUMNS)
    if described:
        cols["counting_unit"] = np.full(n, table.counting_unit, dtype=object)
        cols["filters"] = np.full(n, "; ".join(f"{k}={v}" for k, v in table.filters), dtype=object)
    return cols


def _concat(parts: Sequence[dict]) -> dict:
    import numpy as np

    return (
        {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if len(parts) > 1 else parts[0]
    )


def _select(columns: dict, json_out: bool) -> str:
    """SELECT of the registered table ``t``: non-finite floats as NULL; for CSV, empty strings as
    NULL too (written as empty fields, as Python's csv module writes them)."""
    cols = []
    for name, values in columns.items():
        q = sql_identifier(name)
        if values.dtype.kind == "f":
            cols.append(f"CASE WHEN isfinite({q}) THEN {q} END AS {q}")
        elif not json_out and values.dtype.kind in "OUS":  # a formula-like name shown, never run
            starts = ", ".join(sql_literal(c) for c in FORMULA_START)
            cols.append(
                f"CASE WHEN left({q}, 1) IN ({starts}) THEN '''' || {q} ELSE NULLIF({q}, '') END AS {q}"
            )
        else:
            cols.append(q)
    return f"SELECT {', '.join(cols)} FROM t"


def _copy(columns: dict, path: Path, fmt: str) -> None:
    """DuckDB's CSV (with header) or JSON-array writer over numpy ``columns``, in row order."""
    import duckdb

    con = duckdb.connect()
    try:
        # one writer thread: with more, DuckDB buffers out-of-order chunks to keep the row order
        # (some 600 MB at 1.2M pairs) for little gain; no progress bar on the terminal
        con.execute("SET threads = 1")
        con.execute("SET enable_progress_bar = false")
        con.register("t", columns)
        options = "HEADER" if fmt == "csv" else "FORMAT json, ARRAY true"
        query = _select(columns, fmt == "json")
        con.execute(f"COPY ({query}) TO {sql_literal(str(path))} ({options})")
    finally:
        con.close()


def source_of(table: SignalTable) -> dict[str, Any]:
    """The envelope's ``source``: system, quarters or snapshot, counting unit, roles, indication,
    window, and the engine's description."""
    return (
        {**table.origin, "description": table.source}
        if table.origin
        else {
            "system": table.source,
            "counting_unit": table.counting_unit,
            "description": table.source,
        }
    )


def signals_head(table: SignalTable) -> dict[str, Any]:
    """The ``rxcompare/signals`` envelope (version 2) of a table without its rows: source, counting
    unit, filters, level, thresholds, prior, MGPS note, and what the ``mdrr`` and ``listed`` columns
    mean."""
    return envelope(
        "rxcompare/signals",
        SIGNALS_VERSION,
        source=source_of(table),
        counting_unit=table.counting_unit,
        n_reports=table.n_reports,
        excluded_rows=table.excluded_rows,
        comparator=table.comparator,
        filters=dict(table.filters),
        level=table.level,
        thresholds=table.rules,
        prior=prior_dict(table.prior),
        mgps_note=table.mgps_note,
        mdrr=MDRR_NOTE,
        listed=LISTED_NOTE,
    )


def signals_json(table: SignalTable) -> dict[str, Any]:
    """The versioned JSON envelope as Python values: :func:`signals_head` and the rows at full
    precision (nan and infinite values as None)."""
    return {**signals_head(table), "rows": json_value(table.rows())}


def _head_text(doc: dict[str, Any], last: str) -> str:
    """The JSON text of ``doc`` up to its ``last`` key's value (streamed after it)."""
    text = json.dumps({**doc, last: None}, indent=1, allow_nan=False)
    return text[: text.rindex("null")]


def table_arrow(table: SignalTable):
    """A pyarrow Table of the columns, with the counting unit, filters, prior, rules and MGPS note
    as schema metadata (nan kept)."""
    meta = {
        "counting_unit": table.counting_unit,
        "source": table.source,
        "n_reports": str(table.n_reports),
        "filters": json.dumps(dict(table.filters)),
        "prior": json.dumps(prior_dict(table.prior)),
        "rules": json.dumps(table.rules),
        "mgps_note": table.mgps_note,
        "origin": json.dumps(source_of(table)),
        "mdrr": json.dumps(MDRR_NOTE),
        "listed": LISTED_NOTE,
    }
    return arrow_columns(table).replace_schema_metadata(meta)


def quarters_arrow(results: Sequence[tuple[str, SignalTable]]):
    """One pyarrow Table of every quarter's rows, with a leading ``quarter`` column."""
    import pyarrow as pa

    parts = []
    for quarter, table in results:
        t = table_arrow(table)
        parts.append(t.add_column(0, "quarter", pa.array([quarter] * t.num_rows, pa.string())))
    return pa.concat_tables(parts) if parts else None


def _write_json(results: Sequence[tuple[str | None, SignalTable]], sink: TextIO, tmp: Path) -> None:
    by_quarter = results and results[0][0] is not None
    if by_quarter:
        sink.write(
            _head_text(envelope("rxcompare/signals-by-quarter", SIGNALS_VERSION), "quarters")
            + "[\n"
        )
    for i, (quarter, table) in enumerate(results):
        head = _head_text(signals_head(table), "rows")
        if quarter is not None:
            head = '{\n "quarter": ' + json.dumps(quarter) + "," + head[1:]
        sink.write(head)
        part = tmp / f"rows{i}.json"
        _copy(numpy_columns(table), part, "json")
        with part.open(encoding="utf-8") as fh:
            shutil.copyfileobj(fh, sink, 1 << 20)
        part.unlink()
        sink.write("}" if quarter is None else ("},\n" if i + 1 < len(results) else "}\n"))
    if by_quarter:
        sink.write("]\n}")
    sink.write("\n")


def write_signals(
    results: Sequence[tuple[str | None, SignalTable]], fmt: str, sink: Path | TextIO
) -> int:
    """Write scored tables as ``fmt`` (:data:`FORMATS`) to a file path or a text stream; returns
    the number of rows written. ``results`` is ``[(None, table)]`` for one table, or
    ``[(quarter, table), ...]`` for cumulative scoring by quarter (a ``quarter`` column in CSV and
    Parquet, the ``rxcompare/signals-by-quarter`` envelope in JSON). Parquet needs a path."""
    rows = sum(len(t) for _, t in results)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if not isinstance(sink, Path):
            raise TypeError("Parquet is written to a file path, not a text stream")
        if results:
            arrow = table_arrow(results[0][1]) if results[0][0] is None else quarters_arrow(results)
            pq.write_table(arrow, sink)
        return rows
    with tempfile.TemporaryDirectory(prefix="rxcompare-") as tmp_dir:
        tmp = Path(tmp_dir)
        if fmt == "csv":
            target = sink if isinstance(sink, Path) else tmp / "out.csv"
            parts = [numpy_columns(t, q, described=True) for q, t in results]
            columns = _concat(parts) if parts else None
            if columns is not None:
                _copy(columns, target, "csv")
            if not isinstance(sink, Path) and columns is not None:
                with target.open(encoding="utf-8") as fh:
                    shutil.copyfileobj(fh, sink, 1 << 20)
            return rows
        if fmt != "json":
            raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        if isinstance(sink, Path):
            with sink.open("w", encoding="utf-8") as fh:
                _write_json(results, fh, tmp)
        else:
            _write_json(results, sink, tmp)
    return rows
