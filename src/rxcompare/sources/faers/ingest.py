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
import shutil
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import pyarrow as pa

from rxcompare.errors import FaersError
from rxcompare.settings import Setting
from rxcompare.sources.faers import dedup, layout, store
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


def _latin1_for_undefined(err: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
    0x9D) are read as Latin-1 (C1 controls), so that no byte is lost."""
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("rxcompare-latin1", _latin1_for_undefined)

ENCODING_NOTE = "bytes that are not UTF-8, decoded as Windows-1252; row kept"
_MAX_LINE = 1 << 24  # a "line" longer than this without a newline is cut (random bytes, NUL runs)
_RATIO_FLOOR = 16 << 20  # the ratio cap applies once a member has expanded past 16 MiB

MAX_MEMBER_MB = Setting(
    "faers_max_member_mb", "RXCOMPARE_FAERS_MAX_MEMBER_MB",
    "largest uncompressed FAERS zip member read, in MB; a real quarter's biggest table is a few hundred MB",
    "8192",
)
MAX_RATIO = Setting(
    "faers_max_ratio", "RXCOMPARE_FAERS_MAX_RATIO",
    "largest uncompressed/compressed size ratio of a FAERS zip member; real tables compress 3-20x",
    "200",
)


def _number(setting: Setting, value: float | None) -> float:
    raw = value if value is not None else setting.get()
    try:
        n = float(raw)
    except (TypeError, ValueError):
        raise FaersError(f"{setting.env}={raw!r} is not a number") from None
    if n <= 0:
        raise FaersError(f"{setting.env}={raw!r} must be above 0")
    return n


@dataclass
class _Budget:
    """How far one zip member may expand: ``max_bytes`` in all, ``ratio`` times its compressed size."""

    origin: str
    name: str
    max_bytes: int
    ratio: float
    compressed: int
    seen: int = 0

    def check(self, size: int) -> None:
        if size > self.max_bytes:
            raise FaersError(
                f"{self.origin}: {self.name} expands to more than {self.max_bytes / 1e6:,.0f} MB "
                f"(the cap {MAX_MEMBER_MB.env}; real FAERS tables are a few hundred MB); nothing was "
                "ingested. Raise the cap if the file is genuine"
            )
        if size > _RATIO_FLOOR and size > self.ratio * max(self.compressed, 1):
            raise FaersError(
                f"{self.origin}: {self.name} expands more than {self.ratio:g} times its compressed size "
                f"({self.compressed:,} bytes; the cap {MAX_RATIO.env}): not a FAERS table, or a zip bomb; "
                "nothing was ingested"
            )

    def add(self, n: int) -> None:
        self.seen += n
        self.check(self.seen)


def _utf16(head: bytes) -> bool:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = head[:200]
    return len(sample) >= 8 and (sample[1::2].count(0) > 0.8 * len(sample[1::2])
                                  or sample[0::2].count(0) > 0.8 * len(sample[0::2]))


def _stage_text(src: BinaryIO, dst: Path, origin: str, name: str, budget: _Budget | None) -> list[Reject]:
    """Copy a table to ``dst`` as UTF-8, streaming: lines valid as UTF-8 as they are, other lines
    decoded as Windows-1252 (what FAERS files are), each listed as flagged with its line number."""
    flagged: list[Reject] = []
    lines_before = 0
    rest = b""
    first = True
    with dst.open("wb") as out:

        def put(block: bytes) -> None:
            nonlocal lines_before
            if block.isascii():
                out.write(block)
            else:
                try:
                    block.decode("utf-8")
                    out.write(block)
                except UnicodeDecodeError:
                    for i, line in enumerate(block.splitlines(keepends=True)):
                        try:
                            line.decode("utf-8")
                            out.write(line)
                        except UnicodeDecodeError:
                            text = line.decode("cp1252", "rxcompare-latin1")
                            out.write(text.encode("utf-8"))
                            flagged.append(Reject(name, lines_before + i + 1, "encoding", ENCODING_NOTE,
                                                  text.rstrip("\r\n"), kept=True))
            lines_before += block.count(b"\n")

        while chunk := src.read(_CHUNK):
            if budget is not None:
                budget.add(len(chunk))
            if first:
                first = False
                if _utf16(chunk):
                    raise FaersError(
                        f"{origin}: {name} is UTF-16 text; FAERS tables are $-delimited text in ASCII or "
                        "Windows-1252. Nothing was ingested: use the file as FDA ships it (or save it as "
                        "Windows-1252 / UTF-8)"
                    )
            block = rest + chunk
            cut = block.rfind(b"\n") + 1
            if cut == 0 and len(block) < _MAX_LINE:
                rest = block
                continue
            cut = cut or len(block)
            put(block[:cut])
            rest = block[cut:]
        if rest:
            put(rest)
    return flagged


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if not chunk.isascii():
                    decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class _Source:
    quarter: str
    origin: str  # file or folder name as given
    sha256: str
    files: dict[str, Path]  # table -> local path, UTF-8
    deleted: list[tuple[Path, str]]  # (local path, name inside the source)
    names: dict[str, str]  # table -> name inside the source
    flagged: list[Reject]  # lines decoded as Windows-1252


def _quarter_of(members: list[_Member], origin: str, given: str | None) -> str:
    tables = [m for m in members if m.table != "deleted"]
    quarters = {m.quarter for m in tables}
    if len(quarters) > 1:
        raise FaersError(f"{origin}: table files of several quarters ({', '.join(sorted(quarters))}); "
                         "ingest one quarter per zip or folder")
    if not quarters:
        raise FaersError(f"{origin}: no FAERS table files (DEMOyyQn.txt, DRUGyyQn.txt, ...) found")
    q = quarters.pop()
    if given is not None and given != q:
        raise FaersError(
            f"{origin} is named for {given} but holds the tables of {q} ({tables[0].name}); nothing was "
            f"ingested. Download {given} again (`rxcompare faers download {given}`), or name the file "
            f"for the quarter it holds (faers_ascii_{q}.zip)"
        )
    return q


def _open_zip(path: Path, staging: Path, max_member_mb: float | None, max_ratio: float | None) -> _Source:
    origin = path.name
    max_bytes = int(_number(MAX_MEMBER_MB, max_member_mb) * 1e6)
    ratio = _number(MAX_RATIO, max_ratio)
    try:
        with zipfile.ZipFile(path) as zf:
            members = _members(zf.namelist(), origin)
            quarter = _quarter_of(members, origin, layout.quarter_from_source_name(origin))
            files: dict[str, Path] = {}
            names: dict[str, str] = {}
            deleted: list[tuple[Path, str]] = []
            flagged: list[Reject] = []
            for i, m in enumerate(members):
                info = zf.getinfo(m.name)
                budget = _Budget(origin, m.name, max_bytes, ratio, info.compress_size)
                budget.check(info.file_size)
                local = staging / f"{i:02d}_{m.table}.txt"
                with zf.open(info) as src:
                    found = _stage_text(src, local, origin, m.name, budget)
                if m.table == "deleted":
                    deleted.append((local, m.name))
                else:
                    files[m.table] = local
                    names[m.table] = m.name
                    flagged += found
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise FaersError(
            f"{origin}: the zip is truncated or damaged ({exc}); nothing was ingested. "
            "Download it again (rxcompare faers download resumes and checks it)"
        ) from exc
    return _Source(quarter, origin, layout.sha256_file(path), files, deleted, names, flagged)


def _open_folder(path: Path, staging: Path) -> _Source:
    origin = path.name
    all_files = [p for p in sorted(path.rglob("*")) if p.is_file()]
    rel = {str(p.relative_to(path)): p for p in all_files}
    members = _members(list(rel), origin)
    quarter = _quarter_of(members, origin, layout.quarter_from_source_name(origin))
    h = hashlib.sha256()
    files: dict[str, Path] = {}
    names: dict[str, str] = {}
    deleted: list[tuple[Path, str]] = []
    flagged: list[Reject] = []
    for i, m in enumerate(sorted(members, key=lambda m: m.name)):
        p = rel[m.name]
        h.update(m.name.lower().encode() + b"\0" + layout.sha256_file(p).encode())
        if m.table == "deleted":
            deleted.append((p, m.name))
            continue
        if not _is_utf8(p):  # decoded into the staging folder; UTF-8 files are read where they are
            local = staging / f"{i:02d}_{m.table}.txt"
            with p.open("rb") as src:
                flagged += _stage_text(src, local, origin, m.name, None)
            p = local
        else:
            with p.open("rb") as fh:
                if _utf16(fh.read(200)):
                    raise FaersError(f"{origin}: {m.name} is UTF-16 text; FAERS tables are $-delimited text "
                                     "in ASCII or Windows-1252. Nothing was ingested")
        files[m.table] = p
        names[m.table] = m.name
    return _Source(quarter, origin, h.hexdigest(), files, deleted, names, flagged)


# --- parsing one table --------------------------------------------------------------------------


def _read_header(path: Path) -> str:
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


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


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


def _read_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path, names: list[str], origin: str,
              name: str) -> None:
    cols = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    rj = f"rj_{table}"
    sql = (f"CREATE OR REPLACE TABLE raw_{table} AS SELECT * FROM read_csv({_sql_str(str(path))}, delim='$', "
           f"quote='', escape='', header=false, skip=1, columns={cols}, encoding='utf-8', "
           f"auto_detect=false, store_rejects=true, rejects_table='{rj}', rejects_scan='{rj}_scan', "
           "max_line_size=10000000")
    try:
        try:
            con.execute(sql + ")")
        except duckdb.InvalidInputException:
            # DuckDB's strict CSV state machine gives up on some damaged bytes (stray CRs, control
            # characters); read such a file leniently, every line that does not fit is still a reject
            con.execute(sql + ", strict_mode=false)")
    except duckdb.IOException:
        raise
    except duckdb.Error as exc:
        raise FaersError(f"{origin}: {name} cannot be read as a $-separated table "
                         f"({str(exc).splitlines()[0][:160]}); nothing was ingested") from None


_KEY_TYPES = {"primaryid": "BIGINT", "caseid": "BIGINT"}


def _load_table(con: duckdb.DuckDBPyConnection, table: str, path: Path, origin: str, name: str,
                is_legacy: bool, rejects: list[Reject]) -> str | None:
    """Parse one table file into the DuckDB table ``t_<table>``; None when the file is not that table."""
    header = _read_header(path)
    names = layout.header_names(header)
    problem = _header_problem(table, header, names)
    if problem is not None:
        rejects.append(Reject(name, 1, "header", f"{problem}; file not loaded", header.rstrip("\r\n")[:2000]))
        return None
    _read_csv(con, table, path, names, origin, name)
    rj = f"rj_{table}"
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
        lines = _find_lines(path, [r for _, r, _ in flagged])
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


def _unreadable(src: _Source, table: str, reason: str, allow_missing: bool, missing: dict[str, str]) -> None:
    """A table file that cannot be read: the quarter is refused, or (``allow_missing``) the table is
    recorded as missing."""
    if table == "demo" or not allow_missing:
        extra = "" if table == "demo" else (
            ", or pass --allow-missing to ingest the quarter without it (recorded as missing)")
        raise FaersError(f"{src.origin}: {src.names.get(table, table.upper())} cannot be read as the "
                         f"{table.upper()} table ({reason}); nothing was ingested. Fix or replace the file"
                         f"{extra}")
    missing[table] = reason


def _stage_quarter(src: _Source, qdir: Path, strict: bool, progress: Progress | None,
                   allow_missing: bool = False) -> tuple[dict, list[Reject]]:
    rejects: list[Reject] = list(src.flagged)
    missing: dict[str, str] = {}
    if "demo" not in src.files:
        raise FaersError(f"{src.origin}: no DEMO table file; a quarter cannot be read without it, "
                         "nothing was ingested")
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
        con.execute(f"SET temp_directory={_sql_str(str(qdir.parent / (qdir.name + '.spill')))}")
        con.execute("SET memory_limit='1500MB'; SET preserve_insertion_order=false; SET enable_progress_bar=false")
        demo_header = layout.header_names(_read_header(src.files["demo"]))
        is_legacy = "isr" in demo_header and "primaryid" not in demo_header
        counts: dict[str, int] = {}
        order = ["demo"] + [t for t in layout.TABLES if t != "demo"]
        for i, table in enumerate(order):
            if progress:
                progress(f"{src.quarter} {table}", i, len(order) + 1)
            if table not in src.files:
                continue
            path, name = src.files[table], src.names[table]
            query = _load_table(con, table, path, src.origin, name, is_legacy, rejects)
            if query is None:
                _unreadable(src, table, rejects[-1].reason.removesuffix("; file not loaded"), allow_missing,
                            missing)
                continue
            lines = con.execute(f"SELECT count(*) FROM raw_{table}").fetchone()[0] + sum(
                1 for r in rejects if r.file == name and r.field == "fields")
            if is_legacy and table == "demo":
                con.execute(f"CREATE TABLE demo_keys AS SELECT primaryid, any_value(caseid) AS caseid "
                            f"FROM ({query}) GROUP BY primaryid")
            if is_legacy and table != "demo":
                query = (f"SELECT t.* REPLACE (k.caseid AS caseid) FROM ({query}) t "
                         "LEFT JOIN demo_keys k ON t.primaryid = k.primaryid")
            out = qdir / f"{table}.parquet"
            n = _write_parquet(con, f"SELECT *, {_sql_str(src.quarter)} AS quarter FROM ({query})", out)
            con.execute(f"DROP TABLE raw_{table}")
            if n == 0 and (lines or table == "demo"):
                out.unlink()
                why = f"none of its {lines:,} lines could be loaded" if lines else "it has a header and no rows"
                _unreadable(src, table, why, allow_missing, missing)
                continue
            counts[table] = n
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
    reasons: dict[str, int] = {}
    for r in rejects:
        key = f"{r.field}: {'kept' if r.kept else 'not loaded'}"
        reasons[key] = reasons.get(key, 0) + 1
    parquet = {f"{t}.parquet": store.file_record(qdir / f"{t}.parquet", n) for t, n in counts.items()}
    if src.deleted:
        parquet["deleted.parquet"] = store.file_record(qdir / "deleted.parquet", len(set(deleted)))
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
        "missing_tables": [t for t in layout.TABLES if t in missing],
        "missing_reasons": {t: missing[t] for t in layout.TABLES if t in missing},
        "files": src.names,
        "parquet": parquet,
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


def _open_source(src_path: Path, staging: Path, max_member_mb: float | None, max_ratio: float | None) -> _Source:
    if src_path.is_dir():
        return _open_folder(src_path, staging)
    if zipfile.is_zipfile(src_path):
        return _open_zip(src_path, staging, max_member_mb, max_ratio)
    raise FaersError(
        f"{src_path.name}: not a zip (the file may be truncated) and not a folder; "
        "give a faers_ascii_YYYYqN.zip or its extracted folder"
    )


def ingest_quarter(path: str | os.PathLike[str], warehouse: str | os.PathLike[str], strict: bool = False,
                   progress: Progress | None = None, synonyms: Synonyms | None = None,
                   rebuild: bool = True, allow_missing: bool = False, max_member_mb: float | None = None,
                   max_ratio: float | None = None) -> IngestResult:
    """Ingest one quarter (a ``faers_ascii_YYYYqN.zip`` / ``aers_ascii_YYYYqN.zip`` or its extracted folder).

    Atomic: the quarter is staged in a temporary folder, the derived case tables are rebuilt from
    it, and only then is everything moved into place by one commit (:mod:`.store`: a kill at any
    point leaves the old warehouse or the new one); any error leaves the warehouse as it was.
    Idempotent: a source whose sha256 equals the ingested one's is a no-op (``skipped``) unless the
    stored quarter is damaged (then it is rebuilt). A different file for the same quarter replaces it.
    ``strict`` turns the first rejected or flagged line into a :class:`FaersError` naming file, line
    and field. A table file that is absent or cannot be read refuses the quarter, unless
    ``allow_missing`` (then it is recorded as missing). Zip members may expand to ``max_member_mb``
    MB and ``max_ratio`` times their compressed size (defaults: :data:`MAX_MEMBER_MB`,
    :data:`MAX_RATIO`). ``rebuild=False`` skips the derived tables (call :func:`dedupe_cases` after a
    batch; readers refuse them until then).
    """
    src_path = Path(path)
    root = Path(os.fspath(warehouse))
    if not src_path.exists():
        raise FaersError(f"{src_path} does not exist; give a faers_ascii_YYYYqN.zip or its extracted folder")
    with store.writer_lock(root):
        token = uuid.uuid4().hex[:12]
        qroot = root / "quarters"
        staging = qroot / f".tmp-extract-{token}"
        try:
            staging.mkdir()
            src = _open_source(src_path, staging, max_member_mb, max_ratio)
            final = qroot / src.quarter
            old, problems = store.read_manifest(final) if final.exists() else (None, [])
            if old is not None and not problems and old["sha256"] == src.sha256:
                if rebuild and store.derived_problems(root):
                    _rebuild_derived(root, token, synonyms, [])
                return _result(old, skipped=True)
            qdir = qroot / f".tmp-{src.quarter}-{token}"
            qdir.mkdir()
            manifest, rejects = _stage_quarter(src, qdir, strict, progress, allow_missing)
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
            raise FaersError(f"{root}: {str(exc).splitlines()[0][:200]} (while ingesting {src_path.name}); "
                             "free some space or give another --warehouse; the warehouse was left as it "
                             "was") from None
        finally:
            if not (root / f".commit-{token}.json").exists():  # else the next writer completes it
                for p in [*qroot.glob(f".tmp-*{token}*"), root / f".tmp-derived-{token}"]:
                    shutil.rmtree(p, ignore_errors=True)


def _rebuild_derived(root: Path, token: str, synonyms: Synonyms | None, steps: list[tuple[str, ...]],
                     staged: dict[str, Path] | None = None) -> None:
    """Build the derived tables from the held quarters (``staged`` replacing some) and commit them
    together with ``steps``."""
    quarters = dedup.usable_quarters(root, replacing=set(staged or ()))
    quarters.update(staged or {})
    derived = root / f".tmp-derived-{token}"
    dedup.build_derived(quarters, derived, synonyms)
    cleanup = [Path(s[3]) for s in steps if s[0] == "quarter"] + [derived]
    store.commit(root, token, [*steps, *dedup.derived_steps(derived, root)], cleanup)
