"""A FAERS quarter's files: the table members of a zip or folder, their encoding and size caps.

Each table member is found by name (:mod:`.layout`), checked against the caps on its expanded size,
and copied as UTF-8 into a staging folder in one streaming pass: lines valid as UTF-8 as they are,
other lines decoded as Windows-1252 and listed as flagged. Folders whose files are UTF-8 already are
read where they are.

A zip's members are staged on one background thread, DEMO first, while the caller parses the
members already staged (:meth:`Source.ready`): inflating and writing release the interpreter
lock, so on two cores most of the staging hides behind DuckDB's parsing.
"""

from __future__ import annotations

import codecs
import hashlib
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from rxcompare.errors import FaersError
from rxcompare.settings import Setting
from rxcompare.sources.faers import layout

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
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("rxcompare-latin1", _latin1_for_undefined)

ENCODING_NOTE = "bytes that are not UTF-8, decoded as Windows-1252; row kept"
_MAX_LINE = 1 << 24  # a "line" longer than this without a newline is cut (random bytes, NUL runs)
_RATIO_FLOOR = 16 << 20  # the ratio cap applies once a member has expanded past 16 MiB

MAX_MEMBER_MB = Setting(
    "faers_max_member_mb",
    "RXCOMPARE_FAERS_MAX_MEMBER_MB",
    "largest uncompressed FAERS zip member read, in MB; a real quarter's biggest table is a few hundred MB",
    "8192",
)
MAX_RATIO = Setting(
    "faers_max_ratio",
    "RXCOMPARE_FAERS_MAX_RATIO",
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
    return len(sample) >= 8 and (
        sample[1::2].count(0) > 0.8 * len(sample[1::2])
        or sample[0::2].count(0) > 0.8 * len(sample[0::2])
    )


StageText = Callable[[BinaryIO, Path, str, str, "_Budget | None"], list[Reject]]
"""The staging step's signature (:func:`stage_text`)."""


def stage_text(
    src: BinaryIO, dst: Path, origin: str, name: str, budget: _Budget | None
) -> list[Reject]:
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
                            flagged.append(
                                Reject(
                                    name,
                                    lines_before + i + 1,
                                    "encoding",
                                    ENCODING_NOTE,
                                    text.rstrip("\r\n"),
                                    kept=True,
                                )
                            )
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
class Source:
    """One quarter's table files as read from its zip or folder.

    ``files`` and ``deleted`` name where each member is (or will be) staged; :meth:`ready` waits
    for one of them, raising what staging it raised. :meth:`close` stops staging that has not
    started (call it before removing the staging folder)."""

    quarter: str
    origin: str  # file or folder name as given
    sha256: str
    files: dict[str, Path]  # table -> local path, UTF-8
    deleted: list[tuple[Path, str]]  # (local path, name inside the source)
    names: dict[str, str]  # table -> name inside the source
    flagged: list[Reject]  # lines decoded as Windows-1252, of the members ready so far
    pending: dict[Path, Future] = field(default_factory=dict)
    executor: ThreadPoolExecutor | None = None

    def ready(self, local: Path) -> Path:
        """``local`` (a path of ``files`` or ``deleted``) once staged; its flagged lines join
        :attr:`flagged`."""
        job = self.pending.pop(local, None)
        if job is not None:
            self.flagged += job.result()
        return local

    def close(self) -> None:
        """Cancel staging not started and wait for the member being staged."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def _quarter_of(members: list[_Member], origin: str, given: str | None) -> str:
    tables = [m for m in members if m.table != "deleted"]
    quarters = {m.quarter for m in tables}
    if len(quarters) > 1:
        raise FaersError(
            f"{origin}: table files of several quarters ({', '.join(sorted(quarters))}); "
            "ingest one quarter per zip or folder"
        )
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


def _zip_error(origin: str, exc: BaseException) -> FaersError:
    return FaersError(
        f"{origin}: the zip is truncated or damaged ({exc}); nothing was ingested. "
        "Download it again (rxcompare faers download resumes and checks it)"
    )


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)
_ENCRYPTED = 0x1  # general purpose flag bit 0 (APPNOTE.TXT 4.4.4): the member is encrypted


def _stage_member(
    path: Path, info_name: str, local: Path, origin: str, budget: _Budget, stage: StageText
) -> list[Reject]:
    """One member of the zip at ``path`` staged to ``local`` (on the staging thread)."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(info_name) as src:
            return stage(src, local, origin, info_name, budget)
    except _ZIP_ERRORS as exc:
        raise _zip_error(origin, exc) from exc


def open_zip(
    path: Path,
    staging: Path,
    max_member_mb: float | None,
    max_ratio: float | None,
    stage: StageText = stage_text,
) -> Source:
    """Read a quarter's zip: each table member checked against the size caps, then copied to
    ``staging`` as UTF-8 on a background thread, DEMO first (wait with :meth:`Source.ready`)."""
    origin = path.name
    max_bytes = int(_number(MAX_MEMBER_MB, max_member_mb) * 1e6)
    ratio = _number(MAX_RATIO, max_ratio)
    files: dict[str, Path] = {}
    names: dict[str, str] = {}
    deleted: list[tuple[Path, str]] = []
    jobs: list[tuple[Path, str, _Budget]] = []
    try:
        with zipfile.ZipFile(path) as zf:
            members = _members(zf.namelist(), origin)
            quarter = _quarter_of(members, origin, layout.quarter_from_source_name(origin))
            for i, m in enumerate(members):
                info = zf.getinfo(m.name)
                if info.flag_bits & _ENCRYPTED:
                    raise FaersError(
                        f"{origin}: member {m.name} is password-protected (encrypted); FDA's zips "
                        "are not, and rxcompare reads none that is. Nothing was ingested. Download "
                        "the quarter again from FDA (rxcompare faers download), or extract the zip "
                        "with its password and ingest the folder"
                    )
                budget = _Budget(origin, m.name, max_bytes, ratio, info.compress_size)
                budget.check(info.file_size)
                local = staging / f"{i:02d}_{m.table}.txt"
                jobs.append((local, m.name, budget))
                if m.table == "deleted":
                    deleted.append((local, m.name))
                else:
                    files[m.table] = local
                    names[m.table] = m.name
    except _ZIP_ERRORS as exc:
        raise _zip_error(origin, exc) from exc
    # the order the tables are parsed in: DEMO, the other tables, then the deleted-case lists
    rank = {t: k for k, t in enumerate(["demo", *(t for t in layout.TABLES if t != "demo")])}
    jobs.sort(key=lambda j: rank.get(j[0].stem.split("_", 1)[1], len(rank)))
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rxcompare-stage")
    pending = {
        local: executor.submit(_stage_member, path, name, local, origin, budget, stage)
        for local, name, budget in jobs
    }
    src = Source(quarter, origin, "", files, deleted, names, [], pending, executor)
    try:
        src.sha256 = layout.sha256_file(path)  # hashing releases the lock too
    except BaseException:
        src.close()
        raise
    return src


def open_folder(path: Path, staging: Path, stage: StageText = stage_text) -> Source:
    """Read an extracted quarter: UTF-8 tables where they are, others decoded into ``staging``."""
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
                flagged += stage(src, local, origin, m.name, None)
            p = local
        else:
            with p.open("rb") as fh:
                if _utf16(fh.read(200)):
                    raise FaersError(
                        f"{origin}: {m.name} is UTF-16 text; FAERS tables are $-delimited text "
                        "in ASCII or Windows-1252. Nothing was ingested"
                    )
        files[m.table] = p
        names[m.table] = m.name
    return Source(quarter, origin, h.hexdigest(), files, deleted, names, flagged)
