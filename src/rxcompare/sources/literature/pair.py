"""The publications on a pair of medicines, from the index the client names (PubMed or Europe PMC)
or, offline, the pack's curated publications: :func:`studies_for_pair`. It stands apart from both
clients' modules so that neither imports the other."""

from __future__ import annotations

from collections.abc import Iterable

from rxcompare.models import Drug, Fact, Incidence, Literature
from rxcompare.sources.http import CachedClient
from rxcompare.sources.literature.europepmc import europepmc_query, search_europepmc
from rxcompare.sources.literature.pubmed import (
    DESIGNS,
    PubMedClient,
    curated_publications,
    pair_term,
    search_pmids,
    summaries,
)

__all__ = ["studies_for_pair"]


def _names(drug: Drug) -> list[str]:
    p = drug.product
    return [p.brand, p.ingredient] if drug.products else [drug.ingredient]


def studies_for_pair(
    a: Drug,
    b: Drug,
    client: CachedClient | None = None,
    *,
    limit: int = 20,
    curated: Iterable[Fact | Incidence] = (),
) -> Literature:
    """The publications on a pair: online (``client`` a :class:`PubMedClient` or a
    :class:`~rxcompare.sources.literature.europepmc.EuropePmcClient`), the index's records for the
    pair's term (:func:`pair_term`), the strongest designs first, then the pack's curated
    publications among ``curated`` that the index did not list; offline (``client`` None), the
    pack's curated publications among ``curated`` (both drugs' facts and incidences)."""
    names = (a.name, b.name)
    if client is None:
        return Literature(names=names, publications=tuple(curated_publications(curated)))
    if isinstance(client, PubMedClient):
        term = pair_term(_names(a), _names(b))
        pmids, count, search_url = search_pmids(client, term, retmax=limit)
        pubs, summary_url = summaries(client, pmids)
        urls = (search_url,) + ((summary_url,) if summary_url else ())
    else:  # a Europe PMC client
        term = europepmc_query(_names(a), _names(b))
        pubs, count, url = search_europepmc(client, term, limit)
        urls = (url,)
    rank = {design: i for i, (_t, design) in enumerate(DESIGNS)}
    pubs.sort(
        key=lambda p: rank.get(p.design, len(DESIGNS))
    )  # stable: the index's order within a design
    listed = {k for p in pubs for k in _keys(p)}
    pubs += [p for p in curated_publications(curated) if not listed & set(_keys(p))]
    return Literature(
        names=names, publications=tuple(pubs), query=term, count=count, urls=urls, online=True
    )


def _keys(p) -> tuple[str, ...]:
    """The identifiers one publication may be found by in another list (PMID, PMCID, DOI)."""
    return tuple(
        f"{kind}:{value.lower()}"
        for kind, value in (("pmid", p.pmid), ("pmcid", p.pmcid), ("doi", p.doi))
        if value
    )
