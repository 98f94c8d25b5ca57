"""The openFDA client: the shared cached client (:class:`~rxcompare.sources.http.CachedClient`)
with openFDA's base URL, API key, endpoints and answers.

What is openFDA's own:

- the base URL ``RXCOMPARE_OPENFDA_BASE``, the API key ``OPENFDA_API_KEY`` sent as the ``api_key``
  parameter of the request only (https://open.fda.gov/apis/authentication/), the cache folder
  ``<RXCOMPARE_CACHE>/openfda`` and endpoints of the form ``noun/name.json``;
- 404 with openFDA's ``{"error": {"code": "NOT_FOUND", ...}}``: openFDA's way of saying that
  nothing matched (its server answers every empty search and every empty count this way; FDA/openfda
  ``api/faers/api.js``, and FDA/openfda issue #58). It is returned as an empty answer,
  ``{"meta": {"results": {"skip": 0, "limit": <limit>, "total": 0}}, "results": []}``, and cached;
  a 404 without ``NOT_FOUND`` is a refusal;
- errors quote openFDA's ``{"error": {"code", "message"}}``, with a hint for 400 (the query) and
  401/403 (the key);
- :meth:`OpenFdaClient.is_reachable`, a quick probe before a comparison asks for counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rxcompare import settings
from rxcompare.errors import OnlineError
from rxcompare.sources.http import CachedClient, Fetched

if TYPE_CHECKING:  # imported by the shared client where a request is made
    import httpx

__all__ = ["OpenFdaClient"]


class OpenFdaClient(CachedClient):
    """A small, careful openFDA client (see the module docstring and
    :class:`~rxcompare.sources.http.CachedClient`)."""

    service = "openFDA"
    base_setting = settings.OPENFDA_BASE
    key_setting = settings.OPENFDA_API_KEY
    cache_name = "openfda"
    endpoint_pattern = re.compile(r"^[a-z]+/[a-z0-9_]+\.json$")
    endpoint_form = "noun/name.json (e.g. drug/event.json)"

    def is_reachable(self, timeout: float = 3.0) -> bool:
        """A quick probe (one request, no retries, no cache): does openFDA answer at all?

        True when the server answers with a status below 500 (429 included: it is there, only busy).
        """
        import httpx

        url = self.url("drug/event.json", {"limit": 1})
        try:  # the status only: a body is never read, however long
            with self._http.stream("GET", self._with_key(url), timeout=timeout) as response:
                return response.status_code < 500
        except httpx.HTTPError:
            return False

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        code, message = self._error_of(response)
        status = response.status_code
        if status in (401, 403):
            hint = (
                "check that OPENFDA_API_KEY holds a valid key"
                if self.has_api_key
                else "try again later"
            )
            return OnlineError(
                f"openFDA at {self.base} refused {url} ({status} {code}: {message}); {hint}"
            )
        if status == 400:
            return OnlineError(
                f"openFDA rejected the query {url} (400 {code}: {message}); check the drug names and "
                "indication text for characters openFDA does not accept"
            )
        return super()._refused(response, url)

    def _not_found(self, response: httpx.Response, url: str, params: Mapping[str, Any]) -> Fetched:
        code, _ = self._error_of(response)
        if code != "NOT_FOUND":
            raise self._refused(response, url)
        limit = params.get("limit")
        data = {
            "meta": {
                "results": {
                    "skip": int(params.get("skip") or 0),
                    "limit": int(limit or 0),
                    "total": 0,
                }
            },
            "results": [],
        }
        return Fetched(url, data, self._clock(), not_found=True)

    def _error_of(self, response: httpx.Response) -> tuple[str, str]:
        """openFDA's ``{"error": {"code", "message"}}`` (or the HTTP reason when the body is not that)."""
        try:
            error = response.json().get("error") or {}
            return str(error.get("code") or response.reason_phrase), str(error.get("message") or "")
        except (ValueError, RecursionError, AttributeError):
            return response.reason_phrase or str(response.status_code), ""
