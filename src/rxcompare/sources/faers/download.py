"""Download FDA's quarterly FAERS / LAERS ASCII zips, resumably, with their sha256 recorded.

FDA publishes one zip per quarter at ``https://fis.fda.gov/content/Exports/faers_ascii_YYYYqN.zip``
(FAERS, 2012q4 on) and ``.../aers_ascii_YYYYqN.zip`` (legacy LAERS, 2004q1-2012q3). A partial
transfer is kept as ``<name>.part`` and resumed with an HTTP Range request; a finished file is checked
(its length against the server's, every member's CRC-32 inside the zip) and its sha256 written to
``<name>.sha256``. FDA does not publish checksums, so the sha256 records what was received.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from rxcompare.errors import OnlineError
from rxcompare.sources.faers.layout import (
    is_legacy_quarter,
    parse_quarter,
    quarter_range,
    sha256_file,
)

BASE_URL = "https://fis.fda.gov/content/Exports"
BASE_ENV = "RXCOMPARE_FAERS_URL"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Download:
    """One quarter's zip on disk."""

    quarter: str
    url: str
    path: str
    size: int
    sha256: str
    resumed_from: int  # bytes already on disk when this transfer started
    skipped: bool  # already downloaded and verified: nothing fetched


def zip_name(quarter: str) -> str:
    """FDA's file name for a quarter: ``faers_ascii_2023q1.zip`` or ``aers_ascii_2004q1.zip``."""
    q = parse_quarter(quarter)
    return f"{'aers' if is_legacy_quarter(q) else 'faers'}_ascii_{q}.zip"


def quarter_url(quarter: str, base_url: str | None = None) -> str:
    """The download address of a quarter's zip (``base_url`` defaults to FDA's, or RXCOMPARE_FAERS_URL)."""
    base = (base_url or os.environ.get(BASE_ENV) or BASE_URL).rstrip("/")
    return f"{base}/{zip_name(quarter)}"


def _verify_zip(path: Path, url: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise OnlineError(
            f"{url}: the file received is not a readable zip ({exc}); delete {path} and retry"
        ) from exc
    if bad is not None:
        raise OnlineError(
            f"{url}: member {bad} fails its CRC check; delete {path} and download again"
        )


def download_quarter(
    quarter: str,
    dest: str | os.PathLike[str],
    base_url: str | None = None,
    client: httpx.Client | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Download:
    """Download one quarter's zip into ``dest``; resume a ``.part`` file; verify; record sha256.

    Raises :class:`OnlineError` when the server cannot be reached, answers with an error, or the
    transfer breaks off (run again to resume from the bytes kept).
    """
    q = parse_quarter(quarter)
    url = quarter_url(q, base_url)
    dest_dir = Path(dest)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / zip_name(q)
    part = target.with_name(target.name + ".part")
    sidecar = target.with_name(target.name + ".sha256")
    if target.exists() and sidecar.exists():
        recorded = sidecar.read_text(encoding="utf-8").split()[0]
        if sha256_file(target) == recorded:
            return Download(q, url, str(target), target.stat().st_size, recorded, 0, True)
    own = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(60.0, connect=20.0), follow_redirects=True
    )
    start = part.stat().st_size if part.exists() else 0
    try:
        headers = {"Range": f"bytes={start}-"} if start else {}
        with client.stream("GET", url, headers=headers) as resp:
            if (
                resp.status_code == 416 and start
            ):  # the part is complete already, or the file changed
                part.unlink()
                return download_quarter(q, dest, base_url, client, progress)
            if resp.status_code == 404:
                raise OnlineError(f"{url}: not found (404); FDA may not have published {q} yet")
            if resp.status_code not in (200, 206):
                raise OnlineError(f"{url}: HTTP {resp.status_code}; try again later")
            if resp.status_code == 200:
                start = 0  # the server ignored the Range header: start over
            length = resp.headers.get("content-length")
            total = start + int(length) if length is not None else None
            done = start
            with part.open("ab" if start else "wb") as fh:
                for chunk in resp.iter_bytes():  # as received: a break keeps every byte
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(f"download {target.name}", done, total)
    except httpx.TransportError as exc:
        kept = part.stat().st_size if part.exists() else 0
        if part.exists() and kept == 0:
            part.unlink()
        raise OnlineError(
            f"{url}: cannot download ({type(exc).__name__}: {exc}); {kept} bytes kept in {part.name}. "
            "Check the internet connection and run the command again to resume, or ingest zips "
            "downloaded elsewhere with `rxcompare faers ingest`"
        ) from exc
    finally:
        if own:
            client.close()
    if total is not None and done != total:
        raise OnlineError(
            f"{url}: transfer stopped at {done} of {total} bytes; run again to resume"
        )
    _verify_zip(part, url)
    os.replace(part, target)
    digest = sha256_file(target)
    sidecar.write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    return Download(q, url, str(target), target.stat().st_size, digest, start, False)


def download_quarters(
    first: str,
    last: str,
    dest: str | os.PathLike[str],
    base_url: str | None = None,
    client: httpx.Client | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Download]:
    """Download every quarter from ``first`` to ``last`` (inclusive), one after the other."""
    return [
        download_quarter(q, dest, base_url, client, progress) for q in quarter_range(first, last)
    ]
