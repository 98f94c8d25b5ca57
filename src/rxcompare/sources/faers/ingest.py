"""Ingest one FAERS / LAERS quarter (zip or extracted folder) into the warehouse, atomically.

Steps (each a small function below): find the quarter's table files (:mod:`.layout`), extract them to a
staging folder while checking their encoding, parse each table with DuckDB's CSV reader (``$``, no
quoting, all text), keep every line that cannot be loaded in the rejects list with file, line, field
and raw text, write one Parquet file per table (zstd) plus ``deleted.parquet`` and ``manifest.json``,
rebuild the derived case tables (:mod:`.dedup`) from the staged quarter, and only then move
everything into place. An error anywhere leaves the warehouse as it was; the same file twice is a no-op.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
import shutil
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from rxcompare.errors import FaersError
from rxcompare.sources.faers import dedup, layout
from rxcompare.sources.faers.normalise import Synonyms

Progress = Callable[[str, int, "int | None"], None]
"""A progress callback: ``progress(step, done, total)``; ``total`` is None when unknown."""

_CHUNK = 1 << 22


@dataclass(frozen=True)
class Reject:
    """One line that could not be loaded as written (``kept`` False) or was loaded with a flag."""

    file: str
    line: int | None
    field: str
    reason: str
    raw: str
    kept: bool = False


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


# --- finding and extracting the files -----------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    table: str  # a table name or "deleted"
    quarter: str
    name: str


def _members(names: list[str], origin: str) -> list[_Member]:
    found: dict[str, _Member] = {}
    for name in sorted(names):
        tf = layout.classify(name)
        if tf is not None:
            m = _Member(tf.table, tf.quarter, name)
        else:
            q = layout.deleted_quarter(name)
            if q is None:
                continue
            m = _Member("deleted", q, name)
        old = found.get(m.table)
        if old is not None and m.table != "deleted":
            new_is_fix = "_new" in m.name.lower() and "_new" not in old.name.lower()
            old_is_fix = "_new" in old.name.lower() and "_new" not in m.name.lower()
            if old_is_fix:
                continue
            if not new_is_fix:
                raise FaersError(
                    f"{origin}: two {m.table.upper()} files ({old.name}, {m.name}); "
                    "keep one of them and ingest again"
                )
        if m.table == "deleted" and old is not None:
            found[f"deleted:{m.name}"] = m
            continue
        found[m.table] = m
    return list(found.values())


def _copy_checking(src, dst: Path) -> bool:
    """Copy a stream to ``dst``; True when every byte is valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    ok = True
    with dst.open("wb") as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
            if ok and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    ok = False
    if ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            ok = False
    return ok


def _is_utf8(path: Path) -> bool:
    with path.open("rb") as fh:
        return _copy_checking(fh, Path(os.devnull))


@dataclass
class _Source:
    quarter: str
    origin: str  # file or folder name as given
    sha256: str
    files: dict[str, tuple[Path, bool]]  # table -> (local path, is utf-8)
    deleted: list[tuple[Path, str]]  # (local path, name inside the source)
    names: dict[str, str]  # table -> name inside the source


def _quarter_of(members: list[_Member], origin: str, given: str | None) -> str:
    quarters = {m.quarter for m in members if m.table != "deleted"}
    if len(quarters) > 1:
        raise FaersError(f"{origin}: table files of several quarters ({', '.join(sorted(quarters))}); "
                         "ingest one quarter per zip or folder")
    q = given or (quarters.pop() if quarters else None)
    if q is None:
        raise FaersError(f"{origin}: no FAERS table files (DEMOyyQn.txt, DRUGyyQn.txt, ...) found")
    return q


def _open_zip(path: Path, staging: Path) -> _Source:
    origin = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            members = _members(zf.namelist(), origin)
            quarter = _quarter_of(members, origin, layout.quarter_from_source_name(origin))
            files: dict[str, tuple[Path, bool]] = {}
            names: dict[str, str] = {}
            deleted: list[tuple[Path, str]] = []
            for i, m in enumerate(members):
                local = staging / f"{i:02d}_{m.table}.txt"
                with zf.open(m.name) as src:
                    ok = _copy_checking(src, local)
                if m.table == "deleted":
                    deleted.append((local, m.name))
                else:
                    files[m.table] = (local, ok)
                    names[m.table] = m.name
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FaersError(
            f"{origin}: the zip is truncated or damaged ({exc}); nothing was ingested. "
            "Download it again (rxcompare faers download resumes and checks it)"
        ) from exc
    return _Source(quarter, origin, layout.sha256_file(path), files, deleted, names)


def _open_folder(path: Path) -> _Source:
    origin = path.name
    all_files = [p for p in sorted(path.rglob("*")) if p.is_file()]
    rel = {str(p.relative_to(path)): p for p in all_files}
    members = _members(list(rel), origin)
    quarter = _quarter_of(members, origin, layout.quarter_from_source_name(origin))
    h = hashlib.sha256()
    files: dict[str, tuple[Path, bool]] = {}
    names: dict[str, str] = {}
    deleted: list[tuple[Path, str]] = []
    for m in sorted(members, key=lambda m: m.name):
        p = rel[m.name]
        h.update(m.name.lower().encode() + b"\0" + layout.sha256_file(p).encode())
        if m.table == "deleted":
            deleted.append((p, m.name))
        else:
            files[m.table] = (p, _is_utf8(p))
            names[m.table] = m.name
    return _Source(quarter, origin, h.hexdigest(), files, deleted, names)


# --- parsing one table --------------------------------------------------------------------------


def _read_header(path: Path, utf8: bool) -> str:
    with path.open("rb") as fh:
        line = fh.readline()
    return line.decode("utf-8" if utf8 else "latin-1").lstrip("\ufeff")


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _find_lines(path: Path, raws: list[str], encoding: str) -> dict[str, list[int]]:
    """Line numbers (1-based, header = 1) of the given raw lines: the slow path, used only for flagged rows."""
    wanted = set(raws)
    out: dict[str, list[int]] = {}
    with path.open("r", encoding=encoding, newline="") as fh:
        for n, line in enumerate(fh, 1):
            s = line.rstrip("\r\n")
            if s in wanted or s.rstrip("$") in wanted:
                out.setdefault(s if s in wanted else s.rstrip("$"), []).append(n)
    return out


def _latin1_lines(path: Path, name: str) -> list[Reject]:
    out = []
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            if not line.isascii():
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    out.append(Reject(name, n, "encoding", "bytes that are not UTF-8, decoded as Latin-1; row kept",
                                      line.decode("latin-1").rstrip("\r\n"), kept=True))
    return out


_KEY_TYPES = {"primaryid": "BIGINT", "caseid": "BIGINT"}


def _load_table(con: duckdb.DuckDBPyConnection, table: str, path: Path, name: str, utf8: bool,
                is_legacy: bool, rejects: list[Reject]) -> list[str] | None:
    """Parse one table file into the DuckDB table ``t_<table>``; None when the file is not that table."""
    header = _read_header(path, utf8)
    names = layout.header_names(header)
    problem = layout.check_header(table, names)
    if problem is None and len(set(names)) != len(names):
        problem = "header repeats a column name"
    if problem is not None:
        rejects.append(Reject(name, 1, "header", f"{problem}; file not loaded", header.rstrip("\r\n")))
        return None
    encoding = "utf-8" if utf8 else "latin-1"
    cols = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    rj = f"rj_{table}"
    con.execute(
        f"CREATE OR REPLACE TABLE raw_{table} AS SELECT * FROM read_csv({_sql_str(str(path))}, delim='$', "
        f"quote='', escape='', header=false, skip=1, columns={cols}, encoding='{encoding}', "
        f"auto_detect=false, store_rejects=true, rejects_table='{rj}', rejects_scan='{rj}_scan', "
        f"max_line_size=10000000)"
    )
    for line, etype, raw in con.execute(f"SELECT line, min(error_type), any_value(csv_line) FROM {rj} GROUP BY line ORDER BY line").fetchall():
        want = len(names)
        raw = (raw or "").lstrip("\r\n")
        got = raw.count("$") + 1
        rejects.append(Reject(name, int(line), "fields",
                              f"{etype.lower()}: {got} fields, expected {want}; row not loaded", raw))
    con.execute(f"DROP TABLE IF EXISTS {rj}; DROP TABLE IF EXISTS {rj}_scan")

    renames = layout.LEGACY_RENAMES[table] if is_legacy else {}
    key_src = "isr" if is_legacy else "primaryid"
    checks: list[tuple[str, str, bool]] = [
        (key_src, f"TRY_CAST(trim({_ident(key_src)}) AS BIGINT) IS NULL", False),
    ]
    if table == "demo":
        case_src = "case" if is_legacy else "caseid"
        if case_src in names:
            checks.append((case_src, f"TRY_CAST(trim({_ident(case_src)}) AS BIGINT) IS NULL", False))
    for col in layout.DATE_COLUMNS.get(table, ()):
        if col in names:
            c = _ident(col)
            checks.append((col, f"{c} IS NOT NULL AND NOT regexp_matches(trim({c}), '{layout.DATE_PATTERN}')", True))
    raw_concat = " || '$' || ".join(f"coalesce({_ident(n)}, '')" for n in names)
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
        lines = _find_lines(path, [r for _, r, _ in flagged], encoding)
        for col, raw, kept in flagged:
            hits = lines.get(raw) or [None]
            n = hits.pop(0) if len(hits) > 1 else hits[0]
            value = raw.split("$")[names.index(col)] if names.index(col) < len(raw.split("$")) else ""
            what = "bad date (YYYY, YYYYMM or YYYYMMDD)" if kept else "not an integer"
            action = "row kept, date treated as unknown" if kept else "row not loaded"
            rejects.append(Reject(name, n, col, f"{col} {value!r}: {what}; {action}", raw, kept))

    # Canonical columns first (mapped from legacy names where needed), then the rest as read.
    select = []
    present = set(names)
    for col in layout.CANONICAL[table]:
        src = next((s for s, d in renames.items() if d == col and s in present), col if col in present else None)
        if col in _KEY_TYPES:
            if src is None and col == "caseid" and table != "demo":
                select.append("CAST(NULL AS BIGINT) AS caseid")
            elif src is None:
                select.append(f"CAST(NULL AS BIGINT) AS {col}")
            else:
                select.append(f"TRY_CAST(trim({_ident(src)}) AS BIGINT) AS {col}")
        elif src is None:
            select.append(f"CAST(NULL AS VARCHAR) AS {col}")
        else:
            select.append(f"{_ident(src)} AS {col}")
    for n in names:
        if n not in layout.CANONICAL[table] and n != "_extra" and not n.startswith("_col"):
            select.append(_ident(n))
    where = f"WHERE NOT coalesce({bad_rows}, false)" if bad_rows else ""
    return f"SELECT {', '.join(select)} FROM raw_{table} {where}"


def _write_parquet(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> int:
    """COPY a query to a zstd Parquet file (the single write step of every table); rows written."""
    return int(con.execute(f"COPY ({query}) TO {_sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)").fetchone()[0])


def _read_deleted(path: Path, name: str, rejects: list[Reject]) -> list[int]:
    ids = []
    text = path.read_bytes().decode("latin-1")
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip().rstrip("$").strip()
        if not s:
            continue
        if s.isdigit():
            ids.append(int(s))
        else:
            rejects.append(Reject(name, n, "caseid", f"{s!r} is not a case id; line not loaded", line))
    return ids


# --- the quarter ---------------------------------------------------------------------------------


def _stage_quarter(src: _Source, qdir: Path, strict: bool, progress: Progress | None) -> tuple[dict, list[Reject]]:
    rejects: list[Reject] = []
    # Row order inside a Parquet file carries no meaning here; letting DuckDB write in parallel
    # makes the COPY steps about three times faster on two cores (bench/bench_ingest.py).
    con = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        con.execute(f"SET temp_directory={_sql_str(str(qdir.parent / (qdir.name + '.spill')))}")
        con.execute("SET memory_limit='1500MB'; SET preserve_insertion_order=false; SET enable_progress_bar=false")
        if "demo" not in src.files:
            raise FaersError(f"{src.origin}: no DEMO table file; a quarter cannot be read without it")
        demo_header = layout.header_names(_read_header(*src.files["demo"]))
        is_legacy = "isr" in demo_header and "primaryid" not in demo_header
        counts: dict[str, int] = {}
        order = ["demo"] + [t for t in layout.TABLES if t != "demo"]
        for i, table in enumerate(order):
            if progress:
                progress(f"{src.quarter} {table}", i, len(order) + 1)
            if table not in src.files:
                continue
            path, utf8 = src.files[table]
            name = src.names[table]
            if not utf8:
                rejects.extend(_latin1_lines(path, name))
            query = _load_table(con, table, path, name, utf8, is_legacy, rejects)
            if query is None:
                if table == "demo":
                    raise FaersError(f"{src.origin}: {name} is not a DEMO table ({rejects[-1].reason})")
                continue
            if is_legacy and table == "demo":
                con.execute(f"CREATE TABLE demo_keys AS SELECT primaryid, any_value(caseid) AS caseid "
                            f"FROM ({query}) GROUP BY primaryid")
            if is_legacy and table != "demo":
                query = (f"SELECT t.* REPLACE (k.caseid AS caseid) FROM ({query}) t "
                         "LEFT JOIN demo_keys k ON t.primaryid = k.primaryid")
            counts[table] = _write_parquet(con, f"SELECT *, {_sql_str(src.quarter)} AS quarter FROM ({query})",
                                           qdir / f"{table}.parquet")
            con.execute(f"DROP TABLE raw_{table}")
        deleted: list[int] = []
        for path, name in src.deleted:
            deleted += _read_deleted(path, name, rejects)
        if src.deleted:
            con.register("t_deleted", pa.table({"caseid": pa.array(sorted(set(deleted)), pa.int64())}))
            _write_parquet(con, f"SELECT caseid, {_sql_str(src.quarter)} AS quarter FROM t_deleted",
                           qdir / "deleted.parquet")
    finally:
        con.close()
        shutil.rmtree(qdir.parent / (qdir.name + ".spill"), ignore_errors=True)
    rejects.sort(key=lambda r: (r.file, r.line or 0))
    if strict and rejects:
        r = rejects[0]
        raise FaersError(
            f"FAERS file {r.file} line {r.line}, field {r.field}: {r.reason} (raw: {r.raw[:120]!r}); "
            f"{len(rejects)} such line(s) in {src.origin}. Run without --strict to keep going and list them "
            "in the rejects file"
        )
    missing = tuple(t for t in layout.TABLES if t not in src.files)
    reasons: dict[str, int] = {}
    for r in rejects:
        key = f"{r.field}: {'kept' if r.kept else 'not loaded'}"
        reasons[key] = reasons.get(key, 0) + 1
    manifest = {
        "quarter": src.quarter,
        "source": src.origin,
        "sha256": src.sha256,
        "layout": "laers" if is_legacy else "faers",
        "rows": counts,
        "rejects": sum(1 for r in rejects if not r.kept),
        "flagged": sum(1 for r in rejects if r.kept),
        "reasons": reasons,
        "deleted": len(set(deleted)),
        "missing_tables": list(missing),
        "files": src.names,
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (qdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest, rejects


def _write_rejects(rejects: list[Reject], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "field", "reason", "kept", "raw"])
        for r in rejects:
            w.writerow([r.file, r.line if r.line is not None else "", r.field, r.reason,
                        "yes" if r.kept else "no", r.raw])


def _result(manifest: dict, skipped: bool) -> IngestResult:
    return IngestResult(
        quarter=manifest["quarter"], layout=manifest["layout"], source=manifest["source"],
        sha256=manifest["sha256"], skipped=skipped, rows=tuple(manifest["rows"].items()),
        rejects=manifest["rejects"], flagged=manifest.get("flagged", 0), deleted=manifest.get("deleted", 0),
        missing=tuple(manifest.get("missing_tables", ())), reasons=tuple(manifest.get("reasons", {}).items()),
    )


def _commit(root: Path, final: Path, staged: Path, derived: Path | None, backup: Path) -> None:
    """Move a staged quarter (and staged derived tables) into place; on any error, put back what was."""
    targets = [root / "rejects" / f"{final.name}.csv"]
    if derived is not None:
        targets += [root / f"{n}.parquet" for n in dedup.DERIVED] + [root / "dedup.json"]
    backup.mkdir()
    saved: list[tuple[Path, Path]] = []
    moved_old = moved_new = False
    try:
        for i, t in enumerate(targets):
            if t.exists():
                os.link(t, backup / f"{i}_{t.name}")
                saved.append((backup / f"{i}_{t.name}", t))
        if final.exists():
            os.rename(final, backup / "quarter")
            moved_old = True
        os.rename(staged, final)
        moved_new = True
        os.replace(final / "rejects.csv", targets[0])
        if derived is not None:
            dedup.commit_derived(derived, root)
    except BaseException:
        if moved_new:
            shutil.rmtree(final, ignore_errors=True)
        if moved_old:
            os.rename(backup / "quarter", final)
        kept = {t for _, t in saved}
        for t in targets:
            if t not in kept:
                t.unlink(missing_ok=True)
        for b, t in saved:
            os.replace(b, t)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)


_TMP = re.compile(r"^\.(tmp|old)-")


def ingest_quarter(path: str | os.PathLike[str], warehouse: str | os.PathLike[str], strict: bool = False,
                   progress: Progress | None = None, synonyms: Synonyms | None = None,
                   rebuild: bool = True) -> IngestResult:
    """Ingest one quarter (a ``faers_ascii_YYYYqN.zip`` / ``aers_ascii_YYYYqN.zip`` or its extracted folder).

    Atomic: the quarter is staged in a temporary folder, the derived case tables are rebuilt from
    it, and only then is everything moved into place; any error leaves the warehouse as it was.
    Idempotent: a source whose sha256 equals the ingested one's is a no-op (``skipped``). A different
    file for the same quarter replaces it. ``strict`` turns the first rejected or flagged line into a
    :class:`FaersError` naming file, line and field. ``rebuild=False`` skips the derived tables (call
    :func:`dedupe_cases` after a batch).
    """
    from rxcompare.sources.faers.warehouse import warehouse_lock

    src_path = Path(path)
    root = Path(os.fspath(warehouse))
    if not src_path.exists():
        raise FaersError(f"{src_path} does not exist; give a faers_ascii_YYYYqN.zip or its extracted folder")
    qroot = root / "quarters"
    qroot.mkdir(parents=True, exist_ok=True)
    (root / "rejects").mkdir(exist_ok=True)
    with warehouse_lock(root):
        for stale in qroot.iterdir():
            if _TMP.match(stale.name):
                shutil.rmtree(stale, ignore_errors=True)
        token = uuid.uuid4().hex[:8]
        staging = qroot / f".tmp-extract-{token}"
        staging.mkdir()
        try:
            if src_path.is_dir():
                src = _open_folder(src_path)
            elif zipfile.is_zipfile(src_path):
                src = _open_zip(src_path, staging)
            else:
                raise FaersError(
                    f"{src_path.name}: not a zip (the file may be truncated) and not a folder; "
                    "give a faers_ascii_YYYYqN.zip or its extracted folder"
                )
            final = qroot / src.quarter
            old_manifest = final / "manifest.json"
            if old_manifest.exists():
                old = json.loads(old_manifest.read_text(encoding="utf-8"))
                if old.get("sha256") == src.sha256:
                    return _result(old, skipped=True)
            qdir = qroot / f".tmp-{src.quarter}-{token}"
            qdir.mkdir()
            manifest, rejects = _stage_quarter(src, qdir, strict, progress)
            shutil.rmtree(staging, ignore_errors=True)
            _write_rejects(rejects, qdir / "rejects.csv")
            derived = None
            if rebuild:
                if progress:
                    progress(f"{src.quarter} dedup", len(layout.TABLES), len(layout.TABLES) + 1)
                quarters = dedup.quarter_dirs(root)
                quarters[src.quarter] = qdir
                derived = root / f".tmp-derived-{token}"
                dedup.build_derived(quarters, derived, synonyms)
            # commit: every step above wrote only temporary folders
            _commit(root, final, qdir, derived, qroot / f".old-{src.quarter}-{token}")
            if progress:
                progress(f"{src.quarter} done", len(layout.TABLES) + 1, len(layout.TABLES) + 1)
            return _result(manifest, skipped=False)
        finally:
            for p in qroot.glob(f".tmp-*{token}*"):
                shutil.rmtree(p, ignore_errors=True)
            shutil.rmtree(root / f".tmp-derived-{token}", ignore_errors=True)
