"""The warehouse on disk, below both stages (ingest and dedup): its folders, the writer's lock, commits
that survive a kill, recovery on open, and checks that what is stored is what was written.

Layout::

    <warehouse>/.lock                           the writers' lock (an empty file)
    <warehouse>/quarters/<yyyyqN>/              one folder per quarter: Parquet tables, manifest.json
    <warehouse>/rejects/<yyyyqN>.csv
    <warehouse>/{cases,...}.parquet, dedup.json the derived case tables (the last full build)
    <warehouse>/updates/<yyyyqN>-<token>/       a quarter added since: its cases' rows and retired.parquet
    <warehouse>/.commit-<token>.json            a commit in progress (its journal)

A commit works on complete staged copies only (``quarters/.tmp-*``, ``.tmp-derived-*``). It first writes
its journal (the list of renames, fsynced, then itself renamed into place), then does the renames, then
deletes the journal and the replaced copies. Whoever next takes the lock finds the journal and redoes
the renames not yet done (each is done only when its source still exists), so a kill at any point
leaves either the old warehouse or the new one, never a quarter missing. Against a power loss as well
as a kill, the staged files and their folders are flushed to disk (fsync) before the journal is
written, and the folders whose entries the renames changed are flushed after them, so a journal
never names data the disk does not hold. Staging folders without a
journal are unfinished work of a dead writer and are removed; a replaced quarter left by an older
version of rxcompare (``.old-*`` with no quarter in place) is put back.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from rxcompare.errors import FaersError
from rxcompare.sources.atomic import MAX_METADATA, loads_json, read_bounded

DERIVED = ("cases", "case_drugs", "case_reactions", "case_indications", "case_therapies")
UPDATES = "updates"
RETIRED = "retired.parquet"
"""In each update folder: the case ids whose rows in every earlier layer are no longer current."""
QUARTER_DIR = re.compile(r"^\d{4}q[1-4]$")
_JOURNAL = re.compile(r"^\.commit-[0-9a-f]+\.json$")
_LEFTOVER = re.compile(r"^\.(tmp|old|commit)-")


# --- errors of the file system, said plainly --------------------------------------------------------


def disk_error(exc: OSError, path: Path | str, doing: str) -> FaersError:
    """A :class:`FaersError` for an ``OSError`` met while ``doing`` something to ``path``."""
    where = getattr(exc, "filename", None) or path
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on the device; free some space or give another --warehouse"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"{exc.strerror or 'not writable'}; give a writable --warehouse folder or fix its permissions"
    elif code == errno.ENOTDIR:
        what = "a part of the path is a file, not a folder; give a folder as --warehouse"
    else:
        what = f"{exc.strerror or exc}; check the path and the disk"
    return FaersError(f"{where}: {what} (while {doing}); the warehouse was left as it was")


def _writable_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise FaersError(
            f"warehouse {root} is a file, not a folder; give a folder as --warehouse "
            "(or RXCOMPARE_WAREHOUSE)"
        )
    try:
        (root / "quarters").mkdir(parents=True, exist_ok=True)
        (root / "rejects").mkdir(exist_ok=True)
    except OSError as exc:
        raise disk_error(exc, root, "creating the warehouse folders") from None
    for sub in ("quarters", "rejects"):
        if not (root / sub).is_dir():
            raise FaersError(f"{root / sub} is a file, not a folder; move it away and run again")


# --- the writers' lock and recovery on open -------------------------------------------------------


@contextlib.contextmanager
def writer_lock(root: Path, wait: bool = True) -> Iterator[list[str] | None]:
    """Hold the warehouse's exclusive lock (one writer at a time) and recover what a dead writer left.

    Yields what recovery did once held (see :func:`recover`). With ``wait=False`` it yields None at
    once when another process holds the lock.
    """
    root = Path(root)
    _writable_root(root)
    lock = root / ".lock"
    if lock.is_dir():
        raise FaersError(
            f"{lock} is a folder, not the warehouse's lock file; remove it (rmdir) and run again"
        )
    try:
        fh = lock.open("a")
    except OSError as exc:
        raise disk_error(exc, lock, "opening the lock file") from None
    with fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            yield recover(root)
            return
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        try:
            yield recover(root)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def recover(root: Path) -> list[str]:
    """Finish the commits a dead writer left and remove its unfinished staging; what was done.

    Call only while holding the lock (no live writer then owns a staging folder)."""
    done: list[str] = []
    for journal in sorted(p for p in root.iterdir() if _JOURNAL.match(p.name)):
        try:
            doc = loads_json(read_bounded(journal, MAX_METADATA))
            steps, cleanup = doc["steps"], doc["cleanup"]
        except (ValueError, KeyError, TypeError):
            # a journal is renamed into place only once complete; an unreadable one is damage
            raise FaersError(
                f"{journal}: an unreadable commit journal; look at the warehouse by hand "
                "(quarters/.tmp-* hold the staged copy) and remove the journal"
            ) from None
        _confine_journal(root, journal, steps, cleanup)
        _replay(root, steps)
        journal.unlink()
        _remove(root, cleanup)
        done.append(f"completed the interrupted commit {journal.name}")
    updates = root / UPDATES
    if (
        updates.is_dir()
    ):  # layers no dedup.json lists: an update not committed, or folded by a rebuild
        doc, _ = _read_json(root / "dedup.json")
        if (
            doc is not None and _updates_problem(doc.get("updates", [])) is None
        ):  # else: keep all, repair by dedup
            listed = set(derived_layers(doc))
            for p in sorted(updates.iterdir()):
                if f"{UPDATES}/{p.name}" not in listed:
                    _rmtree(p)
                    done.append(f"removed {UPDATES}/{p.name}")
    qroot = root / "quarters"
    for p in sorted(qroot.iterdir()) if qroot.is_dir() else []:
        if p.name.startswith(".old-"):
            m = re.match(r"^\.old-(\d{4}q[1-4])-", p.name)
            final = qroot / m.group(1) if m else None
            for candidate in (p, p / "quarter"):
                if (
                    final is not None
                    and not final.exists()
                    and (candidate / "manifest.json").exists()
                ):
                    os.rename(candidate, final)
                    done.append(f"restored {final.name} from {p.name}")
                    break
        if _LEFTOVER.match(p.name) or p.name.endswith(".spill"):
            _rmtree(p)
            done.append(f"removed {p.name}")
    for p in sorted(root.iterdir()):
        if (_LEFTOVER.match(p.name) and not _JOURNAL.match(p.name)) or p.name.endswith(".spill"):
            _rmtree(p)
            done.append(f"removed {p.name}")
    return done


class JournalRefusedError(FaersError):
    """A commit journal recovery will not act on (paths outside the warehouse, an unknown shape)."""


def _confine_journal(root: Path, journal: Path, steps: object, cleanup: object) -> None:
    """Refuse a journal unless each step has its shape and every path it names stays in the warehouse.

    A warehouse copied from elsewhere may carry any journal: recovery must never rename or delete
    outside its own folder (``../victim``, an absolute path, a symlink leading out)."""
    top = root.resolve()

    def refuse(why: str) -> FaersError:
        return JournalRefusedError(
            f"{journal}: a commit journal that {why}; recovery refused it and changed nothing. "
            "Look at the warehouse by hand (quarters/.tmp-* hold a staged copy), "
            "then remove the journal"
        )

    if not isinstance(steps, list) or not isinstance(cleanup, list):
        raise refuse("is not a list of steps and a list of paths to clean up")
    paths: list[object] = list(cleanup)
    for step in steps:
        kind = step[0] if isinstance(step, list) and step and isinstance(step[0], str) else None
        arity = {"quarter": 4, "file": 3}.get(kind) if kind else None
        if arity is None or len(step) != arity:
            raise refuse(f"holds a step of unknown shape ({str(step)[:80]!r})")
        paths.extend(step[1:])
    for rel in paths:
        if not isinstance(rel, str) or not rel or "\x00" in rel or Path(rel).is_absolute():
            raise refuse(f"names {str(rel)[:80]!r}, not a path relative to the warehouse")
        where = (root / rel).resolve()
        if where == top or top not in where.parents:
            raise refuse(f"names {rel[:80]!r}, outside the warehouse {root}")


def _rmtree(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _replay(root: Path, steps: list[list[str]]) -> None:
    """Do the renames of a commit that are not done yet (each step is safe to repeat)."""
    for kind, *paths in steps:
        if kind == "quarter":  # staged -> final, the final in place moved to backup first
            staged, final, backup = (root / p for p in paths)
            if staged.exists():
                if final.exists():
                    os.rename(final, backup)
                os.rename(staged, final)
        else:  # "file": src replaces dst
            src, dst = (root / p for p in paths)
            if src.exists():
                os.replace(src, dst)


def _remove(root: Path, paths: list[str]) -> None:
    for p in paths:
        _rmtree(root / p)


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(path: Path) -> None:
    """Flush a file, or a folder with every file and folder under it, to disk (fsync)."""
    if path.is_dir():
        for sub in sorted(
            path.rglob("*"), reverse=True
        ):  # contents before the folders holding them
            _fsync(sub, directory=sub.is_dir())
        _fsync(path, directory=True)
    elif path.exists():
        _fsync(path)


def commit(root: Path, token: str, steps: list[tuple[str, ...]], cleanup: list[Path]) -> None:
    """Do ``steps`` (``("quarter", staged, final, backup)`` or ``("file", src, dst)``) as one commit.

    The journal is written first; after it, the commit is decided, and a kill or an error part way is
    completed by :func:`recover` (here at once for an error, or by the next writer for a kill).
    """
    rel = [[kind, *(str(Path(p).relative_to(root)) for p in paths)] for kind, *paths in steps]
    doc = {"steps": rel, "cleanup": [str(Path(p).relative_to(root)) for p in cleanup]}
    journal = root / f".commit-{token}.json"
    part = root / f".commit-{token}.json.part"
    folders = sorted({(root / p).parent for _kind, *paths in rel for p in paths} | {root})
    try:
        # a step's source may lie inside another's staged folder (it exists only after that rename)
        for staged in sorted({root / staged for _kind, staged, *_ in rel}):
            sync_tree(staged)
        for folder in sorted({(root / staged).parent for _kind, staged, *_ in rel}):
            if folder.is_dir():
                _fsync(folder, directory=True)  # the staged entries themselves
        with part.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(part, journal)
        _fsync(root, directory=True)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise disk_error(exc, journal, "writing the commit journal") from None
    try:
        _replay(root, rel)
        for folder in folders:
            if folder.is_dir():
                _fsync(folder, directory=True)
        journal.unlink()
    except OSError as exc:
        raise FaersError(
            f"{root}: the commit stopped part way ({exc}); it is recorded in {journal.name} "
            "and will be completed by the next `rxcompare faers ingest` or `faers dedup`"
        ) from None
    _remove(root, doc["cleanup"])


# --- readers beside a writer ---------------------------------------------------------------------------


def generation(root: Path) -> tuple | None:
    """Which state of the case tables a reader sees: dedup.json's inode, size and modification time
    (every commit that changes the case tables renames a new dedup.json into place, last); None
    while a commit is under way (its journal stands from before its first rename to after its last)."""
    root = Path(root)
    try:
        if any(_JOURNAL.match(n) for n in os.listdir(root)):
            return None
        st = (root / "dedup.json").stat()
    except OSError:
        return ("no dedup.json",)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_consistently(root: Path, read, attempts: int = 8, wait: float = 0.25, discard=None):
    """``read()`` over one state of the warehouse: the generation is taken before and after; when a
    commit came between, what was read (an answer, or the error a half-swapped file gave) is thrown
    away (``discard(answer)`` is called on an answer thrown away, e.g. to remove files it wrote)
    and read again. After ``attempts`` a :class:`FaersError` says the warehouse kept changing."""
    for _ in range(attempts):
        before = generation(root)
        if before is None:  # a commit is under way: wait for it
            time.sleep(wait)
            continue
        try:
            result, error = read(), None
        except Exception as exc:  # noqa: BLE001 - judged below: re-raised unless a commit came between
            result, error = None, exc
        if generation(root) == before:
            if error is not None:
                raise error
            return result
        if error is None and discard is not None:
            discard(result)
        time.sleep(wait)
    raise FaersError(
        f"warehouse {root}: it changed {attempts} times while it was read (an ingest or a dedup "
        "is committing); run again when that is done"
    )


# --- what is stored, checked --------------------------------------------------------------------------


def quarter_dirs(root: Path) -> dict[str, Path]:
    """The quarter folders of a warehouse: ``{"2022q4": <root>/quarters/2022q4, ...}`` (damaged ones too)."""
    qroot = Path(root) / "quarters"
    if not qroot.is_dir():
        return {}
    return {p.name: p for p in sorted(qroot.iterdir()) if QUARTER_DIR.match(p.name) and p.is_dir()}


def derived_layers(doc: dict | None) -> list[str]:
    """The folders holding the derived tables' layers, relative to the warehouse and oldest first:
    ``""`` (the last full build, in the warehouse's own folder), then each update since
    (``updates/<quarter>-<token>``). A row of a layer is current unless a later layer's
    ``retired.parquet`` lists its case id."""
    updates = (doc or {}).get("updates", [])
    if _updates_problem(updates):
        raise FaersError(
            f"dedup.json: {_updates_problem(updates)}; run `rxcompare faers dedup` to rebuild the case tables"
        )
    return [""] + [u["folder"] for u in updates]


_LAYER = re.compile(rf"^{UPDATES}/\d{{4}}q[1-4]-[0-9a-f]+$")


def _is_count(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _updates_problem(updates: object) -> str | None:
    if not isinstance(updates, list) or not all(
        isinstance(u, dict) and isinstance(u.get("folder"), str) and _LAYER.match(u["folder"])
        for u in updates
    ):
        return f"its updates ({str(updates)[:60]!r}) are not a list of update folders ({UPDATES}/<quarter>-<token>)"
    return None


def _files_problem(files: object) -> str | None:
    if not isinstance(files, dict) or not all(
        isinstance(k, str)
        and not k.startswith("/")
        and ".." not in k.split("/")
        and isinstance(v, dict)
        and all(_is_count(n) for n in v.values())
        for k, v in files.items()
    ):
        return f"its parquet record ({str(files)[:60]!r}) is not file names with their counts"
    return None


def _manifest_problem(doc: dict) -> str | None:
    """What is wrong with the types of a manifest read as JSON (None when nothing)."""
    if not isinstance(doc.get("rows"), dict) or not all(
        isinstance(k, str) and _is_count(v) for k, v in doc["rows"].items()
    ):
        return f"manifest.json's rows ({str(doc.get('rows'))[:60]!r}) are not table names with row counts"
    for key in ("quarter", "source", "sha256", "layout", "ingested_at"):
        if not isinstance(doc[key], str):
            return f"manifest.json's {key} is {doc[key]!r}, not a text"
    for key in ("rejects", "flagged", "deleted", "reports"):
        if key in doc and not _is_count(doc[key]):
            return f"manifest.json's {key} is {doc[key]!r}, not a count"
    if not isinstance(doc.get("missing_tables", []), list):
        return "manifest.json's missing_tables is not a list"
    return _files_problem(doc["parquet"]) if "parquet" in doc else None


def _dedup_problem(doc: dict) -> str | None:
    """What is wrong with the types of dedup.json read as JSON (None when nothing)."""
    for key in ("rows_before", "removed_older_versions", "removed_deleted", "after"):
        if not _is_count(doc[key]):
            return f"dedup.json's {key} is {doc[key]!r}, not a count"
    for key in ("reports_before", "removed_repeated", "removed_unkeyed"):
        if key in doc and not _is_count(doc[key]):
            return f"dedup.json's {key} is {doc[key]!r}, not a count"
    if not isinstance(doc["orphans"], dict) or not all(
        _is_count(v) for v in doc["orphans"].values()
    ):
        return (
            f"dedup.json's orphans ({str(doc['orphans'])[:60]!r}) are not table names with counts"
        )
    if not isinstance(doc["quarters"], dict) or not all(
        isinstance(v, str) for v in doc["quarters"].values()
    ):
        return f"dedup.json's quarters ({str(doc['quarters'])[:60]!r}) are not quarters with their sha256"
    problem = _updates_problem(doc.get("updates", []))
    if problem is None and "parquet" in doc:
        problem = _files_problem(doc["parquet"])
    return f"dedup.json: {problem}" if problem else None


def local_layers(root: Path) -> list[str]:
    """The derived tables' layers of a local warehouse (:func:`derived_layers`), read from its
    dedup.json unchecked (call :func:`require_current` first)."""
    return derived_layers(_read_json(Path(root) / "dedup.json")[0])


def layer_file(location: str, folder: str, name: str) -> str:
    """The path (or URL) of file ``name`` of the layer in ``folder`` of the warehouse at ``location``."""
    return "/".join(p for p in (location.rstrip("/"), folder, name) if p)


def file_record(path: Path, rows: int) -> dict[str, int]:
    """What the manifest records of a written file: its rows and size."""
    return {"rows": int(rows), "bytes": path.stat().st_size}


def _file_problems(files: dict[str, dict[str, int]], size_of, open_file) -> list[str]:
    """Problems of Parquet files against what was recorded (missing, size, footer, rows), wherever
    they are: ``size_of(name)`` is a file's size or None when it is not there, ``open_file(name)``
    opens it for reading."""
    problems = []
    for name, want in files.items():
        size = size_of(name)
        if size is None:
            problems.append(f"{name} is missing")
            continue
        if "bytes" in want and size != want["bytes"]:
            problems.append(f"{name} has {size:,} bytes, {want['bytes']:,} were written")
            continue
        try:
            with open_file(name) as fh:
                rows = pq.ParquetFile(fh).metadata.num_rows
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a damaged footer
            problems.append(f"{name} cannot be read ({str(exc).splitlines()[0][:100]})")
            continue
        if "rows" in want and rows != want["rows"]:
            problems.append(f"{name} has {rows:,} rows, {want['rows']:,} were written")
    return problems


def check_files(folder: Path, files: dict[str, dict[str, int]]) -> list[str]:
    """Problems of the Parquet files against what was recorded (missing, size, footer, rows)."""
    return _file_problems(
        files,
        lambda name: (folder / name).stat().st_size if (folder / name).is_file() else None,
        lambda name: (folder / name).open("rb"),
    )


def remote_problems(url: str) -> tuple[list[str], str | None, dict | None]:
    """The derived case tables at a URL (``s3://``, ``gs://``, ``hdfs://``, ``file://``) checked
    against the ``dedup.json`` beside them, as :func:`check_files` checks a local warehouse (size,
    footer, rows). Returns (problems, None, dedup.json's record), or ([], why, None) when this
    machine cannot open the URL's file system (pyarrow has no connector or no credentials for it):
    Spark's executors may still read it, so the caller goes on unchecked."""
    import pyarrow as pa
    from pyarrow import fs

    scheme, sep, rest = url.partition("://")
    if scheme in ("s3a", "s3n"):  # Hadoop's names for S3, which pyarrow calls s3
        url = f"s3{sep}{rest}"
    try:
        filesystem, base = fs.FileSystem.from_uri(url)
        info = filesystem.get_file_info(f"{base}/dedup.json")
    except (pa.ArrowException, OSError, ValueError) as exc:
        return (
            [],
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}",
            None,
        )
    if info.type != fs.FileType.File:
        return (
            [
                "it has no dedup.json beside the case tables (copy it with them: it records each "
                "file's rows and size)"
            ],
            None,
            None,
        )
    try:
        with filesystem.open_input_stream(f"{base}/dedup.json") as fh:
            doc = loads_json(fh.read(MAX_METADATA))
        files = doc["parquet"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"dedup.json cannot be read ({type(exc).__name__})"], None, None

    def size_of(name: str) -> int | None:
        got = filesystem.get_file_info(f"{base}/{name}")
        return got.size if got.type == fs.FileType.File else None

    return (
        _file_problems(files, size_of, lambda name: filesystem.open_input_file(f"{base}/{name}")),
        None,
        doc,
    )


def _read_json(path: Path) -> tuple[dict | None, str | None]:
    try:
        doc = loads_json(read_bounded(path, MAX_METADATA))
    except FileNotFoundError:
        return None, f"{path.name} is missing"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"{path.name} is not valid JSON ({str(exc)[:80]})"
    except OSError as exc:
        return None, f"{path.name} cannot be read ({exc.strerror})"
    if not isinstance(doc, dict):
        return None, f"{path.name} is not a JSON object"
    return doc, None


_MANIFEST_KEYS = ("quarter", "source", "sha256", "layout", "rows", "rejects", "ingested_at")


def read_manifest(qdir: Path) -> tuple[dict | None, list[str]]:
    """A quarter's manifest and the problems found checking its files (empty when all is well)."""
    doc, problem = _read_json(qdir / "manifest.json")
    if doc is None:
        return None, [problem]
    lacking = [k for k in _MANIFEST_KEYS if k not in doc]
    if lacking or not isinstance(doc.get("rows"), dict):
        return None, [f"manifest.json lacks {', '.join(lacking) or 'rows'}"]
    if problem := _manifest_problem(doc):
        return None, [problem]
    if doc["quarter"] != qdir.name:
        return None, [f"manifest.json is of quarter {doc['quarter']!r}, not {qdir.name}"]
    files = doc.get("parquet") or {f"{t}.parquet": {"rows": n} for t, n in doc["rows"].items()}
    return doc, check_files(qdir, files)


def read_dedup(root: Path) -> tuple[dict | None, list[str]]:
    """The derived tables' record (dedup.json) and the problems of the derived files; (None, []) before
    the first deduplication."""
    root = Path(root)
    if not (root / "dedup.json").exists() and not any(
        (root / f"{n}.parquet").exists() for n in DERIVED
    ):
        return None, []
    doc, problem = _read_json(root / "dedup.json")
    if doc is None:
        return None, [problem]
    lacking = [
        k
        for k in (
            "rows_before",
            "removed_older_versions",
            "removed_deleted",
            "after",
            "orphans",
            "quarters",
        )
        if k not in doc
    ]
    if lacking:
        return None, [f"dedup.json lacks {', '.join(lacking)}"]
    if problem := _dedup_problem(doc):
        return None, [problem]
    files = doc.get("parquet") or {f"{n}.parquet": {} for n in DERIVED}
    if "cases.parquet" in files and "rows" not in files["cases.parquet"]:
        files["cases.parquet"] = {**files["cases.parquet"], "rows": doc["after"]}
    return doc, check_files(root, files)


def held_quarters(root: Path) -> dict[str, tuple[dict | None, list[str]]]:
    """Each quarter folder's manifest and problems."""
    return {q: read_manifest(d) for q, d in quarter_dirs(root).items()}


def derived_state(root: Path) -> tuple[dict | None, list[str]]:
    """The derived case tables' record (dedup.json) and why they cannot be used as they are (empty
    when they can): missing, damaged, or built from other quarters than those held (stale)."""
    root = Path(root)
    doc, problems = read_dedup(root)
    if doc is None and not problems:
        return None, ["it has no case tables yet"]
    if problems:
        return doc, problems
    have = {q: (m or {}).get("sha256") for q, (m, _) in held_quarters(root).items()}
    built = doc["quarters"] if isinstance(doc["quarters"], dict) else {}
    if built != have:
        changed = sorted(
            set(built) ^ set(have) | {q for q in set(built) & set(have) if built[q] != have[q]}
        )
        return doc, [
            f"the case tables were built from other quarters than it holds (changed: {', '.join(changed)})"
        ]
    return doc, []


def derived_problems(root: Path) -> list[str]:
    """Why the derived case tables cannot be used as they are (:func:`derived_state`)."""
    return derived_state(root)[1]


def require_current(root: Path) -> None:
    """Raise :class:`FaersError` unless the derived case tables are present, whole and current."""
    root = Path(root)
    problems = derived_problems(root)
    if problems:
        raise FaersError(
            f"warehouse {root}: {'; '.join(problems)}; run `rxcompare faers dedup --warehouse {root}` "
            "(it rebuilds the case tables from the quarters held)"
        )
