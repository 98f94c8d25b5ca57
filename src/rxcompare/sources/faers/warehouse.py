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

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rxcompare import settings
from rxcompare.errors import FaersError
from rxcompare.sources.faers import dedup, store
from rxcompare.sources.faers.dedup import (
    DERIVED,
    DedupReport,
    _report,
    dedupe_cases,
    live_sql,
)
from rxcompare.sources.faers.ingest import IngestResult, ingest_quarter
from rxcompare.sources.faers.normalise import Synonyms, load_synonyms


@dataclass(frozen=True)
class QuarterStatus:
    """One ingested quarter as its manifest records it, and what is damaged on disk."""

    quarter: str
    layout: str
    source: str
    sha256: str
    reports: int  # distinct primaryids of DEMO (a line the file repeats counts once)
    rows: tuple[tuple[str, int], ...]
    rejects: int
    flagged: int
    deleted: int
    ingested_at: str
    missing: tuple[str, ...] = ()  # tables ingested as missing (--allow-missing)
    damaged: tuple[str, ...] = ()  # what on disk differs from what was written


@dataclass(frozen=True)
class WarehouseStatus:
    """What a warehouse holds: quarters, reports before and after deduplication, rejects, damage."""

    path: str
    quarters: tuple[QuarterStatus, ...]
    dedup: DedupReport | None
    stale: bool  # the derived tables were built from other quarters than those held
    damaged: tuple[str, ...] = ()  # what is wrong with the derived tables (dedup.json, case files)
    recovered: tuple[
        str, ...
    ] = ()  # what recovery did on this look (an interrupted commit finished)
    updates: tuple[str, ...] = ()  # quarters added as update layers since the last full build

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

    @property
    def needs_dedup(self) -> bool:
        """The case tables must be rebuilt (`faers dedup`) before they are read."""
        return bool(self.quarters) and (self.stale or bool(self.damaged) or self.dedup is None)


def _quarter_status(q: str, manifest: dict | None, problems: list[str]) -> QuarterStatus:
    if manifest is None:
        return QuarterStatus(q, "?", "?", "", 0, (), 0, 0, 0, "?", (), tuple(problems))
    m = manifest
    return QuarterStatus(
        quarter=q,
        layout=m["layout"],
        source=m["source"],
        sha256=m["sha256"],
        reports=m.get("reports", m["rows"].get("demo", 0)),
        rows=tuple(m["rows"].items()),
        rejects=m["rejects"],
        flagged=m.get("flagged", 0),
        deleted=m.get("deleted", 0),
        ingested_at=m["ingested_at"],
        missing=tuple(m.get("missing_tables", ())),
        damaged=tuple(problems),
    )


class Warehouse:
    """A FAERS warehouse folder. ``Warehouse()`` uses the configured location."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(settings.WAREHOUSE.get(path) or "")

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    def ingest(
        self,
        source: str | os.PathLike[str],
        strict: bool = False,
        progress=None,
        synonyms: Synonyms | None = None,
        rebuild: bool = True,
        allow_missing: bool = False,
        max_member_mb: float | None = None,
        max_ratio: float | None = None,
    ) -> IngestResult:
        """Ingest one quarter; see :func:`ingest_quarter`."""
        return ingest_quarter(
            source,
            self.path,
            strict=strict,
            progress=progress,
            synonyms=synonyms,
            rebuild=rebuild,
            allow_missing=allow_missing,
            max_member_mb=max_member_mb,
            max_ratio=max_ratio,
        )

    def ingest_many(
        self,
        sources: Sequence[str | os.PathLike[str]],
        strict: bool = False,
        progress=None,
        synonyms: Synonyms | None = None,
        allow_missing: bool = False,
    ) -> tuple[IngestResult, ...]:
        """Ingest several quarters, choosing how their case tables are built.

        While the case tables are current and there is room for an update layer per quarter (up
        to :data:`~rxcompare.sources.faers.dedup.MAX_UPDATES` layers, each costing about a
        one-quarter build), each quarter is added as a layer; else every quarter is ingested and
        the case tables are rebuilt once at the end (one build, not one per quarter). When a
        quarter fails, the quarters ingested before it still get their case tables, and the error
        is raised. ``progress(step, done, total)`` is told of the final deduplication too.
        """
        synonyms = load_synonyms(None) if synonyms is None else synonyms
        st = self.status()
        room = (
            dedup.MAX_UPDATES - len(st.updates)
            if st.dedup is not None and not st.needs_dedup
            else 0
        )
        batch = len(sources) > max(room, 1)
        results: list[IngestResult] = []
        try:
            for source in sources:
                results.append(
                    self.ingest(
                        source,
                        strict=strict,
                        progress=progress,
                        synonyms=synonyms,
                        rebuild=not batch,
                        allow_missing=allow_missing,
                    )
                )
        finally:  # the quarters ingested before an error get their case tables too
            if (batch and any(not r.skipped for r in results)) or self.status().needs_dedup:
                if progress is not None:
                    progress("deduplicating", 0, None)
                self.dedupe(synonyms)
        return tuple(results)

    def dedupe(self, synonyms: Synonyms | None = None) -> DedupReport:
        """Rebuild the derived case tables; see :func:`dedupe_cases`."""
        return dedupe_cases(self.path, synonyms)

    def status(self) -> WarehouseStatus:
        """Quarters held, reports before and after deduplication, rejects, and what is damaged or
        stale (manifests, Parquet footers and sizes are checked against what was written).

        When no writer is at work, an interrupted commit is completed first (see :mod:`.store`)."""
        recovered: list[str] = []
        if self.path.is_dir() and os.access(self.path, os.W_OK):
            try:
                with store.writer_lock(self.path, wait=False) as done:
                    recovered = done or []
            except store.JournalRefusedError:
                raise  # a journal naming paths outside: never read past it as if nothing were pending
            except FaersError:
                pass  # an unwritable warehouse is still read as it is
        quarters = tuple(
            _quarter_status(q, m, p) for q, (m, p) in store.held_quarters(self.path).items()
        )
        doc, problems = store.read_dedup(self.path)
        report = _report(doc) if doc is not None else None
        stale = False
        if report is not None:
            stale = doc["quarters"] != {q.quarter: q.sha256 for q in quarters}
        updates = tuple(u.get("quarter", "?") for u in (doc or {}).get("updates", []))
        return WarehouseStatus(
            str(self.path), quarters, report, stale, tuple(problems), tuple(recovered), updates
        )

    def connect(self, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``cases``, ``case_drugs``, ``case_reactions``,
        ``case_indications``, ``case_therapies`` over the derived Parquet files.

        Raises :class:`FaersError` when they are missing, damaged or stale (built from other quarters
        than those held)."""
        require_current(self.path)
        con = duckdb.connect(database)
        layers = store.local_layers(self.path)
        for name in DERIVED:
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS {live_sql(str(self.path), layers, name)}"
            )
        return con


def require_current(root: str | os.PathLike[str]) -> None:
    """Raise :class:`FaersError` unless the derived case tables are there, whole and current."""
    root = Path(os.fspath(root))
    if not store.quarter_dirs(root):
        raise FaersError(
            f"warehouse {root} has no quarters and no case tables; ingest quarters with "
            "`rxcompare faers ingest PATH`"
        )
    store.require_current(root)


__all__ = ["QuarterStatus", "Warehouse", "WarehouseStatus", "require_current"]
