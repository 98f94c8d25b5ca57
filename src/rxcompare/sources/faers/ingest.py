"""Ingest one FAERS / LAERS quarter (zip or extracted folder) into the warehouse, atomically.

Steps: find the quarter's table files and copy them to a staging folder as UTF-8 within the size caps
(:mod:`.sourcefiles`), parse each table with DuckDB's CSV reader and write it as Parquet, keeping every
line that cannot be loaded in the rejects list with file, line, field and raw text (:mod:`.tables`),
write ``deleted.parquet`` and ``manifest.json``, add the staged quarter to the derived case tables
(:mod:`.dedup`: an update layer over current tables, else a rebuild from every quarter), and only
then move everything into place. An error anywhere leaves the warehouse as it was; the same file
twice is a no-op.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from rxcompare.errors import FaersError
from rxcompare.models import csv_cell
from rxcompare.sources.faers import dedup, layout, store
from rxcompare.sources.faers.normalise import Synonyms
from rxcompare.sources.faers.sourcefiles import (
    Reject,
    Source,
    open_folder,
    open_zip,
    stage_text,
)
from rxcompare.sources.faers.sql import sql_literal
from rxcompare.sources.faers.tables import (
    load_table,
    read_deleted,
    read_header,
    write_clean_table,
    write_parquet,
)

__all__ = ["IngestResult", "Progress", "ingest_quarter"]

Progress = Callable[[str, int, "int | None"], None]
"""A progress callback: ``progress(step, done, total)``; ``total`` is None when unknown."""

# The steps tests replace (a full disk, a failed write) are looked up here at call time.
_stage_text = stage_text
_write_parquet = write_parquet


@dataclass(frozen=True)
class IngestResult:
    """What one ingestion did: the quarter, its rows per table and what was rejected."""

    quarter: str
    layout: str  # "faers" or "laers"
    source: str
    sha256: str
    skipped: bool  # the same file was already ingested: nothing changed
    rows: tuple[tuple[str, int], ...] = ()
    rejects: int = 0  # lines not loaded
    flagged: int = 0  # lines loaded with a flag (bad date, Latin-1 bytes)
    deleted: int = 0
    missing: tuple[str, ...] = ()
    reasons: tuple[tuple[str, int], ...] = field(default=())


# --- the quarter ---------------------------------------------------------------------------------


def _unreadable(
    src: Source, table: str, reason: str, allow_missing: bool, missing: dict[str, str]
) -> None:
    """A table file that cannot be read: the quarter is refused, or (``allow_missing``) the table is
    recorded as missing."""
    if table == "demo" or not allow_missing:
        extra = (
            ""
            if table == "demo"
            else (
                ", or pass --allow-missing to ingest the quarter without it (recorded as missing)"
            )
        )
        raise FaersError(
            f"{src.origin}: {src.names.get(table, table.upper())} cannot be read as the "
            f"{table.upper()} table ({reason}); nothing was ingested. Fix or replace the file"
            f"{extra}"
        )
    missing[table] = reason


def _stage_quarter(
    src: Source,
    qdir: Path,
    strict: bool,
    progress: Progress | None,
    allow_missing: bool = False,
    origin: dict | None = None,
) -> tuple[dict, list[Reject]]:
    rejects: list[Reject] = []
    missing: dict[str, str] = {}
    if "demo" not in src.files:
        raise FaersError(
            f"{src.origin}: no DEMO table file; a quarter cannot be read without it, "
            "nothing was ingested"
        )
    absent = [t for t in layout.TABLES if t not in src.files]
    if absent and not allow_missing:
        raise FaersError(
            f"{src.origin}: no {', '.join(t.upper() for t in absent)} table file (a FAERS quarter has all "
            "seven); nothing was ingested. Use the complete zip, or pass --allow-missing to ingest it "
            "without them (recorded as missing)"
        )
    missing.update({t: "no table file" for t in absent})
    # Row order inside a Parquet file carries no meaning here; letting DuckDB write in parallel
    # makes the COPY steps about three times faster on two cores (bench/bench_ingest.py).
    con = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        con.execute(f"SET temp_directory={sql_literal(str(qdir.parent / (qdir.name + '.spill')))}")
        con.execute(
            "SET memory_limit='1500MB'; SET preserve_insertion_order=false; SET enable_progress_bar=false"
        )
        demo_header = layout.header_names(read_header(src.ready(src.files["demo"])))
        is_legacy = "isr" in demo_header and "primaryid" not in demo_header
        counts: dict[str, int] = {}
        order = ["demo"] + [t for t in layout.TABLES if t != "demo"]
        for i, table in enumerate(order):
            if progress:
                progress(f"{src.quarter} {table}", i, len(order) + 1)
            if table not in src.files:
                continue
            path, name = src.ready(src.files[table]), src.names[table]
            out = qdir / f"{table}.parquet"
            if not is_legacy:  # one pass: parse and write together, checks on what was written
                clean = write_clean_table(
                    con, table, path, src.origin, name, src.quarter, out, _write_parquet
                )
                if clean is not None:
                    n, fields = clean
                    rejects += fields
                    if n or (not fields and table != "demo"):
                        counts[table] = n
                        continue
                    out.unlink()  # no row loaded: the full read below says why
                    del rejects[len(rejects) - len(fields) :]
            query = load_table(con, table, path, src.origin, name, is_legacy, rejects)
            if query is None:
                _unreadable(
                    src,
                    table,
                    rejects[-1].reason.removesuffix("; file not loaded"),
                    allow_missing,
                    missing,
                )
                continue
            lines = con.execute(f"SELECT count(*) FROM raw_{table}").fetchone()[0] + sum(
                1 for r in rejects if r.file == name and r.field == "fields"
            )
            if is_legacy and table == "demo":
                con.execute(
                    f"CREATE TABLE demo_keys AS SELECT primaryid, any_value(caseid) AS caseid "
                    f"FROM ({query}) GROUP BY primaryid"
                )
            if is_legacy and table != "demo":
                query = (
                    f"SELECT t.* REPLACE (k.caseid AS caseid) FROM ({query}) t "
                    "LEFT JOIN demo_keys k ON t.primaryid = k.primaryid"
                )
            n = _write_parquet(
                con, f"SELECT *, {sql_literal(src.quarter)} AS quarter FROM ({query})", out
            )
            con.execute(f"DROP TABLE raw_{table}")
            if n == 0 and (lines or table == "demo"):
                out.unlink()
                why = (
                    f"none of its {lines:,} lines could be loaded"
                    if lines
                    else "it has a header and no rows"
                )
                _unreadable(src, table, why, allow_missing, missing)
                continue
            counts[table] = n
        # rows without their DEMO row, counted once here for every later deduplication
        # reports are distinct primaryids: a DEMO line FDA's file repeats is one report, not two
        reports = (
            con.execute(
                f"SELECT count(DISTINCT primaryid) FROM read_parquet("
                f"{sql_literal(str(qdir / 'demo.parquet'))})"
            ).fetchone()[0]
            if "demo" in counts
            else 0
        )
        orphans = dedup.count_orphans(
            con, {src.quarter: qdir}, f"read_parquet({sql_literal(str(qdir / 'demo.parquet'))})"
        )
        deleted: list[int] = []
        for path, name in src.deleted:
            deleted += read_deleted(src.ready(path), name, rejects)
        if src.deleted:
            con.register(
                "t_deleted", pa.table({"caseid": pa.array(sorted(set(deleted)), pa.int64())})
            )
            _write_parquet(
                con,
                f"SELECT caseid, {sql_literal(src.quarter)} AS quarter FROM t_deleted",
                qdir / "deleted.parquet",
            )
    finally:
        con.close()
        shutil.rmtree(qdir.parent / (qdir.name + ".spill"), ignore_errors=True)
    for local in list(src.pending):  # every member staged (and its flagged lines known)
        src.ready(local)
    rejects += src.flagged
    rejects.sort(key=lambda r: (r.file, r.line or 0))
    if strict and rejects:
        r = rejects[0]
        raise FaersError(
            f"FAERS file {r.file} line {r.line}, field {r.field}: {r.reason} (raw: {r.raw[:120]!r}); "
            f"{len(rejects)} such line(s) in {src.origin}. Run without --strict to keep going and list them "
            "in the rejects file"
        )
    reasons: dict[str, int] = {}
    for r in rejects:
        key = f"{r.field}: {'kept' if r.kept else 'not loaded'}"
        reasons[key] = reasons.get(key, 0) + 1
    parquet = {
        f"{t}.parquet": store.file_record(qdir / f"{t}.parquet", n) for t, n in counts.items()
    }
    if src.deleted:
        parquet["deleted.parquet"] = store.file_record(qdir / "deleted.parquet", len(set(deleted)))
    manifest = {
        "quarter": src.quarter,
        "source": src.origin,
        "sha256": src.sha256,
        "layout": "laers" if is_legacy else "faers",
        "rows": counts,
        "reports": int(reports),
        "rejects": sum(1 for r in rejects if not r.kept),
        "flagged": sum(1 for r in rejects if r.kept),
        "reasons": reasons,
        "deleted": len(set(deleted)),
        "missing_tables": [t for t in layout.TABLES if t in missing],
        "missing_reasons": {t: missing[t] for t in layout.TABLES if t in missing},
        "orphans": orphans,
        "files": src.names,
        "parquet": parquet,
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if origin is not None:  # the quarter was converted from another system's files (openfda_bulk)
        manifest["origin"] = origin
        manifest["source"] = ", ".join(origin.get("files", [])) or src.origin
    (qdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest, rejects


def _write_rejects(rejects: list[Reject], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "field", "reason", "kept", "raw"])
        for r in rejects:
            w.writerow(
                [
                    csv_cell(r.file),
                    r.line if r.line is not None else "",
                    r.field,
                    r.reason,
                    "yes" if r.kept else "no",
                    csv_cell(r.raw),
                ]
            )


def _result(manifest: dict, skipped: bool) -> IngestResult:
    return IngestResult(
        quarter=manifest["quarter"],
        layout=manifest["layout"],
        source=manifest["source"],
        sha256=manifest["sha256"],
        skipped=skipped,
        rows=tuple(manifest["rows"].items()),
        rejects=manifest["rejects"],
        flagged=manifest.get("flagged", 0),
        deleted=manifest.get("deleted", 0),
        missing=tuple(manifest.get("missing_tables", ())),
        reasons=tuple(manifest.get("reasons", {}).items()),
    )


def _open_source(
    src_path: Path, staging: Path, max_member_mb: float | None, max_ratio: float | None
) -> Source:
    if src_path.is_dir():
        return open_folder(src_path, staging, stage=_stage_text)
    if zipfile.is_zipfile(src_path):
        return open_zip(src_path, staging, max_member_mb, max_ratio, stage=_stage_text)
    raise FaersError(
        f"{src_path.name}: not a zip (the file may be truncated) and not a folder; "
        "give a faers_ascii_YYYYqN.zip or its extracted folder"
    )


def ingest_quarter(
    path: str | os.PathLike[str],
    warehouse: str | os.PathLike[str],
    strict: bool = False,
    progress: Progress | None = None,
    synonyms: Synonyms | None = None,
    rebuild: bool = True,
    allow_missing: bool = False,
    max_member_mb: float | None = None,
    max_ratio: float | None = None,
    origin: dict | None = None,
) -> IngestResult:
    """Ingest one quarter (a ``faers_ascii_YYYYqN.zip`` / ``aers_ascii_YYYYqN.zip`` or its extracted folder).

    Atomic: the quarter is staged in a temporary folder, added to the derived case tables (an
    update layer over current tables, else a rebuild from every quarter), and only then is
    everything moved into place by one commit (:mod:`.store`: a kill at any point leaves the old
    warehouse or the new one); any error leaves the warehouse as it was.
    Idempotent: a source whose sha256 equals the ingested one's is a no-op (``skipped``) unless the
    stored quarter is damaged (then it is rebuilt). A different file for the same quarter replaces it.
    ``strict`` turns the first rejected or flagged line into a :class:`FaersError` naming file, line
    and field. A table file that is absent or cannot be read refuses the quarter, unless
    ``allow_missing`` (then it is recorded as missing). Zip members may expand to ``max_member_mb``
    MB and ``max_ratio`` times their compressed size (defaults:
    :data:`~rxcompare.sources.faers.sourcefiles.MAX_MEMBER_MB` and
    :data:`~rxcompare.sources.faers.sourcefiles.MAX_RATIO`). ``rebuild=False`` skips the derived
    tables (call :func:`dedupe_cases` after a batch; readers refuse them until then). ``origin`` marks
    a quarter converted from another system's files (:mod:`.openfda_bulk`); a warehouse holds the
    quarters of one system only.
    """
    src_path = Path(path)
    root = Path(os.fspath(warehouse))
    if not src_path.exists():
        raise FaersError(
            f"{src_path} does not exist; give a faers_ascii_YYYYqN.zip or its extracted folder"
        )
    with store.writer_lock(root):
        token = uuid.uuid4().hex[:12]
        qroot = root / "quarters"
        staging = qroot / f".tmp-extract-{token}"
        src: Source | None = None
        try:
            staging.mkdir()
            src = _open_source(src_path, staging, max_member_mb, max_ratio)
            final = qroot / src.quarter
            _refuse_mixing(root, src.quarter, origin)
            old, problems = store.read_manifest(final) if final.exists() else (None, [])
            if old is not None and not problems and old["sha256"] == src.sha256:
                if rebuild and store.derived_problems(root):
                    _rebuild_derived(root, token, synonyms, [])
                return _result(old, skipped=True)
            qdir = qroot / f".tmp-{src.quarter}-{token}"
            qdir.mkdir()
            manifest, rejects = _stage_quarter(src, qdir, strict, progress, allow_missing, origin)
            shutil.rmtree(staging, ignore_errors=True)
            _write_rejects(rejects, qdir / "rejects.csv")
            steps: list[tuple[str, ...]] = [
                ("quarter", qdir, final, qroot / f".old-{src.quarter}-{token}"),
                ("file", final / "rejects.csv", root / "rejects" / f"{src.quarter}.csv"),
            ]
            if rebuild:
                if progress:
                    progress(f"{src.quarter} dedup", len(layout.TABLES), len(layout.TABLES) + 1)
                _rebuild_derived(root, token, synonyms, steps, {src.quarter: qdir})
            else:
                store.commit(root, token, steps, [qroot / f".old-{src.quarter}-{token}"])
            if progress:
                progress(f"{src.quarter} done", len(layout.TABLES) + 1, len(layout.TABLES) + 1)
            return _result(manifest, skipped=False)
        except OSError as exc:
            raise store.disk_error(exc, root, f"ingesting {src_path.name}") from None
        except duckdb.IOException as exc:
            raise FaersError(
                f"{root}: {str(exc).splitlines()[0][:200]} (while ingesting {src_path.name}); "
                "free some space or give another --warehouse; the warehouse was left as it "
                "was"
            ) from None
        finally:
            if src is not None:
                src.close()  # staging stopped before its folder goes
            if not (root / f".commit-{token}.json").exists():  # else the next writer completes it
                for p in [*qroot.glob(f".tmp-*{token}*"), root / f".tmp-derived-{token}"]:
                    shutil.rmtree(p, ignore_errors=True)


def _system(manifest: dict | None) -> str:
    return ((manifest or {}).get("origin") or {}).get("system") or "faers-quarterly"


def _refuse_mixing(root: Path, quarter: str, origin: dict | None) -> None:
    """Refuse a quarter of another system than the warehouse's other quarters (FDA's quarterly
    files and openFDA bulk files count case versions differently: mixed, cases would count twice)."""
    new = _system({"origin": origin})
    others = {q: _system(m) for q, (m, _) in store.held_quarters(root).items() if q != quarter}
    clash = sorted(q for q, system in others.items() if system != new)
    if clash:
        raise FaersError(
            f"warehouse {root} holds quarters {', '.join(clash)} from {others[clash[0]]}, and this quarter comes "
            f"from {new}: one warehouse holds one system's quarters (mixed, cases would count twice); give "
            "another --warehouse"
        )


def _rebuild_derived(
    root: Path,
    token: str,
    synonyms: Synonyms | None,
    steps: list[tuple[str, ...]],
    staged: dict[str, Path] | None = None,
) -> None:
    """Build the derived tables from the held quarters (``staged`` replacing some) and commit them
    together with ``steps``: one new quarter is added to current tables as an update layer
    (:func:`dedup.update_derived`), anything else is a rebuild from every quarter."""
    quarters = dedup.usable_quarters(root, replacing=set(staged or ()))
    quarters.update(staged or {})
    derived = root / f".tmp-derived-{token}"
    cleanup = [Path(s[3]) for s in steps if s[0] == "quarter"] + [derived]
    if synonyms is None:
        synonyms = dedup.load_synonyms()
    adding = next(iter(staged)) if staged and len(staged) == 1 else None
    doc = dedup.updatable(root, synonyms, adding) if adding else None
    why = ""
    if doc is not None and adding is not None:
        folder = f"{store.UPDATES}/{adding}-{token}"
        try:
            dedup.update_derived(
                root, doc, quarters, adding, derived, folder, synonyms, root / dedup.NAMES_FILE
            )
        except (
            dedup.NotAnUpdate
        ) as exc:  # recorded in dedup.json: a fault of the update to look into
            shutil.rmtree(derived, ignore_errors=True)
            why = f"the update with {adding} did not add up: {exc}"
        else:
            store.commit(root, token, [*steps, *dedup.update_steps(derived, root, folder)], cleanup)
            return
    dedup.build_derived(quarters, derived, synonyms, root / dedup.NAMES_FILE, why)
    store.commit(
        root, token, [*steps, *dedup.derived_steps(derived, root)], [*cleanup, root / store.UPDATES]
    )
