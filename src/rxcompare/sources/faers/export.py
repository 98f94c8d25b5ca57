"""The warehouse for outside tools: its live case tables as plain Parquet, dates as DATE.

Reading the warehouse's own Parquet files directly gives wrong counts once a quarter has been
added as an update layer (each layer holds the rows it brought, and a later layer retires a case's
earlier rows: only :meth:`~rxcompare.sources.faers.warehouse.Warehouse.connect` knows which rows are
live). :func:`export_warehouse` writes what ``connect()`` reads -- one plain Parquet file per case
table (``cases``, ``case_drugs``, ``case_reactions``, ``case_indications``, ``case_therapies``) -- so
DuckDB, pandas, Polars or Spark count the same cases as rxcompare.

**Dates.** FAERS dates are ``YYYYMMDD`` text, often cut to ``YYYYMM`` or ``YYYY``. Each date column
``X`` (``fda_dt``, ``init_fda_dt``, ``event_dt``; ``start_dt``, ``end_dt``) becomes three:

- ``X``: a DATE, only where the text is a whole, valid calendar day (never a made-up day: a
  ``YYYYMM`` date is NULL here);
- ``X_text``: the text as FDA wrote it;
- ``X_precision``: ``day``, ``month`` (``YYYYMM``), ``year`` (``YYYY``), ``invalid`` (anything
  else, such as ``20230231``) or NULL (no date).

Beside the tables, ``export.json`` records the warehouse, its quarters, the deduplication rule, the
rows of each table and this layout. The folder is written whole or not at all: into a temporary
folder beside it, then renamed; an existing non-empty folder is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rxcompare.errors import FaersError
from rxcompare.models import envelope

__all__ = ["DATE_COLUMNS", "EXPORT_TABLES", "ExportResult", "export_warehouse"]

EXPORT_TABLES = ("cases", "case_drugs", "case_reactions", "case_indications", "case_therapies")
DATE_COLUMNS = {
    "cases": ("fda_dt", "init_fda_dt", "event_dt"),
    "case_therapies": ("start_dt", "end_dt"),
}


@dataclass(frozen=True)
class ExportResult:
    """Where the export went and how many rows each table holds."""

    path: str
    rows: tuple[tuple[str, int], ...]
    quarters: tuple[str, ...]


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _date_columns(col: str) -> str:
    """SELECT items for one FAERS date text column: the DATE, the text, the precision."""
    t = f"trim(CAST({col} AS VARCHAR))"
    day = f"try_strptime({t}, '%Y%m%d')"
    month = f"try_strptime({t} || '01', '%Y%m%d')"
    year = f"try_strptime({t} || '0101', '%Y%m%d')"
    return (
        f"CASE WHEN regexp_full_match({t}, '[0-9]{{8}}') THEN CAST({day} AS DATE) END AS {col}, "
        f"{col} AS {col}_text, "
        f"CASE WHEN {t} IS NULL OR {t} = '' THEN NULL "
        f"WHEN regexp_full_match({t}, '[0-9]{{8}}') AND {day} IS NOT NULL THEN 'day' "
        f"WHEN regexp_full_match({t}, '[0-9]{{6}}') AND {month} IS NOT NULL THEN 'month' "
        f"WHEN regexp_full_match({t}, '[0-9]{{4}}') AND {year} IS NOT NULL THEN 'year' "
        f"ELSE 'invalid' END AS {col}_precision"
    )


def _select(con, name: str) -> str:
    """SELECT of the live view ``name``, its date columns split as the module doc says, in the
    view's column order."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
    dates = DATE_COLUMNS.get(name, ())
    items = [_date_columns(c) if c in dates else f'"{c}"' for c in cols]
    return f"SELECT {', '.join(items)} FROM {name}"


def export_warehouse(
    warehouse: str | os.PathLike[str],
    out: str | os.PathLike[str],
    progress: Callable[[str, int, int | None], None] | None = None,
) -> ExportResult:
    """Write the live rows of the warehouse's case tables to ``out`` as plain Parquet (see the
    module doc). Raises :class:`FaersError` when the warehouse is not current (as ``connect()``
    does) or ``out`` is a file or a non-empty folder. The tables are read in one state of the
    warehouse: when an ingest or a dedup commits meanwhile, the export is made again
    (:func:`~rxcompare.sources.faers.store.read_consistently`)."""
    from rxcompare.sources.faers import store
    from rxcompare.sources.faers.warehouse import Warehouse

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FaersError(
            f"export folder {out} exists and is not empty; give a new folder with --out"
        )
    wh = Warehouse(warehouse)
    out.parent.mkdir(parents=True, exist_ok=True)

    def read() -> tuple[Path, dict[str, int], tuple[str, ...]]:
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
        try:
            return (tmp, *_export_into(wh, warehouse, tmp, progress))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    tmp, rows, quarters = store.read_consistently(
        wh.path, read, discard=lambda got: shutil.rmtree(got[0], ignore_errors=True)
    )
    try:
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(str(out), tuple(rows.items()), quarters)


def _export_into(
    wh, warehouse, tmp: Path, progress: Callable[[str, int, int | None], None] | None
) -> tuple[dict[str, int], tuple[str, ...]]:
    """The tables and export.json written into ``tmp``; the rows per table and the quarters."""
    from rxcompare.sources.faers import store

    status = wh.status()
    con = wh.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        rows: dict[str, int] = {}
        for i, name in enumerate(EXPORT_TABLES):
            if progress is not None:
                progress(f"export {name}", i, len(EXPORT_TABLES))
            target = tmp / f"{name}.parquet"
            con.execute(f"COPY ({_select(con, name)}) TO {_q(str(target))} (FORMAT parquet)")
            rows[name] = int(
                con.execute(f"SELECT count(*) FROM read_parquet({_q(str(target))})").fetchone()[0]
            )
    finally:
        con.close()
    if progress is not None:
        progress("export done", len(EXPORT_TABLES), len(EXPORT_TABLES))
    quarters = tuple(q.quarter for q in status.quarters)
    doc = envelope(
        "rxcompare/faers-export",
        exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
        warehouse=Path(os.fspath(warehouse)).name,
        quarters=list(quarters),
        update_layers_read=list(status.updates),
        deduplication=(store.read_dedup(wh.path)[0] or {}).get("rule"),
        cases_after_deduplication=status.cases_after,
        counting_unit="deduplicated case (one row of cases.parquet per case)",
        rows=rows,
        dates={t: list(c) for t, c in DATE_COLUMNS.items()},
        date_rule="X is a DATE only for a whole, valid YYYYMMDD day; X_text keeps FDA's text; "
        "X_precision is day, month, year, invalid or null",
    )
    (tmp / "export.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return rows, quarters
