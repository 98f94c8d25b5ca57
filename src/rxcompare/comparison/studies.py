"""What studies address the pair: the publications listed beside the findings, never merged into
them. Titles and metadata only (:mod:`rxcompare.sources.literature`): no sentence about a medicine
is made from a publication here.

Offline, the publications the knowledge pack cites (documents of class ``publication`` behind
either drug's facts and incidences), each with the medicines it is cited for. With a literature
client (PubMed or Europe PMC), the index's records for the pair's term, strongest designs first,
then the curated ones the index did not list. An index that cannot be asked does not stop the
comparison: its error is kept in :attr:`Literature.error` and the curated publications are listed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rxcompare.comparison.evidence import Evidence
from rxcompare.errors import OnlineError
from rxcompare.models import Literature
from rxcompare.sources.literature import curated_publications, studies_for_pair

__all__ = ["STUDIES_LIMIT", "pair_studies"]

STUDIES_LIMIT = 20  # index records asked for a pair (the index's count says how many it holds)


def _records(ev: Evidence) -> tuple[Any, ...]:
    return ev.facts + ev.incidences


def pair_studies(
    ea: Evidence, eb: Evidence, client: Any = None, *, limit: int = STUDIES_LIMIT
) -> Literature:
    """The pair's publications: the pack's curated ones (``client`` None), or the index's records
    for the pair and then the curated ones (``client`` a literature client)."""
    records = _records(ea) + _records(eb)
    if client is None:
        lit = studies_for_pair(ea.drug, eb.drug, curated=records)
    else:
        try:
            lit = studies_for_pair(ea.drug, eb.drug, client, limit=limit, curated=records)
        except OnlineError as exc:
            lit = replace(studies_for_pair(ea.drug, eb.drug, curated=records), error=str(exc))
    cited: dict[str, list[str]] = {}
    for ev in (ea, eb):
        for p in curated_publications(_records(ev)):
            cited.setdefault(p.url or p.title, []).append(ev.drug.name)
    pubs = tuple(
        replace(p, cited_for=tuple(cited.get(p.url or p.title, ()))) if p.origin == "curated" else p
        for p in lit.publications
    )
    return replace(lit, publications=pubs)
