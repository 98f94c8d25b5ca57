"""The literature stream: what PubMed indexes on a pair of medicines -- titles and metadata only.

Online (``RXCOMPARE_PUBMED_BASE``, default ``https://eutils.ncbi.nlm.nih.gov/entrez/eutils``), two
E-utilities requests, cached, retried and worded like every other client
(:class:`~rxcompare.sources.http.CachedClient`):

1. ``esearch.fcgi?db=pubmed&term=...&retmode=json&retmax=N&sort=relevance``: the PMIDs of the pair's
   term (:func:`pair_term`: each medicine by its names in title/abstract, both required, with
   safety words), read from ``esearchresult.idlist`` (``count`` is how many PubMed holds);
2. ``esummary.fcgi?db=pubmed&id=...&retmode=json``: each PMID's summary in ``result[pmid]``
   (``title``, ``fulljournalname`` / ``source``, ``pubdate`` / ``sortpubdate``, ``pubtype``,
   ``articleids``). A PMID PubMed cannot summarise answers ``{"uid": ..., "error": ...}`` and is
   left out.

Europe PMC (``RXCOMPARE_EUROPEPMC_BASE``, default
``https://www.ebi.ac.uk/europepmc/webservices/rest``) is the other index:
``search?query=...&format=json&resultType=lite&pageSize=N``, read from ``resultList.result``
(``title``, ``journalTitle``, ``pubYear``, ``pubType``, ``pmid``, ``pmcid``, ``doi``) and
``hitCount``; ``resultType=lite`` asks for no abstract.

Each record becomes a :class:`~rxcompare.models.Publication`: the paper's own title (quoted), its
journal, year, publication types and the design read from them (:func:`design_of`), PMID, PMCID,
DOI and its PubMed link. No abstract is fetched and no sentence about a medicine is made from one.

Offline, :func:`curated_publications` lists the publications the knowledge pack cites (documents of
class ``publication``), from the facts and incidences given.

The one call for a comparison: :func:`studies_for_pair`.
"""

from rxcompare.sources.literature.europepmc import (
    EuropePmcClient,
    europepmc_query,
    search_europepmc,
)
from rxcompare.sources.literature.pair import studies_for_pair
from rxcompare.sources.literature.pubmed import (
    DESIGNS,
    PubMedClient,
    curated_publications,
    design_of,
    pair_term,
    search_pmids,
    summaries,
)

__all__ = [
    "DESIGNS",
    "EuropePmcClient",
    "PubMedClient",
    "curated_publications",
    "design_of",
    "europepmc_query",
    "pair_term",
    "search_europepmc",
    "search_pmids",
    "studies_for_pair",
    "summaries",
]
