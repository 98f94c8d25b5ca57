"""DailyMed web services (v2): a label's versions and its current SPL document.

Two requests per product, both under ``base`` (``RXCOMPARE_DAILYMED_BASE``, default
``https://dailymed.nlm.nih.gov/dailymed/services/v2``):

- ``{base}/spls/{setid}/history.json``: ``{"data": {"spl": {"title", "setid"}, "history":
  [{"spl_version": 3, "published_date": "May 02, 2019"}, ...]}, "metadata": {...}}`` -- every
  version of the label, read as :class:`SplHistory`;
- ``{base}/spls/{setid}.xml``: the current SPL XML document (parsed by
  :func:`rxcompare.sources.labels.spl.parse_spl`, not here).

The policy is the one of :mod:`rxcompare.sources.http`: answers cached on disk (per URL under
``<RXCOMPARE_CACHE>/dailymed``, a JSON record and the answer's bytes beside it, written
atomically; up to the download cap, so an answer fetched once is kept; a version history expires after
``ttl``, a document is kept under the version it was asked for, since a version never changes);
429 and 5xx and a connection dropped mid-answer (a partial download) retried with exponential
backoff or the server's ``Retry-After``; an unreachable host reported at once. A set id DailyMed
does not know (404), an answer that is not what was asked (an HTML error page, another label's
history, an empty history) raise :class:`~rxcompare.errors.OnlineError` saying so; the client
never prints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.sources.atomic import loads_json, read_bounded, replacing, write_json_atomic
from rxcompare.sources.http import CachedClient

if TYPE_CHECKING:  # imported by the shared client where a request is made
    import httpx

__all__ = ["DailyMedClient", "SplHistory", "is_set_id"]

_SET_ID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


def is_set_id(value: str | None) -> bool:
    """Whether ``value`` is an SPL set id (a UUID), as DailyMed and openFDA key labels."""
    return bool(value and _SET_ID.match(value.strip()))


@dataclass(frozen=True)
class SplHistory:
    """The versions of one label, newest first: ``(version, published ISO date)``."""

    set_id: str
    title: str
    versions: tuple[tuple[str, str], ...]
    url: str

    @property
    def current(self) -> tuple[str, str]:
        return self.versions[0]


@dataclass(frozen=True)
class _Answer:
    url: str
    body: bytes  # as sent: the XML's own encoding declaration stays true
    fetched_at: datetime
    from_cache: bool = False


def _published(value: Any) -> str | None:
    try:
        return datetime.strptime(str(value).strip(), "%b %d, %Y").date().isoformat()
    except ValueError:
        return None


class DailyMedClient(CachedClient):
    """DailyMed v2 client: :meth:`history` and :meth:`document` (see the module docstring).

    The set-up, the retries and the cache folder are the shared client's
    (:class:`~rxcompare.sources.http.CachedClient`, no key); the cache holds the answers' bytes
    under a key that can name the version asked for.
    """

    service = "DailyMed"
    base_setting = settings.DAILYMED_BASE
    key_setting = None
    cache_name = "dailymed"
    endpoint_pattern = re.compile(r"^spls/[0-9a-f-]{36}(/history\.json|\.xml)$")
    endpoint_form = "spls/SETID/history.json or spls/SETID.xml"

    def __init__(
        self,
        base: str | None = None,
        *,
        ttl: timedelta = timedelta(days=1),
        timeout: float = 60.0,
        **kw: Any,
    ):
        """``cache_dir``, ``transport``, ``max_retries``, ``backoff``, ``sleep``, ``max_retry_after``
        and ``clock`` as the shared client's; no key. A version history expires after ``ttl``."""
        super().__init__(base, api_key="", ttl=ttl, timeout=timeout, **kw)

    # --- public ------------------------------------------------------------------------------

    def history(self, set_id: str) -> SplHistory:
        """Every version of the label ``set_id``, newest first."""
        set_id = self._set_id(set_id)
        url = f"{self.base}/spls/{set_id}/history.json"
        answer = self._get(url, url, self.ttl, set_id)
        try:
            doc = loads_json(answer.body)
            data = doc["data"]
            spl, rows = data.get("spl") or {}, data["history"]
            versions = [(str(int(r["spl_version"])), _published(r["published_date"])) for r in rows]
        except (KeyError, TypeError, ValueError, AttributeError):
            self._forget(url)
            raise OnlineError(
                f"DailyMed answered {url} with something that is not a version history (expected "
                '{"data": {"spl": ..., "history": [{"spl_version", "published_date"}]}}); try again '
                "later or check RXCOMPARE_DAILYMED_BASE"
            ) from None
        answered = str(spl.get("setid") or set_id).lower()
        if answered != set_id:
            self._forget(url)
            raise OnlineError(
                f"DailyMed answered {url} with the history of another label (set id {answered})"
            )
        if not versions or any(d is None for _, d in versions):
            self._forget(url)
            raise OnlineError(
                f"DailyMed's history of set id {set_id} ({url}) lists no dated version"
            )
        versions.sort(key=lambda v: int(v[0]), reverse=True)
        return SplHistory(
            set_id, str(spl.get("title") or ""), tuple((v, str(d)) for v, d in versions), url
        )

    def document(self, set_id: str, version: str | None = None) -> tuple[str, bytes]:
        """``(url, bytes)`` of the current SPL XML of ``set_id``. With ``version`` (the current
        version from :meth:`history`) the answer is cached under it and kept; call
        :meth:`forget_document` when it turns out not to be that version."""
        set_id = self._set_id(set_id)
        url = f"{self.base}/spls/{set_id}.xml"
        key = f"{url}#version={version}" if version else url
        answer = self._get(url, key, None if version else self.ttl, set_id)
        return url, answer.body

    def forget_document(self, set_id: str, version: str | None = None) -> None:
        url = f"{self.base}/spls/{self._set_id(set_id)}.xml"
        self._forget(f"{url}#version={version}" if version else url)

    # --- request and retries ---------------------------------------------------------------------

    @staticmethod
    def _set_id(set_id: str) -> str:
        if not is_set_id(set_id):
            raise ConfigError(
                f"{set_id!r} is not an SPL set id (a UUID such as 9525f887-a055-4e33-8e92-898d42828cd1)"
            )
        return set_id.strip().lower()

    def _get(self, url: str, key: str, ttl: timedelta | None, set_id: str) -> _Answer:
        cached = self._read_answer(key, ttl)
        if cached is not None:
            return cached
        answer = self._download(url, set_id)
        self._write_answer(key, answer)
        return answer

    def _download(self, url: str, set_id: str) -> _Answer:
        response = self._send(url)
        if response.status_code == 404:
            raise OnlineError(
                f"DailyMed has no label with set id {set_id} ({url} answered 404): the set id no "
                "longer exists or was never DailyMed's"
            )
        return _Answer(url, response.content, self._clock())

    def _unreachable(self, reason: str) -> OnlineError:
        return OnlineError(
            f"DailyMed at {self.base} is unreachable ({reason}); check the network or RXCOMPARE_DAILYMED_BASE"
        )

    def _cut_short(self, url: str, reason: str, attempts: int) -> OnlineError:
        return OnlineError(
            f"DailyMed at {self.base} did not finish sending {url} ({reason}) in {attempts} attempts "
            "(a partial download); try again later"
        )

    def _gave_up(self, response: httpx.Response, url: str, attempts: int) -> OnlineError:
        return OnlineError(
            f"DailyMed at {self.base} answered {response.status_code} ({response.reason_phrase}) to {url} "
            f"{attempts} times; the service may be down or busy: try again later"
        )

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        return OnlineError(
            f"DailyMed at {self.base} answered {response.status_code} ({response.reason_phrase}) to {url}; "
            "check RXCOMPARE_DAILYMED_BASE"
        )

    # --- cache -------------------------------------------------------------------------------

    # An entry is two files: ``<sha256 of key>.json`` (key, url, fetched_at, the body's size and
    # sha256) and ``<sha256 of key>.body`` (the answer's bytes as received, read back up to the
    # client's ``max_body``, the cap of the download itself): any answer that could be fetched can
    # be kept (as base64 inside the JSON, answers over 48 MB passed the JSON cap of 64 MB and were
    # fetched again each time). The body is written first, the record last; a record whose body
    # is missing or differs is a miss. Entries of the older one-file form (base64 ``body``) are read.

    def _body_file(self, key: str) -> Path:
        return self._cache_file(key).with_suffix(".body")

    def _forget(self, key: str) -> None:
        self._cache_file(key).unlink(missing_ok=True)
        self._body_file(key).unlink(missing_ok=True)

    def _read_answer(self, key: str, ttl: timedelta | None) -> _Answer | None:
        try:
            entry = loads_json(read_bounded(self._cache_file(key)))
            fetched_at = datetime.fromisoformat(entry["fetched_at"])
            if entry["key"] != key:
                return None
            if "body" in entry:  # the older one-file form
                body = base64.b64decode(entry["body"], validate=True)
            else:
                body = read_bounded(self._body_file(key), self.max_body)
                if (
                    len(body) != entry["size"]
                    or hashlib.sha256(body).hexdigest() != entry["sha256"]
                ):
                    return None  # a body of another answer, or cut: fetch again
        except (OSError, ValueError, KeyError, TypeError, binascii.Error):
            return None  # absent or unreadable: fetch again and overwrite
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        if ttl is not None and self._clock() - fetched_at >= ttl:
            return None
        return _Answer(entry["url"], body, fetched_at, from_cache=True)

    def _write_answer(self, key: str, answer: _Answer) -> None:
        entry = {
            "key": key,
            "url": answer.url,
            "fetched_at": answer.fetched_at.isoformat(),
            "size": len(answer.body),
            "sha256": hashlib.sha256(answer.body).hexdigest(),
        }
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with replacing(self._body_file(key)) as tmp:
                tmp.write_bytes(answer.body)
            write_json_atomic(self._cache_file(key), entry, prefix=".dailymed-")
        except OSError:
            pass  # a cache that cannot be written only costs a refetch
