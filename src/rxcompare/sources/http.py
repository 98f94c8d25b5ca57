"""The cached HTTP client every online stream shares: on-disk cache with expiry, retries with
backoff, bounded answers, an optional API key, clear errors.

:class:`CachedClient` knows no service. A stream subclasses it with its service's name, base-URL
setting, cache folder and endpoint form (and, where the service answers 404 or refusals its own way,
the failure messages): openFDA (:class:`rxcompare.sources.openfda.client.OpenFdaClient`), DailyMed,
ClinicalTrials.gov, RxNav, PubMed and Europe PMC. What the client does, in order:

1. **URL**: ``<base>/<endpoint>?<params>`` with the parameters sorted by name, so one query has one
   URL. That URL never holds the API key; it is the cache key (its SHA-256), the ``url`` of
   :class:`Fetched` and the only URL that ever reaches a citation or an error message.
2. **Cache**: one JSON file per URL under ``cache_dir`` (``{"url", "fetched_at", "data"}``). An entry
   younger than ``ttl`` is returned without a request; an older one is fetched again and replaced.
   A cache file that cannot be read is ignored and rewritten. Files are written atomically.
3. **Request**: ``GET`` with ``httpx``; a service's API key (``key_setting``) is added as the
   ``key_param`` parameter of the request only. The TLS context is made once per process, at the
   first request (an answer from the cache needs none).
4. **Answers**:

   - 200: the JSON body.
   - 404: :meth:`CachedClient._not_found` (a refusal here; openFDA reads its ``NOT_FOUND`` as an
     empty answer).
   - 429 and 5xx, and a connection dropped mid-answer: retried up to ``max_retries`` times, waiting
     ``backoff * 2**attempt`` seconds, or the server's ``Retry-After`` when it sends one (seconds or an
     HTTP date). A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error says
     how long the service asked to wait.
   - a host that cannot be reached (no network, DNS failure, refused connection):
     :class:`~rxcompare.errors.OnlineError` at once, without retries.
   - an answer past ``max_body`` bytes or slower than ``deadline`` seconds in all: refused.
   - anything else (400, 401/403, a body that is not JSON): :class:`~rxcompare.errors.OnlineError`
     quoting the status and the service's message.

The client never prints and never exits; errors are raised with what to do.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.sources.atomic import loads_json, read_bounded, write_json_atomic

if (
    TYPE_CHECKING
):  # httpx is imported where a request is made: commands that ask nothing start faster
    import httpx

__all__ = ["DEADLINE", "MAX_BODY", "CachedClient", "Fetched"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# A base URL and an endpoint that httpx writes back unchanged: an http(s) scheme and host in lower
# case (no user, no IDNA), a port other than the scheme's default, path segments of unreserved
# characters other than "." and ".." (RFC 3986 2.3, 6.2.2.3).
_SEGMENT = r"(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+"
_PLAIN_BASE = re.compile(
    rf"^(?P<scheme>https?)://[a-z0-9.-]+(?::(?P<port>[1-9][0-9]{{0,4}}))?(?:/{_SEGMENT})*$"
)
_PLAIN_PATH = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT})*$")
_DEFAULT_PORT = {"http": 80, "https": 443}
MAX_BODY = 64 << 20
"""Bytes of one answer (after decompression) read at most: the largest answers asked (openFDA label
pages, SPL documents) are a few MB; a body past this is refused, never held whole."""
DEADLINE = 120.0
"""Seconds one request may take in all (connection, every retry's wait excepted, and the whole body),
however steadily a server trickles bytes."""


@functools.cache
def _ssl_context():
    """One TLS context for every client of the process (certificates loaded once)."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Fetched:
    """One answer of a JSON service: the URL asked (never with the API key), the JSON, and when it was
    fetched."""

    url: str
    data: dict[str, Any]
    fetched_at: datetime  # UTC; for a cached answer, when it was first fetched
    from_cache: bool = False
    not_found: bool = False  # the service said nothing matched (openFDA's 404 NOT_FOUND)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CachedClient:
    """A small, careful client of one JSON service over HTTP (see the module docstring).

    A subclass names its service: ``service`` (the name in messages), ``base_setting`` (the setting
    of its base URL), ``cache_name`` (its folder under ``RXCOMPARE_CACHE``), ``endpoint_pattern`` and
    ``endpoint_form`` (the endpoints it may ask, and how a message words them), and ``key_setting``
    with ``key_param`` when it takes an API key. ``base``, ``api_key`` and ``cache_dir`` default to
    those settings. ``transport``, ``sleep`` and ``clock`` are injectable for tests (an
    ``httpx.MockTransport``, a recorder of waits, a fixed time).

    A service that answers other than JSON uses :meth:`_send` (the retry loop) with its own cache
    (:class:`rxcompare.sources.labels.dailymed.DailyMedClient`). What 404 means is
    :meth:`_not_found`; the failure messages (:meth:`_unreachable`, :meth:`_cut_short`,
    :meth:`_gave_up`, :meth:`_refused`) and how an error body is read (:meth:`_error_of`) may be
    reworded by a subclass.
    """

    service: str
    base_setting: settings.Setting
    key_setting: settings.Setting | None = None
    key_param = "api_key"
    cache_name: str
    endpoint_pattern: re.Pattern[str]
    endpoint_form: str

    def __init__(
        self,
        base: str | None = None,
        api_key: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        ttl: timedelta = timedelta(days=7),
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        *,
        timeout: float = 30.0,
        max_retry_after: float = 60.0,
        clock: Callable[[], datetime] = _utc_now,
        max_body: int = MAX_BODY,
        deadline: float = DEADLINE,
    ):
        base = (base or self.base_setting.get() or "").rstrip("/")
        if not re.match(r"^https?://[^/\s]+", base):
            raise ConfigError(
                f"{self.service} base URL {base!r} is not an http(s) URL; set {self.base_setting.env} to "
                f"something like {self.base_setting.default}"
            )
        if max_retries < 0 or backoff < 0:
            raise ConfigError(
                f"max_retries ({max_retries}) and backoff ({backoff}) must not be negative"
            )
        self.base = base
        if api_key is None and self.key_setting is not None:
            api_key = self.key_setting.get()
        self._api_key = api_key
        cache_root = (
            cache_dir
            if cache_dir is not None
            else Path(settings.CACHE.get() or ".") / self.cache_name
        )
        self.cache_dir = Path(cache_root)
        self.ttl = ttl
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_body = max_body
        self.deadline = deadline
        self._sleep = sleep
        self._clock = clock
        self._transport = transport
        self._timeout = timeout
        self._client: httpx.Client | None = None

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client, made at the first request: an answer from the cache needs none, and
        making one loads the system's certificates (about 0.4 s each time)."""
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                transport=self._transport,
                timeout=httpx.Timeout(self._timeout),
                headers={"User-Agent": "rxcompare (https://pypi.org/project/rxcompare/)"},
                follow_redirects=True,
                verify=_ssl_context(),
            )
        return self._client

    # --- public ------------------------------------------------------------------------------

    @property
    def has_api_key(self) -> bool:
        """Whether requests carry an API key (the key itself is never exposed)."""
        return bool(self._api_key)

    def url(self, endpoint: str, params: Mapping[str, Any]) -> str:
        """The URL of a query, parameters sorted, without the API key (the cache key and citation).

        It is httpx's spelling of the URL (``httpx.URL(base/endpoint, params=...)``): written here
        directly when the base and endpoint are already in normal form (lower-case scheme and host,
        no default port, unreserved path characters), so that an answer from the cache needs no
        httpx (loading it costs about as much as the command line's own start); any other base is
        left to httpx.
        """
        endpoint = endpoint.strip("/")
        if not self.endpoint_pattern.match(endpoint):
            raise ConfigError(
                f"{self.service} endpoint {endpoint!r} is not of the form {self.endpoint_form}"
            )
        items = sorted((k, str(v)) for k, v in params.items() if v is not None)
        if self.key_setting is not None and any(k == self.key_param for k, _ in items):
            raise ConfigError(
                f"pass the {self.service} API key as api_key= to the client (or "
                f"{self.key_setting.env}), not as a query parameter"
            )
        if _is_plain(self.base) and _PLAIN_PATH.match(endpoint):
            return f"{self.base}/{endpoint}" + (f"?{urlencode(items)}" if items else "")
        import httpx

        return str(httpx.URL(f"{self.base}/{endpoint}", params=items))

    def get(self, endpoint: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON answer of ``<base>/<endpoint>?<params>`` (cached)."""
        return self.fetch(endpoint, params).data

    def fetch(self, endpoint: str, params: Mapping[str, Any]) -> Fetched:
        """Like :meth:`get`, with the URL asked and when the answer was fetched."""
        url = self.url(endpoint, params)
        cached = self._read_cache(url)
        if cached is not None:
            return cached
        fetched = self._request(url, params)
        self._write_cache(fetched)
        return fetched

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- request and retries ---------------------------------------------------------------------

    def _with_key(self, url: str) -> httpx.URL:
        import httpx

        u = httpx.URL(url)
        return u.copy_merge_params({self.key_param: self._api_key}) if self._api_key else u

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _request(self, url: str, params: Mapping[str, Any]) -> Fetched:
        response = self._send(url)
        if response.status_code == 404:
            return self._not_found(response, url, params)
        return Fetched(url, self._json(response, url), self._clock())

    def _send(self, url: str) -> httpx.Response:
        """``GET url`` (with the key), retrying 429, 5xx and answers cut short as the module doc
        says; returns the 200 or 404 response, raises :class:`OnlineError` for anything else."""
        import httpx

        attempt = 0
        while True:
            try:
                response = self._bounded_get(url)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
                raise self._unreachable(self._scrub(str(exc)) or type(exc).__name__) from None
            except httpx.TooManyRedirects:
                raise OnlineError(
                    f"{self.service} at {self.base} redirected {url} too many times (a redirect loop); "
                    f"check {self.base_setting.env} or try again later"
                ) from None
            except httpx.DecodingError as exc:
                raise OnlineError(
                    f"{self.service} at {self.base} answered {url} with a body that cannot be decoded "
                    f"({self._scrub(str(exc)) or type(exc).__name__}: a damaged compressed reply); try again later"
                ) from None
            except httpx.TransportError as exc:  # the connection broke during the answer
                if attempt >= self.max_retries:
                    raise self._cut_short(
                        url, self._scrub(str(exc)) or type(exc).__name__, attempt + 1
                    ) from None
                self._sleep(self.backoff * 2**attempt)
                attempt += 1
                continue
            status = response.status_code
            if status in (200, 404):
                return response
            if status in _RETRY_STATUS:
                wait = self._wait(response, attempt)
                if attempt >= self.max_retries or wait is None:
                    raise self._gave_up(response, url, attempt + 1)
                self._sleep(wait)
                attempt += 1
                continue
            raise self._refused(response, url)

    def _bounded_get(self, url: str) -> httpx.Response:
        """``GET`` read as a stream: at most ``max_body`` bytes (decoded) within ``deadline`` seconds
        in all; the response returned holds its whole body."""
        import httpx

        start = time.monotonic()
        with self._http.stream("GET", self._with_key(url)) as streamed:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > self.max_body:
                    raise OnlineError(
                        f"{self.service} at {self.base} answered {url} with more than {self.max_body:,} bytes; "
                        "refused unread (no answer of this service is that large): try again later or check "
                        f"{self.base_setting.env}"
                    )
                if time.monotonic() - start > self.deadline:
                    raise OnlineError(
                        f"{self.service} at {self.base} took more than {self.deadline:.0f} s to answer {url} "
                        f"({len(body):,} bytes so far); the service is too slow now: try again later"
                    )
            drop = {"content-encoding", "content-length", "transfer-encoding"}
            headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in drop]
            return httpx.Response(
                streamed.status_code, headers=headers, content=bytes(body), request=streamed.request
            )

    # What each failure says; a subclass for another service may word them its own way.

    def _unreachable(self, reason: str) -> OnlineError:
        return OnlineError(
            f"{self.service} at {self.base} is unreachable ({reason}); check the network or run without --online"
        )

    def _cut_short(self, url: str, reason: str, attempts: int) -> OnlineError:
        return OnlineError(
            f"{self.service} at {self.base} did not finish answering {url} ({reason}) in "
            f"{attempts} attempts; try again later or run without --online"
        )

    def _wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when the server asks for too long."""
        wait = _retry_after(response.headers.get("Retry-After"), self._clock())
        if wait is None:
            return self.backoff * 2**attempt
        return wait if wait <= self.max_retry_after else None

    def _gave_up(self, response: httpx.Response, url: str, attempts: int) -> OnlineError:
        code, message = self._error_of(response)
        asked = _retry_after(response.headers.get("Retry-After"), self._clock())
        if response.status_code == 429:
            what = f"{self.service} at {self.base} refused {url} as over its rate limit (429 {code}: {message})"
            if asked is not None and asked > self.max_retry_after:
                what += f" and asks to wait {asked:.0f} s"
            else:
                what += f" {attempts} times"
            hint = "wait and run again" + (
                ""
                if self.has_api_key or self.key_setting is None
                else f", or set {self.key_setting.env} to raise the limit"
            )
            return OnlineError(f"{what}; {hint}")
        return OnlineError(
            f"{self.service} at {self.base} answered {response.status_code} ({code}: {message}) to {url} "
            f"{attempts} times; the service may be down: try again later or run without --online"
        )

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        code, message = self._error_of(response)
        return OnlineError(
            f"{self.service} at {self.base} answered {response.status_code} ({code}: {message}) to "
            f"{url}; check {self.base_setting.env} or run without --online"
        )

    def _not_found(self, response: httpx.Response, url: str, params: Mapping[str, Any]) -> Fetched:
        """What a 404 means: here a refusal; a service that answers "nothing matched" with a 404
        returns an empty answer instead (:class:`~rxcompare.sources.openfda.client.OpenFdaClient`)."""
        raise self._refused(response, url)

    def _error_of(self, response: httpx.Response) -> tuple[str, str]:
        """``(code, message)`` of an error answer: here the HTTP reason; a service with an error
        body of its own reads it."""
        return response.reason_phrase or str(response.status_code), ""

    def _json(self, response: httpx.Response, url: str) -> dict[str, Any]:
        try:
            data = response.json()
        except (
            ValueError,
            RecursionError,
        ):  # not JSON, not UTF-8, nested past Python's stack, a huge number
            data = None
        if not isinstance(data, dict):
            kind = response.headers.get("content-type", "unknown content type")
            raise OnlineError(
                f"{self.service} at {self.base} answered {url} with something that is not a JSON object "
                f"({kind}); try again later or check {self.base_setting.env}"
            )
        return data

    # --- cache -------------------------------------------------------------------------------

    def _cache_file(self, url: str) -> Path:
        return self.cache_dir / (hashlib.sha256(url.encode("utf-8")).hexdigest() + ".json")

    def _read_cache(self, url: str) -> Fetched | None:
        path = self._cache_file(url)
        try:
            entry = loads_json(read_bounded(path))
            fetched_at = datetime.fromisoformat(entry["fetched_at"])
            data = entry["data"]
            if entry["url"] != url or not isinstance(data, dict):
                return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None  # absent or unreadable: fetch again and overwrite
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        if self._clock() - fetched_at >= self.ttl:
            return None
        return Fetched(
            url, data, fetched_at, from_cache=True, not_found=bool(entry.get("not_found"))
        )

    def _write_cache(self, fetched: Fetched) -> None:
        entry = {
            "url": fetched.url,
            "fetched_at": fetched.fetched_at.isoformat(),
            "not_found": fetched.not_found,
            "data": fetched.data,
        }
        try:
            write_json_atomic(self._cache_file(fetched.url), entry, prefix=f".{self.cache_name}-")
        except OSError:
            pass  # a cache that cannot be written only costs a refetch


def _is_plain(base: str) -> bool:
    """Whether httpx would write ``base`` back as it is (see ``_PLAIN_BASE``)."""
    m = _PLAIN_BASE.match(base)
    if m is None:
        return False
    port = m["port"]
    return port is None or (int(port) <= 65535 and int(port) != _DEFAULT_PORT[m["scheme"]])


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date, RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
