"""The FAERS warehouse: Parquet files per quarter plus the deduplicated case tables, read with DuckDB.

Layout (the contract other parts build on)::

    <warehouse>/quarters/<yyyyqN>/{demo,drug,reac,outc,indi,ther,rpsr}.parquet, deleted.parquet,
                                  manifest.json
    <warehouse>/rejects/<yyyyqN>.csv
    <warehouse>/{cases,case_drugs,case_reactions,case_indications,case_therapies}.parquet, dedup.json

The location is ``--warehouse DIR``, else ``RXCOMPARE_WAREHOUSE``, else the user data directory
(:data:`rxcompare.settings.WAREHOUSE`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rxcompare import settings
from rxcompare.errors import FaersError
from rxcompare.sources.faers.dedup import (
    DERIVED,
    DedupReport,
    dedupe_cases,
    quarter_dirs,
    read_report,
)
from rxcompare.sources.faers.ingest import IngestResult, ingest_quarter
from rxcompare.sources.faers.normalise import Synonyms, load_synonyms, normalise_drug_name


@contextlib.contextmanager
def warehouse_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the warehouse while it is written (one writer at a time)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass(frozen=True)
class QuarterStatus:
    """One ingested quarter as its manifest records it."""

    quarter: str
    layout: str
    source: str
    sha256: str
    reports: int  # DEMO rows as read
    rows: tuple[tuple[str, int], ...]
    rejects: int
    flagged: int
    deleted: int
    ingested_at: str


@dataclass(frozen=True)
class WarehouseStatus:
    """What a warehouse holds: quarters, reports before and after deduplication, rejects."""

    path: str
    quarters: tuple[QuarterStatus, ...]
    dedup: DedupReport | None
    stale: bool  # the derived tables were built from other quarters than those held

    @property
    def reports_before(self) -> int:
        return sum(q.reports for q in self.quarters)

    @property
    def cases_after(self) -> int | None:
        return self.dedup.after if self.dedup else None

    @property
    def rejects(self) -> int:
        return sum(q.rejects for q in self.quarters)

    @property
    def flagged(self) -> int:
        return sum(q.flagged for q in self.quarters)


class Warehouse:
    """A FAERS warehouse folder. ``Warehouse()`` uses the configured location."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(settings.WAREHOUSE.get(path) or "")

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    def ingest(self, source: str | os.PathLike[str], strict: bool = False, progress=None,
               synonyms: Synonyms | None = None, rebuild: bool = True) -> IngestResult:
        """Ingest one quarter; see :func:`ingest_quarter`."""
        return ingest_quarter(source, self.path, strict=strict, progress=progress, synonyms=synonyms,
                              rebuild=rebuild)

    def dedupe(self, synonyms: Synonyms | None = None) -> DedupReport:
        """Rebuild the derived case tables; see :func:`dedupe_cases`."""
        return dedupe_cases(self.path, synonyms)

    def status(self) -> WarehouseStatus:
        """Quarters held, reports before and after deduplication, rejects (reads manifests only)."""
        quarters = []
        for q, d in quarter_dirs(self.path).items():
            m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
            quarters.append(QuarterStatus(
                quarter=q, layout=m["layout"], source=m["source"], sha256=m["sha256"],
                reports=m["rows"].get("demo", 0), rows=tuple(m["rows"].items()), rejects=m["rejects"],
                flagged=m.get("flagged", 0), deleted=m.get("deleted", 0), ingested_at=m["ingested_at"],
            ))
        report = read_report(self.path)
        stale = False
        if report is not None or quarters:
            built = json.loads((self.path / "dedup.json").read_text(encoding="utf-8"))["quarters"] \
                if report is not None else {}
            stale = built != {q.quarter: q.sha256 for q in quarters}
        return WarehouseStatus(str(self.path), tuple(quarters), report, stale)

    def connect(self, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``cases``, ``case_drugs``, ``case_reactions``,
        ``case_indications``, ``case_therapies`` over the derived Parquet files."""
        missing = [n for n in DERIVED if not (self.path / f"{n}.parquet").exists()]
        if missing:
            raise FaersError(
                f"warehouse {self.path} has no {', '.join(missing)} table; ingest quarters with "
                "`rxcompare faers ingest PATH` (or run `rxcompare faers dedup` after ingesting with --no-dedup)"
            )
        con = duckdb.connect(database)
        for name in DERIVED:
            path = str(self.path / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        return con


__all__ = [
    "QuarterStatus",
    "Warehouse",
    "WarehouseStatus",
    "dedupe_cases",
    "ingest_quarter",
    "load_synonyms",
    "normalise_drug_name",
    "warehouse_lock",
]
