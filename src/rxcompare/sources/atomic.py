"""Writing a JSON file whole or not at all, for every source that keeps a document on disk.

:func:`write_json_atomic` writes to a temporary file in the target's folder, lets the caller check
what reached the disk, then renames it over the target: a reader sees the old file or the new one,
never half of one, and a failure leaves the target as it was and no temporary file behind. The HTTP
caches (:mod:`rxcompare.sources.http`, DailyMed), the trials store and the knowledge pack use it;
each decides what a failure means (a cache ignores it; a store or a pack reports it).

Reading a document whole is bounded the same way for every source: :func:`read_bounded` reads at most
a cap (``/dev/zero`` or a runaway file is refused after ``limit`` bytes, never held), and
:func:`loads_json` turns every way a text can fail to be JSON (nesting past Python's stack, a number
past its 4,300-digit limit) into a ``ValueError`` the caller words.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "FolderError",
    "TooLargeError",
    "loads_json",
    "read_bounded",
    "replacing",
    "sweep_leftovers",
    "write_json_atomic",
]

MAX_DOCUMENT = 64 << 20
"""Bytes of one JSON or CSV document read whole (a pack, a synonym list, a cached record) at most."""
MAX_METADATA = 16 << 20
"""Bytes of one warehouse metadata file (a manifest, dedup.json, a journal) at most."""


class TooLargeError(ValueError):
    """A file larger than its reader's cap; only ``limit + 1`` bytes of it were read."""


LEFTOVER_AGE = 3600.0
"""Seconds after which a temporary file of ours is a killed run's leftover, not a live writer's."""


def sweep_leftovers(folder: Path, prefix: str, suffix: str) -> list[Path]:
    """Remove the temporary files a killed run left in ``folder`` (``<prefix>*<suffix>``, as this
    module names them, untouched for :data:`LEFTOVER_AGE`); the files removed. A live writer's
    file is younger and stays; a file that cannot be removed is left for the next run."""
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (
            entry.name.startswith(prefix)
            and entry.name.endswith(suffix)
            and len(entry.name) > len(prefix) + len(suffix)
        ):
            continue
        try:
            if (
                entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > LEFTOVER_AGE
            ):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target`` (same suffix) to write the new file to: renamed over
    ``target`` when the block ends, removed when it raises. A reader, or a full disk, never sees
    ``target`` half written: it is the old file or the new one."""
    target = Path(target)
    sweep_leftovers(target.parent, f".{target.name}.", f".tmp{target.suffix}")
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent or "."
    )
    os.close(fd)
    try:
        mask = os.umask(0)
        os.umask(mask)
        # the mode a plain write would give (mkstemp's is private): the old file's, else the umask's
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~mask)
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_DOCUMENT) -> bytes:
    """The bytes of ``path``, read no further than ``limit`` (:class:`TooLargeError` past it)."""
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(
            f"{path} holds more than {limit:,} bytes, more than any such file should"
        )
    return data


def loads_json(data: bytes | str) -> Any:
    """``json.loads`` whose every failure is a ``ValueError`` (``UnicodeDecodeError`` included)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested deeper than can be read") from None


class FolderError(OSError):
    """The target's folder, or a temporary file in it, could not be made (nothing was written)."""


def write_json_atomic(
    target: str | os.PathLike[str],
    doc: Any,
    *,
    prefix: str = ".tmp-",
    indent: int | None = None,
    newline: bool = False,
    mode: int | None = None,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``doc`` as UTF-8 JSON (``ensure_ascii=False``) to ``target`` atomically.

    The temporary file is named ``<prefix>*.json`` in the target's folder (made when missing).
    ``indent`` and ``newline`` (a final line break) shape the text; ``mode`` is set on the file
    before the rename (a temporary file is private to its owner); ``check(path)`` is called on the
    written temporary file and may raise to refuse it. Raises :class:`FolderError` when the folder
    or the temporary file cannot be made, :class:`OSError` when writing or renaming fails, and
    whatever ``check`` raises; in every case the temporary file is removed and ``target`` is as it
    was.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(target.parent, prefix, ".json")
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".json", dir=target.parent)
    except OSError as exc:
        args = (exc.errno, exc.strerror, exc.filename) if exc.errno and exc.filename else exc.args
        raise FolderError(*args) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=indent)
            if newline:
                fh.write("\n")
        if mode is not None:
            os.chmod(tmp, mode)
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
