"""Asking ClinicalTrials.gov API v2: the client, the search for studies, the study records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.sources.http import CachedClient

if TYPE_CHECKING:  # imported by the shared client where a request is made
    import httpx

__all__ = [
    "MAX_PAGES",
    "PAGE_SIZE",
    "PHASE_FILTER",
    "SEARCH_FIELDS",
    "CtGovClient",
    "check_nct",
    "fetch_records",
    "search_studies",
]

PHASE_FILTER = "AREA[Phase]PHASE3 AND AREA[HasResults]true"
SEARCH_FIELDS = "NCTId,BriefTitle,Phase,HasResults"
PAGE_SIZE = 100
MAX_PAGES = 50
_NCT = re.compile(r"^NCT\d{8}$")


class CtGovClient(CachedClient):
    """The shared client's cache, retries and errors, for ClinicalTrials.gov API v2 (no key)."""

    service = "ClinicalTrials.gov"
    base_setting = settings.CTGOV_BASE
    key_setting = None
    cache_name = "ctgov"
    endpoint_pattern = re.compile(r"^studies(/NCT\d{8})?$")
    endpoint_form = "studies or studies/NCT followed by 8 digits"

    def __init__(self, base: str | None = None, **kw: Any):
        kw["api_key"] = ""
        super().__init__(base, **kw)

    def _not_found(self, response: httpx.Response, url: str, params: Any):
        raise OnlineError(
            f"ClinicalTrials.gov has no study at {url} (404); check the NCT id (--nct)"
        )

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        text = response.text[:200].strip() or response.reason_phrase
        hint = (
            "check the drug name and --nct ids"
            if response.status_code == 400
            else f"check {self.base_setting.env} or run without --online"
        )
        return OnlineError(
            f"ClinicalTrials.gov at {self.base} answered {response.status_code} ({text}) to {url}; {hint}"
        )


def search_studies(client: CtGovClient, name: str) -> tuple[list[str], list[str], int | None]:
    """(NCT ids, query URLs, registry total) of phase 3 (and 2/3) studies with results naming ``name``."""
    params: dict[str, Any] = {
        "query.intr": name,
        "filter.advanced": PHASE_FILTER,
        "fields": SEARCH_FIELDS,
        "pageSize": PAGE_SIZE,
        "countTotal": "true",
        "format": "json",
    }
    ids: list[str] = []
    urls: list[str] = []
    total: int | None = None
    seen_tokens: set[str] = set()
    token: str | None = None
    for _page in range(MAX_PAGES):
        fetched = client.fetch("studies", {**params, "pageToken": token} if token else params)
        urls.append(fetched.url)
        studies = fetched.data.get("studies")
        if not isinstance(studies, list):
            raise OnlineError(
                f"ClinicalTrials.gov answered {fetched.url} without a 'studies' list; try again later"
            )
        if total is None and isinstance(fetched.data.get("totalCount"), int):
            total = fetched.data["totalCount"]
        for s in studies:
            nct = (
                ((s or {}).get("protocolSection") or {})
                .get("identificationModule", {})
                .get("nctId")
            )
            if isinstance(nct, str) and _NCT.match(nct) and nct not in ids:
                ids.append(nct)
        token = fetched.data.get("nextPageToken")
        if not token:
            return ids, urls, total
        if token in seen_tokens:
            raise OnlineError(
                f"ClinicalTrials.gov repeated the page token {token!r} ({fetched.url}); stopped paging"
            )
        seen_tokens.add(token)
    raise OnlineError(
        f"ClinicalTrials.gov gave more than {MAX_PAGES} pages for {name!r}; name the trials with --nct"
    )


def check_nct(ids: Iterable[str]) -> tuple[str, ...]:
    out = []
    for x in ids:
        nct = x.strip().upper()
        if not _NCT.match(nct):
            raise ConfigError(
                f"--nct {x!r} is not an NCT id (NCT followed by 8 digits, e.g. NCT02792218)"
            )
        out.append(nct)
    return tuple(dict.fromkeys(out))


def fetch_records(client: CtGovClient, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each study's full record (``/studies/{nctId}``), by the id asked."""
    return {nct: client.fetch(f"studies/{nct}", {}).data for nct in ids}
