"""Europe PMC's REST search (``/search?query=...&format=json&resultType=lite``) as
:class:`~rxcompare.models.Publication` records: the second index of the literature stream (see
:mod:`rxcompare.sources.literature`). Titles and metadata only; no abstract is asked for
(``resultType=lite``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.models import Publication
from rxcompare.sources.literature.pubmed import (
    MAX_RESULTS,
    PUBMED_PAGE,
    SAFETY_WORDS,
    IndexClient,
    both_names,
    design_of,
)

__all__ = ["EuropePmcClient", "europepmc_query", "search_europepmc"]


class EuropePmcClient(IndexClient):
    """Europe PMC's REST API (search)."""

    service = "Europe PMC"
    base_setting = settings.EUROPEPMC_BASE
    cache_name = "europepmc"
    endpoint_pattern = re.compile(r"^search$")
    endpoint_form = "search"
    base_ends = "/europepmc/webservices/rest"


def europepmc_query(a_names: Sequence[str], b_names: Sequence[str]) -> str:
    """Europe PMC's query for a pair: each medicine by any of its names, both required, and a
    safety word."""

    def quoted(name: str) -> str:
        return '"' + " ".join(re.sub(r'["()\[\]:]', " ", name).split()) + '"'

    return both_names(a_names, b_names, quoted, "(" + " OR ".join(SAFETY_WORDS) + ")")


def _types(record: dict[str, Any]) -> tuple[str, ...]:
    listed = (record.get("pubTypeList") or {}).get("pubType")
    if isinstance(listed, list):
        return tuple(str(t).strip() for t in listed if str(t).strip())
    text = record.get("pubType")
    if isinstance(text, str):
        return tuple(t.strip() for t in text.split(";") if t.strip())
    return ()


def _year(record: dict[str, Any]) -> int | None:
    m = re.match(
        r"^\s*(\d{4})", str(record.get("pubYear") or record.get("firstPublicationDate") or "")
    )
    return int(m.group(1)) if m else None


def _publication(record: dict[str, Any], url: str) -> Publication | None:
    title = " ".join(str(record.get("title") or "").split())
    if not title:
        return None
    types = _types(record)
    pmid = str(record["pmid"]) if str(record.get("pmid") or "").isdigit() else None
    pmcid = str(record.get("pmcid") or "") or None
    link = (
        PUBMED_PAGE.format(pmid=pmid)
        if pmid
        else (
            f"https://europepmc.org/article/{record.get('source')}/{record.get('id')}"
            if record.get("source") and record.get("id")
            else None
        )
    )
    return Publication(
        title=title,
        journal=str(record.get("journalTitle") or ""),
        year=_year(record),
        design=design_of(types),
        publication_types=types,
        pmid=pmid,
        pmcid=pmcid if pmcid and pmcid.upper().startswith("PMC") else None,
        doi=str(record.get("doi") or "") or None,
        url=link,
        origin="europepmc",
        source_url=url,
    )


def search_europepmc(
    client: EuropePmcClient, query: str, limit: int = 20
) -> tuple[list[Publication], int, str]:
    """(publications, Europe PMC's hit count, the request URL) of one search page."""
    if not 1 <= limit <= MAX_RESULTS:
        raise ConfigError(f"limit {limit} is outside 1..{MAX_RESULTS}")
    fetched = client.fetch(
        "search",
        {
            "query": query,
            "format": "json",
            "resultType": "lite",
            "pageSize": limit,
        },
    )
    results = (fetched.data.get("resultList") or {}).get("result")
    if not isinstance(results, list):
        why = fetched.data.get("errMsg") or fetched.data.get("error")
        raise OnlineError(
            f"Europe PMC answered {fetched.url} without a result list"
            + (f" ({why})" if why else "")
            + "; check the query or try again later"
        )
    out, seen = [], set()
    for r in results:
        if not isinstance(r, dict):
            continue
        pub = _publication(r, fetched.url)
        key = pub and (pub.pmid or pub.doi or pub.title)
        if pub is not None and key not in seen:
            seen.add(key)
            out.append(pub)
    try:
        count = int(fetched.data.get("hitCount", len(out)))
    except (TypeError, ValueError):
        count = len(out)
    return out, count, fetched.url
