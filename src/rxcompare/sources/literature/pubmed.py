"""PubMed E-utilities (ESearch, ESummary) as :class:`~rxcompare.models.Publication` records; the
pack's curated publications offline. See :mod:`rxcompare.sources.literature`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.models import Fact, Incidence, Publication
from rxcompare.sources.http import CachedClient

if TYPE_CHECKING:  # imported by the shared client where a request is made
    import httpx

__all__ = [
    "DESIGNS",
    "IndexClient",
    "PubMedClient",
    "both_names",
    "curated_publications",
    "design_of",
    "pair_term",
    "search_pmids",
    "summaries",
]

MAX_RESULTS = 100  # PMIDs asked of ESearch at most (ESummary takes them in one request)
SAFETY_WORDS = ("safety", "adverse", "risk", "infection", "malignancy", "tolerability")
PUBMED_PAGE = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
_PMID = re.compile(r"^\d{1,9}$")

# PubMed publication types -> the design they say, strongest first; the first type a record has
# names its design. Types not here ("Journal Article", "English Abstract", ...) say no design.
DESIGNS: tuple[tuple[str, str], ...] = (
    ("Meta-Analysis", "meta-analysis"),
    ("Systematic Review", "systematic review"),
    ("Randomized Controlled Trial", "randomised controlled trial"),
    ("Pragmatic Clinical Trial", "pragmatic clinical trial"),
    ("Clinical Trial, Phase III", "clinical trial (phase III)"),
    ("Clinical Trial, Phase II", "clinical trial (phase II)"),
    ("Controlled Clinical Trial", "controlled clinical trial"),
    ("Clinical Trial", "clinical trial"),
    ("Observational Study", "observational study"),
    ("Comparative Study", "comparative study"),
    ("Multicenter Study", "multicentre study"),
    ("Review", "review"),
    ("Case Reports", "case report"),
    ("Letter", "letter"),
    ("Editorial", "editorial"),
    ("Comment", "comment"),
)
NO_DESIGN = "design not given by the publication types"


class IndexClient(CachedClient):
    """The shared client's cache, retries and errors, for a literature index that takes no key;
    ``base_ends`` is how its base URL ends, for the hint of a 404."""

    key_setting = None
    base_ends = ""

    def _not_found(self, response: httpx.Response, url: str, params: Any):
        raise OnlineError(
            f"{self.service} at {self.base} has no {url} (404); check {self.base_setting.env} "
            f"(the base ends in {self.base_ends})"
        )

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        text = response.text[:200].strip() or response.reason_phrase
        return OnlineError(
            f"{self.service} at {self.base} answered {response.status_code} ({text}) to {url}; "
            f"check the drug names and {self.base_setting.env}, or run without --online"
        )


class PubMedClient(IndexClient):
    """NCBI E-utilities (ESearch, ESummary)."""

    service = "PubMed E-utilities"
    base_setting = settings.PUBMED_BASE
    cache_name = "pubmed"
    endpoint_pattern = re.compile(r"^(esearch|esummary)\.fcgi$")
    endpoint_form = "esearch.fcgi or esummary.fcgi"
    base_ends = "/entrez/eutils"


def both_names(
    a_names: Sequence[str], b_names: Sequence[str], quote: Callable[[str], str], safety: str
) -> str:
    """A query for a pair: each medicine by any of its names (``quote``d), both required, and
    the ``safety`` clause."""
    sides = []
    for names in (a_names, b_names):
        kept = list(dict.fromkeys(n.strip().lower() for n in names if n and n.strip()))
        if not kept:
            raise ConfigError("a literature search needs at least one name for each medicine")
        sides.append("(" + " OR ".join(quote(n) for n in kept) + ")")
    return " AND ".join((*sides, safety))


def pair_term(a_names: Sequence[str], b_names: Sequence[str]) -> str:
    """The ESearch term for a pair: each medicine by any of its names in title or abstract, both
    required, and a safety word (PubMed's own search syntax, ``[tiab]`` = title/abstract)."""

    def tiab(name: str) -> str:
        return '"' + " ".join(re.sub(r'["\[\]()]', " ", name).split()) + '"[tiab]'

    return both_names(
        a_names, b_names, tiab, "(" + " OR ".join(f"{w}[tiab]" for w in SAFETY_WORDS) + ")"
    )


def search_pmids(client: PubMedClient, term: str, retmax: int = 20) -> tuple[list[str], int, str]:
    """(PMIDs, PubMed's count for the term, the request URL) of an ESearch."""
    if not 1 <= retmax <= MAX_RESULTS:
        raise ConfigError(f"retmax {retmax} is outside 1..{MAX_RESULTS}")
    fetched = client.fetch(
        "esearch.fcgi",
        {
            "db": "pubmed",
            "term": term,
            "retmode": "json",
            "retmax": retmax,
            "sort": "relevance",
        },
    )
    result = fetched.data.get("esearchresult")
    if not isinstance(result, dict) or not isinstance(result.get("idlist"), list):
        why = result.get("ERROR") if isinstance(result, dict) else None
        raise OnlineError(
            f"PubMed answered {fetched.url} without an id list"
            + (f" ({why})" if why else "")
            + "; check the term or try again later"
        )
    ids = [str(x) for x in result["idlist"] if _PMID.match(str(x))]
    try:
        count = int(result.get("count", len(ids)))
    except (TypeError, ValueError):
        count = len(ids)
    return list(dict.fromkeys(ids)), count, fetched.url


def design_of(types: Iterable[str]) -> str:
    """The design a record's publication types name (:data:`DESIGNS`), strongest first."""
    have = {t.strip().lower() for t in types}
    for pubtype, design in DESIGNS:
        if pubtype.lower() in have:
            return design
    return NO_DESIGN


def _year(record: dict[str, Any]) -> int | None:
    for key in ("sortpubdate", "pubdate", "epubdate"):
        m = re.match(r"^\s*(\d{4})", str(record.get(key) or ""))
        if m:
            return int(m.group(1))
    return None


def _ids(record: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for x in record.get("articleids") or ():
        if isinstance(x, dict) and x.get("idtype") and x.get("value"):
            out.setdefault(str(x["idtype"]).lower(), str(x["value"]))
    return out


def _publication(pmid: str, record: dict[str, Any], url: str) -> Publication | None:
    title = " ".join(str(record.get("title") or "").split())
    if record.get("error") or not title:
        return None
    types = tuple(str(t) for t in record.get("pubtype") or () if t)
    ids = _ids(record)
    pmcid = ids.get("pmc") or ids.get("pmcid")
    return Publication(
        title=title,
        journal=str(record.get("fulljournalname") or record.get("source") or ""),
        year=_year(record),
        design=design_of(types),
        publication_types=types,
        pmid=pmid,
        pmcid=pmcid if pmcid and pmcid.upper().startswith("PMC") else None,
        doi=ids.get("doi"),
        url=PUBMED_PAGE.format(pmid=pmid),
        origin="pubmed",
        source_url=url,
    )


def summaries(client: PubMedClient, pmids: Sequence[str]) -> tuple[list[Publication], str | None]:
    """The publications of an ESummary of ``pmids``, in the order asked (PMIDs PubMed cannot
    summarise are left out), and the request URL (None when no PMID was given)."""
    ids = [p for p in dict.fromkeys(str(x).strip() for x in pmids) if p]
    bad = [p for p in ids if not _PMID.match(p)]
    if bad:
        raise ConfigError(f"not PubMed ids: {', '.join(bad)} (a PMID is 1 to 9 digits)")
    if not ids:
        return [], None
    fetched = client.fetch(
        "esummary.fcgi", {"db": "pubmed", "id": ",".join(ids), "retmode": "json"}
    )
    result = fetched.data.get("result")
    if not isinstance(result, dict):
        why = fetched.data.get("error") or fetched.data.get("esummaryresult")
        raise OnlineError(
            f"PubMed answered {fetched.url} without a result"
            + (f" ({why})" if why else "")
            + "; try again later"
        )
    out = []
    for pmid in ids:
        record = result.get(pmid)
        if isinstance(record, dict):
            pub = _publication(pmid, record, fetched.url)
            if pub is not None:
                out.append(pub)
    return out, fetched.url


def curated_publications(records: Iterable[Fact | Incidence]) -> list[Publication]:
    """The publication documents the given facts and incidences cite (class ``publication``),
    one per document, with the identifiers their citation carries."""
    out: dict[str, Publication] = {}
    for r in records:
        c = r.citation
        if c.source_class != "publication":
            continue
        key = c.url or c.title
        if key in out:
            continue
        d = dict(c.detail)
        m = re.match(r"^(\d{4})", c.effective_date or "")
        out[key] = Publication(
            title=c.title,
            year=int(m.group(1)) if m else None,
            pmid=d.get("PMID"),
            pmcid=d.get("PMCID"),
            doi=d.get("DOI"),
            url=c.url,
            origin="curated",
            design="trial registry record" if d.get("registry") else "",
        )
    return list(out.values())
